// KServe V2 (Open Inference Protocol) tensors ↔ onnxruntime tensors: datatype names, nested or
// flat JSON `data` or raw bytes (v2-raw.ts), shape checks and per-datatype value checks (integer
// ranges, finite floats) with messages that name the tensor and the element.
import { Errors } from '../errors.ts';
import type { TensorInfo, TensorType, TensorValue } from '../runtime/onnx.ts';
import { decodeRaw, V2_DATATYPES } from './v2-raw.ts';

const V2_TO_ORT: Record<string, TensorType> = Object.fromEntries(Object.entries(V2_DATATYPES).map(([v2, d]) => [v2, d.type]));
const ORT_TO_V2 = Object.fromEntries(Object.entries(V2_TO_ORT).map(([v2, ort]) => [ort, v2])) as Record<string, string>;

export function v2Datatype(type: string | undefined): string {
  return (type && ORT_TO_V2[type]) ?? 'UNSUPPORTED';
}

export interface V2Tensor {
  name: string;
  datatype: string;
  shape: number[];
  /** JSON data: flat or nested, row-major. */
  data?: unknown;
  /** Or the tensor's raw bytes (gRPC raw_input_contents, REST binary extension); exactly one of the two. */
  raw?: Uint8Array;
  /** What the JSON values are called in messages: 'data' unless said (gRPC: its contents field). */
  field?: string;
}

/** Row-major leaves of nested arrays; iterative, so any nesting depth a JSON body can carry is fine. */
function flatten(data: unknown): unknown[] {
  const out: unknown[] = [];
  const stack: unknown[] = [data];
  while (stack.length > 0) {
    const d = stack.pop();
    if (Array.isArray(d)) for (let i = d.length - 1; i >= 0; i--) stack.push(d[i]);
    else out.push(d);
  }
  return out;
}

/** A bad value for a message: scalars as JSON, containers only by kind (they may be nested arbitrarily deep). */
const shown = (v: unknown): string => (typeof v === 'object' && v !== null ? (Array.isArray(v) ? 'an array' : 'an object') : String(JSON.stringify(v)));

const bad = (msg: string) => new Errors.INVALID_INPUT(msg);

type Data = TensorValue['data'];

/**
 * The JSON values each integer datatype takes: integers within its range. INT64 and UINT64 take
 * JSON numbers within the safe-integer range (±(2^53 − 1)), the integers a JSON number carries
 * exactly; larger ones travel as binary data (raw bytes).
 */
const INTEGERS: Partial<Record<TensorType, { min: number; max: number; from: (v: number[]) => Data }>> = Object.freeze({
  int8: { min: -(2 ** 7), max: 2 ** 7 - 1, from: (v: number[]) => Int8Array.from(v) },
  uint8: { min: 0, max: 2 ** 8 - 1, from: (v: number[]) => Uint8Array.from(v) },
  int16: { min: -(2 ** 15), max: 2 ** 15 - 1, from: (v: number[]) => Int16Array.from(v) },
  uint16: { min: 0, max: 2 ** 16 - 1, from: (v: number[]) => Uint16Array.from(v) },
  int32: { min: -(2 ** 31), max: 2 ** 31 - 1, from: (v: number[]) => Int32Array.from(v) },
  uint32: { min: 0, max: 2 ** 32 - 1, from: (v: number[]) => Uint32Array.from(v) },
  int64: { min: -Number.MAX_SAFE_INTEGER, max: Number.MAX_SAFE_INTEGER, from: (v: number[]) => BigInt64Array.from(v, BigInt) },
  uint64: { min: 0, max: Number.MAX_SAFE_INTEGER, from: (v: number[]) => BigUint64Array.from(v, BigInt) },
});

/** Floating-point datatypes take any JSON number that stays finite once rounded to the type (FP16 holds ±65504 at most). */
const FLOATS: Partial<Record<TensorType, { round: (v: number) => number; range: string; from: (v: number[]) => Data }>> = Object.freeze({
  float16: { round: Math.f16round, range: '±65504', from: (v: number[]) => Float16Array.from(v) as unknown as Data },
  float32: { round: Math.fround, range: '±3.4028235e38', from: (v: number[]) => Float32Array.from(v) },
  float64: { round: (v: number) => v, range: '±1.7976931348623157e308', from: (v: number[]) => Float64Array.from(v) },
});

