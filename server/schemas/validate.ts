// Validation for bodies whose schema depends on the model's task (checked in the handler).
import type { Static, TSchema } from 'typebox';
import { Value } from 'typebox/value';
import { Errors } from '../errors.ts';

/** Applies defaults and checks `value`; throws INVALID_INPUT naming the first bad field. */
export function parseBody<T extends TSchema>(schema: T, value: unknown): Static<T> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Errors.INVALID_INPUT('body must be a JSON object');
  const withDefaults = Value.Default(schema, Value.Clone(value));
  if (Value.Check(schema, withDefaults)) return withDefaults as Static<T>;
  const first = Value.Errors(schema, withDefaults)[0];
  const field = first?.instancePath ? `body${first.instancePath.replaceAll('/', '.')}` : 'body';
  throw new Errors.INVALID_INPUT(`${field} ${first?.message.toLowerCase() ?? 'is invalid'}`);
}
