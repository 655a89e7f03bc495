// The scale harness's clients (node:http, kept-alive connections): a mixed open-loop load — seeded
// Poisson arrivals on embed, classify, KServe V2 infer and short generations, plus back-to-back SSE
// streams — that records every request and stream with when it was sent, how it ended and which
// replica answered (HAProxy's X-Served-By); and a closed loop that counts answers per second.
// Targets only loopback and the harness's own namespace addresses.
import http from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { createRng } from '../../server/runtime/random.ts';
import { errorBody } from '../bench/load.ts';
import { routeLoad, type RouteLoad } from '../bench/requests.ts';
import { jsonBody, WIRE_MODEL } from '../bench/wire.ts';
import { isOwnAddress } from './net.ts';

export const SCALE_ROUTES = ['embed', 'classify', 'v2', 'generate-text'] as const;
export type ScaleRoute = (typeof SCALE_ROUTES)[number];

export async function scaleLoad(route: ScaleRoute): Promise<RouteLoad> {
  if (route !== 'v2') return routeLoad(route);
  return { model: WIRE_MODEL, path: `/v2/models/${WIRE_MODEL}/infer`, headers: { 'content-type': 'application/json' }, bodies: [jsonBody(1)] };
}

/** One request: sent at `at` (ms since the epoch), `ms` to its end; status null when it got no answer. */
export interface RequestRecord {
  route: ScaleRoute;
  at: number;
  ms: number;
  status: number | null;
  server: string | null;
  code?: string;
  failure?: 'connection' | 'timeout';
}

/** One SSE generation: `started` once its answer's head arrived; `completed` when it ended with [DONE]. */
export interface StreamRecord {
  at: number;
  ms: number;
  status: number | null;
  server: string | null;
  started: boolean;
  completed: boolean;
  tokens: number;
}

const TIMEOUT_MS = 35_000;

/** POSTs the `i`-th body of `load`; resolves with how it ended, never rejects. */
function send(agent: http.Agent, url: string, route: ScaleRoute, load: RouteLoad, i: number): Promise<RequestRecord> {
  const k = i % load.bodies.length;
  const body = load.bodies[k]!;
  const at = Date.now();
  const t0 = performance.now();
  return new Promise((resolve) => {
    const done = (r: Omit<RequestRecord, 'route' | 'at' | 'ms'>) => resolve({ route, at, ms: performance.now() - t0, ...r });
    const req = http.request(
      `${url}${load.path}`,
      { method: 'POST', agent, timeout: TIMEOUT_MS, headers: { ...load.headers, ...load.bodyHeaders?.[k], 'content-length': Buffer.byteLength(body) } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const status = res.statusCode ?? 0;
          const code = status >= 400 ? errorBody(Buffer.concat(chunks).toString()).code : undefined;
          done({ status, server: (res.headers['x-served-by'] as string | undefined) ?? null, ...(code ? { code } : {}) });
        });
        res.on('error', () => done({ status: null, server: null, failure: 'connection' }));
      },
    );
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', (err) => done({ status: null, server: null, failure: err.message === 'timeout' ? 'timeout' : 'connection' }));
    req.end(body);
  });
}

/** One streamed fortune-rnn generation of `tokens` tokens. */
function stream(agent: http.Agent, url: string, tokens: number, seed: number): Promise<StreamRecord> {
  const body = JSON.stringify({ prompt: 'The ', max_tokens: tokens, temperature: 0.8, seed, stream: true });
  const at = Date.now();
  const t0 = performance.now();
  return new Promise((resolve) => {
    let settled = false;
    const done = (r: Omit<StreamRecord, 'at' | 'ms'>) => {
      if (settled) return;
      settled = true;
      resolve({ at, ms: performance.now() - t0, ...r });
    };
    const req = http.request(
      `${url}/v1/models/fortune-rnn/generate`,
      { method: 'POST', agent, timeout: TIMEOUT_MS, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } },
      (res) => {
        const server = (res.headers['x-served-by'] as string | undefined) ?? null;
        const status = res.statusCode ?? 0;
        let tail = '';
        res.on('data', (c: Buffer) => (tail = (tail + c.toString()).slice(-600)));
        const end = () => {
          const final = /"tokens":(\d+)/.exec(tail);
          done({ status, server, started: true, completed: status === 200 && tail.includes('data: [DONE]'), tokens: final ? Number(final[1]) : 0 });
        };
        res.on('end', end);
        res.on('close', end);
        res.on('error', end);
      },
    );
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', () => done({ status: null, server: null, started: false, completed: false, tokens: 0 }));
    req.end(body);
  });
}

