// text-embedding (BERT-style encoders): tokenize (off the event loop) → length-grouped batches under
// a token budget → the worker pads the rows, runs the encoder and pools each vector (mean, cls,
// max; normalised as the manifest says). Fill-mask chains encoder → MLM head in one worker call,
// which returns only the top-k candidates at each mask; attention maps come from a separate graph
// so embeddings never pay for them, and have a size bound.
import path from 'node:path';
import { Errors } from '../errors.ts';
import { ItemRefused } from '../runtime/errors.ts';
import type { Timing } from '../runtime/policy.ts';
import type { Pooling } from '../runtime/protocol.ts';
import { graphInfo, ioName, output, submitAll, withRoom, type CallOptions, type ModelContext } from './context.ts';
import { maskPositions, maskPredictions, type MaskResult } from './mask.ts';
import { textAssembly, tokenRow, type TextRole } from './text-feeds.ts';
import { loadTokenizer, type Encoding } from './tokenizer.ts';

export type { Pooling };

/** Most values one attention answer holds (layers × heads × tokens²): 2^20, about 20 MB of JSON. */
export const MAX_ATTENTION_VALUES = 1 << 20;

export interface TextEmbeddingPipeline {
  task: 'text-embedding';
  routes: string[];
  dimensions: number;
  maxLength: number;
  maxChars: number;
  tokenize(text: string, truncate: boolean): Promise<Encoding>;
  embed(inputs: string[], opts: CallOptions & { pooling?: Pooling; normalize?: boolean; truncate: boolean }): Promise<{ embeddings: number[][]; tokens: number; timing: Timing[] }>;
  fillMask(text: string, opts: CallOptions & { topK: number }): Promise<{ masks: MaskResult[]; timing: Timing }>;
  attention(text: string, opts: CallOptions): Promise<{ tokens: string[]; attentions: number[][][][]; timing: Timing }>;
  warmup(): Promise<void>;
}

