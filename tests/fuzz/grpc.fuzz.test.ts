// Property-based fuzzing of gRPC ModelInfer with a fixed seed: generated requests (any datatype
// name, shapes with negative, zero or huge dimensions, values in any contents field, raw bytes of
// any length, unknown outputs and models) and undecodable messages get an answer or a client-error
// status, never INTERNAL or UNKNOWN, and the server keeps serving.
import * as grpcJs from '@grpc/grpc-js';
import fc from 'fast-check';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testApp } from '../helpers/app.ts';
import { grpcFor, isFailure, type GrpcClient } from '../helpers/grpc.ts';

const SEED = 20_261_129;
const RUNS = 400;
const CLIENT_ERRORS = new Set(['INVALID_ARGUMENT', 'NOT_FOUND', 'RESOURCE_EXHAUSTED', 'UNAVAILABLE']);

const DATATYPES = ['BOOL', 'UINT8', 'INT8', 'UINT16', 'INT16', 'FP16', 'UINT32', 'INT32', 'FP32', 'UINT64', 'INT64', 'FP64', 'BYTES'];
const dim = fc.oneof(fc.integer({ min: 0, max: 4 }), fc.constantFrom(1, 28, 64, 784, -1, -28, 2 ** 31, 2 ** 40, Number.MAX_SAFE_INTEGER));
const values = fc.oneof(
  fc.record({ fp32_contents: fc.array(fc.float({ noNaN: true }), { maxLength: 900 }) }),
  fc.record({ fp64_contents: fc.array(fc.double(), { maxLength: 64 }) }),
  fc.record({ int_contents: fc.array(fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }), { maxLength: 64 }) }),
  fc.record({ int64_contents: fc.array(fc.integer({ min: -1000, max: 1000 }), { maxLength: 64 }) }),
  fc.record({ uint_contents: fc.array(fc.nat(), { maxLength: 64 }) }),
  fc.record({ bool_contents: fc.array(fc.boolean(), { maxLength: 64 }) }),
  fc.record({
    bytes_contents: fc.array(
      fc.uint8Array({ maxLength: 16 }).map((b) => Buffer.from(b)),
      { maxLength: 8 },
    ),
  }),
  fc.record({ fp32_contents: fc.array(fc.float(), { maxLength: 8 }), int64_contents: fc.array(fc.integer(), { maxLength: 8 }) }),
  fc.constant({}),
);
const input = fc.record({
  name: fc.oneof(fc.constantFrom('pixel_values', 'z', 'label', 'input_ids'), fc.string({ maxLength: 12 })),
  datatype: fc.oneof(fc.constantFrom(...DATATYPES), fc.string({ maxLength: 6 })),
  shape: fc.array(dim, { maxLength: 5 }),
  contents: values,
});
const request = fc
  .record({
    model_name: fc.oneof(fc.constantFrom('fashion-cnn', 'fashion-dcgan'), fc.constantFrom('no-such-model', '../x', '')),
    model_version: fc.constantFrom('', '', '1', '2'),
    inputs: fc.array(input, { maxLength: 3 }),
    outputs: fc.array(fc.record({ name: fc.oneof(fc.constantFrom('logits', 'image'), fc.string({ maxLength: 8 })) }), { maxLength: 2 }),
    raw: fc.option(
      fc.array(
        fc.uint8Array({ maxLength: 4000 }).map((b) => Buffer.from(b)),
        { maxLength: 3 },
      ),
    ),
  })
  .map(({ raw, inputs, ...r }) => (raw ? { ...r, inputs: inputs.map(({ contents: _c, ...i }) => i), raw_input_contents: raw } : { ...r, inputs }));

