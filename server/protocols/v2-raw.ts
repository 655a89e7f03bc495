// Raw V2 tensor bytes ↔ onnxruntime tensor values, as KServe's gRPC `raw_input_contents` /
// `raw_output_contents` and Triton's binary tensor data extension carry them: row-major,
// little-endian, 1 byte per BOOL, and BYTES as a 4-byte little-endian length before each element.
import { Errors } from '../errors.ts';
import type { TensorType, TensorValue } from '../runtime/onnx.ts';

// Typed-array views reinterpret bytes in the host's order; every platform onnxruntime-node ships for is little-endian.
if (new Uint8Array(Uint16Array.of(1).buffer)[0] !== 1) throw new Error('v2-raw.ts assumes a little-endian host. This is a bug on this platform.');

type View = new (buffer: ArrayBuffer, byteOffset: number, length: number) => TensorValue['data'];

/** Every V2 datatype the server supports: its onnxruntime type and, for fixed-size ones, the element's bytes and typed array. */
export const V2_DATATYPES: Readonly<Record<string, { type: TensorType; bytes?: number; View?: View }>> = Object.freeze({
  BOOL: { type: 'bool', bytes: 1, View: Uint8Array },
  UINT8: { type: 'uint8', bytes: 1, View: Uint8Array },
  INT8: { type: 'int8', bytes: 1, View: Int8Array },
  UINT16: { type: 'uint16', bytes: 2, View: Uint16Array },
  INT16: { type: 'int16', bytes: 2, View: Int16Array },
  FP16: { type: 'float16', bytes: 2, View: Float16Array as unknown as View },
  UINT32: { type: 'uint32', bytes: 4, View: Uint32Array },
  INT32: { type: 'int32', bytes: 4, View: Int32Array },
  FP32: { type: 'float32', bytes: 4, View: Float32Array },
  UINT64: { type: 'uint64', bytes: 8, View: BigUint64Array },
  INT64: { type: 'int64', bytes: 8, View: BigInt64Array },
  FP64: { type: 'float64', bytes: 8, View: Float64Array },
  BYTES: { type: 'string' },
});

const bad = (msg: string) => new Errors.INVALID_INPUT(msg);
const utf8 = new TextDecoder('utf-8', { fatal: true });
const encoder = new TextEncoder();

/** The number of bytes a fixed-size datatype needs for a shape, or undefined for BYTES (variable) and unknown datatypes. */
export function rawByteSize(datatype: string, shape: readonly number[]): number | undefined {
  const bytes = V2_DATATYPES[datatype]?.bytes;
  return bytes === undefined ? undefined : shape.reduce((a, b) => a * b, 1) * bytes;
}

/** One BYTES element as the string the model takes; invalid UTF-8 is the client's error. */
export function bytesElement(name: string, i: number, bytes: Uint8Array): string {
  try {
    return utf8.decode(bytes);
  } catch {
    throw bad(`input '${name}': BYTES element ${i} is not valid UTF-8 (the model takes strings)`);
  }
}

function decodeStrings(name: string, count: number, bytes: Uint8Array): string[] {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out: string[] = [];
  let at = 0;
  for (let i = 0; i < count; i++) {
    if (at + 4 > bytes.byteLength) throw bad(`input '${name}': BYTES data ends after ${i} of ${count} elements (each needs a 4-byte length prefix)`);
    const len = dv.getUint32(at, true);
    at += 4;
    if (at + len > bytes.byteLength) throw bad(`input '${name}': BYTES element ${i} declares ${len} bytes but only ${bytes.byteLength - at} remain`);
    out.push(bytesElement(name, i, bytes.subarray(at, at + len)));
    at += len;
  }
  if (at !== bytes.byteLength) throw bad(`input '${name}': BYTES data has ${bytes.byteLength - at} bytes left over after ${count} elements`);
  return out;
}

/**
 * Decodes raw bytes of a V2 tensor. Checks the byte length against shape and datatype; returns a
 * view over `bytes` when they are aligned for the element type, a copy otherwise (and for BOOL,
 * whose bytes must be 0 or 1, and BYTES, decoded to strings).
 */
export function decodeRaw(name: string, datatype: string, shape: readonly number[], bytes: Uint8Array): TensorValue {
  const spec = V2_DATATYPES[datatype];
  if (!spec) throw bad(`input '${name}': unknown datatype '${datatype}'`);
  const { type, bytes: width, View } = spec;
  const dims = [...shape];
  const count = dims.reduce((a, b) => a * b, 1);
  if (!width || !View) return { type, dims, data: decodeStrings(name, count, bytes) };
  const expected = count * width;
  if (bytes.byteLength !== expected) {
    throw bad(`input '${name}': ${bytes.byteLength} bytes of raw data do not fill shape [${dims.join(',')}] of ${datatype} (${expected} bytes expected: ${count} × ${width})`);
  }
  if (type === 'bool') {
    const i = bytes.findIndex((b) => b > 1);
    if (i >= 0) throw bad(`input '${name}': BOOL element ${i} is byte ${bytes[i]}, expected 0 or 1`);
  }
  const aligned = bytes.byteOffset % width === 0 && bytes.buffer instanceof ArrayBuffer;
  // A copy even when `bytes` is a Buffer, whose slice() is a view.
  const source = aligned ? bytes : new Uint8Array(bytes);
  return { type, dims, data: new View(source.buffer as ArrayBuffer, source.byteOffset, count) };
}

/** Raw little-endian bytes of a tensor: a view over its data (no copy), or the length-prefixed encoding of strings. */
export function encodeRaw(t: TensorValue): Uint8Array {
  if (t.type === 'string') {
    const parts = (t.data as string[]).map((s) => encoder.encode(s));
    const out = new Uint8Array(parts.reduce((n, p) => n + 4 + p.byteLength, 0));
    const dv = new DataView(out.buffer);
    let at = 0;
    for (const p of parts) {
      dv.setUint32(at, p.byteLength, true);
      out.set(p, at + 4);
      at += 4 + p.byteLength;
    }
    return out;
  }
  if (!Object.values(V2_DATATYPES).some((d) => d.type === t.type)) throw new Error(`encodeRaw: tensor type ${t.type} has no V2 raw encoding. This is a bug.`);
  const data = t.data as ArrayBufferView;
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}
