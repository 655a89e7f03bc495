// A short KServe V2 gRPC client: grpc-js and the official proto (server/protocols/grpc/), no
// ortserve code. It prints the server's and a model's metadata, then sends one ModelInfer with
// raw input bytes (fashion-cnn: a Fashion-MNIST test image; any other model: zeros shaped by its
// metadata) and prints the outputs. scripts/docker-smoke.sh runs it against the container.
//
//   node scripts/grpc-client.ts [HOST:PORT] [MODEL]        (default localhost:8081 fashion-cnn)
import * as grpc from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { readFileSync } from 'node:fs';
import path from 'node:path';

const ROOT = path.resolve(import.meta.dirname, '..');
const proto = path.join(ROOT, 'server/protocols/grpc/grpc_predict_v2.proto');
const { inference } = grpc.loadPackageDefinition(loadSync(proto, { keepCase: true, longs: Number, defaults: true })) as any;
const [address = 'localhost:8081', model = 'fashion-cnn'] = process.argv.slice(2);
const client = new inference.GRPCInferenceService(address, grpc.credentials.createInsecure());

const call = (method: string, request: object): Promise<any> =>
  new Promise((resolve, reject) => client[method](request, { deadline: Date.now() + 30_000 }, (err: grpc.ServiceError | null, res: unknown) => (err ? reject(err) : resolve(res))));

const BYTES: Record<string, number> = { BOOL: 1, UINT8: 1, INT8: 1, UINT16: 2, INT16: 2, FP16: 2, UINT32: 4, INT32: 4, FP32: 4, UINT64: 8, INT64: 8, FP64: 8 };

/** Raw little-endian bytes of one input: the first test image for fashion-cnn, zeros otherwise. */
function inputBytes(datatype: string, shape: number[]): Buffer {
  const count = shape.reduce((a, b) => a * b, 1);
  if (model === 'fashion-cnn' && count === 28 * 28) {
    // tests/fixtures/fashion-mnist-test-1000.bin: 1,000 images of 28×28 bytes; image 0 is an ankle boot.
    const pixels = readFileSync(path.join(ROOT, 'tests/fixtures/fashion-mnist-test-1000.bin')).subarray(0, count);
    const { scale, mean, std } = JSON.parse(readFileSync(path.join(ROOT, 'models/fashion-cnn/manifest.json'), 'utf8')).image;
    return Buffer.from(Float32Array.from(pixels, (p) => (p * scale - mean[0]) / std[0]).buffer);
  }
  const width = BYTES[datatype];
  if (!width) throw new Error(`this example sends fixed-size datatypes only, not ${datatype}`);
  return Buffer.alloc(count * width);
}

try {
  const server = await call('ServerMetadata', {});
  console.log(`server: ${server.name} ${server.version}; extensions: ${server.extensions.join(', ') || 'none'}`);
  const meta = await call('ModelMetadata', { name: model });
  const show = (t: { name: string; datatype: string; shape: number[] }) => `${t.name} ${t.datatype} [${t.shape.join(', ')}]`;
  console.log(`model ${meta.name} (versions ${meta.versions.join(', ')}, ${meta.platform}): ${meta.inputs.map(show).join('; ')} → ${meta.outputs.map(show).join('; ')}`);

  const inputs = meta.inputs.map((t: { name: string; datatype: string; shape: number[] }) => ({ name: t.name, datatype: t.datatype, shape: t.shape.map((d) => (d < 0 ? 1 : d)) }));
  const res = await call('ModelInfer', {
    model_name: model,
    id: 'grpc-client-1',
    inputs,
    raw_input_contents: inputs.map((t: { datatype: string; shape: number[] }) => inputBytes(t.datatype, t.shape)),
  });
  res.outputs.forEach((o: { name: string; datatype: string; shape: number[] }, i: number) => {
    const raw: Buffer = res.raw_output_contents[i];
    const values = o.datatype === 'FP32' ? Array.from(new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength)), (v) => Number(v.toFixed(3))) : [`${raw.byteLength} bytes`];
    console.log(`ModelInfer ${res.id}: ${show(o)} = ${values.slice(0, 10).join(', ')}${values.length > 10 ? ', …' : ''}`);
  });
  client.close();
} catch (err) {
  const e = err as grpc.ServiceError;
  console.error(`grpc-client: ${e.code === undefined ? e.message : `${grpc.status[e.code]}: ${e.details}`}`);
  process.exit(1);
}
