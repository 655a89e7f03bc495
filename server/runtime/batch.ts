// Runs one batch inside the worker, from data: the operation's plan assembles the items into the
// first step's feeds (text rows padded in the graph's integer type, item tensors stacked, or
// uploads prepared), the steps run, and the plan's cut splits the outputs into one answer per item
// holding only what the caller returns. Nothing here knows which task asked.
import { cutOutputs } from './cut.ts';
import type { Session, TensorInfo, TensorValue } from './onnx.ts';
import { prepare } from './prepare.ts';
import { TEXT_ROLES, type BatchItem, type BatchPlan, type BatchResult, type ItemResult } from './protocol.ts';

export type SessionOf = (graph: string) => Session;

/** Token rows padded to the longest, as the graph's declared integer type (int64 unless int32). */
export function textFeeds(session: Session, inputs: BatchPlan['assemble'] & { kind: 'text' }, items: BatchItem[]): { feeds: Record<string, TensorValue>; length: number } {
  const n = items.length;
  let t = 0;
  for (const it of items) t = Math.max(t, it.ids?.length ?? 0);
  const feeds: Record<string, TensorValue> = {};
  for (const role of TEXT_ROLES) {
    const name = inputs.inputs[role];
    const info = name === undefined ? undefined : session.inputs.find((i) => i.name === name);
    if (!info || name === undefined) continue;
    const grid = new Int32Array(n * t);
    items.forEach((it, r) => {
      const ids = it.ids ?? new Int32Array(0);
      const row = r * t;
      if (role === 'input_ids') grid.set(ids, row);
      else if (role === 'token_type_ids') grid.set(it.typeIds ?? [], row);
      else for (let j = 0; j < ids.length; j++) grid[row + j] = role === 'attention_mask' ? 1 : j;
    });
    feeds[name] = integerTensor(info, [n, t], grid);
  }
  return { feeds, length: t };
}

/** int32 values (all ≥ 0) as the input's type: an int64 tensor is written through its low words, with no BigInt per element. */
function integerTensor(info: TensorInfo, dims: number[], values: Int32Array): TensorValue {
  if (info.type === 'int32') return { type: 'int32', dims, data: values };
  const data = new BigInt64Array(values.length);
  const words = new Int32Array(data.buffer);
  for (let i = 0; i < values.length; i++) words[2 * i] = values[i]!;
  return { type: 'int64', dims, data };
}

/** The items' tensors concatenated along the first axis (every item has the same names, types and trailing dims). */
export function stackFeeds(items: BatchItem[]): Record<string, TensorValue> {
  const first = items[0]?.tensors ?? {};
  if (items.length === 1) return first;
  return Object.fromEntries(Object.keys(first).map((name) => [name, concat(items.map((it) => it.tensors![name]!))]));
}

function concat(parts: TensorValue[]): TensorValue {
  const first = parts[0]!;
  const dims = [parts.reduce((s, p) => s + p.dims[0]!, 0), ...first.dims.slice(1)];
  if (first.type === 'string') return { type: 'string', dims, data: parts.flatMap((p) => p.data as string[]) };
  const total = parts.reduce((s, p) => s + (p.data as ArrayLike<unknown>).length, 0);
  const Ctor = (first.data as object).constructor as new (n: number) => { set(a: ArrayLike<unknown>, o: number): void };
  const data = new Ctor(total);
  let offset = 0;
  for (const p of parts) {
    data.set(p.data, offset);
    offset += (p.data as ArrayLike<unknown>).length;
  }
  return { type: first.type, dims, data: data as unknown as TensorValue['data'] };
}

/** Assembles, runs every step and cuts; throws when onnxruntime does (see runBatch for reruns). */
async function runOnce(plan: BatchPlan, items: BatchItem[], sessionOf: SessionOf): Promise<ItemResult[]> {
  const [first] = plan.steps;
  if (!first) throw new Error('a batch plan has no steps. This is a bug.');
  const { assemble } = plan;
  let feeds: Record<string, TensorValue>;
  let kept = items.map((_, i) => i);
  const results: ItemResult[] = new Array<ItemResult>(items.length);
  let length = 0;
  if (assemble.kind === 'text') ({ feeds, length } = textFeeds(sessionOf(first.graph), assemble, items));
  else if (assemble.kind === 'stack') feeds = stackFeeds(items);
  else {
    const prepared = await prepare(assemble, items);
    for (const s of prepared.skipped) results[s.index] = { error: s.error };
    kept = prepared.kept;
    // Every item was refused: nothing to run.
    if (!prepared.feed) return results;
    feeds = { [assemble.input]: prepared.feed };
  }
  let outputs: Record<string, TensorValue> = {};
  for (const step of plan.steps) {
    const stepFeeds = step === first ? feeds : {};
    for (const [input, output] of Object.entries(step.link ?? {})) {
      const value = outputs[output];
      if (!value) throw new Error(`step '${step.graph}' needs output '${output}' of the previous step`);
      stepFeeds[input] = value;
    }
    outputs = await sessionOf(step.graph).run(stepFeeds, step.fetches);
  }
  const cut = cutOutputs(
    plan.cut,
    outputs,
    kept.map((i) => items[i]!),
    length,
  );
  kept.forEach((i, k) => (results[i] = cut[k]!));
  return results;
}

/**
 * One batch's answers. With `rerunAlone`, a batch onnxruntime rejects is run again one item at a
 * time (the items are intact: assembly copied them), so only the items that fail alone fail.
 */
export async function runBatch(plan: BatchPlan, items: BatchItem[], sessionOf: SessionOf): Promise<Omit<BatchResult, 'ms'>> {
  if (!plan.rerunAlone) return { items: await runOnce(plan, items, sessionOf), reruns: 0 };
  try {
    return { items: await runOnce(plan, items, sessionOf), reruns: 0 };
  } catch (err) {
    if (items.length === 1) return { items: [rejected(err)], reruns: 0 };
    const alone: ItemResult[] = [];
    for (const item of items) alone.push(await runOnce(plan, [item], sessionOf).then((r) => r[0]!, rejected));
    return { items: alone, reruns: items.length };
  }
}

/** An item onnxruntime would not run (kind 'rejected': a problem of its own tensors). */
const rejected = (err: unknown): ItemResult => ({ error: { message: err instanceof Error ? err.message : String(err), sibling: false, kind: 'rejected' } });
