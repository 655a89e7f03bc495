// Schemas of the OpenAI-compatible routes: the error object, model objects (OpenAI's four fields, then
// ortserve's description of the model), and embeddings.
import { Type, type Static } from 'typebox';
import { ModelInfo } from './models.ts';
import { TimeoutMs } from './tasks.ts';

export const OpenAIError = Type.Object(
  {
    error: Type.Object({ message: Type.String(), type: Type.String(), param: Type.Union([Type.String(), Type.Null()]), code: Type.Union([Type.String(), Type.Null()]) }),
  },
  { description: "OpenAI's error object; code is ortserve's stable error code (see server/errors.ts)" },
);

export const openAIErrors = { 400: OpenAIError, 404: OpenAIError, 413: OpenAIError, 415: OpenAIError, 422: OpenAIError, 429: OpenAIError, 500: OpenAIError, 503: OpenAIError, 504: OpenAIError };

export const ModelObject = Type.Object(
  {
    id: Type.String({ description: 'The model name' }),
    object: Type.Literal('model'),
    created: Type.Integer({ description: "Unix seconds: when the model's folder last changed" }),
    owned_by: Type.String(),
    ...ModelInfo.properties,
  },
  { description: "OpenAI's model object; the fields after owned_by are ortserve's (an OpenAI client ignores them)" },
);

export const ModelObjectList = Type.Object({ object: Type.Literal('list'), data: Type.Array(ModelObject) });

const TokenIds = Type.Array(Type.Integer(), { minItems: 1 });

export const EmbeddingsBody = Type.Object({
  // OpenAI's own limit; the model's queue bounds it further (413 ORT_TOO_MANY_INPUTS past max_queue_size).
  input: Type.Union([Type.String(), Type.Array(Type.String(), { minItems: 1, maxItems: 2048 }), TokenIds, Type.Array(TokenIds, { minItems: 1, maxItems: 2048 })], {
    description: 'A text or a list of texts. Token-id arrays (OpenAI accepts them) are refused with a 400: the model tokenizes with its own vocabulary, so send text',
  }),
  model: Type.String({ minLength: 1 }),
  encoding_format: Type.Optional(Type.Enum(['float', 'base64'])),
  dimensions: Type.Optional(Type.Integer({ minimum: 1 })),
  user: Type.Optional(Type.String()),
  timeout_ms: Type.Optional(TimeoutMs),
});
export type EmbeddingsBody = Static<typeof EmbeddingsBody>;

export const EmbeddingsResponse = Type.Object({
  object: Type.Literal('list'),
  data: Type.Array(Type.Object({ object: Type.Literal('embedding'), index: Type.Integer(), embedding: Type.Union([Type.Array(Type.Number()), Type.String()]) })),
  model: Type.String(),
  usage: Type.Object({ prompt_tokens: Type.Integer(), total_tokens: Type.Integer() }),
});
