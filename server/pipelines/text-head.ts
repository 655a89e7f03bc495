// What the Hugging Face text heads (sequence and token classification) share: the tokenizer, the graph's
// inputs and logits output, and class labels checked against the width of that output.
import path from 'node:path';
import type { GraphInfo } from '../runtime/protocol.ts';
import { graphInfo, type ModelContext } from './context.ts';
import { assertTextGraph, type TextRole } from './text-feeds.ts';
import { loadTokenizer, type TextTokenizer } from './tokenizer.ts';

export interface TextHead {
  graph: GraphInfo;
  tokenizer: TextTokenizer;
  /** The graph input of a role (the manifest's `inputs` may rename them). */
  input: (role: TextRole) => string;
  /** The logits output: the manifest's `outputs.logits`, else one named `logits`, else the first. */
  logits: string;
  labels: string[];
  maxLength: number;
  /** Throws the model error for a logits row of `width` classes that disagrees with the labels. */
  checkWidth(width: number): void;
}

/** Reads the head of `ctx.graphs.model`; throws a model error when its labels disagree with its output's width. */
export function textHead(ctx: ModelContext): TextHead {
  const { manifest, versionDir, name, sources } = ctx.source;
  const graph = graphInfo(ctx, 'model');
  const input = (role: TextRole) => manifest.inputs?.[role] ?? role;
  assertTextGraph(graph, name, input);
  const logits = manifest.outputs?.logits ?? graph.outputs.find((o) => o.name === 'logits')?.name ?? graph.outputs[0]?.name;
  if (!logits) throw new Error(`model '${name}': the graph has no outputs`);
  const declared = graph.outputs.find((o) => o.name === logits)?.shape?.at(-1) ?? -1;
  const labels = manifest.labels ?? (declared > 0 ? Array.from({ length: declared }, (_, i) => `LABEL_${i}`) : []);
  const from = sources.labels ?? 'labels';
  const checkWidth = (width: number) => {
    if (labels.length === 0 || width === labels.length) return;
    throw new Error(`model '${name}': ${from} names ${labels.length} labels but the graph's '${logits}' output has ${width} classes`);
  };
  if (declared > 0) checkWidth(declared);
  const maxLength = manifest.max_length ?? 512;
  const tokenizer = loadTokenizer(path.resolve(versionDir, manifest.tokenizer ?? 'tokenizer.json'), maxLength);
  return { graph, tokenizer, input, logits, labels, maxLength, checkWidth };
}
