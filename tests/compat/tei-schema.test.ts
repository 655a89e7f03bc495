// A model's Hugging Face base (/hf/models/<model>) against Text Embeddings Inference's published OpenAPI
// document (vendored in tests/compat/vendor/tei/, see its NOTICE): every answer, errors included, validates
// against the component schema TEI declares for that route, and TEI's defaults and statuses hold.
import fs from 'node:fs';
import path from 'node:path';
import { Ajv } from 'ajv';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, testApp } from '../helpers/app.ts';
import { compatRepo } from '../helpers/compat-repo.ts';

const doc = JSON.parse(fs.readFileSync(path.join(ROOT, 'tests/compat/vendor/tei/openapi.json'), 'utf8')) as { components: { schemas: Record<string, object> } };
// OpenAPI 3.0 schemas: `nullable`, `example` and formats such as "float" are not JSON Schema keywords Ajv checks.
const ajv = new Ajv({ strict: false, validateFormats: false, allErrors: true });
ajv.addSchema({ $id: 'tei', components: doc.components });

/** Asserts `body` is a valid TEI `name` (a component schema, its $refs resolved within the document). */
function expectSchema(name: string, body: unknown): void {
  const validate = ajv.getSchema(`tei#/components/schemas/${name}`);
  if (!validate) throw new Error(`no schema ${name} in TEI's OpenAPI document`);
  if (!validate(body)) throw new Error(`not a TEI ${name}: ${ajv.errorsText(validate.errors)}\n${JSON.stringify(body).slice(0, 400)}`);
}

let repo: string;
let app: FastifyInstance;
beforeAll(async () => {
  repo = compatRepo();
  app = await testApp({ ORTSERVE_MODELS: repo });
});
afterAll(async () => {
  await app?.close();
  fs.rmSync(repo, { recursive: true, force: true });
});

const post = (url: string, payload: object) => app.inject({ method: 'POST', url: `/hf/models/${url}`, payload });
const LONG = 'the cat sat on the mat and '.repeat(30);

describe("TEI's response schemas", () => {
  it('/embed, the base of an embedder, /embed_all, /tokenize and /decode', async () => {
    for (const url of ['bert-mini/embed', 'bert-mini']) {
      const one = await post(url, { inputs: 'a cat' });
      expect(one.statusCode, one.body).toBe(200);
      expectSchema('EmbedResponse', one.json());
      expect(one.json()).toHaveLength(1);
      expectSchema('EmbedResponse', (await post(url, { inputs: ['a cat', 'a dog'] })).json());
    }
    const all = await post('bert-mini/embed_all', { inputs: ['a cat', 'the dogs barked'] });
    expectSchema('EmbedAllResponse', all.json());
    const tokens = all.json<number[][][]>().map((t) => t.length);
    expect(tokens[1]).toBeGreaterThan(tokens[0]!);

    const tok = await post('bert-mini/tokenize', { inputs: ['héllo world', 'a cat'] });
    expectSchema('TokenizeResponse', tok.json());
    const [first] = tok.json<{ id: number; text: string; special: boolean; start: number | null; stop: number | null }[][]>();
    expect(first!.at(0)).toMatchObject({ text: '[CLS]', special: true, start: null, stop: null });
    // Offsets are UTF-8 bytes, as TEI's: "héllo" is 6 bytes.
    const world = first!.find((t) => t.text === 'world')!;
    expect([world.start, world.stop]).toEqual([7, 12]);
    const plain = await post('bert-mini/tokenize', { inputs: 'a cat', add_special_tokens: false });
    expect(plain.json<{ special: boolean }[][]>()[0]!.some((t) => t.special)).toBe(false);

    const ids = tok.json<{ id: number }[][]>()[1]!.map((t) => t.id);
    const decoded = await post('bert-mini/decode', { ids });
    expectSchema('DecodeResponse', decoded.json());
    expect(decoded.json()).toEqual(['a cat']);
    expect((await post('bert-mini/decode', { ids, skip_special_tokens: false })).json<string[]>()[0]).toMatch(/^\[CLS\].*\[SEP\]$/);
  });

  it('/predict and /rerank', async () => {
    const one = await post('bert-mini-topics/predict', { inputs: 'a small furry animal' });
    expectSchema('PredictResponse', one.json());
    expect(one.json()).toHaveLength(19);
    const batch = await post('bert-mini-topics/predict', { inputs: [['a cat'], ['a dog', 'barks']] });
    expectSchema('PredictResponse', batch.json());
    const ranks = await post('regression/rerank', { query: 'paris', texts: ['ada lovelace', 'paris'], return_text: true });
    expectSchema('RerankResponse', ranks.json());
  });

  it('/info of an embedder, a classifier and a reranker', async () => {
    const types: Record<string, string> = { 'bert-mini': 'embedding', 'bert-mini-topics': 'classifier', regression: 'reranker' };
    for (const [model, type] of Object.entries(types)) {
      const info = await app.inject(`/hf/models/${model}/info`);
      expect(info.statusCode, info.body).toBe(200);
      expectSchema('Info', info.json());
      expect(Object.keys(info.json().model_type)).toEqual([type]);
    }
  });
});

