// BASELINE: the most this machine's onnxruntime does for a model, with no HTTP and no server —
// session.run in a plain loop at a fixed batch size. Prints one JSON line: items per second.
import path from 'node:path';
import { readFileSync } from 'node:fs';
import { createSession, type TensorValue } from '../../server/runtime/onnx.ts';
import { loadTokenizer } from '../../server/pipelines/tokenizer.ts';
import { SENTENCES } from './sentences.ts';

const [model = 'bert-mini', batchArg = '32', secondsArg = '5', threadsArg = '2'] = process.argv.slice(2);
const batch = Number(batchArg);
const seconds = Number(secondsArg);
const models = path.resolve(import.meta.dirname, '../../models');

function embedFeeds(): { graph: string; feeds: Record<string, TensorValue> } {
  const manifest = JSON.parse(readFileSync(path.join(models, 'bert-mini/manifest.json'), 'utf8'));
  const tok = loadTokenizer(path.join(models, 'bert-mini', manifest.tokenizer));
  const rows = Array.from({ length: batch }, (_, i) => tok.encode(SENTENCES[i % SENTENCES.length]!, { maxLength: 128, truncate: true, label: 'x' }).ids);
  // The server groups similar lengths; a batch of the fixed list padded to its longest is the same work or more.
  const t = Math.max(...rows.map((r) => r.length));
  const grid = (f: (r: number[], j: number) => number) => BigInt64Array.from(rows.flatMap((r) => Array.from({ length: t }, (_, j) => BigInt(j < r.length ? f(r, j) : 0))));
  const dims = [batch, t];
  return {
    graph: path.join(models, 'bert-mini', manifest.graphs.encoder),
    feeds: { input_ids: { type: 'int64', dims, data: grid((r, j) => r[j]!) }, attention_mask: { type: 'int64', dims, data: grid(() => 1) }, token_type_ids: { type: 'int64', dims, data: grid(() => 0) } },
  };
}

function setup(): { graph: string; feeds: Record<string, TensorValue> } {
  if (model === 'bert-mini') return embedFeeds();
  if (model === 'fashion-cnn') return { graph: path.join(models, 'fashion-cnn/model.onnx'), feeds: { pixel_values: { type: 'float32', dims: [batch, 1, 28, 28], data: new Float32Array(batch * 784).fill(0.1) } } };
  if (model === 'fashion-dcgan') {
    return {
      graph: path.join(models, 'fashion-dcgan/model.onnx'),
      feeds: { z: { type: 'float32', dims: [batch, 64], data: new Float32Array(batch * 64).fill(0.3) }, label: { type: 'int64', dims: [batch], data: new BigInt64Array(batch) } },
    };
  }
  throw new Error(`no ceiling for ${model}`);
}

const { graph, feeds } = setup();
const session = await createSession(graph, { intraOpThreads: Number(threadsArg) });
for (let i = 0; i < 3; i++) await session.run(feeds);
let runs = 0;
const start = performance.now();
while (performance.now() - start < seconds * 1000) {
  await session.run(feeds);
  runs++;
}
const elapsed = (performance.now() - start) / 1000;
console.log(JSON.stringify({ model, batch, threads: Number(threadsArg), items_per_s: (runs * batch) / elapsed, runs }));
