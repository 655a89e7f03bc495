// HTTP-level fuzz inputs: methods, content types, model names and paths in URLs, query strings.
import fc from 'fast-check';
import { hostileNumber, hostileString } from './strings.ts';

export const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'TRACE'] as const;
export type Method = (typeof METHODS)[number];

/** Percent-encodes the UTF-8 bytes of any string (lone surrogates become U+FFFD, as a client would send). */
export const encodeSegment = (s: string): string => Array.from(Buffer.from(s, 'utf8'), (b) => `%${b.toString(16).padStart(2, '0')}`).join('');

/** Content types, well-formed or not; header-safe (printable ASCII). */
export const contentType: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(
    'application/json',
    'application/json; charset=utf-8',
    'application/json;charset=UTF-8',
    'application/json; charset=utf-16',
    'application/json; charset=latin1',
    'APPLICATION/JSON',
    'Application/Json',
    'application/json ',
    ' application/json',
    'application/json; ',
    'application/jsonp',
    'application/vnd.api+json',
    'text/json',
    'application/json, text/plain',
    'text/plain',
    'text/plain; charset=utf-8',
    'text/html',
    'application/xml',
    'application/x-www-form-urlencoded',
    'application/octet-stream',
    'image/png',
    'image/jpeg',
    'image/webp',
    'image/gif',
    'image/tiff',
    'image/svg+xml',
    'image/',
    'image/*',
    'image/png; charset=utf-8',
    'IMAGE/PNG',
    'image/x-foo',
    'multipart/form-data',
    'multipart/form-data; boundary=',
    'multipart/form-data; boundary=""',
    'multipart/form-data; boundary=x',
    'multipart/mixed; boundary=x',
    'multipart/',
    '*/*',
    '/',
    ';',
    'json',
    '',
    ' ',
    'application/json; boundary=x; charset=utf-8; a=b; c',
    'a'.repeat(300),
  ),
  fc.tuple(fc.stringMatching(/^[!-~]{0,20}$/), fc.stringMatching(/^[!-~]{0,20}$/)).map(([a, b]) => `${a}/${b}`),
);

/** URL path segments a client might put where a model name goes (already encoded for the URL). */
export const modelSegment = (known: readonly string[]): fc.Arbitrary<string> =>
  fc.oneof(
    { weight: 6, arbitrary: fc.constantFrom(...known) },
    { weight: 1, arbitrary: fc.constantFrom(...known).map((m) => m.toUpperCase()) },
    {
      weight: 3,
      arbitrary: fc.constantFrom(
        'nope',
        '..',
        '.',
        '...',
        '%2e%2e',
        '..%2F..%2Fetc',
        'a%2Fb',
        '%2F',
        '%00',
        '%zz',
        '%',
        '%E0%A4%A',
        '-',
        '_',
        '.hidden',
        'a..b',
        'model.onnx',
        '%20',
        '+',
        '~',
        'a;b',
        'a%3Bb',
        'x'.repeat(128),
        'x'.repeat(129),
        'x'.repeat(300),
      ),
    },
    { weight: 2, arbitrary: hostileString.filter((s) => s.length > 0 && s.length < 120).map(encodeSegment) },
  );

/** A query string (with leading '?', or empty) setting `keys` to values of any type, repeated or malformed. */
export function queryString(keys: readonly string[], good: fc.Arbitrary<string>): fc.Arbitrary<string> {
  const value = fc.oneof(
    { weight: 6, arbitrary: good },
    { weight: 1, arbitrary: hostileNumber.map(String) },
    { weight: 1, arbitrary: fc.constantFrom('', 'abc', 'true', 'NaN', 'Infinity', '1e999', '1e2', '1.5', '0x10', '-0', '[]', '%zz', '%00', '1,2', ' 5') },
    { weight: 1, arbitrary: hostileString.map(encodeSegment) },
  );
  const key = fc.oneof({ weight: 6, arbitrary: fc.constantFrom(...keys) }, { weight: 1, arbitrary: fc.constantFrom('', 'x', '__proto__', 'constructor') });
  const pairs = fc.uniqueArray(fc.tuple(key, value), { minLength: 1, maxLength: 3, selector: ([k]) => k });
  return fc.oneof(
    { weight: 3, arbitrary: fc.constant('') },
    { weight: 3, arbitrary: pairs.map((ps) => `?${ps.map(([k, v]) => `${k}=${v}`).join('&')}`) },
    { weight: 1, arbitrary: fc.constantFrom('?', '??', '?&', '?=', '?top_k', '?top_k=3&top_k=4', '?top_k[]=1', '?top_k[a]=1', '?#frag', '?a=%') },
  );
}

/** Headers that lie about or complicate the body: wrong lengths, encodings, expectations, charsets. */
export const headerNoise: fc.Arbitrary<Record<string, string>> = fc.oneof(
  fc.constantFrom('0', '1', '-1', 'abc', '99999999', '1e3', ' 5', '18446744073709551616').map((v) => ({ 'content-length': v })),
  fc.constantFrom('gzip', 'br', 'deflate', 'identity', 'x-unknown', 'gzip, gzip').map((v) => ({ 'content-encoding': v })),
  fc.constantFrom('chunked', 'gzip, chunked').map((v) => ({ 'transfer-encoding': v })),
  fc.constantFrom('100-continue', 'x').map((v) => ({ expect: v })),
  fc.constantFrom('*/*', 'text/event-stream', 'image/png', 'application/xml', ';;;', 'a'.repeat(2000)).map((v) => ({ accept: v })),
  fc.constantFrom('utf-16', 'x', '').map((v) => ({ 'accept-charset': v })),
);
