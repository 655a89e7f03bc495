// text-classification panel: type a text (and, for a cross-encoder, a second one) → every label's score as bars.
import { describeError, modelPath, postJson } from '../lib/api.js';
import { barList } from '../lib/bars.js';
import { apiCallBox } from '../lib/curl.js';
import { busy, field, h, statusLine } from '../lib/dom.js';

export const task = 'text-classification';
export const id = 'text-classify';
export const title = 'Text classification';
export const nav = 'Classify text';
export const intro = 'Type a sentence: the model scores every label (softmax, a sigmoid per label for multi-label models, the raw value for regression).';

const EXAMPLES = ['a small furry animal that purrs', 'a sweet yellow fruit that grows in bunches', 'a person who flies an aircraft', 'a tool for cutting wood'];

/** What the scores are, from the model's effective manifest. */
const KIND = { softmax: 'probabilities (softmax)', sigmoid: 'one probability per label (sigmoid)', none: 'raw scores (regression)' };

export function render(model) {
  const fn = model.manifest?.function_to_apply ?? 'softmax';
  const text = h('textarea', { rows: 3, spellcheck: false }, EXAMPLES[0]);
  const pair = h('input', { type: 'text', spellcheck: false, placeholder: 'optional: a second text, for sentence-pair models' });
  const run = h('button', { type: 'submit', class: 'primary' }, 'Classify');
  const out = h('div', { class: 'text-classify-out', dataset: { state: 'idle' } });
  const status = statusLine();
  const api = apiCallBox();
  const percent = (s) => `${(s * 100).toFixed(1)}%`;
  const format = fn === 'none' ? (s) => s.toFixed(3) : percent;

  async function classify() {
    const path = modelPath(model.name, 'classify');
    const second = pair.value.trim();
    const body = { inputs: second ? [[text.value, second]] : text.value, top_k: null };
    api.show({ path, json: body });
    out.dataset.state = 'running';
    status.set('Classifying…');
    const started = performance.now();
    try {
      const { results } = await postJson(path, body);
      const predictions = results[0].predictions;
      out.replaceChildren(
        barList(
          predictions.map((p) => ({ label: p.label, score: p.score })),
          { format },
        ),
      );
      out.dataset.state = 'done';
      status.set(`Top label: ${predictions[0].label} (${format(predictions[0].score)}) in ${Math.round(performance.now() - started)} ms; ${KIND[fn] ?? fn}.`);
    } catch (err) {
      out.dataset.state = 'error';
      out.replaceChildren();
      status.set(describeError(err), 'error');
    }
  }

  const examples = h(
    'div',
    { class: 'examples' },
    EXAMPLES.map((example) => h('button', { type: 'button', class: 'chip', onclick: () => ((text.value = example), busy(run, classify)) }, example)),
  );
  return h(
    'form',
    { class: 'tool-body', onsubmit: (e) => (e.preventDefault(), busy(run, classify)) },
    h('div', { class: 'controls' }, field('Text', text), examples, field('Text pair', pair), h('div', { class: 'buttons' }, run), api.el),
    h('div', { class: 'results' }, status.el, out),
  );
}
