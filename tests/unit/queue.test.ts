import { describe, expect, it } from 'vitest';
import { BoundedQueue, type QueueEntry } from '../../server/inference/queue.ts';

const entry = (item: string, cost = 1): QueueEntry<string> => ({ item, cost, enqueuedAt: performance.now(), settled: false });

describe('BoundedQueue', () => {
  it('refuses appends beyond its size', () => {
    const q = new BoundedQueue<string>(2);
    expect(q.append(entry('a'))).toBe(true);
    expect(q.append(entry('b'))).toBe(true);
    expect(q.append(entry('c'))).toBe(false);
    expect(q.size).toBe(2);
  });

  it('takes at most maxItems, oldest first', () => {
    const q = new BoundedQueue<string>(10);
    for (const x of 'abcde') q.append(entry(x));
    expect(q.nextBatch({ maxItems: 3, maxTokens: 1e9 }).map((e) => e.item)).toEqual(['a', 'b', 'c']);
    expect(q.nextBatch({ maxItems: 3, maxTokens: 1e9 }).map((e) => e.item)).toEqual(['d', 'e']);
    expect(q.nextBatch({ maxItems: 3, maxTokens: 1e9 })).toEqual([]);
  });

  it('skips settled entries (client gone, deadline passed)', () => {
    const q = new BoundedQueue<string>(10);
    const a = entry('a');
    q.append(a);
    q.append(entry('b'));
    a.settled = true;
    expect(q.nextBatch({ maxItems: 8, maxTokens: 1e9 }).map((e) => e.item)).toEqual(['b']);
  });

  it('frees room when entries settle', () => {
    const q = new BoundedQueue<string>(1);
    const a = entry('a');
    q.append(a);
    a.settled = true;
    expect(q.append(entry('b'))).toBe(true);
  });

  it('packs under a padded-token budget and groups similar lengths', () => {
    const q = new BoundedQueue<string>(10);
    q.append(entry('short1', 10));
    q.append(entry('long', 100));
    q.append(entry('short2', 12));
    q.append(entry('short3', 9));
    const batch = q.nextBatch({ maxItems: 8, maxTokens: 60 });
    expect(batch.map((e) => e.item).sort()).toEqual(['short1', 'short2', 'short3']);
    expect(q.nextBatch({ maxItems: 8, maxTokens: 60 }).map((e) => e.item)).toEqual(['long']);
  });
});
