// Optional per-client rate limiting (@fastify/rate-limit, in memory), off unless
// --rate-limit-max is set. Over the limit → 429 ORT_RATE_LIMITED with Retry-After. Health
// checks are exempt so that orchestrators never get limited.
import rateLimit from '@fastify/rate-limit';
import fp from 'fastify-plugin';
import { Errors } from '../errors.ts';

export default fp<{ max: number | undefined; windowMs: number }>(
  async (app, { max, windowMs }) => {
    if (!max) return;
    await app.register(rateLimit, {
      global: true,
      max,
      timeWindow: windowMs,
      allowList: (request) => request.url.startsWith('/health/'),
      errorResponseBuilder: (_request, context) => new Errors.RATE_LIMITED(max, windowMs, context.after),
    });
  },
  { name: 'rate-limit' },
);
