// Fill-mask post-processing shared by the text-embedding pipeline (encoder → MLM head) and the fill-mask pipeline
// (one …ForMaskedLM graph): the [MASK] positions of an input, and, from the top-k candidates the worker kept at
// each (ids and probabilities, [M, k]), the predictions with the filled-in text.
import { Errors } from '../errors.ts';
import type { ItemOutputs } from '../runtime/scheduler.ts';
import { output } from './context.ts';
import type { TextTokenizer } from './tokenizer.ts';

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

/** Positions of the mask token in `ids`; throws INVALID_INPUT when there is none. */
export function maskPositions(tokenizer: TextTokenizer, ids: number[]): number[] {
  const maskId = tokenizer.tokenId(tokenizer.maskToken);
  const positions = ids.flatMap((id, i) => (id === maskId ? [i] : []));
  if (positions.length === 0) throw new Errors.INVALID_INPUT(`text must contain ${tokenizer.maskToken}`);
  return positions;
}

/** The predictions at each position from the worker's mask-top-k cut (`ids` and `scores`, [positions, k]). */
export async function maskPredictions(tokenizer: TextTokenizer, ids: number[], positions: number[], value: ItemOutputs): Promise<MaskResult[]> {
  const best = output(value, 'ids');
  const scores = output(value, 'scores').data as Float32Array;
  const k = best.dims[1] ?? 0;
  const candidates = best.data as Int32Array;
  return Promise.all(
    positions.map(async (position, m) => ({
      position,
      predictions: await Promise.all(
        Array.from({ length: k }, async (_, j) => {
          const index = candidates[m * k + j]!;
          const filled = ids.map((id, i) => (i === position ? index : id));
          return { token: tokenizer.token(index), token_id: index, score: scores[m * k + j]!, sequence: await tokenizer.decode(filled) };
        }),
      ),
    })),
  );
}
