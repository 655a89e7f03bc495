// text-embedding panel: one tool per route the model offers (similarity, fill-mask, attention).
import { h } from '../lib/dom.js';
import * as attention from './attention.js';
import * as fillMask from './fill-mask.js';
import * as similarity from './similarity.js';

export const task = 'text-embedding';
export const id = 'embeddings';
export const title = 'Text embeddings';
export const nav = 'Embeddings';
export const intro = 'Sentence similarity from pooled, unit-length embeddings, masked-word prediction and the attention maps of every layer and head.';

const TOOLS = [
  ['embed', similarity],
  ['fill-mask', fillMask],
  ['attention', attention],
];

export function render(model) {
  const routes = new Set(model.routes.map((r) => r.split('/').pop()));
  const tools = TOOLS.filter(([route]) => routes.has(route)).map(([, tool]) =>
    h('section', { class: `tool tool-${tool.id}`, 'aria-labelledby': `${tool.id}-${model.name}` }, h('h3', { id: `${tool.id}-${model.name}` }, tool.title), tool.render(model)),
  );
  return tools.length ? h('div', { class: 'tools' }, tools) : h('p', {}, `${model.name} offers none of embed, fill-mask or attention.`);
}
