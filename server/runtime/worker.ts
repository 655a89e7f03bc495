// Worker-thread entry: owns one model's onnxruntime sessions (one per graph), runs batches on
// them from data (batch.ts: assemble the items' feeds, run, cut one answer per item), and hosts
// the sequence engine when the model generates. session.run and decoding block this thread, never the
// server's event loop.
import { parentPort } from 'node:worker_threads';
import { SequenceEngine } from './engine.ts';
import { runBatch } from './batch.ts';
import { createSession, type Session } from './onnx.ts';
import { setThreadNice } from './priority.ts';
import { transferList, type FromWorker, type GraphInfo, type ToWorker } from './protocol.ts';

if (!parentPort) throw new Error('worker.ts must run in a worker thread');

/**
 * Inference runs at a slightly lower CPU priority than the event loop, so that health checks and
 * request parsing win the CPU when every core is busy with session.run. Only slightly: nice 2 is
 * two thirds of the event loop's CFS weight (nice 1 gave a worse /health/live p99 under a
 * saturated classify; RELIABILITY.md §2 has the runs). While the model refuses work
 * (overload.ts), the event loop's extra work is those refusals, and the model runs at its
 * priority (nice 0), which kept more of its capacity under overload (RELIABILITY.md §2).
 * On Linux nice values are per thread: the threads onnxruntime creates for an intra-op pool
 * inherit the value the worker had when its session was made (nice 2), and keep it under overload.
 */
const WORKER_NICE = 2;
const OVERLOADED_NICE = 0;
/** Sets this thread's nice value; says so when the OS refuses (lowering it needs CAP_SYS_NICE or RLIMIT_NICE). */
function runAtNice(nice: number): void {
  const refused = setThreadNice(nice);
  if (refused) port.postMessage({ type: 'priority-denied', nice, message: refused.message } satisfies FromWorker);
}

const port = parentPort;
runAtNice(WORKER_NICE);
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
    case 'priority':
      runAtNice(msg.overloaded ? OVERLOADED_NICE : WORKER_NICE);
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
      runBatch(msg.plan, msg.items, session).then(
        ({ items, reruns }) =>
          send({ type: 'result', id: msg.id, items, reruns, ms: performance.now() - started }, transferList(items.flatMap((r) => ('outputs' in r ? Object.values(r.outputs) : [])))),
        (err: unknown) => send({ type: 'error', id: msg.id, message: err instanceof Error ? err.message : String(err) }),
      );
    }
  }
}

port.on('message', handle);
