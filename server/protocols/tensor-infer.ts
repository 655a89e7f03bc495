// Raw tensor inference for any model (KServe V2 infer; shared by the V2 JSON and binary routes and
// gRPC ModelInfer): validated V2 tensors in (fromV2 does every name, datatype, shape and size
// check), tensors out, queued in the model's one scheduler as the 'infer' operation. When every
// input and output has a dynamic first axis, concurrent requests with the same trailing shapes
// are batched: the worker stacks their tensors along it, and reruns a batch onnxruntime rejects
// one request at a time, so only the requests that fail alone get a 422.
import { Errors } from '../errors.ts';
import type { CallOptions, ModelContext } from '../pipelines/context.ts';
import type { Operation } from '../runtime/scheduler.ts';
import { withoutPaths } from '../repository/repository.ts';
import { ItemRefused } from '../runtime/errors.ts';
import type { TensorInfo, TensorValue } from '../runtime/onnx.ts';
import type { Timing } from '../runtime/policy.ts';
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
  /** One operation per set of fetched outputs (a plan names what the worker returns). */
  const ops = new Map<string, Operation>();
  const opFor = (fetches: string[]) => {
    const key = fetches.join('\u0000');
    let op = ops.get(key);
    if (!op) {
      op = ctx.scheduler.operation({
        name: 'infer',
        maxBatchSize: batchable ? undefined : 1,
        plan: { steps: [{ graph, fetches }], assemble: { kind: 'stack' }, cut: { kind: 'rows' }, rerunAlone: true },
      });
      ops.set(key, op);
    }
    return op;
  };
  /** onnxruntime would not run this request's tensors, even alone: a 422 for this request only. */
  const unprocessable = (err: unknown): never => {
    if (err instanceof ItemRefused && err.detail.kind === 'rejected') {
      throw new Errors.UNPROCESSABLE(`model '${ctx.source.name}' could not run on these input tensors: ${withoutPaths(err.message, ctx.config.models)}`);
    }
    throw err;
  };

  function prepare(req: InferRequest): Item {
    const feeds: Record<string, TensorValue> = {};
    for (const input of req.inputs) {
      if (feeds[input.name]) throw new Errors.INVALID_INPUT(`input '${input.name}' is given twice`);
      feeds[input.name] = fromV2(
        input,
        info.inputs.find((i) => i.name === input.name),
      );
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
    const key =
      batchable && sameRows
        ? JSON.stringify([
            Object.entries(feeds)
              .map(([n, v]) => [n, v.type, v.dims.slice(1)])
              .sort(),
            fetches,
          ])
        : `solo:${solo++}`;
    return { feeds, fetches, rows, key };
  }

  return {
    graph,
    inputs: info.inputs,
    outputs: info.outputs,
    batchable,
    async infer(req, options) {
      const item = prepare(req);
      const { value, timing } = await opFor(item.fetches)
        .submit({ tensors: item.feeds, rows: item.rows }, { ...options, key: item.key })
        .catch(unprocessable);
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
