// `npm run overload [-- --quick]`: for each model route, measures capacity, drives the real
// server (a child process on loopback) at 10× that rate, and checks that it sheds load cleanly:
// only 429/503 with Retry-After, no connection errors, accepted answers within the model's
// timeout, bounded memory, and a quick return to baseline latency. Writes overload.{md,json}
// (reliability/results, or a temp dir with --quick) and exits 1 when an invariant fails.
// Options: --quick, --out DIR, --seconds N, --factor N, --connections N, --routes a,b,
// --max-rss-mb N, --recovery-limit-s N (reliability/README.md explains each).
import { parseArgs } from 'node:util';
import { machine } from './bench/machine.ts';
import { freePort, killWithParent, startOrtserve, type Child } from './bench/processes.ts';
import { routeLoad, ROUTE_LOADS, type RouteName } from './bench/requests.ts';
import { outDir, serverEnv, writeReport } from './reliability/output.ts';
import { overloadChecks, renderOverload, type Limits, type ModelRun, type OverloadReport } from './reliability/overload-report.ts';
import { runPlanInChild, type CannonLoad, type LoadOutcome } from './reliability/plan.ts';
import { sequential, timeToRecover } from './reliability/recovery.ts';
import { span } from './reliability/trend.ts';
import { rssMb, sampleEvery } from './reliability/watch.ts';

const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    out: { type: 'string' },
    seconds: { type: 'string' },
    factor: { type: 'string', default: '10' },
    connections: { type: 'string' },
    routes: { type: 'string' },
    'max-rss-mb': { type: 'string', default: '1024' },
    'recovery-limit-s': { type: 'string', default: '10' },
  },
});
const quick = args.quick;
const DEFAULT_ROUTES: RouteName[] = ['classify', 'embed', 'generate-image', 'generate-text', 'classify-text'];
const settings = {
  routes: (args.routes?.split(',') ?? DEFAULT_ROUTES) as RouteName[],
  /** Seconds of overload per model. */
  seconds: Number(args.seconds ?? (quick ? 5 : 30)),
  /** The overload's asked rate, as a multiple of the measured capacity. */
  factor: Number(args.factor),
  /** Connections under overload: a closed loop needs more than a model holds (queue + batch, ≤ 320 for the bundled models) to make it reject. */
  connections: Number(args.connections ?? 600),
  capacityConnections: 32,
  capacitySeconds: quick ? 2 : 5,
  warmupSeconds: quick ? 1 : 2,
  baselineRequests: quick ? 15 : 40,
};
const limits: Limits = { max_rss_mb: Number(args['max-rss-mb']), recovery_limit_s: Number(args['recovery-limit-s']) };
for (const r of settings.routes) if (!(r in ROUTE_LOADS)) throw new Error(`unknown route '${r}'; known: ${Object.keys(ROUTE_LOADS).join(', ')}`);

interface ModelInfo {
  batching?: { max_batch_size: number; max_queue_size: number; timeout_ms: number };
  instances?: number;
  stats: Record<string, number>;
}

const modelInfo = async (url: string, model: string) => (await (await fetch(`${url}/v1/models/${model}`)).json()) as ModelInfo;

/** Runs one load in the load-generator process. */
async function measure(url: string, spec: CannonLoad): Promise<LoadOutcome> {
  const [outcome] = (await runPlanInChild({ url, loads: [spec] })).loads;
  if (!outcome) throw new Error(`the load process returned no outcome for ${spec.route}. This is a bug.`);
  return outcome;
}

async function overloadOne(server: Child, route: RouteName): Promise<ModelRun> {
  const { url } = server;
  const pid = server.proc.pid!;
  const load = await routeLoad(route);
  const { batching, instances = 1 } = await modelInfo(url, load.model);
  if (!batching) throw new Error(`GET /v1/models/${load.model} reports no batching settings`);
  const timeout_ms = batching.timeout_ms;
  // A closed loop with fewer connections than this never makes the model's queue overflow.
  const maxHeld = batching.max_queue_size + batching.max_batch_size * instances;
  if (settings.connections <= maxHeld) console.warn(`${load.model}: ${settings.connections} connections cannot overflow a queue that holds ${maxHeld}; use --connections`);
  // A client that honours the server's deadline never gives up first: autocannon waits longer.
  const timeoutSeconds = Math.ceil(timeout_ms / 1000) + 5;
  const base: CannonLoad = { route, connections: settings.capacityConnections, seconds: settings.capacitySeconds, warmupSeconds: settings.warmupSeconds, timeoutSeconds };

  console.log(`${load.model}: capacity...`);
  const capacity = await measure(url, base);
  if (capacity.accepted_per_s <= 0) throw new Error(`${load.model}: no 2xx answers while measuring capacity`);
  await sequential(url, load, 3);
  const baseline = await sequential(url, load, settings.baselineRequests);

  const rate = settings.factor * capacity.accepted_per_s;
  console.log(`${load.model}: capacity ${capacity.accepted_per_s.toFixed(0)} req/s, baseline p50 ${baseline.p50_ms.toFixed(1)} ms; overload at ${rate.toFixed(0)} req/s for ${settings.seconds} s...`);
  const rssStart = rssMb(pid);
  const rss = sampleEvery(500, () => rssMb(pid));
  const overload = await measure(url, { ...base, warmupSeconds: 0, connections: settings.connections, seconds: settings.seconds, rate });
  const loadEnd = performance.now();
  const recovery = await timeToRecover({ url, load, baselineMs: baseline.p50_ms, loadEnd, windowSize: 10, giveUpS: Math.max(30, 2 * limits.recovery_limit_s) });
  const samples = (await rss.stop()).map((s) => s.value);
  const running = server.proc.exitCode === null && server.proc.signalCode === null;
  const rssSpan = span([rssStart, ...samples, running ? rssMb(pid) : null]);
  return {
    route,
    model: load.model,
    timeout_ms,
    max_held: maxHeld,
    capacity,
    overload,
    rss_mb: { ...rssSpan, samples: samples.length },
    recovery,
    server_stats: running ? (await modelInfo(url, load.model)).stats : {},
    server_running: running,
  };
}

async function main(): Promise<boolean> {
  const server = await startOrtserve(await freePort());
  killWithParent(server.proc);
  const models: ModelRun[] = [];
  try {
    for (const route of settings.routes) {
      const run = await overloadOne(server, route);
      models.push(run);
      if (!run.server_running) break;
    }
  } finally {
    await server.stop();
  }
  const checks = models.flatMap((m) => overloadChecks(m, limits));
  const report: OverloadReport = {
    date: new Date().toISOString(),
    quick,
    machine: machine(),
    config: {
      factor: settings.factor,
      seconds: settings.seconds,
      connections: settings.connections,
      capacity_connections: settings.capacityConnections,
      capacity_seconds: settings.capacitySeconds,
      server_env: serverEnv(),
      limits,
    },
    models,
    checks,
    ok: checks.every((c) => c.holds),
  };
  const md = renderOverload(report);
  const files = writeReport(outDir({ quick, out: args.out }), 'overload', report, md);
  console.log(`\n${md}\nwrote ${files.join(', ')}`);
  return report.ok;
}

process.exitCode = (await main()) ? 0 : 1;
