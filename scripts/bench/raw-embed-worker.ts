// BASELINE worker of raw-embed.ts: one onnxruntime session of the bert-mini encoder running the
// given batches in a loop for a fixed time, no server. Posts 'ready' once warm, runs on 'go',
// posts how many sentences it ran, and releases its session on 'release' — so that the parent's
// CPU reading covers the timed loops only.
import { once } from 'node:events';
import { parentPort, workerData } from 'node:worker_threads';
import { createSession, type TensorValue } from '../../server/runtime/onnx.ts';

interface Job {
  graph: string;
  threads: number;
  seconds: number;
  batches: { rows: number; feeds: Record<string, TensorValue> }[];
}

const port = parentPort!;
const { graph, threads, seconds, batches } = workerData as Job;
const session = await createSession(graph, { intraOpThreads: threads });
for (const b of batches.slice(0, 3)) await session.run(b.feeds);
port.postMessage('ready');
await once(port, 'message');
let sentences = 0;
let i = 0;
const start = performance.now();
while (performance.now() - start < seconds * 1000) {
  const b = batches[i++ % batches.length]!;
  await session.run(b.feeds);
  sentences += b.rows;
}
port.postMessage({ sentences, seconds: (performance.now() - start) / 1000 });
await once(port, 'message');
await session.release();
port.close();
