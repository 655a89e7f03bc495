// The stall report: per single request, its answer and what /health/live saw meanwhile; the
// checks each is held to (a 2xx or a 4xx JSON error, and the probe's maximum within the bound);
// markdown for people, the same object as JSON for machines.
import type { Machine } from '../bench/machine.ts';
import { fmt, renderChecks, type Check } from './output.ts';

export interface StallResult {
  name: string;
  sent: string;
  path: string;
  body_bytes: number;
  /** null: no answer (the connection failed or the request timed out, see `failure`). */
  status: number | null;
  failure: 'timeout' | 'connection' | null;
  /** The error body's code (ortserve's `code`, OpenAI's `error.code`). */
  code: string | null;
  /** An error answer's body was JSON with a `code` or an `error`. */
  json_error: boolean;
  ms: number;
  /** /health/live probes overlapping [sent, answered + tail_ms]. */
  probe: { n: number; p99_ms: number | null; max_ms: number | null };
}

export interface StallReport {
  date: string;
  quick: boolean;
  machine: Machine;
  config: {
    scale: number;
    body_limit: number;
    probe_interval_ms: number;
    probe_max_limit_ms: number;
    tail_ms: number;
    pause_ms: number;
    request_timeout_s: number;
    server_env: Record<string, string>;
  };
  requests: StallResult[];
  server_running: boolean;
  checks: Check[];
  ok: boolean;
}

const answered = (r: StallResult) => (r.status === null ? `no answer (${r.failure})` : `${r.status}${r.code ? ` ${r.code}` : ''}`);

/** A 2xx, or a 4xx whose body is a JSON error: never a 5xx, a reset or a hang. */
export const answerOk = (r: StallResult) => r.status !== null && ((r.status >= 200 && r.status < 300) || (r.status >= 400 && r.status < 500 && r.json_error));

export const probeOk = (r: StallResult, limitMs: number) => r.probe.max_ms !== null && r.probe.max_ms <= limitMs;

export function stallChecks(requests: StallResult[], limitMs: number, serverRunning: boolean): Check[] {
  return [
    ...requests.flatMap((r) => [
      {
        subject: r.name,
        check: '2xx, or 4xx with a JSON error body',
        holds: answerOk(r),
        detail: `${answered(r)}${r.status !== null && r.status >= 400 && !r.json_error ? ', body not a JSON error' : ''} after ${fmt(r.ms)} ms`,
      },
      { subject: r.name, check: `/health/live max ≤ ${limitMs} ms`, holds: probeOk(r, limitMs), detail: `max ${fmt(r.probe.max_ms, 1)} ms, p99 ${fmt(r.probe.p99_ms, 1)} ms over ${r.probe.n} probes` },
    ]),
    { subject: 'server', check: 'still running', holds: serverRunning, detail: serverRunning ? 'yes' : 'the server process exited' },
  ];
}

export function renderStall(r: StallReport): string {
  const c = r.config;
  const env =
    Object.entries(c.server_env)
      .map(([k, v]) => `${k}=${v}`)
      .join(', ') || 'none (defaults)';
  const failed = r.checks.filter((x) => !x.holds);
  const rows = r.requests.map(
    (q) =>
      `| ${q.name} | \`POST ${q.path}\` ${q.sent} | ${q.body_bytes.toLocaleString('en-US')} | ${q.status ?? q.failure} | ${q.code ?? ''} | ${fmt(q.ms)} | ${fmt(q.probe.max_ms, 1)} | ${fmt(q.probe.p99_ms, 1)} | ${q.probe.n} | ${answerOk(q) && probeOk(q, c.probe_max_limit_ms) ? 'PASS' : '**FAIL**'} |`,
  );
  return (
    [
      `# ortserve stall — ${r.date}${r.quick ? ' (quick)' : ''}`,
      '',
      `Machine: ${r.machine.cores} cores (${r.machine.cpu}), Node ${r.machine.node}, onnxruntime-node ${r.machine.onnxruntime}, ${r.machine.platform}. Server settings: ${env}; body limit ${c.body_limit.toLocaleString('en-US')} bytes.`,
      '',
      `Single requests that must not stall the server: ortserve on loopback with its default settings and bundled models, and a separate process probing \`GET /health/live\` every ${c.probe_interval_ms} ms (the next probe ${c.probe_interval_ms} ms after the last answer). Each request below is sent alone, ${c.pause_ms} ms after the previous answer, with a ${c.request_timeout_s} s timeout; its probe figures cover every probe that overlapped the time from sending it to ${c.tail_ms} ms after its answer, a probe still waiting at the end counted at the time it had waited.${c.scale === 1 ? '' : ` Sizes scaled by ${c.scale} (quick run).`}`,
      '',
      `**${failed.length === 0 ? 'All checks hold.' : `${failed.length} check(s) fail.`}**`,
      '',
      '| request | sent | body bytes | status | code | time ms | /health/live max ms | p99 ms | probes | result |',
      '|---|---|---|---|---|---|---|---|---|---|',
      ...rows,
      '',
      `PASS: the answer is a 2xx or a 4xx with a JSON error body (never a 5xx, a reset or a timeout), and the probe's maximum latency is ≤ ${c.probe_max_limit_ms} ms.`,
      '',
      '## Checks',
      '',
      ...renderChecks(r.checks),
    ].join('\n') + '\n'
  );
}
