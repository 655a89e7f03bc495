// Fill-mask: text with [MASK] → the model's ranked guesses for each mask.
import { describeError, modelPath, postJson } from '../lib/api.js';
import { barList } from '../lib/bars.js';
import { apiCallBox } from '../lib/curl.js';
import { busy, field, h, intValue, numberInput, statusLine } from '../lib/dom.js';

export const id = 'fill-mask';
export const title = 'Fill the mask';

export function render(model) {
  const text = h('input', { type: 'text', value: 'the cat sat on the [MASK].', spellcheck: false });
  const topK = numberInput({ value: 5, min: 1, max: 100 });
  const run = h('button', { type: 'submit', class: 'primary' }, 'Predict');
  const out = h('div', { class: 'fill-mask-out' });
  const status = statusLine();
  const api = apiCallBox();

  async function predict() {
    const path = modelPath(model.name, 'fill-mask');
    const body = { text: text.value, top_k: intValue(topK) ?? 5 };
    api.show({ path, json: body });
    status.set('Predicting…');
    try {
      const { masks } = await postJson(path, body);
      out.replaceChildren(
        ...masks.map((m, i) =>
          h(
            'div',
            { class: 'mask' },
            h('p', { class: 'label' }, masks.length > 1 ? `Mask ${i + 1} (token ${m.position})` : `Best: “${m.predictions[0]?.sequence ?? ''}”`),
            barList(m.predictions.map((p) => ({ label: p.token, score: p.score }))),
          ),
        ),
      );
      status.set(masks.length ? `${masks.length} mask${masks.length > 1 ? 's' : ''} filled.` : 'No [MASK] in the text.', masks.length ? 'info' : 'error');
    } catch (err) {
      status.set(describeError(err), 'error');
    }
  }

  return h(
    'form',
    { class: 'tool-body', onsubmit: (e) => (e.preventDefault(), busy(run, predict)) },
    h('div', { class: 'controls' }, field('Text with [MASK]', text), h('div', { class: 'row' }, field('Guesses (top_k)', topK)), h('div', { class: 'buttons' }, run), api.el),
    h('div', { class: 'results' }, status.el, out),
  );
}
