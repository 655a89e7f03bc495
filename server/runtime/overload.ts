// Whether a model is overloaded: refusing work because its queue is full. Workers run inference
// slightly below the event loop's CPU priority (worker.ts), so that health checks and request
// parsing win a busy CPU. Under overload that priority turns against the model: the event loop's
// extra work is refusing requests (thousands a second), and only the model's progress can shrink
// it. So while a model refuses, its workers run at the event loop's priority; QUIET_MS after its
// last refusal they step back down.
import { performance } from 'node:perf_hooks';

export const QUIET_MS = 1000;

export class OverloadSignal {
  private readonly onChange: (overloaded: boolean) => void;
  private readonly quietMs: number;
  private lastRefusal = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(onChange: (overloaded: boolean) => void, quietMs = QUIET_MS) {
    this.onChange = onChange;
    this.quietMs = quietMs;
  }

  get overloaded(): boolean {
    return this.timer !== undefined;
  }

  /** A request was refused for want of room (cheap: one clock read once overloaded). */
  refused(): void {
    this.lastRefusal = performance.now();
    if (this.timer) return;
    this.onChange(true);
    this.arm(this.quietMs);
  }

  close(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  private arm(ms: number): void {
    this.timer = setTimeout(() => {
      const left = this.lastRefusal + this.quietMs - performance.now();
      if (left > 0) return this.arm(left);
      this.timer = undefined;
      this.onChange(false);
    }, ms);
    this.timer.unref();
  }
}
