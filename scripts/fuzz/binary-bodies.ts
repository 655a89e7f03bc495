// KServe V2 infer requests in Triton's binary tensor data extension, for fuzzing: a JSON header
// and the inputs' bytes, then the framing broken (header lengths that lie or are not numbers,
// binary_data_size that does not add up or is not a size, bytes of the wrong length or content,
// a damaged header, content types and SageMaker's json-header-size, raw binary requests).
import fc from 'fast-check';
import { contentType } from './http.ts';
import { hostileString, hostileValue } from './strings.ts';
import type { V2ModelMeta, V2TensorMeta } from './tensors.ts';

const BYTES: Record<string, number> = { BOOL: 1, UINT8: 1, INT8: 1, UINT16: 2, INT16: 2, FP16: 2, UINT32: 4, INT32: 4, FP32: 4, UINT64: 8, INT64: 8, FP64: 8 };
const DATATYPES = [...Object.keys(BYTES), 'BYTES', 'BF16', 'fp32', ''];
const SAGEMAKER = 'application/vnd.sagemaker-triton.binary+json';

/** `n` bytes: zeros (valid for every datatype), small values, or pseudo-random bytes (NaNs, huge ids, BOOL bytes > 1) from `seed`. */
function fill(n: number, how: number, seed: number): Buffer {
  const b = Buffer.alloc(n);
  if (how === 1) b.fill(1);
  if (how === 2) {
    let x = seed >>> 0 || 1;
    for (let i = 0; i < n; i++) {
      x = (Math.imul(x, 1_103_515_245) + 12_345) >>> 0;
      b[i] = x >>> 24;
    }
  }
  return b;
}

interface Part {
  meta: Record<string, unknown>;
  bytes?: Buffer;
}

/** One input: sent as JSON zeros, or binary with the right size, a size off by a few bytes, a size that is not a size, or its bytes off. */
function inputPart(meta: V2TensorMeta, dyn: number): fc.Arbitrary<Part> {
  const shape = meta.shape.map((d) => (d >= 0 ? d : dyn));
  const count = shape.reduce((a, b) => a * b, 1);
  const size = count * (BYTES[meta.datatype] ?? 4);
  const head = { name: meta.name, datatype: meta.datatype, shape };
  return fc.oneof(
    { weight: 3, arbitrary: fc.constant({ meta: { ...head, data: Array(count).fill(meta.datatype === 'BOOL' ? false : 0) } }) },
    { weight: 16, arbitrary: fc.tuple(fc.integer({ min: 0, max: 2 }), fc.nat()).map(([how, seed]) => ({ meta: { ...head, parameters: { binary_data_size: size } }, bytes: fill(size, how, seed) })) },
    {
      weight: 2,
      arbitrary: fc
        .tuple(fc.integer({ min: -5, max: 5 }), fc.boolean())
        .map(([k, same]) => ({ meta: { ...head, parameters: { binary_data_size: Math.max(0, size + k) } }, bytes: fill(Math.max(0, same ? size + k : size), 0, 0) })),
    },
    {
      weight: 2,
      arbitrary: fc.oneof(hostileValue, fc.constantFrom(-1, 0.5, 2 ** 53, 1e21, '8', null, [size])).map((v) => ({ meta: { ...head, parameters: { binary_data_size: v } }, bytes: fill(size, 0, 0) })),
    },
    { weight: 1, arbitrary: fc.constantFrom(...DATATYPES).map((datatype) => ({ meta: { ...head, datatype, parameters: { binary_data_size: size } }, bytes: fill(size, 0, 0) })) },
    { weight: 1, arbitrary: fc.constant({ meta: { ...head, data: [0], parameters: { binary_data_size: size } }, bytes: fill(size, 0, 0) }) },
  );
}

