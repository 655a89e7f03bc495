// Triton's binary tensor data extension on the V2 infer route: binary inputs give the JSON
// request's result, binary outputs decode to the JSON values, malformed framing is a 400 that
// says what is wrong, and JSON stays the default.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SHARED, testApp } from '../helpers/app.ts';

const HAVE_SHARED = fs.existsSync(SHARED);
if (!HAVE_SHARED) console.warn(`\n*** SKIPPED: ${SHARED} is absent, so the binary-extension tests on foreign models (BYTES outputs, int64 token ids) did not run ***\n`);

let app: FastifyInstance;
beforeAll(async () => {
  app = await testApp();
});
afterAll(async () => {
  await app.close();
});

const f32 = (values: number[]) => Buffer.from(Float32Array.from(values).buffer);
const i64 = (values: number[]) => Buffer.from(BigInt64Array.from(values, BigInt).buffer);

/** A binary-extension body: the JSON header, then the given chunks. */
function framed(header: object, ...chunks: Buffer[]): { body: Buffer; length: number } {
  const json = Buffer.from(JSON.stringify(header));
  return { body: Buffer.concat([json, ...chunks]), length: json.byteLength };
}

function post(model: string, payload: Buffer | string | object, headers: Record<string, string> = {}) {
  return app.inject({ method: 'POST', url: `/v2/models/${model}/infer`, headers, payload: payload as Buffer });
}

function postBinary(model: string, header: object, chunks: Buffer[], contentType = 'application/octet-stream') {
  const { body, length } = framed(header, ...chunks);
  return post(model, body, { 'content-type': contentType, 'inference-header-content-length': String(length) });
}

/** Splits a binary response into its JSON header and each binary output's bytes, by name. */
function decode(res: LightMyRequestResponse): {
  header: { outputs: { name: string; datatype: string; shape: number[]; data?: unknown[]; parameters?: { binary_data_size: number } }[] } & Record<string, unknown>;
  raw: Record<string, Buffer>;
} {
  const length = Number(res.headers[HEADER]);
  const body = res.rawPayload;
  const header = JSON.parse(body.subarray(0, length).toString('utf8'));
  const raw: Record<string, Buffer> = {};
  let at = length;
  for (const o of header.outputs) {
    const size = o.parameters?.binary_data_size;
    if (size === undefined) continue;
    raw[o.name] = body.subarray(at, at + size);
    at += size;
  }
  expect(at).toBe(body.byteLength);
  return { header, raw };
}
const HEADER = 'inference-header-content-length';
const floats = (b: Buffer) => Array.from(new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength)));

function expect400(res: LightMyRequestResponse, message: string | RegExp) {
  expect(res.statusCode, res.body).toBe(400);
  expect(res.headers['content-type']).toMatch(/^application\/json/);
  const { error } = res.json();
  if (typeof message === 'string') expect(error).toBe(message);
  else expect(error).toMatch(message);
}

const pixels = Array.from({ length: 2 * 28 * 28 }, (_, i) => ((i * 37) % 255) / 255);
const fashionJson = { id: 'req-7', inputs: [{ name: 'pixel_values', datatype: 'FP32', shape: [2, 1, 28, 28], data: pixels }] };
const fashionBinaryInput = { name: 'pixel_values', datatype: 'FP32', shape: [2, 1, 28, 28], parameters: { binary_data_size: pixels.length * 4 } };

