// The manifest derived from Hugging Face folders (tests/fixtures/hf, a real optimum export, hand-made folders in a
// temp dir): task, labels, scores function, pooling, image spec, max_length, sources, fallbacks and bad files.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { deriveFromHuggingFace } from '../../server/repository/huggingface/index.ts';
import { deriveImageSpec } from '../../server/repository/huggingface/image.ts';
import { checkTaskFields, parseManifest } from '../../server/repository/manifest.ts';
import { readModel, scanRepository } from '../../server/repository/repository.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');
const FIXTURES = path.join(ROOT, 'tests/fixtures/hf');
const SHARED = path.resolve(ROOT, '../shared/real-models');
const HAVE_SHARED = fs.existsSync(path.join(SHARED, 'optimum_tiny_bert/config.json'));
if (!HAVE_SHARED) console.warn(`\n*** SKIPPED: ${SHARED}/optimum_tiny_bert is absent, so the real optimum export was not derived ***\n`);

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ortserve-hf-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** A model folder in the temp dir: JSON values are written as JSON, strings as they are. */
function folder(name: string, files: Record<string, unknown>): string {
  const dir = path.join(tmp, name);
  for (const [file, content] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    fs.writeFileSync(path.join(dir, file), typeof content === 'string' ? content : JSON.stringify(content));
  }
  return dir;
}

const derive = async (dir: string) => {
  const d = await deriveFromHuggingFace(dir);
  if (!d) throw new Error(`no config.json in ${dir}`);
  return d;
};
const NER = ['O', 'B-PER', 'I-PER', 'B-LOC', 'I-LOC', 'B-ORG', 'I-ORG'];
const bert = (architecture: string, extra: object = {}) => ({ architectures: [architecture], max_position_embeddings: 64, ...extra });
const TEXT = { 'model.onnx': '', 'tokenizer.json': '{}' };

