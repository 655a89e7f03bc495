// The worker's batch runner (server/runtime/batch.ts, cut.ts) on fake sessions: text rows padded in the graph's
// integer type, item tensors stacked, each cut keeping only what is returned, reruns of a rejected batch.
import { describe, expect, it } from 'vitest';
import { runBatch, textFeeds } from '../../server/runtime/batch.ts';
import { cutOutputs, poolRows } from '../../server/runtime/cut.ts';
import type { Session, TensorInfo, TensorValue } from '../../server/runtime/onnx.ts';
import type { BatchItem, BatchPlan } from '../../server/runtime/protocol.ts';

function session(inputs: TensorInfo[], run: Session['run'] = async () => ({})): Session {
  return { inputs, outputs: [], run, release: async () => {} };
}

const ids = (...xs: number[]) => Int32Array.from(xs);
const f32 = (dims: number[], data: number[]): TensorValue => ({ type: 'float32', dims, data: Float32Array.from(data) });

describe('textFeeds', () => {
  const roles = { kind: 'text' as const, inputs: { input_ids: 'ids', attention_mask: 'mask', token_type_ids: 'types', position_ids: 'pos' } };

  it('pads rows to the longest with zeros and writes int64 that equal the BigInt values', () => {
    const s = session(['ids', 'mask', 'types', 'pos'].map((name) => ({ name, isTensor: true, type: 'int64' as const, shape: [-1, -1] })));
    const { feeds, length } = textFeeds(s, roles, [{ ids: ids(101, 7, 102) }, { ids: ids(101, 102), typeIds: ids(0, 1) }, { ids: ids(2_000_000_000) }]);
    expect(length).toBe(3);
    const values = (name: string) => Array.from(feeds[name]!.data as BigInt64Array, Number);
    expect(feeds.ids!.type).toBe('int64');
    expect(feeds.ids!.dims).toEqual([3, 3]);
    expect(values('ids')).toEqual([101, 7, 102, 101, 102, 0, 2_000_000_000, 0, 0]);
    expect(values('mask')).toEqual([1, 1, 1, 1, 1, 0, 1, 0, 0]);
    expect(values('types')).toEqual([0, 0, 0, 0, 1, 0, 0, 0, 0]);
    expect(values('pos')).toEqual([0, 1, 2, 0, 1, 0, 0, 0, 0]);
  });

  it('feeds only the roles the graph has, in the type it declares (int32 here)', () => {
    const s = session([
      { name: 'ids', isTensor: true, type: 'int32', shape: [-1, -1] },
      { name: 'mask', isTensor: true, type: 'int32', shape: [-1, -1] },
    ]);
    const { feeds } = textFeeds(s, { kind: 'text', inputs: { input_ids: 'ids', attention_mask: 'mask' } }, [{ ids: ids(5, 6) }]);
    expect(Object.keys(feeds).sort()).toEqual(['ids', 'mask']);
    expect(feeds.ids).toEqual({ type: 'int32', dims: [1, 2], data: Int32Array.of(5, 6) });
  });
});

