import { describe, expect, it } from 'vitest';
import { RuntimeError } from '../../server/runtime/errors.ts';
import type { Policy } from '../../server/runtime/policy.ts';
import type { BatchItem, BatchPlan, ItemResult, SequenceMessage, ToWorker } from '../../server/runtime/protocol.ts';
import { ModelScheduler, type Instances, type Operation, type SubmitOptions } from '../../server/runtime/scheduler.ts';
import type { PoolEvents, RunResult } from '../../server/runtime/worker-pool.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const POLICY: Policy = { maxBatchSize: 8, maxQueueDelayMs: 2, maxQueueSize: 16, maxQueueBytes: Infinity, timeoutMs: 5000, maxBatchTokens: 1e6, maxPaddingRatio: Infinity, maxActiveSequences: 2 };

/** A number as a batch item, and back. */
const num = (x: number): BatchItem => ({ tensors: { x: { type: 'float32', dims: [1], data: Float32Array.of(x) } } });
const val = (outputs: Record<string, { data: unknown }>) => (outputs.y!.data as Float32Array)[0]!;

/** What the fake worker answers: the 'double' graph doubles each item (and refuses negatives), the others echo it. */
function answer(plan: BatchPlan, item: BatchItem): ItemResult {
  const x = (item.tensors!.x!.data as Float32Array)[0]!;
  const graph = plan.steps[0]?.graph;
  if (graph === 'double' && x < 0) return { error: { message: `bad item ${x}`, sibling: false } };
  return { outputs: { y: { type: 'float32', dims: [1], data: Float32Array.of(graph === 'double' ? 2 * x : x) } } };
}

/** A fake set of worker instances: runs take `runMs`, every message is recorded. */
class FakePool implements Instances {
  instances: number;
  ready: boolean[];
  running = 0;
  peak = 0;
  runsOn: number[] = [];
  posted: { instance: number; msg: ToWorker }[] = [];
  events!: PoolEvents;
  runMs: number;
  fail?: Error;

  constructor(instances = 1, runMs = 10) {
    this.instances = instances;
    this.ready = new Array<boolean>(instances).fill(true);
    this.runMs = runMs;
  }
  isReady = (i: number) => this.ready[i] ?? false;
  listen = (events: PoolEvents) => void (this.events = events);
  startEngine = () => {};
  /** Every setOverloaded call, in order. */
  overload: boolean[] = [];
  setOverloaded = (on: boolean) => void this.overload.push(on);
  post = (instance: number, msg: ToWorker) => void this.posted.push({ instance, msg });
  async run(instance: number, plan: BatchPlan, items: BatchItem[]): Promise<RunResult> {
    this.runsOn.push(instance);
    this.running++;
    this.peak = Math.max(this.peak, this.running);
    await sleep(this.runMs);
    this.running--;
    if (this.fail) throw this.fail;
    return { items: items.map((it) => answer(plan, it)), ms: this.runMs, reruns: 0 };
  }
  step(instance: number, msg: SequenceMessage) {
    this.events.onSequence(instance, msg);
  }
  added = () => this.posted.filter((p) => p.msg.type === 'seq-add').map((p) => ({ instance: p.instance, id: (p.msg as { seq: { id: number } }).seq.id }));
}

const plan = (graph: string): BatchPlan => ({ steps: [{ graph, fetches: ['y'] }], assemble: { kind: 'stack' }, cut: { kind: 'rows' } });

/** An operation on numbers: submit(x) answers with the fake worker's number. */
const numbers = (op: Operation) => ({
  submit: (x: number, options?: SubmitOptions) => op.submit(num(x), options).then((a) => ({ ...a, value: val(a.value) })),
});

function setup(policy: Partial<Policy> = {}, pool = new FakePool(), quietMs?: number) {
  const batches: { op: string; size: number }[] = [];
  const drops: string[] = [];
  const s = new ModelScheduler({
    model: 'm',
    policy: { ...POLICY, ...policy },
    pool,
    quietMs,
    hooks: { onBatch: (op, size) => batches.push({ op, size }), onDrop: (_op, reason) => drops.push(reason) },
  });
  const double = numbers(s.operation({ name: 'double', plan: plan('double') }));
  const other = numbers(s.operation({ name: 'other', plan: plan('other') }));
  return { s, pool, double, other, batches, drops };
}

