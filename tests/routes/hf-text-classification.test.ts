// Hugging Face sequence classifiers served with no manifest (multi-label: sigmoid per label; regression: the raw
// score; a one-label model as a cross-encoder for rerank), checked against V2's logits on the same token ids from
// an independent tokenizer; TEI's /predict and /rerank shapes; bad inputs and folders that cannot load.
import fs from 'node:fs';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testApp } from '../helpers/app.ts';
import { HF, expectClose, hfRepo, jsTokenizer, sigmoid, softmax, v2Outputs } from '../helpers/hf-text.ts';

const tokens = jsTokenizer(path.join(HF, 'multi-label/tokenizer.json'));
const multiConfig = JSON.parse(fs.readFileSync(path.join(HF, 'multi-label/config.json'), 'utf8'));
let repo: string;
let app: FastifyInstance;

beforeAll(async () => {
  const { id2label: _, label2id: __, ...rest } = multiConfig;
  const wrongLabels = { ...rest, id2label: { 0: 'a', 1: 'b', 2: 'c' } };
  const copy = (file: string) => fs.readFileSync(path.join(HF, 'multi-label', file));
  repo = hfRepo(['multi-label', 'regression'], {
    'not-json': { 'config.json': '{"architectures": ["BertForSequenceClassification"', 'model.onnx': copy('onnx/model.onnx') },
    'gpt2-like': { 'config.json': JSON.stringify({ architectures: ['GPT2LMHeadModel'] }), 'model.onnx': copy('onnx/model.onnx') },
    'wrong-labels': { 'config.json': JSON.stringify(wrongLabels), 'model.onnx': copy('onnx/model.onnx'), 'tokenizer.json': copy('tokenizer.json') },
  });
  app = await testApp({ ORTSERVE_MODELS: repo });
});
afterAll(async () => {
  await app?.close();
  fs.rmSync(repo, { recursive: true, force: true });
});

const post = (model: string, route: string, payload: object) => app.inject({ method: 'POST', url: `/v1/models/${model}/${route}`, payload });
const logits = async (model: string, text: string, pair?: string) => (await v2Outputs(app, model, tokens(text, pair))).logits!.data;
/** Scores in label order from a /classify prediction list. */
const byIndex = (predictions: { index: number; score: number }[]) => [...predictions].sort((a, b) => a.index - b.index).map((p) => p.score);

