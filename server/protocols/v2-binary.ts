// Triton's binary tensor data extension for KServe V2 over HTTP: a JSON header of
// Inference-Header-Content-Length bytes, then the raw data (v2-raw.ts) of each input that
// carries parameters.binary_data_size, in order; outputs asked for with binary_data /
// binary_data_output come back the same way. Framing only: the route's schema validates the
// header, and fromV2() checks each tensor's bytes against its shape and datatype.
import { Errors } from '../errors.ts';
import type { TensorInfo } from '../runtime/onnx.ts';
import { V2_DATATYPES } from './v2-raw.ts';
import type { InferOutput } from './tensor-infer.ts';
import { v2Datatype, type V2Tensor } from './v2-tensors.ts';

export const HEADER_LENGTH = 'inference-header-content-length';
/** SageMaker's variant carries the header length in the content type: `…;json-header-size=N`. */
export const SAGEMAKER_BINARY = 'application/vnd.sagemaker-triton.binary+json';

/** Where the parser leaves an input's binary data (a symbol, so no JSON body can set it). */
export const BINARY = Symbol('binary data');
export type WithBinary = { [BINARY]?: Uint8Array };

const bad = (msg: string) => new Errors.INVALID_INPUT(msg);
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The JSON header's length from Inference-Header-Content-Length or SageMaker's json-header-size, or undefined when neither is given. */
export function headerLength(header: string | string[] | undefined, contentType: string | undefined): number | undefined {
  const sagemaker = contentType?.toLowerCase().startsWith(SAGEMAKER_BINARY) ? /;\s*json-header-size=([^;\s]*)/i.exec(contentType)?.[1] : undefined;
  const value = Array.isArray(header) ? header.join(',') : (header ?? sagemaker);
  if (value === undefined) return undefined;
  const name = header === undefined ? 'json-header-size' : 'Inference-Header-Content-Length';
  if (!/^\d{1,15}$/.test(value.trim())) throw bad(`${name} must be a byte count (a non-negative integer), got ${JSON.stringify(value)}`);
  return Number(value.trim());
}

/** Splits a body at the header length: the JSON header's text and the binary data after it. */
export function splitBody(body: Buffer, length: number): { json: string; binary: Uint8Array } {
  if (length > body.byteLength) throw bad(`Inference-Header-Content-Length ${length} is larger than the body (${body.byteLength} bytes)`);
  return { json: body.toString('utf8', 0, length), binary: body.subarray(length) };
}

/**
 * Hands each input with parameters.binary_data_size its slice of `binary` (under BINARY), in
 * order; the sizes must use up the binary data exactly. A header that is not shaped like an
 * inference request is returned as is, for the route's schema to reject.
 */
export function attachBinary(header: unknown, binary: Uint8Array): unknown {
  if (!isObject(header) || !Array.isArray(header.inputs)) {
    if (binary.byteLength > 0) throw bad(`the body has ${binary.byteLength} bytes of binary data after the JSON header, but the header has no inputs to give them to`);
    return header;
  }
  let at = 0;
  header.inputs.forEach((input: unknown, i) => {
    if (!isObject(input) || !isObject(input.parameters) || input.parameters.binary_data_size === undefined) return;
    const label = typeof input.name === 'string' ? `input '${input.name}'` : `inputs[${i}]`;
    const size = input.parameters.binary_data_size;
    if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0) throw bad(`${label}: parameters.binary_data_size must be a non-negative integer, got ${JSON.stringify(size)}`);
    if (at + size > binary.byteLength) {
      throw bad(`${label}: binary_data_size ${size} runs past the end of the body (${binary.byteLength} bytes of binary data after the JSON header, ${at} used by earlier inputs)`);
    }
    (input as WithBinary)[BINARY] = binary.subarray(at, at + size);
    at += size;
  });
  if (at !== binary.byteLength) throw bad(`the body has ${binary.byteLength} bytes of binary data after the JSON header, but the inputs' binary_data_size add up to ${at}`);
  return header;
}

/**
 * Triton's raw binary request (Inference-Header-Content-Length: 0): the body is the data of the
 * model's only input, its shape deduced from the byte count (at most one free dimension once a
 * dynamic batch axis is taken as 1), every output returned as binary data.
 */
