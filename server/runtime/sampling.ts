// Token sampling for text generation: temperature, top-k, top-p (nucleus), seeded.
import { softmaxInto } from './math.ts';
import type { Rng } from './random.ts';

export interface SamplingParams {
  temperature: number;
  topK: number;
  topP: number;
}

/** Probabilities of the row being sampled, reused from call to call (one engine samples one row at a time). */
let scratch = new Float64Array(0);

/** Picks the next token from one row of logits. temperature 0 is greedy. */
export function sample(logits: ArrayLike<number>, params: SamplingParams, rng: Rng): number {
  if (params.temperature <= 0) {
    let best = 0;
    for (let i = 1; i < logits.length; i++) if ((logits[i] as number) > (logits[best] as number)) best = i;
    return best;
  }
  if (scratch.length < logits.length) scratch = new Float64Array(logits.length);
  const probs = softmaxInto(logits, params.temperature, scratch).subarray(0, logits.length);
  if (params.topK <= 0 && params.topP >= 1) {
    // Plain sampling needs no ranking: walk the distribution in index order.
    let r = rng.uniform();
    for (let i = 0; i < probs.length; i++) {
      r -= probs[i] as number;
      if (r <= 0) return i;
    }
    return probs.length - 1;
  }
  let order = Array.from(probs.keys()).sort((a, b) => (probs[b] as number) - (probs[a] as number) || a - b);
  if (params.topK > 0) order = order.slice(0, params.topK);
  if (params.topP < 1) {
    let cum = 0;
    const kept: number[] = [];
    for (const i of order) {
      kept.push(i);
      cum += probs[i] as number;
      if (cum >= params.topP) break;
    }
    order = kept;
  }
  const total = order.reduce((s, i) => s + (probs[i] as number), 0);
  let r = rng.uniform() * total;
  for (const i of order) {
    r -= probs[i] as number;
    if (r <= 0) return i;
  }
  return order.at(-1) ?? 0;
}
