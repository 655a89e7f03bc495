// The main thread's side of generation: which sequences are active on which instance, and what
// the engines' step messages mean for each. Tokens go to the sequence's handler; a finished,
// failed, stopped or cancelled sequence frees its slot at once.
import { RuntimeError, type RuntimeErrorKind } from './errors.ts';
import type { SequenceMessage } from './protocol.ts';
import type { Request } from './request.ts';
import type { SamplingParams } from './sampling.ts';

export interface SequenceRequest {
  prompt: number[];
  sampling: SamplingParams;
  seed: number;
  maxTokens: number;
}

export interface SequenceEnd {
  /** 'length': max tokens reached in the engine; 'stopped': the caller stopped it (a stop string). */
  reason: 'length' | 'stopped';
  tokens: number;
  queueMs: number;
}

export interface SequenceJob {
  id: number;
  request: Request<SequenceEnd>;
  spec: SequenceRequest;
  /** New tokens, once per engine message. A throw fails this sequence only. */
  onTokens: (tokens: number[]) => void;
  tokens: number;
  queueMs: number;
}

export interface SequenceSlotsOptions {
  model: string;
  instances: number;
  /** Tells the engine of `instance` to drop a sequence. */
  abort: (instance: number, id: number) => void;
  /** A slot was freed: admit waiting sequences. */
  freed: () => void;
  onStep?: (size: number, ms: number) => void;
  /** An active sequence was cancelled (client gone, deadline) and stopped in its engine. */
  onCancel?: (reason: RuntimeErrorKind) => void;
}

export class SequenceSlots {
  private readonly opts: SequenceSlotsOptions;
  private readonly active = new Map<number, { job: SequenceJob; instance: number }>();
  private readonly counts: number[];

  constructor(opts: SequenceSlotsOptions) {
    this.opts = opts;
    this.counts = new Array<number>(opts.instances).fill(0);
  }

  get size(): number {
    return this.active.size;
  }

  activeOn(instance: number): number {
    return this.counts[instance] ?? 0;
  }

  /** Records `job` as running on `instance`; its cancellation then aborts it in the engine. */
  admit(job: SequenceJob, instance: number): void {
    this.active.set(job.id, { job, instance });
    this.counts[instance]!++;
    job.request.onCancel = (err) => {
      this.release(job.id, true);
      this.opts.onCancel?.(err.kind);
    };
  }

  /** The caller is done with the sequence (stop string): free it and resolve. */
  stop(id: number): void {
    const a = this.active.get(id);
    if (!a) return;
    this.release(id, true);
    a.job.request.resolve({ reason: 'stopped', tokens: a.job.tokens, queueMs: a.job.queueMs });
  }

  handle(instance: number, msg: SequenceMessage): void {
    if (msg.type === 'seq-error') {
      for (const id of msg.ids) this.fail(id, new RuntimeError('inference-failed', this.opts.model, msg.message));
      return;
    }
    msg.sizes.forEach((size, i) => this.opts.onStep?.(size, msg.ms[i] ?? 0));
    // Every new token of a sequence in this message, in order, in one call.
    const byId = new Map<number, number[]>();
    msg.ids.forEach((id, i) => byId.set(id, [...(byId.get(id) ?? []), msg.tokens[i]!]));
    for (const [id, tokens] of byId) {
      const a = this.active.get(id);
      if (!a || a.instance !== instance) continue; // stopped or cancelled while the step ran
      a.job.tokens += tokens.length;
      try {
        a.job.onTokens(tokens);
      } catch (err) {
        this.release(id, true);
        a.job.request.reject(err instanceof Error ? err : new Error(String(err)));
      }
    }
    for (const id of msg.finished) {
      const a = this.active.get(id);
      if (!a) continue;
      this.release(id, false);
      a.job.request.resolve({ reason: 'length', tokens: a.job.tokens, queueMs: a.job.queueMs });
    }
  }

  /** The worker of `instance` died: every sequence on it fails. */
  instanceLost(instance: number, message: string): void {
    for (const [id, a] of [...this.active]) {
      if (a.instance !== instance) continue;
      this.release(id, false);
      a.job.request.reject(new RuntimeError('worker-failed', this.opts.model, message));
    }
  }

  private fail(id: number, err: Error): void {
    const a = this.active.get(id);
    if (!a) return;
    this.release(id, false);
    a.job.request.reject(err);
  }

  private release(id: number, abortInEngine: boolean): void {
    const a = this.active.get(id);
    if (!a) return;
    this.active.delete(id);
    this.counts[a.instance]!--;
    if (abortInEngine) this.opts.abort(a.instance, id);
    this.opts.freed();
  }
}