export function rawBinaryRequest(model: string, inputs: readonly TensorInfo[], body: Uint8Array): unknown {
  const only = inputs[0];
  if (inputs.length !== 1 || !only) throw bad(`a raw binary request (Inference-Header-Content-Length: 0) needs a model with one input; '${model}' has ${inputs.length}: send a JSON header`);
  const datatype = v2Datatype(only.type);
  const bytes = V2_DATATYPES[datatype]?.bytes;
  if (!bytes) throw bad(`a raw binary request (Inference-Header-Content-Length: 0) cannot carry input '${only.name}' of type ${only.type}; send a JSON header`);
  const shape = [...(only.shape ?? [])];
  if (shape.filter((d) => d < 0).length > 1 && shape[0] === -1) shape[0] = 1;
  const free = shape.filter((d) => d < 0).length;
  const fixed = shape.reduce((n, d) => (d < 0 ? n : n * d), 1) * bytes;
  if (free > 1)
    throw bad(
      `a raw binary request (Inference-Header-Content-Length: 0) cannot tell the shape of input '${only.name}' ([${(only.shape ?? []).join(',')}] has several free dimensions); send a JSON header`,
    );
  if (fixed === 0 || body.byteLength % fixed !== 0 || (free === 0 && body.byteLength !== fixed)) {
    throw bad(
      `a raw binary request of ${body.byteLength} bytes does not fit input '${only.name}' ([${(only.shape ?? []).join(',')}] of ${datatype}, ${fixed} bytes per ${free ? 'step of the free dimension' : 'tensor'})`,
    );
  }
  const input: Record<string, unknown> & WithBinary = { name: only.name, datatype, shape: shape.map((d) => (d < 0 ? body.byteLength / fixed : d)), parameters: { binary_data_size: body.byteLength } };
  input[BINARY] = body;
  return { inputs: [input], parameters: { binary_data_output: true } };
}

/** What the request asks back as binary data: per output `binary_data`, else the request's `binary_data_output`. */
export function binaryOutputs(body: { parameters?: Record<string, unknown>; outputs?: { name: string; parameters?: Record<string, unknown> }[] }): {
  raw?: boolean;
  outputs?: { name: string; raw: boolean }[];
} {
  const flag = (params: Record<string, unknown> | undefined, key: string, where: string): boolean | undefined => {
    const v = params?.[key];
    if (v !== undefined && typeof v !== 'boolean') throw bad(`${where}parameters.${key} must be true or false, got ${JSON.stringify(v)}`);
    return v;
  };
  const all = flag(body.parameters, 'binary_data_output', '') ?? false;
  if (!body.outputs?.length) return { raw: all };
  return { outputs: body.outputs.map((o) => ({ name: o.name, raw: flag(o.parameters, 'binary_data', `output '${o.name}': `) ?? all })) };
}

/** The response body: the JSON header (binary outputs carry binary_data_size instead of data), then their bytes in order. */
export function binaryResponse(head: Record<string, unknown>, outputs: InferOutput[]): { headerLength: number; body: Buffer } {
  const chunks: Uint8Array[] = [];
  const json = outputs.map((o) => {
    if (!('raw' in o)) return o;
    chunks.push(o.raw);
    return { name: o.name, datatype: o.datatype, shape: o.shape, parameters: { binary_data_size: o.raw.byteLength } };
  });
  const header = Buffer.from(JSON.stringify({ ...head, outputs: json }));
  return { headerLength: header.byteLength, body: Buffer.concat([header, ...chunks]) };
}

/** The request's inputs for tensor-infer: JSON `data`, or the binary data the parser attached. */
export function v2Inputs(inputs: readonly ({ name: string; datatype: string; shape: number[]; data?: unknown; parameters?: Record<string, unknown> } & WithBinary)[]): V2Tensor[] {
  return inputs.map((input) => {
    const raw = input[BINARY];
    if (raw === undefined && input.parameters?.binary_data_size !== undefined) {
      throw bad(
        `input '${input.name}' has parameters.binary_data_size but the request carries no binary data: send the Inference-Header-Content-Length header with the byte length of the JSON header before the data`,
      );
    }
    return { name: input.name, datatype: input.datatype, shape: input.shape, data: input.data, raw };
  });
}
