// The model manifest (models/README.md documents it field by field): TypeBox schema,
// defaults, and validation with messages that name the offending field.
import { Type, type Static } from 'typebox';
import { Value } from 'typebox/value';
import { MODEL_BOUNDS } from '../config.ts';

const Int = (min = 0) => Type.Integer({ minimum: min });
/** An integer field a setting can override: the setting's bounds (config.ts), so both accept the same values. */
const Bounded = (b: { min: number; max?: number }) => Type.Integer({ minimum: b.min, ...(b.max === undefined ? {} : { maximum: b.max }) });

export const TASKS = ['image-classification', 'text-generation', 'image-generation', 'text-embedding', 'text-classification', 'token-classification', 'fill-mask'] as const;
const Names = Type.Record(Type.String(), Type.String());

export const BatchingSchema = Type.Object({
  max_batch_size: Type.Optional(Bounded(MODEL_BOUNDS.maxBatchSize)),
  max_queue_delay_ms: Type.Optional(Bounded(MODEL_BOUNDS.maxQueueDelayMs)),
  max_queue_size: Type.Optional(Bounded(MODEL_BOUNDS.maxQueueSize)),
  max_queue_bytes: Type.Optional(Int(1)),
  timeout_ms: Type.Optional(Bounded(MODEL_BOUNDS.timeoutMs)),
  max_batch_tokens: Type.Optional(Int(1)),
  max_padding_ratio: Type.Optional(Type.Number({ minimum: MODEL_BOUNDS.maxPaddingRatio.min })),
});

export const ImageSpecSchema = Type.Object({
  width: Int(1),
  height: Int(1),
  channels: Type.Enum([1, 3]),
  layout: Type.Optional(Type.Enum(['NCHW', 'NHWC'])),
  fit: Type.Optional(Type.Enum(['fill', 'contain', 'cover'])),
  background: Type.Optional(Type.Array(Type.Number(), { minItems: 1, maxItems: 3 })),
  invert: Type.Optional(Type.Union([Type.Boolean(), Type.Literal('auto')])),
  scale: Type.Optional(Type.Number()),
  mean: Type.Optional(Type.Array(Type.Number())),
  std: Type.Optional(Type.Array(Type.Number())),
  /** Resize before cropping (Hugging Face image processors): the shortest edge to a length, or an exact size. */
  resize: Type.Optional(Type.Union([Type.Object({ shortest_edge: Int(1) }), Type.Object({ height: Int(1), width: Int(1) })])),
  /** Center crop after resizing; the result is width × height. */
  crop: Type.Optional(Type.Object({ height: Int(1), width: Int(1) })),
  resample: Type.Optional(Type.Enum(['nearest', 'bilinear', 'bicubic', 'lanczos'])),
});

export const StateSchema = Type.Object({
  input: Type.String(),
  output: Type.String(),
  shape: Type.Array(Type.Integer()),
});

export const VocabularySchema = Type.Object({
  type: Type.Enum(['chars', 'bytes']),
  tokens: Type.Optional(Type.Array(Type.String())),
  unknown: Type.Optional(Int(0)),
});

export const ManifestSchema = Type.Object({
  name: Type.Optional(Type.String()),
  task: Type.Optional(Type.Enum(TASKS)),
  description: Type.Optional(Type.String()),
  graphs: Type.Optional(Names),
  inputs: Type.Optional(Names),
  outputs: Type.Optional(Names),
  labels: Type.Optional(Type.Array(Type.String())),
  batching: Type.Optional(BatchingSchema),
  instances: Type.Optional(Bounded(MODEL_BOUNDS.instances)),
  intra_op_threads: Type.Optional(Bounded(MODEL_BOUNDS.intraOpThreads)),
  // image-classification
  scores: Type.Optional(Type.Enum(['logits', 'probabilities', 'log_probabilities'])),
  image: Type.Optional(ImageSpecSchema),
  // text-generation
  state: Type.Optional(Type.Array(StateSchema)),
  vocabulary: Type.Optional(VocabularySchema),
  max_tokens: Type.Optional(Int(1)),
  // image-generation
  latent_dim: Type.Optional(Int(1)),
  output_range: Type.Optional(Type.Tuple([Type.Number(), Type.Number()])),
  // text-embedding
  tokenizer: Type.Optional(Type.String()),
  max_length: Type.Optional(Int(1)),
  mlm: Type.Optional(Type.Object({ input: Type.String(), output: Type.String() })),
  attention: Type.Optional(Type.Object({ output: Type.String() })),
  pooling: Type.Optional(Type.Enum(['mean', 'cls', 'max'])),
  normalize: Type.Optional(Type.Boolean()),
  // text-classification: what turns logits into scores (Hugging Face's function_to_apply)
  function_to_apply: Type.Optional(Type.Enum(['softmax', 'sigmoid', 'none'])),
  // token-classification
  aggregation_strategy: Type.Optional(Type.Enum(['none', 'simple', 'first', 'max', 'average'])),
  ignore_labels: Type.Optional(Type.Array(Type.String())),
});

export type Manifest = Static<typeof ManifestSchema>;
export type Task = NonNullable<Manifest['task']>;
export type Batching = Required<Static<typeof BatchingSchema>>;
export type ImageSpec = Static<typeof ImageSpecSchema>;

export const DEFAULT_BATCHING: Batching = Object.freeze({
  max_batch_size: 32,
  max_queue_delay_ms: 2,
  max_queue_size: 256,
  max_queue_bytes: 128 * 1024 * 1024,
  timeout_ms: 30_000,
  max_batch_tokens: 8192,
  max_padding_ratio: 1.1,
});

/** Validates parsed JSON; throws an Error naming every offending field. */
export function parseManifest(json: unknown): Manifest {
  if (Value.Check(ManifestSchema, json)) return json;
  const problems = Value.Errors(ManifestSchema, json)
    .slice(0, 5)
    .map((e) => {
      const allowed = (e.params as { allowedValues?: unknown[] }).allowedValues;
      return `${e.instancePath || '/'}: ${e.message.replace(/ \{.*$/, '')}${allowed ? ` (${allowed.join(', ')})` : ''}`;
    });
  throw new Error(`invalid manifest: ${problems.join('; ')}`);
}

/** Task-specific requirements the schema cannot express. */
export function checkTaskFields(m: Manifest): void {
  const need = (cond: unknown, what: string) => {
    if (!cond) throw new Error(`invalid manifest: task '${m.task}' needs ${what}`);
  };
  switch (m.task) {
    case 'image-classification':
      need(m.image, '"image" (input size and normalisation)');
      break;
    case 'text-generation':
      need(m.vocabulary, '"vocabulary"');
      need(m.vocabulary?.type === 'bytes' || m.vocabulary?.tokens?.length, '"vocabulary.tokens" for type "chars"');
      break;
    case 'image-generation':
      need(m.latent_dim, '"latent_dim"');
      break;
    case 'text-embedding':
    case 'text-classification':
    case 'token-classification':
    case 'fill-mask':
      need(m.tokenizer, '"tokenizer" (a tokenizer.json file)');
      break;
    case undefined:
      break;
  }
}
