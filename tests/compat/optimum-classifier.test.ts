// A real optimum export nobody here wrote (../shared/real-models/optimum_tiny_bert: DistilBertForSequenceClassification
// for SST-2, its own config.json, no token_type_ids input) served with no manifest, with bert-base-uncased's
// tokenizer.json beside it: /classify equals softmax of V2's logits on the same tokens. Skipped, loudly, when absent.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SHARED, testApp } from '../helpers/app.ts';
import { expectClose, jsTokenizer, softmax, v2Outputs } from '../helpers/hf-text.ts';

const SOURCE = path.join(SHARED, 'optimum_tiny_bert');
const TOKENIZER = path.join(SHARED, 'bert_tokenizer/bert-base-uncased.tokenizer.json');
const HAVE = fs.existsSync(path.join(SOURCE, 'model.onnx')) && fs.existsSync(TOKENIZER);
if (!HAVE) console.warn(`\n*** SKIPPED: ${SOURCE} or ${TOKENIZER} is absent, so the zero-config optimum classifier test did not run ***\n`);

let repo: string;
let app: FastifyInstance;
beforeAll(async () => {
  if (!HAVE) return;
  repo = fs.mkdtempSync(path.join(os.tmpdir(), 'ortserve-optimum-'));
  const dir = path.join(repo, 'sst2');
  fs.mkdirSync(dir);
  fs.copyFileSync(path.join(SOURCE, 'config.json'), path.join(dir, 'config.json'));
  fs.copyFileSync(path.join(SOURCE, 'model.onnx'), path.join(dir, 'model.onnx'));
  fs.copyFileSync(TOKENIZER, path.join(dir, 'tokenizer.json'));
  app = await testApp({ ORTSERVE_MODELS: repo });
});
afterAll(async () => {
  await app?.close();
  if (repo) fs.rmSync(repo, { recursive: true, force: true });
});

describe.skipIf(!HAVE)('optimum DistilBERT SST-2 export, zero-config', () => {
  const tokens = HAVE ? jsTokenizer(TOKENIZER) : () => ({ ids: [], typeIds: [] });
  const post = (route: string, payload: object) => app.inject({ method: 'POST', url: `/v1/models/sst2/${route}`, payload });

  it('is derived from config.json: text-classification, softmax, NEGATIVE/POSITIVE, no token_type_ids input', async () => {
    const m = (await app.inject('/v1/models/sst2')).json();
    expect(m).toMatchObject({ state: 'ready', task: 'text-classification', labels: ['NEGATIVE', 'POSITIVE'], warnings: [] });
    expect(m.manifest).toMatchObject({ function_to_apply: 'softmax', max_length: 512 });
    expect(m.sources.task).toBe('config.json: architectures[0] = "DistilBertForSequenceClassification"');
    expect(m.inputs.model.map((i: { name: string }) => i.name).sort()).toEqual(['attention_mask', 'input_ids']);
  });

  it('/classify scores equal softmax of the V2 logits on the same tokens, texts and pairs, batch = alone', async () => {
    const inputs: (string | [string, string])[] = ['This movie was wonderful!', 'a dull, lifeless film', ['the plot', 'made no sense at all']];
    const res = await post('classify', { inputs, top_k: null });
    expect(res.statusCode, res.body).toBe(200);
    for (const [i, input] of inputs.entries()) {
      const t = typeof input === 'string' ? tokens(input) : tokens(input[0], input[1]);
      const expected = softmax((await v2Outputs(app, 'sst2', t)).logits!.data);
      const got = [...res.json().results[i].predictions].sort((a, b) => a.index - b.index).map((p: { score: number }) => p.score);
      expectClose(got, expected, 1e-5);
      const alone = (await post('classify', { inputs: [input], top_k: null })).json().results[0].predictions;
      expect(alone.map((p: { label: string }) => p.label)).toEqual(res.json().results[i].predictions.map((p: { label: string }) => p.label));
    }
  });

  it('answers TEI /predict in its shape', async () => {
    const res = await post('predict', { inputs: 'This movie was wonderful!' });
    expect(res.statusCode, res.body).toBe(200);
    const expected = softmax((await v2Outputs(app, 'sst2', tokens('This movie was wonderful!'))).logits!.data);
    const list = res.json<{ label: string; score: number }[]>();
    expectClose(
      ['NEGATIVE', 'POSITIVE'].map((l) => list.find((p) => p.label === l)!.score),
      expected,
      1e-5,
    );
  });
});