export function textEmbedding(ctx: ModelContext): TextEmbeddingPipeline {
  const { manifest, versionDir, name } = ctx.source;
  const maxLength = manifest.max_length ?? 512;
  const tokenizer = loadTokenizer(path.resolve(versionDir, manifest.tokenizer ?? 'tokenizer.json'), maxLength);
  const encoderGraph = ctx.graphs.encoder ? 'encoder' : 'model';
  const encoder = graphInfo(ctx, encoderGraph);
  // The manifest's `outputs.hidden`, else a Hugging Face export's last_hidden_state, else the first output.
  const hiddenName = encoder.outputs.some((o) => o.name === 'last_hidden_state') && !manifest.outputs?.hidden ? 'last_hidden_state' : ioName(ctx, encoderGraph, 'outputs', 'hidden');
  const dimensions = encoder.outputs.find((o) => o.name === hiddenName)?.shape?.at(-1) ?? 0;
  const defaultPooling: Pooling = manifest.pooling ?? 'mean';
  const defaultNormalize = manifest.normalize ?? true;
  const input = (r: TextRole) => manifest.inputs?.[r] ?? r;
  const assembleFor = (graph: string) => textAssembly(graphInfo(ctx, graph), input);

  const embedOp = ctx.scheduler.operation({
    name: 'embed',
    text: true,
    plan: { steps: [{ graph: encoderGraph, fetches: [hiddenName] }], assemble: assembleFor(encoderGraph), cut: { kind: 'pool' } },
  });

  const mlm = manifest.mlm;
  const mlmOp =
    mlm && ctx.graphs.mlm
      ? ctx.scheduler.operation({
          name: 'fill-mask',
          text: true,
          plan: {
            steps: [
              { graph: encoderGraph, fetches: [hiddenName] },
              { graph: 'mlm', link: { [mlm.input]: hiddenName }, fetches: [mlm.output] },
            ],
            assemble: assembleFor(encoderGraph),
            cut: { kind: 'mask-top-k' },
          },
        })
      : undefined;

  const attnOut = manifest.attention?.output;
  const attnOp =
    attnOut && ctx.graphs.attention
      ? ctx.scheduler.operation({
          name: 'attention',
          text: true,
          maxBatchSize: 1,
          plan: { steps: [{ graph: 'attention', fetches: [attnOut] }], assemble: assembleFor('attention'), cut: { kind: 'attention', maxElements: MAX_ATTENTION_VALUES } },
        })
      : undefined;

  const nonEmpty = (text: string, label: string) => {
    if (text.trim() === '') throw new Errors.INVALID_INPUT(`${label} is empty`);
  };
  const tokenize = (text: string, truncate: boolean, label = 'text') => {
    nonEmpty(text, label);
    return tokenizer.encode(text, undefined, { truncate, label });
  };

  const routes = ['embed', 'tokenize', ...(mlmOp ? ['fill-mask'] : []), ...(attnOp ? ['attention'] : [])];
  const unsupported = (route: string) => new Errors.WRONG_TASK(name, `text-embedding model without a '${route}' graph`, routes.join(', '));

  return {
    task: 'text-embedding',
    routes,
    dimensions,
    maxLength,
    maxChars: tokenizer.maxChars,
    tokenize: (text, truncate) => tokenize(text, truncate),
    embed: (inputs, opts) =>
      withRoom(ctx, inputs.length, async (reservation) => {
        const label = (i: number) => `inputs[${i}]`;
        inputs.forEach((text, i) => nonEmpty(text, label(i)));
        const encoded = await tokenizer.encodeIds(inputs, { truncate: opts.truncate, labels: label });
        // Counted now: the ids move to the worker when they are submitted.
        const tokens = encoded.reduce((s, e) => s + e.ids.length, 0);
        const pool = { pooling: opts.pooling ?? defaultPooling, normalize: opts.normalize ?? defaultNormalize };
        const answers = await submitAll(
          ctx,
          embedOp,
          encoded.map((e) => ({ ids: e.ids, pool })),
          { ...opts, reservation },
        );
        return {
          embeddings: answers.map((a) => Array.from(output(a.value, 'vector').data as Float32Array)),
          tokens,
          timing: answers.map((a) => a.timing),
        };
      }),
    async fillMask(text, opts) {
      if (!mlmOp) throw unsupported('fill-mask');
      const { enc, positions, value, timing } = await withRoom(ctx, 1, async (reservation) => {
        const enc = await tokenize(text, false);
        const positions = maskPositions(tokenizer, enc.ids);
        return { enc, positions, ...(await mlmOp.submit({ ...tokenRow(enc.ids), positions, topK: opts.topK }, { ...opts, reservation })) };
      });
      return { masks: await maskPredictions(tokenizer, enc.ids, positions, value), timing };
    },
    async attention(text, opts) {
      if (!attnOp) throw unsupported('attention');
      const { enc, value, timing } = await withRoom(ctx, 1, async (reservation) => {
        const enc = await tokenize(text, false);
        const answer = await attnOp.submit(tokenRow(enc.ids), { ...opts, reservation }).catch((err: unknown) => {
          if (err instanceof ItemRefused && err.detail.kind === 'too-large') throw new Errors.OUTPUT_TOO_LARGE(`${err.detail.message}: send a shorter text`);
          throw err;
        });
        return { enc, ...answer };
      });
      const maps = output(value, 'attention');
      const [layers = 0, heads = 0, t = 0] = maps.dims;
      const data = maps.data as Float32Array;
      const attentions = Array.from({ length: layers }, (_, l) =>
        Array.from({ length: heads }, (_, h) => Array.from({ length: t }, (_, i) => Array.from(data.subarray(((l * heads + h) * t + i) * t, ((l * heads + h) * t + i + 1) * t)))),
      );
      return { tokens: enc.tokens, attentions, timing };
    },
    async warmup() {
      const [e] = await tokenizer.encodeIds(['warm up'], { truncate: true, labels: () => 'warmup' });
      await embedOp.submit({ ids: e!.ids, pool: { pooling: defaultPooling, normalize: defaultNormalize } });
    },
  };
}
