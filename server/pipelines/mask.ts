// Fill-mask post-processing shared by the text-embedding pipeline (encoder → MLM head) and the fill-mask pipeline
// (one …ForMaskedLM graph): the [MASK] positions of an input, and the top-k tokens for each with the filled text.
import { Errors } from '../errors.ts';
import { softmax, topK } from '../runtime/math.ts';
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

/** The `k` likeliest tokens at each position (`logits[m]` is the vocabulary row of `positions[m]`). */
export function maskPredictions(tokenizer: TextTokenizer, ids: number[], positions: number[], logits: ArrayLike<number>[], k: number): MaskResult[] {
  return positions.map((position, m) => ({
    position,
    predictions: topK(softmax(logits[m]!), k).map(({ index, score }) => {
      const filled = ids.map((id, i) => (i === position ? index : id));
      return { token: tokenizer.token(index), token_id: index, score, sequence: tokenizer.decode(filled) };
    }),
  }));
}
