// One POST of a route's i-th body with fetch, reported as an answer (status, latency, whether
// it carried Retry-After, error code, whether an error's body was JSON) or as a failure (timeout,
// or a connection that failed).
import { errorBody, type Answer } from '../bench/load.ts';
import type { RouteLoad } from '../bench/requests.ts';

export type Sent = (Answer & { jsonError: boolean }) | { status: null; ms: number; failure: 'timeout' | 'connection' };

export async function post(url: string, load: RouteLoad, i: number, timeoutMs: number): Promise<Sent> {
  const k = i % load.bodies.length;
  const body = load.bodies[k]!;
  const t0 = performance.now();
  try {
    const res = await fetch(url + load.path, {
      method: 'POST',
      headers: { ...load.headers, ...load.bodyHeaders?.[k] },
      body: typeof body === 'string' ? body : new Uint8Array(body),
      signal: AbortSignal.timeout(timeoutMs),
    });
    const text = await res.text();
    const error: ReturnType<typeof errorBody> = res.status >= 400 ? errorBody(text) : { json: false };
    return { status: res.status, ms: performance.now() - t0, retryAfter: res.headers.has('retry-after'), code: error.code, jsonError: error.json };
  } catch (err) {
    return { status: null, ms: performance.now() - t0, failure: (err as Error).name === 'TimeoutError' ? 'timeout' : 'connection' };
  }
}