describe('binary inputs and outputs', () => {
  it('reports binary_tensor_data among the server extensions', async () => {
    expect((await app.inject('/v2')).json().extensions).toContain('binary_tensor_data');
  });

  it("binary inputs give the JSON request's result; JSON stays the default response", async () => {
    const json = await post('fashion-cnn', fashionJson);
    expect(json.statusCode, json.body).toBe(200);
    const binary = await postBinary('fashion-cnn', { id: 'req-7', inputs: [fashionBinaryInput] }, [f32(pixels)]);
    expect(binary.statusCode, binary.body).toBe(200);
    expect(binary.headers['content-type']).toMatch(/^application\/json/);
    expect(binary.headers[HEADER]).toBeUndefined();
    expect(binary.json()).toEqual(json.json());
    expect(json.json()).toMatchObject({ model_name: 'fashion-cnn', id: 'req-7', outputs: [{ name: 'logits', datatype: 'FP32', shape: [2, 10] }] });
  });

  it('binary_data_output returns every output as binary data that decodes to the JSON values', async () => {
    const expected = (await post('fashion-cnn', fashionJson)).json().outputs[0].data as number[];
    const res = await postBinary('fashion-cnn', { id: 'req-8', inputs: [fashionBinaryInput], parameters: { binary_data_output: true } }, [f32(pixels)]);
    expect(res.statusCode, res.body).toBe(200);
    expect(res.headers['content-type']).toBe('application/octet-stream');
    const { header, raw } = decode(res);
    expect(header).toMatchObject({ model_name: 'fashion-cnn', model_version: '1', id: 'req-8' });
    expect(header.outputs).toEqual([{ name: 'logits', datatype: 'FP32', shape: [2, 10], parameters: { binary_data_size: 80 } }]);
    floats(raw.logits!).forEach((v, i) => expect(v).toBeCloseTo(expected[i]!, 5));
  });

  it("a JSON request (no Content-Type, as Triton's Python client sends it) may ask for one output as binary data", async () => {
    const expected = (await post('fashion-cnn', fashionJson)).json().outputs[0].data as number[];
    const body = Buffer.from(JSON.stringify({ ...fashionJson, outputs: [{ name: 'logits', parameters: { binary_data: true } }] }));
    const res = await app.inject({ method: 'POST', url: '/v2/models/fashion-cnn/versions/1/infer', payload: body, headers: { 'content-type': undefined as unknown as string } });
    expect(res.statusCode, res.body).toBe(200);
    floats(decode(res).raw.logits!).forEach((v, i) => expect(v).toBeCloseTo(expected[i]!, 5));
    // binary_data: false on the output overrides binary_data_output.
    const json = await post('fashion-cnn', { ...fashionJson, parameters: { binary_data_output: true }, outputs: [{ name: 'logits', parameters: { binary_data: false } }] });
    expect(json.headers['content-type']).toMatch(/^application\/json/);
    expect(json.json().outputs[0].data).toEqual(expected);
  });

  it("mixes JSON and binary inputs (FP32 and INT64) in one request, in the header's order", async () => {
    const z = Array.from({ length: 3 * 64 }, (_, i) => Math.sin(i));
    const labels = [0, 4, 9];
    const json = await post('fashion-dcgan', {
      inputs: [
        { name: 'z', datatype: 'FP32', shape: [3, 64], data: z },
        { name: 'label', datatype: 'INT64', shape: [3], data: labels },
      ],
    });
    expect(json.statusCode, json.body).toBe(200);
    const both = await postBinary(
      'fashion-dcgan',
      {
        inputs: [
          { name: 'label', datatype: 'INT64', shape: [3], parameters: { binary_data_size: 24 } },
          { name: 'z', datatype: 'FP32', shape: [3, 64], parameters: { binary_data_size: z.length * 4 } },
        ],
        parameters: { binary_data_output: true },
      },
      [i64(labels), f32(z)],
    );
    expect(both.statusCode, both.body).toBe(200);
    const image = floats(decode(both).raw.image!);
    const expected = json.json().outputs[0].data as number[];
    expect(image).toHaveLength(3 * 28 * 28);
    image.forEach((v, i) => expect(v).toBeCloseTo(expected[i]!, 4));
    const mixed = await postBinary(
      'fashion-dcgan',
      {
        inputs: [
          { name: 'z', datatype: 'FP32', shape: [3, 64], data: z },
          { name: 'label', datatype: 'INT64', shape: [3], parameters: { binary_data_size: 24 } },
        ],
      },
      [i64(labels)],
    );
    expect(mixed.json()).toEqual(json.json());
  });

  it("reads the header length from SageMaker's content type and answers in kind", async () => {
    const { body, length } = framed({ inputs: [fashionBinaryInput], parameters: { binary_data_output: true } }, f32(pixels));
    const res = await post('fashion-cnn', body, { 'content-type': `application/vnd.sagemaker-triton.binary+json;json-header-size=${length}` });
    expect(res.statusCode, res.body).toBe(200);
    const headerLength = Number(res.headers[HEADER]);
    expect(res.headers['content-type']).toBe(`application/vnd.sagemaker-triton.binary+json;json-header-size=${headerLength}`);
    expect(decode(res).header.outputs[0]).toMatchObject({ name: 'logits', parameters: { binary_data_size: 80 } });
  });

  it('takes a raw binary request (Inference-Header-Content-Length: 0) for a one-input model, every output binary', async () => {
    const expected = (await post('fashion-cnn', fashionJson)).json().outputs[0].data as number[];
    const res = await post('fashion-cnn', f32(pixels), { 'content-type': 'application/octet-stream', [HEADER]: '0' });
    expect(res.statusCode, res.body).toBe(200);
    const { header, raw } = decode(res);
    expect(header.outputs[0]).toMatchObject({ name: 'logits', shape: [2, 10] });
    floats(raw.logits!).forEach((v, i) => expect(v).toBeCloseTo(expected[i]!, 5));
    expect400(
      await post('fashion-cnn', f32(pixels.slice(1)), { 'content-type': 'application/octet-stream', [HEADER]: '0' }),
      "a raw binary request of 6268 bytes does not fit input 'pixel_values' ([-1,1,28,28] of FP32, 3136 bytes per step of the free dimension)",
    );
    expect400(
      await post('fashion-dcgan', f32(pixels), { 'content-type': 'application/octet-stream', [HEADER]: '0' }),
      "a raw binary request (Inference-Header-Content-Length: 0) needs a model with one input; 'fashion-dcgan' has 2: send a JSON header",
    );
    expect((await post('nope', f32(pixels), { 'content-type': 'application/octet-stream', [HEADER]: '0' })).statusCode).toBe(404);
  });
});

