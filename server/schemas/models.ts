// Schemas of the model listing routes.
import { Type } from 'typebox';

const TensorInfo = Type.Object({
  name: Type.String(),
  datatype: Type.String(),
  shape: Type.Array(Type.Integer()),
});

export const ModelInfo = Type.Object({
  name: Type.String(),
  task: Type.Union([Type.String(), Type.Null()]),
  state: Type.Enum(['loading', 'ready', 'failed', 'unavailable']),
  error: Type.Optional(Type.String()),
  reload_error: Type.Optional(Type.String({ description: 'Why the last reload failed; the version shown keeps serving' })),
  description: Type.Optional(Type.String()),
  version: Type.Optional(Type.String()),
  versions: Type.Optional(Type.Array(Type.String())),
  routes: Type.Array(Type.String(), { description: "The model's task routes (POST), then its KServe V2 infer route" }),
  labels: Type.Optional(Type.Array(Type.String())),
  manifest: Type.Optional(Type.Record(Type.String(), Type.Unknown(), { description: 'The effective manifest: manifest.json over the fields derived from a Hugging Face folder' })),
  sources: Type.Optional(Type.Record(Type.String(), Type.String(), { description: "Manifest field → where its value came from: 'manifest.json', 'default' or a Hugging Face file and field" })),
  warnings: Type.Optional(Type.Array(Type.String(), { description: 'What a Hugging Face folder lacks, e.g. why it is served through KServe V2 only' })),
  inputs: Type.Record(Type.String(), Type.Array(TensorInfo)),
  outputs: Type.Record(Type.String(), Type.Array(TensorInfo)),
  batching: Type.Optional(
    Type.Object({
      max_batch_size: Type.Integer(),
      max_queue_delay_ms: Type.Integer(),
      max_queue_size: Type.Integer(),
      timeout_ms: Type.Integer(),
      max_batch_tokens: Type.Integer(),
      max_padding_ratio: Type.Number(),
    }),
  ),
  instances: Type.Optional(Type.Integer()),
  intra_op_threads: Type.Optional(Type.Integer()),
  queue_depth: Type.Integer(),
  stats: Type.Object({
    batches: Type.Integer(),
    items: Type.Integer(),
    largest_batch: Type.Integer(),
    dropped_aborted: Type.Integer(),
    dropped_timeout: Type.Integer(),
    dropped_cancelled: Type.Integer(),
    worker_restarts: Type.Integer(),
  }),
});
