// POST /hf/models/:model — the model's task at its Hugging Face base, as Hugging Face Inference Endpoints
// answer it, so `new InferenceClient().endpoint(<base>)` works unchanged: feature extraction for an embedder
// (TEI's /embed), text classification ([[{label, score}]] per input), token classification (entities, grouped
// as "simple" unless asked or set otherwise) and fill-mask ([{score, token, token_str, sequence}]). Errors are
// TEI's (plugins/error-handler.ts picks them by URL); the rest of the base is routes/tei.ts and tei-embed.ts.
import { TypeBoxValidatorCompiler, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { Errors } from '../errors.ts';
import { MAX_MASK_CANDIDATES } from '../pipelines/mask.ts';
import { HF_BASE } from '../plugins/error-handler.ts';
import { ModelParams } from '../schemas/common.ts';
import { HfFillMaskBody, HfTextClassificationBody, HfTokenClassificationBody, TeiEmbedBody, TeiEmbedResponse, teiErrors } from '../schemas/tei.ts';
import { parseBody } from '../schemas/validate.ts';
import { clientSignal, timingHeaders } from './request-context.ts';
import { teiEmbed } from './tei-embed.ts';

const Scored = Type.Array(Type.Object({ label: Type.String(), score: Type.Number() }));
const Entity = Type.Object({
  entity: Type.Optional(Type.String()),
  entity_group: Type.Optional(Type.String()),
  score: Type.Number(),
  index: Type.Optional(Type.Integer()),
  word: Type.String(),
  start: Type.Integer(),
  end: Type.Integer(),
});
const Filled = Type.Array(Type.Object({ score: Type.Number(), token: Type.Integer(), token_str: Type.String(), sequence: Type.String() }));

const BaseResponse = Type.Union([TeiEmbedResponse, Type.Array(Scored), Type.Array(Entity), Type.Array(Type.Array(Entity)), Filled, Type.Array(Type.Union([Filled, Type.Array(Filled)]))], {
  description:
    "As the model's task answers: vectors (embedders), labels per input (classifiers), entities (one list per input for a list), fill-mask candidates (a list per mask when there are several)",
});

const texts = (inputs: string | string[]) => (typeof inputs === 'string' ? [inputs] : inputs);

const hfEndpoint: FastifyPluginAsyncTypebox = async (app) => {
  async function textClassification(model: string, request: FastifyRequest, reply: FastifyReply) {
    const { pipeline } = app.pipelineFor(model, 'classify', ['text-classification'] as const);
    const b = parseBody(HfTextClassificationBody, request.body);
    const { results, timing } = await pipeline.classify(texts(b.inputs), {
      topK: b.parameters?.top_k ?? null,
      fn: b.parameters?.function_to_apply,
      truncate: true,
      timeoutMs: b.timeout_ms,
      signal: clientSignal(request, reply),
    });
    timingHeaders(reply, timing);
    return results.map((r) => r.predictions.map(({ label, score }) => ({ label, score })));
  }

  async function tokenClassification(model: string, request: FastifyRequest, reply: FastifyReply) {
    const { pipeline } = app.pipelineFor(model, 'token-classification', ['token-classification'] as const);
    const b = parseBody(HfTokenClassificationBody, request.body);
    const { results, timing } = await pipeline.recognize(texts(b.inputs), {
      strategy: b.parameters?.aggregation_strategy ?? (pipeline.aggregationStrategy === 'none' ? 'simple' : pipeline.aggregationStrategy),
      ignoreLabels: b.parameters?.ignore_labels,
      truncate: true,
      timeoutMs: b.timeout_ms,
      signal: clientSignal(request, reply),
    });
    timingHeaders(reply, timing);
    return typeof b.inputs === 'string' ? results[0]! : results;
  }

  async function fillMask(model: string, request: FastifyRequest, reply: FastifyReply) {
    const { pipeline } = app.pipelineFor(model, 'fill-mask', ['fill-mask', 'text-embedding'] as const);
    const b = parseBody(HfFillMaskBody, request.body);
    if (b.parameters?.targets !== undefined) throw new Errors.INVALID_INPUT('parameters.targets is not supported: leave it out to get the top_k candidates');
    const signal = clientSignal(request, reply);
    // One candidate budget for the whole request, however many texts it holds.
    const budget = { left: MAX_MASK_CANDIDATES };
    const answers = await Promise.all(texts(b.inputs).map((text) => pipeline.fillMask(text, { topK: b.parameters?.top_k ?? 5, timeoutMs: b.timeout_ms, signal, budget })));
    timingHeaders(
      reply,
      answers.map((a) => a.timing),
    );
    const perText = answers.map(({ masks }) => {
      const lists = masks.map((m) => m.predictions.map((p) => ({ score: p.score, token: p.token_id, token_str: p.token, sequence: p.sequence })));
      return lists.length === 1 ? lists[0]! : lists;
    });
    return typeof b.inputs === 'string' ? perText[0]! : perText;
  }

  app.post(
    `${HF_BASE}/:model`,
    {
      config: { modelRoute: true },
      schema: {
        tags: ['huggingface'],
        summary: "The model's task, as Hugging Face Inference Endpoints answer it at a model's base URL",
        params: ModelParams,
        body: Type.Union([TeiEmbedBody, HfTextClassificationBody, HfTokenClassificationBody, HfFillMaskBody]),
        response: { 200: BaseResponse, ...teiErrors },
      },
      // The body's schema depends on the model's task, so the handler checks it (parseBody).
      validatorCompiler: (route) => (route.httpPart === 'body' ? () => true : TypeBoxValidatorCompiler(route)),
    },
    async (request, reply) => {
      const { model } = request.params;
      switch (app.models.get(model)?.source?.manifest.task) {
        case 'text-classification':
          return textClassification(model, request, reply);
        case 'token-classification':
          return tokenClassification(model, request, reply);
        case 'fill-mask':
          return fillMask(model, request, reply);
        default:
          // Embedders, and every other case: pipelineFor answers an unknown model, a model not ready or another task.
          return teiEmbed(app, model, parseBody(TeiEmbedBody, request.body), request, reply);
      }
    },
  );
};

export default hfEndpoint;
