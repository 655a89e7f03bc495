// Optional per-client rate limiting (@fastify/rate-limit, in memory), off unless
// --rate-limit-max is set. It bounds what one client makes the models do, so it counts model
// requests only (the route's modelRoute flag, plugins/model-routes.ts): probes (/health/*,
// /v2/health/*), scrapes (/metrics), listings and the repository API are never limited — an
// orchestrator's probe is never a 429, and an admin call gets its 401 before any shedding.
// Over the limit → 429 ORT_RATE_LIMITED with Retry-After.
import rateLimit from '@fastify/rate-limit';
import fp from 'fastify-plugin';
import { Errors } from '../errors.ts';
import { isModelRequest } from './model-routes.ts';

export default fp<{ max: number | undefined; windowMs: number }>(
  async (app, { max, windowMs }) => {
    if (!max) return;
    await app.register(rateLimit, {
      global: true,
      max,
      timeWindow: windowMs,
      allowList: (request) => !isModelRequest(request),
      errorResponseBuilder: (_request, context) => new Errors.RATE_LIMITED(max, windowMs, context.after),
    });
  },
  { name: 'rate-limit', dependencies: ['model-routes'] },
);
