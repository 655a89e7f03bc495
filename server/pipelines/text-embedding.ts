// text-embedding (BERT-style encoders): tokenize (off the event loop) → length-grouped batches under
// a token budget → the worker pads the rows, runs the encoder and pools each vector (mean, cls,
// max; normalised as the manifest says), or returns every token's vector unpooled (embedAll). Fill-mask chains encoder → MLM head in one worker call,
// which returns only the top-k candidates at each mask; attention maps come from a separate graph
// so embeddings never pay for them, and have a size bound.
import path from 'node:path';
import { Errors } from '../errors.ts';
import { ItemRefused } from '../runtime/errors.ts';
import type { Timing } from '../runtime/policy.ts';
import type { Pooling } from '../runtime/protocol.ts';
import { graphInfo, ioName, output, submitAll, withRoom, type CallOptions, type ModelContext } from './context.ts';
import { fillMaskText, type FillMaskOptions, type MaskResult } from './mask.ts';
import { textAssembly, tokenRow, type TextRole } from './text-feeds.ts';
import { loadTokenizer, type Encoding, type TruncationSide } from './tokenizer.ts';

export type { Pooling };

/** Most values one attention answer holds (layers × heads × tokens²): 2^20, about 20 MB of JSON. */
export const MAX_ATTENTION_VALUES = 1 << 20;
/** Most values one unpooled (embed-all) answer holds (tokens × dimensions): 2^21, about 40 MB of JSON. */
export const MAX_TOKEN_VALUES = 1 << 21;

export interface TextEmbeddingPipeline {
  task: 'text-embedding';
  routes: string[];
  dimensions: number;
  /** The default pooling (the manifest's, else mean). */
  pooling: Pooling;
  maxLength: number;
  maxChars: number;
  /** Tokens of one text; `special` (default true) adds the model's special tokens. */
  tokenize(text: string, options: { truncate: boolean; special?: boolean }): Promise<Encoding>;
  /** Token ids back to text, special tokens left out unless `skipSpecial` is false. */
  decode(ids: number[], skipSpecial: boolean): Promise<string>;
  embed(inputs: string[], opts: EmbedOptions & { pooling?: Pooling; normalize?: boolean }): Promise<{ embeddings: number[][]; tokens: number; timing: Timing[] }>;
  /** Every token's hidden state, unpooled: [input][token][dimension]. */
  embedAll(inputs: string[], opts: EmbedOptions): Promise<{ embeddings: number[][][]; tokens: number; timing: Timing[] }>;
  fillMask(text: string, opts: FillMaskOptions): Promise<{ masks: MaskResult[]; timing: Timing }>;
  attention(text: string, opts: CallOptions): Promise<{ tokens: string[]; attentions: number[][][][]; timing: Timing }>;
  warmup(): Promise<void>;
}

type EmbedOptions = CallOptions & { truncate: boolean; side?: TruncationSide };

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

  const embedAllOp = ctx.scheduler.operation({
    name: 'embed-all',
    text: true,
    plan: { steps: [{ graph: encoderGraph, fetches: [hiddenName] }], assemble: assembleFor(encoderGraph), cut: { kind: 'tokens' } },
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
  const tokenize = (text: string, truncate: boolean, special = true) => {
    nonEmpty(text, 'text');
    return tokenizer.encode(text, undefined, { truncate, special, label: 'text' });
  };
  /** Reserves room for `inputs`, tokenizes them and submits one item each to `op`. */
  const submitTexts = (op: typeof embedOp, inputs: string[], opts: EmbedOptions, extra: object, bound?: (tokens: number) => void) =>
    withRoom(ctx, inputs.length, async (reservation) => {
      const label = (i: number) => `inputs[${i}]`;
      inputs.forEach((text, i) => nonEmpty(text, label(i)));
      const encoded = await tokenizer.encodeIds(inputs, { truncate: opts.truncate, side: opts.side, labels: label });
      // Counted now: the ids move to the worker when they are submitted.
      const tokens = encoded.reduce((s, e) => s + e.ids.length, 0);
      bound?.(tokens);
      const answers = await submitAll(
        ctx,
        op,
        encoded.map((e) => ({ ids: e.ids, ...extra })),
        { ...opts, reservation },
      );
      return { answers, tokens, timing: answers.map((a) => a.timing) };
    });

  const routes = ['embed', 'tokenize', ...(mlmOp ? ['fill-mask'] : []), ...(attnOp ? ['attention'] : [])];
  const unsupported = (route: string) => new Errors.WRONG_TASK(name, `text-embedding model without a '${route}' graph`, routes.join(', '));

  return {
    task: 'text-embedding',
    routes,
    dimensions,
    pooling: defaultPooling,
    maxLength,
    maxChars: tokenizer.maxChars,
    tokenize: (text, { truncate, special }) => tokenize(text, truncate, special),
    decode: (ids, skipSpecial) => tokenizer.decode(ids, skipSpecial),
    async embed(inputs, opts) {
      const pool = { pooling: opts.pooling ?? defaultPooling, normalize: opts.normalize ?? defaultNormalize };
      const { answers, tokens, timing } = await submitTexts(embedOp, inputs, opts, { pool });
      return { embeddings: answers.map((a) => Array.from(output(a.value, 'vector').data as Float32Array)), tokens, timing };
    },
    async embedAll(inputs, opts) {
      const bound = (tokens: number) => {
        if (tokens * dimensions > MAX_TOKEN_VALUES)
          throw new Errors.OUTPUT_TOO_LARGE(`${tokens} tokens × ${dimensions} dimensions is over the ${MAX_TOKEN_VALUES} values one answer may hold: send fewer or shorter texts`);
      };
      const { answers, tokens, timing } = await submitTexts(embedAllOp, inputs, opts, {}, bound);
      const rows = answers.map((a) => {
        const hidden = output(a.value, hiddenName);
        const [t = 0, width = 0] = hidden.dims;
        const data = hidden.data as Float32Array;
        return Array.from({ length: t }, (_, j) => Array.from(data.subarray(j * width, (j + 1) * width)));
      });
      return { embeddings: rows, tokens, timing };
    },
    async fillMask(text, opts) {
      if (!mlmOp) throw unsupported('fill-mask');
      return fillMaskText(ctx, tokenizer, mlmOp, text, opts);
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
