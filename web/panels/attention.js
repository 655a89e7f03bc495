// Attention maps: one sentence → softmax(QKᵀ/√d) of any layer and head (or their mean) as a
// token-by-token heatmap; rows attend (from), columns are attended to.
import { describeError, modelPath, postJson } from '../lib/api.js';
import { apiCallBox } from '../lib/curl.js';
import { busy, field, h, select, statusLine } from '../lib/dom.js';
import { drawHeatmap } from '../lib/heatmap.js';

export const id = 'attention';
export const title = 'Attention';

const MEAN = 'mean';

function meanOfHeads(heads) {
  return heads[0].map((row, r) => row.map((_, c) => heads.reduce((sum, head) => sum + head[r][c], 0) / heads.length));
}

export function render(model) {
  const text = h('input', { type: 'text', value: 'the cat sat on the mat because it was tired', spellcheck: false });
  const run = h('button', { type: 'submit', class: 'primary' }, 'Show attention');
  const layer = select([], '');
  const head = select([], '');
  layer.disabled = head.disabled = true;
  const canvas = h('canvas', { class: 'heatmap', tabindex: 0, role: 'img', 'aria-label': 'Attention heatmap' });
  const readout = h('p', { class: 'readout', 'aria-live': 'polite' }, 'Point at a cell, or focus the map and use the arrow keys.');
  const view = h('div', { class: 'heatmap-wrap', hidden: true }, canvas);
  const status = statusLine();
  const api = apiCallBox();
  let data = null;

  function draw() {
    if (!data) return;
    const heads = data.attentions[Number(layer.value)];
    const matrix = head.value === MEAN ? meanOfHeads(heads) : heads[Number(head.value)];
    const labels = data.tokens;
    const which = `layer ${Number(layer.value) + 1}, ${head.value === MEAN ? 'mean of heads' : `head ${Number(head.value) + 1}`}`;
    canvas.setAttribute('aria-label', `Attention heatmap, ${which}: ${labels.length} × ${labels.length} tokens`);
    view.hidden = false;
    drawHeatmap(canvas, matrix, {
      rowLabels: labels,
      colLabels: labels,
      width: view.clientWidth || 600,
      onHover: (r, c) => (readout.textContent = `${which}: “${labels[r]}” → “${labels[c]}” = ${matrix[r][c].toFixed(3)}`),
    });
  }

  async function show() {
    const path = modelPath(model.name, 'attention');
    const body = { text: text.value };
    api.show({ path, json: body });
    status.set('Running the encoder…');
    try {
      data = await postJson(path, body);
      const [layers, heads] = [data.attentions.length, data.attentions[0]?.length ?? 0];
      const keepLayer = Math.min(Number(layer.value) || 0, layers - 1);
      const keepHead = head.value === MEAN ? MEAN : String(Math.min(Number(head.value) || 0, heads - 1));
      layer.replaceChildren(...Array.from({ length: layers }, (_, i) => h('option', { value: i }, `Layer ${i + 1}`)));
      head.replaceChildren(...Array.from({ length: heads }, (_, i) => h('option', { value: i }, `Head ${i + 1}`)), h('option', { value: MEAN }, 'Mean of heads'));
      layer.value = String(keepLayer);
      head.value = keepHead;
      layer.disabled = head.disabled = false;
      draw();
      status.set(`${data.tokens.length} tokens, ${layers} layers × ${heads} heads.`);
    } catch (err) {
      status.set(describeError(err), 'error');
    }
  }

  let width = 0;
  new ResizeObserver(() => {
    if (Math.abs(view.clientWidth - width) < 8) return;
    width = view.clientWidth;
    draw();
  }).observe(view);
  layer.addEventListener('change', draw);
  head.addEventListener('change', draw);
  return h(
    'form',
    { class: 'tool-body', onsubmit: (e) => (e.preventDefault(), busy(run, show)) },
    h('div', { class: 'controls' }, field('Sentence', text), h('div', { class: 'row' }, field('Layer', layer), field('Head', head)), h('div', { class: 'buttons' }, run), api.el),
    h('div', { class: 'results' }, status.el, view, readout),
  );
}
