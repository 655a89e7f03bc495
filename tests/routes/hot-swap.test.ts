// Hot swap under load: 16 clients on bert-mini's embed, fill-mask and KServe V2 infer and on
// bert-mini-topics' classify while both models are reloaded 8 times through the repository API.
// A request that looked its model up before a swap and reaches the scheduler after it (classify
// awaits its tokenizer in between) runs on the retiring version: every answer is 2xx or 429.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MODELS, readyModel, testApp } from '../helpers/app.ts';

const CLIENTS = 16;
const RELOADS = 8;
/** Requests per client at most: bounds the test if a reload hangs. */
const MAX_REQUESTS = 2_000;
const auth = { authorization: 'Bearer t0ken' };

const ids = [2, 990, 1349, 3];
const v2 = { inputs: ['input_ids', 'attention_mask', 'token_type_ids'].map((name, k) => ({ name, datatype: 'INT64', shape: [1, 4], data: k === 0 ? ids : k === 1 ? [1, 1, 1, 1] : [0, 0, 0, 0] })) };
const REQUESTS = [
  { url: '/v1/models/bert-mini/embed', payload: { inputs: ['a cat sat on the mat', 'the dog barked at the moon'] } },
  { url: '/v1/models/bert-mini/fill-mask', payload: { text: 'the cat sat on the [MASK].' } },
  { url: '/v2/models/bert-mini/infer', payload: v2 },
  { url: '/v1/models/bert-mini-topics/classify', payload: { inputs: ['a small furry animal that purrs', 'the stock market fell sharply', 'a goal in the last minute'], top_k: 1 } },
];

describe('hot swap under load', () => {
  let app: FastifyInstance;
  let repo: string;
  beforeAll(async () => {
    repo = fs.mkdtempSync(path.join(os.tmpdir(), 'ortserve-swap-'));
    for (const name of ['bert-mini', 'bert-mini-topics']) fs.cpSync(path.join(MODELS, name), path.join(repo, name), { recursive: true });
    app = await testApp({ ORTSERVE_MODELS: repo, ORTSERVE_ADMIN_TOKEN: 't0ken' });
  });
  afterAll(async () => {
    await app.close();
    fs.rmSync(repo, { recursive: true, force: true });
  });

  it('a request that looked the model up before a swap runs on the retiring version after it', async () => {
    const release = app.models.enter('bert-mini-topics'); // what plugins/models.ts does for every request that names the model
    try {
      const { pipeline } = app.pipelineFor('bert-mini-topics', 'classify', ['text-classification'] as const);
      const retiring = readyModel(app, 'bert-mini-topics').runtime;
      expect((await app.models.load('bert-mini-topics')).state).toBe('ready');
      expect(readyModel(app, 'bert-mini-topics').runtime).not.toBe(retiring);
      const { results } = await pipeline.classify(['a small furry animal that purrs'], { topK: 1, truncate: true });
      expect(results).toHaveLength(1);
    } finally {
      release();
    }
  });

  it(`${CLIENTS} clients while bert-mini and bert-mini-topics are reloaded ${RELOADS} times each: every answer is 2xx or 429`, async () => {
    const first = ['bert-mini', 'bert-mini-topics'].map((name) => readyModel(app, name).runtime);
    let reloading = true;
    const answers: { url: string; status: number; body: string }[] = [];
    const client = async (c: number) => {
      for (let i = 0; reloading && i < MAX_REQUESTS; i++) {
        const r = REQUESTS[(c + i) % REQUESTS.length]!;
        const res = await app.inject({ method: 'POST', url: r.url, payload: r.payload });
        answers.push({ url: r.url, status: res.statusCode, body: res.body });
      }
    };
    const reload = async (name: string) => {
      const statuses: number[] = [];
      for (let k = 0; k < RELOADS; k++) statuses.push((await app.inject({ method: 'POST', url: `/v2/repository/models/${name}/load`, headers: auth })).statusCode);
      return statuses;
    };
    const reloads = Promise.all([reload('bert-mini'), reload('bert-mini-topics')]).finally(() => (reloading = false));
    await Promise.all(Array.from({ length: CLIENTS }, (_, c) => client(c)));
    expect(await reloads).toEqual([Array(RELOADS).fill(200), Array(RELOADS).fill(200)]);

    const refused = answers.filter((a) => !(a.status >= 200 && a.status < 300) && a.status !== 429);
    expect(refused.slice(0, 3), `${refused.length} of ${answers.length} answers were neither 2xx nor 429`).toEqual([]);
    for (const r of REQUESTS)
      expect(
        answers.some((a) => a.url === r.url && a.status === 200),
        r.url,
      ).toBe(true);
    const now = ['bert-mini', 'bert-mini-topics'].map((name) => readyModel(app, name).runtime);
    expect(now.filter((runtime, i) => runtime === first[i])).toEqual([]);
  }, 180_000);
});
