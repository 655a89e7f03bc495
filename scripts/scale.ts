// `npm run scale-test [-- --quick | --out DIR]`: ortserve replicas on separate hosts (network
// namespaces on this machine) behind HAProxy (deploy/haproxy/haproxy.cfg), under a mixed load:
// a rolling restart, a SIGKILL, a replica whose model workers keep failing and a scale-up, plus
// one replica through the balancer against the same replica directly. Writes scale.{md,json}
// (reliability/results, or a temp dir with --quick) and exits 1 when a check fails, 3 when this
// machine cannot run it (no root/CAP_NET_ADMIN for `ip netns`, or no haproxy). Removes everything
// it made — namespaces, veths, processes — at the end, on SIGINT/SIGTERM, and what an interrupted
// run left at the start; checks at the end that nothing is left. Traffic goes only to its own
// addresses (loopback and 10.231.<n>.2; a blackhole route for 10.231.0.0/16 while it runs).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { machine } from './bench/machine.ts';
import { outDir, writeReport, type Check } from './reliability/output.ts';
import { Cluster, removeStaleFiles } from './scale/cluster.ts';
import { healthCheck, SHIPPED_CFG, unavailable as haproxyMissing } from './scale/haproxy.ts';
import { removeAll, unavailable as netnsMissing } from './scale/net.ts';
import { balancerRatio, type RatioResult } from './scale/ratio.ts';
import { renderScale, type ScaleReport } from './scale/render.ts';
import { failingWorkers, rollingRestart, scaleUp, sigkill, type Context, type ScenarioResult } from './scale/scenarios.ts';

const { values: args } = parseArgs({ options: { quick: { type: 'boolean', default: false }, out: { type: 'string' }, replicas: { type: 'string', default: '3' } } });
const quick = args.quick;
const replicas = Number(args.replicas);
/** Models that the mix uses: embed (bert-mini), classify and V2 (fashion-cnn), generation and streams (fortune-rnn). */
const MODELS = ['bert-mini', 'fashion-cnn', 'fortune-rnn'];
const LOAD: Context['load'] = { rates: { embed: 30, classify: 30, v2: 20, 'generate-text': 20 }, streams: { count: 4, tokens: 256, pauseMs: 50 } };
const TIMING: Context['timing'] = quick ? { beforeS: 3, afterS: 3, killHoldS: 2 } : { beforeS: 8, afterS: 8, killHoldS: 5 };
const RATIO = { connections: 128, warmupSeconds: quick ? 3 : 5, roundSeconds: quick ? 2.5 : 5, minRatio: 0.9 };

const why = haproxyMissing() ?? netnsMissing();
if (why) {
  console.error(`scale-test: SKIPPED, this machine cannot run it: ${why}`);
  process.exit(3);
}

const before = { ...removeAll(), files: removeStaleFiles() };
if (before.namespaces.length + before.links.length + before.files.length > 0) console.log(`scale-test: removed what an earlier run left: ${JSON.stringify(before)}`);
const cluster = new Cluster(replicas, MODELS);
let tornDown = false;
const teardown = () => {
  if (tornDown) return;
  tornDown = true;
  cluster.teardown();
};
process.once('exit', teardown);
for (const [signal, code] of [
  ['SIGINT', 130],
  ['SIGTERM', 143],
] as const) {
  process.once(signal, () => {
    console.error(`scale-test: ${signal}, removing namespaces, links and processes`);
    teardown();
    process.exit(code);
  });
}

const cfg = fs.readFileSync(SHIPPED_CFG, 'utf8');
const check = healthCheck(cfg);
const ctx: Context = { cluster, timing: TIMING, load: LOAD, outOfRotationMs: check.interMs * check.fall };
const scenarios: ScenarioResult[] = [];
let ratio: RatioResult | null = null;
let error: string | null = null;
const t0 = Date.now();
const loadBefore = os.loadavg()[0]!;
try {
  console.log(`scale-test: ${replicas} replicas (${MODELS.join(', ')}) in namespaces, HAProxy in front...`);
  await cluster.start();
  console.log(`scale-test: up after ${Date.now() - t0} ms; one replica, balancer vs direct...`);
  ratio = await balancerRatio(cluster, RATIO);
  for (const run of [rollingRestart, sigkill, failingWorkers, scaleUp]) {
    console.log(`scale-test: ${run.name} (${((Date.now() - t0) / 1000).toFixed(0)} s)...`);
    scenarios.push(await run(ctx));
  }
} catch (err) {
  error = (err as Error).message;
  console.error(`scale-test: ${(err as Error).stack}`);
}
await cluster.stop().catch((err: unknown) => console.error(`scale-test: stop: ${(err as Error).message}`));
tornDown = true;
const after = cluster.leftovers();
const nothingLeft = Object.values(after).every((l) => l.length === 0);
const cleanupCheck: Check = { subject: 'harness', check: 'no namespace, veth, route, process or file left at the end', holds: nothingLeft, detail: JSON.stringify(after) };
const checks = [...(ratio?.checks ?? []), ...scenarios.flatMap((s) => s.checks), cleanupCheck];
if (error) checks.push({ subject: 'harness', check: 'every scenario ran', holds: false, detail: error });
const report: ScaleReport = {
  date: new Date().toISOString(),
  quick,
  machine: machine(),
  load_average: { start: loadBefore, end: os.loadavg()[0]! },
  config: {
    replicas,
    models: MODELS,
    load: LOAD,
    timing: TIMING,
    haproxy: { cfg: path.relative(path.resolve(import.meta.dirname, '..'), SHIPPED_CFG), inter_ms: check.interMs, fastinter_ms: check.fastinterMs, fall: check.fall, rise: check.rise },
  },
  cleanup: { before, after },
  ratio,
  scenarios,
  error,
  checks,
  // The balancer-vs-direct throughput round is a measurement under saturation on shared cores: it is
  // reported with its checks, never the run's verdict (performance claims live in reports, as the
  // bench's do). The verdict is the scenarios' and the cleanup's.
  ok: checks.filter((c) => !ratio?.checks.includes(c)).every((c) => c.holds),
};
const md = renderScale(report);
const files = writeReport(outDir({ quick, out: args.out }), 'scale', report, md);
console.log(`\n${md}\nwrote ${files.join(', ')} (${((Date.now() - t0) / 1000).toFixed(0)} s)`);
process.exitCode = report.ok ? 0 : 1;
