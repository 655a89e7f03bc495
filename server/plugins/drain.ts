// The one drain switch. `app.drain()` (SIGTERM, or the app closing) makes every new model
// request fail with 503 ORT_DRAINING + Retry-After and "Connection: close", readiness report
// "draining", and the model schedulers refuse new work while they finish what they accepted.
import fp from 'fastify-plugin';
import { Errors } from '../errors.ts';
import { isModelRequest } from './concurrency-limit.ts';

declare module 'fastify' {
  interface FastifyInstance {
    /** True once drain() was called. */
    readonly draining: boolean;
    drain(): void;
  }
}

export default fp(
  async (app) => {
    let draining = false;
    app.decorate('draining', { getter: () => draining });
    app.decorate('drain', () => {
      draining = true;
    });
    app.addHook('onRequest', async (request, reply) => {
      if (!draining || !isModelRequest(request)) return;
      reply.header('connection', 'close');
      throw new Errors.DRAINING();
    });
  },
  { name: 'drain' },
);
