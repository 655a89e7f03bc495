// Bounded request queue: append() refuses when full; nextBatch() packs live entries up to an
// item count and a padded-token budget, grouping similar lengths, and skips entries whose
// client went away or whose deadline passed.

export interface QueueEntry<I> {
  item: I;
  /** Tokens for text inputs (padding cost), 1 otherwise. */
  cost: number;
  enqueuedAt: number;
  /** Set once the entry got its answer (result, timeout or abort); the queue skips it. */
  settled: boolean;
}

export interface BatchLimits {
  maxItems: number;
  /** Budget for items × longest cost in the batch. */
  maxTokens: number;
}

export class BoundedQueue<I, E extends QueueEntry<I> = QueueEntry<I>> {
  private entries: E[] = [];
  readonly maxSize: number;

  constructor(maxSize: number) {
    this.maxSize = maxSize;
  }

  /** Live entries (settled ones are dropped first). */
  get size(): number {
    this.compact();
    return this.entries.length;
  }

  /** The oldest live entry's enqueue time, or undefined when empty. */
  oldest(): number | undefined {
    this.compact();
    return this.entries[0]?.enqueuedAt;
  }

  append(entry: E): boolean {
    this.compact();
    if (this.entries.length >= this.maxSize) return false;
    this.entries.push(entry);
    return true;
  }

  /**
   * Takes the oldest live entry, then fills the batch with the entries closest to it in cost
   * (fewest padded tokens), within the limits. An entry alone over the token budget still
   * runs alone (callers reject over-long inputs before they queue).
   */
  nextBatch(limits: BatchLimits): E[] {
    this.compact();
    const head = this.entries[0];
    if (!head) return [];
    const byCloseness = this.entries
      .slice(1)
      .map((e, i) => ({ e, i: i + 1, d: Math.abs(e.cost - head.cost) }))
      .sort((a, b) => a.d - b.d || a.i - b.i);
    const taken = new Set<number>([0]);
    let longest = head.cost;
    for (const { e, i } of byCloseness) {
      if (taken.size >= limits.maxItems) break;
      const next = Math.max(longest, e.cost);
      if (next * (taken.size + 1) > limits.maxTokens) continue;
      taken.add(i);
      longest = next;
    }
    const batch = this.entries.filter((_, i) => taken.has(i));
    this.entries = this.entries.filter((_, i) => !taken.has(i));
    return batch;
  }

  /** Removes and returns every live entry (used when a model is unloaded). */
  drainAll(): E[] {
    this.compact();
    const all = this.entries;
    this.entries = [];
    return all;
  }

  private compact(): void {
    if (this.entries.some((e) => e.settled)) this.entries = this.entries.filter((e) => !e.settled);
  }
}
