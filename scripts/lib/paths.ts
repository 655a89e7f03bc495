// Where the bundled models, datasets and test fixtures live (shared by eval scripts and model tests).
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const REPO_DIR = fileURLToPath(new URL('../../', import.meta.url));
export const MODELS_DIR = `${REPO_DIR}models`;
export const FIXTURES_DIR = `${REPO_DIR}tests/fixtures`;
export const FASHION_MNIST_DIR = '/usr/share/datasets/fashion-mnist';
export const FORTUNES_DIR = '/usr/share/games/fortunes';

export function modelPath(model: string, file = 'model.onnx'): string {
  return `${MODELS_DIR}/${model}/${file}`;
}

export function readManifest<T>(model: string): T {
  return JSON.parse(readFileSync(modelPath(model, 'manifest.json'), 'utf8')) as T;
}
