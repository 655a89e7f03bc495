// The scale harness's scenarios, each under the same mixed load through HAProxy: a rolling restart
// of every replica, a SIGKILL, a replica whose model workers keep failing, and a replica added
// while the load runs. Each returns its timeline, its summary (report.ts) and its checks.
import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Check } from '../reliability/output.ts';
import { serverName } from './cluster.ts';
import { inFlightAt, type ScenarioSummary } from './report.ts';
import { readiness } from './replicas.ts';
import { underLoad, type Context, type Run } from './under-load.ts';

export type { Context } from './under-load.ts';

export interface ScenarioResult {
  name: string;
  title: string;
  /** What happened when, ms after the load started. */
  timeline: { what: string; at_s: number }[];
  facts: Record<string, number | string | null>;
  summary: ScenarioSummary;
  checks: Check[];
}

const result = (name: string, title: string, r: Run, checks: Check[]): ScenarioResult => ({ name, title, timeline: r.timeline, facts: r.facts, summary: r.summary, checks });

const lostCheck = (subject: string, s: ScenarioSummary): Check => ({
  subject,
  check: 'every request answered 2xx or 429',
  holds: s.requests.lost === 0,
  detail: `${s.requests.sent} sent, ${s.requests.lost} lost (${JSON.stringify(s.requests.by_code)}), ${s.requests.connection_errors} connection errors`,
});

export async function rollingRestart(ctx: Context): Promise<ScenarioResult> {
  const { cluster } = ctx;
  const terms: number[] = [];
  const r = await underLoad(ctx, 11, async (events) => {
    const facts: Record<string, number> = {};
    for (const h of cluster.hosts) {
      const name = serverName(h.index);
      const term = Date.now();
      terms.push(term);
      events.push({ what: `SIGTERM ${name}`, at: term });
      const stopped = await cluster.stopReplica(h.index, 'SIGTERM');
      events.push({ what: `${name} exited (code ${stopped.code})`, at: Date.now() });
      const { readyAt } = await cluster.startReplica(h.index);
      events.push({ what: `new ${name} ready`, at: readyAt });
      const up = await cluster.until(name, 'UP', 20_000, term);
      events.push({ what: `${name} UP at the balancer`, at: up });
      Object.assign(facts, { [`${name} drain ms`]: stopped.ms, [`${name} exit code`]: stopped.code ?? -1, [`${name} SIGTERM to UP ms`]: up - term });
    }
    return facts;
  });
  const s = r.summary;
  const exits = Object.entries(r.facts).filter(([k]) => k.endsWith('exit code'));
  // What each replica held when its SIGTERM came: its drain had to finish it (no answer names the replica before it ends).
  const held = terms.map((t) => inFlightAt(r.outcome, t));
  const heldStreams = held.flatMap((h) => h.streams);
  const heldRequests = held.flatMap((h) => h.requests);
  r.facts['streams in flight at a SIGTERM (any replica), completed'] = `${heldStreams.filter((x) => x.completed).length} of ${heldStreams.length}`;
  r.facts['requests in flight at a SIGTERM (any replica), answered 2xx'] = `${heldRequests.filter((x) => x.status !== null && x.status < 300).length} of ${heldRequests.length}`;
  const checks: Check[] = [
    lostCheck('rolling restart', s),
    {
      subject: 'rolling restart',
      check: 'every stream completed',
      holds: s.streams.started === s.streams.completed && s.streams.not_started === 0,
      detail: `${s.streams.sent} sent, ${s.streams.completed} completed, ${s.streams.cut} cut, ${s.streams.not_started} not started`,
    },
    { subject: 'rolling restart', check: 'every replica drained and exited 0', holds: exits.every(([, v]) => v === 0), detail: exits.map(([k, v]) => `${k.split(' ')[0]}: ${v}`).join(', ') },
  ];
  return result('rolling-restart', 'Rolling restart of every replica (SIGTERM, wait until the new one is ready)', r, checks);
}

