// KServe V2 over gRPC with a grpc-js client against the app bound to a free port: the same answers
// as REST V2 (metadata, outputs of typed and raw tensors), errors as gRPC status codes with
// messages, and the model's one queue: a full queue, a deadline and a cancelled call.
import type { FastifyInstance } from 'fastify';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fashionSample } from '../../scripts/lib/fixtures.ts';
import { MODELS, readyModel, testApp } from '../helpers/app.ts';
import { grpcFor, isFailure, type Failure, type GrpcClient } from '../helpers/grpc.ts';
import { slowModelRepository, WIDTH } from '../helpers/slow-model.ts';
import { waitFor } from '../helpers/wait.ts';

const TOKEN = 'grpc-test-token';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const manifest = JSON.parse(fs.readFileSync(path.join(MODELS, 'fashion-cnn/manifest.json'), 'utf8')) as { image: { scale: number; mean: number[]; std: number[] } };

/** Fashion-MNIST test images 0..n-1, normalised as the model's manifest says. */
function pixels(n: number): number[] {
  const { scale, mean, std } = manifest.image;
  return Array.from({ length: n }, (_, i) => Array.from(fashionSample(i).pixels, (p) => (p * scale - mean[0]!) / std[0]!)).flat();
}
const f32bytes = (values: number[]) => Buffer.from(Float32Array.from(values).buffer);
const fromF32 = (b: Uint8Array) => Array.from(new Float32Array(new Uint8Array(b).buffer));

function expectFailure(r: unknown, name: string, message?: RegExp): Failure {
  expect(isFailure(r), JSON.stringify(r).slice(0, 200)).toBe(true);
  const f = r as Failure;
  expect(f.name, f.details).toBe(name);
  if (message) expect(f.details).toMatch(message);
  return f;
}

