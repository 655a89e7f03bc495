// Text Embeddings Inference's /embed, /embed_all, /tokenize, /decode and GET /info at a model's Hugging Face
// base /hf/models/:model, in TEI's request and response shapes and defaults (truncate false, normalize true,
// special tokens added and skipped) and with TEI's error bodies (plugins/error-handler.ts picks them by URL).
// ortserve's own /v1/models/:model/embed and /tokenize keep their shapes.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Errors } from '../errors.ts';
import { HF_BASE } from '../plugins/error-handler.ts';
import { SERVER_VERSION } from '../protocols/v2-metadata.ts';
import { ModelParams } from '../schemas/common.ts';
import { MAX_INPUTS } from '../schemas/text-tasks.ts';
import { TeiDecodeBody, TeiDecodeResponse, TeiEmbedAllBody, TeiEmbedAllResponse, TeiEmbedBody, TeiEmbedResponse, TeiInfo, TeiTokenizeBody, TeiTokenizeResponse, teiErrors } from '../schemas/tei.ts';
import type { Encoding } from '../pipelines/tokenizer.ts';
import { clientSignal, timingHeaders } from './request-context.ts';

const EMBEDDER = ['text-embedding'] as const;
const BASE = `${HF_BASE}/:model`;
const tags = ['text-embeddings-inference'];

/** The texts of TEI's Input; token ids and prompts are refused (422), naming what to send instead. */
function teiTexts(inputs: TeiEmbedBody['inputs'], promptName: string | null | undefined): string[] {
  if (promptName != null) throw new Errors.INVALID_INPUT('prompt_name is not supported: this model has no sentence-transformers prompts (send the prompt in the text)');
  const list = typeof inputs === 'string' || inputs.every((v) => typeof v === 'number') ? [inputs] : inputs;
  return list.map((v, i) => {
    if (typeof v !== 'string') throw new Errors.INVALID_INPUT(`inputs${list === inputs ? `[${i}]` : ''} is a list of token ids; this server takes text only (send the text)`);
    return v;
  });
}

/** The options TEI's embedding routes share: no truncation unless asked (TEI's default), the side, the deadline, the client's abort. */
const embedOptions = (b: Pick<TeiEmbedBody, 'truncate' | 'truncation_direction' | 'timeout_ms'>, request: FastifyRequest, reply: FastifyReply) => ({
  truncate: b.truncate ?? false,
  side: b.truncation_direction,
  timeoutMs: b.timeout_ms,
  signal: clientSignal(request, reply),
});

/** TEI's /embed: one pooled vector per input. Also the Hugging Face base's feature extraction (routes/hf-endpoint.ts). */
export async function teiEmbed(app: FastifyInstance, model: string, b: TeiEmbedBody, request: FastifyRequest, reply: FastifyReply): Promise<number[][]> {
  const { pipeline } = app.pipelineFor(model, 'embed', EMBEDDER);
  const r = await pipeline.embed(teiTexts(b.inputs, b.prompt_name), { normalize: b.normalize ?? true, ...embedOptions(b, request, reply) });
  timingHeaders(reply, r.timing);
  return r.embeddings;
}

/** TEI's tokens of one text: the input's own text and UTF-8 byte offsets, or the token and nulls for a special token. */
function simpleTokens(text: string, enc: Encoding) {
  const chars = Array.from(text);
  const bytes = [0];
  for (const c of chars) bytes.push(bytes.at(-1)! + Buffer.byteLength(c));
  return enc.ids.map((id, k) => {
    const [start, end] = enc.offsets[k] ?? [0, 0];
    if (enc.special[k]) return { id, text: enc.tokens[k] ?? '', special: true, start: null, stop: null };
    return { id, text: chars.slice(start, end).join(''), special: false, start: bytes[start] ?? 0, stop: bytes[end] ?? 0 };
  });
}

const isFlat = (ids: number[] | number[][]): ids is number[] => ids.every((v) => typeof v === 'number');

const teiEmbedRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const params = ModelParams;
  app.post(
    `${BASE}/embed`,
    { config: { modelRoute: true }, schema: { tags, summary: 'TEI /embed: one pooled vector per input', params, body: TeiEmbedBody, response: { 200: TeiEmbedResponse, ...teiErrors } } },
    async (request, reply) => teiEmbed(app, request.params.model, request.body, request, reply),
  );

  app.post(
    `${BASE}/embed_all`,
    { config: { modelRoute: true }, schema: { tags, summary: "TEI /embed_all: every token's vector, unpooled", params, body: TeiEmbedAllBody, response: { 200: TeiEmbedAllResponse, ...teiErrors } } },
    async (request, reply) => {
      const { pipeline } = app.pipelineFor(request.params.model, 'embed', EMBEDDER);
      const b = request.body;
      const r = await pipeline.embedAll(teiTexts(b.inputs, b.prompt_name), embedOptions(b, request, reply));
      timingHeaders(reply, r.timing);
      return r.embeddings;
    },
  );

  app.post(
    `${BASE}/tokenize`,
    { schema: { tags, summary: 'TEI /tokenize: the tokens of each input with their byte offsets', params, body: TeiTokenizeBody, response: { 200: TeiTokenizeResponse, ...teiErrors } } },
    async (request) => {
      const { pipeline } = app.pipelineFor(request.params.model, 'tokenize', EMBEDDER);
      const b = request.body;
      const texts = teiTexts(b.inputs, b.prompt_name);
      const special = b.add_special_tokens ?? true;
      return Promise.all(texts.map(async (text) => simpleTokens(text, await pipeline.tokenize(text, { truncate: false, special }))));
    },
  );

  app.post(
    `${BASE}/decode`,
    { schema: { tags, summary: 'TEI /decode: token ids back to text, one string per sequence', params, body: TeiDecodeBody, response: { 200: TeiDecodeResponse, ...teiErrors } } },
    async (request) => {
      const { pipeline } = app.pipelineFor(request.params.model, 'tokenize', EMBEDDER);
      const { ids, skip_special_tokens: skip = true } = request.body;
      const sequences = isFlat(ids) ? [ids] : ids;
      return Promise.all(sequences.map((seq) => pipeline.decode(seq, skip)));
    },
  );

  app.get(`${BASE}/info`, { schema: { tags, summary: 'TEI /info: the served model and its limits', params, response: { 200: TeiInfo, ...teiErrors } } }, async (request) => {
    const { model } = request.params;
    const entry = app.readyModel(model);
    const pipeline = entry.runtime.pipeline;
    const id2label = (labels: string[]) => ({ id2label: Object.fromEntries(labels.map((l, i) => [String(i), l])), label2id: Object.fromEntries(labels.map((l, i) => [l, i])) });
    let modelType;
    if (pipeline?.task === 'text-embedding') modelType = { embedding: { pooling: pipeline.pooling } };
    else if (pipeline?.task === 'text-classification') modelType = pipeline.labels.length === 1 ? { reranker: id2label(pipeline.labels) } : { classifier: id2label(pipeline.labels) };
    else if (pipeline?.task === 'token-classification') modelType = { classifier: id2label(pipeline.labels) };
    else throw new Errors.WRONG_TASK(model, pipeline?.task ?? 'generic', 'TEI /info describes embedding and classification models only');
    const { batching } = entry.runtime;
    const outputs = Object.values(entry.runtime.graphs).flatMap((g) => g.outputs);
    return {
      model_id: model,
      model_sha: null,
      model_dtype: outputs.some((o) => o.type === 'float16') ? 'float16' : 'float32',
      model_type: modelType,
      max_concurrent_requests: app.config.maxConcurrentRequests,
      max_input_length: pipeline.maxLength,
      max_batch_tokens: batching.max_batch_tokens,
      max_batch_requests: batching.max_batch_size,
      max_client_batch_size: Math.min(MAX_INPUTS, batching.max_queue_size),
      auto_truncate: false,
      tokenization_workers: 1,
      version: SERVER_VERSION,
      sha: null,
      docker_label: null,
    };
  });
};

export default teiEmbedRoutes;
