// image-classification: uploads → the model's worker, which decodes, resizes and normalises them
// (image-prepare.ts: sharp, or fast-png for small grey PNGs) and runs them as one batch →
// top-k labels. The main thread only queues bytes.
import { Errors } from '../errors.ts';
import type { ImageSpec } from '../repository/manifest.ts';
import { RuntimeError } from '../runtime/errors.ts';
import type { SkippedItem } from '../runtime/protocol.ts';
import { allOrNothing } from '../runtime/request.ts';
import { softmax, topK } from '../runtime/math.ts';
import type { Timing } from '../runtime/policy.ts';
import { batchCap, ioName, output, unstack, type CallOptions, type ModelContext } from './context.ts';
import type { ImagePrepareOptions } from './image-prepare.ts';

const PREPARE = new URL('./image-prepare.ts', import.meta.url).href;

interface Upload {
  bytes: Uint8Array;
  /** The request it belongs to: when one of its uploads is refused, the others are dropped. */
  group: number;
  /** "#2": its place in the request, for error messages. */
  label: string;
}

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

/** A black PNG of the model's size, for the warm-up run (it also loads the decoder in the worker). */
async function blankImage(spec: ImageSpec): Promise<Uint8Array> {
  const { default: sharp } = await import('sharp');
  return new Uint8Array(await sharp({ create: { width: spec.width, height: spec.height, channels: 3, background: '#000' } }).png().toBuffer());
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

  const options: ImagePrepareOptions = { spec, maxPixels: ctx.config.maxImagePixels };
  let requests = 0;

  /** The client's error for an upload the worker refused (or dropped with a refused sibling). */
  const refusal = (upload: Upload, { error }: SkippedItem): Error => {
    if (error.sibling) return new RuntimeError('cancelled', name, error.message);
    if (error.kind === 'too-large') return new Errors.IMAGE_TOO_LARGE(upload.label, Number(error.width), Number(error.height), options.maxPixels);
    return new Errors.INVALID_IMAGE(upload.label, error.message);
  };

  const op = ctx.scheduler.operation<Upload, Float32Array>({
    name: 'classify',
    maxBatchSize: batchCap(ctx, 'model', input),
    async run(items, exec) {
      const prepare = { module: PREPARE, input, dims: itemDims, items: items.map((u) => u.bytes), groups: items.map((u) => u.group), options };
      const { outputs, ms, skipped } = await exec([{ graph: 'model', feeds: {}, fetches: [out], prepare }]);
      const refused = new Map(skipped.map((s) => [s.index, s]));
      const rows = refused.size === items.length ? [] : unstack(output(outputs, out));
      let row = 0;
      return { outputs: items.map((u, i) => (refused.has(i) ? refusal(u, refused.get(i)!) : rows[row++]!)), inferenceMs: ms };
    },
  });

  async function classify(images: Buffer[], options: CallOptions & { topK: number }) {
    ctx.scheduler.assertRoom(images.length);
    const group = requests++;
    // Each upload gets its own buffer, moved (not copied) to the worker.
    const uploads = images.map((img, i): Upload => ({ bytes: new Uint8Array(img), group, label: `#${i + 1}` }));
    const answers = await allOrNothing(name, options.signal, uploads.map((u) => (signal) => op.submit(u, { signal, timeoutMs: options.timeoutMs })));
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
      await op.submit({ bytes: await blankImage(spec), group: -1, label: 'warm-up' });
    },
  };
}
