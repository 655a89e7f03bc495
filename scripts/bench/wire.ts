// The wire-format comparison: one KServe V2 inference request, a batch of Fashion-MNIST test
// images for fashion-cnn, encoded three ways — JSON tensors, Triton's binary tensor data
// extension over REST, and gRPC ModelInfer with raw_input_contents — so that only the encoding
// differs between the rows of the benchmark.
import { IMAGE_SIZE } from '../lib/fashion.ts';
import { loadFashionFixture } from '../lib/fixtures.ts';

export const WIRE_MODEL = 'fashion-cnn';
const INPUT = 'pixel_values';
const OUTPUT = 'logits';

/** `batch` test images as float32 [batch, 1, 28, 28], pixels / 255. */
export function pixelBatch(batch: number): { shape: number[]; data: Float32Array } {
  const { images } = loadFashionFixture();
  const data = Float32Array.from(images.subarray(0, batch * IMAGE_SIZE), (p) => p / 255);
  return { shape: [batch, 1, 28, 28], data };
}

/** The JSON body of the V2 infer route. */
export function jsonBody(batch: number): string {
  const { shape, data } = pixelBatch(batch);
  return JSON.stringify({ inputs: [{ name: INPUT, datatype: 'FP32', shape, data: Array.from(data) }], outputs: [{ name: OUTPUT }] });
}

/** The binary-extension body: a JSON header of `headerLength` bytes, then the input's raw bytes; outputs asked for raw. */
export function binaryBody(batch: number): { body: Buffer; headers: Record<string, string> } {
  const { shape, data } = pixelBatch(batch);
  const raw = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  const header = Buffer.from(
    JSON.stringify({
      inputs: [{ name: INPUT, datatype: 'FP32', shape, parameters: { binary_data_size: raw.length } }],
      outputs: [{ name: OUTPUT, parameters: { binary_data: true } }],
    }),
  );
  return {
    body: Buffer.concat([header, raw]),
    headers: { 'content-type': 'application/octet-stream', 'inference-header-content-length': String(header.length) },
  };
}

/** The gRPC ModelInferRequest as a plain object for @grpc/proto-loader (bytes as Buffers). */
export function grpcRequest(batch: number): object {
  const { shape, data } = pixelBatch(batch);
  return {
    model_name: WIRE_MODEL,
    inputs: [{ name: INPUT, datatype: 'FP32', shape }],
    outputs: [{ name: OUTPUT }],
    raw_input_contents: [Buffer.from(data.buffer, data.byteOffset, data.byteLength)],
  };
}
