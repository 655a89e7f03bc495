// A perceptually ordered colour scale (viridis, sampled at 9 stops) for heatmaps.

const STOPS = [
  [68, 1, 84],
  [71, 44, 122],
  [59, 81, 139],
  [44, 113, 142],
  [33, 144, 141],
  [39, 173, 129],
  [92, 200, 99],
  [170, 220, 50],
  [253, 231, 37],
];

/** t in [0, 1] → [r, g, b]. */
export function viridis(t) {
  const x = Math.min(1, Math.max(0, Number.isFinite(t) ? t : 0)) * (STOPS.length - 1);
  const i = Math.min(STOPS.length - 2, Math.floor(x));
  const f = x - i;
  const a = STOPS[i];
  const b = STOPS[i + 1];
  return a.map((v, k) => Math.round(v + (b[k] - v) * f));
}

export const rgb = ([r, g, b]) => `rgb(${r} ${g} ${b})`;

/** Black or white, whichever reads better on the colour. */
export const inkOn = ([r, g, b]) => (0.299 * r + 0.587 * g + 0.114 * b > 140 ? '#111' : '#fff');

/** A CSS linear-gradient of the scale, for legends. */
export const gradient = () => `linear-gradient(to right, ${STOPS.map((c) => rgb(c)).join(', ')})`;
