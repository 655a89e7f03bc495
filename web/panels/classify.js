// image-classification panel: drop, pick or paste an image (or a bundled sample) → the image and top-k bars.
import { describeError, getJson, modelPath, postForm } from '../lib/api.js';
import { barList } from '../lib/bars.js';
import { apiCallBox } from '../lib/curl.js';
import { field, h, intValue, numberInput, statusLine } from '../lib/dom.js';

export const task = 'image-classification';
export const id = 'classify';
export const title = 'Image classification';
export const nav = 'Classify';
export const intro = 'Drop an image, choose a file or pick a sample. The server converts any size or colour as the model’s manifest says.';

let samples;
const loadSamples = () => (samples ??= getJson('samples/samples.json').catch(() => []));

export function render(model) {
  const labels = model.labels ?? [];
  const topK = numberInput({ value: Math.min(5, labels.length || 5), min: 1, max: labels.length || 1000 });
  const input = h('input', { type: 'file', accept: 'image/*', class: 'visually-hidden' });
  const status = statusLine();
  const api = apiCallBox();
  const preview = h('img', { class: 'preview pixelated', alt: '', hidden: true });
  const caption = h('figcaption');
  const results = h('div', { class: 'predictions' });
  const output = h('div', { class: 'classify-result', dataset: { state: 'idle' } }, h('figure', { class: 'preview-frame' }, preview, caption), results);
  let previewUrl;

  async function classify(blob, name, truth) {
    if (previewUrl) URL.revokeObjectURL(previewUrl);
    previewUrl = URL.createObjectURL(blob);
    preview.src = previewUrl;
    preview.alt = truth ? `${name} (true label: ${truth})` : name;
    preview.hidden = false;
    caption.textContent = truth ? `${name} · true label: ${truth}` : name;
    output.dataset.state = 'running';
    status.set(`Classifying ${name}…`);
    const k = intValue(topK) ?? 5;
    const path = `${modelPath(model.name, 'classify')}?top_k=${k}`;
    const form = new FormData();
    form.append('image', blob, name);
    api.show({ path, file: name });
    const started = performance.now();
    try {
      const body = await postForm(path, form);
      const predictions = body.results[0].predictions;
      results.replaceChildren(barList(predictions.map((p) => ({ label: p.label, score: p.score, note: truth && p.label === truth ? '✓ true label' : '' }))));
      output.dataset.state = 'done';
      status.set(`Top label: ${predictions[0].label} (${(predictions[0].score * 100).toFixed(1)}%) in ${Math.round(performance.now() - started)} ms.`);
    } catch (err) {
      output.dataset.state = 'error';
      results.replaceChildren();
      status.set(describeError(err), 'error');
    }
  }

  const fromFile = (file) => {
    if (!file) return;
    if (file.type && !file.type.startsWith('image/')) return status.set(`${file.name} is not an image.`, 'error');
    classify(file, file.name);
  };
  input.addEventListener('change', () => fromFile(input.files[0]));

  const drop = h('div', { class: 'dropzone' }, h('p', {}, 'Drop an image here, paste one, or'), h('label', { class: 'button' }, 'Choose an image…', input));
  drop.addEventListener('dragover', (e) => {
    e.preventDefault();
    drop.classList.add('over');
  });
  drop.addEventListener('dragleave', () => drop.classList.remove('over'));
  drop.addEventListener('drop', (e) => {
    e.preventDefault();
    drop.classList.remove('over');
    fromFile(e.dataTransfer.files[0]);
  });
  const root = h('div', { class: 'panel-grid' });
  root.addEventListener('paste', (e) => fromFile([...e.clipboardData.files][0]));

  const sampleRow = h('div', { class: 'samples', role: 'group', 'aria-label': 'Sample images' });
  loadSamples().then((list) => {
    for (const s of list) {
      const url = `samples/${s.file}`;
      sampleRow.append(
        h(
          'button',
          {
            type: 'button',
            class: 'sample',
            title: s.source,
            onclick: async () => classify(await fetch(url).then((r) => r.blob()), s.file, s.label),
          },
          h('img', { src: url, alt: `${s.label}: ${s.source}`, class: 'pixelated', width: 56, height: 56 }),
          h('span', {}, s.label),
        ),
      );
    }
  });

  root.append(h('div', { class: 'controls' }, drop, h('p', { class: 'label' }, 'Samples'), sampleRow, field('Top labels (top_k)', topK), api.el), h('div', { class: 'results' }, status.el, output));
  return root;
}
