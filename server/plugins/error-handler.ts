// One place that turns any thrown error into the JSON error shape. Client errors keep their
// message; 5xx answers never carry a stack trace, a server path or internal detail. 429 and 503
// answers say when to retry. The KServe V2 and OpenAI routes and SSE error events reuse
// `describeError` for their own body shapes, and the gRPC server `describeAny`.
import type { FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { STATUS_CODES } from 'node:http';
import { isAppError, toAppError } from '../errors.ts';
import { withoutPaths } from '../repository/repository.ts';

export interface ErrorDescription {
  statusCode: number;
  code: string;
  message: string;
}

/** Status, code and client-safe message of any error, whatever protocol answers it (REST, V2, gRPC). */
export function describeAny(error: Error, modelsRoot: string): ErrorDescription {
  const err = toAppError(error);
  const statusCode = isAppError(err) && err.statusCode >= 400 ? err.statusCode : 500;
  const known = isAppError(err) && typeof err.code === 'string';
  const message = statusCode === 500 && !known ? 'Internal Server Error' : statusCode >= 500 ? withoutPaths(err.message, modelsRoot) : err.message;
  return { statusCode, code: known ? err.code : 'ORT_INTERNAL', message };
}

/** describeAny for an HTTP request; sets Retry-After and logs server faults. */
export function describeError(error: Error, request: FastifyRequest, reply: FastifyReply): ErrorDescription {
  const described = describeAny(error, request.server.config.models);
  const { statusCode, code } = described;
  if (statusCode >= 500) request.log.error({ err: toAppError(error) }, 'request failed');
  // Overload and transient unavailability: tell clients when to retry (TEI and Triton do too).
  if ((statusCode === 429 || statusCode === 503) && !reply.hasHeader('retry-after')) reply.header('retry-after', '1');
  if (code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') {
    return { ...described, message: `Content-Type '${request.headers['content-type'] ?? 'none'}' is not supported by ${request.method} ${request.routeOptions.url ?? request.url}` };
  }
  return described;
}

/** The JSON body of an error answer: ortserve's own shape, or KServe V2's {"error"}. */
export function errorBody({ statusCode, code, message }: ErrorDescription, protocol: 'rest' | 'v2'): object {
  return protocol === 'v2' ? { error: message } : { statusCode, code, error: STATUS_CODES[statusCode] ?? 'Error', message };
}

export default fp(
  async (app) => {
    app.setErrorHandler((err: Error, request, reply) => {
      const described = describeError(err, request, reply);
      return reply.status(described.statusCode).send(errorBody(described, 'rest'));
    });
    app.setNotFoundHandler((request, reply) =>
      reply.status(404).send({ statusCode: 404, code: 'ORT_ROUTE_NOT_FOUND', error: 'Not Found', message: `Route ${request.method} ${request.url.split('?')[0]} not found` }),
    );
  },
  { name: 'error-handler' },
);
