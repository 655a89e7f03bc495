// A thread's CPU priority (Linux nice values are per thread): the inference workers and the
// tokenizer thread run slightly below the event loop, so that health checks and request parsing
// win the CPU when every core is busy. See worker.ts for why nice 2 and when it changes.
import { readlinkSync } from 'node:fs';
import { setPriority } from 'node:os';

/** This thread's kernel id, or undefined off Linux (the thread then keeps the default priority). */
export const threadId = (() => {
  try {
    const tid = Number(readlinkSync('/proc/thread-self').split('/').at(-1));
    return Number.isInteger(tid) ? tid : undefined;
  } catch {
    return undefined;
  }
})();

/** Sets this thread's nice value; returns the OS's refusal (lowering it needs CAP_SYS_NICE or RLIMIT_NICE), if any. */
export function setThreadNice(nice: number): Error | undefined {
  try {
    if (threadId !== undefined) setPriority(threadId, nice);
    return undefined;
  } catch (err) {
    return err as Error;
  }
}
