// Loaded models and their lifecycle: scan the repository, start each model's runtime, keep a
// model that fails with its error while the others serve, re-read (hot-swap) or unload a model
// at run time, and drain everything on shutdown. Loads and unloads of one name take turns; a
// swapped-out or unloaded runtime retires (it keeps serving the requests that hold it, then
// stops), which is not shutdown; a runtime whose pool gives up marks its model failed.
import path from 'node:path';
import { defaultIntraOpThreads, type Config } from '../config.ts';
import { isSourceError, readModel, scanRepository, withoutPaths, type ModelSource, type ScanResult } from '../repository/repository.ts';
import type { SchedulerHooks } from '../runtime/policy.ts';
import type { ModelEntry, ModelRuntime, ReadyModel } from './entry.ts';
import { RequestsInProgress } from './requests.ts';
import { startRuntime, stopRuntime } from './runtime.ts';
import { PerKey } from './serial.ts';
import { createStats, statsHooks, type ModelStats } from './stats.ts';

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
  private readonly turns = new PerKey();
  private readonly requests = new RequestsInProgress();
  /** Runtimes out of the registry that still serve requests in progress. */
  private readonly retiring = new Set<ModelRuntime>();
  /** Stops under way (retired, failed or closing), one per runtime. */
  private readonly stopping = new Map<ModelRuntime, Promise<void>>();
  private scanned: Promise<ScanResult[]> = Promise.resolve([]);
  private loading: Promise<void> = Promise.resolve();
  private defaultThreads = 1;
  private closing = false;

  constructor(opts: RegistryOptions) {
    this.opts = opts;
  }

  /** Starts loading every model of the repository; `whenLoaded()` resolves when all settled. */
  start(): void {
    this.scanned = scanRepository(this.opts.config.models);
    this.loading = this.loadAll();
    // whenScanned()/whenLoaded() report a RepositoryError; it is not an unhandled rejection meanwhile.
    this.loading.catch(() => {});
  }

  /** Resolves once the repository is read; rejects with a RepositoryError when it cannot be served. */
  async whenScanned(): Promise<void> {
    await this.scanned;
  }

  whenLoaded(): Promise<void> {
    return this.loading;
  }

  /**
   * Counts a request for `model` in progress until its release: a runtime of that model retired
   * meanwhile (hot swap, unload) keeps its workers until every such request has ended, as any of
   * them may hold it.
   */
  enter(model: string): () => void {
    return this.requests.enter(model);
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

  /**
   * Reads a model folder anew and swaps it in once warm (after any load or unload of the same
   * name); requests that hold the old version finish on it.
   */
  async load(name: string): Promise<ModelEntry> {
    await this.scanned.catch(() => {}); // the initial load of `name` takes its turn first
    return this.turns.run(name, async () => {
      const dir = this.models.get(name)?.dir ?? path.join(this.opts.config.models, name);
      if (this.closing) return { name, dir, state: 'failed', error: 'the server is shutting down', stats: createStats() };
      let next: ModelEntry;
      try {
        next = await this.start1(name, dir, await readModel(dir, name));
      } catch (err) {
        this.opts.log.error({ model: name, err: (err as Error).message }, 'model folder could not be read');
        next = { name, dir, state: 'failed', error: this.publicError((err as Error).message), stats: createStats() };
      }
      this.install(next);
      return next;
    });
  }

  /** Stops serving a model: requests that hold it, and its queued work, finish first. */
  async unload(name: string): Promise<ModelEntry | undefined> {
    await this.scanned.catch(() => {});
    return this.turns.run(name, async () => {
      const old = this.models.get(name);
      if (!old) return undefined;
      const gone: ModelEntry = { name, dir: old.dir, state: 'unavailable', stats: createStats(), source: old.source };
      this.models.set(name, gone);
      if (old.state === 'ready') this.retire(name, old.runtime);
      return gone;
    });
  }

  /** Refuses new work, waits for queued, running and generating work, then stops every worker. */
  async close(): Promise<void> {
    this.closing = true;
    await this.loading.catch(() => {});
    await this.turns.idle();
    const live = this.list().flatMap((m) => (m.state === 'ready' ? [m.runtime] : []));
    await Promise.all([...live, ...this.retiring, ...this.stopping.keys()].map((rt) => this.stop(rt)));
  }

  /** `next` becomes the model, unless it failed while a loaded version serves; a replaced runtime retires. */
  private install(next: ModelEntry): void {
    const old = this.models.get(next.name);
    if (next.state === 'ready' && this.closing) {
      void this.stop(next.runtime);
    } else if (next.state === 'ready' || old?.state !== 'ready') {
      this.models.set(next.name, next);
      if (old?.state === 'ready') this.retire(next.name, old.runtime);
    } else if (next.state === 'failed') {
      old.reloadError = next.error;
      // The cause is already logged (in full) where it happened; this line says what it means.
      this.opts.log.warn({ model: next.name }, 'reload failed; the loaded version keeps serving');
    }
  }

  /** Out of the registry: serves the requests in progress now, then drains and stops. */
  private retire(name: string, runtime: ModelRuntime): void {
    this.retiring.add(runtime);
    void this.requests.settled(name).then(() => this.stop(runtime));
  }

  /** Drains and stops a runtime, once however many paths ask at the same time. */
  private stop(runtime: ModelRuntime): Promise<void> {
    this.retiring.delete(runtime);
    let stopped = this.stopping.get(runtime);
    if (!stopped) {
      stopped = stopRuntime(runtime).finally(() => this.stopping.delete(runtime));
      this.stopping.set(runtime, stopped);
    }
    return stopped;
  }

  /** The pool of a model gave up (respawns kept failing, or a broken invariant): the model is failed. */
  private poolFailed(name: string, runtime: ModelRuntime, stats: ModelStats, reason: string): void {
    this.opts.log.error({ model: name, err: reason }, 'model failed');
    const entry = this.models.get(name);
    if (entry?.state === 'ready' && entry.runtime === runtime) {
      this.models.set(name, { name, dir: entry.dir, state: 'failed', error: this.publicError(reason), stats, source: entry.source });
    }
    void this.stop(runtime);
  }

  private async loadAll(): Promise<void> {
    const scanned = await this.scanned;
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
    await Promise.all(pending.map(([name, dir, source]) => this.turns.run(name, async () => this.install(await this.start1(name, dir, source)))));
  }

  /** Starts a model from its source; never throws: a failure becomes a failed entry. */
  private async start1(name: string, dir: string, source: ModelSource): Promise<ModelEntry> {
    const { config, log } = this.opts;
    const stats = createStats();
    const started = performance.now();
    let live: ModelRuntime | undefined;
    try {
      const runtime = await startRuntime({
        source,
        config,
        defaultThreads: this.defaultThreads,
        hooks: statsHooks(stats, this.opts.hooks?.(name)),
        log: (level, msg) => log[level]({ model: name }, msg),
        onFailed: (reason) => live && this.poolFailed(name, live, stats, reason),
        faultInjection: this.opts.faultInjection,
      });
      live = runtime;
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
