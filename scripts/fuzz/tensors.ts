// KServe V2 infer bodies for fuzzing, built from each model's V2 metadata: valid tensors, then
// wrong shapes, datatypes, data lengths, NaN/Infinity tokens, huge or negative values, bad names.
import fc from 'fast-check';
import { jsonBodies } from './json.ts';
import { hostileNumber, hostileString, hostileValue, nestedRaw, rawToken } from './strings.ts';

export interface V2TensorMeta {
  name: string;
  datatype: string;
  shape: number[];
}

export interface V2ModelMeta {
  name: string;
  inputs: V2TensorMeta[];
  outputs: V2TensorMeta[];
}

interface Tensor {
  name: string;
  datatype: string;
  shape: number[];
  data: unknown;
}

const RAW = 'fuzz-raw:';

/** Replaces the `"fuzz-raw:<token>"` strings that `raw()` left in JSON text with the bare tokens. */
const unraw = (text: string): string => text.replace(/"fuzz-raw:((?:[^"\\]|\\.)*)"/g, (_, inner: string) => JSON.parse(`"${inner}"`) as string);
const raw = (token: string) => `${RAW}${token}`;

const DATATYPES = ['BOOL', 'UINT8', 'UINT16', 'UINT32', 'UINT64', 'INT8', 'INT16', 'INT32', 'INT64', 'FP16', 'FP32', 'FP64', 'BYTES', 'BF16', 'FP8', 'fp32', 'STRING', '', 'UNSUPPORTED', 'NON_TENSOR'];

/** One in-range value of a datatype (integers stay below 10, so they are valid ids and labels). */
function value(datatype: string): fc.Arbitrary<unknown> {
  if (datatype === 'BOOL') return fc.boolean();
  if (datatype === 'BYTES') return hostileString;
  if (datatype.startsWith('FP')) return fc.double({ min: -3, max: 3, noNaN: true });
  return fc.integer({ min: 0, max: 9 });
}

/** Nests a flat list into the row-major nested arrays of `shape`. */
function nest(flat: unknown[], shape: number[]): unknown {
  if (shape.length <= 1) return flat;
  const [, ...rest] = shape;
  const step = rest.reduce((a, b) => a * b, 1);
  return Array.from({ length: shape[0]! }, (_, i) => nest(flat.slice(i * step, (i + 1) * step), rest));
}

/** A tensor whose data fills its shape; dynamic dimension i is `dyn[i]` (or `dyn` for all of them). */
function goodTensor(meta: V2TensorMeta, dyn: number | number[]): fc.Arbitrary<Tensor> {
  const shape = meta.shape.map((d, i) => (d >= 0 ? d : typeof dyn === 'number' ? dyn : (dyn[i] ?? 1)));
  const size = shape.reduce((a, b) => a * b, 1);
  return fc
    .tuple(fc.array(value(meta.datatype), { minLength: size, maxLength: size }), fc.boolean())
    .map(([flat, nested]) => ({ name: meta.name, datatype: meta.datatype, shape, data: nested ? nest(flat, shape) : flat }));
}

const badDim = fc.oneof(fc.constantFrom(0, 1, 2, 3, 27, 29, 513, 65_536, 2 ** 31, 2 ** 53, 1e21, 1e308), hostileNumber);
const badDatum = fc.oneof(fc.constantFrom(-1, 10, 8192, 99_999, 2 ** 31, 2 ** 53, -(2 ** 63), 1e308, -1e308, 0.5, null, true, 'NaN', '1', [], {}, [[1]]), rawToken.map(raw), hostileValue);

