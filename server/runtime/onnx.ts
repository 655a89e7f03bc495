// The only module that imports onnxruntime-node. Everything else (workers, scripts, tests)
// goes through it, so the engine's API, options and quirks live in one place.
//
// Note: InferenceSession.run() executes synchronously on the calling thread (1.30 only defers
// it with setImmediate), so the server calls it from worker threads only (see worker.ts).
//
// float16: a TensorValue holds a Float16Array (numbers; Node ≥ 24 has it globally, and it
// survives postMessage). onnxruntime-common keeps a Float16Array as the tensor's data, but the
// native binding of onnxruntime-node 1.30 reads only a Uint16Array there ("not enough space:
// expected N, got 0" otherwise), so toTensor hands it a Uint16Array view of the same bytes, as
// transformers.js does; fromTensor turns whichever of the two comes back into a Float16Array.
import * as ort from 'onnxruntime-node';

export type TensorType = ort.Tensor.Type;
export type Tensor = ort.Tensor;
export type TensorData = ort.Tensor.DataType;

/** Plain, structured-clone-friendly tensor: what crosses thread boundaries. */
export interface TensorValue {
  type: TensorType;
  dims: number[];
  data: TensorData;
}

export interface TensorInfo {
  name: string;
  isTensor: boolean;
  type?: TensorType;
  /** Dimensions; symbolic or unknown dimensions are -1. */
  shape?: number[];
}

export interface SessionOptions {
  intraOpThreads?: number;
}

export interface Session {
  readonly inputs: TensorInfo[];
  readonly outputs: TensorInfo[];
  run(feeds: Record<string, TensorValue>, fetches?: string[]): Promise<Record<string, TensorValue>>;
  release(): Promise<void>;
}

export const versions = { onnxruntime: ort.env.versions.node ?? ort.env.versions.common };

function describe(meta: readonly ort.InferenceSession.ValueMetadata[]): TensorInfo[] {
  return meta.map((m) => (m.isTensor ? { name: m.name, isTensor: true, type: m.type, shape: m.shape.map((d) => (typeof d === 'number' && d >= 0 ? d : -1)) } : { name: m.name, isTensor: false }));
}

/** A view of 2-byte elements (Float16Array or Uint16Array) as another 2-byte typed array, no copy. */
function halfView<T>(View: new (buffer: ArrayBuffer, offset: number, length: number) => T, data: unknown): T {
  const d = data as Uint16Array;
  return new View(d.buffer as ArrayBuffer, d.byteOffset, d.length);
}

export function toTensor(value: TensorValue): Tensor {
  const tensor = new ort.Tensor(value.type as 'float32', value.data as Float32Array, value.dims);
  if (value.type === 'float16') (tensor as unknown as { cpuData: Uint16Array }).cpuData = halfView(Uint16Array, value.data);
  return tensor;
}

export function fromTensor(t: Tensor): TensorValue {
  const data = t.type === 'float16' ? (halfView(Float16Array, t.data) as unknown as TensorData) : t.data;
  return { type: t.type, dims: [...t.dims], data };
}

export async function createSession(path: string, options: SessionOptions = {}): Promise<Session> {
  const session = await ort.InferenceSession.create(path, {
    intraOpNumThreads: options.intraOpThreads ?? 1,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
  });
  const inputs = describe(session.inputMetadata);
  const outputs = describe(session.outputMetadata);
  return {
    inputs,
    outputs,
    async run(feeds, fetches) {
      const ortFeeds: Record<string, Tensor> = {};
      for (const [name, value] of Object.entries(feeds)) ortFeeds[name] = toTensor(value);
      const result = fetches ? await session.run(ortFeeds, fetches) : await session.run(ortFeeds);
      const out: Record<string, TensorValue> = {};
      for (const [name, t] of Object.entries(result)) {
        if (!(t instanceof ort.Tensor)) throw new Error(`output '${name}' is not a tensor`);
        out[name] = fromTensor(t);
      }
      return out;
    },
    release: () => session.release(),
  };
}
