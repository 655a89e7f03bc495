// Validation the route schemas cannot express: bodies whose schema depends on the model's task
// (checked in the handler), and query integers given as plain digits only.
import type { FastifyRequest } from 'fastify';
import type { Static, TObject, TSchema } from 'typebox';
import { Value } from 'typebox/value';
import { Errors } from '../errors.ts';

/** Deeper than any task body needs; the TypeBox value functions recurse, so deeper input is refused first. */
const MAX_DEPTH = 32;

/** Whether `value` nests arrays/objects deeper than `max` (checked without recursion). */
function deeperThan(value: unknown, max: number): boolean {
  const stack: [unknown, number][] = [[value, 0]];
  while (stack.length > 0) {
    const [v, depth] = stack.pop()!;
    if (typeof v !== 'object' || v === null) continue;
    if (depth >= max) return true;
    for (const child of Object.values(v)) stack.push([child, depth + 1]);
  }
  return false;
}

/** Applies defaults and checks `value`; throws INVALID_INPUT naming the first bad field. */
export function parseBody<T extends TSchema>(schema: T, value: unknown): Static<T> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Errors.INVALID_INPUT('body must be a JSON object');
  if (deeperThan(value, MAX_DEPTH)) throw new Errors.INVALID_INPUT(`body is nested more than ${MAX_DEPTH} levels deep`);
  const withDefaults = Value.Default(schema, Value.Clone(value));
  if (Value.Check(schema, withDefaults)) return withDefaults;
  const first = Value.Errors(schema, withDefaults)[0];
  const field = first?.instancePath ? `body${first.instancePath.replaceAll('/', '.')}` : 'body';
  throw new Errors.INVALID_INPUT(`${field} ${first?.message.toLowerCase() ?? 'is invalid'}`);
}

/**
 * A preValidation hook refusing integer query parameters that are not plain digits. The TypeBox
 * compiler converts query strings before checking them, and its conversion truncates ("1.5" → 1)
 * and reads "true" as 1: `?timeout_ms=true` was a 1 ms deadline (a 504) instead of a 400.
 */
export function plainIntegerQuery(schema: TObject): (request: FastifyRequest) => Promise<void> {
  const keys = Object.entries(schema.properties)
    .filter(([, s]) => (s as { type?: unknown }).type === 'integer')
    .map(([k]) => k);
  return async (request) => {
    const query = request.query as Record<string, unknown>;
    for (const key of keys) {
      const v = query[key];
      if (v !== undefined && !(typeof v === 'string' && /^[0-9]+$/.test(v))) throw new Errors.INVALID_INPUT(`querystring/${key} must be integer`);
    }
  };
}
