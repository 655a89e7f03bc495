// KServe V2 (Open Inference Protocol) HTTP schemas.
import { Type, type Static } from 'typebox';

export const V2Error = Type.Object({ error: Type.String() }, { description: 'KServe V2 error body' });

export const V2Params = Type.Object({
  model: Type.String({ minLength: 1, maxLength: 128 }),
  version: Type.Optional(Type.String({ pattern: '^[0-9]+$', description: 'Model version (numbered folder)' })),
});
export type V2Params = Static<typeof V2Params>;

const V2TensorMeta = Type.Object({ name: Type.String(), datatype: Type.String(), shape: Type.Array(Type.Integer()) });

export const V2ModelMetadata = Type.Object({
  name: Type.String(),
  versions: Type.Array(Type.String()),
  platform: Type.String(),
  inputs: Type.Array(V2TensorMeta),
  outputs: Type.Array(V2TensorMeta),
});

const Parameters = Type.Record(Type.String(), Type.Unknown());

export const V2InferBody = Type.Object({
  id: Type.Optional(Type.String()),
  parameters: Type.Optional(Parameters),
  inputs: Type.Array(
    Type.Object({
      name: Type.String(),
      shape: Type.Array(Type.Integer({ minimum: 0 })),
      datatype: Type.String(),
      parameters: Type.Optional(Parameters),
      data: Type.Optional(Type.Unknown({ description: 'flat or nested array in row-major order; absent when the tensor is sent as binary data (parameters.binary_data_size)' })),
    }),
    { minItems: 1 },
  ),
  outputs: Type.Optional(Type.Array(Type.Object({ name: Type.String(), parameters: Type.Optional(Parameters) }))),
});
export type V2InferBody = Static<typeof V2InferBody>;

export const V2InferResponse = Type.Object({
  model_name: Type.String(),
  model_version: Type.String(),
  id: Type.Optional(Type.String()),
  parameters: Type.Optional(Parameters),
  outputs: Type.Array(
    Type.Object({
      name: Type.String(),
      datatype: Type.String(),
      shape: Type.Array(Type.Integer()),
      parameters: Type.Optional(Parameters),
      data: Type.Optional(Type.Array(Type.Unknown(), { description: 'absent for an output sent as binary data (parameters.binary_data_size)' })),
    }),
  ),
});

export const V2BinaryResponse = Type.Unsafe<Buffer>(
  Type.String({
    format: 'binary',
    description: 'binary tensor data extension: the JSON response (Inference-Header-Content-Length bytes), then the data of each output with parameters.binary_data_size, in order',
  }),
);
