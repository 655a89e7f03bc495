// The one answer to "does this request run a model?". A route that runs a model says so in its
// config (`config: { modelRoute: true }`: the task routes, V2 infer, /v1/embeddings), and every
// reader asks that flag: the concurrency limit, the drain switch, the refusal gate, rate limiting
// and request metrics. Listings, tokenize, metadata, health, metrics and the repository API run
// no model, so none of them is ever shed as model work. The refusal gate answers at Node's
// request event, before Fastify routes, so this plugin also keeps the flagged routes as a
// method + URL table (`app.modelRoutes.match`), built from the flag as routes are added.
import type { FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { wireFormat, type WireFormat } from './error-handler.ts';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The route runs a model: it is admitted, shed, drained, rate limited and counted as model work. */
    modelRoute?: boolean;
  }
  interface FastifyInstance {
    modelRoutes: ModelRoutes;
  }
}

export interface ModelRoute {
  /** The route as Fastify knows it (the metrics' route label). */
  url: string;
  /** The error body shape the route answers in. */
  wire: WireFormat;
  methods: readonly string[];
  /** Matches a raw request URL; its first group is the URL's model name, absent when the body names the model. */
  pattern: RegExp;
}

export interface ModelRoutes {
  /** The model route a raw request is for, with the model its URL names (undefined: named in the body), or undefined. */
  match(method: string | undefined, url: string): { route: ModelRoute; model: string | undefined } | undefined;
}

export const isModelRequest = (request: FastifyRequest): boolean => request.routeOptions.config.modelRoute === true;

/** The model a request names: the URL's :model, or the body's "model" (OpenAI's routes). */
export function requestModel(request: FastifyRequest): string | undefined {
  const fromUrl = (request.params as { model?: unknown } | undefined)?.model;
  if (typeof fromUrl === 'string') return fromUrl;
  const fromBody = (request.body as { model?: unknown } | undefined)?.model;
  return typeof fromBody === 'string' ? fromBody : undefined;
}

/** `/v2/models/:model/versions/:version/infer` → a RegExp whose first group is the model name. */
function routePattern(url: string): RegExp {
  const source = url
    .replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
    .replace(/:model\b/, '([^/?#]+)')
    .replace(/:\w+/g, '[^/?#]+');
  return new RegExp(`^${source}(?:\\?|$)`);
}

export default fp(
  async (app) => {
    const routes: ModelRoute[] = [];
    app.addHook('onRoute', (route) => {
      if (route.config?.modelRoute !== true) return;
      routes.push({ url: route.url, wire: wireFormat(route.url), methods: [route.method].flat(), pattern: routePattern(route.url) });
    });
    app.decorate('modelRoutes', {
      match(method, url) {
        for (const route of routes) {
          if (!method || !route.methods.includes(method)) continue;
          const found = route.pattern.exec(url);
          if (found) return { route, model: found[1] };
        }
        return undefined;
      },
    } satisfies ModelRoutes);
  },
  { name: 'model-routes' },
);
