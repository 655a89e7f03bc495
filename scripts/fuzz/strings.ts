// Hostile scalars for fuzzing: unicode edge cases, extreme numbers, wrong-typed JSON values and
// raw (non-JSON) number tokens that JSON.stringify cannot produce.
import fc from 'fast-check';

/** Characters that break naive text handling: lone surrogates, bidi and zero-width marks, NUL, emoji, combining marks. */
export const EDGE_CHARS = [
  '\ud800',
  '\udfff',
  '\udc00\ud800', // lone and reversed surrogates
  '\u202e',
  '\u200f',
  '\u061c',
  'مرحبا',
  'שלום', // RTL override, RTL marks, RTL scripts
  '\u200b',
  '\u200c',
  '\u200d',
  '\u2060',
  '\ufeff', // zero-width
  '\u0000',
  '\u0007',
  '\u001b[31m',
  '\u007f',
  '\u0085',
  '\u2028',
  '\u2029', // NUL, controls, line separators
  '👩‍👩‍👧‍👦',
  '🏳️‍🌈',
  '🇺🇳',
  '😀',
  '\u{1f9d1}\u{1f3fd}\u200d\u{1f680}', // emoji sequences
  'e\u0301',
  'a\u0300\u0301\u0302\u0303\u0304\u0305\u0306\u0307\u0308',
  '\u0345', // combining marks
  'İ',
  'ß',
  'ﬃ',
  'ǅ',
  'Ⅻ',
  '𝟘',
  '\u{10ffff}',
  '\uffff',
  '\ufffd', // case folding, NFKC expansion, plane ends
  '[MASK]',
  '[CLS]',
  '[SEP]',
  '[PAD]',
  '[UNK]',
  '<|endoftext|>', // special tokens
  '%',
  '%s',
  '%d',
  '%j',
  '${x}',
  '{{x}}',
  '\\',
  '"',
  "'",
  '\n',
  '\r\n',
  '\t',
  ' ', // format and escape characters
] as const;

const edgeChar = fc.constantFrom(...EDGE_CHARS);

/** Strings of any kind: plain, arbitrary code points, edge characters, very long. */
export const hostileString: fc.Arbitrary<string> = fc.oneof(
  { weight: 3, arbitrary: fc.string({ maxLength: 40 }) },
  { weight: 3, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
  { weight: 4, arbitrary: fc.string({ unit: fc.oneof(edgeChar, fc.string({ minLength: 1, maxLength: 3 })), maxLength: 30 }) },
  { weight: 1, arbitrary: fc.tuple(fc.oneof(edgeChar, fc.constantFrom('a', 'word ', 'é')), fc.integer({ min: 100, max: 20_000 })).map(([s, n]) => s.repeat(n)) },
  { weight: 1, arbitrary: fc.constantFrom('', ' ', '   ', '\u200b', '\u0000') },
);

/** Numbers at the edges of what schemas, typed arrays and timers accept (JSON-representable). */
export const hostileNumber: fc.Arbitrary<number> = fc.oneof(
  fc.constantFrom(0, -0, -1, 1, 0.5, 1.5, -1.5, 2 ** 31 - 1, 2 ** 31, 2 ** 32, 2 ** 53, -(2 ** 53), 2 ** 63, 1e21, 1e308, -1e308, Number.MAX_VALUE, Number.MIN_VALUE, 1e-300),
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
);

/** Any JSON value, usually of the wrong type for the field it lands in. */
export const hostileValue: fc.Arbitrary<unknown> = fc.oneof(
  hostileString,
  hostileNumber,
  fc.boolean(),
  fc.constant(null),
  fc.constantFrom([], {}, [null], [[]], [{}], { '': '' }),
  fc.array(fc.oneof(hostileString, hostileNumber), { maxLength: 5 }),
  fc.jsonValue({ maxDepth: 3 }),
);

/** Tokens spliced into JSON text in place of a value: NaN/Infinity forms, overflowing and non-JSON numbers, escapes. */
export const rawToken: fc.Arbitrary<string> = fc.constantFrom(
  'NaN',
  'Infinity',
  '-Infinity',
  '1e999',
  '-1e999',
  '1e-999',
  '-0',
  '0x10',
  '01',
  '.5',
  '5.',
  '+1',
  'undefined',
  '123456789012345678901234567890',
  '"NaN"',
  '"Infinity"',
  '"1e999"',
  '"\\ud800"',
  '"\\u0000"',
  '"\\uDFFF\\uD800"',
  "'single'",
  '[1,]',
  '{"a":1,}',
  '// comment\n1',
  'true false',
  '"unterminated',
  '"\\x41"',
  '"\\u12"',
);

/** Object keys that trip prototype handling or look like paths. */
export const hostileKey: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom('__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', '', ' ', '$ref', 'a.b', 'inputs/0'),
  hostileString.filter((s) => s.length < 200),
);

/** Raw JSON text nested `depth` levels deep around `leaf`, as arrays or objects. */
export function nestedJson(depth: number, kind: 'array' | 'object', leaf = '1'): string {
  return kind === 'array' ? '['.repeat(depth) + leaf + ']'.repeat(depth) : '{"a":'.repeat(depth) + leaf + '}'.repeat(depth);
}

/** Deeply nested JSON text: shallow enough to parse, deep enough to overflow recursive code (not shrunk level by level). */
export const nestedRaw: fc.Arbitrary<string> = fc
  .record({ depth: fc.noShrink(fc.oneof(fc.integer({ min: 1, max: 64 }), fc.integer({ min: 1_000, max: 150_000 }))), kind: fc.constantFrom('array' as const, 'object' as const) })
  .map(({ depth, kind }) => nestedJson(depth, kind));
