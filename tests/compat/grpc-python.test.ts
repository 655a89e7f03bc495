// A gRPC client nobody here wrote: Debian's python3-grpcio with stubs that grpc_tools.protoc
// compiles from the vendored official proto (tests/compat/grpc_v2_client.py) drives the real
// server on a real port. Its report must match REST V2 (metadata, outputs) and, for the model-zoo
// MNIST served with no manifest, the test vectors within 1e-3; errors must carry the right status
// codes. Skipped, loudly, when the Python packages are missing (.ci/run installs them).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fashionSample } from '../../scripts/lib/fixtures.ts';
import { freePort } from '../../scripts/bench/processes.ts';
import { PROTO_FILES } from '../../server/protocols/grpc/proto.ts';
import { MODELS, ROOT, SHARED } from '../helpers/app.ts';
import { readTensorPb } from '../helpers/onnx-pb.ts';
import { startServer, type ServerProcess } from '../helpers/server-process.ts';
import { slowModelRepository, WIDTH } from '../helpers/slow-model.ts';

const PYTHON = '/usr/bin/python3';
const HAVE_PY = spawnSync(PYTHON, ['-c', 'import grpc, grpc_tools.protoc, google.protobuf'], { stdio: 'ignore' }).status === 0;
if (!HAVE_PY)
  console.warn(`\n*** SKIPPED: ${PYTHON} cannot import grpc and grpc_tools (apt-get install python3-grpcio python3-grpc-tools; .ci/run does), so the Python gRPC client test did not run ***\n`);
const MNIST = path.join(SHARED, 'mnist');
const HAVE_MNIST = fs.existsSync(path.join(MNIST, 'mnist.onnx'));
if (HAVE_PY && !HAVE_MNIST) console.warn(`\n*** SKIPPED: ${MNIST} is absent, so the Python gRPC client did not run the model-zoo MNIST ***\n`);

const QUEUE = 2;
type Report = Record<string, any>;

/** Fashion-MNIST test images 0..n-1, normalised as fashion-cnn's manifest says. */
function fashionPixels(n: number): number[] {
  const { scale, mean, std } = JSON.parse(fs.readFileSync(path.join(MODELS, 'fashion-cnn/manifest.json'), 'utf8')).image;
  return Array.from({ length: n }, (_, i) => Array.from(fashionSample(i).pixels, (p) => (p * scale - mean[0]) / std[0])).flat();
}

function expectClose(actual: number[], expected: number[], tolerance: number): void {
  expect(actual).toHaveLength(expected.length);
  const worst = Math.max(...actual.map((v, i) => Math.abs(v - expected[i]!)));
  expect(worst).toBeLessThan(tolerance);
}