export interface OpenLoad {
  url: string;
  rates: Partial<Record<ScaleRoute, number>>;
  streams: { count: number; tokens: number; pauseMs: number };
  seed: number;
}

export interface OpenOutcome {
  requests: RequestRecord[];
  streams: StreamRecord[];
}

/** Runs the open-loop mix until `stop` resolves, then waits for what is in flight. */
export async function openLoad(o: OpenLoad, stop: Promise<void>): Promise<OpenOutcome> {
  if (!isOwnAddress(o.url)) throw new Error(`the scale harness only targets its own addresses, not ${o.url}`);
  let stopped = false;
  void stop.then(() => (stopped = true));
  const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
  const streamAgent = new http.Agent({ keepAlive: true, maxSockets: o.streams.count });
  const requests: RequestRecord[] = [];
  const streams: StreamRecord[] = [];
  const routes = Object.entries(o.rates) as [ScaleRoute, number][];
  const loads = await Promise.all(routes.map(([r]) => scaleLoad(r)));
  const arrivals = routes.map(async ([route, rate], r) => {
    const random = createRng(o.seed + r);
    const pending = new Set<Promise<void>>();
    let next = performance.now();
    for (let i = 0; !stopped; i++) {
      next += (-Math.log(1 - random.uniform()) / rate) * 1000;
      const wait = next - performance.now();
      if (wait > 0) await sleep(wait);
      if (stopped) break;
      const one = send(agent, o.url, route, loads[r]!, i).then((rec) => void requests.push(rec));
      pending.add(one);
      void one.finally(() => pending.delete(one));
    }
    await Promise.all(pending);
  });
  const streamers = Array.from({ length: o.streams.count }, async (_, s) => {
    for (let i = 0; !stopped; i++) {
      streams.push(await stream(streamAgent, o.url, o.streams.tokens, o.seed * 1000 + s * 100_000 + i));
      if (o.streams.pauseMs > 0 && !stopped) await sleep(o.streams.pauseMs);
    }
  });
  await Promise.all([...arrivals, ...streamers]);
  agent.destroy();
  streamAgent.destroy();
  return { requests: requests.sort((a, b) => a.at - b.at), streams: streams.sort((a, b) => a.at - b.at) };
}

export interface ClosedOutcome {
  seconds: number;
  answers: number;
  ok: number;
  by_status: Record<string, number>;
  failures: number;
  answers_per_s: number;
}

/** `connections` clients, each sending the next request (routes in turn) as soon as it is answered. */
export async function closedLoop(url: string, routes: ScaleRoute[], connections: number, seconds: number): Promise<ClosedOutcome> {
  if (!isOwnAddress(url)) throw new Error(`the scale harness only targets its own addresses, not ${url}`);
  const agent = new http.Agent({ keepAlive: true, maxSockets: connections });
  const loads = await Promise.all(routes.map(scaleLoad));
  const byStatus: Record<string, number> = {};
  let failures = 0;
  const t0 = performance.now();
  const end = t0 + seconds * 1000;
  await Promise.all(
    Array.from({ length: connections }, async (_, c) => {
      for (let i = c; performance.now() < end; i += connections) {
        const r = i % routes.length;
        const rec = await send(agent, url, routes[r]!, loads[r]!, i);
        if (rec.status === null) failures++;
        else byStatus[rec.status] = (byStatus[rec.status] ?? 0) + 1;
      }
    }),
  );
  const elapsed = (performance.now() - t0) / 1000;
  agent.destroy();
  const answers = Object.values(byStatus).reduce((a, b) => a + b, 0);
  const ok = Object.entries(byStatus).reduce((n, [s, c]) => n + (s.startsWith('2') ? c : 0), 0);
  return { seconds: elapsed, answers, ok, by_status: byStatus, failures, answers_per_s: ok / elapsed };
}
