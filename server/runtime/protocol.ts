// Messages between the main thread and an inference worker: discriminated unions. A 'run' carries
// a batch as data (the operation's plan and its items) and gets exactly one reply ('result', one
// answer per item, or 'error'); sequences are added and aborted by id, and each engine step
// reports the new tokens of all its sequences in one 'seq-step' message.
import type { TensorInfo, TensorValue } from './onnx.ts';
import type { StateSpec } from './recurrent-state.ts';
import type { SamplingParams } from './sampling.ts';

export interface GraphInfo {
  inputs: TensorInfo[];
  outputs: TensorInfo[];
}

/** Roles of a text graph's inputs, each fed only when the plan names the graph's input for it. */
export const TEXT_ROLES = ['input_ids', 'attention_mask', 'token_type_ids', 'position_ids'] as const;
export type TextRole = (typeof TEXT_ROLES)[number];

/**
 * How the worker builds the first step's feeds from a batch's items (runtime/batch.ts):
 * - text: token rows padded to the longest, one tensor per role the graph takes, in the integer
 *   type the graph declares;
 * - stack: each item's tensors concatenated along the first axis (same names, types, trailing dims);
 * - prepare: raw items (uploads) through a pipeline's module into the rows of one input, so that
 *   decoding never holds the main thread; `module`'s default export (a PrepareFn) makes one row of
 *   `dims` per item or throws to refuse it, and a refused item drops the other items of its group.
 */
export type Assembly = { kind: 'text'; inputs: Partial<Record<TextRole, string>> } | { kind: 'stack' } | { kind: 'prepare'; module: string; input: string; dims: number[]; options: unknown };

/**
 * How the worker cuts the last step's outputs into one answer per item, so only what is returned
 * crosses back to the main thread:
 * - rows: every fetched output split along the first axis (each item's `rows`, default 1);
 * - tokens: [N, T, …] → the item's real positions [t, …];
 * - pool: [N, T, H] → one vector [H] (the item's `pool`: mean, cls or max, then normalised);
 *   a rank-2 output [N, H] is already pooled;
 * - mask-top-k: [N, T, V] → at each of the item's `positions`, the `topK` likeliest ids and
 *   their softmax probabilities ([M, k] int32 `ids` and float32 `scores`);
 * - attention: [N, L, H, T, T] → [L, H, t, t], refused (kind 'too-large') over `maxElements`.
 */
export type Cut = { kind: 'rows' } | { kind: 'tokens' } | { kind: 'pool' } | { kind: 'mask-top-k' } | { kind: 'attention'; maxElements: number };

export type Pooling = 'mean' | 'cls' | 'max';

/** One session.run of a plan; `link` feeds an input from the previous step's output (input → output name). */
export interface PlanStep {
  graph: string;
  fetches: string[];
  link?: Record<string, string>;
}

/** What one operation asks of the worker, the same for every batch: data, never code. */
export interface BatchPlan {
  steps: PlanStep[];
  assemble: Assembly;
  cut: Cut;
  /** A batch onnxruntime rejects is rerun one item at a time, so only the items that fail alone fail (V2). */
  rerunAlone?: boolean;
}

/** One queued item as the worker needs it; which fields are used depends on the plan. */
export interface BatchItem {
  /** text: token ids, and segment ids for a pair. */
  ids?: Int32Array;
  typeIds?: Int32Array;
  /** prepare: the raw upload, and its request (a refused upload drops the rest of its group). */
  bytes?: Uint8Array;
  group?: number;
  /** stack: the item's tensors, `rows` long on the first axis (default 1). */
  tensors?: Record<string, TensorValue>;
  rows?: number;
  /** pool: how to pool and whether to normalise. */
  pool?: { pooling: Pooling; normalize: boolean };
  /** mask-top-k: the positions to predict and how many candidates each. */
  positions?: number[];
  topK?: number;
}

export type PrepareFn = (item: Uint8Array, options: unknown) => Promise<Float32Array>;

/** Why the worker left an item out: its error's message and own fields (e.g. kind, width, height), or its group's. */
export interface ItemError {
  message: string;
  /** Dropped because another item of its group failed. */
  sibling: boolean;
  [field: string]: unknown;
}

/** One item's answer: its cut of the outputs, or why it has none. */
export type ItemResult = { outputs: Record<string, TensorValue> } | { error: ItemError };

export interface BatchResult {
  items: ItemResult[];
  ms: number;
  /** Items rerun one at a time after their batch failed (rerunAlone). */
  reruns: number;
}

/** How the sequence engine drives a recurrent graph. */
export interface EngineSpec {
  graph: string;
  /** int64 [N, T] token ids input. */
  ids: string;
  /** float32 [N, T, V] logits output. */
  logits: string;
  states: StateSpec[];
  /** Most prompt tokens one prefill run takes per sequence (a longer prompt is prefilled in chunks between decode steps). */
  prefillChunk: number;
}

export interface SequenceStart {
  id: number;
  prompt: number[];
  sampling: SamplingParams;
  seed: number;
  maxTokens: number;
}

/** Fault injection (tests only): die now, die on the next run (mid-batch), or make the engine's next step throw. */
export type CrashMode = 'now' | 'next-run' | 'engine-step';

export type ToWorker =
  | { type: 'load'; graphs: Record<string, string>; intraOpThreads: number; faultInjection: boolean }
  | { type: 'run'; id: number; plan: BatchPlan; items: BatchItem[] }
  | { type: 'engine'; spec: EngineSpec }
  | { type: 'seq-add'; seq: SequenceStart }
  | { type: 'seq-abort'; id: number }
  /** Inference at the event loop's CPU priority (overloaded) or slightly below (see overload.ts). */
  | { type: 'priority'; overloaded: boolean }
  /** Ignored unless the worker was loaded with faultInjection. */
  | { type: 'crash'; mode: CrashMode };

export type SequenceMessage =
  /**
   * One engine step, or a few when steps come faster than a millisecond: `tokens[i]` is a new
   * token of sequence `ids[i]`, in order; `finished` reached max tokens; each step's batch size
   * and run time are in `sizes` and `ms`.
   */
  | { type: 'seq-step'; ids: number[]; tokens: number[]; finished: number[]; sizes: number[]; ms: number[] }
  /** These sequences failed (and were dropped by the engine). */
  | { type: 'seq-error'; ids: number[]; message: string };

export type FromWorker =
  | { type: 'ready'; graphs: Record<string, GraphInfo> }
  | { type: 'load-failed'; message: string }
  | ({ type: 'result'; id: number } & BatchResult)
  | { type: 'error'; id: number; message: string }
  /** The OS refused a priority change (raising it back needs CAP_SYS_NICE or RLIMIT_NICE). */
  | { type: 'priority-denied'; nice: number; message: string }
  | SequenceMessage;

/** ArrayBuffers of the given tensors (or typed arrays), for a postMessage transfer list (no copy). */
export function transferList(tensors: Iterable<TensorValue | ArrayBufferView>): ArrayBuffer[] {
  const seen = new Set<ArrayBuffer>();
  for (const t of tensors) {
    const data = (ArrayBuffer.isView(t) ? t : t.data) as { buffer?: unknown; byteLength?: number };
    const buf = data.buffer;
    // Only whole, plain ArrayBuffers can be moved; views into shared or larger buffers are copied.
    if (buf instanceof ArrayBuffer && buf.byteLength === data.byteLength && !seen.has(buf)) seen.add(buf);
  }
  return [...seen];
}
