// A deliberately slow test-only model, written at test time (nothing binary is committed):
// x [N, WIDTH] → `layers` chained MatMuls with the identity matrix → y [N, WIDTH]. The output
// equals the input, and every row costs layers × WIDTH² multiply-adds, so a run's duration grows
// with the batch and the layer count while the result stays checkable.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { onnx } from 'onnx-proto';

export const WIDTH = 512;

export interface SlowModelOptions {
  layers?: number;
  batching?: Record<string, number>;
  instances?: number;
}

function tensorType(dims: (number | string)[]): onnx.ITypeProto {
  return {
    tensorType: {
      elemType: onnx.TensorProto.DataType.FLOAT,
      shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) },
    },
  };
}

export function slowModelBytes(layers: number): Uint8Array {
  const identity = new Float32Array(WIDTH * WIDTH);
  for (let i = 0; i < WIDTH; i++) identity[i * WIDTH + i] = 1;
  const node = Array.from({ length: layers }, (_, i) => ({
    opType: 'MatMul',
    input: [i === 0 ? 'x' : `h${i}`, 'eye'],
    output: [i === layers - 1 ? 'y' : `h${i + 1}`],
    name: `matmul_${i}`,
  }));
  return onnx.ModelProto.encode({
    irVersion: 8,
    producerName: 'ortserve-tests',
    opsetImport: [{ domain: '', version: 17 }],
    graph: {
      name: 'slow',
      node,
      initializer: [{ name: 'eye', dims: [WIDTH, WIDTH], dataType: onnx.TensorProto.DataType.FLOAT, rawData: new Uint8Array(identity.buffer) }],
      input: [{ name: 'x', type: tensorType(['N', WIDTH]) }],
      output: [{ name: 'y', type: tensorType(['N', WIDTH]) }],
    },
  }).finish();
}

/** Writes a model repository holding one folder, `slow`, and returns the repository path. */
export function slowModelRepository({ layers = 64, batching = {}, instances = 1 }: SlowModelOptions = {}): string {
  const repo = fs.mkdtempSync(path.join(os.tmpdir(), 'ortserve-slow-'));
  const dir = path.join(repo, 'slow');
  fs.mkdirSync(dir);
  fs.writeFileSync(path.join(dir, 'model.onnx'), slowModelBytes(layers));
  const manifest = { description: 'test-only slow model', batching, instances, intra_op_threads: 1 };
  fs.writeFileSync(path.join(dir, 'manifest.json'), JSON.stringify(manifest));
  return repo;
}

/** A V2 infer body for `rows` rows of value `v`. */
export function slowInferBody(rows = 1, v = 1): object {
  return { inputs: [{ name: 'x', shape: [rows, WIDTH], datatype: 'FP32', data: new Array(rows * WIDTH).fill(v) }] };
}
