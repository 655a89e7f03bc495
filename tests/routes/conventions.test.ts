// One convention across ortserve's own routes: x-request-id is accepted and echoed (a new id when the client
// sends none or an unusable one), every task route that runs a model answers the scheduler's timing headers
// (text generation included), and timeout_ms is the one deadline field, checked by the one schema.
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testApp } from '../helpers/app.ts';
import { fashionPng } from '../helpers/images.ts';

let app: FastifyInstance;
beforeAll(async () => {
  app = await testApp();
});
afterAll(async () => {
  await app?.close();
});

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

describe('x-request-id', () => {
  it("echoes the client's id on task, listing, OpenAI and error answers", async () => {
    const answers = await Promise.all([
      app.inject({ method: 'POST', url: '/v1/models/bert-mini/embed', payload: { inputs: 'a cat' }, headers: { 'x-request-id': 'req-embed-1' } }),
      app.inject({ url: '/v1/models', headers: { 'x-request-id': 'req-list-1' } }),
      app.inject({ method: 'POST', url: '/v1/embeddings', payload: { model: 'bert-mini', input: 'a cat' }, headers: { 'x-request-id': 'req-openai-1' } }),
      app.inject({ method: 'POST', url: '/v1/models/nope/embed', payload: { inputs: 'x' }, headers: { 'x-request-id': 'req-error-1' } }),
    ]);
    expect(answers.map((r) => r.headers['x-request-id'])).toEqual(['req-embed-1', 'req-list-1', 'req-openai-1', 'req-error-1']);
    expect(answers[3].statusCode).toBe(404);
  });

  it('gives a new id when the client sends none, or one that is not printable ASCII of at most 128 characters', async () => {
    for (const headers of [{}, { 'x-request-id': 'x'.repeat(129) }, { 'x-request-id': 'has space' }]) {
      const res = await app.inject({ url: '/health/live', headers });
      expect(res.headers['x-request-id'], JSON.stringify(headers)).toMatch(UUID);
    }
  });
});

describe('timing headers on every task route', () => {
  const expectTiming = (res: { statusCode: number; body: string; headers: Record<string, unknown> }, route: string) => {
    expect(res.statusCode, `${route}: ${res.body.slice(0, 200)}`).toBe(200);
    expect(Number(res.headers['x-batch-size']), route).toBeGreaterThanOrEqual(1);
    for (const h of ['x-queue-time', 'x-inference-time']) expect(Number.isFinite(Number(res.headers[h])), `${route} ${h}`).toBe(true);
  };

  it('classify (image and text), embed, fill-mask, attention, generate (text), OpenAI embeddings and the Hugging Face base', async () => {
    const post = (url: string, payload: object) => app.inject({ method: 'POST', url, payload });
    const png = await fashionPng(0);
    expectTiming(await app.inject({ method: 'POST', url: '/v1/models/fashion-cnn/classify', headers: { 'content-type': 'image/png' }, payload: png }), 'classify image');
    expectTiming(await post('/v1/models/bert-mini-topics/classify', { inputs: 'a cat' }), 'classify text');
    expectTiming(await post('/v1/models/bert-mini/embed', { inputs: 'a cat' }), 'embed');
    expectTiming(await post('/v1/models/bert-mini/fill-mask', { text: 'a [MASK] sat' }), 'fill-mask');
    expectTiming(await post('/v1/models/bert-mini/attention', { text: 'a cat' }), 'attention');
    expectTiming(await post('/v1/models/fortune-rnn/generate', { prompt: 'A', max_tokens: 4, seed: 1 }), 'generate text');
    expectTiming(await post('/v1/models/fashion-dcgan/generate', { seed: 1 }), 'generate images');
    expectTiming(await post('/v1/embeddings', { model: 'bert-mini', input: 'a cat' }), 'openai');
    expectTiming(await post('/hf/models/bert-mini', { inputs: 'a cat' }), 'hf base');
  });
});

describe('timeout_ms', () => {
  it('is accepted by every task body, /v1/embeddings included, and checked by the one schema', async () => {
    const bodies: [string, object][] = [
      ['/v1/models/bert-mini/embed', { inputs: 'a cat' }],
      ['/v1/models/bert-mini-topics/classify', { inputs: 'a cat' }],
      ['/v1/models/fortune-rnn/generate', { prompt: 'A', max_tokens: 2 }],
      ['/v1/embeddings', { model: 'bert-mini', input: 'a cat' }],
      ['/hf/models/bert-mini/embed', { inputs: 'a cat' }],
    ];
    for (const [url, body] of bodies) {
      expect((await app.inject({ method: 'POST', url, payload: { ...body, timeout_ms: 60_000 } })).statusCode, url).toBe(200);
      const bad = await app.inject({ method: 'POST', url, payload: { ...body, timeout_ms: 0 } });
      expect(bad.statusCode, url).toBeGreaterThanOrEqual(400);
      expect(bad.body, url).toMatch(/timeout_ms/);
    }
  });
});
