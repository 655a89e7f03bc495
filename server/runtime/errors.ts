// Typed runtime failures. The runtime knows nothing of HTTP: server/errors.ts maps each kind to
// a registry error (status and code) in one place.

export type RuntimeErrorKind =
  /** The model's queue is at max_queue_size. */
  | 'queue-full'
  /** The request's deadline passed before it completed. */
  | 'deadline'
  /** The client went away. */
  | 'aborted'
  /** Another item of the same request failed, so this one was dropped. */
  | 'cancelled'
  /** The worker thread holding the work died. */
  | 'worker-failed'
  /** onnxruntime (or the sequence engine) threw for this work. */
  | 'inference-failed'
  /** The model is shutting down and takes no new work. */
  | 'draining';

export class RuntimeError extends Error {
  readonly kind: RuntimeErrorKind;
  readonly model: string;
  /** For 'deadline': the deadline that passed. */
  readonly timeoutMs?: number;

  constructor(kind: RuntimeErrorKind, model: string, message: string, timeoutMs?: number) {
    super(message);
    this.name = 'RuntimeError';
    this.kind = kind;
    this.model = model;
    this.timeoutMs = timeoutMs;
  }
}

/**
 * Builds an error without capturing a stack trace: overload refusals, deadlines and cancellations
 * are expected outcomes, thousands a second under overload, and a stack says nothing about them.
 */
export function withoutStack<E extends Error>(make: () => E): E {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    return make();
  } finally {
    Error.stackTraceLimit = limit;
  }
}

export const queueFull = (model: string) => withoutStack(() => new RuntimeError('queue-full', model, `model '${model}' queue is full`));
export const deadlinePassed = (model: string, ms: number) => withoutStack(() => new RuntimeError('deadline', model, `request to model '${model}' timed out after ${ms} ms`, ms));
export const clientGone = (model: string) => withoutStack(() => new RuntimeError('aborted', model, 'client went away'));
export const draining = (model: string) => withoutStack(() => new RuntimeError('draining', model, `model '${model}' is shutting down`));

/** The reason an aborted signal carries, as a runtime error: its own when it is one, else "client went away". */
export function abortReason(signal: AbortSignal, model: string): RuntimeError {
  return signal.reason instanceof RuntimeError ? signal.reason : clientGone(model);
}

/**
 * One item the worker would not run or answer (an upload it could not decode, tensors onnxruntime
 * rejected alone, attention maps over their bound): `detail` says why, as data; the pipeline that
 * queued the item turns it into its own client error. Unmapped, it is an inference failure.
 */
export class ItemRefused extends RuntimeError {
  readonly detail: { message: string; kind?: unknown; [field: string]: unknown };

  constructor(model: string, detail: { message: string; [field: string]: unknown }) {
    super('inference-failed', model, detail.message);
    this.name = 'ItemRefused';
    this.detail = detail;
  }
}
