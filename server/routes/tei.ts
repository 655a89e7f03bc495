// Hugging Face Text Embeddings Inference's /predict and /rerank in TEI's request and response shapes, at a
// model's Hugging Face base /hf/models/:model (with TEI's error bodies and statuses: plugins/error-handler.ts
// picks them by URL; the rest of the base is routes/hf-endpoint.ts) and, as shipped before the base existed,
// under /v1/models/:model (with ortserve's error body). Scores follow TEI: softmax over several labels,
// sigmoid of a single one, the logits with raw_scores.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Errors } from '../errors.ts';
import type { ScoreFunction, TextInput } from '../pipelines/text-classification.ts';
import { HF_BASE } from '../plugins/error-handler.ts';
import { ModelParams, errorResponses } from '../schemas/common.ts';
import { teiErrors } from '../schemas/tei.ts';
import { PredictBody, PredictResponse, RerankBody, RerankResponse } from '../schemas/text-tasks.ts';
import { clientSignal, timingHeaders } from './request-context.ts';

const TASK = ['text-classification'] as const;

/** TEI's scores: the logits when raw, else softmax over several labels or the sigmoid of one. */
const teiFunction = (raw: boolean | undefined, labels: number): ScoreFunction => (raw ? 'none' : labels > 1 ? 'softmax' : 'sigmoid');

/** TEI's PredictInput: "text", ["text"], ["text", "pair"], or a batch [["text"], ["text", "pair"], …]. */
function predictInputs(inputs: PredictBody['inputs']): { batch: boolean; inputs: TextInput[] } {
  if (typeof inputs === 'string') return { batch: false, inputs: [inputs] };
  const sequence = (v: string[], where: string): TextInput => {
    if (v.length === 1) return v[0]!;
    if (v.length === 2) return [v[0]!, v[1]!];
    throw new Errors.INVALID_INPUT(`${where} must be a text or a [text, text_pair] pair, not a list of ${v.length} texts`);
  };
  if (inputs.every((v) => typeof v === 'string')) return { batch: false, inputs: [sequence(inputs, 'inputs')] };
  return {
    batch: true,
    inputs: inputs.map((v, i) => {
      if (typeof v === 'string') throw new Errors.INVALID_INPUT(`inputs[${i}] must be a list ([text] or [text, text_pair]) in a batch`);
      return sequence(v, `inputs[${i}]`);
    }),
  };
}

const tei: FastifyPluginAsyncTypebox = async (app) => {
  for (const [base, errors] of [['/v1/models/:model', errorResponses] as const, [`${HF_BASE}/:model`, teiErrors] as const]) routes(base, errors);

  function routes(base: string, errors: typeof errorResponses | typeof teiErrors) {
    app.post(
      `${base}/predict`,
      {
        config: { modelRoute: true },
        schema: {
          tags: ['text-classification'],
          summary: 'Text Embeddings Inference /predict: every label with its score, for a text, a pair or a batch',
          params: ModelParams,
          body: PredictBody,
          response: { 200: PredictResponse, ...errors },
        },
      },
      async (request, reply) => {
        const { model } = request.params;
        const { pipeline } = app.pipelineFor(model, 'predict', TASK);
        const b = request.body;
        const { batch, inputs } = predictInputs(b.inputs);
        const { results, timing } = await pipeline.classify(inputs, {
          topK: null,
          fn: teiFunction(b.raw_scores, pipeline.labels.length),
          truncate: b.truncate ?? false,
          side: b.truncation_direction,
          timeoutMs: b.timeout_ms,
          signal: clientSignal(request, reply),
        });
        timingHeaders(reply, timing);
        const predictions = results.map((r) => r.predictions.map(({ score, label }) => ({ score, label })));
        return batch ? predictions : predictions[0]!;
      },
    );

    app.post(
      `${base}/rerank`,
      {
        config: { modelRoute: true },
        schema: {
          tags: ['text-classification'],
          summary: 'Rerank (Text Embeddings Inference shape): candidate texts scored against a query by a one-label cross-encoder, best first',
          params: ModelParams,
          body: RerankBody,
          response: { 200: RerankResponse, ...errors },
        },
      },
      async (request, reply) => {
        const { model } = request.params;
        const { pipeline } = app.pipelineFor(model, 'rerank', TASK);
        const b = request.body;
        const { ranks, timing } = await pipeline.rerank(b.query, b.texts, {
          fn: teiFunction(b.raw_scores, 1),
          truncate: b.truncate ?? false,
          side: b.truncation_direction,
          timeoutMs: b.timeout_ms,
          signal: clientSignal(request, reply),
        });
        timingHeaders(reply, timing);
        return ranks.map(({ index, score }) => (b.return_text ? { index, text: b.texts[index]!, score } : { index, score }));
      },
    );
  }
};

export default tei;
