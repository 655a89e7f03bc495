// Padded feeds for BERT-style graphs: input_ids, attention_mask, token_type_ids and position_ids, each only when
// the graph declares it, in the integer type it declares (int64 unless the session says int32).
import type { TensorValue } from '../runtime/onnx.ts';
import type { GraphInfo } from '../runtime/protocol.ts';

/** One tokenized input: its ids and, for a pair, its segment (token type) ids. */
export interface TokenRow {
  ids: number[];
  typeIds?: number[];
}

export const TEXT_ROLES = ['input_ids', 'attention_mask', 'token_type_ids', 'position_ids'] as const;
export type TextRole = (typeof TEXT_ROLES)[number];

/**
 * Builds the feeds of a batch padded to its longest row. `name` maps a role to the graph's input name (a manifest
 * may rename them); a role the graph lacks is not fed. `length` is the padded length.
 */
export function textFeeds(graph: GraphInfo, rows: TokenRow[], name: (role: TextRole) => string = (r) => r): { feeds: Record<string, TensorValue>; length: number } {
  const t = Math.max(...rows.map((r) => r.ids.length));
  const n = rows.length;
  const grid = (f: (row: TokenRow, j: number) => number) => rows.flatMap((row) => Array.from({ length: t }, (_, j) => (j < row.ids.length ? f(row, j) : 0)));
  const values: Record<TextRole, () => number[]> = {
    input_ids: () => grid((row, j) => row.ids[j]!),
    attention_mask: () => grid(() => 1),
    token_type_ids: () => grid((row, j) => row.typeIds?.[j] ?? 0),
    position_ids: () => grid((_, j) => j),
  };
  const feeds: Record<string, TensorValue> = {};
  for (const role of TEXT_ROLES) {
    const info = graph.inputs.find((i) => i.name === name(role));
    if (!info) continue;
    const data = values[role]();
    feeds[info.name] = info.type === 'int32'
      ? { type: 'int32', dims: [n, t], data: Int32Array.from(data) }
      : { type: 'int64', dims: [n, t], data: BigInt64Array.from(data, BigInt) };
  }
  return { feeds, length: t };
}

/** Throws a model error when the graph takes no input_ids (so it is no text model ortserve can feed). */
export function assertTextGraph(graph: GraphInfo, model: string, name: (role: TextRole) => string = (r) => r): void {
  if (graph.inputs.some((i) => i.name === name('input_ids'))) return;
  throw new Error(`model '${model}': the graph has no '${name('input_ids')}' input (its inputs: ${graph.inputs.map((i) => i.name).join(', ')})`);
}