/** A tensor with one thing wrong (shape, datatype, length, a value, nesting, name), or valid alone but sized unlike the others. */
function badTensor(meta: V2TensorMeta, dyn: number): fc.Arbitrary<Tensor> {
  const good = goodTensor(meta, dyn);
  const flatData = (t: Tensor) => (Array.isArray(t.data) ? t.data.flat(Infinity) : [t.data]);
  return fc.oneof(
    { weight: 2, arbitrary: fc.tuple(good, fc.nat(), badDim).map(([t, i, d]) => ({ ...t, shape: t.shape.map((s, j) => (j === i % t.shape.length ? d : s)) })) },
    { weight: 1, arbitrary: fc.tuple(good, fc.array(badDim, { maxLength: 3 })).map(([t, extra]) => ({ ...t, shape: extra.length ? [...t.shape, ...extra] : t.shape.slice(1) })) },
    { weight: 2, arbitrary: fc.tuple(good, fc.constantFrom(...DATATYPES)).map(([t, datatype]) => ({ ...t, datatype })) },
    { weight: 2, arbitrary: fc.array(fc.integer({ min: 0, max: 3 }), { minLength: meta.shape.length, maxLength: meta.shape.length }).chain((dyns) => goodTensor(meta, dyns)) },
    { weight: 2, arbitrary: fc.tuple(good, fc.integer({ min: -2, max: 2 })).map(([t, k]) => ({ ...t, data: k < 0 ? flatData(t).slice(0, k) : [...flatData(t), ...Array(k + 1).fill(0)] })) },
    {
      weight: 3,
      arbitrary: fc.tuple(good, fc.nat(), badDatum).map(([t, i, v]) => {
        const d = flatData(t);
        d[i % Math.max(1, d.length)] = v;
        return { ...t, data: d };
      }),
    },
    { weight: 1, arbitrary: fc.tuple(good, fc.oneof(hostileValue, nestedRaw.map(raw), fc.constant(raw(`[${'['.repeat(5000)}1${']'.repeat(5000)}]`)))).map(([t, data]) => ({ ...t, data })) },
    { weight: 1, arbitrary: fc.tuple(good, fc.oneof(hostileString, fc.constantFrom('', 'INPUT__0', 'logits'))).map(([t, name]) => ({ ...t, name })) },
  );
}

/** The V2 infer bodies of one model, as JSON text. */
export function v2Bodies(model: V2ModelMeta): fc.Arbitrary<string> {
  // Every input valid, or (half the time) exactly one of them broken; dynamic sizes 1, 2 or (empty tensors) 0.
  const dynamic = fc.oneof({ weight: 4, arbitrary: fc.integer({ min: 1, max: 2 }) }, { weight: 1, arbitrary: fc.constant(0) });
  const inputs = dynamic.chain((dyn) =>
    fc
      .tuple(fc.tuple(...model.inputs.map((m) => fc.tuple(goodTensor(m, dyn), badTensor(m, dyn)))), fc.option(fc.nat(), { nil: undefined, freq: 2 }))
      .map(([pairs, broken]) => pairs.map(([good, bad], i) => (broken !== undefined && i === broken % pairs.length ? bad : good))),
  );
  const reshaped = fc.tuple(inputs, fc.constantFrom('drop-first', 'duplicate', 'extra', 'empty')).map(([list, how]) => {
    if (how === 'drop-first') return list.slice(1);
    if (how === 'duplicate') return [...list, ...list.slice(0, 1)];
    if (how === 'extra') return [...list, { name: 'extra', datatype: 'FP32', shape: [1], data: [0] }];
    return [];
  });
  const outputName = fc.oneof(fc.constantFrom(...model.outputs.map((o) => o.name), 'nope', ''), hostileString);
  const body = fc.record(
    {
      id: fc.oneof(fc.string({ maxLength: 20 }), hostileString),
      parameters: fc.dictionary(fc.string({ maxLength: 8 }), hostileValue, { maxKeys: 3 }),
      inputs: fc.oneof({ weight: 4, arbitrary: inputs }, { weight: 1, arbitrary: reshaped }),
      outputs: fc.array(fc.record({ name: outputName }), { maxLength: 3 }),
    },
    { requiredKeys: ['inputs'] },
  );
  return jsonBodies(body, ['id', 'parameters', 'inputs', 'outputs'], (b) => unraw(JSON.stringify(b)));
}
