// Off the paths the other tests walk: malformed requests on every wire format get registry codes
// (never Fastify's FST_…), 5xx messages carry no internal detail, and the one model-route flag
// decides what is shed, limited and counted — admin calls are authenticated before any shedding,
// tokenize is never refused as model work, probes and scrapes are never rate limited, and
// /v1/embeddings is gated and counted under its model, with refusals counted apart.
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { multipart } from '../../scripts/lib/multipart.ts';
import { buildApp } from '../../server/app.ts';
import { loadConfig } from '../../server/config.ts';
import { Errors } from '../../server/errors.ts';
import { describeAny } from '../../server/plugins/error-handler.ts';
import { RuntimeError } from '../../server/runtime/errors.ts';
import { readyModel, testApp } from '../helpers/app.ts';
import { fashionPng } from '../helpers/images.ts';
import { slowInferBody, slowModelRepository } from '../helpers/slow-model.ts';

const REGISTRY = new Set(Object.values(Errors).map((E) => new E().code));
const BODY_LIMIT = 64 * 1024;

/** The registry code an answer carries, in its wire format's place. */
function codeOf(res: LightMyRequestResponse, format: 'rest' | 'openai'): unknown {
  const body = res.json();
  return format === 'rest' ? body.code : body.error?.code;
}

describe('every answer carries a registry code, on every wire format', () => {
  let app: FastifyInstance;
  beforeAll(async () => {
    app = await testApp({ ORTSERVE_BODY_LIMIT: String(BODY_LIMIT), ORTSERVE_MAX_IMAGES: '2' });
  });
  afterAll(async () => {
    await app.close();
  });

  const json = (url: string, payload: string, type = 'application/json'): InjectOptions => ({ method: 'POST', url, headers: { 'content-type': type }, payload });
  const huge = JSON.stringify({ inputs: 'a'.repeat(BODY_LIMIT), input: 'a', model: 'bert-mini' });

  /** The same mistakes on each HTTP wire format: [what, request, expected status]. */
  const malformed = (url: string): [string, InjectOptions, number][] => [
    ['invalid JSON', json(url, '{"inputs": '), 400],
    ['an empty JSON body', json(url, ''), 400],
    ['a JSON string, not an object', json(url, '"plain"'), 400],
    ['a wrong type', json(url, '{"inputs": 42, "input": 42, "model": "bert-mini"}'), 400],
    ['a content type no route takes', json(url, '<x/>', 'application/xml'), 415],
    ['a body over --body-limit', json(url, huge), 413],
  ];

  it('REST task routes: registry codes only, and {"inputs": 42} is the same code on embed and generate', async () => {
    const cases = [...malformed('/v1/models/bert-mini/embed'), ...malformed('/v1/models/fortune-rnn/generate')];
    const png = await fashionPng(0);
    const classify = '/v1/models/fashion-cnn/classify';
    const three = await multipart([0, 1, 2].map((i) => ({ field: `f${i}`, name: `${i}.png`, type: 'image/png', data: png })));
    const fields = new FormData();
    for (let i = 0; i < 40; i++) fields.append(`f${i}`, 'x');
    const form = new Response(fields);
    cases.push(
      ['an unknown route', { method: 'POST', url: '/v1/models/bert-mini/nonsense', payload: {} }, 404],
      ['a bad percent-encoding in the URL', { method: 'POST', url: '/v1/models/%E0%A4%A/embed', payload: {} }, 400],
      ['multipart without a boundary', json(classify, 'x', 'multipart/form-data'), 400],
      ['multipart with broken framing', json(classify, '--b\r\nnope', 'multipart/form-data; boundary=b'), 400],
      ['more files than --max-images', { method: 'POST', url: classify, ...three }, 413],
      ['too many form fields', { method: 'POST', url: classify, headers: { 'content-type': form.headers.get('content-type')! }, payload: Buffer.from(await form.arrayBuffer()) }, 413],
    );
    for (const [what, request, status] of cases) {
      const res = await app.inject(request);
      expect(res.statusCode, `${what}: ${res.body}`).toBe(status);
      expect(REGISTRY, `${what}: ${res.body}`).toContain(codeOf(res, 'rest'));
    }
    const embed = await app.inject({ method: 'POST', url: '/v1/models/bert-mini/embed', payload: { inputs: 42 } });
    const generate = await app.inject({ method: 'POST', url: '/v1/models/fortune-rnn/generate', payload: { inputs: 42 } });
    expect(embed.json().code).toBe('ORT_INVALID_INPUT');
    expect(generate.json().code).toBe(embed.json().code);
  });

  it('OpenAI /v1/embeddings: registry codes in error.code, the field in error.param', async () => {
    for (const [what, request, status] of malformed('/v1/embeddings')) {
      const res = await app.inject(request);
      expect(res.statusCode, `${what}: ${res.body}`).toBe(status);
      expect(REGISTRY, `${what}: ${res.body}`).toContain(codeOf(res, 'openai'));
    }
    const wrong = await app.inject({ method: 'POST', url: '/v1/embeddings', payload: { input: 42, model: 'bert-mini' } });
    expect(wrong.json().error).toMatchObject({ type: 'invalid_request_error', param: 'input', code: 'ORT_INVALID_INPUT' });
  });

  it('KServe V2: the {"error"} body says what REST\'s describer says, for infer and unknown /v2 routes', async () => {
    const rest = malformed('/v1/models/bert-mini/embed');
    const v2 = malformed('/v2/models/bert-mini/infer');
    for (const [i, [what, request, status]] of v2.entries()) {
      const res = await app.inject(request);
      // A V2 body has only the message; its status is the registry's.
      expect(res.statusCode, `${what}: ${res.body}`).toBe(what === 'a wrong type' ? 400 : status);
      expect(Object.keys(res.json()), what).toEqual(['error']);
      // The JSON and size mistakes are Fastify's, mapped by the describer alike for both formats.
      if (['invalid JSON', 'an empty JSON body', 'a body over --body-limit'].includes(what)) expect(res.json().error, what).toBe((await app.inject(rest[i]![1])).json().message);
    }
    const unknown = await app.inject({ method: 'POST', url: '/v2/models/bert-mini/nonsense', payload: {} });
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json()).toEqual({ error: 'Route POST /v2/models/bert-mini/nonsense not found' });
  });

  it("a 5xx answer is the registry's fixed text: no onnxruntime message, no server path (both are logged)", () => {
    const context = { config: app.config };
    const failed = describeAny(new RuntimeError('inference-failed', 'bert-mini', 'Non-zero status code returned while running Gather node /onnxruntime_src/core/x.cc:42'), context);
    expect(failed).toEqual({ statusCode: 500, code: 'ORT_INFERENCE_FAILED', message: "Inference failed for model 'bert-mini'; the cause is in the server log" });
    const bug = describeAny(new TypeError(`Cannot read properties of undefined (reading 'x') at ${app.config.models}/a.ts`), context);
    expect(bug).toEqual({ statusCode: 500, code: 'ORT_INTERNAL', message: 'Internal server error; the cause is in the server log' });
  });
});

