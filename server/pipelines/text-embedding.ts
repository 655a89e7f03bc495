// text-embedding (BERT-style encoders): tokenize → length-grouped batches under a token budget →
// encoder → vectors pooled (mean, cls, max) and normalised as the manifest says. Fill-mask chains
// encoder → MLM head in one worker call; attention maps come from a separate graph so embeddings
// never pay for them.
import path from 'node:path';
import { Errors } from '../errors.ts';
import type { TensorValue } from '../runtime/onnx.ts';
import type { Timing } from '../runtime/policy.ts';
import type { RunStep } from '../runtime/protocol.ts';
import { allOrNothing } from '../runtime/request.ts';
import { graphInfo, ioName, output, type CallOptions, type ModelContext } from './context.ts';
import { maskPositions, maskPredictions, type MaskResult } from './mask.ts';
import { textFeeds, type TextRole } from './text-feeds.ts';
import { loadTokenizer, type Encoded } from './tokenizer.ts';

export type Pooling = 'mean' | 'cls' | 'max';

export interface TextEmbeddingPipeline {
  task: 'text-embedding';
  routes: string[];
  dimensions: number;
  maxLength: number;
  tokenize(text: string, truncate: boolean): Encoded;
  embed(inputs: string[], opts: CallOptions & { pooling?: Pooling; normalize?: boolean; truncate: boolean }): Promise<{ embeddings: number[][]; tokens: number; timing: Timing[] }>;
  fillMask(text: string, opts: CallOptions & { topK: number }): Promise<{ masks: MaskResult[]; timing: Timing }>;
  attention(text: string, opts: CallOptions): Promise<{ tokens: string[]; attentions: number[][][][]; timing: Timing }>;
  warmup(): Promise<void>;
}

interface Item {
  ids: number[];
  positions?: number[];
}

