// Inference priority on real worker threads (Linux): nice 2 normally, the event loop's nice 0
// while the model is overloaded (runtime/overload.ts), and back.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WorkerPool } from '../../server/runtime/worker-pool.ts';
import { MODELS } from '../helpers/app.ts';
import { waitFor } from '../helpers/wait.ts';

/**
 * Nice value of each worker thread named `prefix…` (/proc/self/task/<tid>/stat, field 19). Threads
 * a worker starts (onnxruntime's) inherit its name: the worker's own is the lowest tid of a name.
 */
function niceOf(prefix: string): number[] {
  const byName = new Map<string, { tid: number; nice: number }>();
  for (const tid of fs
    .readdirSync('/proc/self/task')
    .map(Number)
    .sort((a, b) => a - b)) {
    const stat = fs.readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
    const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
    if (name.startsWith(prefix) && !byName.has(name)) byName.set(name, { tid, nice: Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]) });
  }
  return [...byName.values()].map((t) => t.nice);
}

/**
 * Whether this process may lower a thread's nice value to 0: CAP_SYS_NICE (bit 23 of CapEff in
 * /proc/self/status) or an RLIMIT_NICE of 20 or more ("Max nice priority", allowing nice 20 − limit).
 */
function mayLowerNiceToZero(): boolean {
  const capEff = /^CapEff:\s*([0-9a-f]+)$/m.exec(fs.readFileSync('/proc/self/status', 'utf8'))?.[1];
  if (capEff !== undefined && (BigInt(`0x${capEff}`) >> 23n) & 1n) return true;
  const limit = /^Max nice priority\s+(\d+)/m.exec(fs.readFileSync('/proc/self/limits', 'utf8'))?.[1];
  return Number(limit ?? 0) >= 20;
}

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

  it('runs inference at nice 2, at nice 0 while overloaded (or says once why it cannot), and at nice 2 again after', async () => {
    const nice = () => niceOf('ortserve:prio');
    await waitFor(() => nice().length === 2 && nice().every((n) => n === 2), { what: 'both workers at nice 2' });
    expect(nice()).toEqual([2, 2]);
    pool.setOverloaded(true);
    // Lowering a nice value needs CAP_SYS_NICE or RLIMIT_NICE; without them the pool says so once
    // and keeps nice 2. Which of the two must happen is known before the pool tries.
    if (mayLowerNiceToZero()) {
      await waitFor(() => nice().every((n) => n === 0), { what: 'both workers at nice 0 while overloaded' });
      expect(logs.join('\n')).not.toMatch(/refused inference priority/);
    } else {
      await waitFor(() => logs.length > 0, { what: 'the pool to log that nice 0 was refused' });
      expect(logs.join('\n')).toMatch(/refused inference priority nice 0/);
      expect(nice()).toEqual([2, 2]);
    }
    pool.setOverloaded(false);
    await waitFor(() => nice().every((n) => n === 2), { what: 'both workers back at nice 2' });
    expect(nice()).toEqual([2, 2]);
  });
});
