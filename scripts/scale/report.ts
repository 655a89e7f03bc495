// What one scale scenario measured, from the clients' records and HAProxy's counters: requests by
// status, connection errors, requests lost (neither 2xx nor 429), streams started, completed and
// cut, throughput before, during and after the event, and each replica's counters at the balancer.
import { COUNTERS, type ServerStat } from './haproxy.ts';
import type { OpenOutcome, RequestRecord, StreamRecord } from './traffic.ts';

/** When the scenario's event (restart, kill, fault, scale-up) began and ended, ms since the epoch. */
export interface Marks {
  loadStart: number;
  eventStart: number;
  eventEnd: number;
  loadEnd: number;
}

export interface RequestSummary {
  sent: number;
  answered: number;
  by_status: Record<string, number>;
  /** Non-2xx answers by "status code". */
  by_code: Record<string, number>;
  connection_errors: number;
  timeouts: number;
  /** Neither 2xx nor 429: an error, a 5xx, or no answer at all. */
  lost: number;
  by_server: Record<string, number>;
}

export interface StreamSummary {
  sent: number;
  /** The answer's head arrived (200 from a replica). */
  started: number;
  completed: number;
  /** Started, then ended without [DONE]: the replica sending it went away mid-answer. */
  cut: number;
  /** No answer, or an error status before any token. */
  not_started: number;
  by_server: Record<string, number>;
}

export interface ScenarioSummary {
  requests: RequestSummary;
  streams: StreamSummary;
  /** 2xx answers per second, by when they were answered. */
  throughput: { before: number; during: number; after: number; per_second: number[] };
  /** Per replica, the change of HAProxy's counters over the scenario (wretr: retries, wredis: redispatches). */
  balancer: Record<string, Record<string, number>>;
}

const ok = (s: number | null) => s !== null && s >= 200 && s < 300;
const count = <T>(xs: T[], key: (x: T) => string | null | undefined) =>
  xs.reduce<Record<string, number>>((m, x) => {
    const k = key(x);
    if (k != null) m[k] = (m[k] ?? 0) + 1;
    return m;
  }, {});

export function summariseRequests(rs: RequestRecord[]): RequestSummary {
  return {
    sent: rs.length,
    answered: rs.filter((r) => r.status !== null).length,
    by_status: count(rs, (r) => (r.status === null ? null : String(r.status))),
    by_code: count(rs, (r) => (r.status !== null && !ok(r.status) ? `${r.status} ${r.code ?? '(no code)'}` : null)),
    connection_errors: rs.filter((r) => r.failure === 'connection').length,
    timeouts: rs.filter((r) => r.failure === 'timeout').length,
    lost: rs.filter((r) => !ok(r.status) && r.status !== 429).length,
    by_server: count(rs, (r) => r.server),
  };
}

export function summariseStreams(ss: StreamRecord[]): StreamSummary {
  const started = ss.filter((s) => s.started && s.status === 200);
  return {
    sent: ss.length,
    started: started.length,
    completed: ss.filter((s) => s.completed).length,
    cut: started.filter((s) => !s.completed).length,
    not_started: ss.length - started.length,
    by_server: count(ss, (s) => s.server),
  };
}

export function delta(before: ServerStat[], after: ServerStat[]): Record<string, Record<string, number>> {
  return Object.fromEntries(
    after.map((a) => {
      const b = before.find((x) => x.name === a.name);
      return [a.name, Object.fromEntries(COUNTERS.map((c) => [c, a.counters[c]! - (b?.counters[c] ?? 0)]))];
    }),
  );
}

/** The first second of load is left out of "before": connections open and caches warm then. */
const WARMUP_MS = 1_000;

export function summarise(outcome: OpenOutcome, marks: Marks, before: ServerStat[], after: ServerStat[]): ScenarioSummary {
  const answeredAt = outcome.requests.filter((r) => ok(r.status)).map((r) => r.at + r.ms);
  const rate = (from: number, to: number) => (to > from ? answeredAt.filter((t) => t >= from && t < to).length / ((to - from) / 1000) : 0);
  const seconds = Math.ceil((marks.loadEnd - marks.loadStart) / 1000);
  const perSecond = Array.from({ length: seconds }, (_, i) => answeredAt.filter((t) => t >= marks.loadStart + i * 1000 && t < marks.loadStart + (i + 1) * 1000).length);
  return {
    requests: summariseRequests(outcome.requests),
    streams: summariseStreams(outcome.streams),
    throughput: {
      before: rate(marks.loadStart + WARMUP_MS, marks.eventStart),
      during: rate(marks.eventStart, marks.eventEnd),
      after: rate(marks.eventEnd, marks.loadEnd),
      per_second: perSecond,
    },
    balancer: delta(before, after),
  };
}

/** Requests and streams that were waiting for an answer at `at`. */
export function inFlightAt(outcome: OpenOutcome, at: number): { requests: RequestRecord[]; streams: StreamRecord[] } {
  const during = (x: { at: number; ms: number }) => x.at <= at && x.at + x.ms > at;
  return { requests: outcome.requests.filter(during), streams: outcome.streams.filter(during) };
}
