// The refusal gate (plugins/refusal-gate.ts) answers overload refusals on real sockets before
// Fastify: the same status, Retry-After, body and metrics as the Fastify path (which `inject`
// takes, since it bypasses the HTTP server), and it hands on whatever it must not answer.
import type { FastifyInstance } from 'fastify';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../server/app.ts';
import { loadConfig } from '../../server/config.ts';
import { readyModel } from '../helpers/app.ts';
import { slowInferBody, slowModelRepository } from '../helpers/slow-model.ts';
import { waitFor } from '../helpers/wait.ts';

const QUEUE = 2;
const INFER = '/v2/models/slow/infer';

async function listening(env: Record<string, string>): Promise<{ app: FastifyInstance; url: string; fastifyAnswers: () => number }> {
  let answered = 0;
  const repo = slowModelRepository({ layers: 1500, batching: { max_batch_size: 1, max_queue_size: QUEUE, max_queue_delay_ms: 0 } });
  const app = await buildApp({
    config: loadConfig([], { ORTSERVE_MODELS: repo, ...env }),
    // Counts the answers Fastify itself gives on the model routes (refusals included).
    onRoute: (route) => {
      if (route.url.includes(':model')) route.onResponse = [async () => void answered++];
    },
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  await app.models.whenLoaded();
  return { app, url: `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`, fastifyAnswers: () => answered };
}

const post = (url: string, body: unknown, headers: Record<string, string> = {}) =>
  fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });

/**
 * Starts `n` slow infers and resolves once the model's queue is full. They stay in flight for the
 * test's checks: 64 rows × 1,500 layers each keep the one instance busy for longer than those checks
 * take, even on a fast machine (8 rows did not always).
 */
async function fillQueue(app: FastifyInstance, url: string, n = QUEUE + 1): Promise<Promise<Response>[]> {
  const inFlight = Array.from({ length: n }, () => post(`${url}${INFER}`, slowInferBody(64)));
  const scheduler = readyModel(app, 'slow').runtime.scheduler;
  await waitFor(() => scheduler.depth >= QUEUE, { what: `the queue to fill (${QUEUE})` });
  return inFlight;
}

