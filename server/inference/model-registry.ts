// Loaded models and their lifecycle: scan the repository, start each model's workers, build its
// task pipeline and tensor (V2) runner, warm it up. A model that fails is kept with its error;
// the others still serve. Models can be re-read (hot-swapped) or unloaded at run time.
import path from 'node:path';
import { defaultIntraOpThreads, type Config } from '../config.ts';
import type { ModelContext } from '../pipelines/context.ts';
import { PIPELINES, type Pipeline } from '../pipelines/index.ts';
import { tensorInfer, type TensorInferRunner } from '../pipelines/tensor-infer.ts';
import { DEFAULT_BATCHING, type Batching, type Task } from '../repository/manifest.ts';
import { isSourceError, readModel, scanRepository, withoutPaths, type ModelSource } from '../repository/repository.ts';
import { Batcher, type BatcherHooks } from './batcher.ts';
import { createStats, statsHooks, type ModelStats } from './model-stats.ts';
import type { GraphInfo } from './protocol.ts';
import { WorkerPool } from './worker-pool.ts';

export type ModelState = 'loading' | 'ready' | 'failed' | 'unavailable';

export interface ModelEntry {
  name: string;
  dir: string;
  state: ModelState;
  error?: string;
  task?: Task;
  source?: ModelSource;
  graphs?: Record<string, GraphInfo>;
  batching?: Batching;
  instances?: number;
  intraOpThreads?: number;
  pool?: WorkerPool;
  pipeline?: Pipeline;
  tensor?: TensorInferRunner;
  stats: ModelStats;
  restarts: number;
  /** Why the last load/reload of this model failed while this version kept serving. */
  reloadError?: string;
}

export interface RegistryLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export interface RegistryOptions {
  config: Config;
  log: RegistryLogger;
  /** Metric hooks per model operation (the metrics plugin's). */
  hooks?: (model: string, operation: string) => BatcherHooks;
  /** Lets tests make workers crash (WorkerPool.crash); off in every real deployment. */
  faultInjection?: boolean;
}

const emptyEntry = (name: string, dir: string): ModelEntry => ({ name, dir, state: 'loading', stats: createStats(), restarts: 0 });

export class ModelRegistry {
  private readonly models = new Map<string, ModelEntry>();
  private readonly opts: RegistryOptions;
  private loading: Promise<void> = Promise.resolve();
  private defaultThreads = 1;

  constructor(opts: RegistryOptions) {
    this.opts = opts;
  }

  /** Starts loading every model of the repository; `whenLoaded()` resolves when all settled. */
  start(): void {
    this.loading = this.loadAll();
  }

  whenLoaded(): Promise<void> {
    return this.loading;
  }

  get(name: string): ModelEntry | undefined {
    return this.models.get(name);
  }

  list(): ModelEntry[] {
    return [...this.models.values()].sort((a, b) => a.name.localeCompare(b.name));
  }

  /** Ready when every model that was not deliberately unloaded is ready. */
  allReady(): boolean {
    const live = this.list().filter((m) => m.state !== 'unavailable');
    return live.length > 0 && live.every((m) => m.state === 'ready');
  }

  /** Reads a model folder anew and swaps it in once warm; requests in flight finish on the old one. */
  async load(name: string): Promise<ModelEntry> {
    const dir = this.models.get(name)?.dir ?? path.join(this.opts.config.models, name);
    const next = emptyEntry(name, dir);
    try {
      next.source = await readModel(dir, name);
      next.task = next.source.manifest.task;
    } catch (err) {
      next.state = 'failed';
      next.error = this.publicError((err as Error).message);
      this.opts.log.error({ model: name, err: (err as Error).message }, 'model folder could not be read');
    }
    if (next.source) await this.start1(next);
    const old = this.models.get(name);
    if (next.state === 'ready' || !old || old.state !== 'ready') {
      this.models.set(name, next);
      if (old) void this.retire(old);
    } else {
      old.reloadError = next.error;
      // The cause is already logged (in full) where it happened; this line says what it means.
      this.opts.log.warn({ model: name }, 'reload failed; the loaded version keeps serving');
      await next.pool?.close();
    }
    return next;
  }

