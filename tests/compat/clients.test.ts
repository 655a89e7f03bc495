// The published client packages, unchanged, against the real server (nothing of ours in between): the
// official `openai` client and LangChain's OpenAIEmbeddings at /v1, and Hugging Face's InferenceClient at
// each model's base /hf/models/<model>. Every answer is compared with ortserve's own task routes. Only
// 127.0.0.1 is ever contacted: the Hugging Face client gets an explicit endpoint and a fetch that refuses
// any other host, so it never reaches the Hub.
import fs from 'node:fs';
import { InferenceClient } from '@huggingface/inference';
import { OpenAIEmbeddings } from '@langchain/openai';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { COMPAT_MODELS, compatRepo } from '../helpers/compat-repo.ts';
import { expectClose } from '../helpers/hf-text.ts';
import { startServer, type ServerProcess } from '../helpers/server-process.ts';

let repo: string;
let srv: ServerProcess;
beforeAll(async () => {
  repo = compatRepo();
  srv = await startServer({ ORTSERVE_MODELS: repo });
});
afterAll(async () => {
  srv?.proc.kill('SIGTERM');
  await srv?.exited;
  fs.rmSync(repo, { recursive: true, force: true });
});

const TEXTS = ['the cat sat on the mat', 'a fortune cookie says hello', 'stock markets fell sharply'];

