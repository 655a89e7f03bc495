// One scheduler per model, beside its worker instances (Triton's per-model scheduler). It owns the
// model's only admission queue: every operation (encoder, MLM head, attention, V2 infer, ...) and
// every waiting sequence counts against one max_queue_size. A batch goes to an instance only when
// that instance is idle, so nothing waits unseen in a worker's message port; waiting sequences are
// admitted to the instance with the fewest active ones, where the engine keeps them to the end.
import { draining, ItemRefused, queueFull, RuntimeError } from './errors.ts';
import type { TensorValue } from './onnx.ts';
import type { BatchItem, BatchPlan, EngineSpec, ToWorker } from './protocol.ts';
import { OverloadSignal } from './overload.ts';
import { ModelQueue, type BatchLimits, type QueueEntry } from './queue.ts';
import { Request, type RequestOptions } from './request.ts';
import { SequenceSlots, type SequenceEnd, type SequenceJob, type SequenceRequest } from './sequences.ts';
import type { Policy, SchedulerHooks, Timing } from './policy.ts';
import type { PoolEvents, RunResult } from './worker-pool.ts';

/** The model's worker instances as the scheduler uses them (WorkerPool; fakes in unit tests). */
export interface Instances {
  readonly instances: number;
  isReady(instance: number): boolean;
  run(instance: number, plan: BatchPlan, items: BatchItem[]): Promise<RunResult>;
  post(instance: number, msg: ToWorker): void;
  listen(events: PoolEvents): void;
  startEngine(spec: EngineSpec): void;
  /** Runs inference at the event loop's CPU priority while `on` (see overload.ts). */
  setOverloaded(on: boolean): void;
}

/** An operation of the model, as data: the scheduler batches its items and hands the batch to an instance. */
export interface OperationSpec {
  name: string;
  /** At most this many items per batch (and never more than the policy's). */
  maxBatchSize?: number;
  /** Items are token rows (`ids`): cost is their length and batches are padding-aware. */
  text?: boolean;
  /** What the worker does with a batch of its items (runtime/batch.ts). */
  plan: BatchPlan;
}

/** One item's answer: the outputs its plan's cut kept for it. */
export type ItemOutputs = Record<string, TensorValue>;

/** Room held in the queue for a request's items (ModelScheduler.reserve). */
export interface Reservation {
  /** Uses one place of the hold (and up to `bytes` of the bytes it declared); false when none is left. */
  take(bytes: number): boolean;
  /** Frees the places not used. */
  release(): void;
}

export interface SubmitOptions extends RequestOptions {
  /** Room held for this item: it is queued in its place, never refused for want of room. */
  reservation?: Reservation;
  /** Tokens of a text item (1 otherwise). */
  cost?: number;
  /** Items batch together only with the same key. */
  key?: string;
}

export interface Answer<O> {
  value: O;
  timing: Timing;
}

export interface Operation {
  /** Queues one item; it fails alone (ItemRefused) when the worker refuses it. */
  submit(item: BatchItem, options?: SubmitOptions): Promise<Answer<ItemOutputs>>;
}

type BatchEntry = QueueEntry & { kind: 'batch'; spec: OperationSpec; item: BatchItem; request: Request<Answer<ItemOutputs>> };
type SequenceEntry = QueueEntry & { kind: 'sequence'; job: SequenceJob };
type Entry = BatchEntry | SequenceEntry;

const isBatch = (e: Entry): e is BatchEntry => e.kind === 'batch';

/** Answers resolved per event-loop turn when a batch returns (see dispatch). */
const ANSWER_CHUNK = 16;

export class ModelScheduler {
  readonly model: string;
  readonly policy: Policy;
  private readonly pool: Instances;
  private readonly hooks: SchedulerHooks;
  private readonly queue: ModelQueue<Entry>;
  private readonly busy: boolean[];
  private readonly slots: SequenceSlots;
  private readonly overload: OverloadSignal;
  private timer: NodeJS.Timeout | undefined;
  private closing = false;
  /** Set once the model's instances are gone for good: queued and new work fails with it at once. */
  private failed: RuntimeError | undefined;
  /** Queue places reserved by requests still preparing their items (see reserve). */
  private held = 0;
  /** Bytes those reserved places will hold (as much as the request declared when it reserved). */
  private heldBytes = 0;
  private nextSequence = 1;
  private idleWaiters: (() => void)[] = [];

