// Model management in the shape of Triton's repository extension: index, load (re-read the
// folder and hot-swap), unload. Registered only when an admin token is configured, and then
// every call needs "Authorization: Bearer <token>" (else 401 ORT_UNAUTHORIZED, checked first: these
// routes run no model, so no overload refusal or rate limit comes before it). routes/grpc-v2.ts
// serves the same three operations over gRPC with these functions.
import type { FastifyInstance } from 'fastify';
import fs from 'node:fs/promises';
import { createHash, timingSafeEqual } from 'node:crypto';
import { Type, type Static } from 'typebox';
import { Errors } from '../errors.ts';
import { isValidModelName } from '../repository/repository.ts';
import { V2Error } from '../schemas/v2.ts';

const Params = Type.Object({ model: Type.String({ minLength: 1, maxLength: 128 }) });
const IndexEntry = Type.Object({ name: Type.String(), version: Type.Optional(Type.String()), state: Type.String(), reason: Type.Optional(Type.String()) });
const STATES = { ready: 'READY', loading: 'LOADING', failed: 'UNAVAILABLE', unavailable: 'UNAVAILABLE' } as const;

const digest = (s: string) => createHash('sha256').update(s).digest();

/** Constant time in the token's content and length: equal-length digests, compared with timingSafeEqual. */
export function authorized(header: string | undefined, token: string): boolean {
  const given = /^Bearer (.+)$/.exec(header ?? '')?.[1] ?? '';
  return timingSafeEqual(digest(given), digest(token)) && given.length > 0;
}

export type RepositoryIndexEntry = Static<typeof IndexEntry>;

/** Every model folder and every loaded model, with its state (REST and gRPC RepositoryIndex). */
export async function repositoryIndex(app: FastifyInstance): Promise<RepositoryIndexEntry[]> {
  const folders = (await fs.readdir(app.config.models, { withFileTypes: true })).filter((e) => e.isDirectory() && !e.name.startsWith('.')).map((e) => e.name);
  const names = new Set([...folders, ...app.models.list().map((m) => m.name)]);
  return [...names].sort().map((name) => {
    const m = app.models.get(name);
    if (!m) return { name, state: 'UNAVAILABLE', reason: 'not loaded' };
    const reason =
      m.state === 'failed' ? m.error : m.state === 'unavailable' ? 'unloaded' : m.state === 'ready' && m.reloadError ? `reload failed, previous version serving: ${m.reloadError}` : undefined;
    return { name, ...(m.source ? { version: m.source.version } : {}), state: STATES[m.state], ...(reason ? { reason } : {}) };
  });
}

/** Loads or re-reads model `name` (hot swap); throws unless it ends up ready. */
export async function loadModel(app: FastifyInstance, name: string): Promise<void> {
  if (!isValidModelName(name)) throw new Errors.INVALID_MODEL_NAME(name);
  const entry = await app.models.load(name);
  if (entry.state !== 'ready') throw new Errors.INVALID_INPUT(`failed to load '${name}': ${entry.state === 'failed' ? entry.error : entry.state}`);
}

/** Stops serving model `name` after its queued work; MODEL_NOT_FOUND when it is not loaded. */
export async function unloadModel(app: FastifyInstance, name: string): Promise<void> {
  if (!isValidModelName(name)) throw new Errors.INVALID_MODEL_NAME(name);
  if (!(await app.models.unload(name))) throw new Errors.MODEL_NOT_FOUND(name);
}

export function repositoryRoutes(app: FastifyInstance, token: string): void {
  const errors = { 400: V2Error, 401: V2Error, 404: V2Error };
  app.register(async (admin) => {
    admin.addHook('onRequest', async (request, reply) => {
      if (!authorized(request.headers.authorization, token)) {
        reply.header('www-authenticate', 'Bearer');
        throw new Errors.UNAUTHORIZED();
      }
    });

    admin.post('/v2/repository/index', { schema: { tags: ['model-repository'], summary: 'Every model folder and its state', response: { 200: Type.Array(IndexEntry), ...errors } } }, async () =>
      repositoryIndex(app),
    );

    admin.post<{ Params: Static<typeof Params> }>(
      '/v2/repository/models/:model/load',
      {
        schema: { tags: ['model-repository'], summary: 'Load or re-read a model (hot swap; in-flight requests finish on the old one)', params: Params, response: { 200: Type.Object({}), ...errors } },
      },
      async (request) => {
        await loadModel(app, request.params.model);
        return {};
      },
    );

    admin.post<{ Params: Static<typeof Params> }>(
      '/v2/repository/models/:model/unload',
      { schema: { tags: ['model-repository'], summary: 'Stop serving a model after its queued work', params: Params, response: { 200: Type.Object({}), ...errors } } },
      async (request) => {
        await unloadModel(app, request.params.model);
        return {};
      },
    );
  });
}