describe('malformed binary requests are 400s with a message', () => {
  const good = () => framed({ inputs: [fashionBinaryInput] }, f32(pixels));
  const raw = (body: Buffer, headers: Record<string, string>) => post('fashion-cnn', body, { 'content-type': 'application/octet-stream', ...headers });

  it('header length missing, not a number, or larger than the body', async () => {
    const { body, length } = good();
    expect400(await raw(body, {}), 'an application/octet-stream body needs the Inference-Header-Content-Length header: the byte length of the JSON header before the binary tensor data');
    expect400(await raw(body, { [HEADER]: 'twelve' }), 'Inference-Header-Content-Length must be a byte count (a non-negative integer), got "twelve"');
    expect400(await raw(body, { [HEADER]: '-5' }), /must be a byte count/);
    expect400(await raw(body, { [HEADER]: '1e3' }), /must be a byte count/);
    expect400(await raw(body, { [HEADER]: String(body.byteLength + 1) }), `Inference-Header-Content-Length ${body.byteLength + 1} is larger than the body (${body.byteLength} bytes)`);
    expect400(
      await post('fashion-cnn', body, { 'content-type': 'application/vnd.sagemaker-triton.binary+json;json-header-size=x' }),
      'json-header-size must be a byte count (a non-negative integer), got "x"',
    );
    expect((await raw(body, { [HEADER]: String(length) })).statusCode).toBe(200);
    const xml = await post('fashion-cnn', '<inputs/>', { 'content-type': 'application/xml' });
    expect(xml.statusCode).toBe(415);
    expect(xml.json()).toEqual({ error: "Content-Type 'application/xml' is not accepted here; send application/json, or a JSON header and binary tensor data with Inference-Header-Content-Length" });
  });

  it('a header that is not JSON, or not an inference request', async () => {
    const { body, length } = good();
    expect400(await raw(body, { [HEADER]: String(length - 1) }), `the JSON header (the first ${length - 1} bytes, per Inference-Header-Content-Length) is not valid JSON`);
    expect400(await raw(body, { [HEADER]: String(length + 3) }), /is not valid JSON/);
    expect400(await postBinary('fashion-cnn', { inputs: 'pixels' }, [f32([1])]), 'the body has 4 bytes of binary data after the JSON header, but the header has no inputs to give them to');
    expect400(await postBinary('fashion-cnn', { inputs: [] }, []), /inputs/);
    expect400(await postBinary('fashion-cnn', { inputs: [{ ...fashionBinaryInput, datatype: 7 }] }, [f32(pixels)]), /datatype/);
  });

  it('sizes that do not add up to the body', async () => {
    expect400(
      await postBinary('fashion-cnn', { inputs: [fashionBinaryInput] }, [f32(pixels), Buffer.alloc(3)]),
      "the body has 6275 bytes of binary data after the JSON header, but the inputs' binary_data_size add up to 6272",
    );
    expect400(
      await postBinary('fashion-cnn', { inputs: [fashionBinaryInput] }, [f32(pixels.slice(2))]),
      "input 'pixel_values': binary_data_size 6272 runs past the end of the body (6264 bytes of binary data after the JSON header, 0 used by earlier inputs)",
    );
    expect400(
      await postBinary('fashion-cnn', { inputs: [{ ...fashionBinaryInput, parameters: { binary_data_size: '6272' } }] }, [f32(pixels)]),
      'input \'pixel_values\': parameters.binary_data_size must be a non-negative integer, got "6272"',
    );
    expect400(await postBinary('fashion-cnn', { inputs: [{ ...fashionBinaryInput, parameters: { binary_data_size: -1 } }] }, []), /must be a non-negative integer, got -1/);
  });

  it("a binary_data_size the tensor's shape and datatype cannot have", async () => {
    const shape = [1, 1, 28, 28];
    expect400(
      await postBinary('fashion-cnn', { inputs: [{ ...fashionBinaryInput, shape }] }, [f32(pixels)]),
      "input 'pixel_values': 6272 bytes of raw data do not fill shape [1,1,28,28] of FP32 (3136 bytes expected: 784 × 4)",
    );
    expect400(await postBinary('fashion-cnn', { inputs: [{ ...fashionBinaryInput, datatype: 'FP64' }] }, [f32(pixels)]), "input 'pixel_values': datatype FP64 does not match the model's FP32");
    expect400(await postBinary('fashion-cnn', { inputs: [{ ...fashionBinaryInput, data: pixels }] }, [f32(pixels)]), "input 'pixel_values' has both data and binary data; send one");
  });

  it('binary parameters without binary data, or of the wrong type', async () => {
    expect400(
      await post('fashion-cnn', { inputs: [fashionBinaryInput] }),
      "input 'pixel_values' has parameters.binary_data_size but the request carries no binary data: send the Inference-Header-Content-Length header with the byte length of the JSON header before the data",
    );
    expect400(await post('fashion-cnn', { ...fashionJson, parameters: { binary_data_output: 'yes' } }), 'parameters.binary_data_output must be true or false, got "yes"');
    expect400(await post('fashion-cnn', { ...fashionJson, outputs: [{ name: 'logits', parameters: { binary_data: 1 } }] }), "output 'logits': parameters.binary_data must be true or false, got 1");
    expect400(await post('fashion-cnn', { inputs: [{ name: 'pixel_values', datatype: 'FP32', shape: [1, 1, 28, 28] }] }), "input 'pixel_values' has no data");
  });

  it('still serves the next request', async () => {
    expect((await post('fashion-cnn', fashionJson)).statusCode).toBe(200);
  });
});

