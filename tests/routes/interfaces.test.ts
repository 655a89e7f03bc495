// OpenAPI coverage, Prometheus metrics and the model repository API (token-guarded hot swap).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { FastifyInstance, RouteOptions } from 'fastify';
import parsePrometheus from 'parse-prometheus-text-format';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../server/app.ts';
import { loadConfig } from '../../server/config.ts';
import { SHARED } from '../helpers/app.ts';

const HAVE = fs.existsSync(SHARED);
if (!HAVE) console.warn(`\n*** SKIPPED: ${SHARED} is absent, so the model-repository tests did not run ***\n`);

const repo = fs.mkdtempSync(path.join(os.tmpdir(), 'ortserve-admin-'));
const routes: RouteOptions[] = [];
let app: FastifyInstance;

async function build(env: Record<string, string>) {
  const a = await buildApp({ config: loadConfig([], { ORTSERVE_MODELS: repo, ...env }), onRoute: (r) => routes.push(r) });
  await a.ready();
  await a.models.whenLoaded();
  return a;
}

function useModel(name: string, from: string) {
  fs.mkdirSync(path.join(repo, name), { recursive: true });
  fs.rmSync(path.join(repo, name, 'model.onnx'), { force: true });
  fs.copyFileSync(path.join(SHARED, from), path.join(repo, name, 'model.onnx'));
}

beforeAll(async () => {
  if (HAVE) {
    useModel('swap', 'mnist/mnist.onnx');
    useModel('lstm', 'cntk_lstm/model.onnx');
  } else fs.mkdirSync(path.join(repo, 'empty'));
  app = await build({ ORTSERVE_ADMIN_TOKEN: 's3cret' });
});
afterAll(async () => {
  await app.close();
  fs.rmSync(repo, { recursive: true, force: true });
});