describe('the model-route flag', () => {
  let app: FastifyInstance;
  let url: string;
  beforeAll(async () => {
    app = await testApp({ ORTSERVE_ADMIN_TOKEN: 's3cret', ORTSERVE_MAX_CONCURRENT_REQUESTS: '1' });
    await app.listen({ host: '127.0.0.1', port: 0 });
    url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await app.close();
  });

  /** Runs `body` while bert-mini's scheduler says its queue has no room. */
  async function whileFull<T>(body: () => Promise<T>): Promise<T> {
    const full = vi.spyOn(readyModel(app, 'bert-mini').runtime.scheduler, 'hasRoom').mockReturnValue(false);
    try {
      return await body();
    } finally {
      full.mockRestore();
    }
  }

  const metric = async (name: string, labels: Record<string, string>) => {
    const text = (await app.inject('/metrics')).body;
    const wanted = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
    return text
      .split('\n')
      .filter((l) => l.startsWith(`${name}{`) && wanted.every((w) => l.includes(w)))
      .reduce((s, l) => s + Number(l.split(' ').at(-1)), 0);
  };

  it('admin load/unload answer 401 before any shedding, on a real socket, with the model full and the server busy', async () => {
    await whileFull(async () => {
      for (const op of ['load', 'unload']) {
        const res = await fetch(`${url}/v2/repository/models/bert-mini/${op}`, { method: 'POST' });
        expect(res.status, op).toBe(401);
        expect(res.headers.get('www-authenticate')).toBe('Bearer');
        expect(await res.json()).toEqual({ error: 'Missing or wrong bearer token: send "Authorization: Bearer <token>"' });
      }
    });
    expect(readyModel(app, 'bert-mini').state).toBe('ready');
  });

  it('tokenize runs no model, so a full queue does not refuse it; embed on the same model is refused', async () => {
    await whileFull(async () => {
      const viaGate = await fetch(`${url}/v1/models/bert-mini/tokenize`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ text: 'hello' }) });
      expect(viaGate.status).toBe(200);
      expect((await app.inject({ method: 'POST', url: '/v1/models/bert-mini/tokenize', payload: { text: 'hello' } })).statusCode).toBe(200);
      const embed = await app.inject({ method: 'POST', url: '/v1/models/bert-mini/embed', payload: { inputs: 'hello' } });
      expect(embed.json()).toMatchObject({ statusCode: 429, code: 'ORT_QUEUE_FULL' });
    });
  });

  it('/v1/embeddings is refused when its model is full and counted under that model; refusals are counted apart from served requests', async () => {
    const route = '/v1/embeddings';
    const served = { model: 'bert-mini', route, outcome: '2xx' };
    const refusedAs4xx = { model: 'bert-mini', route, outcome: '4xx' };
    const refused = { model: 'bert-mini', route, code: 'ORT_QUEUE_FULL' };
    const before = { served: await metric('ortserve_requests_total', served), as4xx: await metric('ortserve_requests_total', refusedAs4xx), refused: await metric('ortserve_refusals_total', refused) };
    const durations = await metric('ortserve_request_duration_seconds_count', { model: 'bert-mini', route });
    const ok = await app.inject({ method: 'POST', url: route, payload: { input: 'hello', model: 'bert-mini' } });
    expect(ok.statusCode).toBe(200);
    const full = await whileFull(() => app.inject({ method: 'POST', url: route, payload: { input: 'hello', model: 'bert-mini' } }));
    expect(full.statusCode).toBe(429);
    expect(full.headers['retry-after']).toBe('1');
    expect(full.json().error).toMatchObject({ type: 'rate_limit_error', code: 'ORT_QUEUE_FULL' });
    expect(await metric('ortserve_requests_total', served)).toBe(before.served + 1);
    expect(await metric('ortserve_requests_total', refusedAs4xx)).toBe(before.as4xx);
    expect(await metric('ortserve_refusals_total', refused)).toBe(before.refused + 1);
    // The refusal's time is not a served request's.
    expect(await metric('ortserve_request_duration_seconds_count', { model: 'bert-mini', route })).toBe(durations + 1);
  });

  it('the refusal gate refuses a busy server on /v1/embeddings in its OpenAI shape, and lets tokenize and admin calls through', async () => {
    const repoApp = await buildApp({
      config: loadConfig([], { ORTSERVE_MODELS: slowModelRepository({ layers: 1500, batching: { max_batch_size: 1 } }), ORTSERVE_MAX_CONCURRENT_REQUESTS: '1', ORTSERVE_ADMIN_TOKEN: 't' }),
    });
    // Resolves once the slow infer is admitted (the concurrency limit's onRequest hook ran before this one).
    const admitted = new Promise<void>((resolve) => repoApp.addHook('onRequest', async (request) => void (request.url.endsWith('/infer') && resolve())));
    await repoApp.listen({ host: '127.0.0.1', port: 0 });
    await repoApp.models.whenLoaded();
    const base = `http://127.0.0.1:${(repoApp.server.address() as AddressInfo).port}`;
    const post = (path: string, body: unknown) => fetch(`${base}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const inFlight = post('/v2/models/slow/infer', slowInferBody(64)); // long enough to stay in flight through the checks
    await admitted;
    expect(repoApp.activeRequests()).toBe(1);
    const busy = await post('/v1/embeddings', { input: 'x', model: 'slow' });
    expect(busy.status).toBe(429);
    expect((await busy.json()).error).toMatchObject({ code: 'ORT_SERVER_BUSY', type: 'rate_limit_error' });
    expect((await post('/v2/repository/models/slow/load', {})).status).toBe(401);
    expect((await inFlight).status).toBe(200);
    await repoApp.close();
  }, 60_000);
});

describe('probes and scrapes are never rate limited', () => {
  it('with --rate-limit-max 1: /metrics, /health/* and /v2/health/* always answer; model requests are limited', async () => {
    const app = await testApp({ ORTSERVE_RATE_LIMIT_MAX: '1', ORTSERVE_RATE_LIMIT_WINDOW_MS: '600000' });
    for (let i = 0; i < 3; i++) {
      for (const probe of ['/metrics', '/health/live', '/health/ready', '/v2/health/live', '/v2/health/ready']) {
        expect((await app.inject(probe)).statusCode, probe).toBe(200);
      }
    }
    const embed = () => app.inject({ method: 'POST', url: '/v1/models/bert-mini/embed', payload: { inputs: 'x' } });
    expect((await embed()).statusCode).toBe(200);
    expect((await embed()).json()).toMatchObject({ statusCode: 429, code: 'ORT_RATE_LIMITED' });
    expect((await app.inject('/v2/health/ready')).statusCode).toBe(200);
    await app.close();
  });
});
