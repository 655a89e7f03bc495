// Builds the app over a model repository (the bundled models by default) for inject tests.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import type { ReadyModel } from '../../server/models/entry.ts';
import { buildApp } from '../../server/app.ts';
import { loadConfig } from '../../server/config.ts';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const MODELS = path.join(ROOT, 'models');
export const SHARED = path.resolve(ROOT, '../shared/real-models');

export async function testApp(env: Record<string, string> = {}, options: { faultInjection?: boolean } = {}): Promise<FastifyInstance> {
  const config = loadConfig([], { ORTSERVE_MODELS: MODELS, ...env });
  const app = await buildApp({ config, ...options });
  await app.ready();
  await app.models.whenLoaded();
  return app;
}

/** The ready model `name` of `app` (throws when it is not ready). */
export function readyModel(app: FastifyInstance, name: string): ReadyModel {
  const entry = app.models.get(name);
  if (entry?.state !== 'ready') throw new Error(`model '${name}' is ${entry?.state ?? 'missing'}, not ready`);
  return entry;
}
