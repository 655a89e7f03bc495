// Raw V2 tensor bytes (gRPC raw contents, REST binary extension) ↔ tensor values, every datatype.
import { describe, expect, it } from 'vitest';
import { decodeRaw, encodeRaw, rawByteSize, V2_DATATYPES } from '../../server/protocols/v2-raw.ts';
import { fromV2 } from '../../server/protocols/v2-tensors.ts';

/** Little-endian bytes of each fixed-size datatype for the values 1, 0, 2, 3 (bool: 1, 0, 1, 0). */
const SAMPLES: Record<string, { bytes: number[]; values: unknown[] }> = {
  BOOL: { bytes: [1, 0, 1, 0], values: [1, 0, 1, 0] },
  UINT8: { bytes: [1, 0, 2, 255], values: [1, 0, 2, 255] },
  INT8: { bytes: [1, 0, 2, 255], values: [1, 0, 2, -1] },
  UINT16: { bytes: [1, 0, 0, 0, 2, 0, 255, 255], values: [1, 0, 2, 65535] },
  INT16: { bytes: [1, 0, 0, 0, 2, 0, 255, 255], values: [1, 0, 2, -1] },
  FP16: { bytes: [0x00, 0x3c, 0, 0, 0x00, 0x40, 0x00, 0xc2], values: [1, 0, 2, -3] },
  UINT32: { bytes: [1, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 255, 255, 255, 255], values: [1, 0, 2, 4294967295] },
  INT32: { bytes: [1, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 255, 255, 255, 255], values: [1, 0, 2, -1] },
  FP32: { bytes: [...new Uint8Array(Float32Array.of(1, 0, 2.5, -3).buffer)], values: [1, 0, 2.5, -3] },
  FP64: { bytes: [...new Uint8Array(Float64Array.of(1, 0, 2.5, -3).buffer)], values: [1, 0, 2.5, -3] },
  INT64: { bytes: [...new Uint8Array(BigInt64Array.of(1n, 0n, 2n, -(2n ** 62n)).buffer)], values: [1n, 0n, 2n, -(2n ** 62n)] },
  UINT64: { bytes: [...new Uint8Array(BigUint64Array.of(1n, 0n, 2n, 2n ** 63n).buffer)], values: [1n, 0n, 2n, 2n ** 63n] },
};

/** `bytes` copied to an odd offset of a larger buffer. */
function unaligned(bytes: number[]): Uint8Array {
  const buf = new Uint8Array(bytes.length + 3);
  buf.set(bytes, 1);
  return buf.subarray(1, 1 + bytes.length);
}

function lengthPrefixed(strings: string[]): Uint8Array {
  const parts = strings.map((s) => Buffer.from(s, 'utf8'));
  return Buffer.concat(parts.flatMap((p) => [Buffer.from(Uint32Array.of(p.length).buffer), p]));
}