async function post<T>(route: string, body: object): Promise<T> {
  const r = await fetch(`${srv.url}${route}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  if (!r.ok) throw new Error(`${route}: ${r.status} ${await r.text()}`);
  return (await r.json()) as T;
}
const embedRoute = async (inputs: string[]) => (await post<{ embeddings: number[][] }>('/v1/models/bert-mini/embed', { inputs })).embeddings;
const openai = () => new OpenAI({ baseURL: `${srv.url}/v1`, apiKey: 'not-needed', maxRetries: 0 });

describe('openai', () => {
  it('models.list() lists every served model and models.retrieve() each, in OpenAI shape', async () => {
    const client = openai();
    const listed = [];
    for await (const m of client.models.list()) listed.push(m);
    expect(listed.map((m) => m.id).sort()).toEqual(COMPAT_MODELS);
    for (const m of listed) {
      expect(m).toMatchObject({ object: 'model', owned_by: 'ortserve', created: expect.any(Number) });
      const one = await client.models.retrieve(m.id);
      expect(one).toMatchObject({ id: m.id, object: 'model', owned_by: 'ortserve', created: m.created });
      // ortserve's own description rides along as extra fields.
      expect(one).toMatchObject({ name: m.id, state: 'ready' });
    }
  });

  it('an unknown model is an APIError with status 404, on retrieve and on embeddings', async () => {
    const client = openai();
    const retrieve = await client.models.retrieve('nope').catch((e: unknown) => e);
    expect(retrieve).toBeInstanceOf(OpenAI.APIError);
    expect(retrieve).toMatchObject({ status: 404, error: { type: 'invalid_request_error', code: 'ORT_MODEL_NOT_FOUND' } });
    const embed = await client.embeddings.create({ model: 'nope', input: 'x' }).catch((e: unknown) => e);
    expect(embed).toBeInstanceOf(OpenAI.APIError);
    expect((embed as InstanceType<typeof OpenAI.APIError>).status).toBe(404);
  });

  it('embeddings.create, float and base64 (the client default), equal /embed within 1e-5', async () => {
    const client = openai();
    const expected = await embedRoute(TEXTS);
    const float = await client.embeddings.create({ model: 'bert-mini', input: TEXTS, encoding_format: 'float' });
    float.data.forEach((d, i) => expectClose(d.embedding, expected[i]!));
    const decoded = await client.embeddings.create({ model: 'bert-mini', input: TEXTS });
    decoded.data.forEach((d, i) => expectClose(d.embedding, expected[i]!));
    const raw = await client.embeddings.create({ model: 'bert-mini', input: TEXTS[0]!, encoding_format: 'base64' });
    const bytes = Buffer.from(raw.data[0]!.embedding as unknown as string, 'base64');
    expectClose(Array.from(new Float32Array(bytes.buffer, bytes.byteOffset, bytes.length / 4)), expected[0]!);
  });

  it('token-id inputs are refused with a 400 that says to send text', async () => {
    const client = openai();
    for (const input of [[101, 2023], [[101, 2023]]]) {
      const err = await client.embeddings.create({ model: 'bert-mini', input }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(OpenAI.BadRequestError);
      expect(err).toMatchObject({ status: 400, error: { param: 'input', message: expect.stringMatching(/send the text/) } });
    }
  });
});

describe('@langchain/openai', () => {
  it('OpenAIEmbeddings.embedDocuments and embedQuery equal /embed within 1e-5', async () => {
    const embeddings = new OpenAIEmbeddings({ model: 'bert-mini', apiKey: 'not-needed', maxRetries: 0, configuration: { baseURL: `${srv.url}/v1` } });
    const expected = await embedRoute(TEXTS);
    const docs = await embeddings.embedDocuments(TEXTS);
    expect(docs).toHaveLength(TEXTS.length);
    docs.forEach((v, i) => expectClose(v, expected[i]!));
    expectClose(await embeddings.embedQuery(TEXTS[1]!), expected[1]!);
  });
});

describe('@huggingface/inference at /hf/models/<model>', () => {
  /** A fetch that only ever reaches the test server. */
  const localFetch: typeof fetch = (input, init) => {
    const url = new URL(input instanceof Request ? input.url : String(input));
    if (url.hostname !== '127.0.0.1') throw new Error(`the client tried to reach ${url.href}`);
    return fetch(input, init);
  };
  const endpoint = (model: string) => new InferenceClient(undefined, { fetch: localFetch }).endpoint(`${srv.url}/hf/models/${model}`);

  it('featureExtraction equals /embed', async () => {
    const expected = await embedRoute(TEXTS);
    const one = await endpoint('bert-mini').featureExtraction({ inputs: TEXTS[0]! });
    expectClose((one as number[][])[0]!, expected[0]!);
    const batch = (await endpoint('bert-mini').featureExtraction({ inputs: TEXTS })) as number[][];
    batch.forEach((v, i) => expectClose(v, expected[i]!));
  });

  it('textClassification equals /classify with every label', async () => {
    const text = 'a small furry animal that purrs';
    const got = await endpoint('bert-mini-topics').textClassification({ inputs: text });
    const own = await post<{ results: { predictions: { label: string; score: number }[] }[] }>('/v1/models/bert-mini-topics/classify', { inputs: text, top_k: null });
    const expected = own.results[0]!.predictions;
    expect(got.map((p) => p.label)).toEqual(expected.map((p) => p.label));
    expectClose(
      got.map((p) => p.score),
      expected.map((p) => p.score),
    );
    const top = await endpoint('bert-mini-topics').textClassification({ inputs: text, parameters: { top_k: 2 } });
    expect(top.map((p) => p.label)).toEqual(expected.slice(0, 2).map((p) => p.label));
  });

  it('tokenClassification equals /token-classification grouped as "simple"', async () => {
    const text = 'Ada Lovelace visited Kingsbridge';
    const got = await endpoint('token-ner').tokenClassification({ inputs: text });
    const own = await post<{ results: { entities: { entity_group: string; score: number; word: string; start: number; end: number }[] }[] }>('/v1/models/token-ner/token-classification', {
      inputs: text,
      aggregation_strategy: 'simple',
    });
    const expected = own.results[0]!.entities;
    expect(got.map(({ entity_group, word, start, end }) => ({ entity_group, word, start, end }))).toEqual(expected.map(({ entity_group, word, start, end }) => ({ entity_group, word, start, end })));
    expectClose(
      got.map((e) => e.score),
      expected.map((e) => e.score),
    );
    const first = await endpoint('token-ner').tokenClassification({ inputs: text, parameters: { aggregation_strategy: 'first' } });
    expect(first.map((e) => e.word)).toEqual(['ada lovelace', 'kingsbridge']);
  });

  it('fillMask equals /fill-mask', async () => {
    const text = 'ada [MASK] paris';
    const got = await endpoint('masked-lm').fillMask({ inputs: text });
    const own = await post<{ masks: { predictions: { token: string; token_id: number; score: number; sequence: string }[] }[] }>('/v1/models/masked-lm/fill-mask', { text });
    const expected = own.masks[0]!.predictions;
    expect(got.map(({ token, token_str, sequence }) => ({ token, token_str, sequence }))).toEqual(expected.map((p) => ({ token: p.token_id, token_str: p.token, sequence: p.sequence })));
    expectClose(
      got.map((p) => p.score),
      expected.map((p) => p.score),
    );
  });

  it("errors reach the client as its provider error, with TEI's status and body", async () => {
    const unknown = await endpoint('nope')
      .featureExtraction({ inputs: 'x' })
      .catch((e: unknown) => e);
    expect(unknown).toMatchObject({ httpResponse: { status: 404, body: { error: "Model 'nope' not found", error_type: 'Validation' } } });
    // TEI's default: no truncation, so a text over the model's bound is a 413.
    const long = await endpoint('bert-mini')
      .featureExtraction({ inputs: 'cat '.repeat(400) })
      .catch((e: unknown) => e);
    expect(long).toMatchObject({ httpResponse: { status: 413, body: { error_type: 'Validation' } } });
  });
});
