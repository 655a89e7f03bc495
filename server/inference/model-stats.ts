// Per-model counters kept by the batchers' hooks and shown in GET /v1/models/:model.
import type { BatcherHooks } from './batcher.ts';

export interface ModelStats {
  batches: number;
  items: number;
  largestBatch: number;
  dropped: { aborted: number; timeout: number };
}

export function createStats(): ModelStats {
  return { batches: 0, items: 0, largestBatch: 0, dropped: { aborted: 0, timeout: 0 } };
}

/** Hooks that update `stats`, then call `next` (the metrics plugin's hooks) if given. */
export function statsHooks(stats: ModelStats, next?: BatcherHooks): BatcherHooks {
  return {
    onBatch(size, ms) {
      stats.batches++;
      stats.items += size;
      stats.largestBatch = Math.max(stats.largestBatch, size);
      next?.onBatch?.(size, ms);
    },
    onQueueWait: (ms) => next?.onQueueWait?.(ms),
    onDrop(reason) {
      stats.dropped[reason]++;
      next?.onDrop?.(reason);
    },
  };
}
