// Worker threads for one model (its instances), each with its own sessions. The scheduler
// decides which instance runs what; the pool carries messages, gives exactly one answer per run,
// fails a dead worker's runs at once (kind 'worker-failed'), tells the scheduler, and respawns it
// with an exponential backoff; when respawns keep failing, or an invariant breaks in its message
// handling, the pool fails as a whole (onFailed) instead of retrying forever or ending the process.
import { Worker } from 'node:worker_threads';
import { RuntimeError } from './errors.ts';
import type { TensorValue } from './onnx.ts';
import { transferList, type BatchItem, type BatchPlan, type BatchResult, type CrashMode, type EngineSpec, type FromWorker, type GraphInfo, type SequenceMessage, type ToWorker } from './protocol.ts';

const WORKER_URL = new URL('./worker.ts', import.meta.url);
/** The first respawn waits this long; each failed one doubles the wait. */
const RESPAWN_DELAY_MS = 100;
/** Respawns in a row that fail to load before the pool fails. */
export const MAX_RESPAWN_FAILURES = 5;

/** A batch's answers: one per item (its outputs, or why it has none), the run time and reruns. */
export type RunResult = BatchResult;

/** What the model's scheduler hears from its instances. */
export interface PoolEvents {
  /** An instance is loaded and takes work (at start and after a respawn). */
  onReady(instance: number): void;
  /** An instance died: its runs already failed; its sequences are gone. */
  onExit(instance: number): void;
  onSequence(instance: number, msg: SequenceMessage): void;
  /** The pool gave up (no instance will come back): queued work can fail now. */
  onFailed?(reason: string): void;
}

export interface WorkerPoolOptions {
  name: string;
  onLog?: (level: 'warn' | 'error', msg: string) => void;
  graphs: Record<string, string>;
  instances: number;
  intraOpThreads: number;
  /** Enables crash() (tests only; never set from configuration). */
  faultInjection?: boolean;
  /** A worker died and is being respawned. */
  onRestart?: () => void;
  /** The pool stopped for good (its workers are gone): why, in one line. */
  onFailed?: (reason: string) => void;
}

interface Pending {
  resolve: (r: RunResult) => void;
  reject: (e: Error) => void;
}

interface Slot {
  worker: Worker;
  ready: boolean;
  pending: Map<number, Pending>;
  /** It has answered work (a run, or an engine step): a respawn that gets this far has recovered. */
  answered: boolean;
}

export class WorkerPool {
  readonly options: WorkerPoolOptions;
  /** Respawns of workers that died (each attempt counts). */
  restarts = 0;
  private readonly slots: Slot[] = [];
  private engineSpec: EngineSpec | undefined;
  private overloaded = false;
  private denied = false;
  private events: PoolEvents | undefined;
  private nextId = 1;
  /** No more respawns: close() was called, or the pool failed. */
  private closed = false;
  /** Why the pool failed, once it did. */
  private failedReason: string | undefined;
  /** Respawns in a row that failed to load. */
  private respawnFailures = 0;

  constructor(options: WorkerPoolOptions) {
    this.options = options;
  }

  get instances(): number {
    return this.options.instances;
  }

  /** Workers that are loaded and taking work. */
  get readyInstances(): number {
    return this.slots.filter((s) => s.ready).length;
  }

  isReady(instance: number): boolean {
    return this.slots[instance]?.ready ?? false;
  }

  listen(events: PoolEvents): void {
    this.events = events;
  }

  /** Spawns every worker and resolves with the graphs' metadata once all have loaded. */
  async start(): Promise<Record<string, GraphInfo>> {
    const infos = await Promise.all(Array.from({ length: this.options.instances }, (_, i) => this.spawn(i)));
    return infos[0] ?? {};
  }

