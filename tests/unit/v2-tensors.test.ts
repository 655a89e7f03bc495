// V2 JSON tensor values are checked per datatype: integers within their type's range (no silent
// wrap: 2^31 as INT32 was −2^31), INT64/UINT64 within the safe-integer range, BOOL as booleans,
// floats finite once rounded to their type; a bad value is a 400 naming the tensor and the element.
import { describe, expect, it } from 'vitest';
import { Errors } from '../../server/errors.ts';
import { V2_DATATYPES } from '../../server/protocols/v2-raw.ts';
import { fromV2 } from '../../server/protocols/v2-tensors.ts';

const RANGES: Record<string, [number, number]> = {
  INT8: [-128, 127],
  UINT8: [0, 255],
  INT16: [-32768, 32767],
  UINT16: [0, 65535],
  INT32: [-(2 ** 31), 2 ** 31 - 1],
  UINT32: [0, 2 ** 32 - 1],
  INT64: [-Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER],
  UINT64: [0, Number.MAX_SAFE_INTEGER],
};

/** fromV2 of a flat JSON tensor of `datatype` holding `data`. */
function convert(datatype: string, data: unknown[], field?: string) {
  const type = V2_DATATYPES[datatype]!.type;
  return fromV2({ name: 'ids', datatype, shape: [data.length], data, ...(field ? { field } : {}) }, { name: 'ids', isTensor: true, type, shape: [-1] });
}

describe('V2 JSON values, per datatype', () => {
  for (const [datatype, [min, max]] of Object.entries(RANGES)) {
    it(`${datatype}: ${min} and ${max} convert exactly; one past either end, or a fraction, is a 400 naming the tensor and element`, () => {
      expect(Array.from(convert(datatype, [min, 0, max]).data as ArrayLike<number | bigint>, Number)).toEqual([min, 0, max]);
      const range = new RegExp(`^input 'ids': data\\[1\\] is .*, expected an integer from ${min} to ${max} \\(${datatype}`);
      // Past the safe-integer range, ±1 rounds back: the next representable integer is 2 further.
      const step = Number.isSafeInteger(max + 1) ? 1 : 2;
      for (const wrong of [min - step, max + step, 1.5]) {
        expect(() => convert(datatype, [0, wrong, 0])).toThrow(Errors.INVALID_INPUT);
        expect(() => convert(datatype, [0, wrong, 0])).toThrow(range);
      }
      expect(() => convert(datatype, [0, '1', 0])).toThrow(range);
    });
  }

  it('2^31 as INT32 is refused, not wrapped to -2^31', () => {
    expect(() => convert('INT32', [2 ** 31])).toThrow("input 'ids': data[0] is 2147483648, expected an integer from -2147483648 to 2147483647 (INT32)");
  });

  it('INT64 says what a JSON number carries and where larger values go', () => {
    expect(() => convert('INT64', [2 ** 53])).toThrow(/\(INT64 as a JSON number; send larger values as binary data\)$/);
  });

  it('BOOL takes booleans only', () => {
    expect(Array.from(convert('BOOL', [true, false]).data as Uint8Array)).toEqual([1, 0]);
    expect(() => convert('BOOL', [true, 1])).toThrow("input 'ids': data[1] is 1, expected a boolean");
  });

  it('floats stay finite in their type: FP16 ±65504, FP32 ±3.4e38', () => {
    expect(Array.from(convert('FP16', [65504, -0.5]).data as ArrayLike<number>)).toEqual([65504, -0.5]);
    expect(() => convert('FP16', [1, -70000])).toThrow("input 'ids': data[1] is -70000, expected a number within FP16's range (±65504)");
    expect(Array.from(convert('FP32', [3e38]).data as Float32Array)[0]).toBeCloseTo(3e38, -32);
    expect(() => convert('FP32', [1e39])).toThrow("input 'ids': data[0] is 1e+39, expected a number within FP32's range (±3.4028235e38)");
    expect(Array.from(convert('FP64', [1e300]).data as Float64Array)).toEqual([1e300]);
  });

  it('names the values as the wire format calls them (gRPC: its contents field)', () => {
    expect(() => convert('INT8', [300], 'contents.int_contents')).toThrow("input 'ids': contents.int_contents[0] is 300, expected an integer from -128 to 127 (INT8)");
  });
});
