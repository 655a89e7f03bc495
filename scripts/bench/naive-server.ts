// BASELINE, not ortserve: the "obvious" server a benchmark compares against. One Fastify route
// per task calls session.run on the main thread, per request, with the same pre/post-processing
// as ortserve (image-io, tokenizer). Also serves the HTTP ceiling for images: a route that
// accepts and decodes the same upload and answers without inference.
import path from 'node:path';
import multipart from '@fastify/multipart';
import Fastify from 'fastify';
import { createSession, type TensorValue } from '../../server/runtime/onnx.ts';
import { softmax, topK } from '../../server/runtime/math.ts';
import { imageToTensor } from '../../server/pipelines/image-io.ts';
import { loadTokenizer } from '../../server/pipelines/tokenizer.ts';
import { parseManifest } from '../../server/repository/manifest.ts';
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';

const root = path.resolve(import.meta.dirname, '../..');
const models = path.join(root, 'models');
const manifest = (name: string) => parseManifest(JSON.parse(readFileSync(path.join(models, name, 'manifest.json'), 'utf8')));
// onnxruntime's own default: one intra-op thread per core (what `InferenceSession.create(path)` gives).
const threads = Number(process.env.INTRA_OP_THREADS ?? availableParallelism());

const cnnSpec = manifest('fashion-cnn');
const cnn = await createSession(path.join(models, 'fashion-cnn/model.onnx'), { intraOpThreads: threads });
const bertSpec = manifest('bert-mini');
const bert = await createSession(path.join(models, 'bert-mini', bertSpec.graphs!.encoder!), { intraOpThreads: threads });
const tokenizer = loadTokenizer(path.join(models, 'bert-mini', bertSpec.tokenizer!), bertSpec.max_length ?? 128);

const app = Fastify({ bodyLimit: 8 * 1024 * 1024 });
await app.register(multipart);

async function upload(request: import('fastify').FastifyRequest): Promise<Float32Array> {
  const file = await request.file();
  if (!file) throw new Error('no file');
  return imageToTensor(await file.toBuffer(), cnnSpec.image!, { maxPixels: 40_000_000 });
}

app.get('/health/live', async () => ({ status: 'ok' }));

app.post('/ceiling/classify', async (request) => {
  await upload(request);
  return { model: 'fashion-cnn', results: [{ predictions: [] }] };
});

app.post('/v1/models/fashion-cnn/classify', async (request) => {
  const pixels = await upload(request);
  const out = await cnn.run({ pixel_values: { type: 'float32', dims: [1, 1, 28, 28], data: pixels } });
  const predictions = topK(softmax(out.logits!.data as Float32Array), 5).map(({ index, score }) => ({ label: cnnSpec.labels![index]!, index, score }));
  return { model: 'fashion-cnn', results: [{ predictions }] };
});

app.post('/v1/models/bert-mini/embed', async (request) => {
  const { inputs } = request.body as { inputs: string };
  const { ids } = await tokenizer.encode(inputs, undefined, { truncate: true, label: 'inputs' });
  const t = ids.length;
  const feed = (values: number[]): TensorValue => ({ type: 'int64', dims: [1, t], data: BigInt64Array.from(values, BigInt) });
  const out = await bert.run({ input_ids: feed(ids), attention_mask: feed(ids.map(() => 1)), token_type_ids: feed(ids.map(() => 0)) });
  const hidden = out.last_hidden_state!.data as Float32Array;
  const h = hidden.length / t;
  const v = Array.from({ length: h }, (_, d) => {
    let s = 0;
    for (let i = 0; i < t; i++) s += hidden[i * h + d]!;
    return s / t;
  });
  const norm = Math.hypot(...v) || 1;
  return { model: 'bert-mini', embeddings: [v.map((x) => x / norm)], dimensions: h, usage: { tokens: t } };
});

await app.listen({ host: '127.0.0.1', port: Number(process.env.PORT ?? 0) });
const address = app.server.address();
console.log(JSON.stringify({ ready: true, port: typeof address === 'object' && address ? address.port : 0 }));
