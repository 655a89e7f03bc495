import { describe, expect, it } from 'vitest';
import { ModelQueue, type BatchLimits, type QueueEntry } from '../../server/runtime/queue.ts';

type E = QueueEntry & { item: string };
const entry = (item: string, cost = 1, op = 'embed', key = '', bytes = 0): E => ({ item, cost, op, key, bytes, enqueuedAt: performance.now() });
const any = () => true;
const limits =
  (l: Partial<BatchLimits> = {}) =>
  () => ({ maxItems: 8, maxTokens: 1e9, maxPaddingRatio: Infinity, ...l });
const items = (q: ModelQueue<E>, l: Partial<BatchLimits> = {}) => q.nextBatch(any, limits(l))?.entries.map((e) => e.item) ?? [];

describe('ModelQueue', () => {
  it('is bounded in bytes as well as entries; an entry alone over the bound still runs, alone', () => {
    const q = new ModelQueue<E>(10, 100);
    expect(q.append(entry('a', 1, 'infer', '', 60))).toBe(true);
    expect(q.hasRoom(1, 50)).toBe(false);
    expect(q.append(entry('b', 1, 'infer', '', 50))).toBe(false);
    expect(q.append(entry('c', 1, 'infer', '', 40))).toBe(true);
    expect(q.bytes).toBe(100);
    expect(items(q)).toEqual(['a', 'c']);
    expect(q.bytes).toBe(0);
    expect(q.append(entry('huge', 1, 'infer', '', 1000))).toBe(true);
    expect(q.append(entry('d', 1, 'infer', '', 1))).toBe(false);
    q.remove(q.oldest()!);
    expect(q.bytes).toBe(0);
  });

  it('refuses appends beyond its size, whatever the operation', () => {
    const q = new ModelQueue<E>(2);
    expect(q.append(entry('a', 1, 'embed'))).toBe(true);
    expect(q.append(entry('b', 1, 'fill-mask'))).toBe(true);
    expect(q.append(entry('c', 1, 'infer'))).toBe(false);
    expect(q.size).toBe(2);
    expect(q.hasRoom()).toBe(false);
  });

  it('takes at most maxItems, oldest first', () => {
    const q = new ModelQueue<E>(10);
    for (const x of 'abcde') q.append(entry(x));
    expect(items(q, { maxItems: 3 })).toEqual(['a', 'b', 'c']);
    expect(items(q, { maxItems: 3 })).toEqual(['d', 'e']);
    expect(q.nextBatch(any, limits())).toBeUndefined();
  });

  it('frees the place of a removed (cancelled) entry at once', () => {
    const q = new ModelQueue<E>(1);
    const a = entry('a');
    q.append(a);
    q.remove(a);
    expect(q.size).toBe(0);
    expect(q.append(entry('b'))).toBe(true);
  });

  it('batches one operation and key at a time, starting from the oldest', () => {
    const q = new ModelQueue<E>(10);
    q.append(entry('e1', 1, 'embed'));
    q.append(entry('m1', 1, 'fill-mask'));
    q.append(entry('e2', 1, 'embed'));
    q.append(entry('v1', 1, 'infer', 'shape-a'));
    q.append(entry('v2', 1, 'infer', 'shape-b'));
    expect(items(q)).toEqual(['e1', 'e2']);
    expect(items(q)).toEqual(['m1']);
    expect(items(q)).toEqual(['v1']);
    expect(items(q)).toEqual(['v2']);
  });

  it('packs under a padded-token budget, grouping similar lengths', () => {
    const q = new ModelQueue<E>(10);
    q.append(entry('short1', 10));
    q.append(entry('long', 100));
    q.append(entry('short2', 12));
    q.append(entry('short3', 9));
    const batch = q.nextBatch(any, limits({ maxTokens: 60 }))!;
    expect(batch.entries.map((e) => e.item).sort()).toEqual(['short1', 'short2', 'short3']);
    expect(batch).toMatchObject({ padded: 36, real: 31 });
    expect(items(q, { maxTokens: 60 })).toEqual(['long']);
  });

  it('keeps padded tokens within maxPaddingRatio × real tokens, leaving other lengths for the next batch', () => {
    const q = new ModelQueue<E>(20);
    for (const [i, len] of [10, 39, 11, 38, 12, 37, 10, 36].entries()) q.append(entry(`s${i}`, len));
    const first = q.nextBatch(any, limits({ maxPaddingRatio: 1.25 }))!;
    expect(first.entries.map((e) => e.cost).sort((a, b) => a - b)).toEqual([10, 10, 11, 12]);
    expect(first.padded / first.real).toBeLessThanOrEqual(1.25);
    const second = q.nextBatch(any, limits({ maxPaddingRatio: 1.25 }))!;
    expect(second.entries.map((e) => e.cost).sort((a, b) => a - b)).toEqual([36, 37, 38, 39]);
    expect(second.padded / second.real).toBeLessThanOrEqual(1.25);
  });

  it('take() and count() see only eligible entries', () => {
    const q = new ModelQueue<E>(10);
    q.append(entry('a', 1, 'embed'));
    q.append(entry('g1', 1, 'generate'));
    q.append(entry('g2', 1, 'generate'));
    expect(q.count((e) => e.op === 'generate')).toBe(2);
    expect(q.count((e) => e.op === 'generate', 1)).toBe(1);
    expect(q.take((e) => e.op === 'generate')?.item).toBe('g1');
    expect(q.size).toBe(2);
  });
});
