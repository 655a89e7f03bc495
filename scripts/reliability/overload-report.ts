// The overload report: per model, capacity, the answers under ~10× that rate, memory and recovery;
// the invariants they are held to; markdown for people, the same object as JSON for machines.
import type { Machine } from '../bench/machine.ts';
import type { RouteName } from '../bench/requests.ts';
import { fmt, renderChecks, type Check } from './output.ts';
import type { LoadOutcome } from './plan.ts';
import type { Recovery } from './recovery.ts';
import type { Span } from './trend.ts';

export interface Limits {
  /** Peak server RSS allowed during an overload, MB. */
  max_rss_mb: number;
  /** Seconds after the load stops by which single-connection p50 must be back. */
  recovery_limit_s: number;
}

export interface ModelRun {
  route: RouteName;
  model: string;
  /** The model's batching.timeout_ms, from GET /v1/models/:model. */
  timeout_ms: number;
  /** Requests the model can hold before it must reject: max_queue_size + max_batch_size × instances. */
  max_held: number;
  /** Closed loop at a moderate number of connections. */
  capacity: LoadOutcome;
  /** autocannon at factor × capacity.accepted_per_s. */
  overload: LoadOutcome;
  rss_mb: Span & { samples: number };
  recovery: Recovery;
  /** The model's counters after the run (cumulative), from GET /v1/models/:model. */
  server_stats: Record<string, number>;
  server_running: boolean;
}

export interface OverloadReport {
  date: string;
  quick: boolean;
  machine: Machine;
  config: { factor: number; seconds: number; connections: number; capacity_connections: number; capacity_seconds: number; server_env: Record<string, string>; limits: Limits };
  models: ModelRun[];
  checks: Check[];
  ok: boolean;
}

const nonOk = (o: LoadOutcome) =>
  Object.entries(o.rejected.by_code)
    .map(([code, n]) => `${n}× ${code}`)
    .join(', ') || 'none';

export function overloadChecks(run: ModelRun, limits: Limits): Check[] {
  const { capacity: c, overload: o, recovery: r } = run;
  const subject = `${run.model} (${run.route})`;
  return [
    {
      subject,
      check: 'every non-2xx is a 429/503 with Retry-After',
      holds: c.rejected.not_allowed + o.rejected.not_allowed === 0,
      detail: `non-2xx: ${nonOk(o)}; without Retry-After: ${o.rejected.missing_retry_after}; not allowed: ${o.rejected.not_allowed} (capacity run: ${c.rejected.not_allowed})`,
    },
    { subject, check: 'no connection errors or timeouts', holds: c.errors + o.errors === 0, detail: `errors ${o.errors} (timeouts ${o.timeouts}); capacity run ${c.errors}` },
    {
      subject,
      check: 'accepted answers within timeout_ms',
      holds: (o.accepted.max_ms ?? 0) <= run.timeout_ms,
      detail: `max ${fmt(o.accepted.max_ms)} ms, p99 ${fmt(o.accepted.p99_ms)} ms, timeout ${run.timeout_ms} ms${o.accepted.count === 0 ? ' (no 2xx answers)' : ''}`,
    },
    { subject, check: `server RSS ≤ ${limits.max_rss_mb} MB`, holds: run.rss_mb.peak !== null && run.rss_mb.peak <= limits.max_rss_mb, detail: `peak ${fmt(run.rss_mb.peak)} MB` },
    {
      subject,
      check: `recovers within ${limits.recovery_limit_s} s`,
      holds: r.seconds !== null && r.seconds <= limits.recovery_limit_s,
      detail: r.seconds === null ? `not back after ${r.give_up_s} s` : `back after ${fmt(r.seconds, 1)} s (p50 ≤ ${fmt(r.target_ms, 1)} ms)`,
    },
    { subject, check: 'server still running', holds: run.server_running, detail: run.server_running ? 'yes' : 'the server process exited' },
  ];
}

export function renderOverload(r: OverloadReport): string {
  const c = r.config;
  const rows = r.models.map((m) => {
    const o = m.overload;
    const cap = m.capacity.accepted_per_s;
    const s = o.by_status;
    const other = o.rejected.count - (s['429'] ?? 0) - (s['503'] ?? 0);
    return `| ${m.model} | ${m.timeout_ms} | ${m.max_held} | ${fmt(cap)} | ${fmt(o.rate)} | ${fmt(o.answers_per_s)} (${fmt(o.answers_per_s / cap, 1)}×) | ${fmt(o.accepted_per_s)} (${fmt(o.accepted_per_s / cap, 2)}×) | ${s['429'] ?? 0} | ${s['503'] ?? 0} | ${other} | ${o.rejected.missing_retry_after} | ${o.errors} / ${o.timeouts} | ${fmt(o.accepted.p99_ms)} / ${fmt(o.accepted.max_ms)} | ${fmt(m.rss_mb.start)} / ${fmt(m.rss_mb.peak)} / ${fmt(m.rss_mb.end)} | ${fmt(m.recovery.baseline_p50_ms, 1)} | ${m.recovery.seconds === null ? 'never' : fmt(m.recovery.seconds, 1)} |`;
  });
  const env =
    Object.entries(c.server_env)
      .map(([k, v]) => `${k}=${v}`)
      .join(', ') || 'none (manifest defaults)';
  const failed = r.checks.filter((x) => !x.holds);
  return (
    [
      `# ortserve overload — ${r.date}${r.quick ? ' (quick)' : ''}`,
      '',
      `Machine: ${r.machine.cores} cores (${r.machine.cpu}), Node ${r.machine.node}, onnxruntime-node ${r.machine.onnxruntime}, ${r.machine.platform}. Server settings: ${env}.`,
      '',
      `Per model: capacity = 2xx req/s of a closed loop at ${c.capacity_connections} connections for ${c.capacity_seconds} s; then autocannon asked for ${c.factor}× that rate with up to ${c.connections} connections for ${c.seconds} s, from its own process, while this process read the server's VmRSS every 500 ms; then single-connection p50 was measured until back within max(1.5 × baseline, baseline + 5 ms).`,
      '',
      `**${failed.length === 0 ? 'All invariants hold.' : `${failed.length} invariant(s) fail.`}**`,
      '',
      '| model | timeout ms | queue + batch | capacity req/s | asked req/s | answered req/s (× cap) | 2xx req/s (× cap) | 429 | 503 | other non-2xx | no Retry-After | errors / timeouts | 2xx p99 / max ms | RSS MB start / peak / end | baseline p50 ms | recovery s |',
      '|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|',
      ...rows,
      '',
      '"answered" counts every answer; when it is below "asked", autocannon\'s connections were all waiting on the server (its HTTP layer, or the load generator on the same cores, was the limit).',
      '',
      '## Invariants',
      '',
      ...renderChecks(r.checks),
    ].join('\n') + '\n'
  );
}
