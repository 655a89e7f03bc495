// The sequence engine, inside a worker thread: it owns the recurrent state, the prefill, the
// seeded RNG and the sampling of every sequence pinned to this worker, and advances them in one
// busy loop. Every sequence holds the tokens it still has to feed (its prompt, then each sampled
// token). A decode step feeds one token of every sequence — a short prompt is folded into the
// steps of the active streams, costing them next to nothing — and samples for those whose prompt
// is done. A long prompt is prefilled in chunks, at most one chunk run between two decode steps,
// so active streams are never stalled longer. New tokens go to the main thread in one message per
// step (coalesced when steps come faster than FLUSH_MS). A failure fails only the sequences of that run.
import type { Session, TensorValue } from './onnx.ts';
import type { EngineSpec, SequenceMessage, SequenceStart } from './protocol.ts';
import { createRng, type Rng } from './random.ts';
import { gatherRows, gatherState, scatterState, zeroState, type StateRow } from './recurrent-state.ts';
import { sample } from './sampling.ts';

/** Steps closer together than this share one message (a thread wake-up costs tens of µs). */
const FLUSH_MS = 1;

interface Sequence {
  start: SequenceStart;
  rng: Rng;
  /** Its own state (one array per state tensor) while it is not in the carried decode batch. */
  state: Float32Array[];
  /** Tokens still to feed: the rest of the prompt, or the last sampled token. */
  feed: number[];
  remaining: number;
  emitted: boolean;
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
  private seqs: Sequence[] = [];
  private running = false;
  private out: { ids: number[]; tokens: number[]; finished: number[]; sizes: number[]; ms: number[]; urgent: boolean } = SequenceEngine.empty();
  private lastFlush = 0;
  /** The last decode step's sequences and its output states: the next step feeds them as they are when nobody joined or left. */
  private carry: { seqs: Sequence[]; states: TensorValue[] } | undefined;

  constructor(opts: EngineOptions) {
    this.opts = opts;
  }

  private static empty() {
    return { ids: [] as number[], tokens: [] as number[], finished: [] as number[], sizes: [] as number[], ms: [] as number[], urgent: false };
  }

  add(start: SequenceStart): void {
    const feed = start.prompt.length > 0 ? [...start.prompt] : [0];
    this.seqs.push({ start, rng: createRng(start.seed), state: this.opts.spec.states.map(zeroState), feed, remaining: start.maxTokens, emitted: false });
    if (!this.running) void this.loop();
  }

  abort(id: number): void {
    this.seqs = this.seqs.filter((s) => s.start.id !== id);
  }

  private async loop(): Promise<void> {
    this.running = true;
    const { prefillChunk } = this.opts.spec;
    while (this.seqs.length > 0) {
      // A prompt with more than prefillChunk tokens before its last one gives one chunk per
      // iteration; the rest is fed one token per step. A sequence's schedule never depends on the
      // others', so a seed gives the same text alone or in company.
      await this.guarded(
        this.seqs.filter((s) => s.feed.length - 1 > prefillChunk),
        (g) => this.prefill(g, prefillChunk),
      );
      await this.guarded(
        this.seqs.filter((s) => s.feed.length - 1 <= prefillChunk),
        (g) => this.decode(g),
      );
      this.flush(false);
    }
    this.flush(true);
    this.running = false;
  }

  /** Runs `fn`; if it throws, the sequences it held fail (and leave the engine), the rest go on. */
  private async guarded(seqs: Sequence[], fn: (seqs: Sequence[]) => Promise<void>): Promise<void> {
    if (seqs.length === 0) return;
    try {
      await fn(seqs);
    } catch (err) {
      const ids = seqs.map((s) => s.start.id);
      for (const id of ids) this.abort(id);
      this.flush(true);
      this.opts.post({ type: 'seq-error', ids, message: err instanceof Error ? err.message : String(err) });
    }
  }

  private async prefill(seqs: Sequence[], chunk: number): Promise<void> {
    const { spec } = this.opts;
    const feeds = spec.states.map((st, j) =>
      gatherState(
        st,
        seqs.map((s) => s.state[j]!),
      ),
    );
    const { states } = await this.run(
      seqs.map((s) => s.feed.slice(0, chunk)),
      feeds,
      false,
    );
    const perState = spec.states.map((st, j) => scatterState(st, states[j]!));
    seqs.forEach((s, i) => {
      s.state = perState.map((rows) => rows[i]!);
      s.feed.splice(0, chunk);
    });
  }

