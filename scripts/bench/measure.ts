// One measured load of the benchmark, and the raw embed ceiling it is held against. A load is
// warmed up, then run while /health/live is probed from its own process and, for ortserve, the
// server's own figures are read over it (server-stats.ts: ELU, padded tokens, CPU seconds).
import { probeLiveness, type LiveSummary, type LoadResult } from './load.ts';
import { runJson } from './processes.ts';
import { watchServer, type ServerStats } from './server-stats.ts';

export interface Timing {
  /** Seconds of the measured load. */
  seconds: number;
  /** Seconds of the unmeasured run before it. */
  warm: number;
}

/** Warms up, then measures `load` while probing liveness and, given `watch`, watching the server process. */
export async function measure<R extends LoadResult>(o: {
  url: string;
  load: (seconds: number) => Promise<R>;
  timing: Timing;
  watch?: { pid: number; model?: string };
}): Promise<R & { live: LiveSummary; server?: ServerStats }> {
  await o.load(o.timing.warm);
  const probe = probeLiveness(o.url);
  const server = o.watch ? await watchServer({ url: o.url, pid: o.watch.pid }, o.watch.model) : undefined;
  const result = await o.load(o.timing.seconds);
  const stats = await server?.stop();
  return { ...result, live: await probe.stop(), ...(stats ? { server: stats } : {}) };
}

/** raw-embed.ts's answer: the best batch's sentences per second and CPU seconds per sentence, and every size tried. */
export interface RawEmbed {
  items_per_s: number;
  cpu_s_per_item: number;
  best_batch: number;
  tried: Record<string, number>;
  cpu_s_per_item_tried: Record<string, number>;
}

/** The raw bert-mini ceiling (raw-embed.ts) with the server's settings, `seconds` per batch size. */
export const rawEmbed = (o: { instances: number; threads: number; seconds: number; sizes: number[] }) =>
  runJson<RawEmbed>('scripts/bench/raw-embed.ts', [String(o.instances), String(o.threads), String(o.seconds), o.sizes.join(',')]);
