// Schemas of a model's Hugging Face base (/hf/models/:model): Text Embeddings Inference's routes in its
// request and response shapes (docs/openapi.json of text-embeddings-inference, vendored under
// tests/compat/vendor/tei/), and the task bodies Hugging Face Inference Endpoints take at the base
// itself. Unknown fields are ignored, as TEI (serde) and the endpoints do.
import { Type, type Static, type TSchema } from 'typebox';
import { MAX_INPUTS } from './text-tasks.ts';
import { TimeoutMs } from './tasks.ts';

export const TeiError = Type.Object(
  { error: Type.String(), error_type: Type.Enum(['Unhealthy', 'Backend', 'Overloaded', 'Validation', 'Tokenizer']) },
  { description: "Text Embeddings Inference's error body; statuses as TEI's: 413 and 422 Validation, 424 Backend, 429 Overloaded, 503 Unhealthy" },
);
export const teiErrors = { 400: TeiError, 404: TeiError, 413: TeiError, 415: TeiError, 422: TeiError, 424: TeiError, 429: TeiError, 500: TeiError, 503: TeiError, 504: TeiError };

const Text = Type.String();
const TokenIds = Type.Array(Type.Integer({ minimum: 0 }), { minItems: 1 });
/** TEI's Input: a text, token ids, or a batch of either. */
const Inputs = Type.Union([Text, TokenIds, Type.Array(Type.Union([Text, TokenIds]), { minItems: 1, maxItems: MAX_INPUTS })]);
const Nullable = <T extends TSchema>(t: T) => Type.Optional(Type.Union([t, Type.Null()]));
const TruncationDirection = Type.Optional(Type.Enum(['Left', 'Right'], { description: 'Which end a truncated input loses (default Right)' }));
const PromptName = Nullable(Type.String({ description: 'Not supported (no sentence-transformers prompts): must be absent or null' }));

export const TeiEmbedBody = Type.Object({
  inputs: Inputs,
  normalize: Type.Optional(Type.Boolean({ description: 'Default true' })),
  truncate: Nullable(Type.Boolean({ description: 'Default false: a too-long input is a 413' })),
  truncation_direction: TruncationDirection,
  prompt_name: PromptName,
  timeout_ms: Type.Optional(TimeoutMs),
});
export type TeiEmbedBody = Static<typeof TeiEmbedBody>;

export const TeiEmbedAllBody = Type.Object({
  inputs: Inputs,
  truncate: Nullable(Type.Boolean({ description: 'Default false' })),
  truncation_direction: TruncationDirection,
  prompt_name: PromptName,
  timeout_ms: Type.Optional(TimeoutMs),
});

export const TeiTokenizeBody = Type.Object({
  inputs: Type.Union([Text, Type.Array(Text, { minItems: 1, maxItems: MAX_INPUTS })]),
  add_special_tokens: Type.Optional(Type.Boolean({ description: 'Default true' })),
  prompt_name: PromptName,
});

const Ids = Type.Array(Type.Integer({ minimum: 0 }), { maxItems: 4096 });
export const TeiDecodeBody = Type.Object({
  ids: Type.Union([Ids, Type.Array(Ids, { minItems: 1, maxItems: MAX_INPUTS })]),
  skip_special_tokens: Type.Optional(Type.Boolean({ description: 'Default true' })),
});

export const TeiEmbedResponse = Type.Array(Type.Array(Type.Number()), { description: 'One vector per input' });
export const TeiEmbedAllResponse = Type.Array(Type.Array(Type.Array(Type.Number())), { description: "One vector per token, per input (the encoder's output, unpooled)" });
export const TeiTokenizeResponse = Type.Array(
  Type.Array(Type.Object({ id: Type.Integer(), text: Type.String(), special: Type.Boolean(), start: Type.Union([Type.Integer(), Type.Null()]), stop: Type.Union([Type.Integer(), Type.Null()]) })),
  { description: 'Per input, its tokens; start and stop are UTF-8 byte offsets into the input (null for special tokens)' },
);
export const TeiDecodeResponse = Type.Array(Type.String());

const ClassifierModel = Type.Object({ id2label: Type.Record(Type.String(), Type.String()), label2id: Type.Record(Type.String(), Type.Integer()) });
export const TeiInfo = Type.Object({
  model_id: Type.String(),
  model_sha: Type.Null(),
  model_dtype: Type.String(),
  model_type: Type.Union([Type.Object({ embedding: Type.Object({ pooling: Type.String() }) }), Type.Object({ classifier: ClassifierModel }), Type.Object({ reranker: ClassifierModel })]),
  max_concurrent_requests: Type.Integer(),
  max_input_length: Type.Integer(),
  max_batch_tokens: Type.Integer(),
  max_batch_requests: Type.Integer(),
  max_client_batch_size: Type.Integer(),
  auto_truncate: Type.Boolean(),
  tokenization_workers: Type.Integer(),
  version: Type.String(),
  sha: Type.Null(),
  docker_label: Type.Null(),
});

// Hugging Face Inference Endpoints' task bodies at the base: {"inputs", "parameters"}.
const TaskInputs = Type.Union([Text, Type.Array(Text, { minItems: 1, maxItems: MAX_INPUTS })]);

export const HfTextClassificationBody = Type.Object(
  {
    inputs: TaskInputs,
    parameters: Type.Optional(
      Type.Object({
        function_to_apply: Type.Optional(Type.Enum(['sigmoid', 'softmax', 'none'], { description: "Default: the model's" })),
        top_k: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, description: 'Default: every label' })),
      }),
    ),
    timeout_ms: Type.Optional(TimeoutMs),
  },
  { title: 'text-classification' },
);
export type HfTextClassificationBody = Static<typeof HfTextClassificationBody>;

export const HfTokenClassificationBody = Type.Object(
  {
    inputs: TaskInputs,
    parameters: Type.Optional(
      Type.Object({
        aggregation_strategy: Type.Optional(Type.Enum(['none', 'simple', 'first', 'max', 'average'], { description: "Default: the model's, else simple (as the hosted endpoints)" })),
        ignore_labels: Type.Optional(Type.Array(Type.String(), { maxItems: 1000 })),
      }),
    ),
    timeout_ms: Type.Optional(TimeoutMs),
  },
  { title: 'token-classification' },
);
export type HfTokenClassificationBody = Static<typeof HfTokenClassificationBody>;

export const HfFillMaskBody = Type.Object(
  {
    inputs: TaskInputs,
    parameters: Type.Optional(
      Type.Object({ top_k: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, description: 'Default 5' })), targets: Type.Optional(Type.Unknown({ description: 'Not supported' })) }),
    ),
    timeout_ms: Type.Optional(TimeoutMs),
  },
  { title: 'fill-mask' },
);
export type HfFillMaskBody = Static<typeof HfFillMaskBody>;
