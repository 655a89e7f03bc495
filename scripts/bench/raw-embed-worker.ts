// BASELINE worker of raw-embed.ts: one onnxruntime session of the bert-mini encoder running the
// given batches in a loop for a fixed time, no server; posts back how many sentences it ran.
import { parentPort, workerData } from 'node:worker_threads';
import { createSession, type TensorValue } from '../../server/runtime/onnx.ts';

interface Job {
  graph: string;
  threads: number;
  seconds: number;
  batches: { rows: number; feeds: Record<string, TensorValue> }[];
}

const { graph, threads, seconds, batches } = workerData as Job;
const session = await createSession(graph, { intraOpThreads: threads });
for (const b of batches.slice(0, 3)) await session.run(b.feeds);
let sentences = 0;
let i = 0;
const start = performance.now();
while (performance.now() - start < seconds * 1000) {
  const b = batches[i++ % batches.length]!;
  await session.run(b.feeds);
  sentences += b.rows;
}
await session.release();
parentPort!.postMessage({ sentences, seconds: (performance.now() - start) / 1000 });
