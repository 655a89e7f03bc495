// Continuous batching for recurrent generation: active sequences advance one token per batched
// run; waiting sequences join between steps (after a prefill of their prompt) and finished ones
// leave. Recurrent state stays here, on the server, between steps.
import { setImmediate as nextTick } from 'node:timers/promises';
import { Errors } from '../errors.ts';
import type { BatcherHooks } from './batcher.ts';
import { InferenceError, WorkerFailedError } from './worker-pool.ts';

export interface StepResult {
  /** Last-position logits per sequence. */
  logits: Float32Array[];
  /** New recurrent state per sequence (one array per state tensor). */
  states: Float32Array[][];
  ms: number;
}

/** Runs equally long token rows for a batch of sequences from the given states. */
export type StepFn = (tokens: number[][], states: Float32Array[][]) => Promise<StepResult>;

export interface Sequence {
  prompt: number[];
  state: Float32Array[];
  /** Receives the logits after each step; returns the next token, or null when finished. */
  advance(logits: Float32Array): number | null;
  fail(err: Error): void;
  signal?: AbortSignal;
  timeoutMs: number;
}

interface Slot {
  seq: Sequence;
  next: number;
  enqueuedAt: number;
  settled: boolean;
  timer: NodeJS.Timeout;
}

export interface StepSchedulerOptions {
  model: string;
  maxActive: number;
  maxQueue: number;
  run: StepFn;
  hooks?: BatcherHooks;
}

export class StepScheduler {
  private readonly opts: StepSchedulerOptions;
  private waiting: Slot[] = [];
  private active: Slot[] = [];
  private running = false;
  private idleWaiters: (() => void)[] = [];

  constructor(opts: StepSchedulerOptions) {
    this.opts = opts;
  }

  get depth(): number {
    return this.waiting.length;
  }

  get activeCount(): number {
    return this.active.length;
  }

  submit(seq: Sequence): void {
    if (this.waiting.length >= this.opts.maxQueue) throw new Errors.QUEUE_FULL(this.opts.model);
    const slot: Slot = {
      seq,
      next: seq.prompt.at(-1) ?? 0,
      enqueuedAt: performance.now(),
      settled: false,
      timer: setTimeout(() => this.fail(slot, new Errors.TIMEOUT(this.opts.model, seq.timeoutMs), 'timeout'), seq.timeoutMs),
    };
    seq.signal?.addEventListener('abort', () => this.fail(slot, new Error('client went away'), 'aborted'), { once: true });
    this.waiting.push(slot);
    void this.loop();
  }

  idle(): Promise<void> {
    if (!this.running) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private fail(slot: Slot, err: Error, reason?: 'aborted' | 'timeout'): void {
    if (slot.settled) return;
    this.finish(slot);
    if (reason) this.opts.hooks?.onDrop?.(reason);
    slot.seq.fail(err);
  }

  private finish(slot: Slot): void {
    slot.settled = true;
    clearTimeout(slot.timer);
  }

  private mapError(err: unknown): Error {
    if (err instanceof WorkerFailedError) return new Errors.WORKER_FAILED(this.opts.model);
    if (err instanceof InferenceError) return new Errors.INFERENCE_FAILED(this.opts.model, err.message);
    return err instanceof Error ? err : new Error(String(err));
  }

  private async admit(): Promise<void> {
    while (this.active.length < this.opts.maxActive && this.waiting.length > 0) {
      const slot = this.waiting.shift()!;
      if (slot.settled) continue;
      this.opts.hooks?.onQueueWait?.(performance.now() - slot.enqueuedAt);
      const prefix = slot.seq.prompt.slice(0, -1);
      if (prefix.length > 0) {
        try {
          const res = await this.opts.run([prefix], [slot.seq.state]);
          slot.seq.state = res.states[0] ?? slot.seq.state;
        } catch (err) {
          this.fail(slot, this.mapError(err));
          continue;
        }
      }
      if (!slot.settled) this.active.push(slot);
    }
  }

  private async step(): Promise<void> {
    const batch = this.active;
    let res: StepResult;
    try {
      res = await this.opts.run(batch.map((s) => [s.next]), batch.map((s) => s.seq.state));
    } catch (err) {
      const error = this.mapError(err);
      for (const s of batch) this.fail(s, error);
      return;
    }
    this.opts.hooks?.onBatch?.(batch.length, res.ms);
    batch.forEach((slot, i) => {
      if (slot.settled) return;
      slot.seq.state = res.states[i] ?? slot.seq.state;
      const logits = res.logits[i];
      if (!logits) throw new Error(`step returned no logits for sequence ${i}. This is a bug.`);
      const next = slot.seq.advance(logits);
      if (next === null) this.finish(slot);
      else slot.next = next;
    });
  }

  private async loop(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      while (this.waiting.length > 0 || this.active.length > 0) {
        await this.admit();
        this.active = this.active.filter((s) => !s.settled);
        if (this.active.length > 0) await this.step();
        this.active = this.active.filter((s) => !s.settled);
        // Let timers, aborts and new requests in between steps, however fast a step is.
        await nextTick();
      }
    } finally {
      this.running = false;
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const w of waiters) w();
    }
  }
}
