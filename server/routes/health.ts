// Liveness and readiness (app.serverReady, plugins/drain.ts: the rule V2 and gRPC answer too).
import { Type } from 'typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { isServing } from '../models/registry.ts';

const Health = Type.Object({ status: Type.String(), models: Type.Optional(Type.Record(Type.String(), Type.String())) });

const health: FastifyPluginAsyncTypebox = async (app) => {
  app.get('/health/live', { schema: { tags: ['health'], summary: 'The process is up', response: { 200: Health } } }, async () => ({ status: 'ok' }));

  app.get('/health/ready', { schema: { tags: ['health'], summary: 'Every model is ready and the server is not draining', response: { 200: Health, 503: Health } } }, async (_request, reply) => {
    // A ready model whose instances are all down is not serving: say so rather than "ready".
    const models = Object.fromEntries(app.models.list().map((m) => [m.name, m.state === 'ready' && !isServing(m) ? 'no live instance' : m.state]));
    const ready = app.serverReady();
    return reply.status(ready ? 200 : 503).send({ status: app.draining ? 'draining' : ready ? 'ready' : 'not ready', models });
  });
};

export default health;