describe('Hugging Face fixtures', () => {
  it('token-ner: token-classification, labels by index, model_max_length capped by max_position_embeddings', async () => {
    const d = await derive(path.join(FIXTURES, 'token-ner'));
    expect(d.manifest).toEqual({
      description: 'BertForTokenClassification (Hugging Face export)',
      graphs: { model: 'model.onnx' },
      task: 'token-classification',
      labels: NER,
      tokenizer: 'tokenizer.json',
      max_length: 64,
    });
    expect(d.sources).toEqual({
      description: 'config.json: architectures[0]',
      graphs: 'file: model.onnx',
      task: 'config.json: architectures[0] = "BertForTokenClassification"',
      labels: 'config.json: id2label',
      tokenizer: 'file: tokenizer.json',
      max_length: 'config.json: max_position_embeddings (tokenizer_config.json: model_max_length = 128 is larger)',
    });
    expect(d.warnings).toEqual([]);
    expect(d.manifest.aggregation_strategy).toBeUndefined();
  });

  it('multi-label: sigmoid, onnx/model.onnx, the 1e30 model_max_length sentinel ignored', async () => {
    const d = await derive(path.join(FIXTURES, 'multi-label'));
    expect(d.manifest).toMatchObject({
      task: 'text-classification',
      labels: ['animal', 'place', 'person', 'opinion'],
      function_to_apply: 'sigmoid',
      graphs: { model: 'onnx/model.onnx' },
      max_length: 64,
    });
    expect(d.sources).toMatchObject({
      function_to_apply: 'config.json: problem_type = "multi_label_classification"',
      max_length: 'config.json: max_position_embeddings',
      graphs: 'file: onnx/model.onnx',
    });
  });

  it('regression: one label gives the raw score; model_max_length below the positions is kept', async () => {
    const d = await derive(path.join(FIXTURES, 'regression'));
    expect(d.manifest).toMatchObject({ task: 'text-classification', labels: ['LABEL_0'], function_to_apply: 'none', max_length: 32 });
    expect(d.sources).toMatchObject({ function_to_apply: 'config.json: id2label has one label (regression)', max_length: 'tokenizer_config.json: model_max_length' });
  });

  it('st-cls: sentence-transformers CLS pooling, Normalize from modules.json, max_seq_length wins', async () => {
    const d = await derive(path.join(FIXTURES, 'st-cls'));
    expect(d.manifest).toEqual({
      description: 'BertModel (Hugging Face export)',
      graphs: { model: 'onnx/model.onnx' },
      task: 'text-embedding',
      tokenizer: 'tokenizer.json',
      max_length: 48,
      pooling: 'cls',
      normalize: true,
    });
    expect(d.sources).toMatchObject({
      task: 'modules.json (sentence-transformers)',
      pooling: '1_Pooling/config.json: pooling_mode_cls_token',
      normalize: 'modules.json: sentence_transformers.models.Normalize',
      max_length: 'sentence_bert_config.json: max_seq_length',
    });
  });

  it('masked-lm: fill-mask, max_length from max_position_embeddings when tokenizer_config has none', async () => {
    const d = await derive(path.join(FIXTURES, 'masked-lm'));
    expect(d.manifest).toMatchObject({ task: 'fill-mask', tokenizer: 'tokenizer.json', max_length: 64 });
    expect(d.manifest.labels).toBeUndefined();
  });

  it("image-classifier: ConvNeXt's crop_pct resizes the shortest edge to int(32 / 0.875) = 36, then crops 32", async () => {
    const d = await derive(path.join(FIXTURES, 'image-classifier'));
    expect(d.manifest).toEqual({
      description: 'ConvNextForImageClassification (Hugging Face export)',
      graphs: { model: 'model.onnx' },
      task: 'image-classification',
      labels: ['red', 'green', 'blue'],
      scores: 'logits',
      image: {
        width: 32,
        height: 32,
        channels: 3,
        layout: 'NCHW',
        fit: 'fill',
        invert: false,
        scale: 1 / 255,
        mean: [0.485, 0.456, 0.406],
        std: [0.229, 0.224, 0.225],
        resize: { shortest_edge: 36 },
        crop: { height: 32, width: 32 },
        resample: 'bicubic',
      },
    });
    expect(d.sources).toMatchObject({ image: 'preprocessor_config.json', labels: 'config.json: id2label' });
  });

  it('image-classifier-vit: an exact height × width resize, no crop, bilinear', async () => {
    const d = await derive(path.join(FIXTURES, 'image-classifier-vit'));
    expect(d.manifest.image).toEqual({
      width: 24,
      height: 24,
      channels: 3,
      layout: 'NCHW',
      fit: 'fill',
      invert: false,
      scale: 1 / 255,
      mean: [0.5, 0.5, 0.5],
      std: [0.5, 0.5, 0.5],
      resize: { height: 24, width: 24 },
      resample: 'bilinear',
    });
    expect(d.manifest.graphs).toEqual({ model: 'onnx/model.onnx' });
  });

  it('every fixture derives a manifest the schema accepts, with no warnings', async () => {
    for (const name of fs.readdirSync(FIXTURES).filter((f) => fs.statSync(path.join(FIXTURES, f)).isDirectory())) {
      const d = await derive(path.join(FIXTURES, name));
      expect(() => checkTaskFields(parseManifest(d.manifest)), name).not.toThrow();
      expect(d.warnings, name).toEqual([]);
      expect(Object.keys(d.sources).sort(), name).toEqual(Object.keys(d.manifest).sort());
    }
  });
});

describe.skipIf(!HAVE_SHARED)('a real optimum export (../shared/real-models/optimum_tiny_bert)', () => {
  const real = (name: string, files: Record<string, string>) => {
    const dir = path.join(tmp, name);
    fs.mkdirSync(dir);
    for (const [to, from] of Object.entries(files)) fs.symlinkSync(path.join(SHARED, from), path.join(dir, to));
    return dir;
  };

  it('alone (no tokenizer.json) it falls back to V2 with one warning naming the file', async () => {
    const d = await derive(path.join(SHARED, 'optimum_tiny_bert'));
    expect(d.manifest).toEqual({ description: 'DistilBertForSequenceClassification (Hugging Face export)', graphs: { model: 'model.onnx' } });
    expect(d.warnings).toEqual(['text-classification needs tokenizer.json, which is missing: served through KServe V2 only']);
  });

  it('with a tokenizer.json beside it, a softmax text classifier', async () => {
    const dir = real('tiny-distilbert', {
      'config.json': 'optimum_tiny_bert/config.json',
      'model.onnx': 'optimum_tiny_bert/model.onnx',
      'tokenizer.json': 'bert_tokenizer/bert-base-uncased.tokenizer.json',
    });
    const d = await derive(dir);
    expect(d.manifest).toEqual({
      description: 'DistilBertForSequenceClassification (Hugging Face export)',
      graphs: { model: 'model.onnx' },
      task: 'text-classification',
      labels: ['NEGATIVE', 'POSITIVE'],
      function_to_apply: 'softmax',
      tokenizer: 'tokenizer.json',
      max_length: 512,
    });
    expect(d.sources).toMatchObject({ function_to_apply: 'default (single-label classification)', max_length: 'config.json: max_position_embeddings' });
    const source = await readModel(dir);
    expect(source.manifest.task).toBe('text-classification');
    expect(source.graphs.model).toBe(path.join(dir, 'model.onnx'));
  });
});

