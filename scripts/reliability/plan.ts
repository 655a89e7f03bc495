// A load plan — loads on model routes (autocannon, or open-loop Poisson arrivals), optionally
// with paced SSE text streams, all at once — and its outcome. `runPlanInChild` runs it in its own process (load-process.ts), so
// the load generator never shares an event loop with the one sampling the server.
import { cannon, textStreams, type Answer } from '../bench/load.ts';
import { runJson } from '../bench/processes.ts';
import { routeLoad, type RouteName } from '../bench/requests.ts';
import { paced, type PacedResult } from './paced.ts';
import { tally, type AnswerSummary } from './tally.ts';

interface LoadCommon {
  route: RouteName;
  seconds: number;
  /** An unrecorded run of this length first (same load). */
  warmupSeconds?: number;
  /** Seconds without an answer before a request counts as a timeout. */
  timeoutSeconds?: number;
}

/** autocannon: `connections` keep-alive connections, each sending again once answered. */
export interface CannonLoad extends LoadCommon {
  connections: number;
  /** Requests per second over all connections (autocannon's overallRate); omitted: as fast as answers come. */
  rate?: number;
}

/** Open loop with fetch: requests at seeded Poisson arrival times, whether or not earlier ones were answered. */
export interface PoissonLoad extends LoadCommon {
  arrivals: 'poisson';
  rate: number;
}

export type LoadSpec = CannonLoad | PoissonLoad;

export interface StreamSpec {
  model: string;
  streams: number;
  tokens: number;
  pauseMs: number;
  seconds: number;
}

export interface Plan {
  url: string;
  loads: LoadSpec[];
  streams?: StreamSpec;
}

export interface LoadOutcome extends AnswerSummary {
  route: RouteName;
  model: string;
  path: string;
  /** autocannon's connections; for Poisson arrivals, the most requests in flight at once. */
  connections: number;
  /** The rate asked of autocannon (null: closed loop). */
  rate: number | null;
  seconds: number;
  sent: number;
  answers_per_s: number;
  accepted_per_s: number;
  /** autocannon errors (connection refused/reset, socket errors), timeouts included. */
  errors: number;
  timeouts: number;
}

export interface StreamOutcome {
  streams: number;
  tokens_per_s: number;
  ttft_p50: number;
  ttft_p99: number;
  errors: number;
}

export interface PlanOutcome {
  loads: LoadOutcome[];
  streams: StreamOutcome | null;
}

async function runLoad(url: string, spec: LoadSpec, index: number): Promise<LoadOutcome> {
  const load = await routeLoad(spec.route);
  const timeoutSeconds = spec.timeoutSeconds ?? 10;
  const run = (seconds: number, onAnswer: (a: Answer) => void = () => {}): Promise<PacedResult> => {
    if ('arrivals' in spec) return paced({ url, load, rate: spec.rate, seconds, timeoutSeconds, seed: index + 1, onAnswer });
    const connections = spec.rate ? Math.min(spec.connections, Math.round(spec.rate)) : spec.connections;
    return cannon({ ...load, url, connections, rate: spec.rate, seconds, timeoutSeconds, onAnswer }).then((r) => ({
      sent: r.requests.sent,
      errors: r.errors,
      timeouts: r.timeouts,
      peakInFlight: connections,
    }));
  };
  if (spec.warmupSeconds) await run(spec.warmupSeconds);
  const answers = tally();
  const start = performance.now();
  const result = await run(spec.seconds, (a) => answers.add(a));
  const elapsed = (performance.now() - start) / 1000;
  const summary = answers.summary();
  return {
    route: spec.route,
    model: load.model,
    path: load.path,
    connections: result.peakInFlight,
    rate: spec.rate ?? null,
    seconds: elapsed,
    sent: result.sent,
    ...summary,
    answers_per_s: summary.answers / elapsed,
    accepted_per_s: summary.accepted.count / elapsed,
    errors: result.errors,
    timeouts: result.timeouts,
  };
}

/** Runs every load of the plan (and its streams) at the same time, in this process. */
export async function runPlan(plan: Plan): Promise<PlanOutcome> {
  const s = plan.streams;
  const [loads, streams] = await Promise.all([
    Promise.all(plan.loads.map((spec, i) => runLoad(plan.url, spec, i))),
    s ? textStreams(plan.url, s.model, s.streams, s.tokens, s.seconds, s.pauseMs) : null,
  ]);
  return { loads, streams };
}

export const runPlanInChild = (plan: Plan): Promise<PlanOutcome> => runJson<PlanOutcome>('scripts/reliability/load-process.ts', [JSON.stringify(plan)]);
