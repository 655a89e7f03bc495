// Every error the server can return: a stable code, an HTTP status and a message template.
// Handlers only throw these (or let the runtime's typed errors through: `fromRuntime` is the one
// place they become HTTP errors); plugins/error-handler.ts maps Fastify's own errors to these and
// anything else to INTERNAL. A 5xx template carries no internal detail: the cause is logged.
import createError from '@fastify/error';
import { RuntimeError, withoutStack } from './runtime/errors.ts';

type ErrorFactory = ReturnType<typeof createError>;

function define(code: string, message: string, statusCode: number): ErrorFactory {
  return createError(code, message, statusCode);
}

/** The registry: one entry per code. tests/unit/errors.test.ts checks each is documented. */
export const Errors = {
  MODEL_NOT_FOUND: define('ORT_MODEL_NOT_FOUND', "Model '%s' not found", 404),
  INVALID_MODEL_NAME: define('ORT_INVALID_MODEL_NAME', "Invalid model name '%s': use letters, digits, '.', '_' and '-'", 400),
  WRONG_TASK: define('ORT_WRONG_TASK', "Model '%s' is a %s model; its routes are: %s", 404),
  MODEL_NOT_READY: define('ORT_MODEL_NOT_READY', "Model '%s' is not ready (%s)", 503),
  ROUTE_NOT_FOUND: define('ORT_ROUTE_NOT_FOUND', 'Route %s %s not found', 404),
  UNAUTHORIZED: define('ORT_UNAUTHORIZED', 'Missing or wrong bearer token: send "Authorization: Bearer <token>"', 401),
  INVALID_INPUT: define('ORT_INVALID_INPUT', '%s', 400),
  BODY_TOO_LARGE: define('ORT_BODY_TOO_LARGE', 'The request body is larger than the limit of %d bytes (--body-limit)', 413),
  MULTIPART_LIMIT: define('ORT_MULTIPART_LIMIT', 'The multipart/form-data body has %s', 413),
  UNPROCESSABLE: define('ORT_UNPROCESSABLE', '%s', 422),
  INVALID_IMAGE: define('ORT_INVALID_IMAGE', 'Image %s could not be decoded: %s', 400),
  IMAGE_TOO_LARGE: define('ORT_IMAGE_TOO_LARGE', 'Image %s is %d×%d pixels; the limit is %d pixels', 413),
  UNSUPPORTED_MEDIA_TYPE: define('ORT_UNSUPPORTED_MEDIA_TYPE', "Content-Type '%s' is not accepted here; send %s", 415),
  UNKNOWN_LABEL: define('ORT_UNKNOWN_LABEL', "Unknown label '%s'; known labels: %s", 400),
  INPUT_TOO_LONG: define('ORT_INPUT_TOO_LONG', 'Input %s has %d tokens; the model allows %d (send "truncate": true to cut it)', 422),
  TOO_MANY_INPUTS: define('ORT_TOO_MANY_INPUTS', "Model '%s' takes at most %d inputs in one request (its max_queue_size); this one has %d", 413),
  OUTPUT_TOO_LARGE: define('ORT_OUTPUT_TOO_LARGE', '%s', 413),
  TEXT_TOO_LONG: define('ORT_TEXT_TOO_LONG', 'Input %s has %d characters; the model takes at most %d per text (its max_length × 10; send "truncate": true to cut it)', 413),
  SERVER_BUSY: define('ORT_SERVER_BUSY', 'The server is handling %d requests, its limit; retry shortly', 429),
  RATE_LIMITED: define('ORT_RATE_LIMITED', 'Rate limit of %d requests per %d ms exceeded; retry in %s', 429),
  QUEUE_FULL: define('ORT_QUEUE_FULL', "Model '%s' is overloaded: its queue is full", 429),
  TIMEOUT: define('ORT_TIMEOUT', "Request to model '%s' timed out after %d ms", 504),
  WORKER_FAILED: define('ORT_WORKER_FAILED', "The worker running model '%s' failed; the request was not completed", 503),
  DRAINING: define('ORT_DRAINING', 'The server is shutting down', 503),
  CANCELLED: define('ORT_CANCELLED', 'The request was cancelled: %s', 499),
  INFERENCE_FAILED: define('ORT_INFERENCE_FAILED', "Inference failed for model '%s'; the cause is in the server log", 500),
  INTERNAL: define('ORT_INTERNAL', 'Internal server error; the cause is in the server log', 500),
} as const;

