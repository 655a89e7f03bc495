// One scenario's frame: the mixed open-loop load (traffic-process.ts, its own process) through the
// balancer for `beforeS`, the scenario's event, `afterS` more, then its summary and timeline.
import { setTimeout as sleep } from 'node:timers/promises';
import type { Cluster } from './cluster.ts';
import { summarise, type Marks } from './report.ts';
import type { OpenLoad, OpenOutcome } from './traffic.ts';

export interface Timing {
  /** Seconds of load before the event, and after it. */
  beforeS: number;
  afterS: number;
  /** Seconds a killed replica stays down before it is started again. */
  killHoldS: number;
}

export interface Context {
  cluster: Cluster;
  timing: Timing;
  load: Omit<OpenLoad, 'url' | 'seed'>;
  /** HAProxy's inter × fall: how long a replica whose readiness fails may stay in rotation. */
  outOfRotationMs: number;
}

export type Event = { what: string; at: number };

/** Runs `event` under the mixed load, with `beforeS` of load before it and `afterS` after. */
export async function underLoad(ctx: Context, seed: number, event: (events: Event[]) => Promise<Record<string, number | string | null>>) {
  const { cluster, timing } = ctx;
  const statsBefore = await cluster.stats();
  const traffic = cluster.traffic<OpenOutcome>({ mode: 'open', ...ctx.load, url: cluster.url, seed, maxSeconds: 300 });
  const stop = () => (traffic.stdin.end(), traffic.outcome);
  const started = Date.now();
  await sleep(timing.beforeS * 1000);
  const events: Event[] = [];
  const eventStart = Date.now();
  const facts = await event(events).catch(async (err: unknown) => {
    await stop().catch(() => undefined);
    throw err;
  });
  const eventEnd = Date.now();
  await sleep(timing.afterS * 1000);
  const loadEnd = Date.now();
  const outcome = await stop();
  const marks: Marks = { loadStart: outcome.requests[0]?.at ?? started, eventStart, eventEnd, loadEnd };
  const summary = summarise(outcome, marks, statsBefore, await cluster.stats());
  const timeline = [{ what: 'event starts', at: eventStart }, ...events, { what: 'event over', at: eventEnd }, { what: 'load stops', at: loadEnd }]
    .sort((a, b) => a.at - b.at)
    .map((e) => ({ what: e.what, at_s: Math.round((e.at - marks.loadStart) / 100) / 10 }));
  return { outcome, summary, facts, timeline };
}

export type Run = Awaited<ReturnType<typeof underLoad>>;
