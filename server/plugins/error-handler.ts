// One place that turns any thrown error into an answer. `describeAny` is the one describer: every
// error becomes a registry code (server/errors.ts) — Fastify's and @fastify/multipart's own codes
// are mapped to registry codes here, anything unknown is INTERNAL — and a 5xx message is the
// registry's fixed text, never a stack, a server path or onnxruntime's words (those are logged).
// Each wire format has one answer builder (`errorAnswer`: ortserve's REST shape, KServe V2's
// {"error"}, OpenAI's {"error": {...}}, Text Embeddings Inference's {"error", "error_type"} with
// TEI's statuses); gRPC maps the same description to a status (plugins/grpc.ts). The one error
// handler picks the format from the route (`wireFormat`).
import type { FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { STATUS_CODES } from 'node:http';
import type { Config } from '../config.ts';
import { Errors, isAppError, toAppError } from '../errors.ts';
import { withoutPaths } from '../repository/repository.ts';
import { withoutStack } from '../runtime/errors.ts';

export interface ErrorDescription {
  statusCode: number;
  /** A registry code (ORT_…). */
  code: string;
  message: string;
  /** The request field a validation error is about (OpenAI's `param`). */
  param?: string;
}

/** What the describer may say about the request beside the error. */
export interface ErrorContext {
  config: Pick<Config, 'models' | 'bodyLimit' | 'maxImages'>;
  contentType?: string;
}

/** The codes of the registry: an error carrying one of these is already described. */
const REGISTRY_CODES = new Set(Object.values(Errors).map((E) => withoutStack(() => new E()).code));

interface Validation {
  instancePath: string;
  message?: string;
}

/** Fastify's first schema failure in parseBody's words ("body.inputs must be string"), and its field. */
function validationError(err: Error & { validation?: Validation[]; validationContext?: string }): Error & { param?: string } {
  const first = err.validation?.[0];
  if (!first) return new Errors.INVALID_INPUT(err.message);
  const field = `${err.validationContext ?? 'body'}${first.instancePath.replaceAll('/', '.')}`;
  return Object.assign(new Errors.INVALID_INPUT(`${field} ${first.message ?? 'is invalid'}`), { param: first.instancePath.split('/')[1] || undefined });
}

/** Fastify's (and @fastify/multipart's) codes → the registry error that says the same. */
function fromFastify(err: Error & { code: string; statusCode: number }, { config, contentType = 'none' }: ErrorContext): Error {
  switch (err.code) {
    case 'FST_ERR_VALIDATION':
      return validationError(err);
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new Errors.UNSUPPORTED_MEDIA_TYPE(contentType, 'a content type this route takes (see /openapi.json)');
    case 'FST_INVALID_MULTIPART_CONTENT_TYPE':
      return new Errors.UNSUPPORTED_MEDIA_TYPE(contentType, 'multipart/form-data');
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
    case 'FST_REQ_FILE_TOO_LARGE':
      return new Errors.BODY_TOO_LARGE(config.bodyLimit);
    case 'FST_FILES_LIMIT':
      return new Errors.MULTIPART_LIMIT(`more files than --max-images allows (${config.maxImages})`);
    case 'FST_FIELDS_LIMIT':
      return new Errors.MULTIPART_LIMIT('more form fields than an image upload may have');
    case 'FST_PARTS_LIMIT':
      return new Errors.MULTIPART_LIMIT('more parts than an image upload may have');
  }
  // Invalid or empty JSON, a bad Content-Length or URL, broken multipart framing: the client's mistake, in Fastify's words.
  return err.statusCode >= 400 && err.statusCode < 500 ? new Errors.INVALID_INPUT(err.message) : new Errors.INTERNAL();
}

/** The registry error any error is described as. */
function registryError(error: Error, context: ErrorContext): Error & { code: string; statusCode: number; param?: string } {
  const err = toAppError(error);
  if (isAppError(err) && REGISTRY_CODES.has(err.code)) return err;
  // Plain errors with a 4xx status (a JSON syntax error from the body parser) are the client's too.
  const described = withoutStack(() => (isAppError(err) ? fromFastify(err, context) : new Errors.INTERNAL()));
  return described as Error & { code: string; statusCode: number };
}

/** Status, registry code and client-safe message of any error, whatever protocol answers it (REST, V2, OpenAI, gRPC). */
export function describeAny(error: Error, context: ErrorContext): ErrorDescription {
  const err = registryError(error, context);
  // 5xx templates hold no internal detail, but a reason (a load failure) may name a file: strip server paths.
  const message = err.statusCode >= 500 ? withoutPaths(err.message, context.config.models) : err.message;
  return { statusCode: err.statusCode, code: err.code, message, ...(err.param ? { param: err.param } : {}) };
}

/** describeAny for an HTTP request; sets Retry-After and logs server faults in full. */
export function describeError(error: Error, request: FastifyRequest, reply: FastifyReply): ErrorDescription {
  const described = describeAny(error, { config: request.server.config, contentType: request.headers['content-type'] });
  const { statusCode } = described;
  if (statusCode >= 500) request.log.error({ err: error }, 'request failed');
  // Overload and transient unavailability: tell clients when to retry (TEI and Triton do too).
  if ((statusCode === 429 || statusCode === 503) && !reply.hasHeader('retry-after')) reply.header('retry-after', '1');
  return described;
}

/** The error body shapes: ortserve's own, KServe V2's, OpenAI's and Text Embeddings Inference's. */
export type WireFormat = 'rest' | 'v2' | 'openai' | 'tei';

/** OpenAI's routes: /v1/embeddings, /v1/models and /v1/models/:model (not the per-model task routes below it). */
const OPENAI_ROUTE = /^\/v1\/(?:embeddings|models(?:\/[^/?#]+)?)\/?(?:[?#]|$)/;
/** Where each model's Hugging Face / TEI base is (routes/hf-endpoint.ts, routes/tei.ts): `${HF_BASE}/<model>`. */
export const HF_BASE = '/hf/models';

/** The wire format a route (or, for an unknown route, a URL) answers errors in. */
export function wireFormat(url: string): WireFormat {
  if (url.startsWith('/v2/') || url === '/v2') return 'v2';
  if (url === HF_BASE || url.startsWith(`${HF_BASE}/`)) return 'tei';
  return OPENAI_ROUTE.test(url) ? 'openai' : 'rest';
}

/** TEI's error types (its `ErrorType`, serialised as the variant name, as its OpenAPI schema says). */
type TeiErrorType = 'Unhealthy' | 'Backend' | 'Overloaded' | 'Validation' | 'Tokenizer';

/**
 * TEI's status and error type for a registry error. TEI answers a malformed body 422, an input over a
 * limit (too many tokens, inputs or bytes) 413 "Validation", a model that cannot serve the route 424
 * "Backend", overload 429 and an unavailable model 503 "Unhealthy"; what TEI has no case for (an
 * unknown model or route, a timeout) keeps its ortserve status.
 */
function teiError({ statusCode, code }: ErrorDescription): { status: number; type: TeiErrorType } {
  switch (code) {
    case 'ORT_INPUT_TOO_LONG':
      return { status: 413, type: 'Validation' };
    case 'ORT_WRONG_TASK':
    case 'ORT_INFERENCE_FAILED':
      return { status: 424, type: 'Backend' };
  }
  if (statusCode === 400) return { status: 422, type: 'Validation' };
  if (statusCode === 429) return { status: 429, type: 'Overloaded' };
  if (statusCode === 503) return { status: 503, type: 'Unhealthy' };
  return { status: statusCode, type: statusCode >= 500 ? 'Backend' : 'Validation' };
}

/** The status and JSON body of an error answer in `format`. */
export function errorAnswer(described: ErrorDescription, format: WireFormat): { statusCode: number; body: object } {
  const { statusCode, code, message, param } = described;
  if (format === 'v2') return { statusCode, body: { error: message } };
  if (format === 'tei') {
    const { status, type } = teiError(described);
    return { statusCode: status, body: { error: message, error_type: type } };
  }
  if (format === 'openai') {
    const type = statusCode === 429 ? 'rate_limit_error' : statusCode >= 500 ? 'server_error' : 'invalid_request_error';
    return { statusCode, body: { error: { message, type, param: param ?? null, code } } };
  }
  return { statusCode, body: { statusCode, code, error: STATUS_CODES[statusCode] ?? 'Error', message } };
}

/** Answers `err` in the wire format of the request's route (or, when no route matched, of its URL). */
export function sendError(err: Error, request: FastifyRequest, reply: FastifyReply): void {
  const { statusCode, body } = errorAnswer(describeError(err, request, reply), wireFormat(request.routeOptions.url ?? request.url));
  void reply.status(statusCode).send(body);
}

export default fp(
  async (app) => {
    app.setErrorHandler(sendError);
    app.setNotFoundHandler((request, reply) => sendError(new Errors.ROUTE_NOT_FOUND(request.method, request.url.split('?')[0]), request, reply));
  },
  { name: 'error-handler' },
);
