// BASELINE: the most this machine's onnxruntime does for bert-mini embeddings on the benchmark's
// mixed sentence list, with no HTTP and no server: the list (repeated) sorted by length and cut
// into batches of one size, run by `instances` sessions in parallel threads with `threads`
// intra-op threads each (the shipped settings). Tries several batch sizes; prints one JSON line
// with the best (sentences per second) and every size tried.
// node scripts/bench/raw-embed.ts <instances> <threads> <seconds per size> [batch sizes, comma-separated]
import { Worker } from 'node:worker_threads';
import { loadTokenizer } from '../../server/pipelines/tokenizer.ts';
import type { TensorValue } from '../../server/runtime/onnx.ts';
import { modelPath, readManifest } from '../lib/paths.ts';
import { SENTENCES } from './sentences.ts';

const [instancesArg = '2', threadsArg = '1', secondsArg = '4', sizesArg = '4,8,16,32,64'] = process.argv.slice(2);
const manifest = readManifest<{ graphs: { encoder: string }; tokenizer: string }>('bert-mini');
const tokenizer = loadTokenizer(modelPath('bert-mini', manifest.tokenizer));
const sorted = Array.from({ length: 8 }, () => SENTENCES)
  .flat()
  .map((s) => tokenizer.encode(s, { maxLength: 128, truncate: true, label: 'x' }).ids)
  .sort((a, b) => a.length - b.length);

function batchesOf(size: number): { rows: number; feeds: Record<string, TensorValue> }[] {
  const out = [];
  for (let k = 0; k < sorted.length; k += size) {
    const rows = sorted.slice(k, k + size);
    const t = Math.max(...rows.map((r) => r.length));
    const grid = (f: (r: number[], j: number) => number) => BigInt64Array.from(rows.flatMap((r) => Array.from({ length: t }, (_, j) => BigInt(j < r.length ? f(r, j) : 0))));
    const dims = [rows.length, t];
    out.push({ rows: rows.length, feeds: { input_ids: { type: 'int64', dims, data: grid((r, j) => r[j]!) }, attention_mask: { type: 'int64', dims, data: grid(() => 1) }, token_type_ids: { type: 'int64', dims, data: grid(() => 0) } } as Record<string, TensorValue> });
  }
  return out;
}

async function measure(size: number): Promise<number> {
  const batches = batchesOf(size);
  const graph = modelPath('bert-mini', manifest.graphs.encoder);
  const instances = Number(instancesArg);
  // Each instance starts at a different place in the list, as a server's instances would take different batches.
  const results = await Promise.all(
    Array.from({ length: instances }, (_, w) => {
      const mine = [...batches.slice((w * batches.length) / instances), ...batches.slice(0, (w * batches.length) / instances)];
      const worker = new Worker(new URL('./raw-embed-worker.ts', import.meta.url), { workerData: { graph, threads: Number(threadsArg), seconds: Number(secondsArg), batches: mine } });
      return new Promise<{ sentences: number; seconds: number }>((resolve, reject) => worker.once('message', resolve).once('error', reject));
    }),
  );
  return results.reduce((s, r) => s + r.sentences / r.seconds, 0);
}

const tried: Record<string, number> = {};
for (const size of sizesArg.split(',').map(Number)) tried[size] = await measure(size);
const [best, perSecond] = Object.entries(tried).sort((a, b) => b[1] - a[1])[0]!;
console.log(JSON.stringify({ model: 'bert-mini', instances: Number(instancesArg), threads: Number(threadsArg), best_batch: Number(best), items_per_s: perSecond, tried }));