export async function sigkill(ctx: Context, index = 2): Promise<ScenarioResult> {
  const { cluster, timing } = ctx;
  const name = serverName(index);
  let killedAt = 0;
  const r = await underLoad(ctx, 12, async (events) => {
    killedAt = Date.now();
    events.push({ what: `SIGKILL ${name}`, at: killedAt });
    await cluster.stopReplica(index, 'SIGKILL');
    const down = await cluster.until(name, 'DOWN', 10_000, killedAt);
    events.push({ what: `${name} DOWN at the balancer`, at: down });
    await sleep(timing.killHoldS * 1000);
    const restart = Date.now();
    events.push({ what: `${name} started again`, at: restart });
    const { readyAt } = await cluster.startReplica(index);
    events.push({ what: `${name} ready`, at: readyAt });
    const up = await cluster.until(name, 'UP', 20_000, restart);
    events.push({ what: `${name} UP at the balancer`, at: up });
    return { 'kill to DOWN ms': down - killedAt };
  });
  const s = r.summary;
  const inFlight = inFlightAt(r.outcome, killedAt);
  const failedRequests = inFlight.requests.filter((q) => q.status === null || (q.status >= 300 && q.status !== 429));
  const cutStreams = inFlight.streams.filter((q) => q.started && !q.completed);
  Object.assign(r.facts, {
    'requests in flight at the kill (all replicas)': inFlight.requests.length,
    'of them failed': failedRequests.length,
    'streams in flight at the kill (all replicas)': inFlight.streams.length,
    [`of them cut (served by ${name})`]: cutStreams.filter((q) => q.server === name).length,
    'of them cut (other replicas)': cutStreams.filter((q) => q.server !== name).length,
    [`${name}: answers that broke off, at the balancer (eresp: cut streams and retried requests)`]: s.balancer[name]?.eresp ?? 0,
    [`${name}: requests retried on another replica (wretr)`]: s.balancer[name]?.wretr ?? 0,
    [`${name}: requests redispatched to another replica, mostly refused connections before it was DOWN (wredis)`]: s.balancer[name]?.wredis ?? 0,
  });
  const checks: Check[] = [
    { ...lostCheck('SIGKILL', s), check: 'no request the balancer could retry failed (every non-stream request 2xx or 429)' },
    {
      subject: 'SIGKILL',
      check: 'every stream that had not started yet was answered',
      holds: s.streams.not_started === 0,
      detail: `${s.streams.not_started} streams got no answer or an error status`,
    },
    {
      subject: 'SIGKILL',
      check: 'only streams of the killed replica failed (a started answer cannot be replayed)',
      holds: cutStreams.every((q) => q.server === name) && s.streams.cut === cutStreams.length,
      detail: `${cutStreams.length} of ${inFlight.streams.length} streams in flight were cut; ${s.streams.cut} cut in all`,
    },
  ];
  return result('sigkill', `SIGKILL of one replica (${name}) under load`, r, checks);
}

