// Worker-thread entry: owns one model's onnxruntime sessions (one per graph), runs batches on
// them (preparing raw items such as uploads first, when a step asks), and hosts the sequence
// engine when the model generates. session.run and decoding block this thread, never the
// server's event loop.
import { readlinkSync } from 'node:fs';
import { setPriority } from 'node:os';
import { parentPort } from 'node:worker_threads';
import { SequenceEngine } from './engine.ts';
import { createSession, type Session, type TensorValue } from './onnx.ts';
import { prepare } from './prepare.ts';
import { transferList, type FromWorker, type GraphInfo, type RunStep, type SkippedItem, type ToWorker } from './protocol.ts';

if (!parentPort) throw new Error('worker.ts must run in a worker thread');

/**
 * Inference runs at a slightly lower CPU priority than the event loop, so that health checks and
 * request parsing win the CPU when every core is busy with session.run. Only slightly: at nice 5
 * (a third of the event loop's CFS weight) a flood of refused requests starved the model under
 * 10× overload (fortune-rnn goodput 0.57× capacity); nice 2 (two thirds) kept 0.74× with
 * /health/live p99 still under 20 ms. On Linux nice values are per thread and inherited by the
 * threads onnxruntime creates later for its intra-op pool.
 */
const WORKER_NICE = 2;
try {
  const tid = Number(readlinkSync('/proc/thread-self').split('/').at(-1));
  if (Number.isInteger(tid)) setPriority(tid, WORKER_NICE);
} catch {
  // Not Linux, or not allowed: inference keeps the default priority.
}

const port = parentPort;
const sessions = new Map<string, Session>();
let engine: SequenceEngine | undefined;
let faultInjection = false;
let crashOnNextRun = false;
let engineFault = false;

function die(): never {
  throw new Error('crash requested (fault injection)');
}

function send(msg: FromWorker, transfer: ArrayBuffer[] = []): void {
  port.postMessage(msg, transfer);
}

function session(graph: string): Session {
  const s = sessions.get(graph);
  if (!s) throw new Error(`graph '${graph}' is not loaded`);
  return s;
}

async function load(graphs: Record<string, string>, intraOpThreads: number): Promise<void> {
  const info: Record<string, GraphInfo> = {};
  try {
    for (const [name, file] of Object.entries(graphs)) {
      const s = await createSession(file, { intraOpThreads });
      sessions.set(name, s);
      info[name] = { inputs: s.inputs, outputs: s.outputs };
    }
    send({ type: 'ready', graphs: info });
  } catch (err) {
    send({ type: 'load-failed', message: (err as Error).message });
  }
}

async function run(steps: RunStep[]): Promise<{ outputs: Record<string, TensorValue>; skipped: SkippedItem[] }> {
  let previous: Record<string, TensorValue> = {};
  const skipped: SkippedItem[] = [];
  for (const step of steps) {
    const feeds = { ...step.feeds };
    if (step.prepare) {
      const prepared = await prepare(step.prepare);
      skipped.push(...prepared.skipped);
      // Every item was refused: nothing to run, and no rows to answer with.
      if (!prepared.feed) return { outputs: {}, skipped };
      feeds[step.prepare.input] = prepared.feed;
    }
    for (const [input, output] of Object.entries(step.link ?? {})) {
      const value = previous[output];
      if (!value) throw new Error(`step '${step.graph}' needs output '${output}' of the previous step`);
      feeds[input] = value;
    }
    previous = await session(step.graph).run(feeds, step.fetches);
  }
  return { outputs: previous, skipped };
}

function handle(msg: ToWorker): void {
  switch (msg.type) {
    case 'load':
      faultInjection = msg.faultInjection;
      void load(msg.graphs, msg.intraOpThreads);
      return;
    case 'engine':
      engine = new SequenceEngine({
        session: session(msg.spec.graph),
        spec: msg.spec,
        post: (m) => send(m),
        takeFault: () => (engineFault ? !(engineFault = false) : false),
      });
      return;
    case 'seq-add':
      if (!engine) throw new Error('seq-add before the engine was configured. This is a bug.');
      engine.add(msg.seq);
      return;
    case 'seq-abort':
      engine?.abort(msg.id);
      return;
    case 'crash':
      if (!faultInjection) return;
      if (msg.mode === 'next-run') crashOnNextRun = true;
      else if (msg.mode === 'engine-step') engineFault = true;
      else setImmediate(die);
      return;
    case 'run': {
      if (crashOnNextRun) die();
      const started = performance.now();
      run(msg.steps).then(
        ({ outputs, skipped }) => send({ type: 'result', id: msg.id, outputs, ms: performance.now() - started, skipped }, transferList(Object.values(outputs))),
        (err: unknown) => send({ type: 'error', id: msg.id, message: err instanceof Error ? err.message : String(err) }),
      );
    }
  }
}

port.on('message', handle);
