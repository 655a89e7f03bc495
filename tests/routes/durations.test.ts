// A request's timeout_ms above the longest timer (2^31 − 1 ms) is a 400 naming the bound, in a body
// checked by the route's schema, in one checked in the handler (per-task bodies) and in the query,
// instead of a deadline that Node's timer overflow turned into 1 ms; the bound itself is accepted.
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testApp } from '../helpers/app.ts';
import { hfRepo } from '../helpers/hf-text.ts';

const TOO_LONG = 2 ** 31;

let app: FastifyInstance;
beforeAll(async () => {
  app = await testApp({ ORTSERVE_MODELS: hfRepo(['st-cls', 'regression']) });
});
afterAll(async () => {
  await app?.close();
});

const post = (url: string, payload: object) => app.inject({ method: 'POST', url, payload });

describe('request timeout_ms maximum', () => {
  it.each([
    ['embed (route schema)', '/v1/models/st-cls/embed', { inputs: 'a short text' }],
    ['text classification (checked in the handler)', '/v1/models/regression/classify', { inputs: 'a short text' }],
  ])('%s: 2^31 ms is a 400 naming 2147483647; 2^31 − 1 ms is served', async (_what, url, body) => {
    const refused = await post(url, { ...body, timeout_ms: TOO_LONG });
    expect(refused.statusCode, refused.body).toBe(400);
    expect(refused.json().message).toMatch(/timeout_ms must be (<=|less or equal to) 2147483647/);
    const served = await post(url, { ...body, timeout_ms: TOO_LONG - 1 });
    expect(served.statusCode, served.body).toBe(200);
  });

  it('in the query string too', async () => {
    const res = await post(`/v1/models/regression/classify?timeout_ms=${TOO_LONG}`, { inputs: 'a short text' });
    expect(res.statusCode, res.body).toBe(400);
    expect(res.json().message).toMatch(/timeout_ms must be (<=|less or equal to) 2147483647/);
  });
});