/** Swaps replica `index` for the test-only faulty entry, then, under load, makes its model's workers fail for good. */
export async function failingWorkers(ctx: Context, index = 3, model = 'fashion-cnn'): Promise<ScenarioResult> {
  const { cluster } = ctx;
  const name = serverName(index);
  const swap = Date.now();
  await cluster.stopReplica(index, 'SIGTERM');
  const repository = cluster.repository(index, 'faulty');
  const { replica } = await cluster.startReplica(index, { repository, entry: 'scripts/scale/faulty-replica.ts', env: { SCALE_FAULT_MODEL: model } });
  await cluster.until(name, 'UP', 20_000, swap);
  let unready = 0;
  let down = 0;
  const r = await underLoad(ctx, 13, async (events) => {
    const graph = JSON.parse(fs.readFileSync(path.join(repository, model, 'manifest.json'), 'utf8')) as { graphs: Record<string, string> };
    for (const file of Object.values(graph.graphs)) fs.rmSync(path.join(repository, model, file));
    const crash = Date.now();
    replica.proc.kill('SIGUSR2');
    events.push({ what: `${name}: graph file removed, every ${model} worker crashed`, at: crash });
    while ((await readiness(replica)) === 200 && Date.now() - crash < 10_000) await sleep(25);
    unready = Date.now();
    events.push({ what: `${name} /health/ready 503`, at: unready });
    down = await cluster.until(name, 'DOWN', 10_000, crash);
    events.push({ what: `${name} DOWN at the balancer`, at: down });
    let failedAt: number | null = null;
    while (failedAt === null && Date.now() - crash < 15_000) {
      const body =
        (await fetch(`${replica.url}/health/ready`).then(
          (res) => res.json() as Promise<{ models?: Record<string, string> }>,
          () => null,
        )) ?? {};
      if (body.models?.[model] === 'failed') failedAt = Date.now();
      else await sleep(100);
    }
    if (failedAt) events.push({ what: `${name}: ${model} failed (respawns gave up)`, at: failedAt });
    return { 'crash to readiness 503 ms': unready - crash, 'readiness 503 to DOWN ms': down - unready, 'allowed (inter × fall) ms': ctx.outOfRotationMs };
  });
  await cluster.stopReplica(index, 'SIGTERM');
  const s = r.summary;
  const others = Object.entries(s.balancer).filter(([server]) => server !== name);
  const otherErrors = others.map(([server, c]) => [server, c.hrsp_5xx! + c.eresp! + c.econ!] as const);
  Object.assign(r.facts, {
    [`requests ${name} answered 503 or dropped, retried on another replica (wretr)`]: s.balancer[name]?.wretr ?? 0,
    [`redispatches away from ${name} (wredis)`]: s.balancer[name]?.wredis ?? 0,
  });
  const checks: Check[] = [
    {
      subject: 'failing workers',
      check: `out of rotation within inter × fall (${ctx.outOfRotationMs} ms) of readiness failing`,
      holds: down - unready <= ctx.outOfRotationMs,
      detail: `${down - unready} ms`,
    },
    {
      subject: 'failing workers',
      check: "the other replicas' error rate stays 0",
      holds: otherErrors.every(([, n]) => n === 0),
      detail: otherErrors.map(([server, n]) => `${server}: ${n} errors of ${s.balancer[server]?.stot ?? 0}`).join(', '),
    },
    lostCheck('failing workers', s),
  ];
  return result('failing-workers', `One replica (${name}) whose ${model} workers keep failing`, r, checks);
}

/** Starts replica `index` (its slot in the balancer DOWN) while the load runs. */
export async function scaleUp(ctx: Context, index = 3): Promise<ScenarioResult> {
  const { cluster } = ctx;
  const name = serverName(index);
  let readyAt = 0;
  const r = await underLoad(ctx, 14, async (events) => {
    const start = Date.now();
    events.push({ what: `${name} started`, at: start });
    readyAt = (await cluster.startReplica(index)).readyAt;
    events.push({ what: `${name} ready`, at: readyAt });
    const up = await cluster.until(name, 'UP', 20_000, start);
    events.push({ what: `${name} UP at the balancer`, at: up });
    return { 'start to ready ms': readyAt - start, 'ready to UP ms': up - readyAt };
  });
  const served = [...r.outcome.requests, ...r.outcome.streams].filter((q) => q.server === name);
  const first = served.length ? Math.min(...served.map((q) => q.at)) : null;
  const notOk = served.filter((q) => q.status !== null && (q.status < 200 || q.status >= 300) && q.status !== 429).length;
  r.facts['first request it answered, ms after ready'] = first === null ? null : first - readyAt;
  r.facts[`answered by ${name}`] = served.length;
  const checks: Check[] = [
    {
      subject: 'scale up',
      check: 'the new replica took traffic only once ready',
      holds: first !== null && first >= readyAt,
      detail: first === null ? 'it answered nothing' : `first request sent ${first - readyAt} ms after it was ready`,
    },
    { subject: 'scale up', check: 'the new replica answered only 2xx or 429', holds: notOk === 0, detail: `${served.length} answered, ${notOk} other` },
    lostCheck('scale up', r.summary),
  ];
  return result('scale-up', `A replica (${name}) started while the load runs`, r, checks);
}
