// BASELINE, not ortserve: what a Node developer would write instead — transformers.js's
// feature-extraction pipeline on bert-mini in a Fastify route (mean pooling, normalised), the
// model read from a local folder in transformers.js's layout, nothing from a hub. The folder is
// built at start: config.json, the tokenizer files, and onnx/model.onnx with bert-mini's encoder
// weights inlined (transformers.js reads one file; bert-mini keeps its weights in weights.bin).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { env, pipeline } from '@huggingface/transformers';
import Fastify from 'fastify';
import onnxProto from 'onnx-proto';
import { modelPath, readManifest } from '../lib/paths.ts';

const { onnx } = onnxProto;
const manifest = readManifest<{ graphs: { encoder: string }; tokenizer: string; max_length: number }>('bert-mini');

/** The encoder graph with every external initializer's bytes copied into the model itself. */
function inlinedEncoder(): Uint8Array {
  const model = onnx.ModelProto.decode(fs.readFileSync(modelPath('bert-mini', manifest.graphs.encoder)));
  for (const t of model.graph?.initializer ?? []) {
    if (t.dataLocation !== onnx.TensorProto.DataLocation.EXTERNAL) continue;
    const info = Object.fromEntries((t.externalData ?? []).map((e) => [e.key, e.value]));
    const bytes = fs.readFileSync(modelPath('bert-mini', info.location));
    const offset = Number(info.offset ?? 0);
    t.rawData = bytes.subarray(offset, offset + Number(info.length ?? bytes.length - offset));
    t.externalData = [];
    t.dataLocation = onnx.TensorProto.DataLocation.DEFAULT;
  }
  return onnx.ModelProto.encode(model).finish();
}

function modelFolder(): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'transformers-js-'));
  const dir = path.join(root, 'bert-mini');
  fs.mkdirSync(path.join(dir, 'onnx'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'onnx/model.onnx'), inlinedEncoder());
  fs.copyFileSync(modelPath('bert-mini', manifest.tokenizer), path.join(dir, 'tokenizer.json'));
  const config = {
    architectures: ['BertModel'],
    model_type: 'bert',
    vocab_size: 8192,
    hidden_size: 256,
    num_hidden_layers: 4,
    num_attention_heads: 4,
    intermediate_size: 1024,
    max_position_embeddings: manifest.max_length,
    type_vocab_size: 2,
  };
  fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify(config));
  fs.writeFileSync(path.join(dir, 'tokenizer_config.json'), JSON.stringify({ model_max_length: manifest.max_length, do_lower_case: true, tokenizer_class: 'BertTokenizer' }));
  return root;
}

env.allowRemoteModels = false;
env.localModelPath = modelFolder();
const extractor = await pipeline('feature-extraction', 'bert-mini', { dtype: 'fp32' });

const app = Fastify({ bodyLimit: 8 * 1024 * 1024 });
app.get('/health/live', async () => ({ status: 'ok' }));
app.post('/v1/models/bert-mini/embed', async (request) => {
  const { inputs } = request.body as { inputs: string | string[] };
  const output = await extractor(inputs, { pooling: 'mean', normalize: true });
  return { model: 'bert-mini', embeddings: output.tolist() };
});

await app.listen({ host: '127.0.0.1', port: Number(process.env.PORT ?? 0) });
