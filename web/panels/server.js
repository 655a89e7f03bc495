// Server panel: every model with its state, task and batching settings, and live figures scraped
// from /metrics (requests/s between scrapes, queue depth, mean batch size).
import { describeError, getJson, getText } from '../lib/api.js';
import { h } from '../lib/dom.js';
import { figures, parseMetrics, snapshot } from '../lib/prometheus.js';

export const id = 'server';
export const title = 'Server';
export const nav = 'Server';
export const intro = 'Every model in the repository, and live figures from the Prometheus metrics.';

const INTERVAL_MS = 2000;
const HISTORY = 60;

const fmt = (v, digits = 1) => (v === null || v === undefined ? '–' : v.toFixed(digits));

function batchingText(m) {
  const b = m.batching;
  if (!b) return '–';
  return `≤ ${b.max_batch_size} per run, wait ≤ ${b.max_queue_delay_ms} ms, queue ≤ ${b.max_queue_size}, timeout ${b.timeout_ms / 1000} s`;
}

const COLUMNS = ['Model', 'Task', 'State', 'Batching', 'Req/s', 'Queue', 'Batch size (recent / mean)', 'Items / runs', 'Errors'];

function taskText(m) {
  if (m.task) return m.task;
  if (m.state !== 'ready') return '–';
  return h('span', { title: 'No task pipeline: served through KServe V2 (/v2/models/…/infer)' }, 'generic (V2)');
}

function modelRow(m, live) {
  const f = live.get(m.name);
  const cell = (cls, ...content) => h('td', { class: cls }, h('span', {}, ...content));
  const cells = [
    cell('', taskText(m)),
    cell('', h('span', { class: `badge state-${m.state}` }, m.state), m.error ? h('small', { class: 'error-text' }, ` ${m.error}`) : null),
    cell('', batchingText(m), m.instances ? h('small', {}, ` · ${m.instances} worker${m.instances > 1 ? 's' : ''} × ${m.intra_op_threads} threads`) : null),
    cell('num', fmt(f?.rps)),
    cell('num', String(f?.queue ?? m.queue_depth)),
    cell('num', `${fmt(f?.recentBatch)} / ${fmt(f?.meanBatch)}`),
    cell('num', `${m.stats.items} / ${m.stats.batches}`),
    cell('num', String(f?.errors ?? 0)),
  ];
  // data-label lets narrow screens show each row as a card with its own labels.
  cells.forEach((td, i) => (td.dataset.label = COLUMNS[i + 1]));
  return h('tr', { dataset: { model: m.name, state: m.state } }, h('th', { scope: 'row' }, m.name, m.version ? h('small', {}, ` v${m.version}`) : null), cells);
}

function sparkline(values) {
  const max = Math.max(1, ...values);
  const points = values.map((v, i) => `${(i / (HISTORY - 1)) * 100},${30 - (v / max) * 28}`).join(' ');
  const svg = document.createElementNS('http://www.w3.org/2000/svg', 'svg');
  svg.setAttribute('viewBox', '0 0 100 30');
  svg.setAttribute('preserveAspectRatio', 'none');
  svg.setAttribute('class', 'sparkline');
  svg.setAttribute('aria-hidden', 'true');
  svg.innerHTML = `<polyline fill="none" stroke="currentColor" stroke-width="1.5" vector-effect="non-scaling-stroke" points="${points}"/>`;
  return svg;
}

/** Mounts the panel and polls the server while the page is visible; onHealth(models | null) feeds the header badge. */
export function mount(container, { onHealth }) {
  const body = h('tbody');
  const total = h('strong', {}, '–');
  const history = [];
  const graph = h('div', { class: 'sparkline-box' });
  const note = h('p', { class: 'status', role: 'status' });
  const table = h(
    'table',
    { class: 'models-table' },
    h('caption', { class: 'visually-hidden' }, 'Models and live figures'),
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        COLUMNS.map((t) => h('th', { scope: 'col' }, t)),
      ),
    ),
    body,
  );
  container.append(h('div', { class: 'live-summary' }, h('p', {}, 'All models: ', total, ' requests/s'), graph), h('div', { class: 'table-wrap' }, table), note);

  let previous = null;
  async function refresh() {
    try {
      const [{ data: models }, text] = await Promise.all([getJson('/v1/models'), getText('/metrics')]);
      const now = snapshot(parseMetrics(text));
      const live = figures(previous, now);
      previous = now;
      body.replaceChildren(...models.map((m) => modelRow(m, live)));
      const rps = [...live.values()].reduce((sum, f) => sum + (f.rps ?? 0), 0);
      total.textContent = fmt(rps);
      history.push(rps);
      if (history.length > HISTORY) history.shift();
      graph.replaceChildren(sparkline([...Array(HISTORY - history.length).fill(0), ...history]));
      note.textContent = `Updated ${new Date().toLocaleTimeString()} · every ${INTERVAL_MS / 1000} s from /v1/models and /metrics.`;
      onHealth(models);
    } catch (err) {
      note.textContent = `Cannot reach the server: ${describeError(err)}`;
      onHealth(null);
    }
  }

  const tick = () => (document.hidden ? null : refresh());
  refresh();
  setInterval(tick, INTERVAL_MS);
}
