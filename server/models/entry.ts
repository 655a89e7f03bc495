// A model in the registry, one type per state: only a ready model has a runtime, so code that
// holds a ReadyModel never checks for a missing pipeline, scheduler or worker pool.
import type { Pipeline } from '../pipelines/index.ts';
import type { TensorInferRunner } from '../protocols/tensor-infer.ts';
import type { Batching } from '../repository/manifest.ts';
import type { ModelSource } from '../repository/repository.ts';
import type { GraphInfo } from '../runtime/protocol.ts';
import type { ModelScheduler } from '../runtime/scheduler.ts';
import type { WorkerPool } from '../runtime/worker-pool.ts';
import type { ModelStats } from './stats.ts';

/** What a ready model runs on: its worker instances, its one scheduler, its task pipeline and V2 runner. */
export interface ModelRuntime {
  graphs: Record<string, GraphInfo>;
  batching: Batching;
  instances: number;
  intraOpThreads: number;
  pool: WorkerPool;
  scheduler: ModelScheduler;
  /** Absent for a generic model (KServe V2 only). */
  pipeline?: Pipeline;
  tensor: TensorInferRunner;
}

interface Common {
  name: string;
  dir: string;
  stats: ModelStats;
  /** The folder as read (absent when it could not be read). */
  source?: ModelSource;
}

export interface LoadingModel extends Common {
  state: 'loading';
}

export interface FailedModel extends Common {
  state: 'failed';
  error: string;
}

export interface UnavailableModel extends Common {
  state: 'unavailable';
}

export interface ReadyModel extends Common {
  state: 'ready';
  source: ModelSource;
  runtime: ModelRuntime;
  /** Why the last reload failed while this version kept serving. */
  reloadError?: string;
}

export type ModelEntry = LoadingModel | FailedModel | UnavailableModel | ReadyModel;
export type ModelState = ModelEntry['state'];
