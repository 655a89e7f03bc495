// A small parser for the Prometheus text format (enough for ortserve's /metrics) and the live
// figures the server panel shows: requests/s, queue depth and mean batch size per model.

const LINE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

/** Text → [{ name, labels, value }]. */
export function parseMetrics(text) {
  const samples = [];
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const m = LINE.exec(line);
    if (!m) continue;
    const labels = {};
    for (const [, key, value] of (m[2] ?? '').matchAll(LABEL)) labels[key] = value.replace(/\\(.)/g, (_, c) => (c === 'n' ? '\n' : c));
    samples.push({ name: m[1], labels, value: Number(m[3]) });
  }
  return samples;
}

/** Per-model sums of the series the panel needs, at one instant. */
export function snapshot(samples, at = performance.now()) {
  const models = new Map();
  const get = (name) => {
    if (!models.has(name)) models.set(name, { requests: 0, errors: 0, queue: 0, batchSum: 0, batchCount: 0 });
    return models.get(name);
  };
  for (const s of samples) {
    const model = s.labels.model;
    if (!model) continue;
    if (s.name === 'ortserve_requests_total') {
      get(model).requests += s.value;
      if (/^[45]/.test(s.labels.outcome ?? '')) get(model).errors += s.value;
    } else if (s.name === 'ortserve_queue_depth') get(model).queue += s.value;
    else if (s.name === 'ortserve_batch_size_sum') get(model).batchSum += s.value;
    else if (s.name === 'ortserve_batch_size_count') get(model).batchCount += s.value;
  }
  return { at, models };
}

/** Figures between two snapshots: rates over the interval, batch size over the interval (or overall). */
export function figures(prev, next) {
  const seconds = prev ? (next.at - prev.at) / 1000 : 0;
  const out = new Map();
  for (const [model, now] of next.models) {
    const before = prev?.models.get(model);
    const batches = before ? now.batchCount - before.batchCount : 0;
    out.set(model, {
      rps: before && seconds > 0 ? Math.max(0, now.requests - before.requests) / seconds : null,
      requests: now.requests,
      errors: now.errors,
      queue: now.queue,
      recentBatch: batches > 0 ? (now.batchSum - before.batchSum) / batches : null,
      meanBatch: now.batchCount > 0 ? now.batchSum / now.batchCount : null,
    });
  }
  return out;
}
