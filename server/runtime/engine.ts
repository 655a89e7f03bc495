// The sequence engine, inside a worker thread: it owns the recurrent state, the prefill, the
// seeded RNG and the sampling of every sequence pinned to this worker, and advances them in one
// busy loop. Each iteration runs at most one prefill chunk (so a new prompt never stalls active
// streams for more than one run), then one decode step for every active sequence, and posts the
// new token of each in a single message. A failure fails only the sequences of that run.
import type { Session, TensorValue } from './onnx.ts';
import type { EngineSpec, SequenceMessage, SequenceStart } from './protocol.ts';
import { createRng, type Rng } from './random.ts';
import { gatherState, scatterState, zeroState } from './recurrent-state.ts';
import { sample } from './sampling.ts';

interface Sequence {
  start: SequenceStart;
  rng: Rng;
  state: Float32Array[];
  /** Prompt tokens before the last one, fed by prefill. */
  prefix: number[];
  prefilled: number;
  /** The token the next decode step feeds. */
  next: number;
  remaining: number;
}

export interface EngineOptions {
  session: Session;
  spec: EngineSpec;
  post: (msg: SequenceMessage) => void;
  /** Fault injection: true when the next decode step must throw (tests only). */
  takeFault?: () => boolean;
}

export class SequenceEngine {
  private readonly opts: EngineOptions;
  private prefilling: Sequence[] = [];
  private active: Sequence[] = [];
  private running = false;

  constructor(opts: EngineOptions) {
    this.opts = opts;
  }

  add(start: SequenceStart): void {
    const prompt = start.prompt.length > 0 ? start.prompt : [0];
    const seq: Sequence = {
      start,
      rng: createRng(start.seed),
      state: this.opts.spec.states.map(zeroState),
      prefix: prompt.slice(0, -1),
      prefilled: 0,
      next: prompt.at(-1)!,
      remaining: start.maxTokens,
    };
    (seq.prefix.length > 0 ? this.prefilling : this.active).push(seq);
    if (!this.running) void this.loop();
  }

  abort(id: number): void {
    this.prefilling = this.prefilling.filter((s) => s.start.id !== id);
    this.active = this.active.filter((s) => s.start.id !== id);
  }

  private async loop(): Promise<void> {
    this.running = true;
    while (this.prefilling.length > 0 || this.active.length > 0) {
      await this.guarded(this.prefillGroup(), (seqs) => this.prefill(seqs));
      await this.guarded([...this.active], (seqs) => this.decode(seqs));
    }
    this.running = false;
  }

  /** Runs `fn`; if it throws, the sequences it held fail (and leave the engine), the rest go on. */
  private async guarded(seqs: Sequence[], fn: (seqs: Sequence[]) => Promise<void>): Promise<void> {
    if (seqs.length === 0) return;
    try {
      await fn(seqs);
    } catch (err) {
      const ids = new Set(seqs.map((s) => s.start.id));
      for (const id of ids) this.abort(id);
      this.opts.post({ type: 'seq-error', ids: [...ids], message: err instanceof Error ? err.message : String(err) });
    }
  }

  /** The oldest prefilling sequence and every other one whose next chunk has the same length. */
  private prefillGroup(): Sequence[] {
    const chunk = (s: Sequence) => Math.min(this.opts.spec.prefillChunk, s.prefix.length - s.prefilled);
    const first = this.prefilling[0];
    if (!first) return [];
    const length = chunk(first);
    return this.prefilling.filter((s) => chunk(s) === length);
  }

  private async prefill(seqs: Sequence[]): Promise<void> {
    const length = Math.min(this.opts.spec.prefillChunk, seqs[0]!.prefix.length - seqs[0]!.prefilled);
    const rows = seqs.map((s) => s.prefix.slice(s.prefilled, s.prefilled + length));
    const { states } = await this.run(rows, seqs, false);
    seqs.forEach((s, i) => {
      s.state = states[i]!;
      s.prefilled += length;
    });
    // Sequences aborted while the run went on are no longer in `prefilling`: they stay out.
    const done = this.prefilling.filter((s) => s.prefilled >= s.prefix.length);
    if (done.length === 0) return;
    this.prefilling = this.prefilling.filter((s) => !done.includes(s));
    this.active.push(...done);
  }

  private async decode(seqs: Sequence[]): Promise<void> {
    const started = performance.now();
    const { logits, states } = await this.run(seqs.map((s) => [s.next]), seqs, true);
    if (this.opts.takeFault?.()) throw new Error('engine fault (fault injection)');
    const ids: number[] = [];
    const tokens: number[] = [];
    const finished: number[] = [];
    seqs.forEach((s, i) => {
      if (!this.isLive(s)) return; // aborted while the step ran
      s.state = states[i]!;
      s.next = sample(logits[i]!, s.start.sampling, s.rng);
      s.remaining--;
      ids.push(s.start.id);
      tokens.push(s.next);
      if (s.remaining <= 0) finished.push(s.start.id);
    });
    if (finished.length > 0) this.active = this.active.filter((s) => !finished.includes(s.start.id));
    if (ids.length > 0) this.opts.post({ type: 'seq-step', ids, tokens, finished, ms: performance.now() - started });
  }

  private isLive(s: Sequence): boolean {
    return this.active.includes(s) || this.prefilling.includes(s);
  }

  /** One session.run over equally long token rows; returns last-position logits and new states. */
  private async run(rows: number[][], seqs: Sequence[], wantLogits: boolean): Promise<{ logits: Float32Array[]; states: Float32Array[][] }> {
    const { spec, session } = this.opts;
    const n = rows.length;
    const t = rows[0]?.length ?? 0;
    const feeds: Record<string, TensorValue> = { [spec.ids]: { type: 'int64', dims: [n, t], data: BigInt64Array.from(rows.flat(), BigInt) } };
    spec.states.forEach((st, j) => (feeds[st.input] = gatherState(st, seqs.map((s) => s.state[j]!))));
    const fetches = [...(wantLogits ? [spec.logits] : []), ...spec.states.map((s) => s.output)];
    const out = await session.run(feeds, fetches);
    const perState = spec.states.map((st) => scatterState(st, required(out, st.output)));
    const states = seqs.map((_, i) => perState.map((s) => s[i]!));
    if (!wantLogits) return { logits: [], states };
    const l = required(out, spec.logits);
    const v = l.dims.at(-1) ?? 0;
    const data = l.data as Float32Array;
    const logits = Array.from({ length: n }, (_, i) => data.subarray((i * t + t - 1) * v, (i * t + t) * v));
    return { logits, states };
  }
}

function required(out: Record<string, TensorValue>, name: string): TensorValue {
  const t = out[name];
  if (!t) throw new Error(`the recurrent graph returned no '${name}' output`);
  return t;
}