describe.skipIf(!HAVE_SHARED)('foreign models: BYTES outputs and int64 token ids', () => {
  let foreign: FastifyInstance;
  const repo = fs.mkdtempSync(path.join(os.tmpdir(), 'ortserve-v2-binary-'));
  beforeAll(async () => {
    for (const [name, file] of [
      ['squeezenet', 'squeezenet/squeezenet_tensor_input.onnx'],
      ['tiny-distilbert', 'optimum_tiny_bert/model.onnx'],
    ] as const) {
      fs.mkdirSync(path.join(repo, name));
      fs.symlinkSync(path.join(SHARED, file), path.join(repo, name, 'model.onnx'));
    }
    foreign = await testApp({ ORTSERVE_MODELS: repo });
  });
  afterAll(async () => {
    await foreign?.close();
    fs.rmSync(repo, { recursive: true, force: true });
  });
  const infer = (model: string, payload: Buffer | object, headers: Record<string, string> = {}) =>
    foreign.inject({ method: 'POST', url: `/v2/models/${model}/infer`, headers, payload: payload as Buffer });

  it('a BYTES output comes back as length-prefixed strings equal to the JSON strings', async () => {
    const image = Array.from({ length: 3 * 227 * 227 }, (_, i) => (i % 251) / 251);
    const input = { name: 'data', datatype: 'FP32', shape: [1, 3, 227, 227] };
    const json = await infer('squeezenet', { inputs: [{ ...input, data: image }], outputs: [{ name: 'classLabel' }] });
    expect(json.statusCode, json.body).toBe(200);
    const labels = json.json().outputs[0].data as string[];
    const { body, length } = framed({ inputs: [{ ...input, parameters: { binary_data_size: image.length * 4 } }], outputs: [{ name: 'classLabel', parameters: { binary_data: true } }] }, f32(image));
    const res = await infer('squeezenet', body, { 'content-type': 'application/octet-stream', [HEADER]: String(length) });
    expect(res.statusCode, res.body).toBe(200);
    const { header, raw } = decode(res);
    expect(header.outputs[0]).toMatchObject({ name: 'classLabel', datatype: 'BYTES', shape: json.json().outputs[0].shape });
    const bytes = raw.classLabel!;
    const strings: string[] = [];
    for (let at = 0; at < bytes.byteLength;) {
      const n = bytes.readUInt32LE(at);
      strings.push(bytes.toString('utf8', at + 4, at + 4 + n));
      at += 4 + n;
    }
    expect(strings).toEqual(labels);
  });

  it('int64 token ids sent as binary give the JSON result', async () => {
    const ids = [101, 2829, 4419, 14523, 2058, 1996, 13971, 3899, 102];
    const mask = ids.map(() => 1);
    const shape = [1, ids.length];
    const json = await infer('tiny-distilbert', {
      inputs: [
        { name: 'input_ids', datatype: 'INT64', shape, data: ids },
        { name: 'attention_mask', datatype: 'INT64', shape, data: mask },
      ],
    });
    expect(json.statusCode, json.body).toBe(200);
    const { body, length } = framed(
      {
        inputs: [
          { name: 'input_ids', datatype: 'INT64', shape, parameters: { binary_data_size: 72 } },
          { name: 'attention_mask', datatype: 'INT64', shape, parameters: { binary_data_size: 72 } },
        ],
      },
      i64(ids),
      i64(mask),
    );
    const res = await infer('tiny-distilbert', body, { 'content-type': 'application/octet-stream', [HEADER]: String(length) });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toEqual(json.json());
  });
});