describe('fallbacks to KServe V2 (no task, one warning)', () => {
  const fallback = async (name: string, files: Record<string, unknown>) => {
    const d = await derive(folder(name, files));
    expect(d.manifest.task).toBeUndefined();
    expect(d.warnings).toHaveLength(1);
    expect(d.warnings[0]).toMatch(/served through KServe V2 only$/);
    return d.warnings[0];
  };

  it('an unknown architecture, or none', async () => {
    expect(await fallback('gpt2', { 'config.json': bert('GPT2LMHeadModel'), ...TEXT })).toContain('"GPT2LMHeadModel" is not one ortserve derives a task for');
    expect(await fallback('no-arch', { 'config.json': { model_type: 'bert' }, ...TEXT })).toContain('config.json names no architectures');
  });

  it('a text model without tokenizer.json, an image model without preprocessor_config.json', async () => {
    expect(await fallback('no-tokenizer', { 'config.json': bert('BertForMaskedLM'), 'model.onnx': '' })).toContain('fill-mask needs tokenizer.json, which is missing');
    expect(await fallback('no-preprocessor', { 'config.json': bert('ViTForImageClassification'), 'model.onnx': '' })).toContain('image-classification needs preprocessor_config.json');
  });

  it('sentence-transformers pooling or modules ortserve does not have', async () => {
    const st = (pooling: object, modules = ['Transformer', 'Pooling']) => ({
      'config.json': bert('BertModel'),
      ...TEXT,
      'modules.json': modules.map((m, i) => ({ idx: i, name: String(i), path: m === 'Pooling' ? '1_Pooling' : '', type: `sentence_transformers.models.${m}` })),
      '1_Pooling/config.json': { pooling_mode_cls_token: false, pooling_mode_mean_tokens: false, ...pooling },
    });
    expect(await fallback('st-sqrt', st({ pooling_mode_mean_sqrt_len_tokens: true }))).toContain('pooling_mode_mean_sqrt_len_tokens is not supported');
    expect(await fallback('st-two', st({ pooling_mode_cls_token: true, pooling_mode_mean_tokens: true }))).toContain('cannot combine');
    expect(await fallback('st-dense', st({ pooling_mode_mean_tokens: true }, ['Transformer', 'Pooling', 'Dense']))).toContain('sentence_transformers.models.Dense is not supported');
    const ok = await derive(folder('st-mean', st({ pooling_mode_mean_tokens: true })));
    expect(ok.manifest).toMatchObject({ task: 'text-embedding', pooling: 'mean', normalize: false });
    expect(ok.sources.normalize).toBe('modules.json: no Normalize module');
  });

  it('shortest_edge without a crop (images of varying size)', async () => {
    const pre = { size: { shortest_edge: 224 }, image_mean: [0.5], image_std: [0.5] };
    expect(await fallback('no-crop', { 'config.json': bert('ViTForImageClassification'), 'model.onnx': '', 'preprocessor_config.json': pre })).toContain('varying size');
  });
});

