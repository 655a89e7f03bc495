// Security hygiene: request size limits, slow clients (slowloris), no internals in errors,
// constant-time admin token check, CORS off unless configured, optional rate limiting and the
// global concurrency limit.
import type { FastifyInstance } from 'fastify';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withoutPaths } from '../../server/repository/repository.ts';
import { authorized } from '../../server/routes/repository.ts';
import { testApp } from '../helpers/app.ts';
import { fashionPng } from '../helpers/images.ts';
import { slowInferBody, slowModelRepository } from '../helpers/slow-model.ts';
import { multipart } from '../../scripts/lib/multipart.ts';

/**
 * Sends raw bytes on a fresh connection, `gapMs` apart; resolves with what came back and how many
 * chunks were still unsent when the server closed it (more than 0: the server cut the client off).
 */
function rawExchange(port: number, chunks: string[], gapMs = 0): Promise<{ response: string; unsent: number }> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    let response = '';
    let sent = 0;
    const s = net.connect(port, '127.0.0.1', async () => {
      for (const c of chunks) {
        if (s.destroyed) break;
        s.write(c);
        sent++;
        if (gapMs) await new Promise((r) => setTimeout(r, gapMs));
      }
    });
    s.setEncoding('latin1');
    s.on('data', (d: string) => (response += d));
    s.on('error', () => undefined);
    s.on('close', () => {
      if (gapMs) console.log(`closed by the server after ${(performance.now() - started).toFixed(0)} ms, ${chunks.length - sent} of ${chunks.length} chunks unsent`);
      resolve({ response, unsent: chunks.length - sent });
    });
    setTimeout(() => reject(new Error(`connection still open after 15 s; got: ${response.slice(0, 200)}`)), 15_000).unref();
  });
}

describe('limits on real sockets', () => {
  let app: FastifyInstance;
  let port: number;
  beforeAll(async () => {
    app = await testApp({ ORTSERVE_HEADERS_TIMEOUT_MS: '1000', ORTSERVE_REQUEST_TIMEOUT_MS: '2000', ORTSERVE_MAX_HEADER_SIZE: '8192', ORTSERVE_BODY_LIMIT: String(256 * 1024) });
    await app.listen({ host: '127.0.0.1', port: 0 });
    port = (app.server.address() as net.AddressInfo).port;
  });
  afterAll(async () => {
    await app.close();
  });

  it('answers an oversized request head with 431 and closes', async () => {
    const r = await rawExchange(port, [`GET /health/live HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(16 * 1024)}\r\n\r\n`]);
    expect(r.response).toMatch(/^HTTP\/1.1 431/);
  });

  it('closes a slowloris connection that never finishes its headers (408) within the headers timeout', async () => {
    const drip = Array.from({ length: 40 }, (_, i) => (i === 0 ? 'GET /health/live HTTP/1.1\r\nHost: x\r\n' : `X-${i}: y\r\n`));
    const r = await rawExchange(port, drip, 250);
    expect(r.response).toMatch(/^HTTP\/1.1 408/);
    // Cut off by the 1 s headers timeout, not by the end of the 10 s drip (timing: RELIABILITY.md §7).
    expect(r.unsent).toBeGreaterThan(0);
  });

  it('closes a connection that sends its body too slowly (408) within the request timeout', async () => {
    const head = 'POST /v1/models/bert-mini/embed HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n';
    const r = await rawExchange(port, [head, ...Array.from({ length: 40 }, () => '{"text":"a')], 250);
    expect(r.response).toMatch(/^HTTP\/1.1 408/);
    // Cut off by the 2 s request timeout, not by the end of the 10 s drip.
    expect(r.unsent).toBeGreaterThan(0);
  });

  it('rejects a body over the limit with 413 JSON', async () => {
    const res = await fetch(`http://127.0.0.1:${port}/v1/models/bert-mini/embed`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ text: 'a'.repeat(300 * 1024) }),
    });
    expect(res.status).toBe(413);
    expect(await res.json()).toMatchObject({ statusCode: 413, code: expect.any(String) });
  });
});

describe('multipart limits', () => {
  let app: FastifyInstance;
  beforeAll(async () => {
    app = await testApp({ ORTSERVE_MAX_IMAGES: '4' });
  });
  afterAll(async () => {
    await app.close();
  });

  it('refuses more files than --max-images with a 4xx JSON error', async () => {
    const png = await fashionPng(0);
    const form = await multipart(Array.from({ length: 6 }, (_, i) => ({ field: `f${i}`, name: `${i}.png`, type: 'image/png', data: png })));
    const res = await app.inject({ method: 'POST', url: '/v1/models/fashion-cnn/classify', ...form });
    expect(res.statusCode).toBeGreaterThanOrEqual(400);
    expect(res.statusCode).toBeLessThan(500);
    expect(res.json().message).toMatch(/files|limit/i);
  });
  it('refuses more form fields than allowed', async () => {
    const form = new FormData();
    for (let i = 0; i < 40; i++) form.append(`f${i}`, 'x');
    const body = new Response(form);
    const res = await app.inject({
      method: 'POST',
      url: '/v1/models/fashion-cnn/classify',
      headers: { 'content-type': body.headers.get('content-type')! },
      payload: Buffer.from(await body.arrayBuffer()),
    });
    expect(res.json().message).toMatch(/fields|limit/i);
    expect(res.statusCode).toBeGreaterThanOrEqual(400);
    expect(res.statusCode).toBeLessThan(500);
  });
});

