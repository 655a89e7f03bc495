// Waits with a deadline: a condition or an event, failing with what was awaited when the deadline passes.
import { once, type EventEmitter } from 'node:events';

export interface WaitOptions {
  /** What is awaited, in words: the failure message is `waited <deadlineMs> ms for <what>`. */
  what: string;
  /** Fail after this long. A deadline bounds a hang; it is not a claim about speed. */
  deadlineMs?: number;
  /** Pause between checks that cost something (a request); a cheap check needs none. */
  everyMs?: number;
}

const DEFAULT_DEADLINE_MS = 10_000;

/**
 * Resolves with the first truthy value of `check` (sync or async), checked again every `everyMs`
 * (default 1 ms, a turn of the event loop's timers), and rejects once `deadlineMs` has passed.
 */
export async function waitFor<T>(check: () => T | Promise<T>, { what, deadlineMs = DEFAULT_DEADLINE_MS, everyMs = 1 }: WaitOptions): Promise<NonNullable<T>> {
  const deadline = performance.now() + deadlineMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (performance.now() > deadline) throw new Error(`waited ${deadlineMs} ms for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** Resolves with the arguments of the next `event` on `emitter`; rejects at the deadline (or on 'error'). */
export async function waitForEvent(emitter: EventEmitter, event: string, { what, deadlineMs = DEFAULT_DEADLINE_MS }: Omit<WaitOptions, 'everyMs'>): Promise<unknown[]> {
  const signal = AbortSignal.timeout(deadlineMs);
  try {
    return await once(emitter, event, { signal });
  } catch (err) {
    if (signal.aborted) throw new Error(`waited ${deadlineMs} ms for ${what}`, { cause: err });
    throw err;
  }
}
