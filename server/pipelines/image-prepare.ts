// Runs inside the model's worker, as a prepare step's module: one upload → the model's input
// row (image-io). A refused upload throws an ImageProblem, whose kind and size reach the main
// thread as the skipped item's error.
import type { ImageSpec } from '../repository/manifest.ts';
import { imageToTensor } from './image-io.ts';

export interface ImagePrepareOptions {
  spec: ImageSpec;
  maxPixels: number;
}

export default function prepareImage(item: Uint8Array, options: unknown): Promise<Float32Array> {
  const { spec, maxPixels } = options as ImagePrepareOptions;
  return imageToTensor(Buffer.from(item.buffer, item.byteOffset, item.byteLength), spec, { maxPixels });
}
