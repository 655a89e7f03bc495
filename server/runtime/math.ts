// Numeric helpers shared by the runtime (sampling) and the task pipelines (scores).

export function softmax(logits: ArrayLike<number>, temperature = 1): Float64Array {
  return softmaxInto(logits, temperature, new Float64Array(logits.length));
}

/** softmax(logits / temperature) written into `out` (at least as long as `logits`); returns `out`. */
export function softmaxInto(logits: ArrayLike<number>, temperature: number, out: Float64Array): Float64Array {
  let max = -Infinity;
  for (let i = 0; i < logits.length; i++) max = Math.max(max, (logits[i] as number) / temperature);
  let sum = 0;
  for (let i = 0; i < logits.length; i++) sum += out[i] = Math.exp((logits[i] as number) / temperature - max);
  for (let i = 0; i < logits.length; i++) out[i] = (out[i] as number) / sum;
  return out;
}

export function sigmoid(x: number): number {
  return 1 / (1 + Math.exp(-x));
}

/** The `k` highest scores, best first (ties: the lower index first), in one pass over `scores`. */
export function topK(scores: ArrayLike<number>, k: number): { index: number; score: number }[] {
  const n = Math.min(Math.max(0, Math.floor(k)), scores.length);
  const best: { index: number; score: number }[] = [];
  if (n === 0) return best;
  for (let index = 0; index < scores.length; index++) {
    const score = scores[index] as number;
    if (best.length === n && !(score > best[n - 1]!.score)) continue;
    let at = best.length === n ? n - 1 : best.length;
    while (at > 0 && score > best[at - 1]!.score) at--;
    best.splice(at, 0, { index, score });
    if (best.length > n) best.pop();
  }
  return best;
}
