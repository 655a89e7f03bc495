// GET /v1/models and /v1/models/:model: every model with its state, error, task, routes, I/O and batching, its
// effective manifest with the file each value came from, and the warnings of a Hugging Face folder.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Errors } from '../errors.ts';
import type { ModelEntry } from '../models/entry.ts';
import type { TensorInfo } from '../runtime/onnx.ts';
import { isValidModelName } from '../repository/repository.ts';
import { ErrorBody, ModelParams } from '../schemas/common.ts';
import { ModelInfo, ModelList } from '../schemas/models.ts';

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

const models: FastifyPluginAsyncTypebox = async (app) => {
  app.get('/v1/models', { schema: { tags: ['models'], summary: 'List models', response: { 200: ModelList } } }, async () => ({
    models: app.models.list().map(describeModel),
  }));

  app.get('/v1/models/:model', { schema: { tags: ['models'], summary: 'One model', params: ModelParams, response: { 200: ModelInfo, 400: ErrorBody, 404: ErrorBody } } }, async (request) => {
    const { model } = request.params;
    if (!isValidModelName(model)) throw new Errors.INVALID_MODEL_NAME(model);
    const entry = app.models.get(model);
    if (!entry) throw new Errors.MODEL_NOT_FOUND(model);
    return describeModel(entry);
  });
};

export default models;