/** fashion-cnn requests that are valid, or off by one thing (a dimension, the datatype, a value, the value count, raw bytes). */
const nearValid = fc
  .record({
    n: fc.integer({ min: 1, max: 3 }),
    raw: fc.boolean(),
    fill: fc.oneof(fc.float({ min: -3, max: 3, noNaN: true }), fc.constantFrom(Number.NaN, Infinity, -Infinity, 3.4e38)),
    mutation: fc.constantFrom('none', 'none', 'none', 'dim', 'datatype', 'count', 'extra-input', 'output'),
  })
  .map(({ n, raw, fill, mutation }) => {
    const shape = mutation === 'dim' ? [n, 1, 28, 27] : [n, 1, 28, 28];
    const count = n * 784 + (mutation === 'count' ? 1 : 0);
    const datatype = mutation === 'datatype' ? 'FP64' : 'FP32';
    const data = new Array(count).fill(fill);
    const inputs: object[] = [{ name: 'pixel_values', datatype, shape, ...(raw ? {} : { contents: { [datatype === 'FP64' ? 'fp64_contents' : 'fp32_contents']: data } }) }];
    if (mutation === 'extra-input') inputs.push({ name: 'pixel_values', datatype, shape, ...(raw ? {} : { contents: { fp32_contents: data } }) });
    const bytes = Buffer.from(Float32Array.from(data).buffer);
    return {
      model_name: 'fashion-cnn',
      inputs,
      outputs: mutation === 'output' ? [{ name: 'logits' }, { name: 'logits' }] : [],
      ...(raw ? { raw_input_contents: inputs.map(() => bytes) } : {}),
    };
  });

let app: FastifyInstance;
let grpc: GrpcClient & { port: number };
beforeAll(async () => {
  app = await testApp();
  grpc = await grpcFor(app);
});
afterAll(async () => {
  grpc?.close();
  await app?.close();
});

describe('fuzzing gRPC ModelInfer (fixed seed)', { timeout: 120_000 }, () => {
  it(`answers ${RUNS} generated requests with a result or a client-error status, and keeps serving`, async () => {
    const codes = new Map<string, number>();
    await fc.assert(
      fc.asyncProperty(fc.oneof(request, nearValid), async (req) => {
        const r = await grpc.call('ModelInfer', req, { deadlineMs: 30_000 });
        const code = isFailure(r) ? r.name : 'OK';
        codes.set(code, (codes.get(code) ?? 0) + 1);
        if (isFailure(r)) {
          expect(CLIENT_ERRORS.has(r.name), `${r.name}: ${r.details}`).toBe(true);
          expect(r.details.length).toBeGreaterThan(0);
        }
      }),
      { seed: SEED, numRuns: RUNS },
    );
    // Bytes that are no ModelInferRequest at all: grpc-js refuses to decode them; the server lives on.
    const raw = new grpcJs.Client(`127.0.0.1:${grpc.port}`, grpcJs.credentials.createInsecure());
    for (const junk of [Buffer.from([0xff, 0xff, 0xff]), Buffer.from('not a protobuf message at all'), Buffer.alloc(10, 0x0a)]) {
      const status = await new Promise<grpcJs.status>((resolve) =>
        raw.makeUnaryRequest(
          '/inference.GRPCInferenceService/ModelInfer',
          (b: Buffer) => b,
          (b: Buffer) => b,
          junk,
          (err) => resolve(err?.code ?? grpcJs.status.OK),
        ),
      );
      expect([grpcJs.status.INTERNAL, grpcJs.status.INVALID_ARGUMENT, grpcJs.status.NOT_FOUND]).toContain(status);
    }
    raw.close();
    console.log(`gRPC fuzz (seed ${SEED}): ${[...codes].map(([c, n]) => `${n}×${c}`).join(', ')}`);
    expect(await grpc.ok('ServerLive')).toEqual({ live: true });
    const ok = await grpc.ok('ModelInfer', {
      model_name: 'fashion-cnn',
      inputs: [{ name: 'pixel_values', datatype: 'FP32', shape: [1, 1, 28, 28], contents: { fp32_contents: new Array(784).fill(0) } }],
    });
    expect(ok.outputs[0].shape).toEqual([1, 10]);
  });
});