describe('KServe V2 over gRPC: bundled models', () => {
  let app: FastifyInstance;
  let grpc: GrpcClient;
  beforeAll(async () => {
    app = await testApp({ ORTSERVE_ADMIN_TOKEN: TOKEN });
    grpc = await grpcFor(app);
  });
  afterAll(async () => {
    grpc?.close();
    await app?.close();
  });

  it("ServerLive, ServerReady, ServerMetadata and grpc.health.v1 answer as REST's /v2 routes do", async () => {
    expect(await grpc.ok('ServerLive')).toEqual({ live: true });
    expect(await grpc.ok('ServerReady')).toEqual({ ready: (await app.inject('/v2/health/ready')).json().ready });
    const rest = (await app.inject('/v2')).json();
    expect(await grpc.ok('ServerMetadata')).toEqual(rest);
    expect(rest.extensions).toContain('model_repository');
    expect(await grpc.ok('Check', { service: '' })).toEqual({ status: 'SERVING' });
    expect(await grpc.ok('Check', { service: 'inference.GRPCInferenceService' })).toEqual({ status: 'SERVING' });
    expect(await grpc.ok('Check', { service: 'fashion-cnn' })).toEqual({ status: 'SERVING' });
    expectFailure(await grpc.call('Check', { service: 'no-such-service' }), 'NOT_FOUND', /unknown service 'no-such-service'/);
  });

  it("ModelMetadata and ModelReady equal REST's for every bundled model", async () => {
    const names = app.models.list().map((m) => m.name);
    expect(names.length).toBeGreaterThanOrEqual(5);
    for (const name of names) {
      expect(await grpc.ok('ModelMetadata', { name }), name).toEqual((await app.inject(`/v2/models/${name}`)).json());
      expect(await grpc.ok('ModelReady', { name })).toEqual({ ready: true });
      expect(await grpc.ok('ModelMetadata', { name, version: '1' })).toMatchObject({ name });
    }
  });

  it("ModelInfer on fashion-cnn: typed contents and raw bytes give REST V2's outputs, batch 1 and 3, id echoed", async () => {
    for (const n of [1, 3]) {
      const data = pixels(n);
      const shape = [n, 1, 28, 28];
      const rest = (await app.inject({ method: 'POST', url: '/v2/models/fashion-cnn/infer', payload: { id: 'r', inputs: [{ name: 'pixel_values', datatype: 'FP32', shape, data }] } })).json();
      const expected: number[] = rest.outputs[0].data;
      expect(expected).toHaveLength(10 * n);

      const typed = await grpc.ok('ModelInfer', { model_name: 'fashion-cnn', id: `typed-${n}`, inputs: [{ name: 'pixel_values', datatype: 'FP32', shape, contents: { fp32_contents: data } }] });
      expect(typed).toMatchObject({ model_name: 'fashion-cnn', model_version: '1', id: `typed-${n}`, raw_output_contents: [] });
      expect(typed.outputs).toHaveLength(1);
      expect(typed.outputs[0]).toMatchObject({ name: 'logits', datatype: 'FP32', shape: [n, 10] });
      typed.outputs[0].contents.fp32_contents.forEach((v: number, i: number) => expect(v).toBeCloseTo(expected[i]!, 5));

      const raw = await grpc.ok('ModelInfer', { model_name: 'fashion-cnn', id: `raw-${n}`, inputs: [{ name: 'pixel_values', datatype: 'FP32', shape }], raw_input_contents: [f32bytes(data)] });
      expect(raw.id).toBe(`raw-${n}`);
      expect(raw.outputs[0]).toMatchObject({ name: 'logits', datatype: 'FP32', shape: [n, 10], contents: null });
      expect(raw.raw_output_contents).toHaveLength(1);
      fromF32(raw.raw_output_contents[0]).forEach((v, i) => expect(v).toBeCloseTo(expected[i]!, 5));

      // The classes are right, too (the first three test images are an ankle boot, a pullover and a trouser).
      for (let k = 0; k < n; k++) {
        const row = expected.slice(k * 10, k * 10 + 10);
        expect(row.indexOf(Math.max(...row))).toBe(fashionSample(k).label);
      }
    }
  });

  it('fashion-dcgan: INT64 in int64_contents or raw, a requested output, and REST agrees', async () => {
    const z = Array.from({ length: 64 }, (_, i) => Math.sin(i));
    const rest = (
      await app.inject({
        method: 'POST',
        url: '/v2/models/fashion-dcgan/infer',
        payload: {
          inputs: [
            { name: 'z', datatype: 'FP32', shape: [1, 64], data: z },
            { name: 'label', datatype: 'INT64', shape: [1], data: [7] },
          ],
          outputs: [{ name: 'image' }],
        },
      })
    ).json();
    const expected: number[] = rest.outputs[0].data;
    const typed = await grpc.ok('ModelInfer', {
      model_name: 'fashion-dcgan',
      inputs: [
        { name: 'z', datatype: 'FP32', shape: [1, 64], contents: { fp32_contents: z } },
        { name: 'label', datatype: 'INT64', shape: [1], contents: { int64_contents: [7] } },
      ],
      outputs: [{ name: 'image' }],
    });
    expect(typed.outputs.map((o: { name: string }) => o.name)).toEqual(['image']);
    expect(typed.outputs[0].shape).toEqual(rest.outputs[0].shape);
    typed.outputs[0].contents.fp32_contents.forEach((v: number, i: number) => expect(v).toBeCloseTo(expected[i]!, 5));
    const raw = await grpc.ok('ModelInfer', {
      model_name: 'fashion-dcgan',
      inputs: [
        { name: 'z', datatype: 'FP32', shape: [1, 64] },
        { name: 'label', datatype: 'INT64', shape: [1] },
      ],
      raw_input_contents: [f32bytes(z), Buffer.from(BigInt64Array.of(7n).buffer)],
      outputs: [{ name: 'image' }],
    });
    fromF32(raw.raw_output_contents[0]).forEach((v, i) => expect(v).toBeCloseTo(expected[i]!, 5));
  });

  it("an integer past its datatype's range in typed contents → INVALID_ARGUMENT naming the tensor and the element", async () => {
    const z = { name: 'z', datatype: 'FP32', shape: [1, 64], contents: { fp32_contents: Array(64).fill(0) } };
    const label = { name: 'label', datatype: 'INT64', shape: [1], contents: { int64_contents: [2 ** 53] } };
    expectFailure(
      await grpc.call('ModelInfer', { model_name: 'fashion-dcgan', inputs: [z, label] }),
      'INVALID_ARGUMENT',
      /^input 'label': contents.int64_contents\[0\] is 9007199254740992, expected an integer from -9007199254740991 to 9007199254740991 \(INT64/,
    );
  });

  it.each([
    [
      'a wrong shape',
      { inputs: [{ name: 'pixel_values', datatype: 'FP32', shape: [1, 28, 28], contents: { fp32_contents: pixels(1) } }] },
      /input 'pixel_values': shape \[1,28,28\] has 3 dimensions, the model expects 4/,
    ],
    ['a wrong datatype', { inputs: [{ name: 'pixel_values', datatype: 'FP64', shape: [1, 1, 28, 28], contents: { fp64_contents: pixels(1) } }] }, /datatype FP64 does not match the model's FP32/],
    [
      'values in the wrong contents field',
      { inputs: [{ name: 'pixel_values', datatype: 'FP32', shape: [1, 1, 28, 28], contents: { int_contents: [1, 2] } }] },
      /datatype FP32 carries its values in contents.fp32_contents, not contents.int_contents/,
    ],
    ['too few values', { inputs: [{ name: 'pixel_values', datatype: 'FP32', shape: [1, 1, 28, 28], contents: { fp32_contents: [1, 2, 3] } }] }, /3 values do not fill shape \[1,1,28,28\]/],
    ['an unknown input', { inputs: [{ name: 'x', datatype: 'FP32', shape: [1], contents: { fp32_contents: [1] } }] }, /unexpected input 'x'/],
    ['no inputs', { inputs: [] }, /missing input\(s\): pixel_values/],
    [
      'an unknown output',
      { inputs: [{ name: 'pixel_values', datatype: 'FP32', shape: [1, 1, 28, 28], contents: { fp32_contents: pixels(1) } }], outputs: [{ name: 'nope' }] },
      /unknown output 'nope'/,
    ],
    [
      'raw bytes of the wrong length',
      { inputs: [{ name: 'pixel_values', datatype: 'FP32', shape: [1, 1, 28, 28] }], raw_input_contents: [Buffer.alloc(100)] },
      /100 bytes of raw data do not fill shape/,
    ],
    [
      'more raw entries than inputs',
      { inputs: [{ name: 'pixel_values', datatype: 'FP32', shape: [1, 1, 28, 28] }], raw_input_contents: [Buffer.alloc(3136), Buffer.alloc(4)] },
      /raw_input_contents has 2 entries for 1 inputs/,
    ],
    [
      'raw bytes and typed contents together',
      { inputs: [{ name: 'pixel_values', datatype: 'FP32', shape: [1, 1, 28, 28], contents: { fp32_contents: [1] } }], raw_input_contents: [Buffer.alloc(3136)] },
      /has typed contents while the request uses raw_input_contents/,
    ],
    [
      'FP16 in typed contents',
      { inputs: [{ name: 'pixel_values', datatype: 'FP16', shape: [1, 1, 28, 28], contents: { fp32_contents: [1] } }] },
      /FP16 has no typed contents field; send its bytes in raw_input_contents/,
    ],
    ['an unknown datatype', { inputs: [{ name: 'pixel_values', datatype: 'FP8', shape: [1, 1, 28, 28] }] }, /unknown datatype 'FP8'/],
    [
      'a negative dimension',
      { inputs: [{ name: 'pixel_values', datatype: 'FP32', shape: [-1, 1, 28, 28], contents: { fp32_contents: pixels(1) } }] },
      /shape \[-1,1,28,28\] has a negative or oversized dimension/,
    ],
    ['a zero dimension', { inputs: [{ name: 'pixel_values', datatype: 'FP32', shape: [0, 1, 28, 28] }], raw_input_contents: [Buffer.alloc(0)] }, /zero dimension/],
  ])('%s → INVALID_ARGUMENT with a message', async (_what, body, message) => {
    expectFailure(await grpc.call('ModelInfer', { model_name: 'fashion-cnn', ...body }), 'INVALID_ARGUMENT', message);
  });

  it('an unknown model or version → NOT_FOUND, a bad name → INVALID_ARGUMENT; the server keeps serving', async () => {
    const input = { name: 'pixel_values', datatype: 'FP32', shape: [1, 1, 28, 28], contents: { fp32_contents: pixels(1) } };
    expectFailure(await grpc.call('ModelInfer', { model_name: 'no-such-model', inputs: [input] }), 'NOT_FOUND', /Model 'no-such-model' not found/);
    expectFailure(await grpc.call('ModelInfer', { model_name: 'fashion-cnn', model_version: '7', inputs: [input] }), 'NOT_FOUND', /version '7'/);
    expectFailure(await grpc.call('ModelMetadata', { name: 'no-such-model' }), 'NOT_FOUND');
    expectFailure(await grpc.call('ModelReady', { name: 'no-such-model' }), 'NOT_FOUND');
    expectFailure(await grpc.call('ModelInfer', { model_name: '../etc', inputs: [input] }), 'INVALID_ARGUMENT', /Invalid model name/);
    expect((await grpc.ok('ModelInfer', { model_name: 'fashion-cnn', inputs: [input] })).outputs).toHaveLength(1);
    const metrics = (await app.inject('/metrics')).body;
    expect(metrics).toMatch(/^ortserve_grpc_requests_total\{method="inference.GRPCInferenceService\/ModelInfer",model="_unknown",code="NOT_FOUND"\} \d+$/m);
    expect(metrics).toMatch(/^ortserve_grpc_request_duration_seconds_count\{method="inference.GRPCInferenceService\/ModelInfer",model="fashion-cnn"\} \d+$/m);
  });

  it("the repository methods need the admin token in the metadata and answer as REST's", async () => {
    expectFailure(await grpc.call('RepositoryIndex', {}), 'UNAUTHENTICATED', /bearer token/);
    expectFailure(await grpc.call('RepositoryIndex', {}, { metadata: { authorization: 'Bearer wrong' } }), 'UNAUTHENTICATED');
    const auth = { metadata: { authorization: `Bearer ${TOKEN}` } };
    const rest = (await app.inject({ method: 'POST', url: '/v2/repository/index', headers: { authorization: `Bearer ${TOKEN}` } })).json();
    const index = await grpc.ok('RepositoryIndex', {}, auth);
    expect(index.models).toEqual(rest.map((m: object) => ({ version: '', reason: '', ...m })));
    expect((await grpc.ok('RepositoryIndex', { ready: true }, auth)).models.every((m: { state: string }) => m.state === 'READY')).toBe(true);
    expectFailure(await grpc.call('RepositoryModelUnload', { model_name: 'no-such-model' }, auth), 'NOT_FOUND');
    expectFailure(await grpc.call('RepositoryModelLoad', { model_name: '../x' }, auth), 'INVALID_ARGUMENT');
  });
});

describe('KServe V2 over gRPC: the queue (a slow test model)', () => {
  const QUEUE = 4;
  let app: FastifyInstance;
  let grpc: GrpcClient;
  beforeAll(async () => {
    const repo = slowModelRepository({ layers: 1500, batching: { max_batch_size: 1, max_queue_size: QUEUE, max_queue_delay_ms: 0 } });
    app = await testApp({ ORTSERVE_MODELS: repo, ORTSERVE_ADMIN_TOKEN: TOKEN });
    grpc = await grpcFor(app);
  });
  afterAll(async () => {
    grpc?.close();
    await app?.close();
  });

  const x = (rows: number) => ({
    model_name: 'slow',
    inputs: [{ name: 'x', datatype: 'FP32', shape: [rows, WIDTH] }],
    raw_input_contents: [Buffer.from(new Float32Array(rows * WIDTH).fill(1).buffer)],
  });
  const metric = async (re: RegExp) => Number(re.exec((await app.inject('/metrics')).body)?.[1] ?? 0);
  const batches = () => metric(/^ortserve_batch_size_count\{model="slow",operation="infer"\} (\d+)$/m);
  const dropped = (reason: string) => metric(new RegExp(`^ortserve_dropped_total\\{model="slow",operation="infer",reason="${reason}"\\} (\\d+)$`, 'm'));
  /** A long gRPC call that holds the only instance; resolves once it runs (it has left the queue). */
  async function blocker(rows = 256) {
    const { scheduler } = readyModel(app, 'slow').runtime;
    const done = grpc.ok('ModelInfer', x(rows));
    await waitFor(() => app.activeRequests() > 0 && scheduler.depth === 0, { what: 'the blocker to leave the queue and run' });
    await sleep(10);
    return done;
  }

  it('a full queue → RESOURCE_EXHAUSTED; what was queued still runs', async () => {
    const before = await batches();
    const running = blocker();
    const answers = await Promise.all(Array.from({ length: QUEUE + 6 }, () => grpc.call('ModelInfer', x(1))));
    await running;
    const refused = answers.filter(isFailure);
    expect(refused.length).toBe(6);
    for (const r of refused) expectFailure(r, 'RESOURCE_EXHAUSTED', /Model 'slow' is overloaded: its queue is full/);
    expect(answers.length - refused.length).toBe(QUEUE);
    expect(await batches()).toBe(before + 1 + QUEUE);
  }, 60_000);

  it('a deadline shorter than the queue wait → DEADLINE_EXCEEDED, and the work is not run', async () => {
    const before = { batches: await batches(), dropped: await dropped('deadline') };
    const running = blocker();
    const late = await grpc.call('ModelInfer', x(1), { deadlineMs: 300 });
    expectFailure(late, 'DEADLINE_EXCEEDED');
    await running;
    await waitFor(async () => (await dropped('deadline')) > before.dropped, { what: 'the late call to be dropped on its deadline', everyMs: 10 });
    expect(await batches()).toBe(before.batches + 1);
    expect(await dropped('deadline')).toBe(before.dropped + 1);
  }, 60_000);

  it('a cancelled call leaves the queue: its work is not run', async () => {
    const before = { batches: await batches(), dropped: await dropped('aborted') };
    const running = blocker();
    const cancelled = await grpc.call('ModelInfer', x(1), { onCall: (c) => setTimeout(() => c.cancel(), 200) });
    expectFailure(cancelled, 'CANCELLED');
    await running;
    await waitFor(async () => (await dropped('aborted')) > before.dropped, { what: 'the cancelled call to be dropped', everyMs: 10 });
    expect(await batches()).toBe(before.batches + 1);
    expect(await dropped('aborted')).toBe(before.dropped + 1);
  }, 60_000);

  it('RepositoryModelUnload / RepositoryModelLoad take the model out and back', async () => {
    const auth = { metadata: { authorization: `Bearer ${TOKEN}` } };
    await grpc.ok('RepositoryModelUnload', { model_name: 'slow' }, auth);
    expect(await grpc.ok('ModelReady', { name: 'slow' })).toEqual({ ready: false });
    expectFailure(await grpc.call('ModelInfer', x(1)), 'UNAVAILABLE', /not ready/);
    expect(await grpc.ok('Check', { service: 'slow' })).toEqual({ status: 'NOT_SERVING' });
    await grpc.ok('RepositoryModelLoad', { model_name: 'slow' }, auth);
    expect(await grpc.ok('ModelReady', { name: 'slow' })).toEqual({ ready: true });
  }, 60_000);

  it('while the app drains: ModelInfer → UNAVAILABLE, health NOT_SERVING, ServerReady false', async () => {
    app.drain();
    expectFailure(await grpc.call('ModelInfer', x(1)), 'UNAVAILABLE', /shutting down/);
    expect(await grpc.ok('Check', { service: '' })).toEqual({ status: 'NOT_SERVING' });
    expect(await grpc.ok('ServerReady')).toEqual({ ready: false });
    expect(await grpc.ok('ServerLive')).toEqual({ live: true });
  });
});

describe('KServe V2 over gRPC: --max-concurrent-requests counts gRPC calls', () => {
  let app: FastifyInstance;
  let grpc: GrpcClient;
  beforeAll(async () => {
    app = await testApp({ ORTSERVE_MODELS: slowModelRepository({ layers: 600, batching: { max_batch_size: 1, max_queue_delay_ms: 0 } }), ORTSERVE_MAX_CONCURRENT_REQUESTS: '2' });
    grpc = await grpcFor(app);
  });
  afterAll(async () => {
    grpc?.close();
    await app?.close();
  });

  it('the third concurrent call → RESOURCE_EXHAUSTED (server busy); REST and gRPC share the limit', async () => {
    const body = (rows: number) => ({ model_name: 'slow', inputs: [{ name: 'x', datatype: 'FP32', shape: [rows, WIDTH] }], raw_input_contents: [Buffer.from(new Float32Array(rows * WIDTH).buffer)] });
    const first = grpc.call('ModelInfer', body(256));
    // Both long: whichever runs first, the other waits behind it, so both stay in flight while the third call comes.
    const second = app.inject({ method: 'POST', url: '/v2/models/slow/infer', payload: { inputs: [{ name: 'x', datatype: 'FP32', shape: [256, WIDTH], data: new Array(256 * WIDTH).fill(0) }] } });
    await waitFor(() => app.activeRequests() >= 2, { what: 'two requests in flight' });
    expectFailure(await grpc.call('ModelInfer', body(1)), 'RESOURCE_EXHAUSTED', /handling 2 requests, its limit/);
    expect(isFailure(await first)).toBe(false);
    expect((await second).statusCode).toBe(200);
    expect(app.activeRequests()).toBe(0);
  }, 60_000);
});
