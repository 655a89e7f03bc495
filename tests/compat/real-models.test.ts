// Foreign ONNX exports from ../shared/real-models (never committed): served through KServe V2,
// a small manifest, and the text pipeline. Skipped, loudly, when the folder is absent.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadTokenizer } from '../../server/pipelines/tokenizer.ts';
import { SHARED, testApp } from '../helpers/app.ts';
import { readTensorPb } from '../helpers/onnx-pb.ts';

const HAVE = fs.existsSync(SHARED);
if (!HAVE) console.warn(`\n*** SKIPPED: ${SHARED} is absent, so the foreign-model compatibility tests did not run ***\n`);

const repo = fs.mkdtempSync(path.join(os.tmpdir(), 'ortserve-compat-'));
function model(name: string, files: Record<string, string>, manifest?: object): void {
  fs.mkdirSync(path.join(repo, name));
  for (const [to, from] of Object.entries(files)) fs.symlinkSync(path.join(SHARED, from), path.join(repo, name, to));
  if (manifest) fs.writeFileSync(path.join(repo, name, 'manifest.json'), JSON.stringify(manifest));
}

let app: FastifyInstance;
beforeAll(async () => {
  if (!HAVE) return;
  model('mnist', { 'model.onnx': 'mnist/mnist.onnx' });
  model(
    'mnist-classifier',
    { 'model.onnx': 'mnist/mnist.onnx' },
    {
      task: 'image-classification',
      labels: ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'],
      image: { width: 28, height: 28, channels: 1, fit: 'fill', invert: false, scale: 1 / 255 },
    },
  );
  model('cntk-lstm', { 'model.onnx': 'cntk_lstm/model.onnx' });
  model('gru-batchwise', { 'model.onnx': 'onnx_node_rnn/test_gru_batchwise/model.onnx' });
  model('sklearn-lr', { 'model.onnx': 'java_mnist/lr_mnist_scikit.onnx' });
  model(
    'tiny-distilbert',
    { 'model.onnx': 'optimum_tiny_bert/model.onnx', 'tokenizer.json': 'bert_tokenizer/bert-base-uncased.tokenizer.json' },
    {
      task: 'text-embedding',
      tokenizer: 'tokenizer.json',
      outputs: { hidden: 'logits' },
      max_length: 128,
    },
  );
  app = await testApp({ ORTSERVE_MODELS: repo });
});
afterAll(async () => {
  await app?.close();
  fs.rmSync(repo, { recursive: true, force: true });
});

const infer = (name: string, body: object) => app.inject({ method: 'POST', url: `/v2/models/${name}/infer`, payload: body });

