// Load generators for the benchmark and the reliability scripts: autocannon runs (loopback only,
// bounded in time; optionally rate-limited, with every answer reported), a liveness prober, and a
// streaming client for token throughput and time-to-first-token.
import { spawn } from 'node:child_process';
import http from 'node:http';
import autocannon from 'autocannon';

export interface LoadResult {
  rps: number;
  p50: number;
  p90: number;
  p99: number;
  requests: number;
  errors: number;
  non2xx: number;
}

export interface LoadOptions {
  url: string;
  path: string;
  connections: number;
  seconds: number;
  headers?: Record<string, string>;
  /** One body, or several used in turn. */
  bodies: (string | Buffer)[];
  /** Headers of each body (a multipart body's boundary), merged over `headers`. */
  bodyHeaders?: Record<string, string>[];
  /** Requests per second over all connections (autocannon's overallRate); default: each connection sends again as soon as it is answered. */
  rate?: number;
  /** Seconds autocannon waits for an answer before counting a timeout and reconnecting (default 10). */
  timeoutSeconds?: number;
  /** Called for every answer, in the order they arrive. */
  onAnswer?: (answer: Answer) => void;
}

export interface Answer {
  status: number;
  ms: number;
  retryAfter: boolean;
  /** The error body's `code` (ORT_QUEUE_FULL...), for answers of 400 and above. */
  code?: string;
}

/**
 * What an error answer's body says: whether it is a JSON error (an object with a `code` or an
 * `error`), and its code — ortserve's `code`, or OpenAI's `error.code` on /v1/embeddings.
 */
export function errorBody(body: string): { json: boolean; code?: string } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return { json: false };
  }
  if (typeof parsed !== 'object' || parsed === null) return { json: false };
  const { code, error } = parsed as { code?: unknown; error?: unknown };
  const nested = typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined;
  const found = [code, nested].find((c): c is string => typeof c === 'string');
  return { json: code !== undefined || error !== undefined, ...(found ? { code: found } : {}) };
}

/** The `code` of an error answer's JSON body, if it has one. */
export const errorCode = (body: string): string | undefined => errorBody(body).code;

export function assertLoopback(url: string): void {
  const host = new URL(url).hostname;
  if (host !== '127.0.0.1' && host !== 'localhost' && host !== '[::1]') throw new Error(`benchmarks only target loopback, not ${host}`);
}

/** One autocannon run; resolves with autocannon's own result. */
export function cannon(o: LoadOptions): Promise<autocannon.Result> {
  assertLoopback(o.url);
  let next = 0;
  // autocannon calls a request's onResponse (which sees the headers and body) and then,
  // synchronously, emits 'response' (which has the latency) for the same answer.
  let retryAfter = false;
  let code: string | undefined;
  const onResponse = (status: number, body: string, _context: object, headers: object | undefined) => {
    retryAfter = Object.keys(headers ?? {}).some((h) => h.toLowerCase() === 'retry-after');
    code = status >= 400 ? errorCode(body) : undefined;
  };
  return new Promise((resolve, reject) => {
    const instance = autocannon(
      {
        url: o.url + o.path,
        method: 'POST',
        connections: o.connections,
        duration: o.seconds,
        headers: o.headers,
        ...(o.rate ? { overallRate: Math.max(1, Math.round(o.rate)) } : {}),
        ...(o.timeoutSeconds ? { timeout: o.timeoutSeconds } : {}),
        requests: [
          {
            setupRequest: (req) => {
              const i = next++ % o.bodies.length;
              return { ...req, body: o.bodies[i], headers: { ...req.headers, ...o.bodyHeaders?.[i] } };
            },
            ...(o.onAnswer ? { onResponse } : {}),
          },
        ],
      },
      (err, result) => (err ? reject(err instanceof Error ? err : new Error(String(err))) : resolve(result)),
    );
    const onAnswer = o.onAnswer;
    if (onAnswer) instance.on('response', (_client, status, _bytes, ms) => onAnswer({ status, ms, retryAfter, code }));
  });
}

