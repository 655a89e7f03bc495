import { describe, expect, it } from 'vitest';
import { Batcher } from '../../server/inference/batcher.ts';
import { WorkerFailedError } from '../../server/inference/worker-pool.ts';
import { DEFAULT_BATCHING, type Batching } from '../../server/repository/manifest.ts';

function make(batching: Partial<Batching>, run: (items: number[]) => Promise<number[]>, concurrency = 1) {
  const sizes: number[] = [];
  const b = new Batcher<number, number>({
    model: 'm',
    batching: { ...DEFAULT_BATCHING, ...batching },
    concurrency,
    runBatch: async (items) => ({ outputs: await run(items), inferenceMs: 1 }),
    hooks: { onBatch: (n) => sizes.push(n) },
  });
  return { b, sizes };
}

const double = async (xs: number[]) => xs.map((x) => x * 2);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('Batcher', () => {
  it('batches concurrent submissions and answers each in order', async () => {
    const { b, sizes } = make({ max_batch_size: 8, max_queue_delay_ms: 5 }, double);
    const out = await Promise.all([1, 2, 3, 4, 5].map((x) => b.submit(x)));
    expect(out.map((o) => o.value)).toEqual([2, 4, 6, 8, 10]);
    expect(sizes).toEqual([5]);
    expect(out[0]!.timing.batchSize).toBe(5);
  });

  it('never exceeds max_batch_size', async () => {
    const { b, sizes } = make({ max_batch_size: 3, max_queue_delay_ms: 5 }, double);
    await Promise.all(Array.from({ length: 10 }, (_, i) => b.submit(i)));
    expect(Math.max(...sizes)).toBeLessThanOrEqual(3);
    expect(sizes.reduce((a, c) => a + c, 0)).toBe(10);
  });

  it('rejects with 429 when the queue is full', async () => {
    const { b } = make({ max_queue_size: 2, max_queue_delay_ms: 50 }, double);
    const p = [b.submit(1), b.submit(2)];
    await expect(b.submit(3)).rejects.toMatchObject({ statusCode: 429, code: 'ORT_QUEUE_FULL' });
    await Promise.all(p);
  });

  it('times out queued work with 504, honouring a shorter request deadline', async () => {
    const { b } = make({ timeout_ms: 10_000 }, async (xs) => {
      await sleep(100);
      return xs;
    });
    const first = b.submit(1);
    await expect(b.submit(2, { timeoutMs: 20 })).rejects.toMatchObject({ statusCode: 504 });
    await first;
  });

  it('drops entries whose client went away before they run', async () => {
    const seen: number[] = [];
    const { b } = make({ max_queue_delay_ms: 30 }, async (xs) => {
      seen.push(...xs);
      return xs;
    });
    const ac = new AbortController();
    const gone = b.submit(1, { signal: ac.signal });
    const kept = b.submit(2);
    ac.abort();
    await expect(gone).rejects.toThrow(/went away/);
    await kept;
    expect(seen).toEqual([2]);
  });

  it('maps a dead worker to 503 for every entry of the batch', async () => {
    const { b } = make({}, async () => {
      throw new WorkerFailedError('boom');
    });
    const all = await Promise.allSettled([b.submit(1), b.submit(2)]);
    for (const r of all) expect(r.status === 'rejected' && (r.reason as { statusCode: number }).statusCode).toBe(503);
  });

  it('runs up to `concurrency` batches at once', async () => {
    let running = 0;
    let peak = 0;
    const { b } = make({ max_batch_size: 1, max_queue_delay_ms: 0 }, async (xs) => {
      running++;
      peak = Math.max(peak, running);
      await sleep(20);
      running--;
      return xs;
    }, 2);
    await Promise.all([1, 2, 3, 4].map((x) => b.submit(x)));
    expect(peak).toBe(2);
    await b.idle();
  });
});
