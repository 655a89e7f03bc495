// What a benchmark reads from the server itself over a load: its main thread's event-loop
// utilisation (perf_hooks, exported as running totals) and the padded and real tokens of its text
// batches, as the difference between a /metrics scrape before and one after, and the CPU seconds
// of all its threads (/proc/<pid>/stat) between the two.
import parse from 'parse-prometheus-text-format';
import { processCpuSeconds } from './cpu.ts';

export interface ServerStats {
  /** The main thread's event-loop utilisation over the window, 0..1. */
  elu: number;
  /** Padded tokens per real token of the text batches run in the window (null: none ran). */
  padded_per_real: number | null;
  /** CPU seconds the server process used over the window, every thread (main, workers, onnxruntime, libuv). */
  cpu_s: number;
}

type Totals = { busy: number; idle: number; padded: number; real: number };

async function totals(url: string, model?: string): Promise<Totals> {
  const families = parse(await (await fetch(`${url}/metrics`)).text()) as { name: string; metrics: { value: string; labels?: Record<string, string> }[] }[];
  const sum = (name: string, labels: Record<string, string> = {}) =>
    (families.find((f) => f.name === name)?.metrics ?? []).filter((m) => Object.entries(labels).every(([k, v]) => m.labels?.[k] === v)).reduce((s, m) => s + Number(m.value), 0);
  const tokens = (kind: string) => sum('ortserve_batch_tokens_total', { kind, ...(model ? { model } : {}) });
  return { busy: sum('ortserve_event_loop_busy_seconds_total'), idle: sum('ortserve_event_loop_idle_seconds_total'), padded: tokens('padded'), real: tokens('real') };
}

/** Starts a window on the server at `url` (process `pid`); `stop()` gives the server's figures over it. */
export async function watchServer(server: { url: string; pid: number }, model?: string): Promise<{ stop(): Promise<ServerStats> }> {
  const before = await totals(server.url, model);
  // Read after the scrape and before it on stop, so the window's CPU is the load's, not the scrapes'.
  const cpuBefore = processCpuSeconds(server.pid);
  return {
    async stop() {
      const cpu_s = processCpuSeconds(server.pid) - cpuBefore;
      const after = await totals(server.url, model);
      const busy = after.busy - before.busy;
      const idle = after.idle - before.idle;
      const real = after.real - before.real;
      return { elu: busy / (busy + idle || 1), padded_per_real: real > 0 ? (after.padded - before.padded) / real : null, cpu_s };
    },
  };
}
