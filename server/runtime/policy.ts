// A model's scheduling policy and the hooks through which the scheduler reports what it does.
import type { RuntimeErrorKind } from './errors.ts';

export interface Policy {
  /** Most items per session.run (an operation may ask for fewer). */
  maxBatchSize: number;
  /** How long the oldest queued item may wait for its batch to fill while an instance is idle. */
  maxQueueDelayMs: number;
  /** Queued items of the model, over every operation, before new work is refused. */
  maxQueueSize: number;
  /** Bytes the queued items may hold (uploads, tensors, token ids) before new work is refused. */
  maxQueueBytes: number;
  /** Deadline of every request (a request may ask for less). */
  timeoutMs: number;
  /** Text batches: items × longest ≤ this many tokens. */
  maxBatchTokens: number;
  /** Text batches: items × longest ≤ this × the batch's real tokens. */
  maxPaddingRatio: number;
  /** Sequences decoding at once on one instance. */
  maxActiveSequences: number;
}

export interface Timing {
  queueMs: number;
  inferenceMs: number;
  batchSize: number;
}

export interface SchedulerHooks {
  onQueueWait?: (op: string, ms: number) => void;
  /** A batched run (or one engine step) finished; text batches also give padded and real tokens. */
  onBatch?: (op: string, size: number, inferenceMs: number, tokens?: { padded: number; real: number }) => void;
  /** A batch onnxruntime rejected was rerun item by item (`items` reruns). */
  onRerun?: (op: string, items: number) => void;
  /** A queued item left the queue without running, or an active sequence was cancelled mid-generation. */
  onDrop?: (op: string, reason: RuntimeErrorKind) => void;
  /** One of the model's workers died and is being respawned (the worker pool reports it). */
  onRestart?: () => void;
}
