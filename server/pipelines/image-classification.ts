// image-classification: image bytes → decode/resize/normalise (sharp) → batched CNN → top-k labels.
import type { Timing } from '../inference/batcher.ts';
import { batchCap, ioName, output, softmax, stackFloat32, topK, unstack, type CallOptions, type ModelContext } from './context.ts';
import { imageToTensor } from './image-io.ts';

export interface Prediction {
  label: string;
  index: number;
  score: number;
}

export interface ImageClassificationPipeline {
  task: 'image-classification';
  routes: string[];
  labels: string[];
  classify(images: Buffer[], options: CallOptions & { topK: number }): Promise<{ results: { predictions: Prediction[] }[]; timing: Timing[] }>;
  warmup(): Promise<void>;
  depth(): number;
  idle(): Promise<void>;
}

function toProbabilities(row: Float32Array, kind: string | undefined): ArrayLike<number> {
  if (kind === 'probabilities') return row;
  if (kind === 'log_probabilities') return Array.from(row, Math.exp);
  return softmax(row);
}

export function imageClassification(ctx: ModelContext): ImageClassificationPipeline {
  const { manifest } = ctx.source;
  const spec = manifest.image;
  if (!spec) throw new Error('image-classification needs an "image" block in the manifest');
  const input = ioName(ctx, 'model', 'inputs', 'pixels');
  const out = ioName(ctx, 'model', 'outputs', 'scores');
  const itemDims = (spec.layout ?? 'NCHW') === 'NCHW' ? [spec.channels, spec.height, spec.width] : [spec.height, spec.width, spec.channels];
  const classes = ctx.graphs.model?.outputs.find((o) => o.name === out)?.shape?.at(-1) ?? manifest.labels?.length ?? 0;
  const labels = manifest.labels ?? Array.from({ length: classes }, (_, i) => String(i));

  const batcher = ctx.batcher<Float32Array, Float32Array>(
    'classify',
    async (items) => {
      const { outputs, ms } = await ctx.pool.run([{ graph: 'model', feeds: { [input]: stackFloat32(items, itemDims) }, fetches: [out] }]);
      return { outputs: unstack(output(outputs, out)), inferenceMs: ms };
    },
    { max_batch_size: batchCap(ctx, 'model', input) },
  );

  async function classify(images: Buffer[], options: CallOptions & { topK: number }) {
    const limits = { maxPixels: ctx.config.maxImagePixels };
    batcher.assertRoom(images.length);
    const tensors = await Promise.all(images.map((img, i) => imageToTensor(img, `#${i + 1}`, spec!, limits)));
    const answers = await Promise.all(tensors.map((t) => batcher.submit(t, options)));
    const results = answers.map(({ value }) => ({
      predictions: topK(toProbabilities(value, manifest.scores), options.topK).map(({ index, score }) => ({
        label: labels[index] ?? String(index),
        index,
        score,
      })),
    }));
    return { results, timing: answers.map((a) => a.timing) };
  }

  return {
    task: 'image-classification',
    routes: ['classify'],
    labels,
    classify,
    async warmup() {
      const zeros = new Float32Array(itemDims.reduce((a, b) => a * b, 1));
      await batcher.submit(zeros);
    },
    depth: () => batcher.depth,
    idle: () => batcher.idle(),
  };
}