  /** Runs a batch (its operation's plan and its items, whose buffers move to the worker) on `instance`. */
  run(instance: number, plan: BatchPlan, items: BatchItem[]): Promise<RunResult> {
    const slot = this.slots[instance];
    if (!slot?.ready) return Promise.reject(this.failure(`instance ${instance} is not running`));
    const id = this.nextId++;
    return new Promise<RunResult>((resolve, reject) => {
      slot.pending.set(id, { resolve, reject });
      try {
        this.post(instance, { type: 'run', id, plan, items }, transferList(items.flatMap(itemBuffers)));
      } catch (err) {
        // Nothing was sent (a buffer could not be cloned or moved, say): no reply will come.
        slot.pending.delete(id);
        reject(err instanceof Error ? err : new Error(String(err)));
      }
    });
  }

  /** Starts the sequence engine in every worker, and in every respawned one. */
  startEngine(spec: EngineSpec): void {
    this.engineSpec = spec;
    this.slots.forEach((s, i) => s.ready && this.post(i, { type: 'engine', spec }));
  }

  /** Tells every worker, and every respawned one, at which CPU priority to run (see overload.ts). */
  setOverloaded(on: boolean): void {
    this.overloaded = on;
    if (!this.closed) this.slots.forEach((s, i) => s.ready && this.post(i, { type: 'priority', overloaded: on }));
  }

  post(instance: number, msg: ToWorker, transfer: ArrayBuffer[] = []): void {
    this.slots[instance]?.worker.postMessage(msg, transfer);
  }

  /**
   * Makes one worker die of an uncaught error (now, or holding its next run), or its engine throw
   * on the next step. Not terminate(): stopping a thread inside onnxruntime's native run can abort
   * the process. Throws unless the pool was built with faultInjection.
   */
  crash(index = 0, mode: CrashMode = 'now'): void {
    if (!this.options.faultInjection) throw new Error('fault injection is disabled for this worker pool');
    this.post(index, { type: 'crash', mode });
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(this.slots.map((s) => s.worker.terminate()));
  }

  /** Stops the pool for good: its workers' runs fail now, their sequences end, the model is told. */
  private fail(reason: string): void {
    if (this.closed) return;
    this.closed = true;
    this.failedReason = reason;
    this.options.onLog?.('error', `worker pool of '${this.options.name}' failed: ${reason}`);
    for (const s of this.slots) void s.worker.terminate();
    this.events?.onFailed?.(reason);
    this.options.onFailed?.(reason);
  }

  /** Logged once per pool: the overload boost (overload.ts) is then off and inference keeps its priority. */
  private priorityDenied(nice: number, message: string): void {
    if (this.denied) return;
    this.denied = true;
    this.options.onLog?.(
      'warn',
      `'${this.options.name}': the OS refused inference priority nice ${nice} (${message}); under overload the model keeps a lower priority than the event loop. Allow it with CAP_SYS_NICE or an RLIMIT_NICE of 20 (ulimit -e 20)`,
    );
  }

  private failure(message: string): RuntimeError {
    return new RuntimeError('worker-failed', this.options.name, message);
  }