describe('errors carry no internals', () => {
  it('strips server paths from messages', () => {
    expect(withoutPaths('Load model from /srv/models/cnn/model.onnx failed:/onnxruntime_src/core/graph/model.cc:180 bad', '/srv/models')).toBe(
      'Load model from cnn/model.onnx failed:model.cc:180 bad',
    );
    expect(withoutPaths("ENOENT: open '/etc/secret/app.json'", '/srv/models')).toBe("ENOENT: open 'app.json'");
  });
});

describe('admin token', () => {
  it('is compared by digest in constant time and rejects every near miss', () => {
    expect(authorized('Bearer s3cret', 's3cret')).toBe(true);
    for (const h of [undefined, '', 'Bearer', 'Bearer ', 'Bearer s3cre', 'Bearer s3cretX', 'Bearer S3CRET', 'bearer s3cret', 's3cret']) expect(authorized(h, 's3cret')).toBe(false);
  });
});

describe('CORS', () => {
  it('is off by default: no CORS headers, preflight not answered', async () => {
    const app = await testApp();
    const get = await app.inject({ url: '/v1/models', headers: { origin: 'https://evil.example' } });
    expect(get.headers['access-control-allow-origin']).toBeUndefined();
    const pre = await app.inject({ method: 'OPTIONS', url: '/v1/models/bert-mini/embed', headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' } });
    expect(pre.headers['access-control-allow-origin']).toBeUndefined();
    await app.close();
  });
  it('allows exactly the configured origins', async () => {
    const app = await testApp({ ORTSERVE_CORS_ORIGINS: 'https://app.example' });
    const ok = await app.inject({ url: '/v1/models', headers: { origin: 'https://app.example' } });
    expect(ok.headers['access-control-allow-origin']).toBe('https://app.example');
    const other = await app.inject({ url: '/v1/models', headers: { origin: 'https://evil.example' } });
    expect(other.headers['access-control-allow-origin']).toBeUndefined();
    await app.close();
  });
});

describe('rate limiting (optional)', () => {
  it('answers model requests past the limit with 429 ORT_RATE_LIMITED and Retry-After, never health checks', async () => {
    const app = await testApp({ ORTSERVE_RATE_LIMIT_MAX: '3', ORTSERVE_RATE_LIMIT_WINDOW_MS: '60000' });
    const embed = () => app.inject({ method: 'POST', url: '/v1/models/bert-mini/embed', payload: { inputs: 'x' } });
    const statuses = [];
    for (let i = 0; i < 4; i++) statuses.push((await embed()).statusCode);
    expect(statuses).toEqual([200, 200, 200, 429]);
    const limited = await embed();
    expect(limited.json()).toMatchObject({ statusCode: 429, code: 'ORT_RATE_LIMITED' });
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    for (let i = 0; i < 5; i++) expect((await app.inject('/health/live')).statusCode).toBe(200);
    await app.close();
  });
  it('is off by default', async () => {
    const app = await testApp();
    for (let i = 0; i < 30; i++) expect((await app.inject('/v1/models')).statusCode).toBe(200);
    await app.close();
  });
});

describe('global concurrency limit', () => {
  it('answers requests over --max-concurrent-requests with 429 ORT_SERVER_BUSY at once; health stays up', async () => {
    const repo = slowModelRepository({ layers: 1500, batching: { max_batch_size: 1 } });
    const app = await testApp({ ORTSERVE_MODELS: repo, ORTSERVE_MAX_CONCURRENT_REQUESTS: '2' });
    const infer = () => app.inject({ method: 'POST', url: '/v2/models/slow/infer', payload: slowInferBody(16) });
    const results = await Promise.all([infer(), infer(), infer(), infer(), app.inject('/health/live')]);
    const statuses = results.map((r) => r.statusCode);
    expect(statuses.slice(0, 4).sort()).toEqual([200, 200, 429, 429]);
    expect(statuses[4]).toBe(200);
    const busy = results.find((r) => r.statusCode === 429)!;
    expect(busy.headers['retry-after']).toBe('1');
    expect(busy.json().error).toMatch(/handling 2 requests/);
    expect(app.activeRequests()).toBe(0);
    await app.close();
  }, 30_000);
});
