// Worker threads for one model: each holds its own sessions. Runs go to the least-busy worker;
// a worker that dies fails its in-flight runs at once (WorkerFailedError) and is respawned.
import { Worker } from 'node:worker_threads';
import type { TensorValue } from './onnx.ts';
import { transferList, type CrashMode, type FromWorker, type GraphInfo, type RunStep, type ToWorker } from './protocol.ts';

const WORKER_URL = new URL('./worker.ts', import.meta.url);
const RESPAWN_DELAY_MS = 200;

export class WorkerFailedError extends Error {}
export class InferenceError extends Error {}

export interface RunResult {
  outputs: Record<string, TensorValue>;
  ms: number;
}

export interface WorkerPoolOptions {
  name: string;
  graphs: Record<string, string>;
  instances: number;
  intraOpThreads: number;
  /** Enables crash() (tests only; never set from configuration). */
  faultInjection?: boolean;
  onLog?: (level: 'warn' | 'error', msg: string) => void;
  onRestart?: () => void;
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
  private slots: Slot[] = [];
  private nextId = 1;
  private closed = false;

  constructor(options: WorkerPoolOptions) {
    this.options = options;
  }

  /** Spawns every worker and resolves with the graphs' metadata once all have loaded. */
  async start(): Promise<Record<string, GraphInfo>> {
    const infos = await Promise.all(Array.from({ length: this.options.instances }, (_, i) => this.spawn(i)));
    return infos[0] ?? {};
  }

  get instances(): number {
    return this.options.instances;
  }

  /** Runs one or more chained session.run calls on the least-busy ready worker. */
  run(steps: RunStep[]): Promise<RunResult> {
    const slot = this.pick();
    if (!slot) return Promise.reject(new WorkerFailedError(`no worker of model '${this.options.name}' is available`));
    const id = this.nextId++;
    const msg: ToWorker = { type: 'run', id, steps };
    return new Promise<RunResult>((resolve, reject) => {
      slot.pending.set(id, { resolve, reject });
      slot.worker.postMessage(msg, transferList(steps.flatMap((s) => Object.values(s.feeds))));
    });
  }

  /**
   * Makes one worker die of an uncaught error, at once or when it receives its next run (tests use
   * it to check fail-fast and respawn). Not terminate(): stopping a thread inside onnxruntime's
   * native run can abort the process. Throws unless the pool was built with faultInjection.
   */
  crash(index = 0, mode: CrashMode = 'now'): void {
    if (!this.options.faultInjection) throw new Error('fault injection is disabled for this worker pool');
    const msg: ToWorker = { type: 'crash', mode };
    this.slots[index]?.worker.postMessage(msg);
  }

  /** Workers that are loaded and taking runs. */
  get readyInstances(): number {
    return this.slots.filter((s) => s.ready).length;
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(this.slots.map((s) => s.worker.terminate()));
  }

  private pick(): Slot | undefined {
    let best: Slot | undefined;
    for (const s of this.slots) if (s.ready && (!best || s.pending.size < best.pending.size)) best = s;
    return best;
  }

  private spawn(index: number): Promise<Record<string, GraphInfo>> {
    return new Promise((resolve, reject) => {
      const worker = new Worker(WORKER_URL, { name: `ortserve:${this.options.name}:${index}` });
      const slot: Slot = { worker, ready: false, pending: new Map() };
      this.slots[index] = slot;
      let settled = false;
      worker.on('message', (msg: FromWorker) => {
        if (msg.type === 'ready') {
          slot.ready = true;
          settled = true;
          resolve(msg.graphs);
        } else if (msg.type === 'load-failed') {
          settled = true;
          reject(new Error(msg.message));
          void worker.terminate();
        } else this.settle(slot, msg);
      });
      let crash = '';
      worker.on('error', (err) => {
        crash = `: ${err.message}`;
        this.options.onLog?.('error', `worker ${index} of '${this.options.name}' crashed${crash}`);
      });
      worker.on('exit', (code) => {
        slot.ready = false;
        for (const p of slot.pending.values()) p.reject(new WorkerFailedError(`worker exited with code ${code}${crash}`));
        slot.pending.clear();
        if (!settled) {
          settled = true;
          reject(new Error(`worker exited with code ${code} while loading${crash}`));
        } else if (!this.closed && this.slots[index] === slot) this.respawn(index);
      });
      const load: ToWorker = { type: 'load', graphs: this.options.graphs, intraOpThreads: this.options.intraOpThreads, faultInjection: this.options.faultInjection ?? false };
      worker.postMessage(load);
    });
  }

  private respawn(index: number): void {
    this.options.onRestart?.();
    this.options.onLog?.('warn', `respawning worker ${index} of '${this.options.name}'`);
    setTimeout(() => {
      if (this.closed) return;
      this.spawn(index).catch((err: Error) => {
        this.options.onLog?.('error', `respawn of worker ${index} failed: ${err.message}`);
      });
    }, RESPAWN_DELAY_MS).unref();
  }

  private settle(slot: Slot, msg: Extract<FromWorker, { id: number }>): void {
    const pending = slot.pending.get(msg.id);
    if (!pending) throw new Error(`worker replied to unknown run ${msg.id}. This is a bug.`);
    slot.pending.delete(msg.id);
    if (msg.type === 'result') pending.resolve({ outputs: msg.outputs, ms: msg.ms });
    else pending.reject(new InferenceError(msg.message));
  }
}