describe('derivation rules', () => {
  it('a plain …Model is a mean-pooled, normalised embedding model by default', async () => {
    const d = await derive(folder('plain-model', { 'config.json': bert('DistilBertModel'), ...TEXT }));
    expect(d.manifest).toMatchObject({ task: 'text-embedding', pooling: 'mean', normalize: true });
    expect(d.sources).toMatchObject({ pooling: 'default', normalize: 'default' });
  });

  it('finds model.onnx, then onnx/model.onnx, then onnx/model_quantized.onnx; none is a warning', async () => {
    const files = { 'config.json': bert('BertForMaskedLM'), 'tokenizer.json': '{}' };
    expect((await derive(folder('q8', { ...files, 'onnx/model_quantized.onnx': '' }))).manifest.graphs).toEqual({ model: 'onnx/model_quantized.onnx' });
    expect((await derive(folder('both', { ...files, 'onnx/model_quantized.onnx': '', 'onnx/model.onnx': '' }))).manifest.graphs).toEqual({ model: 'onnx/model.onnx' });
    const none = await derive(folder('no-graph', files));
    expect(none.manifest.graphs).toBeUndefined();
    expect(none.warnings).toEqual(['no ONNX graph: looked for model.onnx, onnx/model.onnx, onnx/model_quantized.onnx']);
  });

  it('problem_type regression gives the raw score; single-label softmax; without id2label, num_labels counts', async () => {
    const fn = async (name: string, extra: object) => (await derive(folder(name, { 'config.json': bert('BertForSequenceClassification', extra), ...TEXT }))).manifest;
    expect((await fn('pt-regression', { problem_type: 'regression', id2label: { 0: 'a', 1: 'b' } })).function_to_apply).toBe('none');
    expect((await fn('pt-single', { problem_type: 'single_label_classification', id2label: { 0: 'a', 1: 'b' } })).function_to_apply).toBe('softmax');
    const bare = await fn('num-labels', { num_labels: 1 });
    expect(bare.function_to_apply).toBe('none');
    expect(bare.labels).toBeUndefined();
  });

  it('image sizes: a bare int (square, or the shortest edge for ConvNeXt), crop_size, ConvNeXt at 384, PIL resample codes', () => {
    const spec = (pre: object) => {
      const d = deriveImageSpec({ image_mean: [0.5, 0.5, 0.5], image_std: [0.5, 0.5, 0.5], ...pre });
      if (typeof d === 'string') throw new Error(d);
      return d;
    };
    expect(spec({ size: 224, resample: 0 }).spec).toMatchObject({ width: 224, height: 224, resize: { height: 224, width: 224 }, resample: 'nearest' });
    expect(spec({ size: 224, crop_pct: 0.875, image_processor_type: 'ConvNextImageProcessor' }).spec).toMatchObject({
      width: 224,
      height: 224,
      resize: { shortest_edge: 256 },
      crop: { height: 224, width: 224 },
    });
    expect(spec({ size: { shortest_edge: 384 }, crop_pct: 0.875, resample: 1 }).spec).toMatchObject({ width: 384, height: 384, resize: { height: 384, width: 384 }, resample: 'lanczos' });
    expect(spec({ size: { shortest_edge: 256 }, do_center_crop: true, crop_size: { height: 224, width: 200 } }).spec).toMatchObject({
      width: 200,
      height: 224,
      resize: { shortest_edge: 256 },
      crop: { height: 224, width: 200 },
    });
    const raw = spec({ size: 32, do_rescale: false, do_normalize: false }).spec;
    expect([raw.scale, raw.mean, raw.std]).toEqual([1, undefined, undefined]);
    const box = spec({ size: 32, resample: 4 });
    expect(box.spec.resample).toBe('bilinear');
    expect(box.warnings).toEqual(['preprocessor_config.json: resample 4 is not supported (0 nearest, 1 lanczos, 2 bilinear, 3 bicubic); using bilinear']);
  });
});

