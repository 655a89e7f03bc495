// KServe V2 (Open Inference Protocol) tensors ↔ onnxruntime tensors: datatype names, nested or
// flat JSON `data` or raw bytes (v2-raw.ts), shape checks with messages that name the tensor.
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

function typed(type: TensorType, values: unknown[], name: string): TensorValue['data'] {
  const check = (ok: (v: unknown) => boolean, what: string) => {
    const i = values.findIndex((v) => !ok(v));
    if (i >= 0) throw bad(`input '${name}': data[${i}] is ${shown(values[i])}, expected ${what}`);
  };
  const num = (v: unknown) => typeof v === 'number' && Number.isFinite(v);
  const int = (v: unknown) => typeof v === 'number' && Number.isInteger(v);
  switch (type) {
    case 'bool': check((v) => typeof v === 'boolean', 'a boolean'); return Uint8Array.from(values as boolean[], (v) => (v ? 1 : 0));
    case 'string': check((v) => typeof v === 'string', 'a string'); return values as string[];
    case 'float16': check(num, 'a number'); return Float16Array.from(values as number[]) as unknown as TensorValue['data'];
    case 'float32': check(num, 'a number'); return Float32Array.from(values as number[]);
    case 'float64': check(num, 'a number'); return Float64Array.from(values as number[]);
    case 'int64': check(int, 'an integer'); return BigInt64Array.from(values as number[], BigInt);
    case 'uint64': check((v) => int(v) && (v as number) >= 0, 'a non-negative integer'); return BigUint64Array.from(values as number[], BigInt);
    case 'int8': check(int, 'an integer'); return Int8Array.from(values as number[]);
    case 'int16': check(int, 'an integer'); return Int16Array.from(values as number[]);
    case 'int32': check(int, 'an integer'); return Int32Array.from(values as number[]);
    case 'uint8': check(int, 'an integer'); return Uint8Array.from(values as number[]);
    case 'uint16': check(int, 'an integer'); return Uint16Array.from(values as number[]);
    case 'uint32': check(int, 'an integer'); return Uint32Array.from(values as number[]);
    default: throw bad(`input '${name}': datatype ${type} is not supported`);
  }
}

/** Validates one V2 input (JSON `data` or `raw` bytes) against the graph's declaration and converts it. */
export function fromV2(input: V2Tensor, info: TensorInfo | undefined): TensorValue {
  const { name } = input;
  if (!info) throw bad(`unexpected input '${name}'`);
  const type = V2_TO_ORT[input.datatype];
  if (!type) throw bad(`input '${name}': unknown datatype '${input.datatype}'`);
  if (type !== info.type) throw bad(`input '${name}': datatype ${input.datatype} does not match the model's ${v2Datatype(info.type)}`);
  const shape = info.shape ?? [];
  if (shape.length > 0) {
    if (input.shape.length !== shape.length) throw bad(`input '${name}': shape [${input.shape}] has ${input.shape.length} dimensions, the model expects ${shape.length} ([${shape}])`);
    input.shape.forEach((d, i) => {
      if (shape[i]! >= 0 && shape[i] !== d) throw bad(`input '${name}': shape [${input.shape}] does not match the model's [${shape}] at dimension ${i}`);
    });
  }
  // Some onnxruntime kernels (the GRU among them) abort the whole process on an empty tensor.
  if (input.shape.includes(0)) throw bad(`input '${name}': shape [${input.shape}] has a zero dimension; empty tensors are not accepted`);
  if (input.raw !== undefined) {
    if (input.data !== undefined) throw bad(`input '${name}' has both data and binary data; send one`);
    return decodeRaw(name, input.datatype, input.shape, input.raw);
  }
  if (input.data === undefined) throw bad(`input '${name}' has no data`);
  const values = flatten(input.data);
  const size = input.shape.reduce((a, b) => a * b, 1);
  if (values.length !== size) throw bad(`input '${name}': ${values.length} values do not fill shape [${input.shape}] (${size} expected)`);
  return { type, dims: input.shape, data: typed(type, values, name) };
}

/** Converts an output tensor for JSON (int64 as numbers, bool as booleans). */
export function toV2(name: string, t: TensorValue): V2Tensor & { data: unknown[] } {
  const data = t.data as ArrayLike<unknown>;
  let out: unknown[];
  if (t.type === 'bool') out = Array.from(data as Uint8Array, (v) => v !== 0);
  else if (t.type === 'int64' || t.type === 'uint64') out = Array.from(data as BigInt64Array, Number);
  else out = Array.from(data);
  return { name, datatype: v2Datatype(t.type), shape: t.dims, data: out };
}
