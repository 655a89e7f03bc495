// The one drain switch, and the one readiness rule built on it. `app.drain()` (SIGTERM, or the
// app closing) makes every new model request fail with 503 ORT_DRAINING + Retry-After and
// "Connection: close", readiness report "draining", and the model schedulers refuse new work while
// they finish what they accepted. `app.serverReady()` / `app.modelReady(entry)` are what REST
// /health/ready, V2 /v2/health/ready and model ready, gRPC ServerReady / ModelReady and
// grpc.health.v1 all answer: not draining, and the model(s) serving (models/registry.ts isServing:
// ready with at least one live instance).
import fp from 'fastify-plugin';
import { Errors } from '../errors.ts';
import type { ModelEntry } from '../models/entry.ts';
import { isServing } from '../models/registry.ts';
import { isModelRequest } from './model-routes.ts';

declare module 'fastify' {
  interface FastifyInstance {
    /** True once drain() was called. */
    readonly draining: boolean;
    drain(): void;
    /** The server takes work: not draining, and every model that was not unloaded is serving. */
    serverReady(): boolean;
    /** `entry` takes work: not draining, and the model is ready with a live instance. */
    modelReady(entry: ModelEntry | undefined): boolean;
  }
}

export default fp(
  async (app) => {
    let draining = false;
    app.decorate('draining', { getter: () => draining });
    app.decorate('drain', () => {
      draining = true;
    });
    app.decorate('serverReady', () => !draining && app.models.allReady());
    app.decorate('modelReady', (entry: ModelEntry | undefined) => !draining && isServing(entry));
    app.addHook('onRequest', async (request, reply) => {
      if (!draining || !isModelRequest(request)) return;
      reply.header('connection', 'close');
      throw new Errors.DRAINING();
    });
  },
  { name: 'drain', dependencies: ['model-routes'] },
);
