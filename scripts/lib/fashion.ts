// Fashion-MNIST data and the fashion-cnn / fashion-dcgan models run through onnxruntime-node.
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import type { Session } from '../../server/runtime/onnx.ts';
import { FASHION_MNIST_DIR, readManifest } from './paths.ts';
import { latentForSeed } from '../../server/pipelines/image-generation.ts';

export const IMAGE_SIZE = 28 * 28;

export interface FashionSet {
  count: number;
  /** uint8 pixels, `count` images of 28×28, row-major. */
  images: Uint8Array;
  labels: Uint8Array;
}

interface ImageSpec {
  scale: number;
  mean?: number[];
  std?: number[];
}

export interface ClassifierManifest {
  labels: string[];
  inputs: { pixels: string };
  outputs: { scores: string };
  image: ImageSpec;
}

export interface GeneratorManifest {
  labels: string[];
  latent_dim: number;
  inputs: { latent: string; label: string };
  outputs: { image: string };
  output_range: [number, number];
}

export const classifierManifest = (): ClassifierManifest => readManifest<ClassifierManifest>('fashion-cnn');
export const generatorManifest = (): GeneratorManifest => readManifest<GeneratorManifest>('fashion-dcgan');

function readIdx(path: string): { dims: number[]; data: Uint8Array } {
  const bytes = gunzipSync(readFileSync(path));
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const ndim = bytes[3] ?? 0;
  const dims = Array.from({ length: ndim }, (_, i) => view.getUint32(4 + 4 * i));
  return { dims, data: bytes.subarray(4 + 4 * ndim) };
}

/** The full Fashion-MNIST split ('train' or 't10k') from the Debian dataset package. */
export function loadFashionMnist(split: 'train' | 't10k'): FashionSet {
  const images = readIdx(`${FASHION_MNIST_DIR}/${split}-images-idx3-ubyte.gz`);
  const labels = readIdx(`${FASHION_MNIST_DIR}/${split}-labels-idx1-ubyte.gz`);
  return { count: labels.dims[0] ?? 0, images: images.data, labels: labels.data };
}

/** Pixel values 0..255 → the classifier's input, as its manifest's `image` block says. */
export function normalise(pixels: ArrayLike<number>, spec: ImageSpec): Float32Array {
  const mean = spec.mean?.[0] ?? 0;
  const std = spec.std?.[0] ?? 1;
  const out = new Float32Array(pixels.length);
  for (let i = 0; i < pixels.length; i++) out[i] = ((pixels[i] ?? 0) * spec.scale - mean) / std;
  return out;
}

/** Runs the classifier over `count` normalised images in batches; returns all logits [count, classes]. */
export async function classify(session: Session, manifest: ClassifierManifest, input: Float32Array, options: { count: number; batchSize: number }): Promise<Float32Array> {
  const classes = manifest.labels.length;
  const logits = new Float32Array(options.count * classes);
  for (let start = 0; start < options.count; start += options.batchSize) {
    const n = Math.min(options.batchSize, options.count - start);
    const data = input.subarray(start * IMAGE_SIZE, (start + n) * IMAGE_SIZE);
    const result = await session.run({ [manifest.inputs.pixels]: { type: 'float32', dims: [n, 1, 28, 28], data } });
    const out = result[manifest.outputs.scores];
    if (!out) throw new Error(`classifier returned no '${manifest.outputs.scores}' output. This is a bug.`);
    logits.set(out.data as Float32Array, start * classes);
  }
  return logits;
}

export function argmaxRows(values: Float32Array, width: number): number[] {
  const rows: number[] = [];
  for (let r = 0; r < values.length / width; r++) {
    let best = 0;
    for (let c = 1; c < width; c++) if ((values[r * width + c] ?? 0) > (values[r * width + best] ?? 0)) best = c;
    rows.push(best);
  }
  return rows;
}

/** Standard-normal latents [labels.length, latentDim] drawn from `random`. */
/** The latents the server draws for these seeds (image-generation's latentForSeed), one after another. */
export function latentsForSeeds(seeds: number[], latentDim: number): Float32Array {
  const out = new Float32Array(seeds.length * latentDim);
  seeds.forEach((seed, i) => out.set(latentForSeed(seed, latentDim, 0).z, i * latentDim));
  return out;
}

/** Runs the generator for the given latents and class ids, in batches; returns images [N,1,28,28]. */
export async function generate(session: Session, manifest: GeneratorManifest, latents: Float32Array, labels: number[], batchSize: number): Promise<Float32Array> {
  const dim = manifest.latent_dim;
  const images = new Float32Array(labels.length * IMAGE_SIZE);
  for (let start = 0; start < labels.length; start += batchSize) {
    const n = Math.min(batchSize, labels.length - start);
    const result = await session.run({
      [manifest.inputs.latent]: { type: 'float32', dims: [n, dim], data: latents.subarray(start * dim, (start + n) * dim) },
      [manifest.inputs.label]: { type: 'int64', dims: [n], data: BigInt64Array.from(labels.slice(start, start + n), BigInt) },
    });
    const out = result[manifest.outputs.image];
    if (!out) throw new Error(`generator returned no '${manifest.outputs.image}' output. This is a bug.`);
    images.set(out.data as Float32Array, start * IMAGE_SIZE);
  }
  return images;
}

/** Generator output in `range` → pixel values 0..255 (unrounded floats, clamped). */
export function toPixels(images: Float32Array, range: [number, number]): Float32Array {
  const [lo, hi] = range;
  return images.map((v) => Math.min(255, Math.max(0, ((v - lo) / (hi - lo)) * 255)));
}

/** Mean L2 distance (in 0..1 pixel units) between every pair of the given images. */
export function meanPairwiseDistance(pixels: ArrayLike<number>, indices: number[]): number {
  let total = 0;
  let pairs = 0;
  for (let a = 0; a < indices.length; a++) {
    for (let b = a + 1; b < indices.length; b++) {
      const ia = (indices[a] ?? 0) * IMAGE_SIZE;
      const ib = (indices[b] ?? 0) * IMAGE_SIZE;
      let sum = 0;
      for (let p = 0; p < IMAGE_SIZE; p++) {
        const d = ((pixels[ia + p] ?? 0) - (pixels[ib + p] ?? 0)) / 255;
        sum += d * d;
      }
      total += Math.sqrt(sum);
      pairs++;
    }
  }
  return pairs ? total / pairs : 0;
}

export function maxAbsDifference(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) throw new Error(`length mismatch ${a.length} vs ${b.length}`);
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs((a[i] ?? 0) - (b[i] ?? 0)));
  return max;
}
