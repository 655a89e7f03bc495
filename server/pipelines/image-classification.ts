// image-classification: image bytes → decode/resize/normalise (sharp, in a CPU-pool thread) →
// batched CNN → top-k labels.
import { allOrNothing } from '../runtime/request.ts';
import { softmax, topK } from '../runtime/math.ts';
import type { Timing } from '../runtime/policy.ts';
import { batchCap, ioName, output, stackFloat32, unstack, type CallOptions, type ModelContext } from './context.ts';
import { decodeImage } from './image-decode.ts';

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
}

function toProbabilities(row: Float32Array, kind: string | undefined): ArrayLike<number> {
  if (kind === 'probabilities') return row;
  if (kind === 'log_probabilities') return Array.from(row, Math.exp);
  return softmax(row);
}

export function imageClassification(ctx: ModelContext): ImageClassificationPipeline {
  const { manifest, name } = ctx.source;
  const spec = manifest.image;
  if (!spec) throw new Error('image-classification needs an "image" block in the manifest');
  const input = ioName(ctx, 'model', 'inputs', 'pixels');
  const out = ioName(ctx, 'model', 'outputs', 'scores');
  const itemDims = (spec.layout ?? 'NCHW') === 'NCHW' ? [spec.channels, spec.height, spec.width] : [spec.height, spec.width, spec.channels];
  const classes = ctx.graphs.model?.outputs.find((o) => o.name === out)?.shape?.at(-1) ?? manifest.labels?.length ?? 0;
  const labels = manifest.labels ?? Array.from({ length: classes }, (_, i) => String(i));

  const op = ctx.scheduler.operation<Float32Array, Float32Array>({
    name: 'classify',
    maxBatchSize: batchCap(ctx, 'model', input),
    async run(items, exec) {
      const { outputs, ms } = await exec([{ graph: 'model', feeds: { [input]: stackFloat32(items, itemDims) }, fetches: [out] }]);
      return { outputs: unstack(output(outputs, out)), inferenceMs: ms };
    },
  });

  async function classify(images: Buffer[], options: CallOptions & { topK: number }) {
    ctx.scheduler.assertRoom(images.length);
    const answers = await allOrNothing(name, options.signal, images.map((img, i) => async (signal) => {
      const tensor = await decodeImage(ctx.cpu, img, `#${i + 1}`, spec!, ctx.config.maxImagePixels);
      signal.throwIfAborted();
      return op.submit(tensor, { signal, timeoutMs: options.timeoutMs });
    }));
    const results = answers.map(({ value }) => ({
      predictions: topK(toProbabilities(value, manifest.scores), options.topK).map(({ index, score }) => ({ label: labels[index] ?? String(index), index, score })),
    }));
    return { results, timing: answers.map((a) => a.timing) };
  }

  return {
    task: 'image-classification',
    routes: ['classify'],
    labels,
    classify,
    async warmup() {
      await op.submit(new Float32Array(itemDims.reduce((a, b) => a * b, 1)));
    },
  };
}