describe.skipIf(!HAVE)('foreign ONNX exports', () => {
  it('model-zoo MNIST via V2 infer reproduces test_data_set_0 within 1e-3', async () => {
    const input = readTensorPb(path.join(SHARED, 'mnist/test_data_set_0/input_0.pb'));
    const expected = readTensorPb(path.join(SHARED, 'mnist/test_data_set_0/output_0.pb'));
    const meta = (await app.inject('/v2/models/mnist')).json();
    expect(meta).toMatchObject({ platform: 'onnxruntime_onnx', inputs: [{ name: 'Input3', datatype: 'FP32', shape: [1, 1, 28, 28] }] });
    const res = await infer('mnist', { id: 'zoo-1', inputs: [{ name: 'Input3', datatype: 'FP32', shape: input.dims, data: input.data }] });
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body.id).toBe('zoo-1');
    expect(body.outputs[0].shape).toEqual(expected.dims);
    body.outputs[0].data.forEach((v: number, i: number) => expect(Math.abs(v - expected.data[i]!)).toBeLessThan(1e-3));
  });

  it('serves mnist_5.jpg as 5 through the classify route, given a small manifest', async () => {
    const jpg = fs.readFileSync(path.join(SHARED, 'mnist/mnist_5.jpg'));
    const res = await app.inject({ method: 'POST', url: '/v1/models/mnist-classifier/classify', headers: { 'content-type': 'image/jpeg' }, payload: jpg });
    expect(res.statusCode).toBe(200);
    expect(res.json().results[0].predictions[0].label).toBe('5');
  });

  it('CNTK bidirectional LSTM via V2 reproduces its test vectors', async () => {
    const input = readTensorPb(path.join(SHARED, 'cntk_lstm/test_data_set_0/input_0.pb'));
    const expected = readTensorPb(path.join(SHARED, 'cntk_lstm/test_data_set_0/output_0.pb'));
    const meta = (await app.inject('/v2/models/cntk-lstm')).json();
    const res = await infer('cntk-lstm', { inputs: [{ name: meta.inputs[0].name, datatype: 'FP32', shape: input.dims, data: input.data }] });
    expect(res.statusCode, res.body).toBe(200);
    const out = res.json().outputs[0];
    expect(out.shape).toEqual(expected.dims);
    out.data.forEach((v: number, i: number) => expect(Math.abs(v - expected.data[i]!)).toBeLessThan(1e-4));
  });

  it('a *_batchwise model fails to load with a clear error, and every other model keeps serving', async () => {
    const list = (await app.inject('/v1/models')).json().data;
    const bad = list.find((m: { name: string }) => m.name === 'gru-batchwise');
    expect(bad.state).toBe('failed');
    expect(bad.error).toMatch(/[Bb]atchwise/);
    const ready = await app.inject('/v2/models/gru-batchwise/ready');
    expect(ready.statusCode).toBe(503);
    expect(ready.json().error).toMatch(/not ready/);
    for (const m of list.filter((x: { name: string }) => x.name !== 'gru-batchwise')) expect(m.state, m.name).toBe('ready');
    expect((await app.inject('/v2/models/mnist/ready')).statusCode).toBe(200);
  });

  it('a model with a non-tensor output gives a clear error, not a crash', async () => {
    const meta = (await app.inject('/v2/models/sklearn-lr')).json();
    expect(meta.outputs.map((o: { datatype: string }) => o.datatype)).toContain('NON_TENSOR');
    const input = { name: 'float_input', datatype: 'FP32', shape: [1, 780], data: Array(780).fill(0) };
    const asked = await infer('sklearn-lr', { inputs: [input], outputs: [{ name: 'output_probability' }] });
    expect(asked.statusCode).toBe(400);
    expect(asked.json().error).toMatch(/not a tensor/);
    const plain = await infer('sklearn-lr', { inputs: [input] });
    expect(plain.statusCode).toBe(200);
    expect(plain.json().outputs.map((o: { name: string }) => o.name)).toEqual(['output_label']);
  });

  it("tokenizes exactly as Hugging Face's bert-base-uncased (expected_encodings.json)", async () => {
    const tok = loadTokenizer(path.join(SHARED, 'bert_tokenizer/bert-base-uncased.tokenizer.json'), 10_000);
    const { cases } = JSON.parse(fs.readFileSync(path.join(SHARED, 'bert_tokenizer/expected_encodings.json'), 'utf8'));
    let checked = 0;
    for (const c of cases) {
      if (c.text === undefined) {
        expect(await tok.decode(c.decode)).toBe(c.note.replace(/\[CLS\] |\s?\[SEP\]/g, ''));
        continue;
      }
      if (c.text.trim() === '') continue;
      const enc = await tok.encode(c.text, undefined, { truncate: false, label: 'text', special: c.add_special_tokens });
      expect(enc.ids).toEqual(c.ids);
      if (c.tokens) expect(enc.tokens).toEqual(c.tokens);
      checked++;
    }
    const long = JSON.parse(fs.readFileSync(path.join(SHARED, 'bert_tokenizer/bert_uncased_encoded.json'), 'utf8'));
    const enc = await tok.encode(long.text, undefined, { truncate: false, label: 'text' });
    expect(enc.ids).toEqual(long.token_ids);
    expect(enc.tokens.slice(1, -1)).toEqual(long.bpe_tokens);
    checked++;
    expect(checked).toBeGreaterThanOrEqual(2);
  });

  it('runs the optimum DistilBERT export (no token_type_ids) through the text pipeline', async () => {
    const tokens = await app.inject({ method: 'POST', url: '/v1/models/tiny-distilbert/tokenize', payload: { text: 'brown fox jumps over the lazy dog' } });
    expect(tokens.json().ids).toEqual([101, 2829, 4419, 14523, 2058, 1996, 13971, 3899, 102]);
    const texts = ['brown fox jumps over the lazy dog', 'hello', 'a much longer sentence that needs a good deal of padding in a batch'];
    const batch = await app.inject({ method: 'POST', url: '/v1/models/tiny-distilbert/embed', payload: { inputs: texts, normalize: false } });
    expect(batch.statusCode, batch.body).toBe(200);
    expect(batch.json().dimensions).toBe(2);
    for (const [i, text] of texts.entries()) {
      const one = (await app.inject({ method: 'POST', url: '/v1/models/tiny-distilbert/embed', payload: { inputs: text, normalize: false } })).json();
      one.embeddings[0].forEach((v: number, d: number) => expect(v).toBeCloseTo(batch.json().embeddings[i][d], 4));
    }
  });
});
