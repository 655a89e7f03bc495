// What every task pipeline gets from the model registry, plus the tensor helpers they share.
import type { Config } from '../config.ts';
import { Errors } from '../errors.ts';
import type { ModelSource } from '../repository/repository.ts';
import type { TensorValue } from '../runtime/onnx.ts';
import type { GraphInfo } from '../runtime/protocol.ts';
import type { BatchItem } from '../runtime/protocol.ts';
import { allOrNothing, type RequestOptions } from '../runtime/request.ts';
import type { Answer, ItemOutputs, ModelScheduler, Operation, Reservation } from '../runtime/scheduler.ts';

export interface ModelContext {
  source: ModelSource;
  graphs: Record<string, GraphInfo>;
  /** The model's one scheduler: every operation of the pipeline (and V2) queues here. */
  scheduler: ModelScheduler;
  config: Config;
}

/** Per-request options every pipeline call takes (deadline, abort). */
export type CallOptions = RequestOptions;

export function graphInfo(ctx: ModelContext, graph: string): GraphInfo {
  const info = ctx.graphs[graph];
  if (!info) throw new Error(`model '${ctx.source.name}' has no graph '${graph}'`);
  return info;
}

/** The tensor name for a role: the manifest's mapping, else the graph's n-th input/output. */
export function ioName(ctx: ModelContext, graph: string, kind: 'inputs' | 'outputs', role: string, fallbackIndex = 0): string {
  const named = ctx.source.manifest[kind]?.[role];
  if (named) return named;
  const info = graphInfo(ctx, graph)[kind][fallbackIndex];
  if (!info) throw new Error(`model '${ctx.source.name}': graph '${graph}' has no ${kind.slice(0, -1)} for '${role}'`);
  return info.name;
}

/** The largest batch a graph accepts on its first axis (a fixed leading dimension caps it). */
export function batchCap(ctx: ModelContext, graph: string, input: string): number {
  const max = ctx.scheduler.policy.maxBatchSize;
  const dim = graphInfo(ctx, graph).inputs.find((i) => i.name === input)?.shape?.[0];
  return dim !== undefined && dim > 0 ? Math.min(dim, max) : max;
}

/**
 * Runs `work` with room held in the model's queue for `items` items (of `bytes` in all, when the
 * request knows their size: its uploads), or refuses the request first:
 * 413 when the queue can never hold them, 429 when it cannot now. The check comes before the work
 * that scales with the request (tokenizing, decoding), and what passed it is not refused after.
 */
export async function withRoom<T>(ctx: ModelContext, items: number, work: (reservation: Reservation) => Promise<T>, bytes = 0): Promise<T> {
  const max = ctx.scheduler.policy.maxQueueSize;
  if (items > max) throw new Errors.TOO_MANY_INPUTS(ctx.source.name, max, items);
  const reservation = ctx.scheduler.reserve(items, bytes);
  try {
    return await work(reservation);
  } finally {
    reservation.release();
  }
}

/** Queues every item of one request on `op` as one request (in its reserved room): a failing item cancels the others. */
export function submitAll(ctx: ModelContext, op: Operation, items: BatchItem[], options: CallOptions & { reservation?: Reservation }): Promise<Answer<ItemOutputs>[]> {
  const { signal, timeoutMs, reservation } = options;
  return allOrNothing(
    ctx.source.name,
    signal,
    items.map((item) => (signal) => op.submit(item, { signal, timeoutMs, reservation })),
  );
}

export function output(outputs: Record<string, TensorValue>, name: string): TensorValue {
  const t = outputs[name];
  if (!t) throw new Error(`the model returned no '${name}' output. This is a bug.`);
  return t;
}

/** Resolves a label given by name or index; throws UNKNOWN_LABEL. */
export function resolveLabel(labels: string[] | undefined, label: string | number, count: number): number {
  if (typeof label === 'number') {
    if (Number.isInteger(label) && label >= 0 && label < count) return label;
  } else {
    const i = labels?.findIndex((l) => l.toLowerCase() === label.toLowerCase()) ?? -1;
    if (i >= 0) return i;
    const n = Number(label);
    if (label.trim() !== '' && Number.isInteger(n) && n >= 0 && n < count) return n;
  }
  throw new Errors.UNKNOWN_LABEL(String(label), labels?.join(', ') ?? `0..${count - 1}`);
}
