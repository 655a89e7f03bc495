// BASELINE: the most this machine's onnxruntime does for an image model, with no HTTP and no
// server — session.run in a plain loop at a fixed batch size. Prints one JSON line: items per
// second, and this process's CPU seconds per item over the timed loop. (bert-mini's ceiling on the benchmark's sentences is raw-embed.ts; the GRU's, raw-step.ts.)
import path from 'node:path';
import { createSession, type TensorValue } from '../../server/runtime/onnx.ts';
import { ownCpuSeconds } from './cpu.ts';

const [model = 'fashion-cnn', batchArg = '64', secondsArg = '5', threadsArg = '2'] = process.argv.slice(2);
const batch = Number(batchArg);
const seconds = Number(secondsArg);
const models = path.resolve(import.meta.dirname, '../../models');

function setup(): { graph: string; feeds: Record<string, TensorValue> } {
  if (model === 'fashion-cnn')
    return { graph: path.join(models, 'fashion-cnn/model.onnx'), feeds: { pixel_values: { type: 'float32', dims: [batch, 1, 28, 28], data: new Float32Array(batch * 784).fill(0.1) } } };
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
const cpuStart = ownCpuSeconds();
const start = performance.now();
while (performance.now() - start < seconds * 1000) {
  await session.run(feeds);
  runs++;
}
const elapsed = (performance.now() - start) / 1000;
const cpu = ownCpuSeconds() - cpuStart;
console.log(JSON.stringify({ model, batch, threads: Number(threadsArg), items_per_s: (runs * batch) / elapsed, cpu_s_per_item: cpu / (runs * batch), runs }));