  constructor(options: { model: string; policy: Policy; pool: Instances; hooks?: SchedulerHooks; quietMs?: number }) {
    this.model = options.model;
    this.policy = options.policy;
    this.pool = options.pool;
    this.overload = new OverloadSignal((on) => this.pool.setOverloaded(on), options.quietMs);
    this.hooks = options.hooks ?? {};
    this.queue = new ModelQueue(options.policy.maxQueueSize, options.policy.maxQueueBytes);
    this.busy = new Array<boolean>(this.pool.instances).fill(false);
    this.slots = new SequenceSlots({
      model: this.model,
      instances: this.pool.instances,
      abort: (instance, id) => this.pool.post(instance, { type: 'seq-abort', id }),
      freed: () => this.pump(),
      onStep: (size, ms) => this.hooks.onBatch?.('generate', size, ms),
      onCancel: (reason) => this.hooks.onDrop?.('generate', reason),
    });
    this.pool.listen({
      onReady: () => this.pump(),
      onExit: (instance) => this.slots.instanceLost(instance, `worker ${instance} of '${this.model}' died`),
      onSequence: (instance, msg) => this.slots.handle(instance, msg),
      onFailed: (reason) => this.abandon(new RuntimeError('worker-failed', this.model, reason)),
    });
  }

  /** Items waiting in the queue (every operation, waiting sequences included). */
  get depth(): number {
    return this.queue.size;
  }

  get activeSequences(): number {
    return this.slots.size;
  }

  /** Whether `items` more (of `bytes` in all) would fit in the queue now. A query: it changes nothing. */
  hasRoom(items = 1, bytes = 0): boolean {
    if (this.closing || this.queue.size + this.held + items > this.queue.maxSize) return false;
    // Under the byte bound too, unless the request is alone (so one over the bound still runs, alone).
    return (this.queue.size === 0 && this.held === 0) || this.queue.bytes + this.heldBytes + bytes <= this.queue.maxBytes;
  }

  /** While refusing for want of room (see overload.ts). */
  get overloaded(): boolean {
    return this.overload.overloaded;
  }

  /** The error of a refusal for want of room, counted toward overload (the one place a refusal is recorded). */
  refusal(): RuntimeError {
    if (this.closing) return draining(this.model);
    this.overload.refused();
    return queueFull(this.model);
  }

  /** Refuses (kind 'queue-full') when `items` more (of `bytes`) would not fit now: before paying to tokenize or decode them. */
  assertRoom(items = 1, bytes = 0): void {
    if (!this.hasRoom(items, bytes)) throw this.refusal();
  }

  /**
   * Holds room for `items` of `bytes` in all (what the request knows of their size now: its uploads)
   * that it will submit once it has prepared them (tokenized, say), or refuses now (kind 'queue-full'): what passed the check is not refused after paying for the
   * work. Submitting with the hold uses it up; release() frees what is left (call it in a finally).
   */
  reserve(items: number, bytes = 0): Reservation {
    this.assertRoom(items, bytes);
    this.held += items;
    this.heldBytes += bytes;
    let left = items;
    let leftBytes = bytes;
    return {
      take: (itemBytes) => {
        if (left === 0) return false;
        const b = Math.min(itemBytes, leftBytes);
        left--;
        leftBytes -= b;
        this.held--;
        this.heldBytes -= b;
        return true;
      },
      release: () => {
        this.held -= left;
        this.heldBytes -= leftBytes;
        left = 0;
        leftBytes = 0;
      },
    };
  }

  operation(spec: OperationSpec): Operation {
    return { submit: (item, options = {}) => this.submit(spec, item, options) };
  }

