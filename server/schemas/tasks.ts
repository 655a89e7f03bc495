// Request and response schemas of the per-model task routes.
import { Type, type Static } from 'typebox';
import { MAX_DURATION_MS } from '../config.ts';

/** A request's own deadline: at most the longest timer (2^31 − 1 ms), and capped by the model's batching.timeout_ms. */
export const TimeoutMs = Type.Integer({ minimum: 1, maximum: MAX_DURATION_MS, description: `Deadline for this request in ms (1 to ${MAX_DURATION_MS}; capped by the model timeout_ms)` });

export const ClassifyQuery = Type.Object({
  top_k: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 5, description: 'Labels per image' })),
  timeout_ms: Type.Optional(TimeoutMs),
});
export type ClassifyQuery = Static<typeof ClassifyQuery>;

export const ClassifyJsonBody = Type.Object({
  images: Type.Array(Type.String({ minLength: 1, description: 'base64-encoded image file' }), { minItems: 1 }),
});

export const ClassifyResponse = Type.Object({
  model: Type.String(),
  results: Type.Array(
    Type.Object({
      predictions: Type.Array(Type.Object({ label: Type.String(), index: Type.Integer(), score: Type.Number() })),
    }),
  ),
});

export const TextGenerateBody = Type.Object(
  {
    prompt: Type.String({ maxLength: 4096 }),
    max_tokens: Type.Optional(Type.Integer({ minimum: 1, default: 128 })),
    temperature: Type.Optional(Type.Number({ minimum: 0, maximum: 5, default: 0.8 })),
    top_k: Type.Optional(Type.Integer({ minimum: 0, default: 0 })),
    top_p: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 1, default: 1 })),
    seed: Type.Optional(Type.Integer({ minimum: 0, maximum: 2 ** 31 - 1 })),
    stop: Type.Optional(Type.Union([Type.String({ minLength: 1 }), Type.Array(Type.String({ minLength: 1 }), { maxItems: 8 })])),
    stream: Type.Optional(Type.Boolean({ default: false })),
    timeout_ms: Type.Optional(TimeoutMs),
  },
  { additionalProperties: false, title: 'text-generation' },
);
export type TextGenerateBody = Static<typeof TextGenerateBody>;

export const TextGenerateResponse = Type.Object({
  model: Type.String(),
  text: Type.String(),
  tokens: Type.Integer(),
  finish_reason: Type.Union([Type.Literal('length'), Type.Literal('stop')]),
  seed: Type.Integer(),
});

const Label = Type.Union([Type.String({ minLength: 1 }), Type.Integer({ minimum: 0 })]);

export const ImageGenerateBody = Type.Object(
  {
    count: Type.Optional(Type.Integer({ minimum: 1, maximum: 64, default: 1 })),
    seed: Type.Optional(Type.Integer({ minimum: 0, maximum: 2 ** 31 - 1 })),
    label: Type.Optional(Label),
    timeout_ms: Type.Optional(TimeoutMs),
  },
  { additionalProperties: false, title: 'image-generation' },
);
export type ImageGenerateBody = Static<typeof ImageGenerateBody>;

export const GenerateBody = Type.Union([TextGenerateBody, ImageGenerateBody], {
  description: 'text-generation models take a prompt; image-generation models take count/seed/label',
});

export const GeneratedImages = Type.Object({
  model: Type.String(),
  images: Type.Array(Type.Object({ seed: Type.Integer(), label: Type.Union([Type.String(), Type.Null()]), png: Type.String({ description: 'base64 PNG' }) })),
});

export const GenerateResponse = Type.Union([TextGenerateResponse, GeneratedImages]);

export const InterpolateBody = Type.Object(
  {
    from_seed: Type.Integer({ minimum: 0, maximum: 2 ** 31 - 1 }),
    to_seed: Type.Integer({ minimum: 0, maximum: 2 ** 31 - 1 }),
    steps: Type.Optional(Type.Integer({ minimum: 2, maximum: 64, default: 8 })),
    label: Type.Optional(Label),
    timeout_ms: Type.Optional(TimeoutMs),
  },
  { additionalProperties: false },
);
export type InterpolateBody = Static<typeof InterpolateBody>;

export const EmbedBody = Type.Object(
  {
    inputs: Type.Union([Type.String(), Type.Array(Type.String(), { minItems: 1, maxItems: 256 })]),
    pooling: Type.Optional(Type.Union([Type.Literal('mean'), Type.Literal('cls'), Type.Literal('max')], { description: "Default: the model's (manifest pooling)" })),
    normalize: Type.Optional(Type.Boolean({ description: "Default: the model's (manifest normalize, else true)" })),
    truncate: Type.Optional(Type.Boolean({ default: true })),
    timeout_ms: Type.Optional(TimeoutMs),
  },
  { additionalProperties: false },
);
export type EmbedBody = Static<typeof EmbedBody>;

export const EmbedResponse = Type.Object({
  model: Type.String(),
  embeddings: Type.Array(Type.Array(Type.Number())),
  dimensions: Type.Integer(),
  usage: Type.Object({ tokens: Type.Integer() }),
});

export const FillMaskBody = Type.Object(
  {
    text: Type.String({ description: "At most the model's max_length × 10 characters (413 ORT_TEXT_TOO_LONG past it)" }),
    top_k: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 5 })),
    timeout_ms: Type.Optional(TimeoutMs),
  },
  { additionalProperties: false },
);
export type FillMaskBody = Static<typeof FillMaskBody>;

export const FillMaskResponse = Type.Object({
  model: Type.String(),
  masks: Type.Array(
    Type.Object({
      position: Type.Integer(),
      predictions: Type.Array(Type.Object({ token: Type.String(), token_id: Type.Integer(), score: Type.Number(), sequence: Type.String() })),
    }),
  ),
});

export const TextBody = Type.Object(
  {
    text: Type.String({ description: "At most the model's max_length × 10 characters (413 ORT_TEXT_TOO_LONG past it)" }),
    truncate: Type.Optional(Type.Boolean({ default: false })),
    timeout_ms: Type.Optional(TimeoutMs),
  },
  { additionalProperties: false },
);
export type TextBody = Static<typeof TextBody>;

export const AttentionResponse = Type.Object({
  model: Type.String(),
  tokens: Type.Array(Type.String()),
  attentions: Type.Array(Type.Array(Type.Array(Type.Array(Type.Number()))), { description: '[layer][head][from][to]' }),
});

export const TokenizeResponse = Type.Object({
  model: Type.String(),
  ids: Type.Array(Type.Integer()),
  tokens: Type.Array(Type.String()),
  truncated: Type.Boolean(),
});
