// Admission control in front of the model queues (TEI's max_concurrent_requests): at most
// `limit` model requests are in progress at once, from arrival until their response closes
// (streams included); the next ones get 429 + Retry-After before their body is parsed, so an
// overload costs the server almost nothing. Only model requests count (the route's modelRoute
// flag, plugins/model-routes.ts): health, metrics, listings, tokenize and the repository API never
// wait behind inference. gRPC inference calls count against the same limit (admitModelRequest).
import fp from 'fastify-plugin';
import { Errors } from '../errors.ts';
import { isModelRequest } from './model-routes.ts';

declare module 'fastify' {
  interface FastifyInstance {
    /** Model requests in progress (counted against --max-concurrent-requests). */
    activeRequests: () => number;
    /** True when a new model request would be refused with SERVER_BUSY. */
    serverBusy: () => boolean;
    /** Counts one model request that is not HTTP (a gRPC call) against the limit: its release, or SERVER_BUSY. */
    admitModelRequest: () => () => void;
  }
}

export default fp<{ limit: number }>(
  async (app, { limit }) => {
    let active = 0;
    const busy = () => active >= limit;
    function admit(): () => void {
      if (busy()) throw new Errors.SERVER_BUSY(limit);
      active++;
      let released = false;
      return () => {
        if (released) return;
        released = true;
        active--;
      };
    }
    app.decorate('activeRequests', () => active);
    app.decorate('serverBusy', busy);
    app.decorate('admitModelRequest', admit);
    app.addHook('onRequest', async (request, reply) => {
      if (!isModelRequest(request)) return;
      // 'close' fires exactly once per response: after it finished, or when the client left.
      reply.raw.once('close', admit());
    });
  },
  { name: 'concurrency-limit', dependencies: ['model-routes'] },
);
