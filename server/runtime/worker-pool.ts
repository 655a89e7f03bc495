// Worker threads for one model (its instances), each with its own sessions. The scheduler
// decides which instance runs what; the pool carries messages, gives exactly one answer per run,
// fails a dead worker's runs at once (kind 'worker-failed'), tells the scheduler, and respawns it.
import { Worker } from 'node:worker_threads';
import { RuntimeError } from './errors.ts';
import type { TensorValue } from './onnx.ts';
import { transferList, type CrashMode, type EngineSpec, type FromWorker, type GraphInfo, type RunStep, type SequenceMessage, type SkippedItem, type ToWorker } from './protocol.ts';

const WORKER_URL = new URL('./worker.ts', import.meta.url);
const RESPAWN_DELAY_MS = 200;

export interface RunResult {
  outputs: Record<string, TensorValue>;
  ms: number;
  /** Items a prepare step left out (their rows are not in the outputs). */
  skipped: SkippedItem[];
}

/** What the model's scheduler hears from its instances. */
export interface PoolEvents {
  /** An instance is loaded and takes work (at start and after a respawn). */
  onReady(instance: number): void;
  /** An instance died: its runs already failed; its sequences are gone. */
  onExit(instance: number): void;
  onSequence(instance: number, msg: SequenceMessage): void;
}

export interface WorkerPoolOptions {
  name: string;
  onLog?: (level: 'warn' | 'error', msg: string) => void;
  graphs: Record<string, string>;
  instances: number;
  intraOpThreads: number;
  /** Enables crash() (tests only; never set from configuration). */
  faultInjection?: boolean;
}

interface Pending {
  resolve: (r: RunResult) => void;
  reject: (e: Error) => void;
}

interface Slot {
  worker: Worker;
  ready: boolean;
  pending: Map<number, Pending>;
}

export class WorkerPool {
  readonly options: WorkerPoolOptions;
  /** Workers respawned after dying. */
  restarts = 0;
  private readonly slots: Slot[] = [];
  private engineSpec: EngineSpec | undefined;
  private overloaded = false;
  private denied = false;
  private events: PoolEvents | undefined;
  private nextId = 1;
  private closed = false;

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

  /** Runs one or more chained session.run calls on `instance`. */
  run(instance: number, steps: RunStep[]): Promise<RunResult> {
    const slot = this.slots[instance];
    if (!slot?.ready) return Promise.reject(this.failure(`instance ${instance} is not running`));
    const id = this.nextId++;
    return new Promise<RunResult>((resolve, reject) => {
      slot.pending.set(id, { resolve, reject });
      this.post(instance, { type: 'run', id, steps }, transferList(steps.flatMap((s) => [...Object.values(s.feeds), ...(s.prepare?.items ?? [])])));
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

  /** Logged once per pool: the overload boost (overload.ts) is then off and inference keeps its priority. */
  private priorityDenied(nice: number, message: string): void {
    if (this.denied) return;
    this.denied = true;
    this.options.onLog?.('warn', `'${this.options.name}': the OS refused inference priority nice ${nice} (${message}); under overload the model keeps a lower priority than the event loop. Allow it with CAP_SYS_NICE or an RLIMIT_NICE of 20 (ulimit -e 20)`);
  }

  private failure(message: string): RuntimeError {
    return new RuntimeError('worker-failed', this.options.name, message);
  }

  private spawn(index: number): Promise<Record<string, GraphInfo>> {
    const { name, graphs, intraOpThreads, faultInjection = false } = this.options;
    return new Promise((resolve, reject) => {
      const worker = new Worker(WORKER_URL, { name: `ortserve:${name}:${index}` });
      const slot: Slot = { worker, ready: false, pending: new Map() };
      this.slots[index] = slot;
      let loaded = false;
      let crash = '';
      worker.on('message', (msg: FromWorker) => {
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
        } else if (msg.type === 'result' || msg.type === 'error') this.settle(slot, msg);
        else if (msg.type === 'priority-denied') this.priorityDenied(msg.nice, msg.message);
        else this.events?.onSequence(index, msg);
      });
      worker.on('error', (err) => {
        crash = `: ${err.message}`;
        this.options.onLog?.('error', `worker ${index} of '${name}' crashed${crash}`);
      });
      worker.on('exit', (code) => {
        slot.ready = false;
        for (const p of slot.pending.values()) p.reject(this.failure(`worker exited with code ${code}${crash}`));
        slot.pending.clear();
        if (!loaded) {
          loaded = true;
          reject(new Error(`worker exited with code ${code} while loading${crash}`));
        } else if (!this.closed && this.slots[index] === slot) {
          this.events?.onExit(index);
          this.respawn(index);
        }
      });
      worker.postMessage({ type: 'load', graphs, intraOpThreads, faultInjection } satisfies ToWorker);
    });
  }

  private respawn(index: number): void {
    this.restarts++;
    this.options.onLog?.('warn', `respawning worker ${index} of '${this.options.name}'`);
    setTimeout(() => {
      if (this.closed) return;
      this.spawn(index).catch((err: Error) => this.options.onLog?.('error', `respawn of worker ${index} failed: ${err.message}`));
    }, RESPAWN_DELAY_MS).unref();
  }

  private settle(slot: Slot, msg: Extract<FromWorker, { type: 'result' | 'error' }>): void {
    const pending = slot.pending.get(msg.id);
    if (!pending) throw new Error(`worker replied to unknown run ${msg.id}. This is a bug.`);
    slot.pending.delete(msg.id);
    if (msg.type === 'result') pending.resolve({ outputs: msg.outputs, ms: msg.ms, skipped: msg.skipped });
    else pending.reject(new RuntimeError('inference-failed', this.options.name, msg.message));
  }
}
