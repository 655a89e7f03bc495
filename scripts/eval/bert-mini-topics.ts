// Evaluates bert-mini-topics (WordNet gloss -> noun lexicographer file) through onnxruntime-node
// on the committed test set tests/fixtures/gloss-test.jsonl, and scores the committed predictions
// of the TF-IDF + logistic-regression baseline (gloss-baseline-predictions.json) with the same
// code: accuracy, macro-F1, per-class precision / recall / F1 and the top confusions.
import { readFileSync } from 'node:fs';
import { createSession, type Session } from '../../server/runtime/onnx.ts';
import { loadTokenizer } from '../../server/pipelines/tokenizer.ts';
import { FIXTURES_DIR, modelPath } from '../lib/paths.ts';
import { loadGlossFixture } from '../lib/fixtures.ts';

const MODEL = 'bert-mini-topics';
const BATCH = 32;
const CHECKED_BATCH = 8;
const TOP_CONFUSIONS = 10;

interface ClassScore {
  label: string;
  support: number;
  precision: number;
  recall: number;
  f1: number;
}

interface Score {
  accuracy: number;
  macroF1: number;
  perClass: ClassScore[];
  /** Counts of gold → predicted mistakes, keyed "gold → predicted". */
  confusions: Map<string, number>;
}

function readJson<T>(file: string): T {
  return JSON.parse(readFileSync(file, 'utf8')) as T;
}

/** Right-padded int64 feeds (token_type_ids all zero) for a batch of id sequences. */
function feeds(batch: number[][]) {
  const t = Math.max(...batch.map((ids) => ids.length));
  const inputIds = new BigInt64Array(batch.length * t);
  const mask = new BigInt64Array(batch.length * t);
  batch.forEach((ids, r) =>
    ids.forEach((id, c) => {
      inputIds[r * t + c] = BigInt(id);
      mask[r * t + c] = 1n;
    }),
  );
  const dims = [batch.length, t];
  return {
    input_ids: { type: 'int64' as const, dims, data: inputIds },
    attention_mask: { type: 'int64' as const, dims, data: mask },
    token_type_ids: { type: 'int64' as const, dims, data: new BigInt64Array(batch.length * t) },
  };
}

async function logits(session: Session, batch: number[][], numLabels: number): Promise<Float32Array[]> {
  const out = (await session.run(feeds(batch)))['logits'];
  if (!out || out.dims[1] !== numLabels) throw new Error(`model.onnx gave no logits [${batch.length}, ${numLabels}]. This is a bug.`);
  const data = out.data as Float32Array;
  return batch.map((_, r) => data.slice(r * numLabels, (r + 1) * numLabels));
}

/** Logits of every sequence, batched by length (sorted) so that padding stays small. */
async function classifyAll(session: Session, sequences: number[][], numLabels: number): Promise<Float32Array[]> {
  const order = sequences.map((_, i) => i).sort((a, b) => sequences[a]!.length - sequences[b]!.length);
  const result: Float32Array[] = new Array<Float32Array>(sequences.length);
  for (let i = 0; i < order.length; i += BATCH) {
    const idx = order.slice(i, i + BATCH);
    const rows = await logits(
      session,
      idx.map((j) => sequences[j]!),
      numLabels,
    );
    idx.forEach((j, r) => (result[j] = rows[r]!));
  }
  return result;
}

/** Largest |logit difference| between the first CHECKED_BATCH sequences run as one batch and one by one. */
async function batchAgreement(session: Session, sequences: number[][], numLabels: number): Promise<number> {
  const batch = sequences.slice(0, CHECKED_BATCH);
  const together = await logits(session, batch, numLabels);
  let worst = 0;
  for (const [r, ids] of batch.entries()) {
    const [alone] = await logits(session, [ids], numLabels);
    alone!.forEach((v, k) => (worst = Math.max(worst, Math.abs(v - together[r]![k]!))));
  }
  return worst;
}

function argmax(row: Float32Array): number {
  let best = 0;
  row.forEach((v, i) => (best = v > row[best]! ? i : best));
  return best;
}

/** The scores of predictions against gold labels; macro-F1 averages every label (F1 0 when undefined), as sklearn does. */
export function score(labels: string[], gold: string[], predicted: string[]): Score {
  const counts = new Map(labels.map((l) => [l, { tp: 0, gold: 0, predicted: 0 }]));
  const confusions = new Map<string, number>();
  gold.forEach((g, i) => {
    const p = predicted[i];
    const cg = counts.get(g);
    const cp = p === undefined ? undefined : counts.get(p);
    if (!cg || !cp) throw new Error(`example ${i}: label '${g}' or prediction '${p}' is not one of the model's labels`);
    cg.gold++;
    cp.predicted++;
    if (g === p) cg.tp++;
    else confusions.set(`${g} → ${p}`, (confusions.get(`${g} → ${p}`) ?? 0) + 1);
  });
  const perClass = labels.map((label) => {
    const c = counts.get(label)!;
    const precision = c.predicted ? c.tp / c.predicted : 0;
    const recall = c.gold ? c.tp / c.gold : 0;
    const f1 = precision + recall ? (2 * precision * recall) / (precision + recall) : 0;
    return { label, support: c.gold, precision, recall, f1 };
  });
  const correct = perClass.reduce((s, c) => s + counts.get(c.label)!.tp, 0);
  return { accuracy: correct / gold.length, macroF1: perClass.reduce((s, c) => s + c.f1, 0) / labels.length, perClass, confusions };
}

