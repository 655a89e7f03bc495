// A grpc-js client of the server's KServe V2 gRPC service and health service, built from the same
// vendored .proto files, with promise-returning calls that resolve to the response or the status.
import * as grpc from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import type { FastifyInstance } from 'fastify';
import { LOADER_OPTIONS, PROTO_FILES } from '../../server/protocols/grpc/proto.ts';

/** A unary method of a generated client: (request, metadata, options, callback) → the call. */
type UnaryMethod = (request: object, metadata: grpc.Metadata, options: grpc.CallOptions, callback: (err: grpc.ServiceError | null, response: any) => void) => grpc.ClientUnaryCall;
type Ctor = new (address: string, credentials: grpc.ChannelCredentials) => grpc.Client & Record<string, UnaryMethod>;
const load = (file: string) => grpc.loadPackageDefinition(loadSync(file, LOADER_OPTIONS)) as unknown as Record<string, any>;
const Inference = load(PROTO_FILES.inference).inference.GRPCInferenceService as Ctor;
const Repository = load(PROTO_FILES.repository).inference.GRPCInferenceService as Ctor;
const Health = load(PROTO_FILES.health).grpc.health.v1.Health as Ctor;

export interface Failure {
  code: grpc.status;
  name: string;
  details: string;
}

export interface CallOptions {
  deadlineMs?: number;
  metadata?: Record<string, string>;
  /** Receives the call object (to cancel it). */
  onCall?: (call: grpc.ClientUnaryCall) => void;
}

export interface GrpcClient {
  /** Resolves to the response, or to `{ code, name, details }` when the call failed. */
  call<T = any>(method: string, request?: object, options?: CallOptions): Promise<T | Failure>;
  /** As call(), but throws unless it succeeded. */
  ok<T = any>(method: string, request?: object, options?: CallOptions): Promise<T>;
  close(): void;
}

export const isFailure = (r: unknown): r is Failure => typeof r === 'object' && r !== null && 'code' in r && 'details' in r;

export function grpcClient(address: string): GrpcClient {
  const credentials = grpc.credentials.createInsecure();
  const clients = [new Inference(address, credentials), new Repository(address, credentials), new Health(address, credentials)];
  const call = <T>(method: string, request: object = {}, options: CallOptions = {}) =>
    new Promise<T | Failure>((resolve) => {
      const client = clients.find((c) => typeof c[method] === 'function');
      if (!client) throw new Error(`no client has method ${method}`);
      const metadata = new grpc.Metadata();
      for (const [k, v] of Object.entries(options.metadata ?? {})) metadata.set(k, v);
      const callOptions = options.deadlineMs === undefined ? {} : { deadline: Date.now() + options.deadlineMs };
      const c = client[method]!.call(client, request, metadata, callOptions, (err: grpc.ServiceError | null, response: T) =>
        resolve(err ? { code: err.code, name: grpc.status[err.code], details: err.details } : response),
      );
      options.onCall?.(c);
    });
  return {
    call,
    async ok<T>(method: string, request?: object, options?: CallOptions) {
      const r = await call<T>(method, request, options);
      if (isFailure(r)) throw new Error(`${method} failed: ${r.name} ${r.details}`);
      return r as T;
    },
    close: () => clients.forEach((c) => c.close()),
  };
}

/** Binds the app's gRPC server on a free loopback port and returns a client of it. */
export async function grpcFor(app: FastifyInstance): Promise<GrpcClient & { port: number }> {
  const port = await app.grpc.listen('127.0.0.1', 0);
  return { ...grpcClient(`127.0.0.1:${port}`), port };
}
