// Tallies one load's answers: counts by status, whether each rejection was a retryable 429/503
// carrying Retry-After, and the latency of the accepted (2xx) answers.
import { percentile, type Answer } from '../bench/load.ts';

/** Rejections a client can act on: shed load (429) or temporarily unavailable (503), with Retry-After. */
export const RETRYABLE = [429, 503];

export interface AnswerSummary {
  answers: number;
  by_status: Record<string, number>;
  accepted: { count: number; p50_ms: number | null; p99_ms: number | null; max_ms: number | null };
  rejected: {
    count: number;
    /** 429 or 503 with a Retry-After header. */
    retryable: number;
    /** Non-2xx answers without Retry-After, whatever their status. */
    missing_retry_after: number;
    /** Non-2xx answers that are not a 429/503 with Retry-After (504, 500, a 503 without Retry-After...). */
    not_allowed: number;
    /** Non-2xx answers by "status code", e.g. "429 ORT_QUEUE_FULL" (which limit said no). */
    by_code: Record<string, number>;
  };
}

export interface Tally {
  add(answer: Answer): void;
  summary(): AnswerSummary;
}

const orNull = (n: number) => (Number.isFinite(n) ? n : null);

export function tally(): Tally {
  const byStatus: Record<string, number> = {};
  const acceptedMs: number[] = [];
  const rejected = { count: 0, retryable: 0, missing_retry_after: 0, not_allowed: 0 };
  const byCode: Record<string, number> = {};
  return {
    add({ status, ms, retryAfter, code }) {
      byStatus[status] = (byStatus[status] ?? 0) + 1;
      if (status >= 200 && status < 300) {
        acceptedMs.push(ms);
        return;
      }
      rejected.count++;
      const key = `${status} ${code ?? '(no code)'}`;
      byCode[key] = (byCode[key] ?? 0) + 1;
      if (!retryAfter) rejected.missing_retry_after++;
      if (RETRYABLE.includes(status) && retryAfter) rejected.retryable++;
      else rejected.not_allowed++;
    },
    summary() {
      return {
        answers: acceptedMs.length + rejected.count,
        by_status: byStatus,
        accepted: {
          count: acceptedMs.length,
          p50_ms: orNull(percentile(acceptedMs, 50)),
          p99_ms: orNull(percentile(acceptedMs, 99)),
          max_ms: acceptedMs.length ? acceptedMs.reduce((a, b) => Math.max(a, b)) : null,
        },
        rejected: { ...rejected, by_code: { ...byCode } },
      };
    },
  };
}