export async function hammer(o: LoadOptions): Promise<LoadResult> {
  const result = await cannon(o);
  return {
    rps: result.requests.average,
    p50: result.latency.p50,
    p90: result.latency.p90,
    p99: result.latency.p99,
    requests: result.requests.total,
    // autocannon's errors already include its timeouts.
    errors: result.errors,
    non2xx: result.non2xx,
  };
}

/** Liveness probe latencies over a window, ms. */
export interface LiveSummary {
  p50: number;
  p99: number;
  max: number;
  n: number;
}

/** Every probe: when it was sent (ms since the epoch) and its latency (ms; a probe outstanding at the end counts its time so far). */
export type ProbeTimes = [sentAt: number, ms: number][];

export interface Probe {
  stop(): Promise<LiveSummary>;
  /** As stop(), with every probe. */
  stopWithTimes(): Promise<LiveSummary & { probes: ProbeTimes }>;
}

/** Probes GET /health/live every `intervalMs` until stopped, from its own process (probe-process.ts). */
export function probeLiveness(url: string, intervalMs = 20): Probe {
  assertLoopback(url);
  const child = spawn(process.execPath, [new URL('./probe-process.ts', import.meta.url).pathname, url, String(intervalMs)], { stdio: ['pipe', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stopWithTimes = async () => {
    child.stdin.end();
    await exited;
    return JSON.parse(out.trim()) as LiveSummary & { probes: ProbeTimes };
  };
  return {
    stopWithTimes,
    async stop() {
      const { p50, p99, max, n } = await stopWithTimes();
      return { p50, p99, max, n };
    },
  };
}

export function percentile(xs: number[], p: number): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
}

/**
 * One streamed generation over a kept-alive connection (node:http, lighter than fetch, so the
 * load generator takes less of the CPU it shares with the server): resolves with the time to the
 * first body chunk and the token count of the final event, or null on an error.
 */
function streamOnce(agent: http.Agent, url: string, body: string): Promise<{ ttft: number; tokens: number } | null> {
  const t0 = performance.now();
  return new Promise((resolve) => {
    const req = http.request(url, { method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (res) => {
      let ttft = -1;
      // Only the end matters (the final event counts the tokens): keep the last two chunks.
      let tail: Buffer[] = [];
      res.on('data', (chunk: Buffer) => {
        if (ttft < 0) ttft = performance.now() - t0;
        tail = [tail.at(-1) ?? Buffer.alloc(0), chunk];
      });
      res.on('end', () => {
        const final = /"tokens":(\d+)/.exec(Buffer.concat(tail).toString());
        resolve(res.statusCode === 200 && final ? { ttft, tokens: Number(final[1]) } : null);
      });
      res.on('error', () => resolve(null));
    });
    req.on('error', () => resolve(null));
    req.end(body);
  });
}

/** `streams` concurrent clients each generating `tokens` tokens (SSE) for `seconds`, back to back or `pauseMs` apart. */
export async function textStreams(url: string, model: string, streams: number, tokens: number, seconds: number, pauseMs = 0) {
  assertLoopback(url);
  const agent = new http.Agent({ keepAlive: true, maxSockets: streams });
  const ttft: number[] = [];
  let total = 0;
  let errors = 0;
  const deadline = performance.now() + seconds * 1000;
  const start = performance.now();
  await Promise.all(
    Array.from({ length: streams }, async (_, s) => {
      let i = 0;
      while (performance.now() < deadline) {
        const body = JSON.stringify({ prompt: 'The ', max_tokens: tokens, temperature: 0.8, seed: s * 1000 + i++, stream: true });
        const r = await streamOnce(agent, `${url}/v1/models/${model}/generate`, body);
        if (r) {
          ttft.push(r.ttft);
          total += r.tokens;
        } else errors++;
        if (pauseMs > 0) await new Promise((res) => setTimeout(res, pauseMs));
      }
    }),
  );
  agent.destroy();
  const elapsed = (performance.now() - start) / 1000;
  return { streams, tokens_per_s: total / elapsed, ttft_p50: percentile(ttft, 50), ttft_p99: percentile(ttft, 99), errors };
}