export function textEmbedding(ctx: ModelContext): TextEmbeddingPipeline {
  const { manifest, versionDir, name } = ctx.source;
  const tokenizer = loadTokenizer(path.resolve(versionDir, manifest.tokenizer ?? 'tokenizer.json'));
  const encoderGraph = ctx.graphs.encoder ? 'encoder' : 'model';
  const encoder = graphInfo(ctx, encoderGraph);
  // The manifest's `outputs.hidden`, else a Hugging Face export's last_hidden_state, else the first output.
  const hiddenName = encoder.outputs.some((o) => o.name === 'last_hidden_state') && !manifest.outputs?.hidden ? 'last_hidden_state' : ioName(ctx, encoderGraph, 'outputs', 'hidden');
  const dimensions = encoder.outputs.find((o) => o.name === hiddenName)?.shape?.at(-1) ?? 0;
  const maxLength = manifest.max_length ?? 512;
  const defaultPooling: Pooling = manifest.pooling ?? 'mean';
  const defaultNormalize = manifest.normalize ?? true;
  const input = (r: TextRole) => manifest.inputs?.[r] ?? r;
  const feeds = (graph: string, items: Item[]) => textFeeds(graphInfo(ctx, graph), items, input);

  // A rank-2 output ([N,H]) is already one vector per input (pooled in the graph).
  const pooledInGraph = encoder.outputs.find((o) => o.name === hiddenName)?.shape?.length === 2;
  const embedOp = ctx.scheduler.operation<Item, Float32Array>({
    name: 'embed',
    text: true,
    async run(items, exec) {
      const { feeds: f, length } = feeds(encoderGraph, items);
      const { outputs, ms } = await exec([{ graph: encoderGraph, feeds: f, fetches: [hiddenName] }]);
      const data = output(outputs, hiddenName).data as Float32Array;
      const rows = items.map((it, i) =>
        pooledInGraph ? data.slice(i * dimensions, (i + 1) * dimensions) : data.slice(i * length * dimensions, (i * length + it.ids.length) * dimensions),
      );
      return { outputs: rows, inferenceMs: ms };
    },
  });

  const mlm = manifest.mlm;
  const mlmOp = mlm && ctx.graphs.mlm
    ? ctx.scheduler.operation<Item, Float32Array[]>({ name: 'fill-mask', text: true, async run(items, exec) {
        const { feeds: f, length } = feeds(encoderGraph, items);
        const steps: RunStep[] = [
          { graph: encoderGraph, feeds: f, fetches: [hiddenName] },
          { graph: 'mlm', feeds: {}, link: { [mlm.input]: hiddenName }, fetches: [mlm.output] },
        ];
        const { outputs, ms } = await exec(steps);
        const logits = output(outputs, mlm.output);
        const v = logits.dims.at(-1) ?? 0;
        const data = logits.data as Float32Array;
        const rows = items.map((it, i) => (it.positions ?? []).map((p) => data.slice((i * length + p) * v, (i * length + p + 1) * v)));
        return { outputs: rows, inferenceMs: ms };
      } })
    : undefined;

  const attnOut = manifest.attention?.output;
  const attnOp = attnOut && ctx.graphs.attention
    ? ctx.scheduler.operation<Item, TensorValue>({ name: 'attention', text: true, maxBatchSize: 1, async run(items, exec) {
        const { feeds: f, length } = feeds('attention', items);
        const { outputs, ms } = await exec([{ graph: 'attention', feeds: f, fetches: [attnOut] }]);
        const t = output(outputs, attnOut);
        const [n = 0, layers = 0, heads = 0] = t.dims;
        const per = layers * heads * length * length;
        const data = t.data as Float32Array;
        const rows = Array.from({ length: n }, (_, i) => ({ type: 'float32' as const, dims: [layers, heads, length, length], data: data.slice(i * per, (i + 1) * per) }));
        return { outputs: rows, inferenceMs: ms };
      } })
    : undefined;

  const tokenize = (text: string, truncate: boolean, label = 'text') => {
    if (text.trim() === '') throw new Errors.INVALID_INPUT(`${label} is empty`);
    return tokenizer.encode(text, { maxLength, truncate, label });
  };

  const pool = (hidden: Float32Array, pooling: Pooling, normalize: boolean) => (pooledInGraph ? scale(hidden, normalize) : poolRows(hidden, dimensions, pooling, normalize));

  const routes = ['embed', 'tokenize', ...(mlmOp ? ['fill-mask'] : []), ...(attnOp ? ['attention'] : [])];
  const unsupported = (route: string) => new Errors.WRONG_TASK(name, `text-embedding model without a '${route}' graph`, routes.join(', '));

  return {
    task: 'text-embedding',
    routes,
    dimensions,
    maxLength,
    tokenize: (text, truncate) => tokenize(text, truncate),
    async embed(inputs, opts) {
      const encoded = inputs.map((text, i) => tokenize(text, opts.truncate, `inputs[${i}]`));
      ctx.scheduler.assertRoom(encoded.length);
      const answers = await allOrNothing(name, opts.signal, encoded.map((e) => (signal) => embedOp.submit({ ids: e.ids }, { signal, timeoutMs: opts.timeoutMs, cost: e.ids.length })));
      return {
        embeddings: answers.map((a) => pool(a.value, opts.pooling ?? defaultPooling, opts.normalize ?? defaultNormalize)),
        tokens: encoded.reduce((s, e) => s + e.ids.length, 0),
        timing: answers.map((a) => a.timing),
      };
    },
    async fillMask(text, opts) {
      if (!mlmOp) throw unsupported('fill-mask');
      const enc = tokenize(text, false);
      const positions = maskPositions(tokenizer, enc.ids);
      const { value, timing } = await mlmOp.submit({ ids: enc.ids, positions }, { ...opts, cost: enc.ids.length });
      const masks = maskPredictions(tokenizer, enc.ids, positions, value, opts.topK);
      return { masks, timing };
    },
    async attention(text, opts) {
      if (!attnOp) throw unsupported('attention');
      const enc = tokenize(text, false);
      const { value, timing } = await attnOp.submit({ ids: enc.ids }, { ...opts, cost: enc.ids.length });
      const [layers = 0, heads = 0, t = 0] = value.dims;
      const data = value.data as Float32Array;
      const attentions = Array.from({ length: layers }, (_, l) =>
        Array.from({ length: heads }, (_, h) =>
          Array.from({ length: t }, (_, i) => Array.from(data.subarray(((l * heads + h) * t + i) * t, ((l * heads + h) * t + i + 1) * t)))));
      return { tokens: enc.tokens, attentions, timing };
    },
    async warmup() {
      await embedOp.submit({ ids: tokenizer.encode('warm up', { maxLength, truncate: true, label: 'warmup' }).ids });
    },
  };
}

function scale(v: ArrayLike<number>, normalize: boolean): number[] {
  let norm = 1;
  if (normalize) {
    let sq = 0;
    for (let i = 0; i < v.length; i++) sq += (v[i] as number) ** 2;
    norm = Math.sqrt(sq) || 1;
  }
  return Array.from(v, (x) => x / norm);
}

/** Pools token rows ([T, H], real tokens only) into one vector: mean, max, or the first ([CLS]). */
export function poolRows(hidden: Float32Array, dimensions: number, pooling: Pooling, normalize: boolean): number[] {
  const n = hidden.length / dimensions;
  const rows = pooling === 'cls' ? 1 : n;
  const v = new Float64Array(dimensions).fill(pooling === 'max' ? -Infinity : 0);
  for (let r = 0; r < rows; r++)
    for (let d = 0; d < dimensions; d++) {
      const x = hidden[r * dimensions + d]!;
      v[d] = pooling === 'max' ? Math.max(v[d]!, x) : v[d]! + x / rows;
    }
  return scale(v, normalize);
}
