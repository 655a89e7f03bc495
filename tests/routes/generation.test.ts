// Generation through the sequence engine in the workers: seeded text is the same alone, among 32
// streams, with two instances and in the evaluation scripts; a cancelled sequence frees its slot
// and its queue place at once; a fault inside an engine fails only its own sequences.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fortuneManifest, sample } from '../../scripts/lib/fortune.ts';
import { modelPath } from '../../scripts/lib/paths.ts';
import { createSession } from '../../server/runtime/onnx.ts';
import { MODELS, readyModel, testApp } from '../helpers/app.ts';
import { waitFor } from '../helpers/wait.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A repository holding only fortune-rnn, with manifest overrides. */
function rnnRepository(overrides: object = {}): string {
  const repo = fs.mkdtempSync(path.join(os.tmpdir(), 'ortserve-rnn-'));
  const dir = path.join(repo, 'fortune-rnn');
  fs.cpSync(path.join(MODELS, 'fortune-rnn'), dir, { recursive: true });
  const manifest = JSON.parse(fs.readFileSync(path.join(dir, 'manifest.json'), 'utf8'));
  fs.writeFileSync(path.join(dir, 'manifest.json'), JSON.stringify({ ...manifest, ...overrides }));
  return repo;
}

const body = (seed: number, extra: object = {}) => ({ prompt: 'The ', max_tokens: 48, temperature: 0.9, seed, ...extra });

describe('seeded generation', () => {
  let one: FastifyInstance;
  let two: FastifyInstance;
  beforeAll(async () => {
    one = await testApp({ ORTSERVE_MODELS: rnnRepository() });
    two = await testApp({ ORTSERVE_MODELS: rnnRepository({ instances: 2 }) });
  });
  afterAll(async () => {
    await Promise.all([one.close(), two.close()]);
  });

  const generate = (app: FastifyInstance, seed: number) => app.inject({ method: 'POST', url: '/v1/models/fortune-rnn/generate', payload: body(seed) }).then((r) => r.json().text as string);

  it('gives the same text alone, among 32 streams, and with instances: 2', async () => {
    const alone = await generate(one, 7);
    expect(alone.length).toBeGreaterThan(10);
    const crowd = await Promise.all(Array.from({ length: 32 }, (_, i) => generate(one, i === 13 ? 7 : 1000 + i)));
    expect(crowd[13]).toBe(alone);
    expect(readyModel(two, 'fortune-rnn').runtime.pool.readyInstances).toBe(2);
    const spread = await Promise.all(Array.from({ length: 32 }, (_, i) => generate(two, 1000 + i)));
    expect(spread).toEqual(crowd.map((t, i) => (i === 13 ? spread[13] : t)));
    expect(await generate(two, 7)).toBe(alone);
  });

  it('is what the evaluation scripts generate for the same seed (one RNG, one engine)', async () => {
    const session = await createSession(modelPath('fortune-rnn'));
    try {
      const scripted = await sample(session, fortuneManifest(), { prompt: 'The ', temperature: 0.9, maxChars: 48, seed: 7 });
      expect(await generate(one, 7)).toBe(scripted);
    } finally {
      await session.release();
    }
  });
});

/** SSE reader over a real socket: the text so far, and waiting for more of it. */
function sse(res: Response) {
  const reader = res.body!.getReader();
  let text = '';
  return {
    get text() {
      return text;
    },
    async until(pattern: RegExp): Promise<boolean> {
      while (!pattern.test(text)) {
        const { done, value } = await reader.read();
        if (done) return pattern.test(text);
        text += new TextDecoder().decode(value);
      }
      return true;
    },
  };
}

// A generation long enough (100,000 tokens, seconds even at full speed) to hold its slot for the test.
const LONG = 100_000;

