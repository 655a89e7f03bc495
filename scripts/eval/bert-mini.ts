// bert-mini evaluation through onnxruntime-node: masked-token top-1/top-5 on committed held-out
// sentences against a unigram-frequency baseline, and mean-pooled cosine similarity of paraphrase
// vs unrelated sentence pairs. Also exports the small helpers that tests/models/bert-mini.test.ts
// reuses (loading, padding, pooling, fill-mask).
import { Tokenizer } from '@huggingface/tokenizers';
import { readFileSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { createSession, type Session, type TensorValue } from '../../server/runtime/onnx.ts';

const ROOT = new URL('../../', import.meta.url);
// BERT_MINI_DIR evaluates another export of the model (a candidate before it replaces the shipped one).
const MODEL_DIR = process.env.BERT_MINI_DIR ? pathToFileURL(`${process.env.BERT_MINI_DIR}/`) : new URL('models/bert-mini/', ROOT);
const FIXTURES = new URL('tests/fixtures/', ROOT);
const MASK_RATE = 0.15;
const MASK_SEED = 20261127;
const BATCH = 32;

export interface BertMini {
  tokenizer: Tokenizer;
  encoder: Session;
  mlm: Session;
  attention: Session;
  maxLength: number;
  maskId: number;
  release(): Promise<void>;
}

interface Manifest {
  graphs: { encoder: string; mlm: string; attention: string };
  tokenizer: string;
  max_length: number;
}

export function fixture(name: string): string {
  return readFileSync(new URL(name, FIXTURES), 'utf8');
}

export async function loadBertMini(): Promise<BertMini> {
  const manifest = JSON.parse(readFileSync(new URL('manifest.json', MODEL_DIR), 'utf8')) as Manifest;
  const path = (file: string) => fileURLToPath(new URL(file, MODEL_DIR));
  const tokenizer = new Tokenizer(JSON.parse(readFileSync(path(manifest.tokenizer), 'utf8')), {});
  const [encoder, mlm, attention] = await Promise.all([createSession(path(manifest.graphs.encoder)), createSession(path(manifest.graphs.mlm)), createSession(path(manifest.graphs.attention))]);
  const maskId = tokenizer.token_to_id('[MASK]');
  if (maskId === undefined) throw new Error('bert-mini tokenizer has no [MASK] token');
  return {
    tokenizer,
    encoder,
    mlm,
    attention,
    maxLength: manifest.max_length,
    maskId,
    release: async () => {
      await Promise.all([encoder.release(), mlm.release(), attention.release()]);
    },
  };
}

/** Token ids with [CLS]/[SEP], truncated to maxLength (keeping the final [SEP]). */
export function tokenize(model: BertMini, text: string): number[] {
  const ids = model.tokenizer.encode(text).ids;
  return ids.length <= model.maxLength ? ids : [...ids.slice(0, model.maxLength - 1), ids.at(-1) ?? 0];
}

/** Right-padded encoder feeds for a batch of id sequences. */
export function encoderFeeds(batch: number[][]): Record<string, TensorValue> {
  const n = batch.length;
  const t = Math.max(...batch.map((ids) => ids.length));
  const inputIds = new BigInt64Array(n * t);
  const mask = new BigInt64Array(n * t);
  batch.forEach((ids, r) =>
    ids.forEach((id, c) => {
      inputIds[r * t + c] = BigInt(id);
      mask[r * t + c] = 1n;
    }),
  );
  const dims = [n, t];
  return {
    input_ids: { type: 'int64', dims, data: inputIds },
    attention_mask: { type: 'int64', dims, data: mask },
    token_type_ids: { type: 'int64', dims, data: new BigInt64Array(n * t) },
  };
}

export async function lastHidden(model: BertMini, batch: number[][]): Promise<TensorValue> {
  const out = await model.encoder.run(encoderFeeds(batch));
  const hidden = out['last_hidden_state'];
  if (!hidden) throw new Error('encoder returned no last_hidden_state. This is a bug.');
  return hidden;
}

/** Mean of the hidden states over each sequence's real tokens ([CLS] and [SEP] included). */
export async function embed(model: BertMini, texts: string[]): Promise<Float32Array[]> {
  const batch = texts.map((t) => tokenize(model, t));
  const hidden = await lastHidden(model, batch);
  const [, t = 0, h = 0] = hidden.dims;
  const data = hidden.data as Float32Array;
  return batch.map((ids, r) => {
    const v = new Float32Array(h);
    for (let c = 0; c < ids.length; c++) for (let k = 0; k < h; k++) v[k]! += data[(r * t + c) * h + k]! / ids.length;
    return v;
  });
}

export function cosine(a: Float32Array, b: Float32Array): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i]! * b[i]!;
    na += a[i]! * a[i]!;
    nb += b[i]! * b[i]!;
  }
  return dot / Math.sqrt(na * nb);
}

