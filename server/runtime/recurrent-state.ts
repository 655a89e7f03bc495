// Recurrent state of the sequence engine: per-sequence slices gathered into a batch tensor
// before a step and scattered back after it. `shape` marks the batch axis with -1.
import type { TensorValue } from './onnx.ts';

export interface StateSpec {
  input: string;
  output: string;
  shape: number[];
}

function layout(shape: number[]): { outer: number; inner: number; axis: number } {
  const axis = shape.indexOf(-1);
  if (axis < 0 || shape.indexOf(-1, axis + 1) >= 0) throw new Error(`state shape [${shape.join(',')}] needs exactly one -1 (batch axis)`);
  const prod = (xs: number[]) => xs.reduce((a, b) => a * b, 1);
  return { outer: prod(shape.slice(0, axis)), inner: prod(shape.slice(axis + 1)), axis };
}

export function zeroState(spec: StateSpec): Float32Array {
  const { outer, inner } = layout(spec.shape);
  return new Float32Array(outer * inner);
}

/** Where one row of a new batch comes from: row `row` of a batch tensor of `n` rows (n = 1, row 0 for a sequence's own state). */
export interface StateRow {
  data: Float32Array;
  n: number;
  row: number;
}

/** Builds a batch tensor whose row k is `rows[k]` (rows may come from an earlier batch: no per-sequence copies). */
export function gatherRows(spec: StateSpec, rows: StateRow[]): TensorValue {
  const { outer, inner, axis } = layout(spec.shape);
  const n = rows.length;
  const data = new Float32Array(outer * n * inner);
  rows.forEach((r, k) => {
    for (let o = 0; o < outer; o++) data.set(r.data.subarray((o * r.n + r.row) * inner, (o * r.n + r.row + 1) * inner), (o * n + k) * inner);
  });
  const dims = [...spec.shape];
  dims[axis] = n;
  return { type: 'float32', dims, data };
}

/** Stacks per-sequence states into one batch tensor. */
export function gatherState(spec: StateSpec, states: Float32Array[]): TensorValue {
  const { outer, inner, axis } = layout(spec.shape);
  const n = states.length;
  const data = new Float32Array(outer * n * inner);
  states.forEach((s, k) => {
    for (let o = 0; o < outer; o++) data.set(s.subarray(o * inner, (o + 1) * inner), (o * n + k) * inner);
  });
  const dims = [...spec.shape];
  dims[axis] = n;
  return { type: 'float32', dims, data };
}

/** Splits a batch state tensor back into per-sequence states. */
export function scatterState(spec: StateSpec, t: TensorValue): Float32Array[] {
  const { outer, inner, axis } = layout(spec.shape);
  const n = t.dims[axis] ?? 0;
  const data = t.data as Float32Array;
  return Array.from({ length: n }, (_, k) => {
    const s = new Float32Array(outer * inner);
    for (let o = 0; o < outer; o++) s.set(data.subarray((o * n + k) * inner, (o * n + k + 1) * inner), o * inner);
    return s;
  });
}
