// image-classification: uploads → the model's worker, which decodes, resizes and normalises them
// (image-prepare.ts: sharp, or fast-png for small grey PNGs) and runs them as one batch →
// top-k labels. The main thread only queues bytes.
import { Errors } from '../errors.ts';
import type { ImageSpec } from '../repository/manifest.ts';
import { ItemRefused } from '../runtime/errors.ts';
import { softmax, topK } from '../runtime/math.ts';
import type { Timing } from '../runtime/policy.ts';
import { allOrNothing } from '../runtime/request.ts';
import { batchCap, ioName, output, withRoom, type CallOptions, type ModelContext } from './context.ts';
import type { ImagePrepareOptions } from './image-prepare.ts';

const PREPARE = new URL('./image-prepare.ts', import.meta.url).href;

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
  return new Uint8Array(
    await sharp({ create: { width: spec.width, height: spec.height, channels: 3, background: '#000' } })
      .png()
      .toBuffer(),
  );
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

  /** The client's error for an upload the worker refused (a refused sibling's drop is a 'cancelled', left as it is). */
  const refusal =
    (label: string) =>
    (err: unknown): never => {
      if (!(err instanceof ItemRefused)) throw err;
      const { detail } = err;
      if (detail.kind === 'too-large') throw new Errors.IMAGE_TOO_LARGE(label, Number(detail.width), Number(detail.height), options.maxPixels);
      throw new Errors.INVALID_IMAGE(label, detail.message);
    };

  const op = ctx.scheduler.operation({
    name: 'classify',
    maxBatchSize: batchCap(ctx, 'model', input),
    plan: { steps: [{ graph: 'model', fetches: [out] }], assemble: { kind: 'prepare', module: PREPARE, input, dims: itemDims, options }, cut: { kind: 'rows' } },
  });

  async function classify(images: Buffer[], options: CallOptions & { topK: number }) {
    const group = requests++;
    // Each upload gets its own buffer, moved (not copied) to the worker.
    const answers = await withRoom(
      ctx,
      images.length,
      (reservation) =>
        allOrNothing(
          name,
          options.signal,
          images.map((img, i) => (signal) => op.submit({ bytes: new Uint8Array(img), group }, { signal, timeoutMs: options.timeoutMs, reservation }).catch(refusal(`#${i + 1}`))),
        ),
      images.reduce((n, img) => n + img.byteLength, 0),
    );
    const results = answers.map(({ value }) => ({
      predictions: topK(toProbabilities(output(value, out).data as Float32Array, manifest.scores), options.topK).map(({ index, score }) => ({ label: labels[index] ?? String(index), index, score })),
    }));
    return { results, timing: answers.map((a) => a.timing) };
  }

  return {
    task: 'image-classification',
    routes: ['classify'],
    labels,
    classify,
    async warmup() {
      await op.submit({ bytes: await blankImage(spec), group: -1 }).catch(refusal('warm-up'));
    },
  };
}
