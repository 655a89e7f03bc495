// The main thread's side of image decoding: hands the upload to a CPU-pool thread and turns a
// problem it reports into the client's 4xx (corrupt image, or more pixels than allowed).
import { Errors } from '../errors.ts';
import type { ImageSpec } from '../repository/manifest.ts';
import type { CpuPool } from '../runtime/cpu-pool.ts';
import type { DecodeInput, DecodeProblem } from './image-decode-task.ts';

const TASK = new URL('./image-decode-task.ts', import.meta.url);

export async function decodeImage(cpu: CpuPool, upload: Buffer, label: string, spec: ImageSpec, maxPixels: number): Promise<Float32Array> {
  const bytes = new Uint8Array(upload); // its own buffer, moved to the pool thread
  const input: DecodeInput = { bytes, spec, maxPixels };
  const out = await cpu.run<Float32Array | DecodeProblem>(TASK, input, [bytes.buffer]);
  if (out instanceof Float32Array) return out;
  if (out.kind === 'too-large') throw new Errors.IMAGE_TOO_LARGE(label, out.width, out.height, maxPixels);
  throw new Errors.INVALID_IMAGE(label, out.reason);
}
