// image-generation: seed → latent z (+ class label) → batched generator → PNG(s).
// Each image's seed fixes its latent, so the same seed gives a byte-identical PNG.
import type { TensorValue } from '../runtime/onnx.ts';
import type { Timing } from '../runtime/policy.ts';
import type { BatchItem } from '../runtime/protocol.ts';
import { createRng, randomSeed } from '../runtime/random.ts';
import { batchCap, ioName, output, resolveLabel, submitAll, withRoom, type CallOptions, type ModelContext } from './context.ts';
import { encodePng, grid, toPixels } from './image-io.ts';

export interface GeneratedImage {
  seed: number;
  label: string | null;
  labelIndex: number | null;
  pixels: Uint8Array;
}

interface Item {
  z: Float32Array;
  label: number;
}

export interface ImageGenerationPipeline {
  task: 'image-generation';
  routes: string[];
  labels: string[];
  shape: { channels: number; height: number; width: number };
  generate(req: { count: number; seed?: number; label?: string | number }, options: CallOptions): Promise<{ images: GeneratedImage[]; timing: Timing[] }>;
  interpolate(req: { fromSeed: number; toSeed: number; steps: number; label?: string | number }, options: CallOptions): Promise<{ images: GeneratedImage[]; timing: Timing[] }>;
  png(images: GeneratedImage[]): Promise<Buffer>;
  warmup(): Promise<void>;
}

export function imageGeneration(ctx: ModelContext): ImageGenerationPipeline {
  const { manifest } = ctx.source;
  const latentDim = manifest.latent_dim ?? 0;
  const zName = ioName(ctx, 'model', 'inputs', 'latent');
  const labelName = manifest.inputs?.label;
  const outName = ioName(ctx, 'model', 'outputs', 'image');
  const outShape = ctx.graphs.model?.outputs.find((o) => o.name === outName)?.shape ?? [];
  const [, channels = 1, height = 28, width = 28] = outShape;
  const shape = { channels, height, width };
  const range = manifest.output_range ?? [-1, 1];
  const labels = manifest.labels ?? [];
  const classCount = labels.length;

  // Each item is its latent row (and class label); the worker stacks them and splits the images back.
  const op = ctx.scheduler.operation({
    name: 'generate',
    maxBatchSize: batchCap(ctx, 'model', zName),
    plan: { steps: [{ graph: 'model', fetches: [outName] }], assemble: { kind: 'stack' }, cut: { kind: 'rows' } },
  });
  const toItem = (it: Item): BatchItem => {
    const tensors: Record<string, TensorValue> = { [zName]: { type: 'float32', dims: [1, latentDim], data: it.z } };
    if (labelName) tensors[labelName] = { type: 'int64', dims: [1], data: BigInt64Array.of(BigInt(it.label)) };
    return { tensors };
  };

  const latent = (seed: number) => latentForSeed(seed, latentDim, classCount);

  async function render(items: (Item & { seed: number })[], options: CallOptions) {
    const answers = await withRoom(ctx, items.length, (reservation) => submitAll(ctx, op, items.map(toItem), { ...options, reservation }));
    const images = answers.map(({ value }, i) => {
      const it = items[i]!;
      return {
        seed: it.seed,
        label: labelName ? (labels[it.label] ?? String(it.label)) : null,
        labelIndex: labelName ? it.label : null,
        pixels: toPixels(output(value, outName).data as Float32Array, channels, height, width, range),
      };
    });
    return { images, timing: answers.map((a) => a.timing) };
  }

  const fixedLabel = (label: string | number | undefined) => (label === undefined || !labelName ? undefined : resolveLabel(labels, label, classCount));

  return {
    task: 'image-generation',
    routes: ['generate', 'interpolate'],
    labels,
    shape,
    generate(req, options) {
      const base = req.seed ?? randomSeed();
      const label = fixedLabel(req.label);
      const items = Array.from({ length: req.count }, (_, i) => {
        const seed = (base + i) % 2 ** 31;
        const { z, classFromSeed } = latent(seed);
        return { seed, z, label: label ?? classFromSeed };
      });
      return render(items, options);
    },
    interpolate(req, options) {
      const a = latent(req.fromSeed);
      const b = latent(req.toSeed);
      const label = fixedLabel(req.label) ?? a.classFromSeed;
      const items = Array.from({ length: req.steps }, (_, i) => {
        const t = req.steps === 1 ? 0 : i / (req.steps - 1);
        const z = slerp(a.z, b.z, t);
        return { seed: req.fromSeed, z, label };
      });
      return render(items, options);
    },
    png(images) {
      const pixels = images.map((im) => im.pixels);
      if (pixels.length === 1) return encodePng(pixels[0]!, width, height, channels);
      const cols = Math.ceil(Math.sqrt(pixels.length));
      const g = grid(pixels, channels, height, width, cols);
      return encodePng(g.data, g.width, g.height, channels);
    },
    async warmup() {
      await op.submit(toItem({ z: new Float32Array(latentDim), label: 0 }));
    },
  };
}

/**
 * The latent of one image: `latentDim` standard normals drawn from the seed, then (for a
 * conditional model asked for no label) its class. Evaluations draw through this too, so seed N
 * in an evaluation is seed N through the API.
 */
export function latentForSeed(seed: number, latentDim: number, classCount: number): { z: Float32Array; classFromSeed: number } {
  const rng = createRng(seed);
  const z = Float32Array.from({ length: latentDim }, () => rng.normal());
  return { z, classFromSeed: classCount > 0 ? Math.floor(rng.uniform() * classCount) : 0 };
}

/** Spherical interpolation between two Gaussian latents (keeps the norm typical). */
function slerp(a: Float32Array, b: Float32Array, t: number): Float32Array {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    dot += (a[i] ?? 0) * (b[i] ?? 0);
    na += (a[i] ?? 0) ** 2;
    nb += (b[i] ?? 0) ** 2;
  }
  const omega = Math.acos(Math.min(1, Math.max(-1, dot / Math.sqrt(na * nb || 1))));
  const so = Math.sin(omega);
  const wa = so < 1e-6 ? 1 - t : Math.sin((1 - t) * omega) / so;
  const wb = so < 1e-6 ? t : Math.sin(t * omega) / so;
  return Float32Array.from(a, (v, i) => wa * v + wb * (b[i] ?? 0));
}
