// A temp model repository for the client-compatibility tests: the bundled embedder and classifier, and the
// Hugging Face fixtures that the bundled models lack (a token classifier, a masked LM, a one-label reranker).
import fs from 'node:fs';
import path from 'node:path';
import { MODELS } from './app.ts';
import { hfRepo } from './hf-text.ts';

export const COMPAT_MODELS = ['bert-mini', 'bert-mini-topics', 'masked-lm', 'regression', 'token-ner'];

/** The repository's folder; remove it with fs.rmSync(dir, { recursive: true }) when done. */
export function compatRepo(): string {
  const repo = hfRepo(['masked-lm', 'regression', 'token-ner']);
  for (const name of ['bert-mini', 'bert-mini-topics']) fs.cpSync(path.join(MODELS, name), path.join(repo, name), { recursive: true });
  return repo;
}
