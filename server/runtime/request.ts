// One request lifecycle for everything the runtime queues or runs: a deadline, an abort signal,
// and settle-once. Batched items and generated sequences both use it; whoever holds a request
// learns of a cancellation through `onCancel` (to leave the queue, or stop the sequence).
import { abortReason, deadlinePassed, RuntimeError } from './errors.ts';

/**
 * The longest deadline a timer keeps: setTimeout fires after 1 ms for anything above 2^31 − 1 ms.
 * Settings, manifests and request schemas refuse longer durations (config.ts MAX_DURATION_MS);
 * this clamp keeps any caller that slips past them from getting a 1 ms deadline instead.
 */
const MAX_TIMER_MS = 2 ** 31 - 1;

export interface RequestOptions {
  /** Aborts the request (the client went away, or a sibling item failed: the signal's reason says which). */
  signal?: AbortSignal;
  /** The request's own deadline; capped by the model's timeout (and by the longest timer, 2^31 − 1 ms). */
  timeoutMs?: number;
}

export class Request<T> {
  readonly model: string;
  readonly enqueuedAt = performance.now();
  readonly timeoutMs: number;
  readonly promise: Promise<T>;
  private done = false;
  private resolveFn!: (value: T) => void;
  private rejectFn!: (err: Error) => void;
  private readonly timer: NodeJS.Timeout;
  private readonly signal?: AbortSignal;
  private readonly onAbort = () => this.cancel(abortReason(this.signal!, this.model));
  /** Called once when the request is cancelled (deadline or abort) before it settled otherwise. */
  onCancel: (err: RuntimeError) => void = () => {};

  constructor(model: string, modelTimeoutMs: number, options: RequestOptions = {}) {
    this.model = model;
    this.timeoutMs = Math.min(options.timeoutMs ?? modelTimeoutMs, modelTimeoutMs, MAX_TIMER_MS);
    this.promise = new Promise<T>((resolve, reject) => {
      this.resolveFn = resolve;
      this.rejectFn = reject;
    });
    this.timer = setTimeout(() => this.cancel(deadlinePassed(model, this.timeoutMs)), this.timeoutMs);
    this.signal = options.signal;
    if (this.signal?.aborted) queueMicrotask(this.onAbort);
    else this.signal?.addEventListener('abort', this.onAbort, { once: true });
  }

  get settled(): boolean {
    return this.done;
  }

  resolve(value: T): void {
    if (this.finish()) this.resolveFn(value);
  }

  reject(err: Error): void {
    if (this.finish()) this.rejectFn(err);
  }

  /**
   * Cancels the request if its deadline has passed by `now`. The deadline timer does the same,
   * but a timer fires late on a busy event loop: the scheduler calls this before it dispatches,
   * so nothing past its deadline runs.
   */
  expireIfDue(now = performance.now()): boolean {
    if (this.done || now - this.enqueuedAt < this.timeoutMs) return false;
    this.cancel(deadlinePassed(this.model, this.timeoutMs));
    return true;
  }

  /** Fails the request with `err` and tells its holder (once). */
  cancel(err: RuntimeError): void {
    if (!this.finish()) return;
    this.onCancel(err);
    this.rejectFn(err);
  }

  private finish(): boolean {
    if (this.done) return false;
    this.done = true;
    clearTimeout(this.timer);
    this.signal?.removeEventListener('abort', this.onAbort);
    return true;
  }
}

/**
 * Runs the items of one request together: when one fails, the others are cancelled (kind
 * 'cancelled': they leave the queue instead of running) and the first real failure — not a
 * sibling's cancellation — is the answer. The client's abort cancels them all.
 */
export async function allOrNothing<T>(model: string, signal: AbortSignal | undefined, items: ((signal: AbortSignal) => Promise<T>)[]): Promise<T[]> {
  const group = new AbortController();
  const follow = () => group.abort(abortReason(signal!, model));
  if (signal?.aborted) follow();
  else signal?.addEventListener('abort', follow, { once: true });
  const cancelSiblings = (err: unknown) => {
    if (!group.signal.aborted) group.abort(new RuntimeError('cancelled', model, `another item of the request failed: ${err instanceof Error ? err.message : String(err)}`));
    throw err;
  };
  try {
    const settled = await Promise.allSettled(items.map((run) => run(group.signal).catch(cancelSiblings)));
    const failures = settled.flatMap((r) => (r.status === 'rejected' ? [r.reason as unknown] : []));
    if (failures.length > 0) throw failures.find((e) => !(e instanceof RuntimeError && e.kind === 'cancelled')) ?? failures[0];
    return settled.map((r) => (r as PromiseFulfilledResult<T>).value);
  } finally {
    signal?.removeEventListener('abort', follow);
  }
}
