// The soak report: the steady mixed load's answers, the server's memory, heap and event-loop
// trends after warm-up, and the checks they are held to; markdown plus the same object as JSON.
import type { Machine } from '../bench/machine.ts';
import { fmt, renderChecks, type Check } from './output.ts';
import type { LoadSpec, PlanOutcome, StreamSpec } from './plan.ts';
import { slopePerMinute, span, type Span } from './trend.ts';
import type { Sample } from './watch.ts';

export interface SoakSample {
  rss_mb: number | null;
  heap_used_mb: number | null;
  loop_p99_ms: number | null;
}

export type Series = keyof SoakSample;
const SERIES: Series[] = ['rss_mb', 'heap_used_mb', 'loop_p99_ms'];

export interface Trend extends Span {
  /** Least-squares slope over the samples after warm-up, per minute. */
  slope_per_min: number | null;
  points: number;
}

export interface SoakReport {
  date: string;
  quick: boolean;
  machine: Machine;
  config: {
    minutes: number;
    sample_seconds: number;
    /** Samples before this are warm-up, left out of the trends. */
    warmup_s: number;
    loads: LoadSpec[];
    streams: StreamSpec;
    server_env: Record<string, string>;
    /** RSS slope that fails a full run, MB per minute (quick runs only report it). */
    max_rss_slope_mb_per_min: number;
    slope_enforced: boolean;
  };
  outcome: PlanOutcome;
  errors: { server_5xx: number; other_non2xx: number; shed_429: number; connection: number; streams: number; scrapes_failed: number };
  trends: Record<Series, Trend>;
  samples: Sample<SoakSample>[];
  server_running: boolean;
  checks: Check[];
  ok: boolean;
}

export function trends(samples: Sample<SoakSample>[], warmupS: number): Record<Series, Trend> {
  const after = samples.filter((s) => s.t_s >= warmupS);
  const trend = (k: Series): Trend => {
    const points = after.flatMap((s) => (s.value[k] === null ? [] : [{ t_s: s.t_s, v: s.value[k] }]));
    return { ...span(samples.map((s) => s.value[k])), slope_per_min: slopePerMinute(points), points: points.length };
  };
  return Object.fromEntries(SERIES.map((k) => [k, trend(k)])) as Record<Series, Trend>;
}

/** Counts the answers that are not plain successes, by kind. */
export function errorCounts(outcome: PlanOutcome, scrapesFailed: number): SoakReport['errors'] {
  const count = (pick: (status: number) => boolean) => outcome.loads.reduce((sum, l) => sum + Object.entries(l.by_status).reduce((s, [status, n]) => s + (pick(Number(status)) ? n : 0), 0), 0);
  return {
    server_5xx: count((s) => s >= 500),
    other_non2xx: count((s) => s < 200 || (s >= 300 && s < 500 && s !== 429)),
    shed_429: count((s) => s === 429),
    connection: outcome.loads.reduce((s, l) => s + l.errors, 0),
    streams: outcome.streams?.errors ?? 0,
    scrapes_failed: scrapesFailed,
  };
}

export function soakChecks(r: Omit<SoakReport, 'checks' | 'ok'>): Check[] {
  const e = r.errors;
  const rss = r.trends.rss_mb.slope_per_min;
  const limit = r.config.max_rss_slope_mb_per_min;
  return [
    { subject: 'answers', check: 'no 5xx', holds: e.server_5xx === 0, detail: `${e.server_5xx} 5xx` },
    { subject: 'answers', check: 'no other non-2xx (a 4xx means the load itself is wrong)', holds: e.other_non2xx === 0, detail: `${e.other_non2xx}; 429s (reported, allowed): ${e.shed_429}` },
    { subject: 'connections', check: 'no connection errors or timeouts', holds: e.connection === 0, detail: `${e.connection}` },
    { subject: 'streams', check: 'every SSE generation finished', holds: e.streams === 0, detail: `${e.streams} failed` },
    {
      subject: 'memory',
      check: `RSS slope after warm-up ≤ ${limit} MB/min`,
      holds: !r.config.slope_enforced || (rss !== null && rss <= limit),
      detail: `${fmt(rss, 2)} MB/min${r.config.slope_enforced ? '' : ' (reported only: run too short to judge)'}`,
    },
    { subject: 'server', check: 'still running', holds: r.server_running, detail: r.server_running ? 'yes' : 'the server process exited' },
  ];
}

export function renderSoak(r: SoakReport): string {
  const c = r.config;
  const env =
    Object.entries(c.server_env)
      .map(([k, v]) => `${k}=${v}`)
      .join(', ') || 'none (manifest defaults)';
  const loads = r.outcome.loads.map(
    (l) =>
      `| ${l.model} (${l.route}) | ${fmt(l.rate)} | ${l.answers} | ${fmt(l.accepted_per_s, 1)} | ${
        Object.entries(l.rejected.by_code)
          .map(([code, n]) => `${n}× ${code}`)
          .join(', ') || '0'
      } | ${l.errors} | ${fmt(l.accepted.p50_ms)} / ${fmt(l.accepted.p99_ms)} / ${fmt(l.accepted.max_ms)} |`,
  );
  const st = r.outcome.streams;
  const unit: Record<Series, string> = { rss_mb: 'MB', heap_used_mb: 'MB', loop_p99_ms: 'ms' };
  const trendRows = SERIES.map((k) => {
    const t = r.trends[k];
    return `| ${k} | ${fmt(t.start, 1)} | ${fmt(t.peak, 1)} | ${fmt(t.end, 1)} | ${fmt(t.slope_per_min, 2)} ${unit[k]}/min | ${t.points} |`;
  });
  const failed = r.checks.filter((x) => !x.holds);
  return (
    [
      `# ortserve soak — ${r.date}${r.quick ? ' (quick)' : ''}`,
      '',
      `Machine: ${r.machine.cores} cores (${r.machine.cpu}), Node ${r.machine.node}, onnxruntime-node ${r.machine.onnxruntime}, ${r.machine.platform}. Server settings: ${env}.`,
      '',
      `${fmt(c.minutes, 2)} min of a steady mix over ${c.loads.length} model routes (open-loop requests at seeded Poisson arrival times plus ${c.streams.streams} SSE streams of ${c.streams.tokens} tokens, ${c.streams.pauseMs} ms apart), from its own process; every ${c.sample_seconds} s this process read the server's VmRSS (/proc) and its /metrics (heap used, event-loop p99 since the previous scrape). Trends are least-squares slopes over the samples after ${fmt(c.warmup_s)} s of warm-up.`,
      '',
      `**${failed.length === 0 ? 'All checks hold.' : `${failed.length} check(s) fail.`}**`,
      '',
      '| route | asked req/s | answers | 2xx req/s | non-2xx | conn errors | 2xx p50 / p99 / max ms |',
      '|---|---|---|---|---|---|---|',
      ...loads,
      '',
      st ? `SSE streams: ${fmt(st.tokens_per_s)} tokens/s, TTFT p50 ${fmt(st.ttft_p50, 1)} ms, p99 ${fmt(st.ttft_p99, 1)} ms, ${st.errors} errors.` : '',
      '',
      '| series | start | peak | end | slope after warm-up | points |',
      '|---|---|---|---|---|---|',
      ...trendRows,
      '',
      '## Checks',
      '',
      ...renderChecks(r.checks),
    ].join('\n') + '\n'
  );
}