describe("TEI's defaults, error bodies and statuses", () => {
  it('truncate defaults to false: a too-long input is a 413 Validation error, truncate: true embeds it', async () => {
    const refused = await post('bert-mini/embed', { inputs: LONG });
    expect(refused.statusCode).toBe(413);
    expectSchema('ErrorResponse', refused.json());
    expect(refused.json().error_type).toBe('Validation');
    expect((await post('bert-mini/embed', { inputs: LONG, truncate: true })).statusCode).toBe(200);
  });

  it.each([
    ['a malformed body', 'bert-mini/embed', { input: 'typo' }, 422, 'Validation'],
    ['token ids (text only)', 'bert-mini/embed', { inputs: [101, 102] }, 422, 'Validation'],
    ['a prompt_name', 'bert-mini/embed', { inputs: 'x', prompt_name: 'query' }, 422, 'Validation'],
    ['a text over the character bound', 'bert-mini', { inputs: 'cat '.repeat(400) }, 413, 'Validation'],
    ['a route the model does not serve', 'bert-mini-topics/embed', { inputs: 'x' }, 424, 'Backend'],
    ['/predict on an embedder', 'bert-mini/predict', { inputs: 'x' }, 424, 'Backend'],
    ['an unknown model', 'nope/embed', { inputs: 'x' }, 404, 'Validation'],
  ])('%s', async (_what, url, body, status, type) => {
    const res = await post(url, body);
    expect(res.statusCode, res.body).toBe(status);
    expectSchema('ErrorResponse', res.json());
    expect(res.json().error_type).toBe(type);
  });

  it('an overloaded model is a 429 Overloaded error, an unready one a 503 Unhealthy one', async () => {
    const { errorAnswer } = await import('../../server/plugins/error-handler.ts');
    const overloaded = errorAnswer({ statusCode: 429, code: 'ORT_QUEUE_FULL', message: "Model 'bert-mini' is overloaded: its queue is full" }, 'tei');
    expect(overloaded.statusCode).toBe(429);
    expectSchema('ErrorResponse', overloaded.body);
    expect(overloaded.body).toMatchObject({ error_type: 'Overloaded' });
    const unready = errorAnswer({ statusCode: 503, code: 'ORT_MODEL_NOT_READY', message: "Model 'x' is not ready (loading)" }, 'tei');
    expect(unready.statusCode).toBe(503);
    expect(unready.body).toMatchObject({ error_type: 'Unhealthy' });
  });

  it("ortserve's own routes keep their shapes and defaults", async () => {
    const own = await app.inject({ method: 'POST', url: '/v1/models/bert-mini/embed', payload: { inputs: LONG } });
    expect(own.statusCode).toBe(200);
    expect(Object.keys(own.json()).sort()).toEqual(['dimensions', 'embeddings', 'model', 'usage']);
    const bad = await app.inject({ method: 'POST', url: '/v1/models/bert-mini/embed', payload: { input: 'typo' } });
    expect(bad.json()).toMatchObject({ statusCode: 400, code: 'ORT_INVALID_INPUT' });
  });
});
