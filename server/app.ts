// The ortserve application as a Fastify instance: plugins, then routes (HTTP, and KServe V2 on
// the gRPC server `app.grpc`). It never listens; server/server.ts (the process) and the tests
// decide how to run it.
import multipart from '@fastify/multipart';
import { TypeBoxValidatorCompiler, type TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, { type FastifyInstance, type FastifyServerOptions, type RouteOptions } from 'fastify';
import type { Config } from './config.ts';
import concurrencyLimit from './plugins/concurrency-limit.ts';
import cors from './plugins/cors.ts';
import drain from './plugins/drain.ts';
import errorHandler, { sendError } from './plugins/error-handler.ts';
import grpc from './plugins/grpc.ts';
import metrics from './plugins/metrics.ts';
import modelRoutes from './plugins/model-routes.ts';
import models from './plugins/models.ts';
import openapi from './plugins/openapi.ts';
import playground from './plugins/playground.ts';
import rateLimit from './plugins/rate-limit.ts';
import refusals, { gatedServer, refusalGate } from './plugins/refusal-gate.ts';
import requestIds, { requestId } from './plugins/request-id.ts';
import classify from './routes/classify.ts';
import embed from './routes/embed.ts';
import generate from './routes/generate.ts';
import grpcV2 from './routes/grpc-v2.ts';
import health from './routes/health.ts';
import modelListing from './routes/models.ts';
import openai from './routes/openai.ts';
import hfEndpoint from './routes/hf-endpoint.ts';
import tei from './routes/tei.ts';
import teiEmbed from './routes/tei-embed.ts';
import tokenClassification from './routes/token-classification.ts';
import v2 from './routes/v2.ts';

export interface AppOptions {
  config: Config;
  logger?: FastifyServerOptions['logger'];
  /** Called for every route as it is added (tests use it to check the OpenAPI document). */
  onRoute?: (route: RouteOptions) => void;
  /** Test-only: lets a test crash worker threads on purpose (never set by server.ts). */
  faultInjection?: boolean;
}

const RAW_IMAGE = /^(image\/[\w.+-]+|application\/octet-stream)$/;

export async function buildApp({ config, logger = false, onRoute, faultInjection = false }: AppOptions): Promise<FastifyInstance> {
  // Overload refusals are answered before Fastify (plugins/refusal-gate.ts), on the server it builds here.
  const gate = refusalGate();
  const app = Fastify({
    logger,
    bodyLimit: config.bodyLimit,
    serverFactory: gatedServer(
      {
        // Slow or oversized clients (slowloris): Node closes them with 408 / 431.
        // Node checks those deadlines every connectionsCheckingInterval (default 30 s): check each second.
        http: { maxHeaderSize: config.maxHeaderSize, headersTimeout: config.headersTimeoutMs, connectionsCheckingInterval: 1000 },
        requestTimeout: config.requestTimeoutMs,
        keepAliveTimeout: config.keepAliveTimeoutMs,
      },
      gate,
    ),
    // Requests on kept-alive connections during a drain get ORT_DRAINING from plugins/drain.ts.
    return503OnClosing: false,
    forceCloseConnections: 'idle',
    routerOptions: { maxParamLength: 256 },
    // Errors before routing (a URL that is not valid percent-encoding) get the error handler's answer too.
    frameworkErrors: sendError,
    requestIdHeader: false,
    genReqId: requestId,
  }).withTypeProvider<TypeBoxTypeProvider>();
  app.setValidatorCompiler(TypeBoxValidatorCompiler);
  if (onRoute) app.addHook('onRoute', onRoute);

  await app.register(errorHandler);
  await app.register(requestIds);
  // Before any route is added: it collects the routes flagged modelRoute.
  await app.register(modelRoutes);
  await app.register(cors, { origins: config.corsOrigins });
  await app.register(rateLimit, { max: config.rateLimitMax, windowMs: config.rateLimitWindowMs });
  await app.register(concurrencyLimit, { limit: config.maxConcurrentRequests });
  await app.register(drain);
  await app.register(openapi);
  await app.register(multipart, {
    limits: { fileSize: config.bodyLimit, files: config.maxImages, fields: 16, parts: config.maxImages + 16, fieldSize: 1024 * 1024, headerPairs: 64 },
  });
  app.addContentTypeParser(RAW_IMAGE, { parseAs: 'buffer' }, (_req, body, done) => done(null, body));
  await app.register(metrics);
  await app.register(models, { config, faultInjection });
  await app.register(grpc, { maxMessageBytes: config.bodyLimit });
  await app.register(refusals, { gate });

  await app.register(health);
  await app.register(modelListing);
  await app.register(classify);
  await app.register(generate);
  await app.register(embed);
  await app.register(tokenClassification);
  await app.register(tei);
  await app.register(teiEmbed);
  await app.register(hfEndpoint);
  await app.register(openai);
  await app.register(v2);
  await app.register(grpcV2);
  await app.register(playground);
  return app;
}