/** Examples only the model gets right and only the baseline gets right (McNemar's discordant pairs). */
function discordant(gold: string[], model: string[], baseline: string[]): { modelOnly: number; baselineOnly: number } {
  let modelOnly = 0;
  let baselineOnly = 0;
  gold.forEach((g, i) => {
    if (model[i] === g && baseline[i] !== g) modelOnly++;
    if (baseline[i] === g && model[i] !== g) baselineOnly++;
  });
  return { modelOnly, baselineOnly };
}

interface Report {
  model: Score;
  baseline: Score;
  baselineName: string;
  examples: number;
  /** Max |logit difference|, batch 1 vs CHECKED_BATCH. */
  agreement: number;
  modelOnly: number;
  baselineOnly: number;
}

function report({ model, baseline, baselineName, examples, agreement, modelOnly, baselineOnly }: Report): string[] {
  const f = (x: number) => x.toFixed(4);
  const g = (x: number) => x.toFixed(3);
  const lines = [
    `test set: ${examples} WordNet noun glosses (tests/fixtures/gloss-test.jsonl), ${model.perClass.length} classes; ` +
      `batch 1 vs ${CHECKED_BATCH}: max |logit difference| ${agreement.toExponential(1)}`,
    `model    ${MODEL}: accuracy ${f(model.accuracy)}  macro-F1 ${f(model.macroF1)}`,
    `baseline ${baselineName}: accuracy ${f(baseline.accuracy)}  macro-F1 ${f(baseline.macroF1)}`,
    `model - baseline: accuracy ${(100 * (model.accuracy - baseline.accuracy)).toFixed(2)} points, ` + `macro-F1 ${(100 * (model.macroF1 - baseline.macroF1)).toFixed(2)} points`,
    `right only by the model ${modelOnly}, only by the baseline ${baselineOnly} ` + `(McNemar z = ${((modelOnly - baselineOnly) / Math.sqrt(modelOnly + baselineOnly)).toFixed(2)})`,
    `per class          support   model P / R / F1       baseline P / R / F1`,
  ];
  model.perClass.forEach((m, i) => {
    const b = baseline.perClass[i]!;
    lines.push(`  ${m.label.padEnd(15)} ${String(m.support).padStart(6)}   ${g(m.precision)} ${g(m.recall)} ${g(m.f1)}    ${g(b.precision)} ${g(b.recall)} ${g(b.f1)}`);
  });
  const pairs = [...new Set([...model.confusions.keys(), ...baseline.confusions.keys()])]
    .map((pair) => ({ pair, m: model.confusions.get(pair) ?? 0, b: baseline.confusions.get(pair) ?? 0 }))
    .sort((x, y) => y.m + y.b - (x.m + x.b) || x.pair.localeCompare(y.pair))
    .slice(0, TOP_CONFUSIONS);
  const errors = (s: Score) => [...s.confusions.values()].reduce((a, n) => a + n, 0);
  lines.push(`top ${TOP_CONFUSIONS} confusions, gold → predicted (model / baseline; all errors ${errors(model)} / ${errors(baseline)})`);
  for (const c of pairs) lines.push(`  ${c.pair.padEnd(30)} ${String(c.m).padStart(4)} / ${String(c.b).padStart(4)}`);
  return lines;
}

export async function evaluate(): Promise<{ model: string; lines: string[]; figures: Record<string, number> }> {
  const config = readJson<{ id2label: Record<string, string> }>(modelPath(MODEL, 'config.json'));
  const labels = Object.keys(config.id2label).map((_, i) => config.id2label[String(i)] ?? `LABEL_${i}`);
  const maxLength = readJson<{ model_max_length: number }>(modelPath(MODEL, 'tokenizer_config.json')).model_max_length;
  const examples = loadGlossFixture();
  const baseline = readJson<{ model: string; predictions: Record<string, string> }>(`${FIXTURES_DIR}/gloss-baseline-predictions.json`);
  const tokenizer = loadTokenizer(modelPath(MODEL, 'tokenizer.json'), maxLength);
  const sequences = await Promise.all(examples.map(async (e) => (await tokenizer.encode(e.text, undefined, { truncate: true, label: e.synset })).ids));
  const session = await createSession(modelPath(MODEL));
  try {
    const agreement = await batchAgreement(session, sequences, labels.length);
    const predicted = (await classifyAll(session, sequences, labels.length)).map((row) => labels[argmax(row)]!);
    const gold = examples.map((e) => e.label);
    const baselinePredicted = examples.map((e) => {
      const p = baseline.predictions[e.synset];
      if (p === undefined) throw new Error(`gloss-baseline-predictions.json has no prediction for ${e.synset}; re-run gloss_baseline.py`);
      return p;
    });
    const model = score(labels, gold, predicted);
    const base = score(labels, gold, baselinePredicted);
    const figures: Record<string, number> = {
      test_examples: examples.length,
      accuracy: model.accuracy,
      macro_f1: model.macroF1,
      baseline_accuracy: base.accuracy,
      baseline_macro_f1: base.macroF1,
      batch_max_abs_diff: agreement,
    };
    model.perClass.forEach((c, i) => {
      figures[`f1_${c.label}`] = c.f1;
      figures[`baseline_f1_${c.label}`] = base.perClass[i]!.f1;
    });
    const { modelOnly, baselineOnly } = discordant(gold, predicted, baselinePredicted);
    figures.model_only_correct = modelOnly;
    figures.baseline_only_correct = baselineOnly;
    const lines = report({ model, baseline: base, baselineName: baseline.model, examples: examples.length, agreement, modelOnly, baselineOnly });
    return { model: MODEL, lines, figures };
  } finally {
    await session.release();
  }
}
