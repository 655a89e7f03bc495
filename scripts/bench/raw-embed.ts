// BASELINE: the most this machine's onnxruntime does for bert-mini embeddings on the benchmark's
// mixed sentence list, with no HTTP and no server: the list (repeated) sorted by length and cut
// into batches of one size, run by `instances` sessions in parallel threads with `threads`
// intra-op threads each (the shipped settings). Tries several batch sizes; prints one JSON line
// with the best (sentences per second, and this process's CPU seconds per sentence over the timed
// loops) and every size tried.
// node scripts/bench/raw-embed.ts <instances> <threads> <seconds per size> [batch sizes, comma-separated]
import { once } from 'node:events';
import { Worker } from 'node:worker_threads';
import { Tokenizer } from 'tokenizers';
import type { TensorValue } from '../../server/runtime/onnx.ts';
import { modelPath, readManifest } from '../lib/paths.ts';
import { ownCpuSeconds } from './cpu.ts';
import { SENTENCES } from './sentences.ts';

const [instancesArg = '2', threadsArg = '1', secondsArg = '4', sizesArg = '4,8,16,32,64'] = process.argv.slice(2);
const manifest = readManifest<{ graphs: { encoder: string }; tokenizer: string }>('bert-mini');
// The same tokenizer.json through the same Rust binding as the server; every sentence is well under max_length.
const tokenizer = Tokenizer.fromFile(modelPath('bert-mini', manifest.tokenizer));
const encoded = await Promise.all(
  Array.from({ length: 8 }, () => SENTENCES)
    .flat()
    .map(async (s) => (await tokenizer.encode(s)).getIds()),
);
const sorted = encoded.sort((a, b) => a.length - b.length);

function batchesOf(size: number): { rows: number; feeds: Record<string, TensorValue> }[] {
  const out = [];
  for (let k = 0; k < sorted.length; k += size) {
    const rows = sorted.slice(k, k + size);
    const t = Math.max(...rows.map((r) => r.length));
    const grid = (f: (r: number[], j: number) => number) => BigInt64Array.from(rows.flatMap((r) => Array.from({ length: t }, (_, j) => BigInt(j < r.length ? f(r, j) : 0))));
    const dims = [rows.length, t];
    out.push({
      rows: rows.length,
      feeds: {
        input_ids: { type: 'int64', dims, data: grid((r, j) => r[j]!) },
        attention_mask: { type: 'int64', dims, data: grid(() => 1) },
        token_type_ids: { type: 'int64', dims, data: grid(() => 0) },
      } as Record<string, TensorValue>,
    });
  }
  return out;
}

interface Tried {
  items_per_s: number;
  /** CPU seconds of this process (every thread) per sentence over the timed loops. */
  cpu_s_per_item: number;
}

/** The next message of `worker`; its error, or its exit before one, rejects. */
const next = <T>(worker: Worker) =>
  new Promise<T>((resolve, reject) => {
    worker
      .once('message', resolve)
      .once('error', reject)
      .once('exit', (code) => reject(new Error(`raw-embed worker exited with ${code}`)));
  });

async function measure(size: number): Promise<Tried> {
  const batches = batchesOf(size);
  const graph = modelPath('bert-mini', manifest.graphs.encoder);
  const instances = Number(instancesArg);
  // Each instance starts at a different place in the list, as a server's instances would take different batches.
  const workers = Array.from({ length: instances }, (_, w) => {
    const mine = [...batches.slice((w * batches.length) / instances), ...batches.slice(0, (w * batches.length) / instances)];
    return new Worker(new URL('./raw-embed-worker.ts', import.meta.url), { workerData: { graph, threads: Number(threadsArg), seconds: Number(secondsArg), batches: mine } });
  });
  await Promise.all(workers.map((w) => next(w)));
  const cpuStart = ownCpuSeconds();
  const done = workers.map((w) => next<{ sentences: number; seconds: number }>(w));
  for (const w of workers) w.postMessage('go');
  const results = await Promise.all(done);
  const cpu = ownCpuSeconds() - cpuStart;
  await Promise.all(
    workers.map((w) => {
      w.postMessage('release');
      return once(w, 'exit');
    }),
  );
  const sentences = results.reduce((s, r) => s + r.sentences, 0);
  return { items_per_s: results.reduce((s, r) => s + r.sentences / r.seconds, 0), cpu_s_per_item: cpu / sentences };
}

const tried: Record<string, Tried> = {};
for (const size of sizesArg.split(',').map(Number)) tried[size] = await measure(size);
const [best, fastest] = Object.entries(tried).sort((a, b) => b[1].items_per_s - a[1].items_per_s)[0]!;
console.log(
  JSON.stringify({
    model: 'bert-mini',
    instances: Number(instancesArg),
    threads: Number(threadsArg),
    best_batch: Number(best),
    items_per_s: fastest.items_per_s,
    cpu_s_per_item: fastest.cpu_s_per_item,
    tried: Object.fromEntries(Object.entries(tried).map(([b, t]) => [b, t.items_per_s])),
    cpu_s_per_item_tried: Object.fromEntries(Object.entries(tried).map(([b, t]) => [b, t.cpu_s_per_item])),
  }),
);
