// Loaded models and their lifecycle: scan the repository, start each model's workers, build its
// task pipeline, warm it up. A model that fails is kept with its error; the others still serve.
import { defaultIntraOpThreads, type Config } from '../config.ts';
import { PIPELINES, type Pipeline } from '../pipelines/index.ts';
import type { ModelContext } from '../pipelines/context.ts';
import { DEFAULT_BATCHING, type Batching, type Task } from '../repository/manifest.ts';
import { isSourceError, scanRepository, type ModelSource } from '../repository/repository.ts';
import { Batcher } from './batcher.ts';
import { createStats, statsHooks, type ModelStats } from './model-stats.ts';
import type { GraphInfo } from './protocol.ts';
import { WorkerPool } from './worker-pool.ts';

export type ModelState = 'loading' | 'ready' | 'failed';

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
  stats: ModelStats;
  restarts: number;
}

export interface RegistryLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export class ModelRegistry {
  private readonly models = new Map<string, ModelEntry>();
  private readonly config: Config;
  private readonly log: RegistryLogger;
  private loading: Promise<void> = Promise.resolve();

  constructor(config: Config, log: RegistryLogger) {
    this.config = config;
    this.log = log;
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

  allReady(): boolean {
    return this.models.size > 0 && [...this.models.values()].every((m) => m.state === 'ready');
  }

  /** Waits for queued and in-flight work, then stops every worker. */
  async close(): Promise<void> {
    await this.loading;
    await Promise.all(this.list().map((m) => m.pipeline?.idle()));
    await Promise.all(this.list().map((m) => m.pool?.close()));
  }

  private async loadAll(): Promise<void> {
    const scanned = await scanRepository(this.config.models);
    for (const s of scanned) {
      if (isSourceError(s)) {
        this.models.set(s.name, { name: s.name, dir: s.dir, state: 'failed', error: s.error, stats: createStats(), restarts: 0 });
        this.log.error({ model: s.name, err: s.error }, 'model failed to load');
      } else {
        this.models.set(s.name, { name: s.name, dir: s.dir, state: 'loading', task: s.manifest.task, source: s, stats: createStats(), restarts: 0 });
      }
    }
    const threads = defaultIntraOpThreads(scanned.length);
    await Promise.all(this.list().filter((m) => m.state === 'loading').map((m) => this.load(m, threads)));
  }

  private async load(entry: ModelEntry, defaultThreads: number): Promise<void> {
    const source = entry.source!;
    const { manifest } = source;
    const started = performance.now();
    entry.batching = {
      ...DEFAULT_BATCHING,
      ...manifest.batching,
      ...definedOnly({
        max_batch_size: this.config.maxBatchSize,
        max_queue_delay_ms: this.config.maxQueueDelayMs,
        max_queue_size: this.config.maxQueueSize,
        timeout_ms: this.config.timeoutMs,
      }),
    };
    entry.instances = this.config.instances ?? manifest.instances ?? 1;
    entry.intraOpThreads = this.config.intraOpThreads ?? manifest.intra_op_threads ?? defaultThreads;
    const pool = new WorkerPool({
      name: entry.name,
      graphs: source.graphs,
      instances: entry.instances,
      intraOpThreads: entry.intraOpThreads,
      onLog: (level, msg) => this.log[level]({ model: entry.name }, msg),
      onRestart: () => entry.restarts++,
    });
    entry.pool = pool;
    try {
      entry.graphs = await pool.start();
      if (manifest.task) {
        entry.pipeline = PIPELINES[manifest.task](this.context(entry, source, pool));
        await entry.pipeline.warmup();
      }
      entry.state = 'ready';
      this.log.info({ model: entry.name, task: entry.task ?? 'generic', ms: Math.round(performance.now() - started) }, 'model ready');
    } catch (err) {
      entry.state = 'failed';
      entry.error = (err as Error).message;
      entry.pipeline = undefined;
      await pool.close();
      this.log.error({ model: entry.name, err: entry.error }, 'model failed to load');
    }
  }

  private context(entry: ModelEntry, source: ModelSource, pool: WorkerPool): ModelContext {
    const batching = entry.batching!;
    const hooks = () => statsHooks(entry.stats);
    return {
      source,
      graphs: entry.graphs!,
      pool,
      batching,
      config: this.config,
      hooks,
      batcher: (_operation, runBatch, overrides) =>
        new Batcher({ model: entry.name, batching: { ...batching, ...overrides }, concurrency: pool.instances, runBatch, hooks: hooks() }),
    };
  }
}

function definedOnly<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
