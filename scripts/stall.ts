// `npm run stall [-- --quick] [--out DIR]`: single requests that must not stall the server. Starts
// ortserve (a child on a free loopback port, default settings, bundled models) and, while another
// process probes /health/live every 5 ms, sends each of the largest requests a client may send
// (stall-requests.ts), one at a time. Each must get a 2xx or a 4xx JSON error, and the probe's
// maximum latency meanwhile must stay ≤ 100 ms. Writes stall.{md,json} (reliability/results, or a
// temp dir with --quick) and exits 1 when a check fails. --quick scales every request by 1/16.
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { loadConfig } from '../server/config.ts';
import { percentile, probeLiveness, type ProbeTimes } from './bench/load.ts';
import { machine } from './bench/machine.ts';
import { freePort, killWithParent, startOrtserve } from './bench/processes.ts';
import { outDir, serverEnv, writeReport } from './reliability/output.ts';
import { post } from './reliability/send.ts';
import { renderStall, stallChecks, type StallReport, type StallResult } from './reliability/stall-report.ts';
import { stallRequests, type StallRequest } from './reliability/stall-requests.ts';

const { values: args } = parseArgs({ options: { quick: { type: 'boolean', default: false }, out: { type: 'string' } } });
const quick = args.quick;
const config = {
  scale: quick ? 1 / 16 : 1,
  // The server child inherits this environment, so its body limit is the one read here.
  body_limit: loadConfig([], process.env).bodyLimit,
  probe_interval_ms: 5,
  probe_max_limit_ms: 100,
  /** A stall that starts as the answer leaves (freeing a huge body, say) still counts: probes are read this long after it. */
  tail_ms: 250,
  /** Quiet time between one answer and the next request. */
  pause_ms: 1000,
  request_timeout_s: quick ? 30 : 60,
  server_env: serverEnv(),
};

/** Wall-clock ms (the probe process stamps its probes the same way). */
const now = () => performance.timeOrigin + performance.now();

/** The probes that overlapped [from, to]. */
function during(probes: ProbeTimes, from: number, to: number): StallResult['probe'] {
  const ms = probes.filter(([sentAt, latency]) => sentAt < to && sentAt + latency > from).map((p) => p[1]);
  return { n: ms.length, p99_ms: ms.length ? percentile(ms, 99) : null, max_ms: ms.length ? Math.max(...ms) : null };
}

/** Sends each request alone, `pause_ms` apart; returns each answer with its probe window. */
async function sendEach(url: string, requests: StallRequest[]) {
  const sent = [];
  for (const r of requests) {
    console.log(`${r.name} (${r.body_bytes.toLocaleString('en-US')} bytes)...`);
    const from = now();
    const answer = await post(url, r.load, 0, config.request_timeout_s * 1000);
    sent.push({ answer, from, to: now() + config.tail_ms });
    await sleep(config.pause_ms);
  }
  return sent;
}

async function main(): Promise<boolean> {
  const requests = await stallRequests({ bodyLimit: config.body_limit, scale: config.scale });
  const server = await startOrtserve(await freePort());
  killWithParent(server.proc);
  const probe = probeLiveness(server.url, config.probe_interval_ms);
  const { sent, probes, running } = await (async () => {
    // The probe's first request opens its connection: let it settle before the first window.
    await sleep(config.pause_ms);
    const sent = await sendEach(server.url, requests);
    const { probes } = await probe.stopWithTimes();
    return { sent, probes, running: server.proc.exitCode === null && server.proc.signalCode === null };
  })().finally(() => server.stop());
  const results: StallResult[] = requests.map((r, i) => {
    const { answer: a, from, to } = sent[i]!;
    return {
      name: r.name,
      sent: r.sent,
      path: r.load.path,
      body_bytes: r.body_bytes,
      status: a.status,
      failure: a.status === null ? a.failure : null,
      code: a.status === null ? null : (a.code ?? null),
      json_error: a.status !== null && a.jsonError,
      ms: a.ms,
      probe: during(probes, from, to),
    };
  });
  const checks = stallChecks(results, config.probe_max_limit_ms, running);
  const report: StallReport = { date: new Date().toISOString(), quick, machine: machine(), config, requests: results, server_running: running, checks, ok: checks.every((c) => c.holds) };
  const md = renderStall(report);
  const files = writeReport(outDir({ quick, out: args.out }), 'stall', report, md);
  console.log(`\n${md}\nwrote ${files.join(', ')}`);
  return report.ok;
}

process.exitCode = (await main()) ? 0 : 1;
