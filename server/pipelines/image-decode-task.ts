// Runs in a CPU-pool thread, never on the event loop: decodes one upload and converts it to the
// model's input (image-io), or says why it cannot. The answer is a Float32Array (moved, not
// copied) or a problem the main thread turns into a 4xx.
import { Piscina } from 'piscina';
import type { ImageSpec } from '../repository/manifest.ts';
import { ImageProblem, imageToTensor } from './image-io.ts';

export interface DecodeInput {
  bytes: Uint8Array;
  spec: ImageSpec;
  maxPixels: number;
}

export type DecodeProblem = { kind: 'invalid'; reason: string } | { kind: 'too-large'; width: number; height: number };

export default async function decode({ bytes, spec, maxPixels }: DecodeInput): Promise<Float32Array | DecodeProblem> {
  try {
    const data = await imageToTensor(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), spec, { maxPixels });
    return Piscina.move(data) as unknown as Float32Array;
  } catch (err) {
    if (!(err instanceof ImageProblem)) return { kind: 'invalid', reason: err instanceof Error ? err.message : String(err) };
    return err.kind === 'too-large' ? { kind: 'too-large', width: err.width, height: err.height } : { kind: 'invalid', reason: err.message };
  }
}