describe('v2-raw', () => {
  it('covers every V2 datatype the server supports', () => {
    expect(Object.keys(V2_DATATYPES).sort()).toEqual([...Object.keys(SAMPLES), 'BYTES'].sort());
  });

  for (const [datatype, { bytes, values }] of Object.entries(SAMPLES)) {
    it(`${datatype}: decodes aligned (as a view) and unaligned (as a copy) bytes and encodes them back`, () => {
      const aligned = new Uint8Array(bytes);
      const t = decodeRaw('x', datatype, [2, 2], aligned);
      expect(t.type).toBe(V2_DATATYPES[datatype]!.type);
      expect(t.dims).toEqual([2, 2]);
      expect(Array.from(t.data as ArrayLike<unknown>)).toEqual(values);
      expect((t.data as ArrayBufferView).buffer).toBe(aligned.buffer);
      expect([...encodeRaw(t)]).toEqual(bytes);

      const odd = unaligned(bytes);
      const u = decodeRaw('x', datatype, [4], odd);
      expect(Array.from(u.data as ArrayLike<unknown>)).toEqual(values);
      if (V2_DATATYPES[datatype]!.bytes! > 1) expect((u.data as ArrayBufferView).buffer).not.toBe(odd.buffer);
      expect([...encodeRaw(u)]).toEqual(bytes);
      // A Buffer's slice() is a view: an unaligned Buffer must be copied all the same.
      const buffer = Buffer.concat([Buffer.alloc(1), Buffer.from(bytes)]).subarray(1);
      expect(Array.from(decodeRaw('x', datatype, [4], buffer).data as ArrayLike<unknown>)).toEqual(values);
      expect(rawByteSize(datatype, [2, 2])).toBe(bytes.length);
    });

    it(`${datatype}: a byte length that does not fit the shape is a 400 naming the tensor`, () => {
      expect(() => decodeRaw('pixels', datatype, [2, 3], new Uint8Array(bytes))).toThrow(
        new RegExp(`input 'pixels': ${bytes.length} bytes of raw data do not fill shape \\[2,3\\] of ${datatype} \\(${(bytes.length / 4) * 6} bytes expected`),
      );
      expect(() => decodeRaw('pixels', datatype, [4], new Uint8Array(bytes.slice(1)))).toThrow(/do not fill shape/);
    });
  }

  it('BYTES: length-prefixed UTF-8 elements round trip, at any offset', () => {
    const strings = ['a small furry animal', '', 'ünïcødé ✓'];
    const bytes = lengthPrefixed(strings);
    const t = decodeRaw('text', 'BYTES', [3], bytes);
    expect(t).toEqual({ type: 'string', dims: [3], data: strings });
    expect(Buffer.from(encodeRaw(t)).equals(Buffer.from(bytes))).toBe(true);
    expect(decodeRaw('text', 'BYTES', [1, 3], unaligned([...bytes])).data).toEqual(strings);
    expect(rawByteSize('BYTES', [3])).toBeUndefined();
  });

  it('BYTES: truncated, overlong, left-over and invalid UTF-8 data are 400s with messages', () => {
    const bytes = lengthPrefixed(['ab', 'cd']);
    expect(() => decodeRaw('t', 'BYTES', [3], bytes)).toThrow("input 't': BYTES data ends after 2 of 3 elements (each needs a 4-byte length prefix)");
    expect(() => decodeRaw('t', 'BYTES', [2], bytes.subarray(0, bytes.length - 1))).toThrow("input 't': BYTES element 1 declares 2 bytes but only 1 remain");
    expect(() => decodeRaw('t', 'BYTES', [1], bytes)).toThrow("input 't': BYTES data has 6 bytes left over after 1 elements");
    expect(() => decodeRaw('t', 'BYTES', [1], Uint8Array.of(1, 0, 0, 0, 0xff))).toThrow("input 't': BYTES element 0 is not valid UTF-8 (the model takes strings)");
  });

  it('BOOL bytes other than 0 and 1 are rejected; unknown datatypes are named', () => {
    expect(() => decodeRaw('mask', 'BOOL', [2], Uint8Array.of(1, 7))).toThrow("input 'mask': BOOL element 1 is byte 7, expected 0 or 1");
    expect(() => decodeRaw('x', 'FP8', [1], Uint8Array.of(1))).toThrow("input 'x': unknown datatype 'FP8'");
  });

  it('fromV2 applies the same model checks to raw inputs and wants exactly one of data and raw', () => {
    const info = { name: 'x', isTensor: true, type: 'float32' as const, shape: [-1, 2] };
    const raw = new Uint8Array(Float32Array.of(1, 2, 3, 4).buffer);
    expect(Array.from(fromV2({ name: 'x', datatype: 'FP32', shape: [2, 2], raw }, info).data as Float32Array)).toEqual([1, 2, 3, 4]);
    expect(() => fromV2({ name: 'x', datatype: 'FP32', shape: [1, 4], raw }, info)).toThrow("input 'x': shape [1,4] does not match the model's [-1,2] at dimension 1");
    expect(() => fromV2({ name: 'x', datatype: 'INT32', shape: [2, 2], raw }, info)).toThrow("input 'x': datatype INT32 does not match the model's FP32");
    expect(() => fromV2({ name: 'x', datatype: 'FP32', shape: [2, 2], raw, data: [1, 2, 3, 4] }, info)).toThrow("input 'x' has both data and binary data; send one");
    expect(() => fromV2({ name: 'x', datatype: 'FP32', shape: [2, 2] }, info)).toThrow("input 'x' has no data");
  });
});
