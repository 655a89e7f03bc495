// KServe V2 gRPC tensors ↔ the V2 tensors tensor-infer.ts takes, so gRPC shares the JSON and binary
// routes' one path (and fromV2's checks): `raw_input_contents` become `raw` inputs, typed `contents`
// become `data` from the one field that matches the datatype. Outputs go back as typed `contents`,
// or all as `raw_output_contents` when the request sent raw inputs (as Triton answers) or asks for
// an FP16 output (which has no typed field).
import { Errors } from '../../errors.ts';
import type { TensorInfo } from '../../runtime/onnx.ts';
import type { InferOutput, InferRequest } from '../tensor-infer.ts';
import { bytesElement } from '../v2-raw.ts';
import type { V2Tensor } from '../v2-tensors.ts';
import type { InferInputTensor, InferOutputTensor, InferTensorContents, ModelInferRequest, ModelInferResponse } from './proto.ts';

type Field = keyof InferTensorContents;

/** The contents field that carries each datatype's values. FP16 has none: it travels raw. */
const FIELD: Readonly<Record<string, Field>> = Object.freeze({
  BOOL: 'bool_contents',
  INT8: 'int_contents',
  INT16: 'int_contents',
  INT32: 'int_contents',
  INT64: 'int64_contents',
  UINT8: 'uint_contents',
  UINT16: 'uint_contents',
  UINT32: 'uint_contents',
  UINT64: 'uint64_contents',
  FP32: 'fp32_contents',
  FP64: 'fp64_contents',
  BYTES: 'bytes_contents',
});

const bad = (msg: string) => new Errors.INVALID_INPUT(msg);

const FIELDS: readonly Field[] = ['bool_contents', 'int_contents', 'int64_contents', 'uint_contents', 'uint64_contents', 'fp32_contents', 'fp64_contents', 'bytes_contents'];

/** The fields of `contents` that hold values. */
const filled = (contents: InferTensorContents | null | undefined): Field[] => (contents ? FIELDS.filter((f) => (contents[f]?.length ?? 0) > 0) : []);

/** The shape as numbers: dimensions are non-negative integers (REST's schema says so; gRPC has int64). */
function shapeOf(input: InferInputTensor): number[] {
  const shape = input.shape.map(Number);
  if (shape.some((d) => !Number.isSafeInteger(d) || d < 0)) throw bad(`input '${input.name}': shape [${input.shape.join(',')}] has a negative or oversized dimension`);
  return shape;
}

function typedInput(input: InferInputTensor): V2Tensor {
  const { name, datatype } = input;
  const shape = shapeOf(input);
  const field = FIELD[datatype];
  const used = filled(input.contents);
  if (datatype === 'FP16') throw bad(`input '${name}': FP16 has no typed contents field; send its bytes in raw_input_contents`);
  // An unknown datatype: fromV2 names it.
  if (!field) return { name, datatype, shape, data: [] };
  const wrong = used.find((f) => f !== field);
  if (wrong) throw bad(`input '${name}': datatype ${datatype} carries its values in contents.${field}, not contents.${wrong}`);
  const values = input.contents?.[field] ?? [];
  // fromV2 checks each value against the datatype (an INT8 in int_contents within -128..127, an
  // INT64 within the safe-integer range, as the loader reads int64 fields as numbers).
  if (field !== 'bytes_contents') return { name, datatype, shape, data: values, field: `contents.${field}` };
  return { name, datatype, shape, data: (values as Buffer[]).map((b, i) => bytesElement(name, i, b)), field: `contents.${field}` };
}

/**
 * The tensor-infer request for a ModelInferRequest. `outputs` is the model's output list (to find
 * FP16 outputs, which only raw contents can carry).
 */
export function toInferRequest(req: ModelInferRequest, outputs: readonly TensorInfo[]): InferRequest {
  const rawCount = req.raw_input_contents.length;
  let inputs: V2Tensor[];
  if (rawCount > 0) {
    if (rawCount !== req.inputs.length) {
      throw bad(`raw_input_contents has ${rawCount} entries for ${req.inputs.length} inputs; send one per input, in the order of 'inputs'`);
    }
    inputs = req.inputs.map((input, i) => {
      if (filled(input.contents).length > 0) throw bad(`input '${input.name}' has typed contents while the request uses raw_input_contents; send one or the other`);
      return { name: input.name, datatype: input.datatype, shape: shapeOf(input), raw: req.raw_input_contents[i]! };
    });
  } else {
    inputs = req.inputs.map(typedInput);
  }
  const names = req.outputs.map((o) => o.name);
  const wanted = names.length > 0 ? names : outputs.filter((o) => o.isTensor).map((o) => o.name);
  const fp16 = outputs.some((o) => o.type === 'float16' && wanted.includes(o.name));
  return { inputs, ...(names.length > 0 ? { outputs: names.map((name) => ({ name })) } : {}), raw: rawCount > 0 || fp16 };
}

function typedContents(o: InferOutput & { data: unknown[] }): Partial<InferTensorContents> {
  const field = FIELD[o.datatype];
  if (!field) throw new Error(`output '${o.name}' of datatype ${o.datatype} has no typed contents field. This is a bug.`);
  const values = field === 'bytes_contents' ? (o.data as string[]).map((s) => Buffer.from(s, 'utf8')) : o.data;
  return { [field]: values };
}

/** The ModelInferResponse for tensor-infer's outputs (all raw, or all typed). */
export function toInferResponse(head: { model_name: string; model_version: string; id: string }, outputs: InferOutput[]): ModelInferResponse {
  const raw = outputs.flatMap((o) => ('raw' in o ? [Buffer.from(o.raw.buffer, o.raw.byteOffset, o.raw.byteLength)] : []));
  if (raw.length > 0 && raw.length !== outputs.length) throw new Error('some outputs are raw and others typed. This is a bug.');
  const tensors = outputs.map((o): InferOutputTensor => ({
    name: o.name,
    datatype: o.datatype,
    shape: o.shape,
    ...('data' in o ? { contents: typedContents(o) } : {}),
  }));
  return { ...head, outputs: tensors, raw_output_contents: raw };
}
