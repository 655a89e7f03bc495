// Watches the server from outside: resident memory from /proc/<pid>/status and unlabelled
// gauges from its Prometheus /metrics, sampled on an interval.
import { readFileSync } from 'node:fs';

/** VmRSS of a process in MB, or null when it is gone (or /proc is not there). */
export function rssMb(pid: number): number | null {
  try {
    const kb = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return kb === undefined ? null : Number(kb) / 1024;
  } catch {
    return null;
  }
}

/** The values of unlabelled samples in the server's /metrics (null for names it does not expose). */
export async function gauges<N extends string>(url: string, names: readonly N[]): Promise<Record<N, number | null>> {
  const text = await fetch(`${url}/metrics`, { signal: AbortSignal.timeout(5000) }).then((r) => r.text());
  const value = (name: string) => {
    const m = new RegExp(`^${name} (\\S+)$`, 'm').exec(text);
    return m ? Number(m[1]) : null;
  };
  return Object.fromEntries(names.map((n) => [n, value(n)])) as Record<N, number | null>;
}

export interface Sample<T> {
  /** Seconds since sampling started. */
  t_s: number;
  value: T;
}

export interface Sampler<T> {
  samples: Sample<T>[];
  stop(): Promise<Sample<T>[]>;
}

/** Calls `read` now and then every `ms` (never two at once) until stopped. */
export function sampleEvery<T>(ms: number, read: () => T | Promise<T>): Sampler<T> {
  const samples: Sample<T>[] = [];
  const start = performance.now();
  let running = true;
  let wake = () => {};
  const loop = (async () => {
    while (running) {
      const t_s = (performance.now() - start) / 1000;
      samples.push({ t_s, value: await read() });
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, ms);
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  })();
  return {
    samples,
    async stop() {
      running = false;
      wake();
      await loop;
      return samples;
    },
  };
}
