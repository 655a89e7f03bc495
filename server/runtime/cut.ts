// The worker's side of "return only what is returned": a batch's outputs cut into one answer per
// item by the plan's Cut (see protocol.ts), each in its own buffer so it can be transferred.
// Fill-mask keeps k candidates per mask instead of [T, vocabulary] logits; embeddings keep one
// pooled vector instead of [T, hidden]; attention maps lose their padding and have a size bound.
import { softmax, topK } from './math.ts';
import type { TensorValue } from './onnx.ts';
import type { BatchItem, Cut, ItemResult, Pooling } from './protocol.ts';

type Outputs = Record<string, TensorValue>;

function only(outputs: Outputs): TensorValue {
  const values = Object.values(outputs);
  if (values.length !== 1) throw new Error(`this cut takes one output, the run gave ${values.length}. This is a bug.`);
  return values[0]!;
}

const sliced = (t: TensorValue, dims: number[], start: number, end: number): TensorValue => ({
  type: t.type,
  dims,
  data: (t.data as unknown as { slice(a: number, b: number): TensorValue['data'] }).slice(start, end),
});

/**
 * Splits every output along its first axis: `rows[i]` rows (default 1) for item i. A run of one
 * item keeps its outputs whole: a model that cannot batch may answer with any first axis (a
 * scalar, a fixed length), and only batched runs have outputs whose first axis is the items'.
 */
function rows(outputs: Outputs, items: BatchItem[]): ItemResult[] {
  if (items.length === 1) return [{ outputs }];
  const starts: number[] = [];
  let total = 0;
  for (const it of items) {
    starts.push(total);
    total += it.rows ?? 1;
  }
  return items.map((it, i) => {
    const n = it.rows ?? 1;
    const cut: Outputs = {};
    for (const [name, t] of Object.entries(outputs)) {
      const first = t.dims[0] ?? 0;
      const per = first === 0 ? 0 : (t.data as ArrayLike<unknown>).length / first;
      cut[name] = sliced(t, [n, ...t.dims.slice(1)], starts[i]! * per, (starts[i]! + n) * per);
    }
    return { outputs: cut };
  });
}

/** [N, T, …] → each item's own positions [t, …] (its padding cut off). */
function tokens(outputs: Outputs, items: BatchItem[], length: number): ItemResult[] {
  return items.map((it, i) => {
    const t = it.ids?.length ?? 0;
    const cut: Outputs = {};
    for (const [name, out] of Object.entries(outputs)) {
      const rest = out.dims.slice(2);
      const per = rest.reduce((a, b) => a * b, 1);
      cut[name] = sliced(out, [t, ...rest], i * length * per, (i * length + t) * per);
    }
    return { outputs: cut };
  });
}

/** Pools token rows ([T, H], real tokens only) into one vector: mean, max, or the first ([CLS]); then normalises. */
export function poolRows(hidden: ArrayLike<number>, offset: number, count: number, dimensions: number, pooling: Pooling, normalize: boolean): Float32Array {
  const rowsUsed = pooling === 'cls' ? Math.min(1, count) : count;
  const v = new Float64Array(dimensions).fill(pooling === 'max' ? -Infinity : 0);
  for (let r = 0; r < rowsUsed; r++) {
    const base = offset + r * dimensions;
    for (let d = 0; d < dimensions; d++) {
      const x = hidden[base + d] as number;
      if (pooling === 'max') v[d] = Math.max(v[d]!, x);
      else v[d]! += x;
    }
  }
  if (pooling !== 'max' && rowsUsed > 0) for (let d = 0; d < dimensions; d++) v[d]! /= rowsUsed;
  return scaled(v, normalize);
}

function scaled(v: ArrayLike<number>, normalize: boolean): Float32Array {
  let norm = 1;
  if (normalize) {
    let sq = 0;
    for (let i = 0; i < v.length; i++) sq += (v[i] as number) ** 2;
    norm = Math.sqrt(sq) || 1;
  }
  return Float32Array.from(v, (x) => x / norm);
}

/** [N, T, H] (or [N, H], pooled in the graph) → one vector [H] per item. */
function pool(outputs: Outputs, items: BatchItem[], length: number): ItemResult[] {
  const hidden = only(outputs);
  const data = hidden.data as Float32Array;
  const dimensions = hidden.dims.at(-1) ?? 0;
  const pooledInGraph = hidden.dims.length === 2;
  return items.map((it, i) => {
    const { pooling, normalize } = it.pool ?? { pooling: 'mean', normalize: true };
    const vector = pooledInGraph
      ? scaled(data.subarray(i * dimensions, (i + 1) * dimensions), normalize)
      : poolRows(data, i * length * dimensions, it.ids?.length ?? 0, dimensions, pooling, normalize);
    return { outputs: { vector: { type: 'float32', dims: [dimensions], data: vector } } };
  });
}

/** [N, T, V] → at each of the item's positions, its `topK` likeliest ids and their probabilities. */
function maskTopK(outputs: Outputs, items: BatchItem[], length: number): ItemResult[] {
  const logits = only(outputs);
  const v = logits.dims.at(-1) ?? 0;
  const data = logits.data as Float32Array;
  return items.map((it, i) => {
    const positions = it.positions ?? [];
    const k = Math.min(it.topK ?? 5, v);
    const ids = new Int32Array(positions.length * k);
    const scores = new Float32Array(positions.length * k);
    positions.forEach((p, m) => {
      const start = (i * length + p) * v;
      topK(softmax(data.subarray(start, start + v)), k).forEach(({ index, score }, j) => {
        ids[m * k + j] = index;
        scores[m * k + j] = score;
      });
    });
    const dims = [positions.length, k];
    return { outputs: { ids: { type: 'int32', dims, data: ids }, scores: { type: 'float32', dims, data: scores } } };
  });
}

/** [N, L, H, T, T] → each item's [L, H, t, t], or a 'too-large' refusal past `maxElements`. */
function attention(outputs: Outputs, items: BatchItem[], length: number, maxElements: number): ItemResult[] {
  const out = only(outputs);
  const [, layers = 0, heads = 0] = out.dims;
  const data = out.data as Float32Array;
  const per = layers * heads * length * length;
  return items.map((it, i) => {
    const t = it.ids?.length ?? 0;
    const elements = layers * heads * t * t;
    if (elements > maxElements)
      return {
        error: {
          message: `attention maps of ${t} tokens hold ${elements} values (${layers} layers × ${heads} heads × ${t}²); the limit is ${maxElements}`,
          sibling: false,
          kind: 'too-large',
          elements,
          limit: maxElements,
        },
      };
    const maps = new Float32Array(elements);
    for (let m = 0; m < layers * heads; m++)
      for (let r = 0; r < t; r++) {
        const from = i * per + (m * length + r) * length;
        maps.set(data.subarray(from, from + t), (m * t + r) * t);
      }
    return { outputs: { attention: { type: 'float32', dims: [layers, heads, t, t], data: maps } } };
  });
}

/** One answer per item, in order. `length` is the padded length of a text batch (0 otherwise). */
export function cutOutputs(cut: Cut, outputs: Outputs, items: BatchItem[], length: number): ItemResult[] {
  switch (cut.kind) {
    case 'rows':
      return rows(outputs, items);
    case 'tokens':
      return tokens(outputs, items, length);
    case 'pool':
      return pool(outputs, items, length);
    case 'mask-top-k':
      return maskTopK(outputs, items, length);
    case 'attention':
      return attention(outputs, items, length, cut.maxElements);
  }
}