/** Top-k token ids at each [MASK] position of each sequence, in order of appearance. */
export async function fillMask(model: BertMini, batch: number[][], k = 5): Promise<number[][][]> {
  const hidden = await lastHidden(model, batch);
  const [, t = 0, h = 0] = hidden.dims;
  const data = hidden.data as Float32Array;
  const where: [number, number][] = [];
  batch.forEach((ids, r) => ids.forEach((id, c) => id === model.maskId && where.push([r, c])));
  if (where.length === 0) return batch.map(() => []);
  const rows = new Float32Array(where.length * h);
  where.forEach(([r, c], i) => rows.set(data.subarray((r * t + c) * h, (r * t + c + 1) * h), i * h));
  const out = await model.mlm.run({ hidden_states: { type: 'float32', dims: [1, where.length, h], data: rows } });
  const logits = out['logits'];
  if (!logits) throw new Error('mlm head returned no logits. This is a bug.');
  const v = logits.dims[2] ?? 0;
  const scores = logits.data as Float32Array;
  const result: number[][][] = batch.map(() => []);
  where.forEach(([r], i) => result[r]!.push(topK(scores.subarray(i * v, (i + 1) * v), k)));
  return result;
}

function topK(scores: Float32Array, k: number): number[] {
  const best: number[] = [];
  for (let i = 0; i < scores.length; i++) {
    if (best.length === k && scores[i]! <= scores[best[k - 1]!]!) continue;
    let j = Math.min(best.length, k - 1);
    while (j > 0 && scores[best[j - 1]!]! < scores[i]!) j--;
    best.splice(j, 0, i);
    if (best.length > k) best.pop();
  }
  return best;
}

/** Deterministic PRNG (mulberry32) so the masked positions never change between runs. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let x = Math.imul(a ^ (a >>> 15), a | 1);
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

async function maskedTokenAccuracy(model: BertMini) {
  const sentences = fixture('bert-mini-heldout.txt')
    .split('\n')
    .filter((s) => s.length > 0);
  const unigram = JSON.parse(fixture('bert-mini-unigram.json')) as { top: { id: number }[] };
  const baseline = unigram.top.slice(0, 5).map((t) => t.id);
  const rand = random(MASK_SEED);
  let n = 0;
  let top1 = 0;
  let top5 = 0;
  let base1 = 0;
  let base5 = 0;
  for (let i = 0; i < sentences.length; i += BATCH) {
    const targets: number[][] = [];
    const batch = sentences.slice(i, i + BATCH).map((s) => {
      const ids = tokenize(model, s);
      const inner = ids.map((_, c) => c).slice(1, -1);
      let chosen = inner.filter(() => rand() < MASK_RATE);
      if (chosen.length === 0) chosen = [inner[Math.floor(rand() * inner.length)]!];
      targets.push(chosen.map((c) => ids[c]!));
      return ids.map((id, c) => (chosen.includes(c) ? model.maskId : id));
    });
    const predictions = await fillMask(model, batch);
    predictions.forEach((perSentence, r) =>
      perSentence.forEach((top, m) => {
        const target = targets[r]![m]!;
        n++;
        if (top[0] === target) top1++;
        if (top.includes(target)) top5++;
        if (baseline[0] === target) base1++;
        if (baseline.includes(target)) base5++;
      }),
    );
  }
  return { sentences: sentences.length, n, top1: top1 / n, top5: top5 / n, base1: base1 / n, base5: base5 / n };
}

export interface FillMaskCases {
  fill_mask: { text: string; answers: string[] }[];
  min_fill_mask_hits: number;
}

const RANK_DEPTH = 100;

/**
 * The committed fill-mask sentences: top-5 words for each, whether an expected one is among them, and
 * the best rank of an expected word in the top 100 (null when deeper), to show how far a miss is.
 */