describe('zero-config text-classification', () => {
  it('lists the derived manifest, where each field came from, and every route', async () => {
    const m = (await app.inject('/v1/models/multi-label')).json();
    expect(m).toMatchObject({ task: 'text-classification', state: 'ready', labels: ['animal', 'place', 'person', 'opinion'], warnings: [] });
    expect(m.routes).toEqual(['/v1/models/multi-label/classify', '/v1/models/multi-label/predict', '/v2/models/multi-label/infer']);
    expect(m.manifest).toMatchObject({ function_to_apply: 'sigmoid', graphs: { model: 'onnx/model.onnx' }, max_length: 64 });
    expect(m.sources).toMatchObject({ function_to_apply: 'config.json: problem_type = "multi_label_classification"', labels: 'config.json: id2label', graphs: 'file: onnx/model.onnx' });
    const r = (await app.inject('/v1/models/regression')).json();
    expect(r.routes).toContain('/v1/models/regression/rerank');
    expect(r.manifest.function_to_apply).toBe('none');
  });

  it('multi-label: a sigmoid per label of the logits V2 gives on the same tokens, all labels with top_k null', async () => {
    const res = await post('multi-label', 'classify', { inputs: 'ada lovelace visited paris', top_k: null });
    expect(res.statusCode, res.body).toBe(200);
    const [{ predictions }] = res.json().results;
    expect(predictions.map((p: { score: number }) => p.score)).toEqual([...predictions.map((p: { score: number }) => p.score)].sort((a, b) => b - a));
    expectClose(byIndex(predictions), (await logits('multi-label', 'ada lovelace visited paris')).map(sigmoid));
    const two = (await post('multi-label', 'classify', { inputs: 'ada lovelace visited paris', top_k: 2 })).json().results[0].predictions;
    expect(two).toEqual(predictions.slice(0, 2));
  });

  it('pairs get segment ids 1; a batch of texts and pairs equals each alone', async () => {
    const inputs = ['ada love', ['ada love', 'acme corp'], { text: 'paris', text_pair: 'kings' }, 'the cat sat on the mat'];
    const res = await post('multi-label', 'classify', { inputs, top_k: null });
    expect(res.statusCode, res.body).toBe(200);
    const batch = res.json().results.map((r: { predictions: { index: number; score: number }[] }) => byIndex(r.predictions));
    expectClose(batch[1], (await logits('multi-label', 'ada love', 'acme corp')).map(sigmoid));
    expectClose(batch[2], (await logits('multi-label', 'paris', 'kings')).map(sigmoid));
    expect(Math.max(...batch[1].map((s: number, i: number) => Math.abs(s - batch[0][i])))).toBeGreaterThan(1e-4);
    for (const [i, input] of inputs.entries()) {
      const alone = (await post('multi-label', 'classify', { inputs: [input], top_k: null })).json().results[0].predictions;
      expectClose(batch[i], byIndex(alone));
    }
  });

  it('regression (one label): the raw score, equal to V2', async () => {
    const res = await post('regression', 'classify', { inputs: ['acme corp is in paris'] });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json().results[0].predictions).toHaveLength(1);
    expectClose([res.json().results[0].predictions[0].score], await logits('regression', 'acme corp is in paris'));
  });

  it('rerank: candidates scored as [query, text] pairs (sigmoid of the logit), best first; raw_scores, return_text', async () => {
    const query = 'who is ada';
    const texts = ['paris', 'ada lovelace', 'acme corp is in paris', 'kingsbridge'];
    const res = await post('regression', 'rerank', { query, texts, return_text: true });
    expect(res.statusCode, res.body).toBe(200);
    const ranks = res.json<{ index: number; score: number; text: string }[]>();
    const expected = await Promise.all(texts.map(async (t) => sigmoid((await logits('regression', query, t))[0]!)));
    expect(ranks.map((r) => r.index)).toEqual(
      expected
        .map((s, i) => [s, i] as const)
        .sort((a, b) => b[0] - a[0])
        .map(([, i]) => i),
    );
    for (const r of ranks) {
      expect(r.text).toBe(texts[r.index]);
      expectClose([r.score], [expected[r.index]!]);
    }
    const raw = (await post('regression', 'rerank', { query, texts, raw_scores: true })).json<{ index: number; score: number; text?: string }[]>();
    expect(raw.map((r) => r.index)).toEqual(ranks.map((r) => r.index));
    expect(raw[0]!.text).toBeUndefined();
    expectClose([raw[0]!.score], await logits('regression', query, texts[raw[0]!.index]));
  });
});

describe('Text Embeddings Inference shapes', () => {
  it('/predict: a text or a pair → one list; a batch → a list per input; softmax over labels unless raw_scores', async () => {
    const single = await post('multi-label', 'predict', { inputs: 'ada love' });
    expect(single.statusCode, single.body).toBe(200);
    const one = single.json<{ label: string; score: number }[]>();
    expect(Object.keys(one[0]!).sort()).toEqual(['label', 'score']);
    const labels = ['animal', 'place', 'person', 'opinion'];
    const scoreOf = (list: { label: string; score: number }[]) => labels.map((l) => list.find((p) => p.label === l)!.score);
    expectClose(scoreOf(one), softmax(await logits('multi-label', 'ada love')));
    const pair = (await post('multi-label', 'predict', { inputs: ['ada love', 'acme corp'] })).json();
    expectClose(scoreOf(pair), softmax(await logits('multi-label', 'ada love', 'acme corp')));
    const batch = (await post('multi-label', 'predict', { inputs: [['ada love'], ['ada love', 'acme corp']], raw_scores: true })).json();
    expect(batch).toHaveLength(2);
    expectClose(scoreOf(batch[0]), await logits('multi-label', 'ada love'));
    expectClose(scoreOf(batch[1]), await logits('multi-label', 'ada love', 'acme corp'));
    const reg = (await post('regression', 'predict', { inputs: 'paris' })).json();
    expect(reg).toHaveLength(1);
    expectClose([reg[0].score], (await logits('regression', 'paris')).map(sigmoid));
  });

  it('truncate: false (TEI default) answers 422 for a long input; true cuts it to max_length keeping [SEP]', async () => {
    const long = Array(80).fill('ada').join(' ');
    const refused = await post('multi-label', 'predict', { inputs: long });
    expect(refused.statusCode).toBe(422);
    expect(refused.json().code).toBe('ORT_INPUT_TOO_LONG');
    const cut = await post('multi-label', 'predict', { inputs: long, truncate: true, raw_scores: true });
    expect(cut.statusCode, cut.body).toBe(200);
    const t = tokens(long);
    const ids = [...t.ids.slice(0, 63), t.ids.at(-1)!];
    const expected = (await v2Outputs(app, 'multi-label', { ids, typeIds: ids.map(() => 0) })).logits!.data;
    const labels = ['animal', 'place', 'person', 'opinion'];
    expectClose(
      labels.map((l) => cut.json().find((p: { label: string }) => p.label === l).score),
      expected,
    );
    expect((await post('multi-label', 'classify', { inputs: long })).statusCode).toBe(200);
    expect((await post('multi-label', 'predict', { inputs: [long, 'paris'], truncate: true, truncation_direction: 'Left' })).statusCode).toBe(200);
  });
});

