// Single-connection latency of one route, measured from this process with sequential requests:
// the baseline before an overload, and how long after it the route is back near that baseline.
import { assertLoopback, percentile } from '../bench/load.ts';
import type { RouteLoad } from '../bench/requests.ts';
import { post } from './send.ts';

interface Window {
  p50_ms: number;
  /** Answers that were not 2xx, and requests that got no answer. */
  non2xx: number;
}

/** `n` requests one after the other on one keep-alive connection. */
export async function sequential(url: string, load: RouteLoad, n: number, timeoutMs = 30_000): Promise<Window> {
  assertLoopback(url);
  const ms: number[] = [];
  let non2xx = 0;
  for (let i = 0; i < n; i++) {
    const r = await post(url, load, i, timeoutMs);
    ms.push(r.ms);
    if (r.status === null || r.status < 200 || r.status >= 300) non2xx++;
  }
  return { p50_ms: percentile(ms, 50), non2xx };
}

export interface Recovery {
  baseline_p50_ms: number;
  /** Back means a window's p50 within max(1.5 × baseline, baseline + 5 ms), every answer 2xx. */
  target_ms: number;
  /** Seconds from the end of the load to the end of the first window that was back; null: never, within `give_up_s`. */
  seconds: number | null;
  give_up_s: number;
  windows: { t_s: number; p50_ms: number; non2xx: number }[];
}

export const recoveryTarget = (baselineMs: number) => Math.max(1.5 * baselineMs, baselineMs + 5);

/** Measures windows of `windowSize` sequential requests from `loadEnd` (a performance.now() time) until one is back. */
export async function timeToRecover(o: { url: string; load: RouteLoad; baselineMs: number; loadEnd: number; windowSize: number; giveUpS: number }): Promise<Recovery> {
  const target = recoveryTarget(o.baselineMs);
  const windows: Recovery['windows'] = [];
  for (;;) {
    const w = await sequential(o.url, o.load, o.windowSize, o.giveUpS * 1000);
    const t_s = (performance.now() - o.loadEnd) / 1000;
    windows.push({ t_s, ...w });
    const back = w.non2xx === 0 && w.p50_ms <= target;
    if (back || t_s > o.giveUpS) return { baseline_p50_ms: o.baselineMs, target_ms: target, seconds: back ? t_s : null, give_up_s: o.giveUpS, windows };
  }
}
