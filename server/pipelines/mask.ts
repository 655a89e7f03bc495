// Fill-mask, shared by the text-embedding pipeline (encoder → MLM head) and the fill-mask pipeline (one
// …ForMaskedLM graph): a text's [MASK] positions, bounded in candidates before it runs; the worker keeps the
// top-k candidates at each ([M, k] ids and probabilities); here they become predictions with the filled text.
import { Errors } from '../errors.ts';
import type { Timing } from '../runtime/policy.ts';
import type { Operation } from '../runtime/scheduler.ts';
import { output, withRoom, type CallOptions, type ModelContext } from './context.ts';
import { tokenRow } from './text-feeds.ts';
import type { TextTokenizer } from './tokenizer.ts';

/** Most candidates (masks × top_k) one request may ask for: each is a decoded sequence in the answer. */
export const MAX_MASK_CANDIDATES = 1024;

export interface MaskPrediction {
  token: string;
  token_id: number;
  score: number;
  sequence: string;
}

export interface MaskResult {
  position: number;
  predictions: MaskPrediction[];
}

/** How many candidates a request has left (one budget across the texts of a request). */
export interface CandidateBudget {
  left: number;
}

export type FillMaskOptions = CallOptions & { topK: number; budget?: CandidateBudget };

/** Positions of the mask token in `ids`; throws INVALID_INPUT when there is none. */
export function maskPositions(tokenizer: TextTokenizer, ids: number[]): number[] {
  const maskId = tokenizer.tokenId(tokenizer.maskToken);
  const positions = ids.flatMap((id, i) => (id === maskId ? [i] : []));
  if (positions.length === 0) throw new Errors.INVALID_INPUT(`text must contain ${tokenizer.maskToken}`);
  return positions;
}

/** Spends `masks × topK` of the request's budget, or refuses (413) before anything runs. */
function spend(budget: CandidateBudget, masks: number, topK: number): void {
  const candidates = masks * topK;
  if (candidates > budget.left) {
    throw new Errors.OUTPUT_TOO_LARGE(`${masks} masks × top_k ${topK} = ${candidates} candidates; a request may ask for at most ${MAX_MASK_CANDIDATES} (fewer masks, a smaller top_k or fewer texts)`);
  }
  budget.left -= candidates;
}

/** One text through `op` (a plan with the mask-top-k cut): room, tokens, the candidate bound, the run, the predictions. */
export async function fillMaskText(ctx: ModelContext, tokenizer: TextTokenizer, op: Operation, text: string, opts: FillMaskOptions): Promise<{ masks: MaskResult[]; timing: Timing }> {
  if (text.trim() === '') throw new Errors.INVALID_INPUT('text is empty');
  const budget = opts.budget ?? { left: MAX_MASK_CANDIDATES };
  const { ids, positions, value, timing } = await withRoom(ctx, 1, async (reservation) => {
    const { ids } = await tokenizer.encode(text, undefined, { truncate: false, label: 'text' });
    const positions = maskPositions(tokenizer, ids);
    spend(budget, positions.length, opts.topK);
    return { ids, positions, ...(await op.submit({ ...tokenRow(ids), positions, topK: opts.topK }, { signal: opts.signal, timeoutMs: opts.timeoutMs, reservation })) };
  });
  return { masks: await maskPredictions(tokenizer, ids, positions, value), timing };
}

/** The predictions at each position from the worker's mask-top-k cut (`ids` and `scores`, [positions, k]). */
async function maskPredictions(tokenizer: TextTokenizer, ids: number[], positions: number[], value: Record<string, { dims: number[]; data: unknown }>): Promise<MaskResult[]> {
  const best = output(value as never, 'ids');
  const scores = output(value as never, 'scores').data as Float32Array;
  const k = best.dims[1] ?? 0;
  const candidates = best.data as Int32Array;
  const filled = positions.flatMap((position, m) => Array.from({ length: k }, (_, j) => ids.map((id, i) => (i === position ? candidates[m * k + j]! : id))));
  const sequences = await tokenizer.decodeBatch(filled);
  return positions.map((position, m) => ({
    position,
    predictions: Array.from({ length: k }, (_, j) => {
      const index = candidates[m * k + j]!;
      return { token: tokenizer.token(index), token_id: index, score: scores[m * k + j]!, sequence: sequences[m * k + j]! };
    }),
  }));
}
