// Which inputs of a BERT-style graph the worker feeds from token rows: input_ids, attention_mask,
// token_type_ids and position_ids, each only when the graph declares it (a manifest may rename
// them). The worker pads the rows and writes them in the integer type the graph declares.
import { TEXT_ROLES, type Assembly, type GraphInfo, type TextRole } from '../runtime/protocol.ts';

export type { TextRole };

/** The 'text' assembly of `graph`: each role the graph takes, by its input name. */
export function textAssembly(graph: GraphInfo, name: (role: TextRole) => string = (r) => r): Assembly {
  const inputs: Partial<Record<TextRole, string>> = {};
  for (const role of TEXT_ROLES) if (graph.inputs.some((i) => i.name === name(role))) inputs[role] = name(role);
  return { kind: 'text', inputs };
}

/** Throws a model error when the graph takes no input_ids (so it is no text model ortserve can feed). */
export function assertTextGraph(graph: GraphInfo, model: string, name: (role: TextRole) => string = (r) => r): void {
  if (graph.inputs.some((i) => i.name === name('input_ids'))) return;
  throw new Error(`model '${model}': the graph has no '${name('input_ids')}' input (its inputs: ${graph.inputs.map((i) => i.name).join(', ')})`);
}

/** A token row as the worker takes it (moved, not copied). */
export const tokenRow = (ids: number[], typeIds?: number[]) => ({ ids: Int32Array.from(ids), ...(typeIds ? { typeIds: Int32Array.from(typeIds) } : {}) });
