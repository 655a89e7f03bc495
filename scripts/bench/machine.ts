// The machine a benchmark or reliability run measured: cores, CPU, Node, onnxruntime, kernel.
import os from 'node:os';
import { versions } from '../../server/runtime/onnx.ts';

export interface Machine {
  cores: number;
  cpu: string;
  node: string;
  onnxruntime: string;
  platform: string;
}

export function machine(): Machine {
  return { cores: os.availableParallelism(), cpu: os.cpus()[0]?.model ?? '', node: process.version, onnxruntime: versions.onnxruntime, platform: `${os.platform()} ${os.release()}` };
}
