// The scale report as Markdown: the checks, the balancer-vs-direct rounds, and one section per
// scenario (timeline, facts, requests, streams, throughput, each replica's counters at HAProxy).
import { fmt, renderChecks, type Check } from '../reliability/output.ts';
import type { RatioResult } from './ratio.ts';
import type { ScenarioResult } from './scenarios.ts';

export interface ScaleReport {
  date: string;
  quick: boolean;
  machine: object;
  /** The machine's 1-minute load average when the run started and ended (other work shares the cores). */
  load_average: { start: number; end: number };
  config: {
    replicas: number;
    models: string[];
    load: object;
    timing: object;
    haproxy: { cfg: string; inter_ms: number; fastinter_ms: number; fall: number; rise: number };
  };
  cleanup: { before: object; after: { namespaces: string[]; links: string[]; routes: string[]; processes: number[]; files: string[] } };
  ratio: RatioResult | null;
  scenarios: ScenarioResult[];
  error: string | null;
  checks: Check[];
  ok: boolean;
}

const statuses = (m: Record<string, number>) =>
  Object.entries(m)
    .map(([k, v]) => `${v} × ${k}`)
    .join(', ') || '–';

const spread = (r: RatioResult, via: string) => {
  const xs = r.rounds.filter((x) => x.via === via).map((x) => x.answers_per_s);
  return `${fmt(Math.min(...xs))}–${fmt(Math.max(...xs))}`;
};

function scenario(s: ScenarioResult): string[] {
  const q = s.summary.requests;
  const st = s.summary.streams;
  const t = s.summary.throughput;
  const servers = Object.entries(s.summary.balancer);
  return [
    `## ${s.title}`,
    '',
    ...s.timeline.map((e) => `- ${e.at_s.toFixed(1)} s: ${e.what}`),
    '',
    '| fact | value |',
    '|---|---|',
    ...Object.entries(s.facts).map(([k, v]) => `| ${k} | ${v ?? 'n/a'} |`),
    '',
    '| requests sent | answered by status | lost (not 2xx/429) | connection errors | timeouts | non-2xx by code |',
    '|---|---|---|---|---|---|',
    `| ${q.sent} | ${statuses(q.by_status)} | ${q.lost} | ${q.connection_errors} | ${q.timeouts} | ${statuses(q.by_code)} |`,
    '',
    '| streams sent | completed | cut after starting | no answer / error status |',
    '|---|---|---|---|',
    `| ${st.sent} | ${st.completed} | ${st.cut} | ${st.not_started} |`,
    '',
    `Throughput (2xx answers/s): before ${fmt(t.before)}, during ${fmt(t.during)}, after ${fmt(t.after)}. Per second: ${t.per_second.join(' ')}.`,
    '',
    '| replica at the balancer | requests | 2xx | 4xx | 5xx | retries | redispatches | connection errors | response errors |',
    '|---|---|---|---|---|---|---|---|---|',
    ...servers.map(([n, c]) => `| ${n} | ${c.stot} | ${c.hrsp_2xx} | ${c.hrsp_4xx} | ${c.hrsp_5xx} | ${c.wretr} | ${c.wredis} | ${c.econ} | ${c.eresp} |`),
    '',
  ];
}

export function renderScale(r: ScaleReport): string {
  const c = r.config;
  const h = c.haproxy;
  const ratio = r.ratio;
  return [
    `# Scale-out: ortserve replicas behind HAProxy — ${r.date}${r.quick ? ' (quick)' : ''}`,
    '',
    `\`npm run scale-test${r.quick ? ' -- --quick' : ''}\` (scripts/scale.ts). ${c.replicas} replicas, each \`node server/server.ts --host <its address> --instances 1\` in its own network namespace (10.231.<n>.2, a veth pair to this host), serving ${c.models.join(', ')}; HAProxy on loopback in front with \`${h.cfg}\` (checks of /health/ready every ${h.inter_ms} ms, ${h.fastinter_ms} ms while changing state, fall ${h.fall}, rise ${h.rise}). Machine: ${JSON.stringify(r.machine)}; 1-minute load average ${r.load_average.start.toFixed(1)} at the start, ${r.load_average.end.toFixed(1)} at the end (the cores are shared with other work, which makes throughput figures noisy).`,
    '',
    `Load in every scenario, through the balancer: ${JSON.stringify(c.load)}; timing ${JSON.stringify(c.timing)}. "Lost" means neither 2xx nor 429: no answer, or any other status.`,
    '',
    r.error ? `**The run stopped early: ${r.error}**\n` : '',
    '## Checks',
    '',
    ...renderChecks(r.checks),
    '',
    `Verdict: ${r.ok ? 'every scenario check and the cleanup hold' : '**a scenario check or the cleanup failed**'}. The balancer-vs-direct checks are a measurement under saturation on shared cores: reported, not part of the verdict.`,
    '',
    ...(ratio
      ? [
          '## One replica: through the balancer vs direct',
          '',
          `Closed loops of ${ratio.connections} connections (embed, classify, V2 infer and generate in turn), ${ratio.round_seconds} s each after ${ratio.warmup_seconds} s of warm-up, the other replicas in maintenance (HAProxy \`set server … state maint\`). Ratio **${ratio.ratio.toFixed(2)}** (${fmt(ratio.balancer_per_s)} / ${fmt(ratio.direct_per_s)} 2xx/s, means of the rounds; rounds ranged ${spread(ratio, 'balancer')} through the balancer and ${spread(ratio, 'direct')} direct).`,
          '',
          '| round | via | 2xx/s | failed |',
          '|---|---|---|---|',
          ...ratio.rounds.map((x, i) => `| ${i + 1} | ${x.via} | ${fmt(x.answers_per_s)} | ${x.failures} |`),
          '',
        ]
      : []),
    ...r.scenarios.flatMap(scenario),
    '## Cleanup',
    '',
    `Left by an earlier run and removed at the start: ${JSON.stringify(r.cleanup.before)}. Left at the end: ${JSON.stringify(r.cleanup.after)}.`,
    '',
  ].join('\n');
}
