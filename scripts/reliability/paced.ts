// Open-loop load: requests at seeded Poisson arrival times at a mean rate, each sent without
// waiting for earlier answers — steady traffic, as many independent clients make it.
import { setTimeout as sleep } from 'node:timers/promises';
import { assertLoopback, type Answer } from '../bench/load.ts';
import type { RouteLoad } from '../bench/requests.ts';
import { createRng } from '../../server/runtime/random.ts';
import { post } from './send.ts';

export interface PacedOptions {
  url: string;
  load: RouteLoad;
  /** Mean requests per second. */
  rate: number;
  seconds: number;
  timeoutSeconds: number;
  seed: number;
  onAnswer: (answer: Answer) => void;
}

export interface PacedResult {
  sent: number;
  /** Failed requests (no answer), timeouts included. */
  errors: number;
  timeouts: number;
  /** Most requests waiting for an answer at once. */
  peakInFlight: number;
}

export async function paced(o: PacedOptions): Promise<PacedResult> {
  assertLoopback(o.url);
  const random = createRng(o.seed);
  const end = performance.now() + o.seconds * 1000;
  const r: PacedResult = { sent: 0, errors: 0, timeouts: 0, peakInFlight: 0 };
  const pending = new Set<Promise<void>>();
  let next = performance.now();
  for (;;) {
    next += (-Math.log(1 - random.uniform()) / o.rate) * 1000;
    if (next >= end) break;
    const wait = next - performance.now();
    if (wait > 0) await sleep(wait);
    const one = post(o.url, o.load, r.sent++, o.timeoutSeconds * 1000).then((a) => {
      if (a.status !== null) o.onAnswer(a);
      else {
        r.errors++;
        if (a.failure === 'timeout') r.timeouts++;
      }
    });
    pending.add(one);
    r.peakInFlight = Math.max(r.peakInFlight, pending.size);
    void one.finally(() => pending.delete(one));
  }
  await Promise.all(pending);
  return r;
}
