// Ranked score bars (classification labels, fill-mask tokens): text for everyone, a bar for the eye.
import { h } from './dom.js';

const percent = (score) => `${(score * 100).toFixed(1)}%`;

/** items: [{ label, score, note? }], best first; `format` writes a score (default: a percentage). */
export function barList(items, { className = '', format = percent } = {}) {
  return h(
    'ol',
    { class: `bars ${className}`.trim() },
    items.map((item, rank) =>
      h(
        'li',
        { class: rank === 0 ? 'top' : '', dataset: { label: item.label } },
        h('span', { class: 'bar-label' }, item.label, item.note ? h('small', {}, ` ${item.note}`) : null),
        h('span', { class: 'bar-track', 'aria-hidden': 'true' }, h('span', { class: 'bar-fill', style: `width: ${Math.min(100, Math.max(0.5, item.score * 100))}%` })),
        h('span', { class: 'bar-value' }, format(item.score)),
      ),
    ),
  );
}