describe('bad inputs and folders', () => {
  const expectError = async (res: Awaited<ReturnType<typeof post>>, status: number, message: RegExp) => {
    expect(res.statusCode, res.body).toBe(status);
    expect(res.headers['content-type']).toMatch(/application\/json/);
    expect(res.json().message).toMatch(message);
  };

  it('answers 4xx JSON errors', async () => {
    await expectError(await post('multi-label', 'classify', { inputs: '   ' }), 400, /inputs\[0\] is empty/);
    await expectError(await post('multi-label', 'classify', { inputs: ['ok', ['a', '']] }), 400, /inputs\[1\]\[1\] is empty/);
    await expectError(await post('multi-label', 'classify', { inputs: [['a', 'b', 'c']] }), 400, /inputs\[0\].*pair.*3 texts/);
    await expectError(await post('multi-label', 'classify', { inputs: [['a']] }), 400, /inputs\[0\].*pair.*1 text\b/);
    await expectError(await post('multi-label', 'classify', { inputs: [] }), 400, /inputs/);
    await expectError(await post('multi-label', 'classify', { images: ['AAAA'] }), 400, /images|inputs/);
    await expectError(await post('multi-label', 'predict', { inputs: [['a', 'b', 'c']] }), 400, /inputs\[0\].*3 texts/);
    await expectError(await post('multi-label', 'predict', { inputs: ['a', 'b', 'c'] }), 400, /3 texts/);
    await expectError(await post('multi-label', 'predict', { inputs: [['a'], 'b'] }), 400, /inputs\[1\]/);
    await expectError(await post('multi-label', 'rerank', { query: 'a', texts: ['b'] }), 404, /rerank|routes/);
    await expectError(await post('regression', 'rerank', { query: '', texts: ['b'] }), 400, /query is empty/);
    await expectError(await post('regression', 'rerank', { query: 'a', texts: [] }), 400, /texts/);
    await expectError(await post('regression', 'token-classification', { inputs: 'a' }), 404, /text-classification/);
    const png = await app.inject({ method: 'POST', url: '/v1/models/multi-label/classify', headers: { 'content-type': 'image/png' }, payload: Buffer.from([137, 80, 78, 71]) });
    await expectError(png, 415, /application\/json/);
  });

  it('a config.json that is not JSON, or labels that disagree with the graph, fail that model only', async () => {
    const { data: models } = (await app.inject('/v1/models')).json<{ data: { name: string; state: string; error?: string }[] }>();
    const state = Object.fromEntries(models.map((m) => [m.name, m]));
    expect(state['not-json']).toMatchObject({ state: 'failed', error: expect.stringMatching(/config\.json is not valid JSON/) });
    expect(state['wrong-labels']).toMatchObject({ state: 'failed', error: expect.stringMatching(/id2label names 3 labels but the graph's 'logits' output has 4 classes/) });
    expect(state['multi-label']!.state).toBe('ready');
    expect(state['regression']!.state).toBe('ready');
    await expectError(await post('wrong-labels', 'classify', { inputs: 'a' }), 503, /not ready/);
  });

  it('an architecture with no task falls back to KServe V2, with one warning naming what was missing', async () => {
    const m = (await app.inject('/v1/models/gpt2-like')).json();
    expect(m).toMatchObject({ state: 'ready', task: null, routes: ['/v2/models/gpt2-like/infer'] });
    expect(m.warnings).toEqual([expect.stringMatching(/GPT2LMHeadModel.*served through KServe V2 only/)]);
    await expectError(await post('gpt2-like', 'classify', { inputs: 'a' }), 404, /KServe V2 only/);
  });
});
