import { describe, expect, it } from 'vitest';
import { SequenceEngine } from '../../server/runtime/engine.ts';
import type { Session, TensorValue } from '../../server/runtime/onnx.ts';
import type { EngineSpec, SequenceMessage, SequenceStart } from '../../server/runtime/protocol.ts';

const V = 4;
const SPEC: EngineSpec = { graph: 'model', ids: 'ids', logits: 'logits', states: [{ input: 'h', output: 'h_out', shape: [-1, 1] }], prefillChunk: 4 };

/**
 * A fake recurrent "model": the state is a running sum of the tokens fed; at each position the
 * logits favour (sum + 1) mod 4 strongly. Every run is recorded as [rows, tokens per row].
 */
function fakeSession(runs: [number, number][]): Session {
  return {
    inputs: [],
    outputs: [],
    release: async () => {},
    async run(feeds) {
      const ids = feeds.ids!;
      const [n = 0, t = 0] = ids.dims;
      runs.push([n, t]);
      await new Promise((r) => setImmediate(r));
      const tokens = Array.from(ids.data as BigInt64Array, Number);
      const h = feeds.h!.data as Float32Array;
      const logits = new Float32Array(n * t * V);
      const out = new Float32Array(n);
      for (let i = 0; i < n; i++) {
        let sum = h[i]!;
        for (let j = 0; j < t; j++) {
          sum += tokens[i * t + j]!;
          logits[(i * t + j) * V + ((sum + 1) % V)] = 20;
        }
        out[i] = sum;
      }
      const result: Record<string, TensorValue> = { h_out: { type: 'float32', dims: [n, 1], data: out }, logits: { type: 'float32', dims: [n, t, V], data: logits } };
      return result;
    },
  };
}

function harness(opts: { fault?: () => boolean } = {}) {
  const runs: [number, number][] = [];
  const messages: SequenceMessage[] = [];
  const tokens = new Map<number, number[]>();
  const ended = new Map<number, string>();
  const waiters: (() => void)[] = [];
  const engine = new SequenceEngine({
    session: fakeSession(runs),
    spec: SPEC,
    takeFault: opts.fault,
    post: (m) => {
      messages.push(m);
      if (m.type === 'seq-step') {
        m.ids.forEach((id, i) => tokens.set(id, [...(tokens.get(id) ?? []), m.tokens[i]!]));
        for (const id of m.finished) ended.set(id, 'length');
      } else for (const id of m.ids) ended.set(id, m.message);
      waiters.splice(0).forEach((w) => w());
    },
  });
  const until = async (cond: () => boolean) => {
    while (!cond()) await new Promise<void>((r) => waiters.push(r));
  };
  return { engine, runs, messages, tokens, ended, until };
}

const start = (id: number, prompt: number[], maxTokens: number, temperature = 0, seed = 1): SequenceStart => ({
  id,
  prompt,
  maxTokens,
  seed,
  sampling: { temperature, topK: 0, topP: 1 },
});

describe('SequenceEngine (in the worker)', () => {
  it('advances many sequences in shared steps, each with its own state', async () => {
    const h = harness();
    h.engine.add(start(1, [1], 3));
    h.engine.add(start(2, [2, 2], 3));
    await h.until(() => h.ended.size === 2);
    // 1: feeds 1 → sum 1 → 2; feeds 2 → sum 3 → 0; feeds 0 → sum 3 → 0
    expect(h.tokens.get(1)).toEqual([2, 0, 0]);
    // 2: prefill [2] → sum 2; feeds 2 → 4 → 1; feeds 1 → 5 → 2; feeds 2 → 7 → 0
    expect(h.tokens.get(2)).toEqual([1, 2, 0]);
    // One message carries the new tokens of both sequences (steps only coalesce, never split).
    const steps = h.messages.filter((m) => m.type === 'seq-step');
    expect(steps.some((m) => m.ids.includes(1) && m.ids.includes(2))).toBe(true);
    expect(steps.flatMap((m) => m.sizes)).toContain(2);
  });

  it('prefills a long prompt in chunks between decode steps, so active streams are never stalled by more than one run', async () => {
    const h = harness();
    h.engine.add(start(1, [0], 100_000));
    await h.until(() => (h.tokens.get(1)?.length ?? 0) >= 2);
    // 13 prompt tokens with chunks of 4: two chunk runs (12 → 8 → 4 tokens before the last one
    // left), then the last 5 are folded into the active stream's steps, one per step.
    h.engine.add(
      start(
        2,
        Array.from({ length: 13 }, () => 1),
        2,
      ),
    );
    await h.until(() => h.ended.has(2));
    const prefills = h.runs.filter(([, t]) => t > 1);
    expect(prefills).toEqual([
      [1, 4],
      [1, 4],
    ]);
    // Between the two chunk runs there is a decode step of the active stream (both streams share it after).
    const idx = h.runs.map(([, t], i) => (t > 1 ? i : -1)).filter((i) => i >= 0);
    expect(idx[1]! - idx[0]!).toBe(2);
    expect(h.runs.slice(idx[1]! + 1, idx[1]! + 6)).toEqual(Array.from({ length: 5 }, () => [2, 1]));
    // prompt sum 13 → token (13 + 1) % 4 = 2, then sum 15 → 0
    expect(h.tokens.get(2)).toEqual([2, 0]);
    h.engine.abort(1);
  });

  it("folds a short prompt into the active streams' steps, with no run of its own", async () => {
    const h = harness();
    h.engine.add(start(1, [0], 100_000));
    await h.until(() => (h.tokens.get(1)?.length ?? 0) >= 2);
    h.engine.add(start(2, [1, 1, 1], 1));
    await h.until(() => h.ended.has(2));
    expect(h.runs.every(([, t]) => t === 1)).toBe(true);
    expect(h.tokens.get(2)).toEqual([0]); // sum 3 → (3 + 1) % 4
    h.engine.abort(1);
  });

  it('the same seed gives the same tokens alone and among other sequences', async () => {
    const alone = harness();
    alone.engine.add(start(1, [1, 2, 3], 30, 1.5, 42));
    await alone.until(() => alone.ended.size === 1);
    const crowd = harness();
    for (let i = 2; i < 10; i++) crowd.engine.add(start(i, [i % V], 30, 1.5, i));
    crowd.engine.add(start(1, [1, 2, 3], 30, 1.5, 42));
    await crowd.until(() => crowd.ended.size === 9);
    expect(crowd.tokens.get(1)).toEqual(alone.tokens.get(1));
  });

  it('an aborted sequence gets no more tokens', async () => {
    const h = harness();
    h.engine.add(start(1, [1], 1000));
    h.engine.add(start(2, [1], 10));
    await h.until(() => (h.tokens.get(1)?.length ?? 0) >= 3);
    h.engine.abort(1);
    const seen = h.tokens.get(1)!.length;
    await h.until(() => h.ended.has(2));
    expect(h.tokens.get(1)!.length).toBeLessThanOrEqual(seen + 1);
  });

  it('a fault in a step fails only the sequences of that step; later ones are served', async () => {
    let armed = false;
    const h = harness({ fault: () => (armed ? !(armed = false) : false) });
    h.engine.add(start(1, [1], 1000));
    await h.until(() => (h.tokens.get(1)?.length ?? 0) >= 2);
    armed = true;
    await h.until(() => h.ended.has(1));
    expect(h.ended.get(1)).toMatch(/engine fault/);
    h.engine.add(start(2, [1], 3));
    await h.until(() => h.ended.has(2));
    expect(h.ended.get(2)).toBe('length');
  });
});
