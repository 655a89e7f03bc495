// Runs a 'prepare' assembly inside the worker: every item through the plan's module (loaded once),
// the kept rows stacked into one input tensor. An item the module refuses is skipped with its error,
// and so is every other item of its request (its group): siblings of a bad upload never run.
import type { TensorValue } from './onnx.ts';
import type { Assembly, BatchItem, ItemError, PrepareFn } from './protocol.ts';

type PrepareAssembly = Assembly & { kind: 'prepare' };

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

export async function prepare(step: PrepareAssembly, items: BatchItem[]): Promise<{ feed: TensorValue | undefined; kept: number[]; skipped: { index: number; error: ItemError }[] }> {
  const fn = await load(step.module);
  const group = (i: number) => items[i]!.group ?? i;
  const rows = await Promise.all(
    items.map((item) =>
      fn(item.bytes ?? new Uint8Array(0), step.options).then(
        (row) => ({ row }),
        (err: unknown) => ({ err }),
      ),
    ),
  );
  const failed = new Map<number, number>(); // group → index of the item that failed first
  rows.forEach((r, i) => 'err' in r && !failed.has(group(i)) && failed.set(group(i), i));
  const skipped: { index: number; error: ItemError }[] = [];
  const kept: number[] = [];
  rows.forEach((r, i) => {
    const first = failed.get(group(i));
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
