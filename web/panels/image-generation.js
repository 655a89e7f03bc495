// image-generation panel: class, seed and count → a grid of samples; a latent walk between two seeds.
import { describeError, modelPath, postJson } from '../lib/api.js';
import { apiCallBox } from '../lib/curl.js';
import { busy, field, h, intValue, numberInput, select, statusLine } from '../lib/dom.js';

export const task = 'image-generation';
export const id = 'images';
export const title = 'Image generation';
export const nav = 'Images';
export const intro = 'Image i of a request uses seed + i, so a seed always gives the same picture. A latent walk blends two seeds’ noise vectors.';

const randomSeed = () => Math.floor(Math.random() * 2 ** 31);

function tiles(images, caption) {
  return images.map((im, i) =>
    h(
      'figure',
      { class: 'tile' },
      h('img', { src: `data:image/png;base64,${im.png}`, alt: `Generated ${im.label ?? 'image'}, seed ${im.seed}`, class: 'pixelated', width: 28, height: 28 }),
      h('figcaption', {}, caption(im, i)),
    ),
  );
}

export function render(model) {
  const labels = model.labels ?? [];
  const classOptions = [['', labels.length ? 'Any class (random per image)' : 'Default'], ...labels.map((l) => [l, l])];
  const classPicker = select(classOptions, '');
  const label = () => classPicker.value || undefined;
  const seed = numberInput({ value: 1, min: 0, max: 2 ** 31 - 1 });
  const count = numberInput({ value: 16, min: 1, max: 64 });
  const fromSeed = numberInput({ value: 1, min: 0, max: 2 ** 31 - 1 });
  const toSeed = numberInput({ value: 2, min: 0, max: 2 ** 31 - 1 });
  const steps = numberInput({ value: 10, min: 2, max: 64 });
  const generateButton = h('button', { type: 'submit', class: 'primary' }, 'Generate');
  const shuffle = h('button', { type: 'button', title: 'A random seed' }, 'Random seed');
  const walkButton = h('button', { type: 'submit', class: 'primary' }, 'Interpolate');
  const grid = h('div', { class: 'image-grid', 'aria-label': 'Generated images', role: 'group' });
  const strip = h('div', { class: 'image-strip', 'aria-label': 'Latent walk frames', role: 'group' });
  const status = statusLine();
  const api = apiCallBox();

  async function generate() {
    const body = { count: intValue(count) ?? 16, seed: intValue(seed) ?? randomSeed(), label: label() };
    const path = modelPath(model.name, 'generate');
    api.show({ path, json: body });
    status.set('Generating…');
    try {
      const started = performance.now();
      const { images } = await postJson(path, body);
      grid.replaceChildren(...tiles(images, (im) => `${im.seed}${im.label ? ` · ${im.label}` : ''}`));
      grid.dataset.count = String(images.length);
      status.set(`${images.length} images in ${Math.round(performance.now() - started)} ms.`);
    } catch (err) {
      status.set(describeError(err), 'error');
    }
  }

  async function interpolate() {
    const body = { from_seed: intValue(fromSeed) ?? 1, to_seed: intValue(toSeed) ?? 2, steps: intValue(steps) ?? 10, label: label() };
    const path = modelPath(model.name, 'interpolate');
    api.show({ path, json: body });
    status.set('Walking the latent space…');
    try {
      const { images } = await postJson(path, body);
      strip.replaceChildren(...tiles(images, (_, i) => `${i + 1}/${images.length}`));
      strip.dataset.count = String(images.length);
      status.set(`${images.length} frames from seed ${body.from_seed} to seed ${body.to_seed}.`);
    } catch (err) {
      status.set(describeError(err), 'error');
    }
  }

  shuffle.addEventListener('click', () => {
    seed.value = String(randomSeed());
  });
  const onSubmit = (button, action) => (e) => {
    e.preventDefault();
    busy(button, action);
  };
  const controls = h(
    'div',
    { class: 'controls' },
    field('Class', classPicker),
    h(
      'form',
      { class: 'subform', onsubmit: onSubmit(generateButton, generate), 'aria-label': 'Samples' },
      h('div', { class: 'row' }, field('Seed', seed), field('Count', count)),
      h('div', { class: 'buttons' }, generateButton, shuffle),
    ),
    h(
      'form',
      { class: 'subform', onsubmit: onSubmit(walkButton, interpolate), 'aria-label': 'Latent walk' },
      h('div', { class: 'row' }, field('From seed', fromSeed), field('To seed', toSeed), field('Steps', steps)),
      h('div', { class: 'buttons' }, walkButton),
    ),
    api.el,
  );
  return h('div', { class: 'panel-grid' }, controls, h('div', { class: 'results' }, status.el, h('h3', {}, 'Samples'), grid, h('h3', {}, 'Latent walk'), strip));
}
