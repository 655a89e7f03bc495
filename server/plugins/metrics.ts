// Prometheus metrics (prom-client) at GET /metrics: served model requests per model and route by
// outcome and their whole-request durations, refusals (overload, rate limit, drain) counted apart
// with their registry code and no duration, queue/inference durations, batch sizes and padding,
// V2 batches rerun item by item, queue depth (every operation of a model, V2 included), active
// sequences, worker restarts and Node's default metrics (event-loop lag, heap). Model requests are
// the routes flagged modelRoute (plugins/model-routes.ts), the model the URL's :model or the
// body's "model". Every name starts with `ortserve_`.
import fp from 'fastify-plugin';
import { performance } from 'node:perf_hooks';
import client from 'prom-client';
import { toAppError } from '../errors.ts';
import type { SchedulerHooks } from '../runtime/policy.ts';
import { isModelRequest, requestModel } from './model-routes.ts';

export const PREFIX = 'ortserve_';
/** Latency buckets in seconds, shared by every duration histogram. */
export const SECONDS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
const BATCH_SIZES = [1, 2, 4, 8, 16, 32, 64, 128, 256];
/** Padded tokens per real token of a text batch (1 = no padding). */
const PADDING_RATIOS = [1, 1.05, 1.1, 1.25, 1.5, 2, 3, 5];

/** Registry codes that refuse work rather than answer it: overload, rate limit, drain. */
export const REFUSALS: ReadonlySet<string> = new Set(['ORT_QUEUE_FULL', 'ORT_SERVER_BUSY', 'ORT_RATE_LIMITED', 'ORT_DRAINING']);

export interface Metrics {
  registry: client.Registry;
  /** Scheduler hooks for one model (each call names its operation). */
  hooks(model: string): SchedulerHooks;
  /** Counts one served model request and its time (`model` is '_unknown' for names not in the repository). */
  recordRequest(model: string, route: string, statusCode: number, seconds: number): void;
  /** Counts one refused model request (`code` one of REFUSALS; `model` '_unknown' when not known, or not yet read from the body). */
  recordRefusal(model: string, route: string, code: string): void;
}

declare module 'fastify' {
  interface FastifyInstance {
    metrics: Metrics;
  }
}

/** A labelled child per label set, made once: prom-client would hash the labels on every call. */
function cached<T>(make: (...labels: string[]) => T): (...labels: string[]) => T {
  const children = new Map<string, T>();
  return (...labels) => {
    const key = labels.join('\u0000');
    let child = children.get(key);
    if (!child) children.set(key, (child = make(...labels)));
    return child;
  };
}

export function createMetrics(): Metrics {
  const registry = new client.Registry();
  client.collectDefaultMetrics({ register: registry, prefix: PREFIX });
  const queue = new client.Histogram({
    name: `${PREFIX}queue_duration_seconds`,
    help: 'Time a request item waited in the queue',
    labelNames: ['model', 'operation'],
    buckets: SECONDS,
    registers: [registry],
  });
  const inference = new client.Histogram({
    name: `${PREFIX}inference_duration_seconds`,
    help: 'session.run time per batch (in the worker)',
    labelNames: ['model', 'operation'],
    buckets: SECONDS,
    registers: [registry],
  });
  const batch = new client.Histogram({ name: `${PREFIX}batch_size`, help: 'Items per batched run', labelNames: ['model', 'operation'], buckets: BATCH_SIZES, registers: [registry] });
  const padding = new client.Histogram({
    name: `${PREFIX}batch_padding_ratio`,
    help: 'Padded tokens (items × longest) per real token of a text batch',
    labelNames: ['model', 'operation'],
    buckets: PADDING_RATIOS,
    registers: [registry],
  });
  const tokens = new client.Counter({
    name: `${PREFIX}batch_tokens_total`,
    help: 'Tokens run in text batches: kind="padded" is items × longest, kind="real" the inputs\' own tokens',
    labelNames: ['model', 'operation', 'kind'],
    registers: [registry],
  });
  const dropped = new client.Counter({
    name: `${PREFIX}dropped_total`,
    help: 'Queued items dropped before running (client gone, deadline passed, a sibling item failed)',
    labelNames: ['model', 'operation', 'reason'],
    registers: [registry],
  });
  const reruns = new client.Counter({
    name: `${PREFIX}batch_reruns_total`,
    help: 'Items of failed batches run again one by one (so one bad item fails only its own request)',
    labelNames: ['model', 'operation'],
    registers: [registry],
  });
  const requests = new client.Counter({
    name: `${PREFIX}requests_total`,
    help: `Served model requests by model, route and outcome (HTTP status class); refusals are in ${PREFIX}refusals_total`,
    labelNames: ['model', 'route', 'outcome'],
    registers: [registry],
  });
  const duration = new client.Histogram({
    name: `${PREFIX}request_duration_seconds`,
    help: 'Whole request time of served model requests (refusals excluded)',
    labelNames: ['model', 'route'],
    buckets: SECONDS,
    registers: [registry],
  });
  const refusals = new client.Counter({
    name: `${PREFIX}refusals_total`,
    help: 'Model requests refused before any work (queue full, server busy, rate limited, draining) by model, route (or gRPC method) and registry code',
    labelNames: ['model', 'route', 'code'],
    registers: [registry],
  });
  const restarts = new client.Counter({
    name: `${PREFIX}worker_restarts_total`,
    help: 'Worker threads respawned after dying, over every version of the model',
    labelNames: ['model'],
    registers: [registry],
  });
  const requestsOf = cached((model, route, outcome) => requests.labels({ model, route, outcome }));
  const durationOf = cached((model, route) => duration.labels({ model, route }));
  const refusalsOf = cached((model, route, code) => refusals.labels({ model, route, code }));
  const of = cached((model, operation) => ({
    queue: queue.labels({ model, operation }),
    inference: inference.labels({ model, operation }),
    batch: batch.labels({ model, operation }),
    padding: padding.labels({ model, operation }),
    padded: tokens.labels({ model, operation, kind: 'padded' }),
    real: tokens.labels({ model, operation, kind: 'real' }),
  }));
  return {
    registry,
    recordRequest(model, route, statusCode, seconds) {
      requestsOf(model, route, `${Math.floor(statusCode / 100)}xx`).inc();
      durationOf(model, route).observe(seconds);
    },
    recordRefusal(model, route, code) {
      refusalsOf(model, route, code).inc();
    },
    hooks: (model) => ({
      onQueueWait: (operation, ms) => of(model, operation).queue.observe(ms / 1000),
      onBatch: (operation, size, ms, batchTokens) => {
        const m = of(model, operation);
        m.batch.observe(size);
        m.inference.observe(ms / 1000);
        if (!batchTokens || batchTokens.real === 0) return;
        m.padding.observe(batchTokens.padded / batchTokens.real);
        m.padded.inc(batchTokens.padded);
        m.real.inc(batchTokens.real);
      },
      onDrop: (operation, reason) => dropped.inc({ model, operation, reason }),
      onRerun: (operation, items) => reruns.inc({ model, operation }, items),
      onRestart: () => restarts.inc({ model }),
    }),
  };
}

