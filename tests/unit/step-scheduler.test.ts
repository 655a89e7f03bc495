import { describe, expect, it } from 'vitest';
import { StepScheduler, type Sequence, type StepFn } from '../../server/inference/step-scheduler.ts';

// A fake recurrent "model": state is a running sum of tokens; logits favour (sum + 1) mod 4.
const run: StepFn = async (tokens, states) => {
  const out = states.map((s, i) => {
    const sum = (s[0]![0] ?? 0) + tokens[i]!.reduce((a, b) => a + b, 0);
    return [Float32Array.of(sum)];
  });
  return { states: out, logits: out.map(([s]) => Float32Array.from({ length: 4 }, (_, k) => (k === ((s![0]! + 1) % 4) ? 1 : 0))), ms: 1 };
};

function seq(prompt: number[], steps: number, batches: number[][]): { seq: Sequence; done: Promise<number[]> } {
  const tokens: number[] = [];
  let resolve!: (t: number[]) => void;
  let reject!: (e: Error) => void;
  const done = new Promise<number[]>((res, rej) => ((resolve = res), (reject = rej)));
  return {
    done,
    seq: {
      prompt,
      state: [new Float32Array(1)],
      timeoutMs: 5000,
      fail: reject,
      advance(logits) {
        const next = logits.indexOf(1);
        tokens.push(next);
        if (tokens.length >= steps) {
          resolve(tokens);
          return null;
        }
        return next;
      },
    },
  };
}

describe('StepScheduler (continuous batching)', () => {
  it('advances many sequences in shared steps, each with its own state', async () => {
    const sizes: number[] = [];
    const s = new StepScheduler({ model: 'm', maxActive: 8, maxQueue: 8, run, hooks: { onBatch: (n) => sizes.push(n) } });
    const a = seq([1], 3, []);
    const b = seq([2, 2], 3, []);
    s.submit(a.seq);
    s.submit(b.seq);
    const [ta, tb] = await Promise.all([a.done, b.done]);
    // a: sum 1 → 2; then feeds 2: sum 3 → 0; feeds 0: sum 3 → 0
    expect(ta).toEqual([2, 0, 0]);
    // b: prefill [2] sum 2, step feeds 2: sum 4 → 1; feeds 1: sum 5 → 2; feeds 2: sum 7 → 0
    expect(tb).toEqual([1, 2, 0]);
    expect(Math.max(...sizes)).toBe(2);
  });

  it('refuses beyond its queue with 429', () => {
    const s = new StepScheduler({ model: 'm', maxActive: 1, maxQueue: 1, run });
    s.submit(seq([1], 50, []).seq);
    s.submit(seq([1], 50, []).seq);
    expect(() => s.submit(seq([1], 1, []).seq)).toThrow(/overloaded/);
  });

  it('removes a sequence whose client went away', async () => {
    const s = new StepScheduler({ model: 'm', maxActive: 4, maxQueue: 4, run });
    const ac = new AbortController();
    const a = seq([1], 1_000_000, []);
    a.seq.signal = ac.signal;
    s.submit(a.seq);
    setTimeout(() => ac.abort(), 5);
    await expect(a.done).rejects.toThrow(/went away/);
    await s.idle();
    expect(s.activeCount).toBe(0);
  });
});
