// Overload refusals, before the body is read: under overload the event loop must not spend on
// doomed requests what the models need. Under a 10× overload nine requests in ten are refused,
// and through Fastify each refusal paid routing, the hook chain, the error handler and the
// serializer on the main thread (~65 µs). So the gate answers the two overload refusals at Node's
// 'request' event instead: the server's concurrency limit (ORT_SERVER_BUSY) and a ready model
// whose queue is full (ORT_QUEUE_FULL). Same status, Retry-After, body shape (KServe V2's
// {"error"} on /v2) and request metrics as the Fastify path. Anything else, or anything whose
// answer could differ (a drain, a CORS request with an Origin, rate limiting configured), goes on
// to Fastify: there concurrency-limit.ts refuses a busy server and this plugin's onRequest hook a
// full model, with the same two checks.
import type { FastifyServerFactory } from 'fastify';
import fp from 'fastify-plugin';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import { Errors } from '../errors.ts';
import type { ReadyModel } from '../models/entry.ts';
import { withoutStack } from '../runtime/errors.ts';
import { isModelRequest } from './concurrency-limit.ts';
import { describeAny, errorBody } from './error-handler.ts';

/** Decides, per request, whether it is refused here (answered) or handed on to Fastify. */
export interface RefusalGate {
  refuse(req: IncomingMessage, res: ServerResponse): boolean;
}

export interface ServerSettings {
  http: http.ServerOptions;
  keepAliveTimeout: number;
  requestTimeout: number;
}

/** A gate that refuses nothing (until the plugin arms it). */
export const refusalGate = (): RefusalGate => ({ refuse: () => false });

/** Fastify's serverFactory: the HTTP/1.1 server Fastify would build, with `gate` asked first. */
export function gatedServer(settings: ServerSettings, gate: RefusalGate): FastifyServerFactory {
  return (handler) => {
    const server = http.createServer(settings.http, (req, res) => {
      let refused = false;
      try {
        refused = gate.refuse(req, res);
      } catch {
        // A fault in the gate must not take the server down: Fastify answers instead, unless the gate already did.
        refused = res.headersSent;
      }
      if (!refused) handler(req, res);
    });
    server.keepAliveTimeout = settings.keepAliveTimeout;
    server.requestTimeout = settings.requestTimeout;
    return server;
  };
}

interface ModelRoute {
  /** The route as Fastify knows it (the metrics' route label). */
  url: string;
  pattern: RegExp;
  v2: boolean;
}

/** `/v2/models/:model/versions/:version/infer` → a RegExp whose first group is the model name. */
function routePattern(url: string): RegExp {
  const source = url.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/:model/, '([^/?#]+)').replace(/:\w+/g, '[^/?#]+');
  return new RegExp(`^${source}(?:\\?|$)`);
}

interface Refusal {
  statusCode: number;
  body: string;
  length: number;
}

const HEADERS = { 'content-type': 'application/json; charset=utf-8', 'retry-after': '1' };

export default fp<{ gate: RefusalGate }>(
  async (app, { gate }) => {
    const { config } = app;
    const routes: ModelRoute[] = [];
    app.addHook('onRoute', (route) => {
      if (![route.method].flat().includes('POST') || !route.url.includes(':model')) return;
      routes.push({ url: route.url, pattern: routePattern(route.url), v2: route.url.startsWith('/v2/') });
    });

    /** The ready model `name` when its queue has no room (a refusal it counts toward overload). */
    function fullModel(name: string): ReadyModel | undefined {
      const entry = app.models.get(name);
      if (entry?.state !== 'ready' || entry.runtime.scheduler.hasRoom()) return undefined;
      entry.runtime.scheduler.refusal();
      return entry;
    }

    // The Fastify path's full-model refusal (the gate's for requests it hands on).
    app.addHook('onRequest', async (request) => {
      const name = isModelRequest(request) ? (request.params as { model?: string } | undefined)?.model : undefined;
      if (name !== undefined && fullModel(name)) throw withoutStack(() => new Errors.QUEUE_FULL(name));
    });

    /** Refusal answers, made once per protocol, kind and model. */
    const answers = new Map<string, Refusal>();
    function answer(kind: 'busy' | 'full', v2: boolean, model: string) {
      const key = `${v2}|${kind}|${model}`;
      let made = answers.get(key);
      if (!made) {
        const error = kind === 'busy' ? new Errors.SERVER_BUSY(config.maxConcurrentRequests) : new Errors.QUEUE_FULL(model);
        const described = describeAny(error, config.models);
        const body = JSON.stringify(errorBody(described, v2 ? 'v2' : 'rest'));
        made = { statusCode: described.statusCode, body, length: Buffer.byteLength(body) };
        answers.set(key, made);
      }
      return made;
    }

    function refuse(req: IncomingMessage, res: ServerResponse): boolean {
      if (req.method !== 'POST' || app.draining || (config.corsOrigins && req.headers.origin !== undefined)) return false;
      const url = req.url ?? '';
      let route: ModelRoute | undefined;
      let name: string | undefined;
      for (const r of routes) {
        name = r.pattern.exec(url)?.[1];
        if (name !== undefined) {
          route = r;
          break;
        }
      }
      if (!route || !name || name.includes('%')) return false;
      const start = performance.now();
      let refusal: Refusal;
      if (app.serverBusy()) refusal = answer('busy', route.v2, '');
      else if (fullModel(name)) refusal = answer('full', route.v2, name);
      else return false;
      // A string body goes out in one write with the head (a Buffer would be a second chunk).
      res.writeHead(refusal.statusCode, { ...HEADERS, 'content-length': refusal.length }).end(refusal.body);
      app.metrics.recordRequest(app.models.get(name) ? name : '_unknown', route.url, refusal.statusCode, (performance.now() - start) / 1000);
      return true;
    }

    // Rate limiting must count every request before anything answers it: no gate then.
    if (!config.rateLimitMax) app.addHook('onReady', async () => void (gate.refuse = refuse));
    app.addHook('onClose', async () => void (gate.refuse = () => false));
  },
  { name: 'refusal-gate', dependencies: ['models', 'metrics', 'drain', 'concurrency-limit'] },
);