describe('cuts', () => {
  it('rows: each item its own rows of every output', () => {
    const out = cutOutputs({ kind: 'rows' }, { y: f32([3, 2], [1, 2, 3, 4, 5, 6]) }, [{ rows: 2 }, {}], 0);
    expect(out).toEqual([{ outputs: { y: f32([2, 2], [1, 2, 3, 4]) } }, { outputs: { y: f32([1, 2], [5, 6]) } }]);
  });

  it('rows: a run of one item keeps its outputs whole, whatever their first axis (a scalar, a fixed length)', () => {
    const outputs = { scalar: f32([], [7]), fixed: f32([3], [1, 2, 3]) };
    expect(cutOutputs({ kind: 'rows' }, outputs, [{ rows: 1 }], 0)).toEqual([{ outputs }]);
  });

  it('tokens: each item its real positions, padding cut off', () => {
    const out = cutOutputs({ kind: 'tokens' }, { y: f32([2, 3, 1], [1, 2, 3, 4, 5, 6]) }, [{ ids: ids(1, 1, 1) }, { ids: ids(1) }], 3);
    expect(out).toEqual([{ outputs: { y: f32([3, 1], [1, 2, 3]) } }, { outputs: { y: f32([1, 1], [4]) } }]);
  });

  it('pool: mean, cls and max over the real tokens only, then normalised', () => {
    // Two items, padded length 2, hidden 2: item 0 has 2 tokens, item 1 has 1 (its second row is padding).
    const hidden = { h: f32([2, 2, 2], [3, 0, 1, 4, 0, 2, 99, 99]) };
    const items: BatchItem[] = [
      { ids: ids(1, 1), pool: { pooling: 'mean', normalize: false } },
      { ids: ids(1), pool: { pooling: 'mean', normalize: true } },
    ];
    const [a, b] = cutOutputs({ kind: 'pool' }, hidden, items, 2);
    expect(Array.from((a as { outputs: Record<string, TensorValue> }).outputs.vector!.data as Float32Array)).toEqual([2, 2]);
    expect(Array.from((b as { outputs: Record<string, TensorValue> }).outputs.vector!.data as Float32Array)).toEqual([0, 1]);
    expect(Array.from(poolRows(hidden.h.data as Float32Array, 0, 2, 2, 'max', false))).toEqual([3, 4]);
    expect(Array.from(poolRows(hidden.h.data as Float32Array, 0, 2, 2, 'cls', false))).toEqual([3, 0]);
  });

  it('mask-top-k: the k likeliest ids at each asked position, with softmax probabilities', () => {
    const logits = { l: f32([1, 2, 3], [0, 0, 0, Math.log(1), Math.log(3), Math.log(6)]) };
    const [r] = cutOutputs({ kind: 'mask-top-k' }, logits, [{ ids: ids(1, 2), positions: [1], topK: 2 }], 2);
    const { outputs } = r as { outputs: Record<string, TensorValue> };
    expect(outputs.ids).toEqual({ type: 'int32', dims: [1, 2], data: Int32Array.of(2, 1) });
    const scores = Array.from(outputs.scores!.data as Float32Array);
    expect(scores[0]).toBeCloseTo(0.6, 6);
    expect(scores[1]).toBeCloseTo(0.3, 6);
  });

  it('attention: each item its [L, H, t, t] without padding, and a refusal past the bound', () => {
    // One layer, one head, padded length 2; item 0 has 1 token.
    const maps = { a: f32([2, 1, 1, 2, 2], [1, 2, 3, 4, 5, 6, 7, 8]) };
    const [short, full] = cutOutputs({ kind: 'attention', maxElements: 3 }, maps, [{ ids: ids(1) }, { ids: ids(1, 1) }], 2);
    expect(short).toEqual({ outputs: { attention: f32([1, 1, 1, 1], [1]) } });
    expect(full).toMatchObject({ error: { kind: 'too-large', elements: 4, limit: 3, sibling: false } });
  });
});

describe('runBatch', () => {
  const stackPlan = (rerunAlone: boolean): BatchPlan => ({ steps: [{ graph: 'g', fetches: ['y'] }], assemble: { kind: 'stack' }, cut: { kind: 'rows' }, rerunAlone });
  const item = (x: number): BatchItem => ({ tensors: { x: f32([1], [x]) } });
  /** Doubles x; rejects any batch holding a negative value, as onnxruntime rejects a bad tensor. */
  const doubler = session([{ name: 'x', isTensor: true, type: 'float32', shape: [-1] }], async (feeds) => {
    const x = feeds.x!.data as Float32Array;
    if (x.some((v) => v < 0)) throw new Error('negative input');
    return {
      y: f32(
        [...feeds.x!.dims],
        Array.from(x, (v) => 2 * v),
      ),
    };
  });

  it('stacks the items, runs once and answers each', async () => {
    const r = await runBatch(stackPlan(true), [item(1), item(2)], () => doubler);
    expect(r).toEqual({ items: [{ outputs: { y: f32([1], [2]) } }, { outputs: { y: f32([1], [4]) } }], reruns: 0 });
  });

  it('with rerunAlone, a rejected batch is rerun item by item: only the item that fails alone fails', async () => {
    const r = await runBatch(stackPlan(true), [item(1), item(-1), item(3)], () => doubler);
    expect(r.reruns).toBe(3);
    expect(r.items[0]).toEqual({ outputs: { y: f32([1], [2]) } });
    expect(r.items[1]).toMatchObject({ error: { kind: 'rejected', message: 'negative input', sibling: false } });
    expect(r.items[2]).toEqual({ outputs: { y: f32([1], [6]) } });
  });

  it('without rerunAlone, a rejected batch fails whole', async () => {
    await expect(runBatch(stackPlan(false), [item(1), item(-1)], () => doubler)).rejects.toThrow('negative input');
  });
});
