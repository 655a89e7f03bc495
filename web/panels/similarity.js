// Sentence similarity: embed several sentences, show the cosine-similarity matrix as a coloured table
// (the embeddings are unit length, so cosine similarity is their dot product).
import { describeError, modelPath, postJson } from '../lib/api.js';
import { gradient, inkOn, rgb, viridis } from '../lib/colormap.js';
import { apiCallBox } from '../lib/curl.js';
import { busy, field, h, statusLine } from '../lib/dom.js';

export const id = 'similarity';
export const title = 'Sentence similarity';

const SENTENCES = ['a cat sat on the mat', 'the kitten slept on the rug', 'a dog chased the ball in the park', 'stocks fell sharply today', 'the market dropped this morning'];

const dot = (a, b) => a.reduce((sum, v, i) => sum + v * b[i], 0);

function matrixTable(sentences, sims) {
  const off = sims.flatMap((row, i) => row.filter((_, j) => i !== j));
  const low = Math.min(...off, 1);
  const scale = (v) => (1 - low < 1e-6 ? 1 : (v - low) / (1 - low));
  return h(
    'div',
    { class: 'matrix-wrap' },
    h(
      'table',
      { class: 'matrix' },
      h('caption', {}, 'Cosine similarity (colour: ', h('span', { class: 'legend', style: `background: ${gradient()}` }), ` ${low.toFixed(2)} … 1)`),
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          h('td'),
          sentences.map((s, j) => h('th', { scope: 'col', title: s }, String(j + 1))),
        ),
      ),
      h(
        'tbody',
        {},
        sims.map((row, i) =>
          h(
            'tr',
            {},
            h('th', { scope: 'row', title: sentences[i] }, h('span', {}, `${i + 1}. ${sentences[i]}`)),
            row.map((v) => {
              const colour = viridis(scale(v));
              return h('td', { style: `background: ${rgb(colour)}; color: ${inkOn(colour)}` }, v.toFixed(2));
            }),
          ),
        ),
      ),
    ),
  );
}

export function render(model) {
  const input = h('textarea', { rows: 6, spellcheck: false }, SENTENCES.join('\n'));
  const run = h('button', { type: 'submit', class: 'primary' }, 'Compare');
  const out = h('div', { class: 'similarity-out' });
  const status = statusLine();
  const api = apiCallBox();

  async function compare() {
    const sentences = input.value
      .split('\n')
      .map((s) => s.trim())
      .filter(Boolean)
      .slice(0, 32);
    if (sentences.length < 2) return status.set('Enter at least two sentences, one per line.', 'error');
    const path = modelPath(model.name, 'embed');
    const body = { inputs: sentences };
    api.show({ path, json: body });
    status.set('Embedding…');
    try {
      const { embeddings, dimensions } = await postJson(path, body);
      const sims = embeddings.map((a) => embeddings.map((b) => dot(a, b)));
      out.replaceChildren(matrixTable(sentences, sims));
      status.set(`${sentences.length} sentences → ${dimensions}-dimensional unit vectors.`);
    } catch (err) {
      status.set(describeError(err), 'error');
    }
  }

  return h(
    'form',
    { class: 'tool-body', onsubmit: (e) => (e.preventDefault(), busy(run, compare)) },
    h('div', { class: 'controls' }, field('Sentences, one per line', input), h('div', { class: 'buttons' }, run), api.el),
    h('div', { class: 'results' }, status.el, out),
  );
}
