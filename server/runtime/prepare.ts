// Runs a PrepareStep inside the worker: every item through the step's module (loaded once), the
// kept rows stacked into one input tensor. An item the module refuses is skipped with its error,
// and so is every other item of its request (its group): siblings of a bad upload never run.
import type { TensorValue } from './onnx.ts';
import type { PrepareFn, PrepareStep, SkippedItem } from './protocol.ts';

const modules = new Map<string, Promise<PrepareFn>>();

function load(url: string): Promise<PrepareFn> {
  let fn = modules.get(url);
  if (!fn) {
    fn = import(url).then((m: { default?: unknown }) => {
      if (typeof m.default !== 'function') throw new Error(`prepare module ${url} has no default export. This is a bug.`);
      return m.default as PrepareFn;
    });
    modules.set(url, fn);
  }
  return fn;
}

/** The error as plain data for postMessage: its message and its own enumerable fields. */
function plain(err: unknown): Record<string, unknown> & { message: string } {
  if (!(err instanceof Error)) return { message: String(err) };
  return { ...Object.fromEntries(Object.entries(err)), message: err.message };
}

export async function prepare(step: PrepareStep): Promise<{ feed: TensorValue | undefined; kept: number[]; skipped: SkippedItem[] }> {
  const fn = await load(step.module);
  const rows = await Promise.all(step.items.map((item) => fn(item, step.options).then((row) => ({ row }), (err: unknown) => ({ err }))));
  const failed = new Map<number, number>(); // group → index of the item that failed first
  rows.forEach((r, i) => 'err' in r && !failed.has(step.groups[i]!) && failed.set(step.groups[i]!, i));
  const skipped: SkippedItem[] = [];
  const kept: number[] = [];
  rows.forEach((r, i) => {
    const first = failed.get(step.groups[i]!);
    if (first === undefined) kept.push(i);
    else if ('err' in r) skipped.push({ index: i, error: { ...plain(r.err), sibling: false } });
    else skipped.push({ index: i, error: { message: `item ${first} of the same request failed`, sibling: true } });
  });
  if (kept.length === 0) return { feed: undefined, kept, skipped };
  const width = step.dims.reduce((a, b) => a * b, 1);
  const data = new Float32Array(kept.length * width);
  kept.forEach((i, k) => data.set((rows[i] as { row: Float32Array }).row, k * width));
  return { feed: { type: 'float32', dims: [kept.length, ...step.dims], data }, kept, skipped };
}
