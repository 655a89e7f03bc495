// Raw tensor inference for any model (KServe V2 infer): validated V2 tensors in, tensors out,
// queued in the model's one scheduler as the 'infer' operation. When every input and output has
// a dynamic first axis, concurrent requests with the same trailing shapes are batched by
// concatenating along it. A batch onnxruntime rejects is rerun one request at a time on the same
// instance: only requests that fail alone get a 422.
//
// API (shared by the V2 JSON route, the V2 binary-extension route and gRPC ModelInfer):
//   const { outputs, timing } = await entry.runtime.tensor.infer(
//     { inputs, outputs?, raw? }, { signal?, deadline? ... CallOptions });
//   - inputs: V2Tensor[]: { name, datatype, shape } plus either `data` (JSON, flat or nested) or
//     `raw` (a Uint8Array of little-endian bytes, BYTES as 4-byte-length-prefixed elements; see
//     v2-raw.ts). fromV2() does every name/datatype/shape/size check for both; errors are
//     Errors.INVALID_INPUT (400) naming the tensor, a model that rejects the tensors UNPROCESSABLE (422).
//   - outputs: [{ name, raw? }] picks outputs (default: every tensor output); `raw: true` returns
//     that output as bytes; `raw: true` on the request returns all of them as bytes.
//   - result outputs: InferOutput[] in the order asked: { name, datatype, shape } plus `data`
//     (JSON-ready array: int64 as numbers, BOOL as booleans) or `raw` (Uint8Array; a view over the
//     output tensor, no copy). Test with `'raw' in output`.
import { Errors } from '../errors.ts';
import type { CallOptions, ModelContext } from '../pipelines/context.ts';
import { withoutPaths } from '../repository/repository.ts';
import { RuntimeError } from '../runtime/errors.ts';
import type { TensorInfo, TensorValue } from '../runtime/onnx.ts';
import type { Timing } from '../runtime/policy.ts';
import type { Executor } from '../runtime/scheduler.ts';
import { encodeRaw } from './v2-raw.ts';
import { fromV2, toV2, v2Datatype, type V2Tensor } from './v2-tensors.ts';

export interface InferRequest {
  inputs: V2Tensor[];
  /** The outputs to return, in this order (default: every tensor output); `raw` returns one as bytes. */
  outputs?: { name: string; raw?: boolean }[];
  /** Return every output as raw bytes. */
  raw?: boolean;
}

interface OutputHead {
  name: string;
  datatype: string;
  shape: number[];
}
/** One output: JSON-ready `data`, or `raw` little-endian bytes when asked for. */
export type InferOutput = OutputHead & ({ data: unknown[] } | { raw: Uint8Array });

type Outputs = Record<string, TensorValue>;

interface Item {
  feeds: Record<string, TensorValue>;
  fetches: string[];
  rows: number;
  key: string;
}

export interface TensorInferRunner {
  graph: string;
  inputs: TensorInfo[];
  outputs: TensorInfo[];
  batchable: boolean;
  infer(req: InferRequest, options: CallOptions): Promise<{ outputs: InferOutput[]; timing: Timing }>;
  warmup(): Promise<void>;
}

const dynamicFirst = (t: TensorInfo) => t.isTensor && (t.shape?.length ?? 0) > 0 && t.shape![0] === -1;

function concat(parts: TensorValue[]): TensorValue {
  const first = parts[0]!;
  if (parts.length === 1) return first;
  const dims = [parts.reduce((s, p) => s + p.dims[0]!, 0), ...first.dims.slice(1)];
  if (first.type === 'string') return { type: 'string', dims, data: parts.flatMap((p) => p.data as string[]) };
  const total = parts.reduce((s, p) => s + (p.data as ArrayLike<unknown>).length, 0);
  const Ctor = (first.data as object).constructor as new (n: number) => { set(a: ArrayLike<unknown>, o: number): void };
  const data = new Ctor(total);
  let offset = 0;
  for (const p of parts) {
    data.set(p.data as ArrayLike<unknown>, offset);
    offset += (p.data as ArrayLike<unknown>).length;
  }
  return { type: first.type, dims, data: data as unknown as TensorValue['data'] };
}

function sliceRows(t: TensorValue, start: number, rows: number): TensorValue {
  const total = t.dims[0] ?? 0;
  const per = total === 0 ? 0 : (t.data as ArrayLike<unknown>).length / total;
  const data = (t.data as unknown as { slice(a: number, b: number): TensorValue['data'] }).slice(start * per, (start + rows) * per);
  return { type: t.type, dims: [rows, ...t.dims.slice(1)], data };
}

export function primaryGraph(ctx: ModelContext): string {
  const names = Object.keys(ctx.graphs);
  return names.includes('model') ? 'model' : names.includes('encoder') ? 'encoder' : names[0]!;
}

