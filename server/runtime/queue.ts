// The model's one bounded queue, whatever operation or protocol its entries came from, bounded in
// entries and in the bytes they hold. The scheduler checks room (its reservations included) and
// appends; remove() takes a cancelled entry out at once (freeing its place), and nextBatch() takes
// the oldest eligible entry plus the same-operation entries closest to it in length, under an item
// limit, a padded-token budget and a padding ratio.

export interface QueueEntry {
  /** Operation (kind of work); a batch holds one operation only. */
  op: string;
  /** Entries batch together only when op and key are equal (tensor shapes, for instance). */
  key: string;
  /** Tokens for text inputs (what padding costs), 1 otherwise. */
  cost: number;
  /** Memory the entry holds while it waits (its buffers). */
  bytes: number;
  enqueuedAt: number;
}

export interface BatchLimits {
  maxItems: number;
  /** Budget for items × longest cost. */
  maxTokens: number;
  /** items × longest ≤ maxPaddingRatio × sum of costs (Infinity: no padding bound). */
  maxPaddingRatio: number;
}

export interface Batch<E extends QueueEntry> {
  entries: E[];
  /** items × longest cost: what the batch pays for, padding included. */
  padded: number;
  /** Sum of the entries' costs. */
  real: number;
}

export class ModelQueue<E extends QueueEntry> {
  readonly maxSize: number;
  readonly maxBytes: number;
  private entries: E[] = [];
  private held = 0;

  constructor(maxSize: number, maxBytes = Infinity) {
    this.maxSize = maxSize;
    this.maxBytes = maxBytes;
  }

  get size(): number {
    return this.entries.length;
  }

  /** Bytes the queued entries hold. */
  get bytes(): number {
    return this.held;
  }

  /**
   * Whether `n` more entries of `bytes` in all fit now: under the item limit, and under the byte
   * limit unless the queue is empty (so an entry alone over the byte limit still runs, alone).
   */
  hasRoom(n = 1, bytes = 0): boolean {
    return this.entries.length + n <= this.maxSize && (this.entries.length === 0 || this.held + bytes <= this.maxBytes);
  }

  /** Adds `entry` when it fits; `force` adds it regardless (room its owner checked and held beforehand). */
  append(entry: E, force = false): boolean {
    if (!force && !this.hasRoom(1, entry.bytes)) return false;
    this.entries.push(entry);
    this.held += entry.bytes;
    return true;
  }

  remove(entry: E): void {
    const i = this.entries.indexOf(entry);
    if (i < 0) return;
    this.entries.splice(i, 1);
    this.held -= entry.bytes;
  }

  /** The oldest entry that `eligible` accepts. */
  oldest(eligible: (e: E) => boolean = () => true): E | undefined {
    return this.entries.find(eligible);
  }

  /** A copy of the entries `eligible` accepts, oldest first (safe to remove entries while iterating it). */
  select<S extends E>(eligible: (e: E) => e is S): S[] {
    return this.entries.filter(eligible);
  }

  /** How many entries `eligible` accepts, counting no further than `limit`. */
  count(eligible: (e: E) => boolean, limit = Infinity): number {
    let n = 0;
    for (const e of this.entries) if (eligible(e) && ++n >= limit) break;
    return n;
  }

  /** Removes and returns the oldest entry that `eligible` accepts. */
  take(eligible: (e: E) => boolean): E | undefined {
    const i = this.entries.findIndex(eligible);
    if (i < 0) return undefined;
    const [entry] = this.entries.splice(i, 1);
    this.held -= entry!.bytes;
    return entry;
  }

  /**
   * Takes the oldest eligible entry, then adds the entries of the same op and key closest to it
   * in cost while the batch stays within `limits(head)`. An entry alone over the budget still
   * runs alone (callers refuse over-long inputs before they queue).
   */
  nextBatch(eligible: (e: E) => boolean, limits: (head: E) => BatchLimits): Batch<E> | undefined {
    const headIndex = this.entries.findIndex(eligible);
    const head = this.entries[headIndex];
    if (!head) return undefined;
    const { maxItems, maxTokens, maxPaddingRatio } = limits(head);
    const candidates = this.entries
      .map((e, i) => ({ e, i, d: Math.abs(e.cost - head.cost) }))
      .filter(({ e, i }) => i !== headIndex && e.op === head.op && e.key === head.key)
      .sort((a, b) => a.d - b.d || a.i - b.i);
    const taken = new Set<number>([headIndex]);
    let longest = head.cost;
    let real = head.cost;
    for (const { e, i } of candidates) {
      if (taken.size >= maxItems) break;
      const next = Math.max(longest, e.cost);
      const padded = next * (taken.size + 1);
      if (padded > maxTokens || padded > maxPaddingRatio * (real + e.cost)) continue;
      taken.add(i);
      longest = next;
      real += e.cost;
    }
    const entries = this.entries.filter((_, i) => taken.has(i));
    this.entries = this.entries.filter((_, i) => !taken.has(i));
    for (const e of entries) this.held -= e.bytes;
    return { entries, padded: longest * entries.length, real };
  }
}
