// One place that turns any thrown error into the JSON error shape. Client errors keep their
// message; 5xx answers never carry a stack trace or internal detail beyond the message.
import fp from 'fastify-plugin';
import { STATUS_CODES } from 'node:http';
import { isAppError } from '../errors.ts';

export default fp(
  async (app) => {
    app.setErrorHandler((err: Error, request, reply) => {
      const statusCode = isAppError(err) && err.statusCode >= 400 ? err.statusCode : 500;
      const known = isAppError(err) && typeof err.code === 'string';
      if (statusCode >= 500) request.log.error({ err }, 'request failed');
      if (statusCode === 429) reply.header('retry-after', '1');
      const message =
        statusCode === 500 && !known
          ? 'Internal Server Error'
          : known && err.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE'
            ? `Content-Type '${request.headers['content-type'] ?? 'none'}' is not supported by ${request.method} ${request.routeOptions.url ?? request.url}`
            : err.message;
      return reply.status(statusCode).send({
        statusCode,
        code: known ? err.code : 'ORT_INTERNAL',
        error: STATUS_CODES[statusCode] ?? 'Error',
        message,
      });
    });
    app.setNotFoundHandler((request, reply) =>
      reply.status(404).send({ statusCode: 404, code: 'ORT_ROUTE_NOT_FOUND', error: 'Not Found', message: `Route ${request.method} ${request.url.split('?')[0]} not found` }),
    );
  },
  { name: 'error-handler' },
);
