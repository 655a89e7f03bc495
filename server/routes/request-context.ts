// Per-request helpers for task routes: an AbortSignal that fires when the client goes away,
// and TEI-style timing headers from the scheduler's timings.
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Timing } from '../runtime/policy.ts';

export function clientSignal(_request: FastifyRequest, reply: FastifyReply): AbortSignal {
  const controller = new AbortController();
  // The response emits 'close' when it is done or when its connection dropped first.
  reply.raw.once('close', () => {
    if (!reply.raw.writableFinished) controller.abort();
  });
  return controller.signal;
}

export function timingHeaders(reply: FastifyReply, timing: Timing[]): void {
  if (timing.length === 0) return;
  const max = (f: (t: Timing) => number) => Math.max(...timing.map(f));
  reply.header('x-batch-size', String(max((t) => t.batchSize)));
  reply.header('x-queue-time', max((t) => t.queueMs).toFixed(2));
  reply.header('x-inference-time', max((t) => t.inferenceMs).toFixed(2));
}