  private spawn(index: number): Promise<Record<string, GraphInfo>> {
    const { name, graphs, intraOpThreads, faultInjection = false } = this.options;
    return new Promise((resolve, reject) => {
      const worker = new Worker(WORKER_URL, { name: `ortserve:${name}:${index}` });
      const slot: Slot = { worker, ready: false, pending: new Map(), answered: false };
      this.slots[index] = slot;
      let loaded = false;
      let crash = '';
      worker.on('message', (msg: FromWorker) => {
        // A throw here would be an uncaught exception of the whole process: it fails this pool only.
        try {
          if (msg.type === 'ready') {
            loaded = true;
            slot.ready = true;
            if (this.engineSpec) this.post(index, { type: 'engine', spec: this.engineSpec });
            if (this.overloaded) this.post(index, { type: 'priority', overloaded: true });
            resolve(msg.graphs);
            this.events?.onReady(index);
          } else if (msg.type === 'load-failed') {
            loaded = true;
            reject(new Error(msg.message));
            void worker.terminate();
          } else if (msg.type === 'result' || msg.type === 'error') {
            this.answered(slot);
            this.settle(slot, msg);
          } else if (msg.type === 'priority-denied') this.priorityDenied(msg.nice, msg.message);
          else {
            this.answered(slot);
            this.events?.onSequence(index, msg);
          }
        } catch (err) {
          this.fail(`worker ${index}: ${(err as Error).message}`);
        }
      });
      worker.on('error', (err: Error) => {
        crash = `: ${err.message}`;
        this.options.onLog?.('error', `worker ${index} of '${name}' crashed${crash}`);
      });
      worker.on('exit', (code) => {
        const served = slot.ready;
        slot.ready = false;
        const why = this.failedReason ?? `worker exited with code ${code}${crash}`;
        for (const p of slot.pending.values()) p.reject(this.failure(why));
        slot.pending.clear();
        if (!loaded) {
          loaded = true;
          reject(new Error(`worker exited with code ${code} while loading${crash}`));
        } else if (served && this.slots[index] === slot && (!this.closed || this.failedReason !== undefined)) {
          this.events?.onExit(index);
          // A worker that loads and dies before answering anything has not recovered: that counts as a failed respawn.
          if (!slot.answered) this.respawnFailures++;
          if (this.closed) return;
          if (this.respawnFailures >= MAX_RESPAWN_FAILURES) this.fail(`worker ${index} died ${this.respawnFailures} times in a row before answering any work${crash}`);
          else this.respawn(index);
        }
      });
      worker.postMessage({ type: 'load', graphs, intraOpThreads, faultInjection } satisfies ToWorker);
    });
  }

  /**
   * Respawns worker `index` after a backoff that doubles with each failed respawn in a row (one that
   * did not load, or died before answering any work); fails the pool after MAX_RESPAWN_FAILURES.
   */
  private respawn(index: number): void {
    this.restarts++;
    this.options.onRestart?.();
    const delay = RESPAWN_DELAY_MS * 2 ** this.respawnFailures;
    this.options.onLog?.('warn', `respawning worker ${index} of '${this.options.name}' in ${delay} ms`);
    setTimeout(() => {
      if (this.closed) return;
      this.spawn(index).then(
        () => {},
        (err: Error) => {
          if (this.closed) return;
          this.respawnFailures++;
          this.options.onLog?.('error', `respawn of worker ${index} of '${this.options.name}' failed (${this.respawnFailures} in a row): ${err.message}`);
          if (this.respawnFailures >= MAX_RESPAWN_FAILURES) this.fail(`worker ${index} failed to load ${this.respawnFailures} times in a row: ${err.message}`);
          else this.respawn(index);
        },
      );
    }, delay).unref();
  }

  /** The slot's worker answered work: the respawns in a row, if any, are over. */
  private answered(slot: Slot): void {
    if (slot.answered) return;
    slot.answered = true;
    this.respawnFailures = 0;
  }

  private settle(slot: Slot, msg: Extract<FromWorker, { type: 'result' | 'error' }>): void {
    const pending = slot.pending.get(msg.id);
    if (!pending) throw new Error(`worker replied to unknown run ${msg.id}. This is a bug.`);
    slot.pending.delete(msg.id);
    if (msg.type === 'result') pending.resolve({ items: msg.items, ms: msg.ms, reruns: msg.reruns });
    else pending.reject(new RuntimeError('inference-failed', this.options.name, msg.message));
  }
}

/** The buffers an item hands to the worker (ids, uploads, tensors): moved, not copied. */
function itemBuffers(item: BatchItem): (TensorValue | ArrayBufferView)[] {
  const out: (TensorValue | ArrayBufferView)[] = [];
  if (item.ids) out.push(item.ids);
  if (item.typeIds) out.push(item.typeIds);
  if (item.bytes) out.push(item.bytes);
  if (item.tensors) out.push(...Object.values(item.tensors));
  return out;
}
