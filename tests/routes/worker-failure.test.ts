// A worker that dies fails its in-flight requests at once with 503, and is respawned.
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testApp } from '../helpers/app.ts';

let app: FastifyInstance;
beforeAll(async () => {
  app = await testApp();
});
afterAll(async () => {
  await app.close();
});

describe('worker failure', () => {
  it('answers in-flight requests with 503 fast, respawns, and serves again', async () => {
    const entry = app.models.get('fortune-rnn')!;
    const pending = app.inject({ method: 'POST', url: '/v1/models/fortune-rnn/generate', payload: { prompt: 'x', max_tokens: 1000 } });
    await new Promise((r) => setTimeout(r, 100));
    const t0 = performance.now();
    entry.pool!.crash(0);
    const res = await pending;
    expect(res.statusCode).toBe(503);
    expect(res.json()).toMatchObject({ code: 'ORT_WORKER_FAILED' });
    // Fails fast: well before the 30 s request timeout would have fired.
    expect(performance.now() - t0).toBeLessThan(5000);

    let ok = 0;
    for (let i = 0; i < 50 && ok === 0; i++) {
      await new Promise((r) => setTimeout(r, 100));
      const again = await app.inject({ method: 'POST', url: '/v1/models/fortune-rnn/generate', payload: { prompt: 'x', max_tokens: 5 } });
      if (again.statusCode === 200) ok++;
    }
    expect(ok).toBe(1);
    const info = await app.inject('/v1/models/fortune-rnn');
    expect(info.json().stats.worker_restarts).toBe(1);
  });
});