export async function fillMaskCases(model: BertMini, cases: FillMaskCases['fill_mask']) {
  const predictions = await fillMask(
    model,
    cases.map((c) => tokenize(model, c.text)),
    RANK_DEPTH,
  );
  return cases.map((c, i) => {
    const ranked = (predictions[i]?.[0] ?? []).map((id) => model.tokenizer.id_to_token(id) ?? String(id));
    const ranks = c.answers.map((a) => ranked.indexOf(a) + 1).filter((r) => r > 0);
    const rank = ranks.length > 0 ? Math.min(...ranks) : null;
    return { text: c.text, answers: c.answers, top: ranked.slice(0, 5), rank, hit: rank !== null && rank <= 5 };
  });
}

async function pairSimilarity(model: BertMini) {
  const pairs = JSON.parse(fixture('bert-mini-pairs.json')) as { paraphrases: [string, string][]; unrelated: [string, string][] };
  const score = async (list: [string, string][]) => {
    const a = await embed(
      model,
      list.map((p) => p[0]),
    );
    const b = await embed(
      model,
      list.map((p) => p[1]),
    );
    return a.map((v, i) => cosine(v, b[i]!));
  };
  const para = await score(pairs.paraphrases);
  const unrel = await score(pairs.unrelated);
  const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;
  const wins = para.flatMap((p) => unrel.map((u) => (p > u ? 1 : 0)));
  return { para: mean(para), unrel: mean(unrel), ordered: mean(wins), count: para.length };
}

export async function evaluate(): Promise<{ model: string; lines: string[]; figures: Record<string, number> }> {
  const model = await loadBertMini();
  try {
    const mlm = await maskedTokenAccuracy(model);
    const sim = await pairSimilarity(model);
    const cases = JSON.parse(fixture('bert-mini-cases.json')) as FillMaskCases;
    const fills = await fillMaskCases(model, cases.fill_mask);
    const hits = fills.filter((c) => c.hit).length;
    const f = (x: number) => x.toFixed(4);
    return {
      model: 'bert-mini',
      lines: [
        `masked tokens: ${mlm.n} (15 % of ${mlm.sentences} held-out sentences, all replaced by [MASK], seed ${MASK_SEED})`,
        `model        top-1 ${f(mlm.top1)}  top-5 ${f(mlm.top5)}`,
        `unigram base top-1 ${f(mlm.base1)}  top-5 ${f(mlm.base5)}  (top-5 ratio ${(mlm.top5 / mlm.base5).toFixed(2)}x)`,
        `mean-pooled cosine: paraphrases ${f(sim.para)}, unrelated ${f(sim.unrel)} (${sim.count} pairs each); ` + `paraphrase > unrelated in ${(100 * sim.ordered).toFixed(0)} % of cross comparisons`,
        `fill-mask: expected word in the top 5 for ${hits} of ${fills.length} committed sentences`,
        ...fills.map((c) => `  ${c.hit ? 'hit ' : 'miss'} ${c.text} → ${c.top.join(', ')} (expected ${c.answers.join(' / ')}, rank ${c.rank ?? `> ${RANK_DEPTH}`})`),
      ],
      figures: {
        mlm_top1: mlm.top1,
        mlm_top5: mlm.top5,
        unigram_top1: mlm.base1,
        unigram_top5: mlm.base5,
        mlm_top5_over_unigram: mlm.top5 / mlm.base5,
        cosine_paraphrase: sim.para,
        cosine_unrelated: sim.unrel,
        cosine_pair_order: sim.ordered,
        fill_mask_hits: hits,
      },
    };
  } finally {
    await model.release();
  }
}

if (import.meta.main) {
  const result = await evaluate();
  for (const line of result.lines) console.log(line);
}