  /** Stops serving a model; queued and in-flight requests finish first. */
  async unload(name: string): Promise<ModelEntry | undefined> {
    const old = this.models.get(name);
    if (!old) return undefined;
    const gone: ModelEntry = { ...emptyEntry(name, old.dir), state: 'unavailable', task: old.task, source: old.source };
    this.models.set(name, gone);
    await this.retire(old);
    return gone;
  }

  /** Waits for queued and in-flight work, then stops every worker. */
  async close(): Promise<void> {
    await this.loading;
    await Promise.all(this.list().map((m) => this.retire(m)));
  }

  private async retire(entry: ModelEntry): Promise<void> {
    await Promise.all([entry.pipeline?.idle(), entry.tensor?.idle()]);
    await entry.pool?.close();
  }

  private async loadAll(): Promise<void> {
    const scanned = await scanRepository(this.opts.config.models);
    this.defaultThreads = defaultIntraOpThreads(scanned.length);
    for (const s of scanned) {
      const entry = emptyEntry(s.name, s.dir);
      if (isSourceError(s)) {
        entry.state = 'failed';
        entry.error = this.publicError(s.error);
        this.opts.log.error({ model: s.name, err: s.error }, 'model failed to load');
      } else {
        entry.source = s;
        entry.task = s.manifest.task;
      }
      this.models.set(entry.name, entry);
    }
    await Promise.all(this.list().filter((m) => m.state === 'loading').map((m) => this.start1(m)));
  }

  private async start1(entry: ModelEntry): Promise<void> {
    const { config, log } = this.opts;
    const source = entry.source!;
    const { manifest } = source;
    const started = performance.now();
    entry.batching = {
      ...DEFAULT_BATCHING,
      ...manifest.batching,
      ...definedOnly({
        max_batch_size: config.maxBatchSize,
        max_queue_delay_ms: config.maxQueueDelayMs,
        max_queue_size: config.maxQueueSize,
        timeout_ms: config.timeoutMs,
      }),
    };
    entry.instances = config.instances ?? manifest.instances ?? 1;
    entry.intraOpThreads = config.intraOpThreads ?? manifest.intra_op_threads ?? this.defaultThreads;
    const pool = new WorkerPool({
      name: entry.name,
      graphs: source.graphs,
      instances: entry.instances,
      intraOpThreads: entry.intraOpThreads,
      faultInjection: this.opts.faultInjection,
      onLog: (level, msg) => log[level]({ model: entry.name }, msg),
      onRestart: () => entry.restarts++,
    });
    entry.pool = pool;
    try {
      entry.graphs = await pool.start();
      const ctx = this.context(entry, source, pool);
      entry.tensor = tensorInfer(ctx);
      const factory = manifest.task ? PIPELINES[manifest.task] : undefined;
      if (manifest.task && !factory) throw new Error(`task '${manifest.task}' has no pipeline`);
      if (factory) {
        entry.pipeline = factory(ctx);
        await entry.pipeline.warmup();
      } else {
        await entry.tensor.warmup().catch((err: Error) => log.warn({ model: entry.name, err: err.message }, 'warm-up with zero inputs failed; serving anyway'));
      }
      entry.state = 'ready';
      log.info({ model: entry.name, task: entry.task ?? 'generic', ms: Math.round(performance.now() - started) }, 'model ready');
    } catch (err) {
      entry.state = 'failed';
      entry.error = this.publicError((err as Error).message);
      entry.pipeline = undefined;
      entry.tensor = undefined;
      await pool.close();
      log.error({ model: entry.name, err: (err as Error).message }, 'model failed to load');
    }
  }

  private publicError(message: string): string {
    return withoutPaths(message, path.resolve(this.opts.config.models));
  }

  private context(entry: ModelEntry, source: ModelSource, pool: WorkerPool): ModelContext {
    const batching = entry.batching!;
    const hooks = (operation: string) => statsHooks(entry.stats, this.opts.hooks?.(entry.name, operation));
    return {
      source,
      graphs: entry.graphs!,
      pool,
      batching,
      config: this.opts.config,
      hooks,
      batcher: (operation, runBatch, overrides) =>
        new Batcher({ model: entry.name, batching: { ...batching, ...overrides }, concurrency: pool.instances, runBatch, hooks: hooks(operation) }),
    };
  }
}

function definedOnly<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