describe('ModelScheduler: batches', () => {
  it('batches concurrent submissions and answers each in order', async () => {
    const { double, batches } = setup();
    const out = await Promise.all([1, 2, 3, 4, 5].map((x) => double.submit(x)));
    expect(out.map((o) => o.value)).toEqual([2, 4, 6, 8, 10]);
    expect(batches).toEqual([{ op: 'double', size: 5 }]);
    expect(out[0]!.timing.batchSize).toBe(5);
  });

  it("never exceeds max_batch_size, nor the operation's own cap", async () => {
    const { s, double, batches } = setup({ maxBatchSize: 3 });
    await Promise.all(Array.from({ length: 10 }, (_, i) => double.submit(i)));
    expect(Math.max(...batches.map((b) => b.size))).toBe(3);
    const one = numbers(s.operation({ name: 'one', maxBatchSize: 1, plan: plan('one') }));
    await Promise.all([1, 2, 3].map((x) => one.submit(x)));
    expect(batches.filter((b) => b.op === 'one').map((b) => b.size)).toEqual([1, 1, 1]);
  });

  it('answers a large batch 16 at a time, with I/O between the chunks, after giving the instance its next batch', async () => {
    const pool = new FakePool(1, 5);
    // The 40th item fills the batch, so it is dispatched at once, whatever the machine's speed.
    const { double, batches } = setup({ maxBatchSize: 40, maxQueueSize: 64 }, pool);
    const order: string[] = [];
    let runsAtFirstAnswer = 0;
    const first = Array.from({ length: 40 }, (_, i) =>
      double.submit(i).then(() => {
        order.push(`a${i}`);
        if (i > 0) return;
        runsAtFirstAnswer = pool.runsOn.length;
        setImmediate(() => order.push('io'));
      }),
    );
    const second = double.submit(99); // queued while the first batch runs
    await Promise.all([...first, second]);
    expect(batches.map((b) => b.size)).toEqual([40, 1]);
    // A callback queued by the first answer runs before the last answer: they span event-loop turns.
    expect(order.indexOf('io')).toBeGreaterThan(order.indexOf('a15'));
    expect(order.indexOf('io')).toBeLessThan(order.indexOf('a39'));
    // The instance had its next batch before the first batch's answers went out.
    expect(runsAtFirstAnswer).toBe(2);
  });

  it('holds one bound for every operation of the model, and counts them all in depth', async () => {
    const pool = new FakePool();
    pool.ready[0] = false; // nothing runs: everything stays queued
    const { s, double, other } = setup({ maxQueueSize: 3 }, pool);
    const queued = [double.submit(1), other.submit(2), double.submit(3)];
    expect(s.depth).toBe(3);
    await expect(other.submit(4)).rejects.toMatchObject({ kind: 'queue-full' });
    expect(() => s.assertRoom(1)).toThrow(RuntimeError);
    pool.ready[0] = true;
    pool.events.onReady(0);
    await Promise.all(queued);
    expect(s.depth).toBe(0);
  });

  it('marks the model overloaded at its first refusal and back once refusals stop for the quiet time', async () => {
    const pool = new FakePool();
    pool.ready[0] = false;
    const { s, double } = setup({ maxQueueSize: 2 }, pool, 60);
    const queued = [double.submit(1), double.submit(2)];
    // Asking is no refusal: hasRoom() changes nothing.
    expect(s.hasRoom()).toBe(false);
    expect(pool.overload).toEqual([]);
    expect(s.refusal()).toMatchObject({ kind: 'queue-full' });
    expect(pool.overload).toEqual([true]);
    // More refusals, from every path (refusal, assertRoom, submit), keep it on without new messages.
    for (let i = 0; i < 5; i++) {
      expect(() => s.assertRoom()).toThrow(RuntimeError);
      await expect(double.submit(3)).rejects.toMatchObject({ kind: 'queue-full' });
      await sleep(20);
    }
    expect(s.overloaded).toBe(true);
    expect(pool.overload).toEqual([true]);
    pool.ready[0] = true;
    pool.events.onReady(0);
    await Promise.all(queued);
    await sleep(100);
    expect(s.overloaded).toBe(false);
    expect(pool.overload).toEqual([true, false]);
    expect(s.hasRoom()).toBe(true);
    expect(pool.overload).toEqual([true, false]);
  });

  it('room reserved by a request that is still preparing its items is not given to others, and is released', async () => {
    const pool = new FakePool();
    pool.ready[0] = false; // nothing runs: everything stays queued
    const { s, double, other } = setup({ maxQueueSize: 3 }, pool);
    const hold = s.reserve(2);
    expect(s.hasRoom(1)).toBe(true);
    expect(s.hasRoom(2)).toBe(false);
    expect(() => s.reserve(2)).toThrow(RuntimeError);
    const first = other.submit(1); // takes the one free place
    await expect(other.submit(2)).rejects.toMatchObject({ kind: 'queue-full' });
    // The holder's items get their places even though the queue now looks full to everyone else.
    const held = [double.submit(3, { reservation: hold }), double.submit(4, { reservation: hold })];
    expect(s.depth).toBe(3);
    hold.release();
    pool.ready[0] = true;
    pool.events.onReady(0);
    expect((await Promise.all(held)).map((a) => a.value)).toEqual([6, 8]);
    await first;
    const unused = s.reserve(3);
    unused.release();
    expect(s.hasRoom(3)).toBe(true);
  });

  it('holds the bytes a request declared when it reserved: other work cannot take them until it is released', () => {
    const pool = new FakePool();
    pool.ready[0] = false;
    const { s } = setup({ maxQueueSize: 10, maxQueueBytes: 100 }, pool);
    const hold = s.reserve(2, 90); // an upload-sized request
    expect(s.hasRoom(1, 20)).toBe(false); // 90 held + 20 > 100
    expect(s.hasRoom(1, 10)).toBe(true);
    expect(() => s.reserve(1, 20)).toThrow(RuntimeError);
    hold.release();
    expect(s.hasRoom(1, 95)).toBe(true);
  });

  it('when the pool gives up, queued work fails at once (worker-failed), not at its deadline, and so does new work', async () => {
    const pool = new FakePool();
    pool.ready[0] = false;
    const { s, double, drops } = setup({ timeoutMs: 60_000 }, pool);
    const queued = [double.submit(1), double.submit(2)];
    expect(s.depth).toBe(2);
    pool.events.onFailed?.('respawns kept failing');
    for (const q of queued) await expect(q).rejects.toMatchObject({ kind: 'worker-failed', message: 'respawns kept failing' });
    expect(s.depth).toBe(0);
    expect(drops).toEqual(['worker-failed', 'worker-failed']);
    await expect(double.submit(3)).rejects.toMatchObject({ kind: 'worker-failed' });
    await s.idle();
  });

  it('a request past its deadline leaves the queue (and its bound) at once', async () => {
    const pool = new FakePool();
    pool.ready[0] = false;
    const { s, double, drops } = setup({ maxQueueSize: 1 }, pool);
    const late = double.submit(1, { timeoutMs: 20 });
    expect(s.depth).toBe(1);
    await expect(late).rejects.toMatchObject({ kind: 'deadline', timeoutMs: 20 });
    expect(s.depth).toBe(0);
    expect(drops).toEqual(['deadline']);
    expect(() => s.assertRoom(1)).not.toThrow();
  });

  it('an aborted request leaves the queue at once and never runs', async () => {
    const pool = new FakePool(1, 30);
    const { s, double, drops } = setup({}, pool);
    const blocker = double.submit(1);
    await sleep(5); // the blocker runs; the next one queues behind it
    const ac = new AbortController();
    const gone = double.submit(2, { signal: ac.signal });
    const kept = double.submit(3);
    expect(s.depth).toBe(2);
    ac.abort();
    await expect(gone).rejects.toMatchObject({ kind: 'aborted' });
    expect(s.depth).toBe(1);
    expect((await kept).value).toBe(6);
    await blocker;
    expect(drops).toEqual(['aborted']);
    expect(pool.runsOn.length).toBe(2);
  });

  it('gives a batch only to an idle instance: one run per instance at a time, spread over instances', async () => {
    const pool = new FakePool(2, 20);
    const { double } = setup({ maxBatchSize: 1, maxQueueDelayMs: 0 }, pool);
    await Promise.all([1, 2, 3, 4, 5, 6].map((x) => double.submit(x)));
    expect(pool.peak).toBe(2);
    expect(new Set(pool.runsOn)).toEqual(new Set([0, 1]));
  });

  it('fails the items of a batch whose worker died, and only the item whose output is an Error', async () => {
    const { double, pool } = setup();
    const results = await Promise.allSettled([double.submit(1), double.submit(-1)]);
    expect(results[0]).toMatchObject({ status: 'fulfilled', value: { value: 2 } });
    expect(results[1]).toMatchObject({ status: 'rejected', reason: { message: 'bad item -1' } });
    pool.fail = new RuntimeError('worker-failed', 'm', 'worker exited');
    const dead = await Promise.allSettled([double.submit(1), double.submit(2)]);
    for (const r of dead) expect(r).toMatchObject({ status: 'rejected', reason: { kind: 'worker-failed' } });
  });

  it('drain refuses new work with kind draining and resolves once accepted work is done', async () => {
    const { s, double } = setup();
    const accepted = double.submit(1);
    const drained = s.drain();
    await expect(double.submit(2)).rejects.toMatchObject({ kind: 'draining' });
    expect(() => s.assertRoom()).toThrow(/shutting down/);
    expect((await accepted).value).toBe(2);
    await drained;
  });
});

