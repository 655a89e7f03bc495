// Request and response schemas of the Hugging Face text-head routes: text classification on /classify, token
// classification, and Text Embeddings Inference's /predict and /rerank shapes (router/src/http/types.rs).
import { Type, type Static } from 'typebox';
import { TimeoutMs } from './tasks.ts';

/** Most inputs of one text-task request. */
export const MAX_INPUTS = 256;
/** A text: at most the model's max_length × 10 characters, cut there when truncating, else 413 (pipelines/tokenizer.ts). */
const Text = Type.String();
const Timeout = Type.Optional(TimeoutMs);
const AGGREGATION = ['none', 'simple', 'first', 'max', 'average'] as const;

export const TextClassifyBody = Type.Object(
  {
    inputs: Type.Union(
      [Text, Type.Array(Type.Union([Text, Type.Array(Text), Type.Object({ text: Text, text_pair: Type.Optional(Text) }, { additionalProperties: false })]), { minItems: 1, maxItems: MAX_INPUTS })],
      { description: 'A text, or a list of texts, [text, text_pair] pairs and {"text", "text_pair"} objects (Hugging Face pipeline inputs)' },
    ),
    top_k: Type.Optional(Type.Union([Type.Integer({ minimum: 1, maximum: 1000 }), Type.Null()], { description: 'Labels per input, best first (default 5); null for all labels' })),
    truncate: Type.Optional(Type.Boolean({ description: 'Cut inputs longer than the model allows (default true); false answers 422 instead' })),
    timeout_ms: Timeout,
  },
  { additionalProperties: false, title: 'text-classification' },
);
export type TextClassifyBody = Static<typeof TextClassifyBody>;

export const TokenClassificationBody = Type.Object(
  {
    inputs: Type.Union([Text, Type.Array(Text, { minItems: 1, maxItems: MAX_INPUTS })]),
    aggregation_strategy: Type.Optional(Type.Enum(AGGREGATION, { description: "How word pieces become entities, as Hugging Face's pipeline does it (default: the model's, else none)" })),
    ignore_labels: Type.Optional(Type.Array(Type.String(), { maxItems: 1000, description: 'Labels left out of the answer (default ["O"])' })),
    truncate: Type.Optional(Type.Boolean({ description: 'Cut inputs longer than the model allows (default true)' })),
    timeout_ms: Timeout,
  },
  { additionalProperties: false },
);
export type TokenClassificationBody = Static<typeof TokenClassificationBody>;

const Entity = Type.Object({
  entity: Type.Optional(Type.String({ description: 'The label (strategy none)' })),
  entity_group: Type.Optional(Type.String({ description: 'The entity type (every other strategy)' })),
  score: Type.Number(),
  index: Type.Optional(Type.Integer({ description: 'Position in the token sequence (strategy none)' })),
  word: Type.String({ description: 'The tokens decoded (as Hugging Face gives it)' }),
  start: Type.Integer({ description: 'Offset of the first character in the text, in Unicode code points' }),
  end: Type.Integer({ description: 'Offset after the last character' }),
});

export const TokenClassificationResponse = Type.Object({
  model: Type.String(),
  results: Type.Array(Type.Object({ entities: Type.Array(Entity) }), { description: 'One entry per input' }),
});

// Text Embeddings Inference: unknown fields are ignored as TEI (serde) does.
const TruncationDirection = Type.Optional(Type.Enum(['Left', 'Right'], { description: 'Which end a truncated input loses (default Right)' }));

export const PredictBody = Type.Object({
  inputs: Type.Union([Text, Type.Array(Type.Union([Text, Type.Array(Text)]), { minItems: 1, maxItems: MAX_INPUTS })], {
    description: 'A text, a [text, text_pair] pair, or a batch [[text], [text, text_pair], …] (TEI /predict)',
  }),
  truncate: Type.Optional(Type.Union([Type.Boolean(), Type.Null()], { description: 'Default false: a too-long input is a 422' })),
  truncation_direction: TruncationDirection,
  raw_scores: Type.Optional(Type.Boolean({ description: 'Logits instead of softmax (several labels) or sigmoid (one label)' })),
  timeout_ms: Timeout,
});
export type PredictBody = Static<typeof PredictBody>;

const Prediction = Type.Object({ score: Type.Number(), label: Type.String() });
export const PredictResponse = Type.Union([Type.Array(Prediction), Type.Array(Type.Array(Prediction))], {
  description: 'All labels by descending score; a list of such lists for a batch',
});

export const RerankBody = Type.Object({
  query: Text,
  texts: Type.Array(Text, { minItems: 1, maxItems: MAX_INPUTS }),
  truncate: Type.Optional(Type.Union([Type.Boolean(), Type.Null()])),
  truncation_direction: TruncationDirection,
  raw_scores: Type.Optional(Type.Boolean({ description: 'The logit instead of its sigmoid' })),
  return_text: Type.Optional(Type.Boolean({ description: 'Echo each text in its rank' })),
  timeout_ms: Timeout,
});
export type RerankBody = Static<typeof RerankBody>;

export const RerankResponse = Type.Array(Type.Object({ index: Type.Integer(), text: Type.Optional(Type.String()), score: Type.Number() }), {
  description: 'The texts by descending score; index is the position in the request',
});
