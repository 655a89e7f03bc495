// Playground entry: lists the server's models, groups them by task and mounts one panel per task
// (any model of a known task shows up, bundled or not), then the server panel.
import { describeError, getJson } from './lib/api.js';
import { h, select } from './lib/dom.js';
import * as classify from './panels/classify.js';
import * as embedding from './panels/embedding.js';
import * as imageGeneration from './panels/image-generation.js';
import * as server from './panels/server.js';
import * as textClassification from './panels/text-classification.js';
import * as textGeneration from './panels/text-generation.js';

const PANELS = [classify, textClassification, textGeneration, imageGeneration, embedding];

const main = document.querySelector('main');
const nav = document.querySelector('nav ul');
const health = document.querySelector('#health');

function section({ id, title, nav: label, intro }) {
  const heading = h('h2', { id: `${id}-title` }, title);
  nav.append(h('li', {}, h('a', { href: `#${id}` }, label)));
  return h('section', { id, class: 'panel', 'aria-labelledby': heading.id }, h('header', {}, heading, intro ? h('p', { class: 'intro' }, intro) : null));
}

/** A task's section: a model picker (all models of the task) and the panel for the chosen one. */
function taskSection(panel, models) {
  const el = section(panel);
  const body = h('div', { class: 'panel-body' });
  const description = h('small', { class: 'description' });
  const first = models.find((m) => m.state === 'ready') ?? models[0];
  const picker = select(
    models.map((m) => [m.name, m.state === 'ready' ? m.name : `${m.name} (${m.state})`]),
    first.name,
  );
  picker.id = `${panel.id}-model`;
  const show = () => {
    const model = models.find((m) => m.name === picker.value);
    description.textContent = model.description ?? '';
    body.dataset.model = model.name;
    body.replaceChildren(
      model.state === 'ready' ? panel.render(model) : h('p', { class: 'status', dataset: { kind: 'error' } }, `${model.name} is ${model.state}${model.error ? `: ${model.error}` : ''}.`),
    );
  };
  picker.addEventListener('change', show);
  el.querySelector('header').append(h('div', { class: 'model-line' }, h('label', { for: picker.id }, 'Model'), picker, description));
  el.append(body);
  show();
  return el;
}

function setHealth(models) {
  if (!models) {
    health.textContent = 'unreachable';
    health.dataset.state = 'failed';
    return;
  }
  const notReady = models.filter((m) => m.state !== 'ready');
  health.textContent = notReady.length ? `${models.length - notReady.length}/${models.length} models ready` : `${models.length} models ready`;
  health.dataset.state = notReady.length ? 'loading' : 'ready';
  health.title = notReady.map((m) => `${m.name}: ${m.state}`).join('\n');
}

async function start() {
  let models;
  try {
    ({ data: models } = await getJson('/v1/models'));
  } catch (err) {
    main.append(h('p', { class: 'status', dataset: { kind: 'error' } }, `Cannot list the models: ${describeError(err)}`));
    return;
  }
  for (const panel of PANELS) {
    const mine = models.filter((m) => m.task === panel.task);
    if (mine.length) main.append(taskSection(panel, mine));
  }
  const serverSection = section(server);
  main.append(serverSection);
  server.mount(serverSection, { onHealth: setHealth });
  document.body.dataset.ready = 'true';
}

start();
