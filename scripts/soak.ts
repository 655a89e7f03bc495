// `npm run soak [-- --minutes N | --quick]`: a steady, moderate mix over every bundled model against
// the real server (a child process on loopback) for 10 minutes by default, sampling its memory,
// heap and event-loop delay. Writes soak.{md,json} (reliability/results, or a temp dir with
// --quick) and exits 1 on any 5xx or connection error, or on an RSS trend above the threshold.
// Options: --quick, --minutes N, --out DIR, --scale N (multiplies the mix's rates),
// --max-rss-slope MB_PER_MIN (reliability/README.md explains each).
import { parseArgs } from 'node:util';
import { machine } from './bench/machine.ts';
import { freePort, killWithParent, startOrtserve } from './bench/processes.ts';
import { outDir, serverEnv, writeReport } from './reliability/output.ts';
import { runPlanInChild, type LoadSpec, type StreamSpec } from './reliability/plan.ts';
import { errorCounts, renderSoak, soakChecks, trends, type SoakReport, type SoakSample } from './reliability/soak-report.ts';
import { gauges, rssMb, sampleEvery } from './reliability/watch.ts';

const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    minutes: { type: 'string' },
    out: { type: 'string' },
    scale: { type: 'string', default: '1' },
    'max-rss-slope': { type: 'string', default: '2' },
  },
});
const quick = args.quick;
const minutes = Number(args.minutes ?? (quick ? 0.67 : 10));
const seconds = Math.round(minutes * 60);
const sampleSeconds = quick ? 2 : 5;
// The first half is warm-up (allocator arenas, JIT, onnxruntime's per-shape buffers settle); the
// trends are fitted over the second half only.
const warmupS = seconds / 2;
// A slope fitted over less than 4 minutes says little about a leak; shorter runs report it only.
const slopeEnforced = !quick && seconds - warmupS >= 240;
const scale = Number(args.scale);

// The mix at --scale 1: 90 req/s over five routes (every bundled model), at Poisson arrival times, plus two paced SSE
// streams — a fifth or less of what each route sustained in the benchmark's mixed load on 2
// cores, so the server is busy but never has to shed.
const MIX: { route: LoadSpec['route']; rate: number }[] = [
  { route: 'classify', rate: 30 },
  { route: 'embed', rate: 10 },
  { route: 'generate-image', rate: 30 },
  { route: 'generate-text', rate: 10 },
  { route: 'classify-text', rate: 10 },
];
const STREAMS: StreamSpec = { model: 'fortune-rnn', streams: 2, tokens: 64, pauseMs: 1000, seconds };
const MB = 1024 * 1024;

async function main(): Promise<boolean> {
  const server = await startOrtserve(await freePort());
  killWithParent(server.proc);
  const pid = server.proc.pid!;
  const loads: LoadSpec[] = MIX.map((m) => ({ route: m.route, arrivals: 'poisson', rate: m.rate * scale, seconds, timeoutSeconds: 35 }));
  let scrapesFailed = 0;
  const read = async (): Promise<SoakSample> => {
    const g = await gauges(server.url, ['ortserve_nodejs_heap_size_used_bytes', 'ortserve_nodejs_eventloop_lag_p99_seconds']).catch(() => null);
    if (!g) scrapesFailed++;
    const heap = g?.ortserve_nodejs_heap_size_used_bytes ?? null;
    const lag = g?.ortserve_nodejs_eventloop_lag_p99_seconds ?? null;
    return { rss_mb: rssMb(pid), heap_used_mb: heap === null ? null : heap / MB, loop_p99_ms: lag === null ? null : lag * 1000 };
  };
  console.log(`soak: ${minutes} min, sampling every ${sampleSeconds} s...`);
  const run = async () => {
    const sampler = sampleEvery(sampleSeconds * 1000, read);
    const outcome = await runPlanInChild({ url: server.url, loads, streams: STREAMS });
    return { outcome, samples: await sampler.stop(), running: server.proc.exitCode === null && server.proc.signalCode === null };
  };
  const { outcome, samples, running } = await run().finally(() => server.stop());
  const partial = {
    date: new Date().toISOString(),
    quick,
    machine: machine(),
    config: {
      minutes,
      sample_seconds: sampleSeconds,
      warmup_s: warmupS,
      loads,
      streams: STREAMS,
      server_env: serverEnv(),
      max_rss_slope_mb_per_min: Number(args['max-rss-slope']),
      slope_enforced: slopeEnforced,
    },
    outcome,
    errors: errorCounts(outcome, scrapesFailed),
    trends: trends(samples, warmupS),
    samples,
    server_running: running,
  };
  const checks = soakChecks(partial);
  const report: SoakReport = { ...partial, checks, ok: checks.every((c) => c.holds) };
  const md = renderSoak(report);
  const files = writeReport(outDir({ quick, out: args.out }), 'soak', report, md);
  console.log(`\n${md}\nwrote ${files.join(', ')}`);
  return report.ok;
}

process.exitCode = (await main()) ? 0 : 1;