describe.skipIf(!HAVE_PY)('Python grpcio client (Debian packages, stubs compiled from the official proto)', () => {
  let srv: ServerProcess;
  let report: Report;
  const repo = fs.mkdtempSync(path.join(os.tmpdir(), 'ortserve-grpc-py-'));
  const cnn = fashionPixels(2);
  const mnistIn = HAVE_MNIST ? readTensorPb(path.join(MNIST, 'test_data_set_0/input_0.pb')) : undefined;

  const post = async (url: string, body: object) => (await fetch(`${srv.url}${url}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })).json();

  beforeAll(async () => {
    fs.cpSync(path.join(MODELS, 'fashion-cnn'), path.join(repo, 'fashion-cnn'), { recursive: true });
    const slow = slowModelRepository({ layers: 1500, batching: { max_batch_size: 1, max_queue_size: QUEUE, max_queue_delay_ms: 0 } });
    fs.cpSync(path.join(slow, 'slow'), path.join(repo, 'slow'), { recursive: true });
    if (HAVE_MNIST) {
      // Served with no manifest: a folder holding only model.onnx.
      fs.mkdirSync(path.join(repo, 'mnist'));
      fs.symlinkSync(path.join(MNIST, 'mnist.onnx'), path.join(repo, 'mnist', 'model.onnx'));
    }
    const grpcPort = await freePort();
    srv = await startServer({ ORTSERVE_MODELS: repo, ORTSERVE_GRPC_PORT: String(grpcPort) });

    const cnnInput = (datatype = 'FP32', shape = [2, 1, 28, 28]) => ({ name: 'pixel_values', datatype, shape, values: cnn });
    const mnist = (raw: boolean) => ({ model: 'mnist', id: raw ? 'mnist-raw' : 'mnist-typed', raw, inputs: [{ name: 'Input3', datatype: 'FP32', shape: mnistIn!.dims, values: mnistIn!.data }] });
    const steps = [
      { id: 'live', method: 'ServerLive' },
      { id: 'ready', method: 'ServerReady' },
      { id: 'server', method: 'ServerMetadata' },
      { id: 'meta-cnn', method: 'ModelMetadata', request: { name: 'fashion-cnn' } },
      { id: 'ready-cnn', method: 'ModelReady', request: { name: 'fashion-cnn' } },
      { id: 'cnn-typed', method: 'ModelInfer', infer: { model: 'fashion-cnn', id: 'py-typed', inputs: [cnnInput()] } },
      { id: 'cnn-raw', method: 'ModelInfer', infer: { model: 'fashion-cnn', id: 'py-raw', raw: true, inputs: [cnnInput()], outputs: ['logits'] } },
      ...(HAVE_MNIST
        ? [
            { id: 'meta-mnist', method: 'ModelMetadata', request: { name: 'mnist' } },
            { id: 'mnist-raw', method: 'ModelInfer', infer: mnist(true) },
            { id: 'mnist-typed', method: 'ModelInfer', infer: mnist(false) },
          ]
        : []),
      { id: 'bad-shape', method: 'ModelInfer', infer: { model: 'fashion-cnn', inputs: [{ ...cnnInput('FP32', [2, 28, 28]) }] } },
      { id: 'bad-dtype', method: 'ModelInfer', infer: { model: 'fashion-cnn', inputs: [cnnInput('FP64')] } },
      { id: 'unknown-model', method: 'ModelInfer', infer: { model: 'no-such-model', inputs: [cnnInput()] } },
      { id: 'unknown-meta', method: 'ModelMetadata', request: { name: 'no-such-model' } },
      // A long call holds the slow model's only instance; then more than its queue takes at once.
      { id: 'blocker', method: 'ModelInfer', background: true, infer: { model: 'slow', raw: true, inputs: [{ name: 'x', datatype: 'FP32', shape: [256, WIDTH], fill: 1 }] } },
      { sleep: 0.3 },
      { id: 'burst', method: 'ModelInfer', count: QUEUE + 6, infer: { model: 'slow', raw: true, inputs: [{ name: 'x', datatype: 'FP32', shape: [1, WIDTH], fill: 2 }] } },
    ];
    const planFile = path.join(repo, 'plan.json');
    fs.writeFileSync(planFile, JSON.stringify({ address: `127.0.0.1:${grpcPort}`, proto: PROTO_FILES.inference, steps }));
    const run = spawnSync(PYTHON, [path.join(ROOT, 'tests/compat/grpc_v2_client.py'), planFile], { encoding: 'utf8', timeout: 120_000, maxBuffer: 64 << 20 });
    if (run.status !== 0) throw new Error(`grpc_v2_client.py exited ${run.status}:\n${run.stderr}`);
    report = JSON.parse(run.stdout);
  }, 180_000);
  afterAll(async () => {
    srv?.proc.kill('SIGTERM');
    await srv?.exited;
    fs.rmSync(repo, { recursive: true, force: true });
  });

  const numbers = (meta: any) => ({
    ...meta,
    inputs: meta.inputs.map((t: any) => ({ ...t, shape: t.shape.map(Number) })),
    outputs: meta.outputs.map((t: any) => ({ ...t, shape: t.shape.map(Number) })),
  });

  it('health and metadata match REST', async () => {
    expect(report.live).toEqual({ live: true });
    expect(report.ready).toEqual({ ready: true });
    expect(report.server).toEqual(await (await fetch(`${srv.url}/v2`)).json());
    expect(numbers(report['meta-cnn'])).toEqual(await (await fetch(`${srv.url}/v2/models/fashion-cnn`)).json());
    expect(report['ready-cnn']).toEqual({ ready: true });
    if (HAVE_MNIST) expect(numbers(report['meta-mnist'])).toEqual(await (await fetch(`${srv.url}/v2/models/mnist`)).json());
  });

  it('ModelInfer on fashion-cnn (typed contents, and raw bytes) equals REST V2; ids echoed', async () => {
    const rest = await post('/v2/models/fashion-cnn/infer', { inputs: [{ name: 'pixel_values', datatype: 'FP32', shape: [2, 1, 28, 28], data: cnn }] });
    for (const [key, id, raw] of [
      ['cnn-typed', 'py-typed', false],
      ['cnn-raw', 'py-raw', true],
    ] as const) {
      const r = report[key];
      expect(r).toMatchObject({ model_name: 'fashion-cnn', model_version: '1', id });
      expect(r.outputs).toHaveLength(1);
      expect(r.outputs[0]).toMatchObject({ name: 'logits', datatype: 'FP32', shape: [2, 10], raw });
      expectClose(r.outputs[0].data, rest.outputs[0].data, 1e-5);
    }
  });

  it.skipIf(!HAVE_MNIST)('ModelInfer on the model-zoo MNIST (no manifest) equals REST V2 and its test vectors within 1e-3', async () => {
    const expected = readTensorPb(path.join(MNIST, 'test_data_set_0/output_0.pb'));
    const rest = await post('/v2/models/mnist/infer', { inputs: [{ name: 'Input3', datatype: 'FP32', shape: mnistIn!.dims, data: mnistIn!.data }] });
    for (const key of ['mnist-raw', 'mnist-typed']) {
      const out = report[key].outputs[0];
      expect(out.shape).toEqual(expected.dims);
      expectClose(out.data, expected.data, 1e-3);
      expectClose(out.data, rest.outputs[0].data, 1e-5);
    }
  });

  it('a wrong shape or datatype → INVALID_ARGUMENT with a message; an unknown model → NOT_FOUND', () => {
    expect(report['bad-shape']).toEqual({ code: 'INVALID_ARGUMENT', details: expect.stringMatching(/input 'pixel_values': shape \[2,28,28\] has 3 dimensions, the model expects 4/) });
    expect(report['bad-dtype']).toEqual({ code: 'INVALID_ARGUMENT', details: expect.stringMatching(/datatype FP64 does not match the model's FP32/) });
    expect(report['unknown-model']).toEqual({ code: 'NOT_FOUND', details: "Model 'no-such-model' not found" });
    expect(report['unknown-meta']).toEqual({ code: 'NOT_FOUND', details: "Model 'no-such-model' not found" });
  });

  it('more calls than the queue holds → RESOURCE_EXHAUSTED for the rest; the accepted ones answer', () => {
    const burst: any[] = report.burst;
    const refused = burst.filter((r) => r.code === 'RESOURCE_EXHAUSTED');
    expect(refused.length).toBeGreaterThanOrEqual(burst.length - QUEUE);
    for (const r of refused) expect(r.details).toMatch(/Model 'slow' is overloaded: its queue is full/);
    for (const r of burst.filter((x) => !x.code)) expect(r.outputs[0].data.every((v: number) => v === 2)).toBe(true);
    expect(report.blocker.outputs[0].shape).toEqual([256, WIDTH]);
  });
});