  /** The state feeds of a decode step: the carried batch itself when `seqs` is the same list, else rows picked from it and from newcomers' own states. */
  private decodeStates(seqs: Sequence[]): TensorValue[] {
    const { spec } = this.opts;
    const carry = this.carry;
    if (carry && carry.seqs.length === seqs.length && carry.seqs.every((s, i) => s === seqs[i])) return carry.states;
    const at = new Map(carry?.seqs.map((s, i) => [s, i]));
    return spec.states.map((st, j) => {
      const carried = carry?.states[j];
      const rows = seqs.map((s): StateRow => {
        const i = at.get(s);
        return i !== undefined && carried ? { data: carried.data as Float32Array, n: carry.seqs.length, row: i } : { data: s.state[j]!, n: 1, row: 0 };
      });
      return gatherRows(st, rows);
    });
  }

  private async decode(seqs: Sequence[]): Promise<void> {
    const started = performance.now();
    const { logits, states } = await this.run(
      seqs.map((s) => [s.feed[0]!]),
      this.decodeStates(seqs),
      true,
    );
    this.carry = { seqs, states };
    if (this.opts.takeFault?.()) throw new Error('engine fault (fault injection)');
    const live = new Set(this.seqs);
    const out = this.out;
    seqs.forEach((s, i) => {
      if (!live.has(s)) return; // aborted while the step ran
      s.feed.shift();
      if (s.feed.length > 0) return; // still feeding its prompt
      const token = sample(logits[i]!, s.start.sampling, s.rng);
      s.feed.push(token);
      s.remaining--;
      out.ids.push(s.start.id);
      out.tokens.push(token);
      if (!s.emitted) out.urgent = s.emitted = true; // a first token goes out at once (time to first token)
      if (s.remaining <= 0) out.finished.push(s.start.id);
    });
    if (out.finished.length > 0) {
      const done = new Set(out.finished);
      this.seqs = this.seqs.filter((s) => !done.has(s.start.id));
    }
    out.sizes.push(seqs.length);
    out.ms.push(performance.now() - started);
  }

  /** Posts the tokens gathered since the last message: now if `force`, urgent or due, else later. */
  private flush(force: boolean): void {
    const out = this.out;
    if (out.ids.length === 0) return;
    const now = performance.now();
    if (!force && !out.urgent && out.finished.length === 0 && now - this.lastFlush < FLUSH_MS) return;
    this.opts.post({ type: 'seq-step', ids: out.ids, tokens: out.tokens, finished: out.finished, sizes: out.sizes, ms: out.ms });
    this.out = SequenceEngine.empty();
    this.lastFlush = now;
  }

  /** One session.run over equally long token rows from the given states; returns last-position logits and the new state tensors. */
  private async run(rows: number[][], states: TensorValue[], wantLogits: boolean): Promise<{ logits: Float32Array[]; states: TensorValue[] }> {
    const { spec, session } = this.opts;
    const n = rows.length;
    const t = rows[0]?.length ?? 0;
    const feeds: Record<string, TensorValue> = { [spec.ids]: { type: 'int64', dims: [n, t], data: BigInt64Array.from(rows.flat(), BigInt) } };
    spec.states.forEach((st, j) => (feeds[st.input] = states[j]!));
    const fetches = [...(wantLogits ? [spec.logits] : []), ...spec.states.map((s) => s.output)];
    const out = await session.run(feeds, fetches);
    const next = spec.states.map((st) => required(out, st.output));
    if (!wantLogits) return { logits: [], states: next };
    const l = required(out, spec.logits);
    const v = l.dims.at(-1) ?? 0;
    const data = l.data as Float32Array;
    const logits = Array.from({ length: n }, (_, i) => data.subarray((i * t + t - 1) * v, (i * t + t) * v));
    return { logits, states: next };
  }
}

function required(out: Record<string, TensorValue>, name: string): TensorValue {
  const t = out[name];
  if (!t) throw new Error(`the recurrent graph returned no '${name}' output`);
  return t;
}
