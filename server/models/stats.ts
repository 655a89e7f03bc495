// Per-model counters kept by the scheduler's hooks and shown in GET /v1/models/:model.
import type { SchedulerHooks } from '../runtime/policy.ts';

export interface ModelStats {
  batches: number;
  items: number;
  largestBatch: number;
  dropped: { aborted: number; timeout: number; cancelled: number };
}

export function createStats(): ModelStats {
  return { batches: 0, items: 0, largestBatch: 0, dropped: { aborted: 0, timeout: 0, cancelled: 0 } };
}

/** Hooks that update `stats`, then call `next` (the metrics plugin's hooks) if given; `next`'s other hooks pass as they are. */
export function statsHooks(stats: ModelStats, next?: SchedulerHooks): SchedulerHooks {
  return {
    ...next,
    onBatch(op, size, ms, tokens) {
      stats.batches++;
      stats.items += size;
      stats.largestBatch = Math.max(stats.largestBatch, size);
      next?.onBatch?.(op, size, ms, tokens);
    },
    onDrop(op, reason) {
      if (reason === 'deadline') stats.dropped.timeout++;
      else if (reason === 'cancelled') stats.dropped.cancelled++;
      else stats.dropped.aborted++;
      next?.onDrop?.(op, reason);
    },
  };
}
