// JSON request bodies as text: a route's valid bodies, then mutated ones (wrong types, missing
// and extra fields, raw NaN/Infinity tokens, deep nesting, broken syntax, non-object bodies).
import fc from 'fast-check';
import { hostileKey, hostileValue, nestedRaw, rawToken } from './strings.ts';

type Body = Record<string, unknown>;

const HOLE = 'fuzz-hole-7f3a9c';

type Stringify = (body: Body) => string;

/** `body` as JSON with field `key` replaced by the raw (possibly invalid) JSON text `raw`. */
function splice(stringify: Stringify, body: Body, key: string, raw: string): string {
  return stringify({ ...body, [key]: HOLE }).replace(`"${HOLE}"`, () => raw);
}

function omit(body: Body, key: string): Body {
  const { [key]: _, ...rest } = body;
  return rest;
}

/** Syntax damage applied to valid JSON text. */
const breakText = (text: string, how: number, at: number): string => {
  const cut = text.length === 0 ? 0 : at % text.length;
  switch (how) {
    case 0:
      return text.slice(0, cut);
    case 1:
      return '\ufeff' + text;
    case 2:
      return text + text;
    case 3:
      return `${text.slice(0, cut)}\u0000${text.slice(cut)}`;
    case 4:
      return text.replaceAll('"', "'");
    default:
      return ` \n\t${text}\n `;
  }
};

/**
 * Bodies for a route whose valid bodies come from `valid` and whose fields are `keys`: about half
 * valid (so handlers and pipelines run), the rest mutated. `stringify` turns a body into JSON text.
 */
export function jsonBodies(valid: fc.Arbitrary<Body>, keys: readonly string[], stringify: Stringify = JSON.stringify): fc.Arbitrary<string> {
  const key = fc.constantFrom(...keys);
  return fc.oneof(
    { weight: 12, arbitrary: valid.map((b) => stringify(b)) },
    { weight: 2, arbitrary: fc.tuple(valid, key).map(([b, k]) => stringify(omit(b, k))) },
    { weight: 4, arbitrary: fc.tuple(valid, key, hostileValue).map(([b, k, v]) => stringify({ ...b, [k]: v })) },
    { weight: 2, arbitrary: fc.tuple(valid, hostileKey, hostileValue).map(([b, k, v]) => stringify({ ...b, [k]: v })) },
    { weight: 2, arbitrary: fc.tuple(valid, key, rawToken).map(([b, k, raw]) => splice(stringify, b, k, raw)) },
    { weight: 1, arbitrary: fc.tuple(valid, fc.oneof(key, hostileKey), nestedRaw).map(([b, k, raw]) => splice(stringify, b, k, raw)) },
    { weight: 1, arbitrary: fc.tuple(valid, fc.integer({ min: 0, max: 5 }), fc.nat()).map(([b, how, at]) => breakText(stringify(b), how, at)) },
    {
      weight: 1,
      arbitrary: fc.oneof(
        hostileValue.map((v) => JSON.stringify(v) ?? 'null'),
        nestedRaw,
        fc.constantFrom('', ' ', 'null', '{}', '[]', '{"__proto__":{"x":1}}', '{"constructor":{"prototype":{"x":1}}}'),
      ),
    },
  );
}
