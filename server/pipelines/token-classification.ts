// token-classification (…ForTokenClassification, NER): texts → fast tokenizer (offsets, subword marks) → length-
// grouped batches under the token budget → logits [N, T, labels] → softmax per token → entities (./entities.ts),
// with start/end as character offsets into the text as sent.
import { Errors } from '../errors.ts';
import { softmax } from '../runtime/math.ts';
import type { Timing } from '../runtime/policy.ts';
import { allOrNothing } from '../runtime/request.ts';
import { batchCap, output, type CallOptions, type ModelContext } from './context.ts';
import { entities, preEntities, type AggregationStrategy, type GroupEntity, type TokenEntity } from './entities.ts';
import { textFeeds, type TokenRow } from './text-feeds.ts';
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
  const { manifest, name } = ctx.source;
  const head = textHead(ctx);
  const { labels, tokenizer } = head;
  const aggregationStrategy = manifest.aggregation_strategy ?? 'none';
  const ignoreLabels = manifest.ignore_labels ?? ['O'];

  // Each item's answer: its logits rows [T, labels] (padding cut off).
  const op = ctx.scheduler.operation<TokenRow, Float32Array[]>({
    name: 'token-classification',
    text: true,
    maxBatchSize: batchCap(ctx, 'model', head.input('input_ids')),
    async run(items, exec) {
      const { feeds, length } = textFeeds(head.graph, items, head.input);
      const { outputs, ms } = await exec([{ graph: 'model', feeds, fetches: [head.logits] }]);
      const t = output(outputs, head.logits);
      const width = t.dims.at(-1) ?? 0;
      const data = t.data as Float32Array;
      const rows = items.map((it, i) => Array.from({ length: it.ids.length }, (_, j) => data.subarray((i * length + j) * width, (i * length + j + 1) * width).slice()));
      return { outputs: rows, inferenceMs: ms };
    },
  });

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
      const encoded = await Promise.all(inputs.map((text, i) => encode(text, `inputs[${i}]`, options.truncate)));
      ctx.scheduler.assertRoom(encoded.length);
      const answers = await allOrNothing(name, options.signal, encoded.map((e) => (signal) => op.submit({ ids: e.ids }, { signal, timeoutMs: options.timeoutMs, cost: e.ids.length })));
      const o = { labels, strategy: options.strategy ?? aggregationStrategy, ignoreLabels: options.ignoreLabels ?? ignoreLabels, decode: tokenizer.decodeTokens };
      const results = answers.map((a, i) => entities(preEntities(inputs[i]!, encoded[i]!, a.value.map((row) => softmax(row)), tokenizer), o));
      return { results, tokens: encoded.reduce((s, e) => s + e.ids.length, 0), timing: answers.map((a) => a.timing) };
    },
    async warmup() {
      const e = await encode('warm up', 'warmup', true);
      const rows = (await op.submit({ ids: e.ids }, { cost: e.ids.length })).value;
      head.checkWidth(rows[0]?.length ?? 0);
    },
  };
}
