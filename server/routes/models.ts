// GET /v1/models and /v1/models/:model in OpenAI's shape (a list of model objects; an unknown model is an
// OpenAI error object, as plugins/error-handler.ts answers on these URLs). Each model object also carries
// ortserve's description: state, error, task, routes, I/O and batching, its effective manifest with the
// file each value came from, and the warnings of a Hugging Face folder.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import fs from 'node:fs/promises';
import { Errors } from '../errors.ts';
import type { ModelEntry } from '../models/entry.ts';
import type { TensorInfo } from '../runtime/onnx.ts';
import { isValidModelName } from '../repository/repository.ts';
import { ModelParams } from '../schemas/common.ts';
import { ModelObject, ModelObjectList, openAIErrors } from '../schemas/openai.ts';

const tensors = (list: TensorInfo[]) => list.map((t) => ({ name: t.name, datatype: t.type ?? 'non-tensor', shape: t.shape ?? [] }));

export function describeModel(m: ModelEntry) {
  const rt = m.state === 'ready' ? m.runtime : undefined;
  const graphs = Object.entries(rt?.graphs ?? {});
  const manifest = m.source?.manifest;
  return {
    name: m.name,
    task: manifest?.task ?? null,
    state: m.state,
    ...(m.state === 'failed' ? { error: m.error } : {}),
    ...(m.state === 'ready' && m.reloadError ? { reload_error: m.reloadError } : {}),
    ...(manifest?.description ? { description: manifest.description } : {}),
    ...(m.source ? { version: m.source.version, versions: m.source.versions } : {}),
    routes: rt ? [...(rt.pipeline?.routes ?? []).map((r) => `/v1/models/${m.name}/${r}`), `/v2/models/${m.name}/infer`] : [],
    ...(manifest?.labels ? { labels: manifest.labels } : {}),
    ...(m.source ? { manifest: m.source.manifest, sources: m.source.sources, warnings: m.source.warnings } : {}),
    inputs: Object.fromEntries(graphs.map(([g, info]) => [g, tensors(info.inputs)])),
    outputs: Object.fromEntries(graphs.map(([g, info]) => [g, tensors(info.outputs)])),
    ...(rt ? { batching: rt.batching, instances: rt.instances, intra_op_threads: rt.intraOpThreads } : {}),
    queue_depth: rt?.scheduler.depth ?? 0,
    stats: {
      batches: m.stats.batches,
      items: m.stats.items,
      largest_batch: m.stats.largestBatch,
      dropped_aborted: m.stats.dropped.aborted,
      dropped_timeout: m.stats.dropped.timeout,
      dropped_cancelled: m.stats.dropped.cancelled,
      worker_restarts: rt?.pool.restarts ?? 0,
    },
  };
}

/** OpenAI's model object: id, object, created (when the model's folder last changed), owned_by; then ortserve's description. */
async function modelObject(m: ModelEntry) {
  const created = await fs.stat(m.dir).then(
    (st) => Math.floor(st.mtimeMs / 1000),
    () => 0,
  );
  return { id: m.name, object: 'model' as const, created, owned_by: 'ortserve', ...describeModel(m) };
}

const models: FastifyPluginAsyncTypebox = async (app) => {
  app.get('/v1/models', { schema: { tags: ['models', 'openai'], summary: 'List models (OpenAI shape)', response: { 200: ModelObjectList, ...openAIErrors } } }, async () => ({
    object: 'list' as const,
    data: await Promise.all(app.models.list().map(modelObject)),
  }));

  app.get(
    '/v1/models/:model',
    { schema: { tags: ['models', 'openai'], summary: 'One model (OpenAI shape)', params: ModelParams, response: { 200: ModelObject, ...openAIErrors } } },
    async (request) => {
      const { model } = request.params;
      if (!isValidModelName(model)) throw new Errors.INVALID_MODEL_NAME(model);
      const entry = app.models.get(model);
      if (!entry) throw new Errors.MODEL_NOT_FOUND(model);
      return modelObject(entry);
    },
  );
};

export default models;