export function tensorInfer(ctx: ModelContext): TensorInferRunner {
  const graph = primaryGraph(ctx);
  const info = ctx.graphs[graph]!;
  const tensorOutputs = info.outputs.filter((o) => o.isTensor).map((o) => o.name);
  const batchable = info.inputs.every(dynamicFirst) && info.outputs.every(dynamicFirst);
  let solo = 0;
  const rejected = (err: unknown) => err instanceof RuntimeError && err.kind === 'inference-failed';

  /** Runs one item alone: when onnxruntime rejects it, that is because of its tensors (a 422 for this request only). */
  async function runAlone(it: Item, exec: Executor): Promise<{ outputs: Outputs | Error; ms: number }> {
    try {
      return await exec([{ graph, feeds: it.feeds, fetches: it.fetches }]);
    } catch (err) {
      if (!rejected(err)) throw err;
      const reason = withoutPaths((err as Error).message, ctx.config.models);
      return { outputs: new Errors.UNPROCESSABLE(`model '${ctx.source.name}' could not run on these input tensors: ${reason}`), ms: 0 };
    }
  }

  const op = ctx.scheduler.operation<Item, Outputs>({
    name: 'infer',
    maxBatchSize: batchable ? undefined : 1,
    async run(items, exec) {
      if (items.length === 1) {
        const run = await runAlone(items[0]!, exec);
        return { outputs: [run.outputs], inferenceMs: run.ms };
      }
      // Items of one batch share their key: the same input names, types and trailing shapes.
      const feeds = Object.fromEntries(Object.keys(items[0]!.feeds).map((name) => [name, concat(items.map((g) => g.feeds[name]!))]));
      const run = await exec([{ graph, feeds, fetches: items[0]!.fetches }]).catch((err: unknown) => {
        if (rejected(err)) return undefined;
        throw err;
      });
      if (!run) {
        // One request's tensors (say, a token id past the vocabulary) failed the batch: run each
        // alone, so only the requests that fail on their own get an error. Their buffers are
        // intact: concat() copied them into the batch.
        const alone = [];
        for (const it of items) alone.push(await runAlone(it, exec));
        return { outputs: alone.map((a) => a.outputs), inferenceMs: alone.reduce((s, a) => s + a.ms, 0) };
      }
      let row = 0;
      const outputs = items.map((it) => {
        const out = Object.fromEntries(Object.entries(run.outputs).map(([n, t]) => [n, sliceRows(t, row, it.rows)]));
        row += it.rows;
        return out;
      });
      return { outputs, inferenceMs: run.ms };
    },
  });

  function prepare(req: InferRequest): Item {
    const feeds: Record<string, TensorValue> = {};
    for (const input of req.inputs) {
      if (feeds[input.name]) throw new Errors.INVALID_INPUT(`input '${input.name}' is given twice`);
      feeds[input.name] = fromV2(input, info.inputs.find((i) => i.name === input.name));
    }
    const missing = info.inputs.filter((i) => !feeds[i.name]).map((i) => i.name);
    if (missing.length) throw new Errors.INVALID_INPUT(`missing input(s): ${missing.join(', ')}`);
    const fetches = req.outputs?.length ? req.outputs.map((o) => o.name) : tensorOutputs;
    for (const name of fetches) {
      const out = info.outputs.find((o) => o.name === name);
      if (!out) throw new Errors.INVALID_INPUT(`unknown output '${name}'; outputs: ${info.outputs.map((o) => o.name).join(', ')}`);
      if (!out.isTensor) throw new Errors.INVALID_INPUT(`output '${name}' is not a tensor (a sequence or map), which the V2 protocol cannot carry; request one of: ${tensorOutputs.join(', ')}`);
    }
    if (fetches.length === 0) throw new Errors.INVALID_INPUT('the model has no tensor outputs to return');
    const values = Object.values(feeds);
    const rows = values[0]?.dims[0] ?? 1;
    const sameRows = values.every((v) => v.dims[0] === rows);
    const key = batchable && sameRows ? JSON.stringify([Object.entries(feeds).map(([n, v]) => [n, v.type, v.dims.slice(1)]).sort(), fetches]) : `solo:${solo++}`;
    return { feeds, fetches, rows, key };
  }

  return {
    graph,
    inputs: info.inputs,
    outputs: info.outputs,
    batchable,
    async infer(req, options) {
      const item = prepare(req);
      const { value, timing } = await op.submit(item, { ...options, key: item.key });
      const asRaw = new Set(req.raw ? item.fetches : (req.outputs ?? []).filter((o) => o.raw).map((o) => o.name));
      const outputs = item.fetches.map((name): InferOutput => {
        const t = value[name];
        if (!t) throw new Error(`no output '${name}' from model '${ctx.source.name}'. This is a bug.`);
        return asRaw.has(name) ? { name, datatype: v2Datatype(t.type), shape: t.dims, raw: encodeRaw(t) } : toV2(name, t);
      });
      return { outputs, timing };
    },
    async warmup() {
      const inputs = info.inputs.map((i) => {
        const shape = (i.shape ?? [1]).map((d) => (d > 0 ? d : 1));
        const size = shape.reduce((a, b) => a * b, 1);
        const zero = i.type === 'string' ? '' : i.type === 'bool' ? false : 0;
        return { name: i.name, datatype: v2Datatype(i.type), shape, data: Array(size).fill(zero) };
      });
      await this.infer({ inputs }, {});
    },
  };
}
