// Inference priority on real worker threads (Linux): nice 2 normally, the event loop's nice 0
// while the model is overloaded (runtime/overload.ts), and back.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WorkerPool } from '../../server/runtime/worker-pool.ts';
import { MODELS } from '../helpers/app.ts';

/**
 * Nice value of each worker thread named `prefix…` (/proc/self/task/<tid>/stat, field 19). Threads
 * a worker starts (onnxruntime's) inherit its name: the worker's own is the lowest tid of a name.
 */
function niceOf(prefix: string): number[] {
  const byName = new Map<string, { tid: number; nice: number }>();
  for (const tid of fs.readdirSync('/proc/self/task').map(Number).sort((a, b) => a - b)) {
    const stat = fs.readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
    const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
    if (name.startsWith(prefix) && !byName.has(name)) byName.set(name, { tid, nice: Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]) });
  }
  return [...byName.values()].map((t) => t.nice);
}

const until = async (check: () => boolean) => {
  for (let i = 0; i < 200 && !check(); i++) await new Promise((r) => setTimeout(r, 10));
};

describe.runIf(process.platform === 'linux')('worker thread priority', () => {
  const logs: string[] = [];
  let pool: WorkerPool;
  beforeAll(async () => {
    pool = new WorkerPool({ name: 'prio', graphs: { model: path.join(MODELS, 'fashion-cnn', 'model.onnx') }, instances: 2, intraOpThreads: 1, onLog: (_l, m) => logs.push(m) });
    await pool.start();
  });
  afterAll(async () => {
    await pool.close();
  });

  it('runs inference at nice 2, at nice 0 while overloaded, and at nice 2 again after', async () => {
    const nice = () => niceOf('ortserve:prio');
    await until(() => nice().length === 2 && nice().every((n) => n === 2));
    expect(nice()).toEqual([2, 2]);
    pool.setOverloaded(true);
    await until(() => nice().every((n) => n === 0) || logs.length > 0);
    // Lowering a nice value needs CAP_SYS_NICE or RLIMIT_NICE; without them the pool says so once.
    if (logs.length > 0) expect(logs.join('\n')).toMatch(/refused inference priority nice 0/);
    else expect(nice()).toEqual([0, 0]);
    pool.setOverloaded(false);
    await until(() => nice().every((n) => n === 2));
    expect(nice()).toEqual([2, 2]);
  });
});