describe('a cancelled sequence frees its slot and its queue place at once', () => {
  let app: FastifyInstance;
  let base: string;
  beforeAll(async () => {
    app = await testApp({ ORTSERVE_MODELS: rnnRepository({ max_tokens: LONG, batching: { max_batch_size: 1, max_queue_size: 1 } }) });
    base = await app.listen({ host: '127.0.0.1', port: 0 });
  });
  afterAll(async () => {
    await app.close();
  });

  const post = (payload: object, signal?: AbortSignal) =>
    fetch(`${base}/v1/models/fortune-rnn/generate`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(payload), signal });

  it('a timed-out waiting sequence and an aborted active one', async () => {
    const { scheduler } = readyModel(app, 'fortune-rnn').runtime;
    const active = new AbortController();
    const a = sse(await post({ prompt: 'x', max_tokens: LONG, stream: true }, active.signal));
    await a.until(/"index":0/); // A is generating: the one slot is taken
    const waiting = post({ prompt: 'x', max_tokens: 5, timeout_ms: 300 });
    await waitFor(() => scheduler.depth > 0, { what: 'the second request to queue behind A' });
    expect((await post({ prompt: 'x', max_tokens: 5 })).status).toBe(429); // the one queue place is taken
    expect((await waiting).status).toBe(504);
    expect(scheduler.depth).toBe(0); // its place is free at once...
    const next = post({ prompt: 'y', max_tokens: 5, seed: 1 });
    await waitFor(() => scheduler.depth > 0, { what: 'the third request to take the queue place' }); // ...and taken again
    active.abort();
    const answered = await next;
    expect(answered.status).toBe(200);
    expect((await answered.json()).tokens).toBe(5);
    expect(scheduler.activeSequences).toBe(0);
    const stats = (await app.inject('/v1/models/fortune-rnn')).json().stats;
    expect(stats).toMatchObject({ dropped_timeout: 1, dropped_aborted: 1 });
    // The waiting request got A's slot as soon as A's client left, not after A's 100,000 tokens:
    // every sequence-step the model ran (A's, then the 5 of the next) adds up to far fewer.
    expect(stats.items).toBeLessThan(LONG);
  });
});

describe('a fault inside an engine', () => {
  let app: FastifyInstance;
  let base: string;
  const rejections: unknown[] = [];
  const onRejection = (reason: unknown) => rejections.push(reason);
  beforeAll(async () => {
    process.on('unhandledRejection', onRejection);
    app = await testApp({ ORTSERVE_MODELS: rnnRepository({ instances: 2, max_tokens: LONG }) }, { faultInjection: true });
    base = await app.listen({ host: '127.0.0.1', port: 0 });
  });
  afterAll(async () => {
    process.off('unhandledRejection', onRejection);
    await app.close();
  });

  it('fails only the sequences of that engine step, with an SSE error event; the server keeps serving', async () => {
    const { pool, scheduler } = readyModel(app, 'fortune-rnn').runtime;
    const open = async (seed: number, signal: AbortSignal) =>
      sse(
        await fetch(`${base}/v1/models/fortune-rnn/generate`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ prompt: 'x', max_tokens: LONG, stream: true, seed }),
          signal,
        }),
      );
    // Two streams on different instances (the scheduler admits to the one with fewest active):
    // the first on instance 0, the second on instance 1.
    const stop = new AbortController();
    const first = await open(1, stop.signal);
    await first.until(/"index":0/);
    const second = await open(2, stop.signal);
    await second.until(/"index":0/);
    expect(scheduler.activeSequences).toBe(2);
    pool.crash(0, 'engine-step');
    expect(await first.until(/event: error/)).toBe(true);
    const event = JSON.parse(first.text.split('event: error\ndata: ')[1]!.trim());
    expect(event).toMatchObject({ statusCode: 500, code: 'ORT_INFERENCE_FAILED' });
    // A 5xx says what failed in the registry's fixed words; the engine's own message is only logged.
    expect(event.message).toBe("Inference failed for model 'fortune-rnn'; the cause is in the server log");
    // The other stream goes on: it keeps getting tokens after the fault.
    const seen = second.text.length;
    await second.until(new RegExp(`[\\s\\S]{${seen + 2000}}`));
    expect(second.text).not.toContain('event: error');
    stop.abort();
    const after = await app.inject({ method: 'POST', url: '/v1/models/fortune-rnn/generate', payload: { prompt: 'x', max_tokens: 5 } });
    expect(after.statusCode).toBe(200);
    expect(pool.restarts).toBe(0);
    await sleep(50);
    expect(rejections).toEqual([]);
  });
});
