// FP16 tensors in and out over the three V2 wire formats, on the fixture graphs of tests/fixtures/fp16/
// (fp16-affine: FP16 x → FP16 y = 2x + 1; fp16-cast: FP32 x → FP16 y = 2x + 1): V2 JSON, the REST
// binary tensor data extension (2-byte little-endian halves) and gRPC (raw contents only: FP16 has no
// typed field).
import path from 'node:path';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, testApp } from '../helpers/app.ts';
import { grpcFor, type GrpcClient } from '../helpers/grpc.ts';

const REPO = path.join(ROOT, 'tests/fixtures/fp16');
const HEADER = 'inference-header-content-length';
const X = [0.5, -1, 3, 0.001, 100, -0.25];
const Y = X.map((x) => 2 * Math.f16round(x) + 1);
/** fp16 keeps 11 significant bits: a relative error of 2^-11 per rounding. */
const close = (got: number[], want: number[]) => {
  expect(got).toHaveLength(want.length);
  got.forEach((v, i) => expect(Math.abs(v - want[i]!)).toBeLessThanOrEqual(Math.abs(want[i]!) * 2 ** -10 + 1e-6));
};
const halves = (values: number[]) => Buffer.from(Float16Array.from(values).buffer);
const fromHalves = (b: Uint8Array) => Array.from(new Float16Array(new Uint8Array(b).buffer));

let app: FastifyInstance;
let grpc: GrpcClient;
beforeAll(async () => {
  app = await testApp({ ORTSERVE_MODELS: REPO });
  grpc = await grpcFor(app);
});
afterAll(async () => {
  grpc?.close();
  await app?.close();
});

const infer = (model: string, payload: object | Buffer, headers: Record<string, string> = {}) => app.inject({ method: 'POST', url: `/v2/models/${model}/infer`, headers, payload: payload as Buffer });

function binaryOutput(res: LightMyRequestResponse): { header: { outputs: { name: string; datatype: string; shape: number[] }[] }; raw: Buffer } {
  expect(res.statusCode, res.body).toBe(200);
  const length = Number(res.headers[HEADER]);
  return { header: JSON.parse(res.rawPayload.subarray(0, length).toString('utf8')), raw: res.rawPayload.subarray(length) };
}

describe('FP16 over V2 JSON', () => {
  it('metadata says FP16', async () => {
    const meta = (await app.inject('/v2/models/fp16-affine')).json();
    expect(meta.inputs).toEqual([{ name: 'x', datatype: 'FP16', shape: [-1, 3] }]);
    expect(meta.outputs).toEqual([{ name: 'y', datatype: 'FP16', shape: [-1, 3] }]);
  });

  it('FP16 numbers in, FP16 numbers out, batch 1 and batch 2 alike', async () => {
    const two = await infer('fp16-affine', { inputs: [{ name: 'x', datatype: 'FP16', shape: [2, 3], data: [X.slice(0, 3), X.slice(3)] }] });
    expect(two.statusCode, two.body).toBe(200);
    expect(two.json().outputs[0]).toMatchObject({ name: 'y', datatype: 'FP16', shape: [2, 3] });
    close(two.json().outputs[0].data, Y);
    const one = await infer('fp16-affine', { inputs: [{ name: 'x', datatype: 'FP16', shape: [1, 3], data: X.slice(3) }] });
    expect(one.statusCode, one.body).toBe(200);
    expect(one.json().outputs[0].data).toEqual(two.json().outputs[0].data.slice(3));
  });

  it('concurrent FP16 requests (batched by the scheduler) each get their own rows', async () => {
    const rows = [X.slice(0, 3), X.slice(3), X.slice(1, 4)];
    const answers = await Promise.all(rows.map((row) => infer('fp16-affine', { inputs: [{ name: 'x', datatype: 'FP16', shape: [1, 3], data: row }] })));
    answers.forEach((res, i) => {
      expect(res.statusCode, res.body).toBe(200);
      close(
        res.json().outputs[0].data,
        rows[i]!.map((x) => 2 * Math.f16round(x) + 1),
      );
    });
  });

  it('an FP32 input with an FP16 output', async () => {
    const res = await infer('fp16-cast', { inputs: [{ name: 'x', datatype: 'FP32', shape: [2, 3], data: X }] });
    expect(res.statusCode, res.body).toBe(200);
    close(res.json().outputs[0].data, Y);
  });

  it('a value past FP16 range is a 400 naming the tensor and the element', async () => {
    const res = await infer('fp16-affine', { inputs: [{ name: 'x', datatype: 'FP16', shape: [1, 3], data: [1, 70000, 2] }] });
    expect(res.statusCode, res.body).toBe(400);
    expect(res.json().error).toBe("input 'x': data[1] is 70000, expected a number within FP16's range (±65504)");
  });
});

describe('FP16 over the binary tensor data extension', () => {
  it('2-byte halves in, 2-byte halves out, equal to the JSON answer', async () => {
    const header = Buffer.from(JSON.stringify({ inputs: [{ name: 'x', datatype: 'FP16', shape: [2, 3], parameters: { binary_data_size: 12 } }], parameters: { binary_data_output: true } }));
    const res = await infer('fp16-affine', Buffer.concat([header, halves(X)]), { 'content-type': 'application/octet-stream', [HEADER]: String(header.byteLength) });
    const { header: head, raw } = binaryOutput(res);
    expect(head.outputs[0]).toMatchObject({ name: 'y', datatype: 'FP16', shape: [2, 3], parameters: { binary_data_size: 12 } });
    close(fromHalves(raw), Y);
  });

  it('a raw binary request (header length 0) carries FP16 too', async () => {
    const res = await infer('fp16-affine', halves(X), { 'content-type': 'application/octet-stream', [HEADER]: '0' });
    const { header: head, raw } = binaryOutput(res);
    expect(head.outputs[0]).toMatchObject({ datatype: 'FP16', shape: [2, 3] });
    close(fromHalves(raw), Y);
  });
});

describe('FP16 over gRPC', () => {
  it('raw_input_contents halves in, raw_output_contents halves out', async () => {
    const r = await grpc.ok('ModelInfer', { model_name: 'fp16-affine', inputs: [{ name: 'x', datatype: 'FP16', shape: [2, 3] }], raw_input_contents: [halves(X)] });
    expect(r.outputs[0]).toMatchObject({ name: 'y', datatype: 'FP16', shape: [2, 3] });
    expect(r.raw_output_contents).toHaveLength(1);
    close(fromHalves(r.raw_output_contents[0]), Y);
  });

  it('typed FP32 contents in, the FP16 output comes back raw', async () => {
    const r = await grpc.ok('ModelInfer', { model_name: 'fp16-cast', inputs: [{ name: 'x', datatype: 'FP32', shape: [2, 3], contents: { fp32_contents: X } }] });
    expect(r.outputs[0]).toMatchObject({ name: 'y', datatype: 'FP16', shape: [2, 3] });
    close(fromHalves(r.raw_output_contents[0]), Y);
  });
});
