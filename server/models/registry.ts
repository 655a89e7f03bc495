// Loaded models and their lifecycle: scan the repository, start each model's runtime, keep a
// model that fails with its error while the others serve, re-read (hot-swap) or unload a model
// at run time, and drain everything on shutdown.
import path from 'node:path';
import { defaultIntraOpThreads, type Config } from '../config.ts';
import { isSourceError, readModel, scanRepository, withoutPaths, type ModelSource } from '../repository/repository.ts';
import type { SchedulerHooks } from '../runtime/policy.ts';
import type { ModelEntry, ReadyModel } from './entry.ts';
import { startRuntime, stopRuntime } from './runtime.ts';
import { createStats, statsHooks } from './stats.ts';

/**
 * The one readiness rule, for REST, KServe V2 and gRPC health alike: the model is ready and at
 * least one of its instances is alive to take work.
 */
export function isServing(entry: ModelEntry | undefined): entry is ReadyModel {
  return entry?.state === 'ready' && entry.runtime.pool.readyInstances > 0;
}

export interface RegistryLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export interface RegistryOptions {
  config: Config;
  log: RegistryLogger;
  /** Metric hooks of one model's scheduler (the metrics plugin's). */
  hooks?: (model: string) => SchedulerHooks;
  /** Lets tests make workers crash (WorkerPool.crash); off in every real deployment. */
  faultInjection?: boolean;
}

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

  /** Ready when every model that was not deliberately unloaded is serving (see isServing). */
  allReady(): boolean {
    const live = this.list().filter((m) => m.state !== 'unavailable');
    return live.length > 0 && live.every(isServing);
  }

  /** Reads a model folder anew and swaps it in once warm; requests in flight finish on the old one. */
  async load(name: string): Promise<ModelEntry> {
    const dir = this.models.get(name)?.dir ?? path.join(this.opts.config.models, name);
    let next: ModelEntry;
    try {
      next = await this.start1(name, dir, await readModel(dir, name));
    } catch (err) {
      this.opts.log.error({ model: name, err: (err as Error).message }, 'model folder could not be read');
      next = { name, dir, state: 'failed', error: this.publicError((err as Error).message), stats: createStats() };
    }
    const old = this.models.get(name);
    if (next.state === 'ready' || old?.state !== 'ready') {
      this.models.set(name, next);
      if (old?.state === 'ready') void stopRuntime(old.runtime);
    } else if (next.state === 'failed') {
      old.reloadError = next.error;
      // The cause is already logged (in full) where it happened; this line says what it means.
      this.opts.log.warn({ model: name }, 'reload failed; the loaded version keeps serving');
    }
    return next;
  }

  /** Stops serving a model; queued and in-flight requests finish first. */
  async unload(name: string): Promise<ModelEntry | undefined> {
    const old = this.models.get(name);
    if (!old) return undefined;
    const gone: ModelEntry = { name, dir: old.dir, state: 'unavailable', stats: createStats(), source: old.source };
    this.models.set(name, gone);
    if (old.state === 'ready') await stopRuntime(old.runtime);
    return gone;
  }

  /** Refuses new work, waits for queued, running and generating work, then stops every worker. */
  async close(): Promise<void> {
    await this.loading;
    await Promise.all(this.list().map((m) => (m.state === 'ready' ? stopRuntime(m.runtime) : undefined)));
  }

  private async loadAll(): Promise<void> {
    const scanned = await scanRepository(this.opts.config.models);
    const instances = scanned.reduce((n, s) => n + (isSourceError(s) ? 0 : (this.opts.config.instances ?? s.manifest.instances ?? 1)), 0);
    this.defaultThreads = defaultIntraOpThreads(instances);
    const pending: [string, string, ModelSource][] = [];
    for (const s of scanned) {
      if (isSourceError(s)) {
        this.opts.log.error({ model: s.name, err: s.error }, 'model failed to load');
        this.models.set(s.name, { name: s.name, dir: s.dir, state: 'failed', error: this.publicError(s.error), stats: createStats() });
      } else {
        this.models.set(s.name, { name: s.name, dir: s.dir, state: 'loading', stats: createStats(), source: s });
        pending.push([s.name, s.dir, s]);
      }
    }
    await Promise.all(pending.map(async ([name, dir, source]) => this.models.set(name, await this.start1(name, dir, source))));
  }

  /** Starts a model from its source; never throws: a failure becomes a failed entry. */
  private async start1(name: string, dir: string, source: ModelSource): Promise<ModelEntry> {
    const { config, log } = this.opts;
    const stats = createStats();
    const started = performance.now();
    try {
      const runtime = await startRuntime({
        source,
        config,
        defaultThreads: this.defaultThreads,
        hooks: statsHooks(stats, this.opts.hooks?.(name)),
        log: (level, msg) => log[level]({ model: name }, msg),
        faultInjection: this.opts.faultInjection,
      });
      const entry: ReadyModel = { name, dir, state: 'ready', stats, source, runtime };
      log.info({ model: name, task: source.manifest.task ?? 'generic', ms: Math.round(performance.now() - started) }, 'model ready');
      return entry;
    } catch (err) {
      log.error({ model: name, err: (err as Error).message }, 'model failed to load');
      return { name, dir, state: 'failed', error: this.publicError((err as Error).message), stats, source };
    }
  }

  private publicError(message: string): string {
    return withoutPaths(message, path.resolve(this.opts.config.models));
  }
}
