// One queue per model: every operation and protocol (embed, fill-mask, attention, KServe V2)
// counts against the model's one max_queue_size, and the queue_depth metric sees all of it.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ModelQueue } from '../../server/runtime/queue.ts';
import { MODELS, readyModel, testApp } from '../helpers/app.ts';
import { slowInferBody, slowModelRepository } from '../helpers/slow-model.ts';
import { waitFor } from '../helpers/wait.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const QUEUE = 8;

describe('bert-mini: one bound across operations and protocols', () => {
  let app: FastifyInstance;
  beforeAll(async () => {
    const repo = fs.mkdtempSync(path.join(os.tmpdir(), 'ortserve-bert-'));
    const dir = path.join(repo, 'bert-mini');
    fs.cpSync(path.join(MODELS, 'bert-mini'), dir, { recursive: true });
    const manifest = JSON.parse(fs.readFileSync(path.join(dir, 'manifest.json'), 'utf8'));
    fs.writeFileSync(path.join(dir, 'manifest.json'), JSON.stringify({ ...manifest, instances: 1, batching: { ...manifest.batching, max_queue_size: QUEUE } }));
    app = await testApp({ ORTSERVE_MODELS: repo });
  });
  afterAll(async () => {
    vi.restoreAllMocks();
    await app.close();
  });

  it('embed + fill-mask + attention + V2 sent together never queue more than max_queue_size items; the rest get 429', async () => {
    const sizes: number[] = [];
    // eslint-disable-next-line @typescript-eslint/unbound-method -- the original is kept to be called with the queue's own `this` (append.call(this, …)) from the spy
    const append = ModelQueue.prototype.append;
    vi.spyOn(ModelQueue.prototype, 'append').mockImplementation(function (this: ModelQueue<never>, entry) {
      const ok = append.call(this, entry);
      sizes.push(this.size);
      return ok;
    });
    const ids = [2, 990, 1349, 3];
    const v2 = {
      inputs: ['input_ids', 'attention_mask', 'token_type_ids'].map((name, k) => ({ name, datatype: 'INT64', shape: [1, 4], data: k === 0 ? ids : k === 1 ? [1, 1, 1, 1] : [0, 0, 0, 0] })),
    };
    const requests = Array.from({ length: 25 }, () => [
      { url: '/v1/models/bert-mini/embed', payload: { inputs: 'a cat sat on the mat' }, op: 'embed' },
      { url: '/v1/models/bert-mini/fill-mask', payload: { text: 'the cat sat on the [MASK].' }, op: 'fill-mask' },
      { url: '/v1/models/bert-mini/attention', payload: { text: 'the cat sat' }, op: 'attention' },
      { url: '/v2/models/bert-mini/infer', payload: v2, op: 'v2' },
    ]).flat();
    const answers = await Promise.all(requests.map((r) => app.inject({ method: 'POST', url: r.url, payload: r.payload }).then((res) => ({ op: r.op, status: res.statusCode }))));
    const by = (status: number) => answers.filter((a) => a.status === status);
    console.log(`${requests.length} requests over 4 operations, max_queue_size ${QUEUE}: ${by(200).length}×200, ${by(429).length}×429; deepest queue ${Math.max(...sizes)}`);
    expect(by(200).length + by(429).length).toBe(requests.length);
    expect(by(429).length).toBeGreaterThan(0);
    expect(new Set(by(200).map((a) => a.op))).toEqual(new Set(['embed', 'fill-mask', 'attention', 'v2']));
    expect(Math.max(...sizes)).toBeLessThanOrEqual(QUEUE);
    expect(readyModel(app, 'bert-mini').runtime.scheduler.depth).toBe(0);
  });
});

describe('the queue_depth metric', () => {
  let app: FastifyInstance;
  beforeAll(async () => {
    app = await testApp({ ORTSERVE_MODELS: slowModelRepository({ layers: 1500, batching: { max_batch_size: 1, max_queue_size: 64, max_queue_delay_ms: 0 } }) });
  });
  afterAll(async () => {
    await app.close();
  });

  it('counts queued KServe V2 work', async () => {
    const { scheduler } = readyModel(app, 'slow').runtime;
    const infer = (rows: number) => app.inject({ method: 'POST', url: '/v2/models/slow/infer', payload: slowInferBody(rows) });
    const blocker = infer(64);
    await sleep(20); // the blocker left the queue and holds the only instance
    const queued = Array.from({ length: 5 }, () => infer(1));
    await waitFor(() => scheduler.depth === 5, { what: '5 requests queued behind the blocker' });
    const metrics = (await app.inject('/metrics')).body;
    expect(metrics).toMatch(/^ortserve_queue_depth\{model="slow"\} 5$/m);
    expect((await app.inject('/v1/models/slow')).json().queue_depth).toBe(5);
    await Promise.all([blocker, ...queued]);
    expect((await app.inject('/metrics')).body).toMatch(/^ortserve_queue_depth\{model="slow"\} 0$/m);
  });
});