  /** Queues a sequence for the engine; `onTokens` gets its new tokens once per step. */
  generate(spec: SequenceRequest, onTokens: (tokens: number[]) => void, options: RequestOptions = {}): { id: number; done: Promise<SequenceEnd> } {
    const job: SequenceJob = { id: this.nextSequence++, request: new Request(this.model, this.policy.timeoutMs, options), spec, onTokens, tokens: 0, queueMs: 0 };
    this.enqueue({ kind: 'sequence', op: 'generate', key: '', cost: 1, bytes: spec.prompt.length * 8, enqueuedAt: performance.now(), job });
    return { id: job.id, done: job.request.promise };
  }

  /** Starts the sequence engine in every instance (recurrent generation models). */
  startEngine(spec: EngineSpec): void {
    this.pool.startEngine(spec);
  }

  /** Ends a sequence early (its caller hit a stop string); its promise resolves with 'stopped'. */
  stop(id: number): void {
    this.slots.stop(id);
  }

  /** Refuses new work, then resolves once nothing is queued, running or generating. */
  drain(): Promise<void> {
    this.closing = true;
    this.overload.close();
    return this.idle();
  }

  idle(): Promise<void> {
    if (this.isIdle()) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private submit(spec: OperationSpec, item: BatchItem, options: SubmitOptions): Promise<Answer<ItemOutputs>> {
    const request = new Request<Answer<ItemOutputs>>(this.model, this.policy.timeoutMs, options);
    const cost = spec.text ? (item.ids?.length ?? 1) : 1;
    this.enqueue({ kind: 'batch', op: spec.name, key: options.key ?? '', cost, bytes: itemBytes(item), enqueuedAt: performance.now(), spec, item, request }, options.reservation);
    return request.promise;
  }

  private enqueue(entry: Entry, reservation?: Reservation): void {
    const request = requestOf(entry);
    if (this.failed) return request.cancel(this.failed);
    if (this.closing) return request.cancel(draining(this.model));
    // A reserved place was counted when it was held; anything else needs room now (held places included).
    if (!(reservation?.take(entry.bytes) ?? false) && !this.hasRoom(1, entry.bytes)) return request.cancel(this.refusal());
    this.queue.append(entry, true);
    request.onCancel = (err) => {
      this.queue.remove(entry);
      this.hooks.onDrop?.(entry.op, err.kind);
      this.checkIdle();
    };
    this.pump();
  }

  /** Admits waiting sequences, then gives batches to idle instances (now, or when the oldest item's delay runs out). */
  private pump(): void {
    this.admitSequences();
    clearTimeout(this.timer);
    this.timer = undefined;
    for (let i = 0; i < this.busy.length; i++) {
      if (this.busy[i] || !this.pool.isReady(i)) continue;
      const head = this.queue.oldest(isBatch) as BatchEntry | undefined;
      if (!head) break;
      const wait = this.policy.maxQueueDelayMs - (performance.now() - head.enqueuedAt);
      const { maxItems } = this.limits(head);
      if (wait > 0 && this.queuedLike(head, maxItems) < maxItems) {
        this.timer = setTimeout(() => this.pump(), wait);
        break;
      }
      this.dispatch(i);
    }
    this.checkIdle();
  }

  private admitSequences(): void {
    for (;;) {
      const instance = this.freeSequenceInstance();
      if (instance === undefined) return;
      const entry = this.queue.take((e) => e.kind === 'sequence') as SequenceEntry | undefined;
      if (!entry) return;
      const { job } = entry;
      job.queueMs = performance.now() - entry.enqueuedAt;
      this.hooks.onQueueWait?.('generate', job.queueMs);
      this.slots.admit(job, instance);
      this.pool.post(instance, { type: 'seq-add', seq: { id: job.id, prompt: job.spec.prompt, sampling: job.spec.sampling, seed: job.spec.seed, maxTokens: job.spec.maxTokens } });
    }
  }

  private freeSequenceInstance(): number | undefined {
    let best: number | undefined;
    for (let i = 0; i < this.busy.length; i++) {
      const n = this.slots.activeOn(i);
      if (this.pool.isReady(i) && n < this.policy.maxActiveSequences && (best === undefined || n < this.slots.activeOn(best))) best = i;
    }
    return best;
  }

  private limits(head: BatchEntry): BatchLimits {
    const maxItems = Math.min(this.policy.maxBatchSize, head.spec.maxBatchSize ?? Infinity);
    if (!head.spec.text) return { maxItems, maxTokens: Infinity, maxPaddingRatio: Infinity };
    return { maxItems, maxTokens: this.policy.maxBatchTokens, maxPaddingRatio: this.policy.maxPaddingRatio };
  }

  /** Queued items that could join `head`'s batch, counted up to `limit`. */
  private queuedLike(head: BatchEntry, limit: number): number {
    return this.queue.count((x) => isBatch(x) && x.op === head.op && x.key === head.key, limit);
  }

  private dispatch(instance: number): void {
    // Queued items whose deadline passed leave now (their cancel removes them), even if their timer is late.
    const now = performance.now();
    for (const e of this.queue.select(isBatch)) e.request.expireIfDue(now);
    const batch = this.queue.nextBatch(isBatch, (head) => this.limits(head as BatchEntry));
    if (!batch) return;
    const entries = batch.entries as BatchEntry[];
    const spec = entries[0]!.spec;
    const started = performance.now();
    for (const e of entries) {
      this.hooks.onQueueWait?.(e.op, started - e.enqueuedAt);
      // It runs now: a deadline or abort from here on fails the request, but drops nothing.
      e.request.onCancel = () => {};
    }
    this.busy[instance] = true;
    let released = false;
    /** The instance takes its next batch: once per dispatch, before this batch's answers go out. */
    const release = () => {
      if (released) return;
      released = true;
      this.busy[instance] = false;
      this.pump();
    };
    this.pool
      .run(
        instance,
        spec.plan,
        entries.map((e) => e.item),
      )
      .then(async ({ items, ms, reruns }) => {
        if (items.length !== entries.length) throw new Error(`batch of ${entries.length} produced ${items.length} answers. This is a bug.`);
        this.hooks.onBatch?.(spec.name, entries.length, ms, spec.text ? { padded: batch.padded, real: batch.real } : undefined);
        if (reruns > 0) this.hooks.onRerun?.(spec.name, reruns);
        release();
        // Answers go out ANSWER_CHUNK at a time, with the event loop's I/O between chunks, so a
        // large batch does not hold a health check for all of its responses.
        for (let i = 0; i < entries.length; i++) {
          if (i > 0 && i % ANSWER_CHUNK === 0) await new Promise((r) => setImmediate(r));
          const e = entries[i]!;
          const answer = items[i]!;
          if ('error' in answer) e.request.reject(answer.error.sibling ? new RuntimeError('cancelled', this.model, answer.error.message) : new ItemRefused(this.model, answer.error));
          else e.request.resolve({ value: answer.outputs, timing: { queueMs: started - e.enqueuedAt, inferenceMs: ms, batchSize: entries.length } });
        }
      })
      .catch((err: unknown) => {
        const error = err instanceof Error ? err : new RuntimeError('inference-failed', this.model, String(err));
        for (const e of entries) e.request.reject(error);
      })
      .finally(release);
  }

  /** No instance will run anything again: everything queued fails now instead of at its deadline. */
  private abandon(err: RuntimeError): void {
    this.failed = err;
    for (const e of this.queue.select((_): _ is Entry => true)) requestOf(e).cancel(err);
    this.checkIdle();
  }

  private isIdle(): boolean {
    return this.queue.size === 0 && this.slots.size === 0 && !this.busy.some(Boolean);
  }

  private checkIdle(): void {
    if (!this.isIdle() || this.idleWaiters.length === 0) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const w of waiters) w();
  }
}

/** The request lifecycle of a queued entry (only its cancel is used here). */
const requestOf = (e: Entry): Pick<Request<unknown>, 'cancel' | 'onCancel'> => (e.kind === 'batch' ? e.request : e.job.request);

/** What an item holds in memory while it waits: its buffers' bytes. */
function itemBytes(item: BatchItem): number {
  let n = (item.ids?.byteLength ?? 0) + (item.typeIds?.byteLength ?? 0) + (item.bytes?.byteLength ?? 0);
  for (const t of Object.values(item.tensors ?? {})) n += ArrayBuffer.isView(t.data) ? t.data.byteLength : t.data.reduce((s, x) => s + x.length * 2, 0);
  return n;
}
