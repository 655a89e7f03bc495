// Overload refusals, before the body is read: under overload the event loop must not spend on
// doomed requests what the models need. Under a 10× overload nine requests in ten are refused,
// and through Fastify each refusal paid routing, the hook chain, the error handler and the
// serializer on the main thread (RELIABILITY.md §2 measures what the gate saves). So the gate answers the two overload refusals at Node's
// 'request' event instead: the server's concurrency limit (ORT_SERVER_BUSY) and a ready model
// whose queue is full (ORT_QUEUE_FULL), for the routes flagged modelRoute (the URL table of
// plugins/model-routes.ts). Same status, Retry-After, body shape (the route's wire format) and
// refusal metrics as the Fastify path. A route whose body names the model (/v1/embeddings) can be
// refused here only as a busy server: its model is known once the body is parsed, where this
// plugin's preHandler hook refuses it when full. Anything else, or anything whose answer could
// differ (a drain, a CORS request with an Origin, rate limiting configured), goes on to Fastify:
// there concurrency-limit.ts refuses a busy server and this plugin's hooks a full model, with the
// same checks.
import type { FastifyRequest, FastifyServerFactory } from 'fastify';
import fp from 'fastify-plugin';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import { Errors } from '../errors.ts';
import type { ReadyModel } from '../models/entry.ts';
import { withoutStack } from '../runtime/errors.ts';
import { describeAny, errorAnswer, type WireFormat } from './error-handler.ts';
import { REQUEST_ID_HEADER, requestId } from './request-id.ts';
import { isModelRequest, requestModel } from './model-routes.ts';

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
      let refused: boolean;
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

interface Refusal {
  statusCode: number;
  code: string;
  body: string;
  length: number;
}

const HEADERS = { 'content-type': 'application/json; charset=utf-8', 'retry-after': '1' };

export default fp<{ gate: RefusalGate }>(
  async (app, { gate }) => {
    const { config } = app;
    /** The ready model `name` when its queue has no room (a refusal it counts toward overload). */
    function fullModel(name: string): ReadyModel | undefined {
      const entry = app.models.get(name);
      if (entry?.state !== 'ready' || entry.runtime.scheduler.hasRoom()) return undefined;
      entry.runtime.scheduler.refusal();
      return entry;
    }

    // The Fastify path's full-model refusal (the gate's for requests it hands on): before the body
    // is read when the URL names the model, once it is parsed when the body does.
    const refuseFull = async (request: FastifyRequest) => {
      const name = isModelRequest(request) ? requestModel(request) : undefined;
      if (name !== undefined && fullModel(name)) throw withoutStack(() => new Errors.QUEUE_FULL(name));
    };
    app.addHook('onRequest', async (request) => {
      if ((request.params as { model?: unknown } | undefined)?.model !== undefined) await refuseFull(request);
    });
    app.addHook('preHandler', async (request) => {
      if ((request.params as { model?: unknown } | undefined)?.model === undefined) await refuseFull(request);
    });

    /** Refusal answers, made once per wire format, kind and model. */
    const answers = new Map<string, Refusal>();
    function answer(kind: 'busy' | 'full', wire: WireFormat, model: string) {
      const key = `${wire}|${kind}|${model}`;
      let made = answers.get(key);
      if (!made) {
        const error = kind === 'busy' ? new Errors.SERVER_BUSY(config.maxConcurrentRequests) : new Errors.QUEUE_FULL(model);
        const described = describeAny(error, { config });
        const wired = errorAnswer(described, wire);
        const body = JSON.stringify(wired.body);
        made = { statusCode: wired.statusCode, code: described.code, body, length: Buffer.byteLength(body) };
        answers.set(key, made);
      }
      return made;
    }

    function refuse(req: IncomingMessage, res: ServerResponse): boolean {
      if (app.draining || (config.corsOrigins && req.headers.origin !== undefined)) return false;
      const found = app.modelRoutes.match(req.method, req.url ?? '');
      if (!found || found.model?.includes('%')) return false;
      const { route, model } = found;
      let refusal: Refusal;
      if (app.serverBusy()) refusal = answer('busy', route.wire, '');
      else if (model && fullModel(model)) refusal = answer('full', route.wire, model);
      else return false;
      // A string body goes out in one write with the head (a Buffer would be a second chunk).
      res.writeHead(refusal.statusCode, { ...HEADERS, 'content-length': refusal.length, [REQUEST_ID_HEADER]: requestId(req) }).end(refusal.body);
      // A body-named model is not read here: its refusal is counted under '_unknown'.
      app.metrics.recordRefusal(model && app.models.get(model) ? model : '_unknown', route.url, refusal.code);
      return true;
    }

    // Rate limiting must count every request before anything answers it: no gate then.
    if (!config.rateLimitMax) app.addHook('onReady', async () => void (gate.refuse = refuse));
    app.addHook('onClose', async () => void (gate.refuse = () => false));
  },
  { name: 'refusal-gate', dependencies: ['models', 'metrics', 'drain', 'concurrency-limit', 'model-routes'] },
);
