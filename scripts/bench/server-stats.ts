// What a benchmark reads from the server itself over a load: its main thread's event-loop
// utilisation (perf_hooks, exported as running totals) and the padded and real tokens of its text
// batches, as the difference between a /metrics scrape before and one after.
import parse from 'parse-prometheus-text-format';

export interface ServerStats {
  /** The main thread's event-loop utilisation over the window, 0..1. */
  elu: number;
  /** Padded tokens per real token of the text batches run in the window (null: none ran). */
  padded_per_real: number | null;
}

type Totals = { busy: number; idle: number; padded: number; real: number };

async function totals(url: string, model?: string): Promise<Totals> {
  const families = parse(await (await fetch(`${url}/metrics`)).text()) as { name: string; metrics: { value: string; labels?: Record<string, string> }[] }[];
  const sum = (name: string, labels: Record<string, string> = {}) =>
    (families.find((f) => f.name === name)?.metrics ?? [])
      .filter((m) => Object.entries(labels).every(([k, v]) => m.labels?.[k] === v))
      .reduce((s, m) => s + Number(m.value), 0);
  const tokens = (kind: string) => sum('ortserve_batch_tokens_total', { kind, ...(model ? { model } : {}) });
  return { busy: sum('ortserve_event_loop_busy_seconds_total'), idle: sum('ortserve_event_loop_idle_seconds_total'), padded: tokens('padded'), real: tokens('real') };
}

/** Starts a window; `stop()` gives the server's figures over it. */
export async function watchServer(url: string, model?: string): Promise<{ stop(): Promise<ServerStats> }> {
  const before = await totals(url, model);
  return {
    async stop() {
      const after = await totals(url, model);
      const busy = after.busy - before.busy;
      const idle = after.idle - before.idle;
      const real = after.real - before.real;
      return { elu: busy / (busy + idle || 1), padded_per_real: real > 0 ? (after.padded - before.padded) / real : null };
    },
  };
}
