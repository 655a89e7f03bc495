// Every duration has a maximum: Node's timers keep at most 2^31 − 1 ms and fire after 1 ms past it,
// so a longer setting, manifest field or request timeout_ms is refused with its bound, and the
// request lifecycle clamps its deadline timer to the same bound for any caller that slips past them.
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { TSchema } from 'typebox';
import { ConfigError, loadConfig, MAX_DURATION_MS, SETTINGS } from '../../server/config.ts';
import { parseManifest } from '../../server/repository/manifest.ts';
import { Request } from '../../server/runtime/request.ts';
import * as tasks from '../../server/schemas/tasks.ts';
import * as textTasks from '../../server/schemas/text-tasks.ts';

/** setTimeout's largest delay (Node fires after 1 ms past it). */
const TIMER_MAX = 2 ** 31 - 1;
const DURATIONS = Object.entries(SETTINGS).filter(([key]) => key.endsWith('Ms')) as [string, { flag: string; max?: number }][];

/** Every `timeout_ms` property schema anywhere inside `schema`. */
function timeoutFields(schema: unknown): { maximum?: number }[] {
  if (typeof schema !== 'object' || schema === null) return [];
  const own = (schema as { properties?: Record<string, unknown> }).properties?.timeout_ms;
  return [...(own ? [own as { maximum?: number }] : []), ...Object.values(schema).flatMap(timeoutFields)];
}

describe('duration maxima', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('is the longest timer Node keeps', () => {
    expect(MAX_DURATION_MS).toBe(TIMER_MAX);
  });

  it('every duration setting has a maximum of at most 2^31 − 1 ms; one more is a config error naming it', () => {
    expect(DURATIONS.map(([key]) => key).sort()).toEqual(['drainTimeoutMs', 'headersTimeoutMs', 'keepAliveTimeoutMs', 'maxQueueDelayMs', 'rateLimitWindowMs', 'requestTimeoutMs', 'timeoutMs']);
    for (const [key, s] of DURATIONS) {
      expect(s.max, key).toBeDefined();
      expect(s.max!, key).toBeLessThanOrEqual(TIMER_MAX);
      expect(() => loadConfig([`--${s.flag}`, String(2 ** 31)], {}), key).toThrow(ConfigError);
      expect(() => loadConfig([`--${s.flag}`, String(2 ** 31)], {}), key).toThrow(new RegExp(`to ${s.max}, got '2147483648'$`));
    }
  });

  it("the manifest's batching durations refuse more than 2^31 − 1 ms, naming the bound", () => {
    expect(parseManifest({ batching: { timeout_ms: TIMER_MAX, max_queue_delay_ms: TIMER_MAX } }).batching?.timeout_ms).toBe(TIMER_MAX);
    expect(() => parseManifest({ batching: { timeout_ms: 2 ** 31 } })).toThrow('invalid manifest: /batching/timeout_ms: must be <= 2147483647');
    expect(() => parseManifest({ batching: { max_queue_delay_ms: 2 ** 40 } })).toThrow('invalid manifest: /batching/max_queue_delay_ms: must be <= 2147483647');
  });

  it('every request timeout_ms of the task routes has the same maximum', () => {
    const fields = [...Object.values(tasks), ...Object.values(textTasks)].flatMap((s) => timeoutFields(s as TSchema));
    expect(fields.length).toBeGreaterThanOrEqual(9);
    for (const f of fields) expect(f.maximum).toBe(TIMER_MAX);
  });

  it('a deadline longer than the longest timer is clamped to it, not turned into a 1 ms deadline', () => {
    vi.useFakeTimers();
    const request = new Request<string>('m', 2 ** 32);
    expect(request.timeoutMs).toBe(TIMER_MAX);
    vi.advanceTimersByTime(10);
    expect(request.settled).toBe(false);
    request.resolve('done');
    expect(request.settled).toBe(true);
  });
});
