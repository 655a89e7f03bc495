// The one mapping from the error registry (server/errors.ts) to gRPC status codes. Every registry
// code must have an entry (the Record type makes a missing one a compile error); anything that is
// not a registry error is INTERNAL, with no detail.
import { status } from '@grpc/grpc-js';
import { Errors, type ErrorCode } from '../../errors.ts';
import { withoutStack } from '../../runtime/errors.ts';

export const GRPC_STATUS: Readonly<Record<ErrorCode, status>> = Object.freeze({
  MODEL_NOT_FOUND: status.NOT_FOUND,
  INVALID_MODEL_NAME: status.INVALID_ARGUMENT,
  WRONG_TASK: status.NOT_FOUND,
  MODEL_NOT_READY: status.UNAVAILABLE,
  ROUTE_NOT_FOUND: status.UNIMPLEMENTED,
  UNAUTHORIZED: status.UNAUTHENTICATED,
  INVALID_INPUT: status.INVALID_ARGUMENT,
  BODY_TOO_LARGE: status.RESOURCE_EXHAUSTED,
  MULTIPART_LIMIT: status.INVALID_ARGUMENT,
  UNPROCESSABLE: status.INVALID_ARGUMENT,
  INVALID_IMAGE: status.INVALID_ARGUMENT,
  IMAGE_TOO_LARGE: status.INVALID_ARGUMENT,
  UNSUPPORTED_MEDIA_TYPE: status.INVALID_ARGUMENT,
  UNKNOWN_LABEL: status.INVALID_ARGUMENT,
  INPUT_TOO_LONG: status.INVALID_ARGUMENT,
  TEXT_TOO_LONG: status.INVALID_ARGUMENT,
  TOO_MANY_INPUTS: status.INVALID_ARGUMENT,
  OUTPUT_TOO_LARGE: status.RESOURCE_EXHAUSTED,
  SERVER_BUSY: status.RESOURCE_EXHAUSTED,
  RATE_LIMITED: status.RESOURCE_EXHAUSTED,
  QUEUE_FULL: status.RESOURCE_EXHAUSTED,
  TIMEOUT: status.DEADLINE_EXCEEDED,
  WORKER_FAILED: status.UNAVAILABLE,
  DRAINING: status.UNAVAILABLE,
  CANCELLED: status.CANCELLED,
  INFERENCE_FAILED: status.INTERNAL,
  INTERNAL: status.INTERNAL,
});

/** Registry code string (ORT_…) → gRPC status, built from the registry itself. */
const BY_CODE = new Map((Object.keys(GRPC_STATUS) as ErrorCode[]).map((key) => [withoutStack(() => new Errors[key]()).code, GRPC_STATUS[key]] as const));

/** A protocol-level gRPC failure that no registry code describes (an unknown health service, a missing token). */
export class GrpcError extends Error {
  readonly code: status;

  constructor(code: status, message: string) {
    super(message);
    this.name = 'GrpcError';
    this.code = code;
  }
}

/** The gRPC status for an error the registry describes by `code` (ORT_…); INTERNAL for any other. */
export function grpcStatus(code: string): status {
  return BY_CODE.get(code) ?? status.INTERNAL;
}
