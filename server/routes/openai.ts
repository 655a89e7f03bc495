// OpenAI-compatible embeddings: POST /v1/embeddings, so OpenAI SDKs and RAG frameworks can
// use any text-embedding model unchanged. Errors use OpenAI's {"error": {...}} shape (built by
// plugins/error-handler.ts, which picks it for this route); the body's "model" is the model the
// refusal gate, limits and metrics see (plugins/model-routes.ts). Token-id inputs are refused: they
// would be ids of OpenAI's tokenizer, not of the model's vocabulary.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Errors } from '../errors.ts';
import { EmbeddingsBody, EmbeddingsResponse, openAIErrors } from '../schemas/openai.ts';
import { clientSignal, timingHeaders } from './request-context.ts';

/** Keeps the first `dimensions` values and renormalises to unit length. */
function shorten(v: number[], dimensions: number | undefined): number[] {
  if (!dimensions || dimensions >= v.length) return v;
  const cut = v.slice(0, dimensions);
  const norm = Math.hypot(...cut) || 1;
  return cut.map((x) => x / norm);
}

const base64 = (v: number[]) => Buffer.from(Float32Array.from(v).buffer).toString('base64');

/** The texts of `input`; token ids are a 400 that says to send text. */
function texts(input: EmbeddingsBody['input']): string[] {
  if (typeof input === 'string') return [input];
  if (input.every((v): v is string => typeof v === 'string')) return input;
  throw Object.assign(
    new Errors.INVALID_INPUT('input must be a string or a list of strings: token ids are not accepted, because the model tokenizes text with its own vocabulary (send the text itself)'),
    {
      param: 'input',
    },
  );
}

const openai: FastifyPluginAsyncTypebox = async (app) => {
  app.post(
    '/v1/embeddings',
    {
      config: { modelRoute: true },
      schema: { tags: ['openai'], summary: 'OpenAI-compatible embeddings', body: EmbeddingsBody, response: { 200: EmbeddingsResponse, ...openAIErrors } },
    },
    async (request, reply) => {
      const b = request.body;
      const { pipeline } = app.pipelineFor(b.model, 'embed', ['text-embedding'] as const);
      if (b.dimensions && b.dimensions > pipeline.dimensions) throw new Errors.INVALID_INPUT(`dimensions must be at most ${pipeline.dimensions} for model '${b.model}'`);
      const r = await pipeline.embed(texts(b.input), { normalize: true, truncate: true, timeoutMs: b.timeout_ms, signal: clientSignal(request, reply) });
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
