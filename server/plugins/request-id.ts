// The request id convention, in one place: a client's `x-request-id` (printable ASCII, at most 128
// characters) is the request's id, else a random UUID is; either is in the request's log lines
// (Fastify's reqId) and echoed in the answer's `x-request-id`, refusals of the refusal gate included.
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import fp from 'fastify-plugin';

export const REQUEST_ID_HEADER = 'x-request-id';
const VALID_ID = /^[\x21-\x7e]{1,128}$/;

/** The client's id when it is usable as one, else undefined. */
export function clientRequestId(req: IncomingMessage): string | undefined {
  const id = req.headers[REQUEST_ID_HEADER];
  return typeof id === 'string' && VALID_ID.test(id) ? id : undefined;
}

/** Fastify's `genReqId`: the client's id, or a new one. */
export const requestId = (req: IncomingMessage): string => clientRequestId(req) ?? randomUUID();

export default fp(
  async (app) => {
    app.addHook('onRequest', (request, reply, done) => {
      reply.header(REQUEST_ID_HEADER, request.id);
      done();
    });
  },
  { name: 'request-id' },
);
