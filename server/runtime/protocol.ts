// Messages between the main thread and an inference worker: discriminated unions. Every 'run'
// gets exactly one reply ('result' or 'error'); sequences are added and aborted by id, and each
// engine step reports the new tokens of all its sequences in one 'seq-step' message.
import type { TensorInfo, TensorValue } from './onnx.ts';
import type { StateSpec } from './recurrent-state.ts';
import type { SamplingParams } from './sampling.ts';

export interface GraphInfo {
  inputs: TensorInfo[];
  outputs: TensorInfo[];
}

/**
 * Raw items (uploads) turned into the rows of one input inside the worker, so that decoding never
 * holds the main thread and costs no message per item. `module`'s default export (a PrepareFn)
 * makes one row of `dims` per item or throws to refuse it; the items of one request share a
 * group, and when one is refused the rest of its group is dropped too. The runtime knows nothing
 * of what the module does.
 */
export interface PrepareStep {
  module: string;
  input: string;
  dims: number[];
  items: Uint8Array[];
  groups: number[];
  options: unknown;
}

export type PrepareFn = (item: Uint8Array, options: unknown) => Promise<Float32Array>;

/** An item a PrepareStep left out: its error's message and own fields (e.g. kind, width, height), or its group's. */
export interface SkippedItem {
  index: number;
  error: { message: string; sibling: boolean; [field: string]: unknown };
}

/** One session.run. `link` feeds an input from the previous step's output (input → output name). */
export interface RunStep {
  graph: string;
  feeds: Record<string, TensorValue>;
  link?: Record<string, string>;
  fetches?: string[];
  /** Feeds one input from raw items prepared in the worker; the outputs then hold only the kept items' rows. */
  prepare?: PrepareStep;
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
  | { type: 'run'; id: number; steps: RunStep[] }
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
  | { type: 'result'; id: number; outputs: Record<string, TensorValue>; ms: number; skipped: SkippedItem[] }
  | { type: 'error'; id: number; message: string }
  /** The OS refused a priority change (raising it back needs CAP_SYS_NICE or RLIMIT_NICE). */
  | { type: 'priority-denied'; nice: number; message: string }
  | SequenceMessage;

/** ArrayBuffers of the given tensors (or byte arrays), for a postMessage transfer list (no copy). */
export function transferList(tensors: Iterable<TensorValue | Uint8Array>): ArrayBuffer[] {
  const seen = new Set<ArrayBuffer>();
  for (const t of tensors) {
    const data = (t instanceof Uint8Array ? t : t.data) as { buffer?: unknown; byteLength?: number };
    const buf = data.buffer;
    // Only whole, plain ArrayBuffers can be moved; views into shared or larger buffers are copied.
    if (buf instanceof ArrayBuffer && buf.byteLength === data.byteLength && !seen.has(buf)) seen.add(buf);
  }
  return [...seen];
}
