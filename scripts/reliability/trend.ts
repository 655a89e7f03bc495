// Trends of sampled series: least-squares slope per minute, and start/peak/end.

export interface Point {
  t_s: number;
  v: number;
}

/** Least-squares slope of v over t, in v-units per minute; null with fewer than two distinct times. */
export function slopePerMinute(points: Point[]): number | null {
  const n = points.length;
  if (n < 2) return null;
  const mt = points.reduce((s, p) => s + p.t_s, 0) / n;
  const mv = points.reduce((s, p) => s + p.v, 0) / n;
  let cov = 0;
  let vt = 0;
  for (const p of points) {
    cov += (p.t_s - mt) * (p.v - mv);
    vt += (p.t_s - mt) ** 2;
  }
  return vt > 0 ? (cov / vt) * 60 : null;
}

export interface Span {
  start: number | null;
  peak: number | null;
  end: number | null;
}

export function span(values: (number | null)[]): Span {
  const xs = values.filter((v): v is number => v !== null);
  return { start: xs[0] ?? null, peak: xs.length ? Math.max(...xs) : null, end: xs.at(-1) ?? null };
}
