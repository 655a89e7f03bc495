// OpenAI-compatible embeddings: POST /v1/embeddings, so OpenAI SDKs and RAG frameworks can
// use any text-embedding model unchanged. Errors use OpenAI's {"error": {...}} shape (built by
// plugins/error-handler.ts, which picks it for this route); the body's "model" is the model the
// refusal gate, limits and metrics see (plugins/model-routes.ts).
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { Errors } from '../errors.ts';
import { clientSignal, timingHeaders } from './request-context.ts';

const OpenAIError = Type.Object({
  error: Type.Object({ message: Type.String(), type: Type.String(), param: Type.Union([Type.String(), Type.Null()]), code: Type.Union([Type.String(), Type.Null()]) }),
});

const EmbeddingsBody = Type.Object({
  // OpenAI's own limit; the model's queue bounds it further (413 ORT_TOO_MANY_INPUTS past max_queue_size).
  input: Type.Union([Type.String(), Type.Array(Type.String(), { minItems: 1, maxItems: 2048 })]),
  model: Type.String({ minLength: 1 }),
  encoding_format: Type.Optional(Type.Enum(['float', 'base64'])),
  dimensions: Type.Optional(Type.Integer({ minimum: 1 })),
  user: Type.Optional(Type.String()),
});

const EmbeddingsResponse = Type.Object({
  object: Type.Literal('list'),
  data: Type.Array(Type.Object({ object: Type.Literal('embedding'), index: Type.Integer(), embedding: Type.Union([Type.Array(Type.Number()), Type.String()]) })),
  model: Type.String(),
  usage: Type.Object({ prompt_tokens: Type.Integer(), total_tokens: Type.Integer() }),
});

/** Keeps the first `dimensions` values and renormalises to unit length. */
function shorten(v: number[], dimensions: number | undefined): number[] {
  if (!dimensions || dimensions >= v.length) return v;
  const cut = v.slice(0, dimensions);
  const norm = Math.hypot(...cut) || 1;
  return cut.map((x) => x / norm);
}

const base64 = (v: number[]) => Buffer.from(Float32Array.from(v).buffer).toString('base64');

const openai: FastifyPluginAsyncTypebox = async (app) => {
  app.post(
    '/v1/embeddings',
    {
      config: { modelRoute: true },
      schema: {
        tags: ['openai'],
        summary: 'OpenAI-compatible embeddings',
        body: EmbeddingsBody,
        response: { 200: EmbeddingsResponse, 400: OpenAIError, 404: OpenAIError, 413: OpenAIError, 415: OpenAIError, 422: OpenAIError, 429: OpenAIError, 503: OpenAIError, 504: OpenAIError },
      },
    },
    async (request, reply) => {
      const b = request.body;
      const { pipeline } = app.pipelineFor(b.model, 'embed', ['text-embedding'] as const);
      if (b.dimensions && b.dimensions > pipeline.dimensions) throw new Errors.INVALID_INPUT(`dimensions must be at most ${pipeline.dimensions} for model '${b.model}'`);
      const inputs = typeof b.input === 'string' ? [b.input] : b.input;
      const r = await pipeline.embed(inputs, { normalize: true, truncate: true, signal: clientSignal(request, reply) });
      timingHeaders(reply, r.timing);
      return {
        object: 'list' as const,
        data: r.embeddings.map((e, index) => {
          const v = shorten(e, b.dimensions);
          return { object: 'embedding' as const, index, embedding: b.encoding_format === 'base64' ? base64(v) : v };
        }),
        model: b.model,
        usage: { prompt_tokens: r.tokens, total_tokens: r.tokens },
      };
    },
  );
};

export default openai;
