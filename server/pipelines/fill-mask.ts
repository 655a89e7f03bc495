// fill-mask (…ForMaskedLM exported as one graph): text with [MASK] → tokenize (off the event loop) → length-grouped
// batches under the token budget → the worker runs the graph and keeps, at each mask, the top-k candidates of the
// [N, T, vocabulary] logits → the predictions (./mask.ts, shared with the text-embedding pipeline's encoder + MLM head).
import path from 'node:path';
import type { Timing } from '../runtime/policy.ts';
import { graphInfo, type ModelContext } from './context.ts';
import { fillMaskText, type FillMaskOptions, type MaskResult } from './mask.ts';
import { assertTextGraph, textAssembly, type TextRole } from './text-feeds.ts';
import { loadTokenizer } from './tokenizer.ts';

export interface FillMaskPipeline {
  task: 'fill-mask';
  routes: string[];
  maxLength: number;
  maxChars: number;
  fillMask(text: string, opts: FillMaskOptions): Promise<{ masks: MaskResult[]; timing: Timing }>;
  warmup(): Promise<void>;
}

export function fillMask(ctx: ModelContext): FillMaskPipeline {
  const { manifest, versionDir, name } = ctx.source;
  const maxLength = manifest.max_length ?? 512;
  const tokenizer = loadTokenizer(path.resolve(versionDir, manifest.tokenizer ?? 'tokenizer.json'), maxLength);
  const graph = graphInfo(ctx, 'model');
  const input = (r: TextRole) => manifest.inputs?.[r] ?? r;
  assertTextGraph(graph, name, input);
  const logits = manifest.outputs?.logits ?? graph.outputs.find((o) => o.name === 'logits')?.name ?? graph.outputs[0]?.name;
  if (!logits) throw new Error(`model '${name}': the graph has no outputs`);

  const op = ctx.scheduler.operation({
    name: 'fill-mask',
    text: true,
    plan: { steps: [{ graph: 'model', fetches: [logits] }], assemble: textAssembly(graph, input), cut: { kind: 'mask-top-k' } },
  });

  return {
    task: 'fill-mask',
    routes: ['fill-mask'],
    maxLength,
    maxChars: tokenizer.maxChars,
    fillMask: (text, opts) => fillMaskText(ctx, tokenizer, op, text, opts),
    async warmup() {
      const [row] = await tokenizer.encodeIds(['warm up'], { truncate: true, labels: () => 'warmup' });
      await op.submit({ ids: row!.ids, positions: [0], topK: 1 });
    },
  };
}
