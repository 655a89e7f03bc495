// Text-model fields: the longest input (tokenizer_config.json, config.json, sentence_bert_config.json) and the
// pooling and normalisation of a sentence-transformers folder (modules.json and its Pooling module's config).
import path from 'node:path';
import { field, isBoolean, isObject, isPositiveInt, isString, type Fields, type HfFolder, type JsonObject } from './json.ts';

/** transformers writes 1e30 (or 1e20) as model_max_length when a tokenizer has no limit of its own. */
const NO_LIMIT = 1e9;
const POOLING_MODES: Record<string, 'cls' | 'mean' | 'max'> = { cls_token: 'cls', mean_tokens: 'mean', max_tokens: 'max' };
const ST_MODULE = /^sentence_transformers\.models\.(Transformer|Pooling|Normalize)$/;

/** max_length: sentence_bert_config's max_seq_length, else model_max_length, each capped by max_position_embeddings. */
export async function deriveMaxLength(folder: HfFolder, config: JsonObject, fields: Fields, sentenceTransformers: boolean): Promise<void> {
  const positions = field(config, 'max_position_embeddings', 'config.json', isPositiveInt, 'a positive integer');
  const sbert = sentenceTransformers ? await folder.object('sentence_bert_config.json') : undefined;
  const seq = sbert && field(sbert, 'max_seq_length', 'sentence_bert_config.json', isPositiveInt, 'a positive integer');
  const declared = seq === undefined ? (await folder.object('tokenizer_config.json'))?.model_max_length : undefined;
  const [value, source] =
    seq !== undefined ? [seq, 'sentence_bert_config.json: max_seq_length'] : isPositiveInt(declared) && declared < NO_LIMIT ? [declared, 'tokenizer_config.json: model_max_length'] : [undefined, ''];
  if (value === undefined) {
    if (positions !== undefined) fields.set('max_length', positions, 'config.json: max_position_embeddings');
  } else if (positions !== undefined && positions < value) {
    fields.set('max_length', positions, `config.json: max_position_embeddings (${source} = ${value} is larger)`);
  } else {
    fields.set('max_length', value, source);
  }
}

/** Pooling and normalisation from modules.json; a string says why the folder cannot be served as an embedding model. */
export async function deriveSentenceTransformers(folder: HfFolder, modules: unknown, fields: Fields): Promise<string | undefined> {
  if (!Array.isArray(modules)) throw new Error('modules.json must hold a JSON array');
  const entries = modules.map((m, i) => {
    const type = isObject(m) ? field(m, 'type', 'modules.json', isString, 'a string') : undefined;
    const dir = isObject(m) ? field(m, 'path', 'modules.json', isString, 'a string') : undefined;
    if (type === undefined || dir === undefined) throw new Error(`modules.json: entry ${i} needs "type" and "path"`);
    return { type, dir };
  });
  const unsupported = entries.find((e) => !ST_MODULE.test(e.type));
  if (unsupported) return `modules.json: module ${unsupported.type} is not supported (Transformer, Pooling and Normalize are)`;
  const pooling = entries.find((e) => e.type.endsWith('.Pooling'));
  if (!pooling) return 'modules.json has no Pooling module';
  const file = path.posix.join(pooling.dir, 'config.json');
  const config = await folder.object(file);
  if (!config) return `the Pooling module's ${file} is missing`;
  const modes = Object.keys(config).filter((k) => k.startsWith('pooling_mode_') && field(config, k, file, isBoolean, 'true or false'));
  const mode = modes[0]?.slice('pooling_mode_'.length);
  if (mode === undefined) return `${file} enables no pooling_mode_*`;
  if (modes.length > 1) return `${file} enables ${modes.join(' and ')}, which ortserve cannot combine`;
  const pool = POOLING_MODES[mode];
  if (!pool) return `${file}: pooling_mode_${mode} is not supported (cls_token, mean_tokens and max_tokens are)`;
  fields.set('pooling', pool, `${file}: pooling_mode_${mode}`);
  const normalize = entries.find((e) => e.type.endsWith('.Normalize'));
  fields.set('normalize', normalize !== undefined, normalize ? `modules.json: ${normalize.type}` : 'modules.json: no Normalize module');
  return undefined;
}
