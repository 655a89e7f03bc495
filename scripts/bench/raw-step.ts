// BASELINE: the most this machine's onnxruntime does for recurrent generation, with no HTTP and
// no server — the fortune-rnn GRU stepped in a plain loop (one token per sequence per run, the
// state fed back), at a fixed batch, with the shipped intra-op threads. Prints one JSON line:
// tokens per second.
// node scripts/bench/raw-step.ts <batch> <seconds> [intra-op threads]
import { createSession } from '../../server/runtime/onnx.ts';
import { fortuneManifest, step, zeroState } from '../lib/fortune.ts';
import { modelPath, readManifest } from '../lib/paths.ts';

const [batchArg = '1', secondsArg = '5', threadsArg] = process.argv.slice(2);
const batch = Number(batchArg);
const threads = Number(threadsArg ?? readManifest<{ intra_op_threads?: number }>('fortune-rnn').intra_op_threads ?? 1);
const manifest = fortuneManifest();
const session = await createSession(modelPath('fortune-rnn'), { intraOpThreads: threads });
let state = zeroState(manifest, batch);
const ids = Array.from({ length: batch }, (_, i) => [i % manifest.vocabulary.tokens.length]);
for (let i = 0; i < 20; i++) state = (await step(session, manifest, ids, state)).state;
let steps = 0;
const start = performance.now();
while (performance.now() - start < Number(secondsArg) * 1000) {
  state = (await step(session, manifest, ids, state)).state;
  steps++;
}
const elapsed = (performance.now() - start) / 1000;
await session.release();
console.log(JSON.stringify({ model: 'fortune-rnn', batch, threads, tokens_per_s: (steps * batch) / elapsed, steps }));
