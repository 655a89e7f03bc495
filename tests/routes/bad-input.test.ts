// Every kind of bad input gets a 4xx JSON error that says what was wrong, never a 5xx or a
// crash, and the next request is served normally.
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readyModel, testApp } from '../helpers/app.ts';
import { bombPng, fashionPng } from '../helpers/images.ts';
import { multipart } from '../../scripts/lib/multipart.ts';

let app: FastifyInstance;
let png: Buffer;
beforeAll(async () => {
  app = await testApp({ ORTSERVE_BODY_LIMIT: String(1024 * 1024) });
  png = await fashionPng(0);
});
afterAll(async () => {
  await app.close();
});

function expectError(res: LightMyRequestResponse, status: number, message: RegExp, code?: string) {
  expect(res.statusCode, res.body).toBe(status);
  const body = res.json();
  expect(body).toMatchObject({ statusCode: status, error: expect.any(String), code: expect.any(String) });
  expect(body.message).toMatch(message);
  if (code) expect(body.code).toBe(code);
  expect(res.body).not.toMatch(/\bat .*\.ts:\d+/);
}

const classify = (payload: Buffer | string | object, type = 'image/png', url = '/v1/models/fashion-cnn/classify') =>
  app.inject({ method: 'POST', url, headers: { 'content-type': type }, payload: payload as Buffer });
const post = (url: string, payload: unknown) => app.inject({ method: 'POST', url, payload: payload as object });

/** 750 characters, 152 tokens: within the character bound, truncated to the same 128 tokens as any longer run of 'word '. */
const long128 = () => 'word '.repeat(150);