describe('OpenAPI', () => {
  it('documents every route in /openapi.json', async () => {
    const doc = (await app.inject('/openapi.json')).json();
    const documented = new Set(Object.entries(doc.paths as Record<string, object>).flatMap(([p, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${p}`)));
    const hidden = new Set(['/openapi.json']);
    const missing = routes
      .filter((r) => !hidden.has(r.url) && !r.url.startsWith('/docs') && r.schema?.hide !== true)
      .flatMap((r) =>
        [r.method]
          .flat()
          .filter((m) => m !== 'HEAD')
          .map((m) => `${m} ${r.url.replace(/:(\w+)/g, '{$1}')}`),
      )
      .filter((key) => !documented.has(key));
    expect(missing).toEqual([]);
    expect(documented.size).toBeGreaterThan(20);
    expect((await app.inject('/docs/')).statusCode).toBe(200);
  });
});

describe('Prometheus metrics', () => {
  it('parses as Prometheus text and its counters move', async () => {
    type Family = { name: string; type: string; metrics: { labels?: Record<string, string>; value?: string; buckets?: Record<string, string> }[] };
    let text = '';
    const scrape = async () => {
      text = (await app.inject('/metrics')).body;
      return parsePrometheus(text) as Family[];
    };
    const count = (families: Family[], name: string, model: string) =>
      families
        .find((f) => f.name === name)
        ?.metrics.filter((m) => m.labels?.model === model)
        .reduce((s, m) => s + Number(m.value ?? 0), 0) ?? 0;
    // This parser drops a histogram's labels, so histogram series are read from the text itself.
    const observations = (name: string) =>
      text
        .split('\n')
        .filter((l) => l.startsWith(`${name}_count{`) && l.includes(`model="${model}"`))
        .reduce((s, l) => s + Number(l.split(' ').at(-1)), 0);
    const model = HAVE ? 'lstm' : 'none';
    const before = await scrape();
    const [batchesBefore, inferBefore, requestBefore] = ['ortserve_batch_size', 'ortserve_inference_duration_seconds', 'ortserve_request_duration_seconds'].map(observations);
    for (const name of ['ortserve_requests_total', 'ortserve_queue_depth', 'ortserve_worker_restarts_total', 'ortserve_process_cpu_user_seconds_total', 'ortserve_nodejs_eventloop_lag_seconds']) {
      expect(before.map((f) => f.name)).toContain(name);
    }
    if (HAVE) {
      for (let i = 0; i < 3; i++) {
        const r = await app.inject({ method: 'POST', url: '/v2/models/lstm/infer', payload: { inputs: [{ name: 'Input3', datatype: 'FP32', shape: [1, 1, 2], data: [1, 2] }] } });
        expect(r.statusCode).toBe(200);
        expect(r.headers['x-inference-time']).toBeDefined();
      }
    }
    const after = await scrape();
    if (HAVE) {
      expect(
        count(after, 'ortserve_requests_total', model) - count(before, 'ortserve_requests_total', model),
        text
          .split('\n')
          .filter((l) => l.includes('requests_total'))
          .join('\n'),
      ).toBe(3);
      expect(observations('ortserve_batch_size') - batchesBefore!).toBe(3);
      expect(observations('ortserve_inference_duration_seconds') - inferBefore!).toBe(3);
      expect(observations('ortserve_request_duration_seconds') - requestBefore!).toBe(3);
    }
  });
});

describe.skipIf(!HAVE)('model repository API', () => {
  const auth = { authorization: 'Bearer s3cret' };
  it('refuses without the token', async () => {
    expect((await app.inject({ method: 'POST', url: '/v2/repository/index' })).statusCode).toBe(401);
    expect((await app.inject({ method: 'POST', url: '/v2/repository/models/swap/unload', headers: { authorization: 'Bearer nope' } })).statusCode).toBe(401);
  });

  it('indexes, unloads and loads', async () => {
    const index = (await app.inject({ method: 'POST', url: '/v2/repository/index', headers: auth })).json();
    expect(index).toEqual(expect.arrayContaining([expect.objectContaining({ name: 'swap', state: 'READY' })]));
    expect((await app.inject({ method: 'POST', url: '/v2/repository/models/swap/unload', headers: auth })).statusCode).toBe(200);
    expect((await app.inject('/v2/models/swap/ready')).statusCode).toBe(503);
    expect((await app.inject('/v2/models/lstm/ready')).statusCode).toBe(200);
    expect((await app.inject({ method: 'POST', url: '/v2/repository/models/swap/load', headers: auth })).statusCode).toBe(200);
    expect((await app.inject('/v2/models/swap/ready')).statusCode).toBe(200);
    expect((await app.inject({ method: 'POST', url: '/v2/repository/models/ghost/load', headers: auth })).statusCode).toBe(400);
  });

  it('hot-swaps a changed model without a restart; in-flight requests finish on the old session', async () => {
    const mnistInput = { inputs: [{ name: 'Input3', datatype: 'FP32', shape: [1, 1, 28, 28], data: Array(784).fill(0) }] };
    const inFlight = Array.from({ length: 20 }, () => app.inject({ method: 'POST', url: '/v2/models/swap/infer', payload: mnistInput }));
    useModel('swap', 'cntk_lstm/model.onnx');
    const load = await app.inject({ method: 'POST', url: '/v2/repository/models/swap/load', headers: auth });
    expect(load.statusCode, load.body).toBe(200);
    for (const r of await Promise.all(inFlight)) expect(r.statusCode).toBe(200);
    const meta = (await app.inject('/v2/models/swap')).json();
    expect(meta.inputs[0].shape).toEqual([-1, 1, 2]);
    const r = await app.inject({ method: 'POST', url: '/v2/models/swap/infer', payload: { inputs: [{ name: 'Input3', datatype: 'FP32', shape: [1, 1, 2], data: [1, 2] }] } });
    expect(r.statusCode).toBe(200);
  });
});

describe('without an admin token', () => {
  it('has no repository routes at all', async () => {
    const plain = await build({});
    expect((await plain.inject({ method: 'POST', url: '/v2/repository/index', headers: { authorization: 'Bearer s3cret' } })).statusCode).toBe(404);
    expect((await plain.inject('/v2')).json().extensions).toEqual(['binary_tensor_data']);
    await plain.close();
  });
});
