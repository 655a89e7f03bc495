// Text-embedding routes: embed, fill-mask (also for single-graph fill-mask models), attention, tokenize.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { ModelParams, errorResponses } from '../schemas/common.ts';
import { AttentionResponse, EmbedBody, EmbedResponse, FillMaskBody, FillMaskResponse, TextBody, TokenizeResponse } from '../schemas/tasks.ts';
import { clientSignal, timingHeaders } from './request-context.ts';

const TASK = ['text-embedding'] as const;
const FILL_MASK = ['text-embedding', 'fill-mask'] as const;

const embed: FastifyPluginAsyncTypebox = async (app) => {
  app.post(
    '/v1/models/:model/embed',
    { config: { modelRoute: true }, schema: { tags: ['text-embedding'], summary: 'Sentence embeddings', params: ModelParams, body: EmbedBody, response: { 200: EmbedResponse, ...errorResponses } } },
    async (request, reply) => {
      const { model } = request.params;
      const { pipeline } = app.pipelineFor(model, 'embed', TASK);
      const b = request.body;
      const inputs = typeof b.inputs === 'string' ? [b.inputs] : b.inputs;
      const r = await pipeline.embed(inputs, {
        pooling: b.pooling,
        normalize: b.normalize,
        truncate: b.truncate ?? true,
        timeoutMs: b.timeout_ms,
        signal: clientSignal(request, reply),
      });
      timingHeaders(reply, r.timing);
      return { model, embeddings: r.embeddings, dimensions: pipeline.dimensions, usage: { tokens: r.tokens } };
    },
  );

  app.post(
    '/v1/models/:model/fill-mask',
    {
      config: { modelRoute: true },
      schema: { tags: ['text-embedding', 'fill-mask'], summary: 'Predict the [MASK] tokens', params: ModelParams, body: FillMaskBody, response: { 200: FillMaskResponse, ...errorResponses } },
    },
    async (request, reply) => {
      const { model } = request.params;
      const { pipeline } = app.pipelineFor(model, 'fill-mask', FILL_MASK);
      const r = await pipeline.fillMask(request.body.text, { topK: request.body.top_k ?? 5, timeoutMs: request.body.timeout_ms, signal: clientSignal(request, reply) });
      timingHeaders(reply, [r.timing]);
      return { model, masks: r.masks };
    },
  );

  app.post(
    '/v1/models/:model/attention',
    {
      config: { modelRoute: true },
      schema: { tags: ['text-embedding'], summary: 'Attention probabilities per layer and head', params: ModelParams, body: TextBody, response: { 200: AttentionResponse, ...errorResponses } },
    },
    async (request, reply) => {
      const { model } = request.params;
      const { pipeline } = app.pipelineFor(model, 'attention', TASK);
      const r = await pipeline.attention(request.body.text, { timeoutMs: request.body.timeout_ms, signal: clientSignal(request, reply) });
      timingHeaders(reply, [r.timing]);
      return { model, tokens: r.tokens, attentions: r.attentions };
    },
  );

  app.post(
    '/v1/models/:model/tokenize',
    { schema: { tags: ['text-embedding'], summary: 'Token ids and strings', params: ModelParams, body: TextBody, response: { 200: TokenizeResponse, ...errorResponses } } },
    async (request) => {
      const { model } = request.params;
      const { pipeline } = app.pipelineFor(model, 'tokenize', TASK);
      const enc = await pipeline.tokenize(request.body.text, { truncate: request.body.truncate ?? false });
      return { model, ids: enc.ids, tokens: enc.tokens, truncated: enc.truncated };
    },
  );
};

export default embed;