export default fp(
  async (app) => {
    const metrics = createMetrics();
    const { registry } = metrics;
    app.decorate('metrics', metrics);

    new client.Gauge({
      name: `${PREFIX}queue_depth`,
      help: "Items waiting in the model's queue (every operation and protocol, waiting sequences included)",
      labelNames: ['model'],
      registers: [registry],
      collect() {
        this.reset();
        for (const m of app.models.list()) this.set({ model: m.name }, m.state === 'ready' ? m.runtime.scheduler.depth : 0);
      },
    });
    new client.Gauge({
      name: `${PREFIX}active_sequences`,
      help: "Sequences being generated now (in the models' engines)",
      labelNames: ['model'],
      registers: [registry],
      collect() {
        this.reset();
        for (const m of app.models.list()) if (m.state === 'ready' && m.runtime.pipeline?.task === 'text-generation') this.set({ model: m.name }, m.runtime.scheduler.activeSequences);
      },
    });
    // The main thread's event-loop utilisation (perf_hooks), as two running totals: busy / (busy + idle)
    // over any window is how much of it the event loop spent working.
    for (const kind of ['busy', 'idle'] as const) {
      new client.Counter({
        name: `${PREFIX}event_loop_${kind}_seconds_total`,
        help: `Seconds the main thread's event loop was ${kind === 'busy' ? 'running callbacks' : 'waiting for events'} since start (performance.eventLoopUtilization)`,
        registers: [registry],
        collect() {
          const elu = performance.eventLoopUtilization();
          this.reset();
          this.inc((kind === 'busy' ? elu.active : elu.idle) / 1000);
        },
      });
    }
    new client.Gauge({
      name: `${PREFIX}requests_in_progress`,
      help: 'Model requests being handled now (counted against --max-concurrent-requests)',
      registers: [registry],
      collect() {
        this.set(app.activeRequests());
      },
    });
    new client.Gauge({
      name: `${PREFIX}model_ready`,
      help: '1 when the model is ready, else 0',
      labelNames: ['model', 'state'],
      registers: [registry],
      collect() {
        this.reset();
        for (const m of app.models.list()) this.set({ model: m.name, state: m.state }, m.state === 'ready' ? 1 : 0);
      },
    });

    /** The refusal code a model request was answered with (set by onError, read by onResponse). */
    const refused = new WeakMap<object, string>();
    app.addHook('onError', async (request, _reply, error) => {
      const { code } = toAppError(error) as { code?: unknown };
      if (typeof code === 'string' && REFUSALS.has(code)) refused.set(request, code);
    });
    app.addHook('onResponse', async (request, reply) => {
      const route = request.routeOptions.url;
      if (!isModelRequest(request) || !route) return;
      const name = requestModel(request);
      // Unknown names share one label value, so clients cannot grow the series without bound.
      const model = name !== undefined && app.models.get(name) ? name : '_unknown';
      const code = refused.get(request);
      if (code) metrics.recordRefusal(model, route, code);
      else metrics.recordRequest(model, route, reply.statusCode, reply.elapsedTime / 1000);
    });

    app.get('/metrics', { schema: { tags: ['metrics'], summary: 'Prometheus metrics (text exposition format)', produces: ['text/plain'] } }, async (_request, reply) => {
      reply.type(registry.contentType);
      return registry.metrics();
    });
  },
  { name: 'metrics', dependencies: ['concurrency-limit', 'model-routes'] },
);