/** Output requests: binary or not, per output or for all, with flags of any type. */
function outputParts(model: V2ModelMeta): fc.Arbitrary<Record<string, unknown>> {
  const flag = fc.oneof({ weight: 6, arbitrary: fc.boolean() }, { weight: 1, arbitrary: hostileValue });
  const name = fc.oneof({ weight: 6, arbitrary: fc.constantFrom(...model.outputs.map((o) => o.name)) }, { weight: 1, arbitrary: hostileString });
  return fc.record(
    {
      parameters: fc.record({ binary_data_output: flag }, { requiredKeys: [] }),
      outputs: fc.array(fc.record({ name, parameters: fc.record({ binary_data: flag }) }, { requiredKeys: ['name'] }), { maxLength: 2 }),
    },
    { requiredKeys: [] },
  );
}

/** How the header length is given: a number is an offset from the right length (mostly 0); '0' is a raw binary request; or past the body, not a number, absent. */
const lengthChoice = fc.oneof(
  { weight: 12, arbitrary: fc.constant<number | string | undefined>(0) },
  { weight: 3, arbitrary: fc.integer({ min: -8, max: 8 }) },
  { weight: 1, arbitrary: fc.constantFrom<number | string | undefined>('zero', '0', '-1', '1e3', ' 12', '99999999999999999999', '0x10', '', undefined, 'past-end') },
);

/** A binary-extension infer request for `model`: headers and body. */
export function v2BinaryRequests(model: V2ModelMeta): fc.Arbitrary<{ headers: Record<string, string>; body: Buffer }> {
  const parts = fc.integer({ min: 1, max: 2 }).chain((dyn) => fc.tuple(...model.inputs.map((m) => inputPart(m, dyn))));
  const order = fc.oneof({ weight: 6, arbitrary: fc.constant('as-is') }, { weight: 1, arbitrary: fc.constantFrom('reversed', 'drop-first', 'duplicate') });
  const shuffled = fc.tuple(parts, order);
  // fc.option's freq is the odds of the nil value (1 in freq): damage 1 header in 6, extra bytes after 1 body in 8.
  const damage = fc.oneof({ weight: 5, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: fc.tuple(fc.integer({ min: 0, max: 3 }), fc.nat()) });
  const extra = fc.oneof({ weight: 7, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: fc.uint8Array({ minLength: 1, maxLength: 16 }) });
  const type = fc.oneof({ weight: 8, arbitrary: fc.constantFrom('application/octet-stream', 'application/json', SAGEMAKER, '(none)') }, { weight: 1, arbitrary: contentType });
  return fc.record({ shuffled, outputs: outputParts(model), id: fc.option(fc.string({ maxLength: 8 }), { nil: undefined }), length: lengthChoice, damage, type, extra }).map((r) => {
    const [list, how] = r.shuffled;
    const ordered = how === 'reversed' ? [...list].reverse() : how === 'drop-first' ? list.slice(1) : how === 'duplicate' ? [...list, ...list.slice(0, 1)] : list;
    let json = JSON.stringify({ ...(r.id !== undefined ? { id: r.id } : {}), ...r.outputs, inputs: ordered.map((p) => p.meta) });
    if (r.damage) {
      const [kind, at] = r.damage;
      const cut = at % Math.max(1, json.length);
      json = kind === 0 ? json.slice(0, cut) : kind === 1 ? `${json.slice(0, cut)}\u0000${json.slice(cut)}` : kind === 2 ? json.replaceAll('"', "'") : `[${json}]`;
    }
    const header = Buffer.from(json);
    const body = Buffer.concat([header, ...ordered.flatMap((p) => (p.bytes ? [p.bytes] : [])), Buffer.from(r.extra ?? [])]);
    const rawBinary = r.length === '0';
    const length = rawBinary ? '0' : r.length === 'past-end' ? String(body.byteLength + 1) : typeof r.length === 'number' ? String(Math.max(0, header.byteLength + r.length)) : r.length;
    const payload = rawBinary ? body.subarray(header.byteLength) : body;
    const headers: Record<string, string> = {};
    if (r.type === SAGEMAKER) headers['content-type'] = `${SAGEMAKER};json-header-size=${length ?? ''}`;
    else {
      if (r.type !== '(none)') headers['content-type'] = r.type;
      if (length !== undefined) headers['inference-header-content-length'] = length;
    }
    return { headers, body: payload };
  });
}