describe('ModelScheduler: sequences', () => {
  const seq = { prompt: [1, 2], sampling: { temperature: 0, topK: 0, topP: 1 }, seed: 1, maxTokens: 3 };

  it('admits up to maxActiveSequences per instance, spread over instances; the rest wait in the model queue', () => {
    const pool = new FakePool(2);
    const { s } = setup({}, pool);
    for (let i = 0; i < 6; i++) s.generate(seq, () => {}).done.catch(() => {});
    expect(
      pool
        .added()
        .map((a) => a.instance)
        .sort(),
    ).toEqual([0, 0, 1, 1]);
    expect(s.activeSequences).toBe(4);
    expect(s.depth).toBe(2);
  });

  it("delivers each step's tokens, resolves at max tokens and admits the next waiting sequence", async () => {
    const pool = new FakePool(1);
    const { s } = setup({ maxActiveSequences: 1 }, pool);
    const got: number[] = [];
    const a = s.generate(seq, (t) => got.push(...t));
    const b = s.generate(seq, () => {});
    expect(pool.added().map((x) => x.id)).toEqual([a.id]);
    pool.step(0, { type: 'seq-step', ids: [a.id], tokens: [7], finished: [], sizes: [1], ms: [1] });
    pool.step(0, { type: 'seq-step', ids: [a.id], tokens: [8], finished: [a.id], sizes: [1], ms: [1] });
    expect(await a.done).toMatchObject({ reason: 'length', tokens: 2 });
    expect(got).toEqual([7, 8]);
    expect(pool.added().map((x) => x.id)).toEqual([a.id, b.id]);
    s.stop(b.id);
    expect(await b.done).toMatchObject({ reason: 'stopped' });
    expect(pool.posted.at(-1)?.msg).toEqual({ type: 'seq-abort', id: b.id });
  });

  it('a cancelled sequence frees its slot and its queue place at once', async () => {
    const pool = new FakePool(1);
    const { s, drops } = setup({ maxActiveSequences: 1, maxQueueSize: 1 }, pool);
    const active = new AbortController();
    const a = s.generate(seq, () => {}, { signal: active.signal });
    const waiting = s.generate(seq, () => {}, { timeoutMs: 10 });
    expect(s.depth).toBe(1);
    await expect(waiting.done).rejects.toMatchObject({ kind: 'deadline' });
    expect(s.depth).toBe(0);
    expect(drops).toEqual(['deadline']);
    const next = s.generate(seq, () => {});
    active.abort();
    await expect(a.done).rejects.toMatchObject({ kind: 'aborted' });
    expect(pool.posted.filter((p) => p.msg.type === 'seq-abort').map((p) => (p.msg as { id: number }).id)).toEqual([a.id]);
    expect(pool.added().map((x) => x.id)).toEqual([a.id, next.id]);
    expect(s.activeSequences).toBe(1);
    next.done.catch(() => {});
  });

  it('an engine error fails only the sequences it names; a dead worker fails its own', async () => {
    const pool = new FakePool(2);
    const { s } = setup({}, pool);
    const [a, b, c] = [0, 1, 2].map(() => s.generate(seq, () => {}));
    const onOf = (id: number) => pool.added().find((x) => x.id === id)!.instance;
    pool.step(onOf(a!.id), { type: 'seq-error', ids: [a!.id], message: 'engine fault' });
    await expect(a!.done).rejects.toMatchObject({ kind: 'inference-failed', message: 'engine fault' });
    pool.events.onExit(onOf(b!.id));
    await expect(b!.done).rejects.toMatchObject({ kind: 'worker-failed' });
    const lastOnC = onOf(c!.id);
    if (lastOnC !== onOf(b!.id)) {
      pool.step(lastOnC, { type: 'seq-step', ids: [c!.id], tokens: [1], finished: [c!.id], sizes: [1], ms: [1] });
      expect(await c!.done).toMatchObject({ reason: 'length' });
    } else await expect(c!.done).rejects.toMatchObject({ kind: 'worker-failed' });
  });

  it('a throwing token handler fails that sequence only, without an unhandled rejection', async () => {
    const pool = new FakePool(1);
    const { s } = setup({}, pool);
    const bad = s.generate(seq, () => {
      throw new Error('decoder bug');
    });
    const good = s.generate(seq, () => {});
    pool.step(0, { type: 'seq-step', ids: [bad.id, good.id], tokens: [1, 2], finished: [good.id], sizes: [2], ms: [1] });
    await expect(bad.done).rejects.toThrow('decoder bug');
    expect(await good.done).toMatchObject({ reason: 'length' });
    expect(pool.posted.at(-1)?.msg).toEqual({ type: 'seq-abort', id: bad.id });
  });
});
