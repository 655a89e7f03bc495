// The gRPC server as a Fastify service: `app.grpc` holds a grpc-js Server carrying the standard
// health service (grpc.health.v1) and `unary()`, which gives every call what an HTTP request gets:
// the drain switch, admission (--max-concurrent-requests), its deadline and cancellation as the
// request's options, one error mapping (describeAny → protocols/grpc/status.ts) and metrics
// (refusals counted apart, as HTTP's). grpc.health.v1 answers app.serverReady / app.modelReady.
// routes/grpc-v2.ts adds KServe V2's service. The app never listens: server/server.ts binds it
// (--grpc-port). Closing the app lets the calls in flight finish (tryShutdown) beside HTTP's.
import * as grpc from '@grpc/grpc-js';
import fp from 'fastify-plugin';
import client from 'prom-client';
import { Errors } from '../errors.ts';
import { healthService, INFERENCE_SERVICE_NAME, type ServingStatus } from '../protocols/grpc/proto.ts';
import { GrpcError, grpcStatus } from '../protocols/grpc/status.ts';
import { deadlinePassed } from '../runtime/errors.ts';
import type { RequestOptions } from '../runtime/request.ts';
import { describeAny } from './error-handler.ts';
import { PREFIX, REFUSALS, SECONDS } from './metrics.ts';

/** What a handler gets besides the request message: the call's deadline and abort signal, its metadata. */
export interface CallContext extends RequestOptions {
  signal: AbortSignal;
  metadata: grpc.Metadata;
  /** Set by the handler to the model the call names (the metrics label). */
  model?: string;
}

type Handler<Req, Res> = (request: Req, ctx: CallContext) => Promise<Res> | Res;

export interface GrpcServer {
  readonly server: grpc.Server;
  /** A grpc-js unary handler around `handler`; `model: true` for calls that reach a model (drain switch, admission). */
  unary: <Req, Res>(method: string, handler: Handler<Req, Res>, options?: { model?: boolean }) => grpc.handleUnaryCall<Req, Res>;
  /** Binds host:port (port 0: any free port) and resolves to the port. Only server/server.ts and tests call it. */
  listen(host: string, port: number, credentials?: grpc.ServerCredentials): Promise<number>;
}

declare module 'fastify' {
  interface FastifyInstance {
    grpc: GrpcServer;
  }
}

/**
 * The server gives up this long before the call's deadline: the client would cancel at the
 * deadline itself (and a later answer is of no use), so the queued work is dropped as a deadline
 * by the request's own timer instead of racing the client's cancel.
 */
const DEADLINE_MARGIN_MS = 10;

/** Milliseconds left before the call's deadline, or undefined when it has none. */
function timeLeft(call: grpc.ServerUnaryCall<unknown, unknown>): number | undefined {
  const deadline = call.getDeadline();
  const at = deadline instanceof Date ? deadline.getTime() : deadline;
  return Number.isFinite(at) ? Math.max(0, at - Date.now()) : undefined;
}

