// The one mapping from error registry codes to gRPC status codes (server/protocols/grpc/status.ts).
import { status } from '@grpc/grpc-js';
import { describe, expect, it } from 'vitest';
import { Errors, fromRuntime, type ErrorCode } from '../../server/errors.ts';
import { GRPC_STATUS, grpcStatus } from '../../server/protocols/grpc/status.ts';
import { RuntimeError, type RuntimeErrorKind } from '../../server/runtime/errors.ts';

describe('registry code → gRPC status', () => {
  it('maps every registry code, by the code string errors carry', () => {
    for (const key of Object.keys(Errors) as ErrorCode[]) {
      const code = new Errors[key]('x', 'y', 'z').code;
      expect(grpcStatus(code), key).toBe(GRPC_STATUS[key]);
    }
  });

  it.each<[RuntimeErrorKind, keyof typeof status]>([
    ['queue-full', 'RESOURCE_EXHAUSTED'],
    ['deadline', 'DEADLINE_EXCEEDED'],
    ['aborted', 'CANCELLED'],
    ['worker-failed', 'UNAVAILABLE'],
    ['draining', 'UNAVAILABLE'],
    ['inference-failed', 'INTERNAL'],
  ])('a runtime %s failure is %s', (kind, name) => {
    const err = fromRuntime(new RuntimeError(kind, 'm', 'why')) as Error & { code: string };
    expect(grpcStatus(err.code)).toBe(status[name]);
  });

  it('client mistakes are INVALID_ARGUMENT or NOT_FOUND, overload RESOURCE_EXHAUSTED, anything unknown INTERNAL', () => {
    expect(grpcStatus(new Errors.INVALID_INPUT('bad').code)).toBe(status.INVALID_ARGUMENT);
    expect(grpcStatus(new Errors.MODEL_NOT_FOUND('m').code)).toBe(status.NOT_FOUND);
    expect(grpcStatus(new Errors.SERVER_BUSY(1).code)).toBe(status.RESOURCE_EXHAUSTED);
    expect(grpcStatus('ORT_INTERNAL')).toBe(status.INTERNAL);
    expect(grpcStatus('FST_ERR_SOMETHING')).toBe(status.INTERNAL);
  });
});