/** Checks each JSON value against the datatype and converts them; a bad value is a 400 naming the tensor and the element. */
function typed(type: TensorType, values: unknown[], name: string, field: string): Data {
  const check = (ok: (v: unknown) => boolean, what: string) => {
    const i = values.findIndex((v) => !ok(v));
    if (i >= 0) throw bad(`input '${name}': ${field}[${i}] is ${shown(values[i])}, expected ${what}`);
  };
  const datatype = v2Datatype(type);
  const int = INTEGERS[type];
  if (int) {
    const exact = type === 'int64' || type === 'uint64' ? ' as a JSON number; send larger values as binary data' : '';
    check((v) => typeof v === 'number' && Number.isInteger(v) && v >= int.min && v <= int.max, `an integer from ${int.min} to ${int.max} (${datatype}${exact})`);
    return int.from(values as number[]);
  }
  const float = FLOATS[type];
  if (float) {
    check((v) => typeof v === 'number' && Number.isFinite(float.round(v)), `a number within ${datatype}'s range (${float.range})`);
    return float.from(values as number[]);
  }
  switch (type) {
    case 'bool':
      check((v) => typeof v === 'boolean', 'a boolean');
      return Uint8Array.from(values as boolean[], (v) => (v ? 1 : 0));
    case 'string':
      check((v) => typeof v === 'string', 'a string');
      return values as string[];
    default:
      throw bad(`input '${name}': datatype ${type} is not supported`);
  }
}

/** Validates one V2 input (JSON `data` or `raw` bytes) against the graph's declaration and converts it. */
export function fromV2(input: V2Tensor, info: TensorInfo | undefined): TensorValue {
  const { name } = input;
  const given = input.shape.join(',');
  if (!info) throw bad(`unexpected input '${name}'`);
  const type = V2_TO_ORT[input.datatype];
  if (!type) throw bad(`input '${name}': unknown datatype '${input.datatype}'`);
  if (type !== info.type) throw bad(`input '${name}': datatype ${input.datatype} does not match the model's ${v2Datatype(info.type)}`);
  const shape = info.shape ?? [];
  if (shape.length > 0) {
    if (input.shape.length !== shape.length) throw bad(`input '${name}': shape [${given}] has ${input.shape.length} dimensions, the model expects ${shape.length} ([${shape.join(',')}])`);
    input.shape.forEach((d, i) => {
      if (shape[i]! >= 0 && shape[i] !== d) throw bad(`input '${name}': shape [${given}] does not match the model's [${shape.join(',')}] at dimension ${i}`);
    });
  }
  // Some onnxruntime kernels (the GRU among them) abort the whole process on an empty tensor.
  if (input.shape.includes(0)) throw bad(`input '${name}': shape [${given}] has a zero dimension; empty tensors are not accepted`);
  if (input.raw !== undefined) {
    if (input.data !== undefined) throw bad(`input '${name}' has both data and binary data; send one`);
    return decodeRaw(name, input.datatype, input.shape, input.raw);
  }
  if (input.data === undefined) throw bad(`input '${name}' has no data`);
  const values = flatten(input.data);
  const size = input.shape.reduce((a, b) => a * b, 1);
  if (values.length !== size) throw bad(`input '${name}': ${values.length} values do not fill shape [${given}] (${size} expected)`);
  return { type, dims: input.shape, data: typed(type, values, name, input.field ?? 'data') };
}

/** Converts an output tensor for JSON (int64 as numbers, bool as booleans, float16 as numbers). */
export function toV2(name: string, t: TensorValue): V2Tensor & { data: unknown[] } {
  const data = t.data as ArrayLike<unknown>;
  let out: unknown[];
  if (t.type === 'bool') out = Array.from(data as Uint8Array, (v) => v !== 0);
  else if (t.type === 'int64' || t.type === 'uint64') out = Array.from(data as BigInt64Array, Number);
  else out = Array.from(data);
  return { name, datatype: v2Datatype(t.type), shape: t.dims, data: out };
}