export default fp<{ maxMessageBytes: number }>(
  async (app, { maxMessageBytes }) => {
    const server = new grpc.Server({ 'grpc.max_receive_message_length': maxMessageBytes });
    const { registry } = app.metrics;
    const calls = new client.Counter({
      name: `${PREFIX}grpc_requests_total`,
      help: `Served gRPC calls by method, model and status code; refusals are in ${PREFIX}refusals_total`,
      labelNames: ['method', 'model', 'code'],
      registers: [registry],
    });
    const duration = new client.Histogram({
      name: `${PREFIX}grpc_request_duration_seconds`,
      help: 'Whole gRPC call time of served calls (refusals excluded)',
      labelNames: ['method', 'model'],
      buckets: SECONDS,
      registers: [registry],
    });

    function unary<Req, Res>(method: string, handler: Handler<Req, Res>, options: { model?: boolean } = {}): grpc.handleUnaryCall<Req, Res> {
      return (call, callback) => {
        const started = performance.now();
        const controller = new AbortController();
        const left = timeLeft(call);
        const ctx: CallContext = { signal: controller.signal, timeoutMs: left === undefined ? undefined : Math.max(0, left - DEADLINE_MARGIN_MS), metadata: call.metadata };
        // A cancel at the deadline (grpc-js's timer, or the client's) is a deadline, not a client gone.
        call.once('cancelled', () => {
          const now = timeLeft(call);
          controller.abort(now !== undefined && now <= DEADLINE_MARGIN_MS ? deadlinePassed(ctx.model ?? '', ctx.timeoutMs ?? 0) : undefined);
        });
        let release = () => {};
        // As an HTTP request does (plugins/models.ts): a runtime retired while this call is in progress keeps serving it.
        const named = (call.request as { model_name?: unknown } | null)?.model_name;
        const leave = typeof named === 'string' && named !== '' ? app.models.enter(named) : () => {};
        const finish = (code: grpc.status, refusal?: string) => {
          release();
          leave();
          const model = ctx.model === undefined ? '' : app.models.get(ctx.model) ? ctx.model : '_unknown';
          if (refusal) return app.metrics.recordRefusal(model || '_unknown', method, refusal);
          calls.inc({ method, model, code: grpc.status[code] });
          duration.observe({ method, model }, (performance.now() - started) / 1000);
        };
        const run = async () => {
          if (options.model) {
            if (app.draining) throw new Errors.DRAINING();
            release = app.admitModelRequest();
          }
          return handler(call.request, ctx);
        };
        run().then(
          (response) => {
            finish(grpc.status.OK);
            callback(null, response);
          },
          (err: Error) => {
            const { code, details, registryCode } = toStatus(err);
            finish(code, registryCode && REFUSALS.has(registryCode) ? registryCode : undefined);
            callback({ code, details });
          },
        );
      };
    }

    function toStatus(err: Error): { code: grpc.status; details: string; registryCode?: string } {
      if (err instanceof GrpcError) return { code: err.code, details: err.message };
      const { statusCode, code, message } = describeAny(err, { config: app.config });
      if (statusCode >= 500) app.log.error({ err }, 'gRPC call failed');
      return { code: grpcStatus(code), details: message, registryCode: code };
    }

    /** grpc.health.v1: '' and the inference service are the server; a model's name is that model. */
    function health(service: string): ServingStatus {
      if (service === '' || service === INFERENCE_SERVICE_NAME) return app.serverReady() ? 'SERVING' : 'NOT_SERVING';
      const entry = app.models.get(service);
      if (!entry) throw new GrpcError(grpc.status.NOT_FOUND, `unknown service '${service}': ask for '', '${INFERENCE_SERVICE_NAME}' or a model name`);
      return app.modelReady(entry) ? 'SERVING' : 'NOT_SERVING';
    }
    server.addService(healthService, {
      Check: unary('grpc.health.v1.Health/Check', ({ service }: { service: string }) => ({ status: health(service) })),
    });

    app.decorate('grpc', {
      server,
      unary,
      listen: (host: string, port: number, credentials = grpc.ServerCredentials.createInsecure()) =>
        new Promise<number>((resolve, reject) => {
          const address = host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
          server.bindAsync(address, credentials, (err, bound) => (err ? reject(err) : resolve(bound)));
        }),
    });

    // Closing: gRPC stops taking calls and finishes those in flight while HTTP closes beside it;
    // the models close (onClose, registered before) only after both.
    let shutdown: Promise<void> = Promise.resolve();
    app.addHook('preClose', (done) => {
      shutdown = new Promise((resolve) => server.tryShutdown(() => resolve()));
      done();
    });
    app.addHook('onClose', async () => {
      await shutdown;
    });
  },
  { name: 'grpc', dependencies: ['metrics', 'models', 'drain', 'concurrency-limit', 'error-handler'] },
);
