// Messages between the main thread and an inference worker: discriminated unions, and exactly
// one reply ('result' or 'error') per run id.
import type { TensorInfo, TensorValue } from './onnx.ts';

export interface GraphInfo {
  inputs: TensorInfo[];
  outputs: TensorInfo[];
}

/** One session.run. `link` feeds an input from the previous step's output (input → output name). */
export interface RunStep {
  graph: string;
  feeds: Record<string, TensorValue>;
  link?: Record<string, string>;
  fetches?: string[];
}

/** Fault injection (tests only): die now, or while holding the next run (mid-batch). */
export type CrashMode = 'now' | 'next-run';

export type ToWorker =
  | { type: 'load'; graphs: Record<string, string>; intraOpThreads: number; faultInjection: boolean }
  | { type: 'run'; id: number; steps: RunStep[] }
  /** Fault injection: the worker dies of an uncaught error, as a buggy worker would. Ignored
   *  unless the worker was loaded with faultInjection. */
  | { type: 'crash'; mode: CrashMode };

export type FromWorker =
  | { type: 'ready'; graphs: Record<string, GraphInfo> }
  | { type: 'load-failed'; message: string }
  | { type: 'result'; id: number; outputs: Record<string, TensorValue>; ms: number }
  | { type: 'error'; id: number; message: string };

/** ArrayBuffers of the given tensors, for a postMessage transfer list (no copy). */
export function transferList(tensors: Iterable<TensorValue>): ArrayBuffer[] {
  const seen = new Set<ArrayBuffer>();
  for (const t of tensors) {
    const data = t.data as { buffer?: unknown; byteLength?: number };
    const buf = data.buffer;
    // Only whole, plain ArrayBuffers can be moved; views into shared or larger buffers are copied.
    if (buf instanceof ArrayBuffer && buf.byteLength === data.byteLength && !seen.has(buf)) seen.add(buf);
  }
  return [...seen];
}
