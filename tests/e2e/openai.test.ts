// The official `openai` npm client, pointed at ortserve with baseURL, gets bert-mini embeddings
// equal to the task route's.
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type ServerProcess } from '../helpers/server-process.ts';

let srv: ServerProcess;
beforeAll(async () => {
  srv = await startServer();
});
afterAll(async () => {
  srv.proc.kill('SIGTERM');
  await srv.exited;
});

const texts = ['the cat sat on the mat', 'a fortune cookie says hello', 'stock markets fell sharply'];

async function taskRoute(inputs: string[]): Promise<number[][]> {
  const r = await fetch(`${srv.url}/v1/models/bert-mini/embed`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ inputs }) });
  return (await r.json()).embeddings;
}

describe('OpenAI-compatible embeddings', () => {
  it('matches /v1/models/bert-mini/embed within 1e-6 through the official client', async () => {
    const client = new OpenAI({ baseURL: `${srv.url}/v1`, apiKey: 'not-needed', maxRetries: 0 });
    const res = await client.embeddings.create({ model: 'bert-mini', input: texts, encoding_format: 'float' });
    expect(res.object).toBe('list');
    expect(res.model).toBe('bert-mini');
    expect(res.usage.prompt_tokens).toBeGreaterThan(texts.length);
    const expected = await taskRoute(texts);
    res.data.forEach((d, i) => {
      expect(d.index).toBe(i);
      d.embedding.forEach((v, k) => expect(Math.abs(v - expected[i]![k]!)).toBeLessThan(1e-6));
    });
  });

  it('supports base64 encoding (the SDK default) and shortened, renormalised dimensions', async () => {
    const client = new OpenAI({ baseURL: `${srv.url}/v1`, apiKey: 'not-needed', maxRetries: 0 });
    const b64 = await client.embeddings.create({ model: 'bert-mini', input: texts[0]! });
    const expected = (await taskRoute([texts[0]!]))[0]!;
    b64.data[0]!.embedding.forEach((v, k) => expect(Math.abs(v - expected[k]!)).toBeLessThan(1e-6));
    const short = await client.embeddings.create({ model: 'bert-mini', input: texts[0]!, dimensions: 32, encoding_format: 'float' });
    expect(short.data[0]!.embedding).toHaveLength(32);
    expect(Math.hypot(...short.data[0]!.embedding)).toBeCloseTo(1, 5);
  });

  it('answers errors in OpenAI shape, which the client raises', async () => {
    const client = new OpenAI({ baseURL: `${srv.url}/v1`, apiKey: 'not-needed', maxRetries: 0 });
    await expect(client.embeddings.create({ model: 'nope', input: 'x' })).rejects.toMatchObject({ status: 404, error: { type: 'invalid_request_error' } });
    await expect(client.embeddings.create({ model: 'fashion-cnn', input: 'x' })).rejects.toMatchObject({ status: 404 });
    const raw = await fetch(`${srv.url}/v1/embeddings`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'bert-mini' }) });
    expect(raw.status).toBe(400);
    expect((await raw.json()).error).toMatchObject({ type: 'invalid_request_error', message: expect.stringMatching(/input/) });
  });
});
