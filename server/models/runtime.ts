// Starts a model's runtime: its worker instances, its one scheduler, then its task pipeline and
// V2 runner on top, warmed up. Settings come from the manifest, overridden by server config.
import type { Config } from '../config.ts';
import { PIPELINES } from '../pipelines/index.ts';
import type { ModelContext } from '../pipelines/context.ts';
import { tensorInfer } from '../protocols/tensor-infer.ts';
import { DEFAULT_BATCHING, type Batching } from '../repository/manifest.ts';
import type { ModelSource } from '../repository/repository.ts';
import type { Policy, SchedulerHooks } from '../runtime/policy.ts';
import { ModelScheduler } from '../runtime/scheduler.ts';
import { WorkerPool } from '../runtime/worker-pool.ts';
import type { ModelRuntime } from './entry.ts';

export interface RuntimeOptions {
  source: ModelSource;
  config: Config;
  /** onnxruntime intra-op threads when neither the config nor the manifest sets them. */
  defaultThreads: number;
  hooks: SchedulerHooks;
  log: (level: 'info' | 'warn' | 'error', msg: string) => void;
  /** The model's worker pool gave up after it started (see WorkerPoolOptions.onFailed). */
  onFailed: (reason: string) => void;
  faultInjection?: boolean;
}

export function effectiveBatching(source: ModelSource, config: Config): Batching {
  return {
    ...DEFAULT_BATCHING,
    ...source.manifest.batching,
    ...definedOnly({
      max_batch_size: config.maxBatchSize,
      max_queue_delay_ms: config.maxQueueDelayMs,
      max_queue_size: config.maxQueueSize,
      max_padding_ratio: config.maxPaddingRatio,
      timeout_ms: config.timeoutMs,
    }),
  };
}

export function policyOf(b: Batching): Policy {
  return {
    maxBatchSize: b.max_batch_size,
    maxQueueDelayMs: b.max_queue_delay_ms,
    maxQueueSize: b.max_queue_size,
    maxQueueBytes: b.max_queue_bytes,
    timeoutMs: b.timeout_ms,
    maxBatchTokens: b.max_batch_tokens,
    maxPaddingRatio: b.max_padding_ratio,
    maxActiveSequences: b.max_batch_size,
  };
}

/** Starts everything or throws (after stopping whatever it started). */
export async function startRuntime(o: RuntimeOptions): Promise<ModelRuntime> {
  const { source, config } = o;
  const { manifest } = source;
  const batching = effectiveBatching(source, config);
  const instances = config.instances ?? manifest.instances ?? 1;
  const intraOpThreads = config.intraOpThreads ?? manifest.intra_op_threads ?? o.defaultThreads;
  const pool = new WorkerPool({
    name: source.name,
    graphs: source.graphs,
    instances,
    intraOpThreads,
    faultInjection: o.faultInjection,
    onLog: o.log,
    onRestart: o.hooks.onRestart,
    onFailed: o.onFailed,
  });
  try {
    const graphs = await pool.start();
    const scheduler = new ModelScheduler({ model: source.name, policy: policyOf(batching), pool, hooks: o.hooks });
    const ctx: ModelContext = { source, graphs, scheduler, config };
    const tensor = tensorInfer(ctx);
    const factory = manifest.task ? PIPELINES[manifest.task] : undefined;
    if (manifest.task && !factory) throw new Error(`task '${manifest.task}' has no pipeline`);
    const pipeline = factory?.(ctx);
    if (pipeline) await pipeline.warmup();
    else await tensor.warmup().catch((err: Error) => o.log('warn', `warm-up with zero inputs failed; serving anyway: ${err.message}`));
    return { graphs, batching, instances, intraOpThreads, pool, scheduler, pipeline, tensor };
  } catch (err) {
    await pool.close();
    throw err;
  }
}

/** Lets queued and running work finish (refusing new work), then stops the workers. */
export async function stopRuntime(runtime: ModelRuntime): Promise<void> {
  await runtime.scheduler.drain();
  await runtime.pool.close();
}

function definedOnly<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
