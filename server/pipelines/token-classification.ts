// token-classification (…ForTokenClassification, NER): texts → tokenizer (offsets, subword marks) → length-
// grouped batches under the token budget → logits [N, T, labels] → softmax per token → entities (./entities.ts),
// with start/end as character offsets into the text as sent.
import { Errors } from '../errors.ts';
import { softmax } from '../runtime/math.ts';
import type { TensorValue } from '../runtime/onnx.ts';
import type { Timing } from '../runtime/policy.ts';
import { batchCap, output, submitAll, withRoom, type CallOptions, type ModelContext } from './context.ts';
import { entities, preEntities, type AggregationStrategy, type GroupEntity, type TokenEntity } from './entities.ts';
import { textAssembly, tokenRow } from './text-feeds.ts';
import { textHead } from './text-head.ts';

export interface TokenClassificationPipeline {
  task: 'token-classification';
  routes: string[];
  labels: string[];
  maxLength: number;
  aggregationStrategy: AggregationStrategy;
  /** The entities of each text (strategy and ignored labels default to the manifest's, then none and ["O"]). */
  recognize(
    inputs: string[],
    options: CallOptions & { truncate: boolean; strategy?: AggregationStrategy; ignoreLabels?: string[] },
  ): Promise<{ results: (TokenEntity[] | GroupEntity[])[]; tokens: number; timing: Timing[] }>;
  warmup(): Promise<void>;
}

export function tokenClassification(ctx: ModelContext): TokenClassificationPipeline {
  const { manifest } = ctx.source;
  const head = textHead(ctx);
  const { labels, tokenizer } = head;
  const aggregationStrategy = manifest.aggregation_strategy ?? 'none';
  const ignoreLabels = manifest.ignore_labels ?? ['O'];

  // Each item's answer: its logits rows [t, labels] (padding cut off in the worker).
  const op = ctx.scheduler.operation({
    name: 'token-classification',
    text: true,
    maxBatchSize: batchCap(ctx, 'model', head.input('input_ids')),
    plan: { steps: [{ graph: 'model', fetches: [head.logits] }], assemble: textAssembly(head.graph, head.input), cut: { kind: 'tokens' } },
  });
  /** The [t, labels] logits as one row per token. */
  const rowsOf = (value: Record<string, TensorValue>) => {
    const t = output(value, head.logits);
    const width = t.dims[1] ?? 0;
    const data = t.data as Float32Array;
    return Array.from({ length: t.dims[0] ?? 0 }, (_, j) => data.subarray(j * width, (j + 1) * width));
  };

  const encode = async (text: string, label: string, truncate: boolean) => {
    if (text.trim() === '') throw new Errors.INVALID_INPUT(`${label} is empty`);
    return tokenizer.encode(text, undefined, { truncate, label });
  };

  return {
    task: 'token-classification',
    routes: ['token-classification'],
    labels,
    maxLength: head.maxLength,
    aggregationStrategy,
    async recognize(inputs, options) {
      const { encoded, answers } = await withRoom(ctx, inputs.length, async (reservation) => {
        const encoded = await Promise.all(inputs.map((text, i) => encode(text, `inputs[${i}]`, options.truncate)));
        return {
          encoded,
          answers: await submitAll(
            ctx,
            op,
            encoded.map((e) => tokenRow(e.ids)),
            { ...options, reservation },
          ),
        };
      });
      const o = { labels, strategy: options.strategy ?? aggregationStrategy, ignoreLabels: options.ignoreLabels ?? ignoreLabels, decode: (tokens: string[]) => tokenizer.decodeTokens(tokens) };
      const results = answers.map((a, i) =>
        entities(
          preEntities(
            inputs[i]!,
            encoded[i]!,
            rowsOf(a.value).map((row) => softmax(row)),
            tokenizer,
          ),
          o,
        ),
      );
      return { results, tokens: encoded.reduce((s, e) => s + e.ids.length, 0), timing: answers.map((a) => a.timing) };
    },
    async warmup() {
      const e = await encode('warm up', 'warmup', true);
      const rows = rowsOf((await op.submit(tokenRow(e.ids))).value);
      head.checkWidth(rows[0]?.length ?? 0);
    },
  };
}