describe('bad images', () => {
  it('rejects a corrupt PNG', async () => {
    const corrupt = Buffer.from(png);
    corrupt.fill(7, 40, 80);
    expectError(await classify(corrupt), 400, /could not be decoded/, 'ORT_INVALID_IMAGE');
  });
  it('rejects a truncated PNG', async () => {
    expectError(await classify(png.subarray(0, 60)), 400, /could not be decoded/);
  });
  it('rejects a file that is not an image', async () => {
    expectError(await classify(Buffer.from('just some text, not pixels')), 400, /could not be decoded/);
  });
  it('rejects a decompression bomb (tiny PNG declaring 20000×20000) before decoding it', async () => {
    const bomb = await bombPng();
    expect(bomb.length).toBeLessThan(4096);
    expectError(await classify(bomb), 413, /20000×20000/, 'ORT_IMAGE_TOO_LARGE');
  });
  it('rejects a bad file among good ones in a multipart upload', async () => {
    const form = await multipart([
      { field: 'a', name: 'a.png', type: 'image/png', data: png },
      { field: 'b', name: 'b.png', type: 'image/png', data: Buffer.from('nope') },
    ]);
    expectError(await app.inject({ method: 'POST', url: '/v1/models/fashion-cnn/classify', ...form }), 400, /#2/);
  });
  it('rejects an empty multipart upload and bad base64', async () => {
    const form = await multipart([]);
    expectError(await app.inject({ method: 'POST', url: '/v1/models/fashion-cnn/classify', ...form }), 400, /no image/);
    expectError(await post('/v1/models/fashion-cnn/classify', { images: ['%%%not-base64%%%'] }), 400, /base64/);
    expectError(await post('/v1/models/fashion-cnn/classify', { images: [] }), 400, /images/);
  });
});

describe('bad requests', () => {
  it('415 for a content type the route does not take', async () => {
    expectError(await classify('hello', 'text/plain'), 415, /text\/plain.*multipart\/form-data/, 'ORT_UNSUPPORTED_MEDIA_TYPE');
    expectError(await classify('<x/>', 'application/xml'), 415, /application\/xml/);
    const notObject = await app.inject({ method: 'POST', url: '/v1/models/bert-mini/embed', headers: { 'content-type': 'application/json' }, payload: '"plain"' });
    expectError(notObject, 400, /object/);
  });
  it('413 for a body over the size limit', async () => {
    expectError(await classify(Buffer.alloc(2 * 1024 * 1024, 1)), 413, /too large|limit/i);
  });
  it('400 for invalid JSON', async () => {
    const res = await app.inject({ method: 'POST', url: '/v1/models/bert-mini/embed', headers: { 'content-type': 'application/json' }, payload: '{"inputs": ' });
    expectError(res, 400, /JSON/i);
  });
  it('400 for missing and mistyped fields, naming the field', async () => {
    expectError(await post('/v1/models/bert-mini/embed', {}), 400, /inputs/);
    expectError(await post('/v1/models/bert-mini/embed', { inputs: 42 }), 400, /inputs/);
    expectError(await post('/v1/models/fortune-rnn/generate', { max_tokens: 5 }), 400, /prompt/);
    expectError(await post('/v1/models/fortune-rnn/generate', { prompt: 123 }), 400, /prompt/);
    expectError(await post('/v1/models/fortune-rnn/generate', { prompt: 'x', temperature: 'hot' }), 400, /temperature/);
    expectError(await post('/v1/models/fashion-dcgan/generate', { count: 'three' }), 400, /count/);
    expectError(await post('/v1/models/fashion-dcgan/generate', { prompt: 'a dress' }), 400, /prompt|additional/i);
    expectError(await post('/v1/models/fortune-rnn/generate', ['not', 'an', 'object']), 400, /object/);
  });
  it('400 for empty text', async () => {
    expectError(await post('/v1/models/bert-mini/embed', { inputs: '   ' }), 400, /empty/);
    expectError(await post('/v1/models/bert-mini/embed', { inputs: ['ok', ''] }), 400, /inputs\[1\].*empty/);
    expectError(await post('/v1/models/bert-mini/fill-mask', { text: 'no mask here' }), 400, /\[MASK\]/);
  });
  it('rejects text and counts over their caps', async () => {
    expectError(await post('/v1/models/fortune-rnn/generate', { prompt: 'x'.repeat(5000) }), 400, /prompt/);
    expectError(await post('/v1/models/fortune-rnn/generate', { prompt: 'x', max_tokens: 100000 }), 400, /max_tokens/);
    expectError(await post('/v1/models/fashion-dcgan/generate', { count: 1000 }), 400, /count/);
    expectError(await post('/v1/models/fashion-dcgan/interpolate', { from_seed: 1, to_seed: 2, steps: 1000 }), 400, /steps/);
    expectError(await post('/v1/models/bert-mini/embed', { inputs: Array(300).fill('a') }), 400, /inputs/);
  });
  it('422 for text longer than the model allows unless truncation is asked for', async () => {
    const long = 'word '.repeat(200); // 1,000 characters: within the character bound, 202 tokens
    expectError(await post('/v1/models/bert-mini/embed', { inputs: long, truncate: false }), 422, /202 tokens.*allows 128/, 'ORT_INPUT_TOO_LONG');
    const ok = await post('/v1/models/bert-mini/embed', { inputs: long, truncate: true });
    expect(ok.statusCode).toBe(200);
    expectError(await post('/v1/models/bert-mini/attention', { text: long }), 422, /truncate/);
  });
  it('413 for fill-mask candidates (masks × top_k) over their bound, before anything runs; one budget across the texts of a Hugging Face request', async () => {
    const masks = (n: number) => `${'[MASK] '.repeat(n)}end`;
    expectError(await post('/v1/models/bert-mini/fill-mask', { text: masks(100), top_k: 20 }), 413, /100 masks × top_k 20 = 2000 candidates.*at most 1024/, 'ORT_OUTPUT_TOO_LARGE');
    const ok = await post('/v1/models/bert-mini/fill-mask', { text: masks(100), top_k: 10 });
    expect(ok.statusCode).toBe(200);
    expect(ok.json().masks).toHaveLength(100);
    // A request of several texts (the Hugging Face base's lists) spends one budget: the second text is refused.
    const { pipeline } = readyModel(app, 'bert-mini').runtime;
    if (pipeline?.task !== 'text-embedding') throw new Error('bert-mini is a text-embedding model');
    const budget = { left: 1024 };
    await pipeline.fillMask(masks(100), { topK: 10, budget });
    expect(budget.left).toBe(24);
    await expect(pipeline.fillMask(masks(100), { topK: 10, budget })).rejects.toMatchObject({ code: 'ORT_OUTPUT_TOO_LARGE', statusCode: 413 });
  });
  it("413 for a text over the model's character bound (max_length × 10) unless truncating, which cuts it there first", async () => {
    const huge = 'word '.repeat(400); // 2,000 characters; bert-mini takes 128 × 10
    expectError(await post('/v1/models/bert-mini/embed', { inputs: huge, truncate: false }), 413, /2000 characters.*at most 1280/, 'ORT_TEXT_TOO_LONG');
    expectError(await post('/v1/models/bert-mini/fill-mask', { text: `${huge} [MASK]` }), 413, /at most 1280/, 'ORT_TEXT_TOO_LONG');
    const cut = await post('/v1/models/bert-mini/embed', { inputs: huge, truncate: true });
    const whole = await post('/v1/models/bert-mini/embed', { inputs: long128(), truncate: true });
    expect(cut.statusCode).toBe(200);
    // Cut to its first 1,280 characters, then truncated to 128 tokens: the same as any text that starts with those 128 tokens.
    expect(cut.json().usage.tokens).toBe(128);
    cut.json().embeddings[0].forEach((x: number, i: number) => expect(x).toBeCloseTo(whole.json().embeddings[0][i], 5));
  });
  it('404 for an unknown model; 400/404 for names with .. or slashes', async () => {
    expectError(await post('/v1/models/nope/embed', { inputs: 'x' }), 404, /nope/, 'ORT_MODEL_NOT_FOUND');
    expectError(await post('/v1/models/../embed', { inputs: 'x' }), 404, /not found/i);
    expectError(await post('/v1/models/..%2Fetc/embed', { inputs: 'x' }), 400, /Invalid model name/);
    expectError(await post('/v1/models/a%2Fb/embed', { inputs: 'x' }), 400, /Invalid model name/);
  });
  it('400 for an unknown label', async () => {
    expectError(await post('/v1/models/fashion-dcgan/generate', { label: 'Spaceship' }), 400, /Spaceship.*Sneaker/, 'ORT_UNKNOWN_LABEL');
    expectError(await post('/v1/models/fashion-dcgan/generate', { label: 10 }), 400, /10/);
  });
  it('404 naming the task and routes when a route does not fit the model', async () => {
    expectError(await post('/v1/models/bert-mini/generate', { prompt: 'x' }), 404, /text-embedding.*\/embed/, 'ORT_WRONG_TASK');
    expectError(await classify(png, 'image/png', '/v1/models/fortune-rnn/classify'), 404, /text-generation.*\/generate/);
  });
});

// Counterexamples found by the fuzzer (tests/fuzz/routes.fuzz.test.ts, scripts/fuzz.ts).
describe('fuzzer findings', () => {
  const deep = (depth: number, open = '[', close = ']') => open.repeat(depth) + '1' + close.repeat(depth);
  const json = (url: string, payload: string) => app.inject({ method: 'POST', url, headers: { 'content-type': 'application/json' }, payload });
  const v2 = (model: string, inputs: object[]) => app.inject({ method: 'POST', url: `/v2/models/${model}/infer`, payload: { inputs } });
  function expectV2Error(res: LightMyRequestResponse, status: number, message: RegExp) {
    expect(res.statusCode, res.body).toBe(status);
    expect(res.json().error).toMatch(message);
  }

  it('400, not 500, for multipart bodies with broken framing or no boundary', async () => {
    const broken = (type: string, payload: string) => app.inject({ method: 'POST', url: '/v1/models/fashion-cnn/classify', headers: { 'content-type': type }, payload });
    expectError(await broken('multipart/form-data; boundary=x', '{"images":NaN}'), 400, /malformed multipart.*Unexpected end/, 'ORT_INVALID_INPUT');
    expectError(await broken('multipart/form-data', 'abc'), 400, /malformed multipart.*Boundary not found/);
    expectError(await broken('multipart/form-data; boundary=xyz', '--xyz\r\nContent-Disposition: form-data; name="a"; filename="a.png"\r\n\r\nabc'), 400, /malformed multipart/);
  });
  it('400, not a 1 ms deadline (504), for query integers that are not plain digits', async () => {
    for (const query of ['timeout_ms=true', 'timeout_ms=1.5', 'top_k=2.7', 'top_k=1e2']) {
      expectError(await classify(png, 'image/png', `/v1/models/fashion-cnn/classify?${query}`), 400, /querystring\/\w+ must be integer/, 'ORT_INVALID_INPUT');
    }
    expect((await classify(png, 'image/png', '/v1/models/fashion-cnn/classify?top_k=2&timeout_ms=30000')).json().results[0].predictions).toHaveLength(2);
  });
  it('400, not 500, for a generate body nested 100,000 levels deep', async () => {
    expectError(await json('/v1/models/fortune-rnn/generate', `{"prompt":"x","max_tokens":1,"z":${deep(100_000)}}`), 400, /nested more than 32 levels/, 'ORT_INVALID_INPUT');
    expectError(await json('/v1/models/fashion-dcgan/generate', `{"label":${deep(100_000, '{"a":', '}')}}`), 400, /nested/);
  });
  it('KServe V2: no 500 for tensor data nested 100,000 levels deep (arrays flatten; an object is a 400)', async () => {
    const body = (data: string) =>
      `{"inputs":[{"name":"input_ids","datatype":"INT64","shape":[1,1],"data":${data}},{"name":"state_in","datatype":"FP32","shape":[1,1,512],"data":[${Array(512).fill(0).join(',')}]}]}`;
    expect((await json('/v2/models/fortune-rnn/infer', body(deep(100_000)))).statusCode).toBe(200);
    expectV2Error(await json('/v2/models/fortune-rnn/infer', body(deep(100_000, '{"a":', '}'))), 400, /data\[0\] is an object, expected an integer/);
  });
  it('KServe V2: 400 for empty tensors, which crashed the process in the GRU kernel', async () => {
    const res = await v2('fortune-rnn', [
      { name: 'input_ids', datatype: 'INT64', shape: [0, 0], data: [] },
      { name: 'state_in', datatype: 'FP32', shape: [1, 0, 512], data: [] },
    ]);
    expectV2Error(res, 400, /input 'input_ids': shape \[0,0\] has a zero dimension/);
  });
  it('KServe V2: 422 for a token id past the embedding table, failing only that request of a batch', async () => {
    const bert = (tokenType: number) =>
      ['input_ids', 'attention_mask', 'token_type_ids'].map((name) => ({ name, datatype: 'INT64', shape: [1, 1], data: [name === 'token_type_ids' ? tokenType : 0] }));
    const [bad, ...good] = await Promise.all([v2('bert-mini', bert(2)), ...Array.from({ length: 7 }, () => v2('bert-mini', bert(0)))]);
    expectV2Error(bad, 422, /could not run on these input tensors: .*Gather.*out of data bounds/);
    for (const res of good) expect(res.statusCode, res.body).toBe(200);
  });
});

describe('after all that', () => {
  it('still serves normally', async () => {
    const res = await classify(png);
    expect(res.statusCode).toBe(200);
    expect((await app.inject('/health/ready')).statusCode).toBe(200);
  });
});