/** A counter's value for `route`, with `label` (outcome="2xx" of a served request, code="ORT_…" of a refusal). */
function metric(text: string, name: string, route: string, label: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${name}{`) && l.includes(`route="${route}"`) && l.includes(label));
  return line ? Number(line.split(' ').at(-1)) : 0;
}

describe('the refusal gate', () => {
  let server: Awaited<ReturnType<typeof listening>>;
  beforeAll(async () => {
    server = await listening({});
  });
  afterAll(async () => {
    await server.app.close();
  });

  it("answers a full model's POST itself, exactly as Fastify's path does, and counts it", async () => {
    const { app, url, fastifyAnswers } = server;
    const inFlight = await fillQueue(app, url);
    const before = fastifyAnswers();
    const gated = await post(`${url}${INFER}`, slowInferBody(1));
    const viaFastify = await app.inject({ method: 'POST', url: INFER, payload: slowInferBody(1) });
    // One answer from Fastify (inject); the socket's came from the gate.
    expect(fastifyAnswers() - before).toBe(1);
    expect(gated.status).toBe(429);
    expect(viaFastify.statusCode).toBe(429);
    expect(gated.headers.get('retry-after')).toBe('1');
    expect(gated.headers.get('retry-after')).toBe(viaFastify.headers['retry-after']);
    expect(gated.headers.get('content-type')).toBe(viaFastify.headers['content-type']);
    const body = await gated.json();
    expect(body).toEqual({ error: "Model 'slow' is overloaded: its queue is full" });
    expect(body).toEqual(viaFastify.json());
    // The same request on the versioned path, and the accepted ones still complete.
    expect((await post(`${url}/v2/models/slow/versions/1/infer`, slowInferBody(1))).status).toBe(429);
    for (const r of await Promise.all(inFlight)) expect(r.status).toBe(200);
    const metrics = await (await fetch(`${url}/metrics`)).text();
    // Refusals are counted apart from served requests.
    expect(metric(metrics, 'ortserve_refusals_total', '/v2/models/:model/infer', 'code="ORT_QUEUE_FULL"')).toBeGreaterThanOrEqual(2);
    expect(metric(metrics, 'ortserve_refusals_total', '/v2/models/:model/versions/:version/infer', 'code="ORT_QUEUE_FULL"')).toBe(1);
    expect(metric(metrics, 'ortserve_requests_total', '/v2/models/:model/infer', 'outcome="4xx"')).toBe(0);
    expect(metric(metrics, 'ortserve_requests_total', '/v2/models/:model/infer', 'outcome="2xx"')).toBe(QUEUE + 1);
  }, 60_000);

  it('hands on to Fastify what it does not refuse: room in the queue, GETs, unknown routes and models', async () => {
    const { url, fastifyAnswers } = server;
    const before = fastifyAnswers();
    expect((await post(`${url}${INFER}`, slowInferBody(1))).status).toBe(200);
    expect((await fetch(`${url}/v2/models/slow`)).status).toBe(200);
    expect((await post(`${url}/v2/models/nope/infer`, slowInferBody(1))).status).toBe(404);
    expect((await post(`${url}/v1/models/slow/nonsense`, {})).status).toBe(404);
    expect(fastifyAnswers() - before).toBe(3);
  }, 60_000);
});

describe('the refusal gate and other settings', () => {
  it('refuses past --max-concurrent-requests with the REST error shape, as Fastify does', async () => {
    const { app, url, fastifyAnswers } = await listening({ ORTSERVE_MAX_CONCURRENT_REQUESTS: '1' });
    const inFlight = post(`${url}${INFER}`, slowInferBody(64)); // long enough to stay in flight through the checks
    await waitFor(() => app.activeRequests() >= 1, { what: 'the first request to be in flight' });
    const before = fastifyAnswers();
    const gated = await post(`${url}/v1/models/slow/classify`, {});
    const viaFastify = await app.inject({ method: 'POST', url: '/v1/models/slow/classify', payload: {} });
    expect(fastifyAnswers() - before).toBe(1);
    expect(gated.status).toBe(429);
    expect(gated.headers.get('retry-after')).toBe('1');
    const body = await gated.json();
    expect(body).toEqual({ statusCode: 429, code: 'ORT_SERVER_BUSY', error: 'Too Many Requests', message: 'The server is handling 1 requests, its limit; retry shortly' });
    expect(body).toEqual(viaFastify.json());
    expect((await inFlight).status).toBe(200);
    await app.close();
  }, 60_000);

  it('leaves CORS requests to Fastify, so their refusals carry the CORS headers', async () => {
    const { app, url, fastifyAnswers } = await listening({ ORTSERVE_CORS_ORIGINS: 'https://app.example' });
    const inFlight = await fillQueue(app, url);
    const before = fastifyAnswers();
    const cors = await post(`${url}${INFER}`, slowInferBody(1), { origin: 'https://app.example' });
    expect(cors.status).toBe(429);
    expect(cors.headers.get('access-control-allow-origin')).toBe('https://app.example');
    expect(fastifyAnswers() - before).toBe(1);
    await Promise.all(inFlight);
    await app.close();
  }, 60_000);

  it('is off when rate limiting is on: every request is counted by the limiter first', async () => {
    const { app, url, fastifyAnswers } = await listening({ ORTSERVE_RATE_LIMIT_MAX: '1000' });
    const inFlight = await fillQueue(app, url);
    const before = fastifyAnswers();
    const refused = await post(`${url}${INFER}`, slowInferBody(1));
    expect(refused.status).toBe(429);
    expect(fastifyAnswers() - before).toBe(1);
    await Promise.all(inFlight);
    await app.close();
  }, 60_000);
});