describe('bad files make that one model fail to load, with a path-free message', () => {
  it('a config.json that is not JSON', async () => {
    const dir = folder('bad-json', { 'config.json': '{"architectures": ["BertModel"],', ...TEXT });
    await expect(deriveFromHuggingFace(dir)).rejects.toThrow(/^config\.json is not valid JSON: /);
    await expect(readModel(dir)).rejects.toThrow(/^config\.json is not valid JSON/);
    const message = await readModel(dir).catch((err: Error) => err.message);
    expect(message).not.toContain(tmp);
  });

  it('labels with holes, num_labels that disagrees, non-string labels, an unknown problem_type', async () => {
    const bad = (name: string, extra: object) => deriveFromHuggingFace(folder(name, { 'config.json': bert('BertForTokenClassification', extra), ...TEXT }));
    await expect(bad('holes', { id2label: { 0: 'O', 2: 'B-PER' } })).rejects.toThrow('config.json: "id2label" keys must be 0..1, but "1" is missing (keys: 0, 2)');
    await expect(bad('count', { id2label: { 0: 'O', 1: 'B-PER' }, num_labels: 3 })).rejects.toThrow('"num_labels" is 3 but "id2label" has 2 labels');
    await expect(bad('not-string', { id2label: { 0: 7 } })).rejects.toThrow('id2label["0"] must be a string');
    await expect(deriveFromHuggingFace(folder('problem', { 'config.json': bert('BertForSequenceClassification', { problem_type: 'ranking' }), ...TEXT }))).rejects.toThrow(
      '"problem_type" is "ranking"',
    );
  });

  it('a module path outside the folder', async () => {
    const dir = folder('escape', { 'config.json': bert('BertModel'), ...TEXT, 'modules.json': [{ type: 'sentence_transformers.models.Pooling', path: '../..' }] });
    await expect(deriveFromHuggingFace(dir)).rejects.toThrow('../../config.json is outside the model folder');
  });

  it('the other models of the repository keep loading', async () => {
    const repo = path.join(tmp, 'repo');
    fs.cpSync(path.join(FIXTURES, 'token-ner'), path.join(repo, 'good'), { recursive: true });
    fs.cpSync(path.join(tmp, 'bad-json'), path.join(repo, 'bad'), { recursive: true });
    const results = await scanRepository(repo);
    expect(results.map((r) => ('error' in r ? `${r.name}: ${r.error.split(':')[0]}` : `${r.name}: ${r.manifest.task}`))).toEqual(['bad: config.json is not valid JSON', 'good: token-classification']);
  });
});

describe('readModel: manifest.json over the derived fields', () => {
  it('overrides field by field, and sources say so', async () => {
    const dir = folder('override', {
      ...Object.fromEntries(
        ['config.json', 'modules.json', '1_Pooling/config.json', 'sentence_bert_config.json', 'tokenizer.json', 'tokenizer_config.json'].map((f) => [
          f,
          fs.readFileSync(path.join(FIXTURES, 'st-cls', f), 'utf8'),
        ]),
      ),
      'onnx/model.onnx': '',
      'manifest.json': { pooling: 'mean', batching: { max_batch_size: 4 } },
    });
    const source = await readModel(dir);
    expect(source.manifest).toMatchObject({ task: 'text-embedding', pooling: 'mean', normalize: true, max_length: 48, batching: { max_batch_size: 4 } });
    expect(source.sources).toMatchObject({
      name: 'default',
      task: 'modules.json (sentence-transformers)',
      pooling: 'manifest.json',
      batching: 'manifest.json',
      normalize: 'modules.json: sentence_transformers.models.Normalize',
      graphs: 'file: onnx/model.onnx',
    });
    expect(source.warnings).toEqual([]);
  });

  it('a manifest.json that names the task settles a fallback, and its warning goes', async () => {
    const dir = folder('settled', {
      'config.json': bert('BertForSequenceClassification', { id2label: { 0: 'no', 1: 'yes' } }),
      'model.onnx': '',
      'vocab/tokenizer.json': '{}',
      'manifest.json': { task: 'text-classification', tokenizer: 'vocab/tokenizer.json' },
    });
    const source = await readModel(dir);
    expect(source.manifest).toMatchObject({ task: 'text-classification', tokenizer: 'vocab/tokenizer.json', description: 'BertForSequenceClassification (Hugging Face export)' });
    expect(source.sources).toMatchObject({ task: 'manifest.json', tokenizer: 'manifest.json', description: 'config.json: architectures[0]' });
    expect(source.warnings).toEqual([]);
  });

  it('a manifest-only folder: every source is manifest.json or default, no warnings', async () => {
    const source = await readModel(folder('manifest-only', { 'manifest.json': { task: 'text-embedding', tokenizer: 'tokenizer.json', description: 'x' }, ...TEXT }));
    expect(source.sources).toEqual({ name: 'default', graphs: 'default', batching: 'default', task: 'manifest.json', tokenizer: 'manifest.json', description: 'manifest.json' });
    expect(source.warnings).toEqual([]);
  });

  it('task requirements are checked on the merged manifest', async () => {
    const dir = folder('needs-tokenizer', { 'config.json': bert('BertForMaskedLM'), 'model.onnx': '', 'manifest.json': { task: 'fill-mask' } });
    await expect(readModel(dir)).rejects.toThrow(`task 'fill-mask' needs "tokenizer"`);
  });
});
