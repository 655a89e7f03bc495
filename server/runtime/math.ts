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

export function topK(scores: ArrayLike<number>, k: number): { index: number; score: number }[] {
  return Array.from(scores, (score, index) => ({ index, score }))
    .sort((a, b) => b.score - a.score)
    .slice(0, Math.max(0, k));
}
