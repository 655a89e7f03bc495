// Dynamic batcher for one model operation: waits up to max_queue_delay_ms for a batch to fill,
// runs it on a worker (at most `concurrency` batches in flight), and settles each entry once:
// with its output, or 429 (queue full), 504 (deadline), 503 (worker died).
import { Errors } from '../errors.ts';
import type { Batching } from '../repository/manifest.ts';
import { BoundedQueue, type QueueEntry } from './queue.ts';
import { InferenceError, WorkerFailedError } from './worker-pool.ts';

export interface Timing {
  queueMs: number;
  inferenceMs: number;
  batchSize: number;
}

export interface BatchOutput<O> {
  outputs: O[];
  inferenceMs: number;
}

export interface BatcherHooks {
  onBatch?: (size: number, inferenceMs: number) => void;
  onQueueWait?: (ms: number) => void;
  onDrop?: (reason: 'aborted' | 'timeout') => void;
}

export interface BatcherOptions<I, O> {
  model: string;
  batching: Batching;
  concurrency: number;
  runBatch: (items: I[]) => Promise<BatchOutput<O>>;
  hooks?: BatcherHooks;
}

export interface SubmitOptions {
  cost?: number;
  timeoutMs?: number;
  signal?: AbortSignal;
}

interface Entry<I, O> extends QueueEntry<I> {
  resolve: (r: { value: O; timing: Timing }) => void;
  reject: (e: Error) => void;
  timer: NodeJS.Timeout;
}

export class Batcher<I, O> {
  private readonly queue: BoundedQueue<I, Entry<I, O>>;
  private readonly opts: BatcherOptions<I, O>;
  private inFlight = 0;
  private timer: NodeJS.Timeout | undefined;
  private idleWaiters: (() => void)[] = [];

  constructor(opts: BatcherOptions<I, O>) {
    this.opts = opts;
    this.queue = new BoundedQueue(opts.batching.max_queue_size);
  }

  get depth(): number {
    return this.queue.size;
  }

  /**
   * Fails fast with 429 when `items` more would not fit in the queue now, so callers can refuse
   * before paying for preprocessing (decoding an upload) that the queue would throw away.
   */
  assertRoom(items = 1): void {
    if (this.queue.size + items > this.opts.batching.max_queue_size) throw new Errors.QUEUE_FULL(this.opts.model);
  }

  submit(item: I, options: SubmitOptions = {}): Promise<{ value: O; timing: Timing }> {
    const { model, batching } = this.opts;
    if (options.signal?.aborted) return Promise.reject(new Error('client went away'));
    const timeoutMs = Math.min(options.timeoutMs ?? batching.timeout_ms, batching.timeout_ms);
    return new Promise((resolve, reject) => {
      const entry: Entry<I, O> = {
        item,
        cost: options.cost ?? 1,
        enqueuedAt: performance.now(),
        settled: false,
        resolve,
        reject,
        timer: setTimeout(() => this.fail(entry, new Errors.TIMEOUT(model, timeoutMs), 'timeout'), timeoutMs),
      };
      options.signal?.addEventListener('abort', () => this.fail(entry, new Error('client went away'), 'aborted'), { once: true });
      if (!this.queue.append(entry)) {
        clearTimeout(entry.timer);
        entry.settled = true;
        reject(new Errors.QUEUE_FULL(model));
        return;
      }
      this.schedule();
    });
  }

  /** Resolves once nothing is queued or running. */
  idle(): Promise<void> {
    if (this.queue.size === 0 && this.inFlight === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Fails every queued entry (the model is going away). */
  abortQueued(error: () => Error): void {
    for (const e of this.queue.drainAll()) this.fail(e, error());
  }

  private fail(entry: Entry<I, O>, error: Error, reason?: 'aborted' | 'timeout'): void {
    if (entry.settled) return;
    entry.settled = true;
    clearTimeout(entry.timer);
    if (reason) this.opts.hooks?.onDrop?.(reason);
    entry.reject(error);
    this.checkIdle();
  }

  private schedule(): void {
    if (this.timer || this.inFlight >= this.opts.concurrency) return;
    const oldest = this.queue.oldest();
    if (oldest === undefined) return;
    const { max_batch_size, max_queue_delay_ms } = this.opts.batching;
    const wait = max_queue_delay_ms - (performance.now() - oldest);
    if (this.queue.size >= max_batch_size || wait <= 0) {
      this.dispatch();
      this.schedule();
    } else {
      this.timer = setTimeout(() => {
        this.timer = undefined;
        this.schedule();
      }, wait);
    }
  }

  private dispatch(): void {
    const { max_batch_size, max_batch_tokens } = this.opts.batching;
    const batch = this.queue.nextBatch({ maxItems: max_batch_size, maxTokens: max_batch_tokens });
    if (batch.length === 0) return;
    const started = performance.now();
    for (const e of batch) this.opts.hooks?.onQueueWait?.(started - e.enqueuedAt);
    this.inFlight++;
    this.opts
      .runBatch(batch.map((e) => e.item))
      .then(({ outputs, inferenceMs }) => {
        if (outputs.length !== batch.length) throw new Error(`batch of ${batch.length} produced ${outputs.length} outputs. This is a bug.`);
        this.opts.hooks?.onBatch?.(batch.length, inferenceMs);
        batch.forEach((e, i) => {
          if (e.settled) return;
          e.settled = true;
          clearTimeout(e.timer);
          const timing = { queueMs: started - e.enqueuedAt, inferenceMs, batchSize: batch.length };
          e.resolve({ value: outputs[i] as O, timing });
        });
      })
      .catch((err: unknown) => {
        for (const e of batch) this.fail(e, this.mapError(err));
      })
      .finally(() => {
        this.inFlight--;
        this.schedule();
        this.checkIdle();
      });
  }

  private mapError(err: unknown): Error {
    const { model } = this.opts;
    if (err instanceof WorkerFailedError) return new Errors.WORKER_FAILED(model);
    if (err instanceof InferenceError) return new Errors.INFERENCE_FAILED(model, err.message);
    return err instanceof Error ? err : new Error(String(err));
  }

  private checkIdle(): void {
    if (this.queue.size !== 0 || this.inFlight !== 0) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const w of waiters) w();
  }
}
