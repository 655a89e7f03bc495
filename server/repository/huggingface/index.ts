// Zero-config Hugging Face folders: derives a manifest from config.json and the files optimum-cli or a
// transformers.js repository ships beside the ONNX graph, recording which file each field came from.
import type { Manifest, Task } from '../manifest.ts';
import { deriveImageSpec } from './image.ts';
import { Fields, HfFolder, field, isString, type JsonObject } from './json.ts';
import { classificationFunction, readLabels } from './labels.ts';
import { deriveMaxLength, deriveSentenceTransformers } from './text.ts';

export interface Derivation {
  /** The derived fields (a manifest.json beside them overrides them field by field). */
  manifest: Manifest;
  /** Top-level manifest field → where its value came from, e.g. 'config.json: id2label'. */
  sources: Record<string, string>;
  /** What the folder lacks for a task route (it is then served through KServe V2 only), or other approximations. */
  warnings: string[];
}

const GRAPH_FILES = ['model.onnx', 'onnx/model.onnx', 'onnx/model_quantized.onnx'];
const HEADS: [suffix: string, task: Task][] = [
  ['ForSequenceClassification', 'text-classification'],
  ['ForTokenClassification', 'token-classification'],
  ['ForMaskedLM', 'fill-mask'],
  ['ForImageClassification', 'image-classification'],
];
const KNOWN = `${HEADS.map(([suffix]) => `…${suffix}`).join(', ')}, …Model or a sentence-transformers folder`;

/** A bare encoder (BertModel, DistilBertModel, ...), not a decoder or a model with a head. */
const isEncoder = (architecture: string) => architecture.endsWith('Model') && !/Head|Decoder/.test(architecture);

/** What every text task needs: the tokenizer, and the longest input. */
async function textFields(folder: HfFolder, config: JsonObject, fields: Fields, sentenceTransformers: boolean): Promise<string | undefined> {
  if (!(await folder.has('tokenizer.json'))) return `${fields.manifest.task} needs tokenizer.json, which is missing`;
  fields.set('tokenizer', 'tokenizer.json', 'file: tokenizer.json');
  await deriveMaxLength(folder, config, fields, sentenceTransformers);
  return undefined;
}

async function imageFields(folder: HfFolder, fields: Fields, warnings: string[]): Promise<string | undefined> {
  const pre = await folder.object('preprocessor_config.json');
  if (!pre) return 'image-classification needs preprocessor_config.json, which is missing';
  const image = deriveImageSpec(pre);
  if (typeof image === 'string') return image;
  fields.set('image', image.spec, 'preprocessor_config.json');
  fields.set('scores', 'logits', 'default (Hugging Face classifiers output logits)');
  warnings.push(...image.warnings);
  return undefined;
}

/** Fills `fields` with the task and its fields (`warnings` with approximations); a string says why there is no task. */
async function deriveTask(folder: HfFolder, config: JsonObject, architecture: string | undefined, fields: Fields, warnings: string[]): Promise<string | undefined> {
  const modules = await folder.json('modules.json');
  if (modules !== undefined) {
    fields.set('task', 'text-embedding', 'modules.json (sentence-transformers)');
    return (await deriveSentenceTransformers(folder, modules, fields)) ?? textFields(folder, config, fields, true);
  }
  if (architecture === undefined) return `config.json names no architectures (ortserve knows ${KNOWN})`;
  const task = HEADS.find(([suffix]) => architecture.endsWith(suffix))?.[1] ?? (isEncoder(architecture) ? 'text-embedding' : undefined);
  if (!task) return `config.json: architectures[0] = "${architecture}" is not one ortserve derives a task for (it knows ${KNOWN})`;
  fields.set('task', task, `config.json: architectures[0] = "${architecture}"`);
  if (task.endsWith('classification')) {
    const labels = readLabels(config);
    if (labels) fields.set('labels', labels, 'config.json: id2label');
    if (task === 'text-classification') {
      const fn = classificationFunction(config, labels);
      fields.set('function_to_apply', fn.value, fn.source);
    }
  }
  if (task === 'image-classification') return imageFields(folder, fields, warnings);
  if (task === 'text-embedding') {
    // As TEI serves a bare encoder: mean-pooled, normalised embeddings.
    fields.set('pooling', 'mean', 'default');
    fields.set('normalize', true, 'default');
  }
  return textFields(folder, config, fields, false);
}

/** undefined when the folder has no config.json; throws with a path-free message when a file is not valid JSON or contradicts itself. */
export async function deriveFromHuggingFace(dir: string): Promise<Derivation | undefined> {
  const folder = new HfFolder(dir);
  const config = await folder.object('config.json');
  if (!config) return undefined;
  const architectures = field(config, 'architectures', 'config.json', (v): v is string[] => Array.isArray(v) && v.every(isString), 'a list of strings');
  const architecture = architectures?.[0];
  const derived = new Fields();
  const warnings: string[] = [];
  derived.set('description', architecture ? `${architecture} (Hugging Face export)` : 'Hugging Face export', architecture ? 'config.json: architectures[0]' : 'default');
  const graph = (await Promise.all(GRAPH_FILES.map((f) => folder.has(f)))).findIndex(Boolean);
  if (graph >= 0) derived.set('graphs', { model: GRAPH_FILES[graph]! }, `file: ${GRAPH_FILES[graph]}`);
  else warnings.push(`no ONNX graph: looked for ${GRAPH_FILES.join(', ')}`);
  const task = new Fields();
  const why = await deriveTask(folder, config, architecture, task, warnings);
  if (why) warnings.push(`${why}: served through KServe V2 only`);
  else derived.merge(task);
  return { manifest: derived.manifest, sources: derived.sources, warnings };
}