export type ErrorCode = keyof typeof Errors;

/** Human-readable documentation for each code (kept next to the registry on purpose). */
export const ErrorDocs: Record<ErrorCode, string> = {
  MODEL_NOT_FOUND: 'No model with this name is in the repository.',
  INVALID_MODEL_NAME: 'The model name in the URL has characters that are not allowed (such as ".." or "/").',
  WRONG_TASK: "The route does not fit the model's task; the message lists the model's routes.",
  MODEL_NOT_READY: 'The model is loading, failed to load, or is unloaded.',
  ROUTE_NOT_FOUND: 'No route has this method and path; GET /openapi.json lists every route.',
  UNAUTHORIZED: 'A model-repository call (REST /v2/repository/..., or gRPC repository methods) without the --admin-token bearer token, or with a wrong one.',
  INVALID_INPUT: 'The request body or query is malformed (not JSON, a wrong type, a missing field).',
  BODY_TOO_LARGE: 'The request body is over --body-limit bytes (a file of a multipart upload included).',
  MULTIPART_LIMIT: 'A multipart/form-data upload has more files than --max-images, or more fields or parts than an image upload needs.',
  UNPROCESSABLE: 'The request is well-formed but cannot be processed as asked.',
  INVALID_IMAGE: 'An uploaded image is corrupt, truncated or not an image.',
  IMAGE_TOO_LARGE: 'An uploaded image declares more pixels than the limit (decompression-bomb guard).',
  UNSUPPORTED_MEDIA_TYPE: 'The request body has a content type the route does not take.',
  UNKNOWN_LABEL: 'A requested class label is not one of the model labels.',
  INPUT_TOO_LONG: 'A text input is longer than the model allows and truncation was not requested.',
  TEXT_TOO_LONG: "A text field is longer than the model's character bound (max_length × 10 characters), checked before tokenizing; with truncation it is cut there instead.",
  TOO_MANY_INPUTS: "A request holds more items than the model's queue can ever take (max_queue_size); split it.",
  OUTPUT_TOO_LARGE: 'The answer asked for would exceed its size bound (attention maps of a long text); the message names the bound.',
  SERVER_BUSY: "More requests are in progress than --max-concurrent-requests allows; retry after the Retry-After header's seconds.",
  RATE_LIMITED: 'This client sent more requests in the window than --rate-limit-max allows (only when rate limiting is configured).',
  QUEUE_FULL: "The model's queue is full; retry after the Retry-After header's seconds.",
  TIMEOUT: 'The request did not complete within its deadline.',
  WORKER_FAILED: 'The worker thread holding the request died; it is respawned, retry the request.',
  DRAINING: 'The server is shutting down and accepts no new work; retry on another replica.',
  CANCELLED: 'The client went away, or another item of the same request failed first (that failure is the answer); 499 is never seen by a client that left.',
  INFERENCE_FAILED: "onnxruntime returned an error for a well-formed request (a server-side problem); onnxruntime's message is logged, not answered.",
  INTERNAL: 'A fault in the server itself (a bug); the detail is logged, never answered.',
};

export function isAppError(err: unknown): err is Error & { code: string; statusCode: number } {
  return err instanceof Error && typeof (err as { statusCode?: unknown }).statusCode === 'number';
}

/** The registry error for a runtime failure (the only place runtime kinds meet HTTP statuses). */
export function fromRuntime(err: RuntimeError): Error {
  return withoutStack(() => registryError(err));
}

function registryError(err: RuntimeError): Error {
  switch (err.kind) {
    case 'queue-full':
      return new Errors.QUEUE_FULL(err.model);
    case 'deadline':
      return new Errors.TIMEOUT(err.model, err.timeoutMs ?? 0);
    case 'aborted':
    case 'cancelled':
      return new Errors.CANCELLED(err.message);
    case 'worker-failed':
      return new Errors.WORKER_FAILED(err.model);
    case 'inference-failed':
      return new Errors.INFERENCE_FAILED(err.model);
    case 'draining':
      return new Errors.DRAINING();
  }
}

/** Any error as the server reports it: runtime failures mapped, the rest unchanged. */
export function toAppError(err: Error): Error {
  return err instanceof RuntimeError ? fromRuntime(err) : err;
}
