// fill-mask (…ForMaskedLM exported as one graph): text with [MASK] → tokenize → length-grouped batches under the
// token budget → logits [N, T, vocabulary] → the likeliest tokens at each mask (./mask.ts, shared with the
// text-embedding pipeline's encoder + MLM head).
import path from 'node:path';
import { Errors } from '../errors.ts';
import type { Timing } from '../runtime/policy.ts';
import { graphInfo, output, type CallOptions, type ModelContext } from './context.ts';
import { maskPositions, maskPredictions, type MaskResult } from './mask.ts';
import { assertTextGraph, textFeeds, type TextRole } from './text-feeds.ts';
import { loadTokenizer } from './tokenizer.ts';

export interface FillMaskPipeline {
  task: 'fill-mask';
  routes: string[];
  maxLength: number;
  fillMask(text: string, opts: CallOptions & { topK: number }): Promise<{ masks: MaskResult[]; timing: Timing }>;
  warmup(): Promise<void>;
}

interface Item {
  ids: number[];
  positions: number[];
}

export function fillMask(ctx: ModelContext): FillMaskPipeline {
  const { manifest, versionDir, name } = ctx.source;
  const tokenizer = loadTokenizer(path.resolve(versionDir, manifest.tokenizer ?? 'tokenizer.json'));
  const graph = graphInfo(ctx, 'model');
  const input = (r: TextRole) => manifest.inputs?.[r] ?? r;
  assertTextGraph(graph, name, input);
  const logits = manifest.outputs?.logits ?? graph.outputs.find((o) => o.name === 'logits')?.name ?? graph.outputs[0]?.name;
  if (!logits) throw new Error(`model '${name}': the graph has no outputs`);
  const maxLength = manifest.max_length ?? 512;

  // Each item's answer: the vocabulary rows at its mask positions.
  const op = ctx.scheduler.operation<Item, Float32Array[]>({
    name: 'fill-mask',
    text: true,
    async run(items, exec) {
      const { feeds, length } = textFeeds(graph, items, input);
      const { outputs, ms } = await exec([{ graph: 'model', feeds, fetches: [logits] }]);
      const t = output(outputs, logits);
      const v = t.dims.at(-1) ?? 0;
      const data = t.data as Float32Array;
      return { outputs: items.map((it, i) => it.positions.map((p) => data.slice((i * length + p) * v, (i * length + p + 1) * v))), inferenceMs: ms };
    },
  });

  return {
    task: 'fill-mask',
    routes: ['fill-mask'],
    maxLength,
    async fillMask(text, opts) {
      if (text.trim() === '') throw new Errors.INVALID_INPUT('text is empty');
      const enc = tokenizer.encode(text, { maxLength, truncate: false, label: 'text' });
      const positions = maskPositions(tokenizer, enc.ids);
      const { value, timing } = await op.submit({ ids: enc.ids, positions }, { ...opts, cost: enc.ids.length });
      return { masks: maskPredictions(tokenizer, enc.ids, positions, value, opts.topK), timing };
    },
    async warmup() {
      const ids = tokenizer.encode('warm up', { maxLength, truncate: true, label: 'warmup' }).ids;
      await op.submit({ ids, positions: [0] });
    },
  };
}
