// text-classification (…ForSequenceClassification): texts or [text, text_pair] pairs → tokenizer → length-
// grouped batches under the token budget → logits [N, labels] → softmax, a sigmoid per label (multi-label) or the
// raw score (regression). A one-label model (a cross-encoder) also reranks candidate texts against a query.
import { Errors } from '../errors.ts';
import { sigmoid, softmax } from '../runtime/math.ts';
import type { Timing } from '../runtime/policy.ts';
import type { BatchItem } from '../runtime/protocol.ts';
import { batchCap, output, submitAll, withRoom, type CallOptions, type ModelContext } from './context.ts';
import { textAssembly } from './text-feeds.ts';
import { textHead } from './text-head.ts';
import type { TruncationSide } from './tokenizer.ts';

/** One input: a text, or a [text, text_pair] pair (the pair gets segment ids 1 where the graph takes them). */
export type TextInput = string | [string, string];
export type ScoreFunction = 'softmax' | 'sigmoid' | 'none';

export type TextOptions = CallOptions & { truncate: boolean; side?: TruncationSide };

export interface TextPrediction {
  label: string;
  index: number;
  score: number;
}

export interface TextClassificationPipeline {
  task: 'text-classification';
  routes: string[];
  labels: string[];
  maxLength: number;
  /** What the model's scores are by default (the manifest's function_to_apply). */
  scoreFunction: ScoreFunction;
  /** Per input, its labels by descending score: the `topK` best, or all when `topK` is null. */
  classify(inputs: TextInput[], options: TextOptions & { topK: number | null; fn?: ScoreFunction }): Promise<{ results: { predictions: TextPrediction[] }[]; tokens: number; timing: Timing[] }>;
  /** Candidate texts scored against the query, best first (one-label models only). */
  rerank(query: string, texts: string[], options: TextOptions & { fn: ScoreFunction }): Promise<{ ranks: { index: number; score: number }[]; tokens: number; timing: Timing[] }>;
  warmup(): Promise<void>;
}

export function applyFunction(logits: ArrayLike<number>, fn: ScoreFunction): number[] {
  if (fn === 'softmax') return Array.from(softmax(logits));
  if (fn === 'sigmoid') return Array.from(logits, sigmoid);
  return Array.from(logits);
}

export function textClassification(ctx: ModelContext): TextClassificationPipeline {
  const { manifest, name } = ctx.source;
  const head = textHead(ctx);
  const { labels, tokenizer } = head;
  const scoreFunction: ScoreFunction = manifest.function_to_apply ?? (labels.length === 1 ? 'none' : 'softmax');

  const op = ctx.scheduler.operation({
    name: 'classify-text',
    text: true,
    maxBatchSize: batchCap(ctx, 'model', head.input('input_ids')),
    plan: { steps: [{ graph: 'model', fetches: [head.logits] }], assemble: textAssembly(head.graph, head.input), cut: { kind: 'rows' } },
  });

  /** Checks every input is non-empty; `names` say which field each text came from: [the input, its text, its text_pair]. */
  function checkEmpty(input: TextInput, names: [string, string, string]): void {
    const [text, pair] = typeof input === 'string' ? [input, undefined] : input;
    if (text.trim() === '') throw new Errors.INVALID_INPUT(`${pair === undefined ? names[0] : names[1]} is empty`);
    if (pair !== undefined && pair.trim() === '') throw new Errors.INVALID_INPUT(`${names[2]} is empty`);
  }

  /** Logits of every input, run as one request (a failing input cancels the others). */
  async function logits(inputs: TextInput[], names: (i: number) => [string, string, string], options: TextOptions) {
    inputs.forEach((input, i) => checkEmpty(input, names(i)));
    return withRoom(ctx, inputs.length, async (reservation) => {
      const rows: BatchItem[] = await tokenizer.encodeIds(inputs, { truncate: options.truncate, side: options.side, labels: (i) => names(i)[0] });
      // Counted now: the ids move to the worker when they are submitted.
      const tokens = rows.reduce((s, r) => s + r.ids!.length, 0);
      const answers = await submitAll(ctx, op, rows, { ...options, reservation });
      return { values: answers.map((a) => output(a.value, head.logits).data as Float32Array), tokens, timing: answers.map((a) => a.timing) };
    });
  }

  const label = (i: number) => labels[i] ?? `LABEL_${i}`;
  const routes = ['classify', 'predict', ...(labels.length === 1 ? ['rerank'] : [])];

  return {
    task: 'text-classification',
    routes,
    labels,
    maxLength: head.maxLength,
    scoreFunction,
    async classify(inputs, options) {
      const { values, tokens, timing } = await logits(inputs, (i) => [`inputs[${i}]`, `inputs[${i}][0]`, `inputs[${i}][1]`], options);
      const results = values.map((row) => {
        const predictions = applyFunction(row, options.fn ?? scoreFunction)
          .map((score, index) => ({ label: label(index), index, score }))
          .sort((a, b) => b.score - a.score);
        return { predictions: options.topK === null ? predictions : predictions.slice(0, options.topK) };
      });
      return { results, tokens, timing };
    },
    async rerank(query, texts, options) {
      if (labels.length !== 1) throw new Errors.WRONG_TASK(name, `text-classification model with ${labels.length} labels (reranking needs one)`, routes.join(', '));
      const { values, tokens, timing } = await logits(
        texts.map((t) => [query, t]),
        (i) => [`texts[${i}]`, 'query', `texts[${i}]`],
        options,
      );
      const ranks = values.map((row, index) => ({ index, score: applyFunction(row, options.fn)[0]! })).sort((a, b) => b.score - a.score);
      return { ranks, tokens, timing };
    },
    async warmup() {
      const [row] = await tokenizer.encodeIds(['warm up'], { truncate: true, labels: () => 'warmup' });
      head.checkWidth(output((await op.submit(row!)).value, head.logits).data.length);
    },
  };
}
