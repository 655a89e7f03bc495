// KServe V2 over gRPC (inference.GRPCInferenceService), the same protocol as routes/v2.ts on the
// gRPC server of plugins/grpc.ts: health, metadata, ModelInfer through the model's one scheduler
// (tensor-infer.ts, as REST), and, with --admin-token, Triton's repository methods ("authorization:
// Bearer <token>" in the call metadata, as REST's header).
import type { FastifyPluginAsync } from 'fastify';
import { Errors } from '../errors.ts';
import type { CallContext } from '../plugins/grpc.ts';
import { inferenceService, repositoryService, type ModelInferRequest, type ModelRef, type RepositoryModelRequest } from '../protocols/grpc/proto.ts';
import { toInferRequest, toInferResponse } from '../protocols/grpc/tensors.ts';
import { modelMetadata, serverMetadata } from '../protocols/v2-metadata.ts';
import { authorized, loadModel, repositoryIndex, unloadModel } from './repository.ts';

const grpcV2: FastifyPluginAsync = async (app) => {
  const { unary, server } = app.grpc;
  const method = (name: string) => `inference.GRPCInferenceService/${name}`;

  server.addService(inferenceService, {
    ServerLive: unary(method('ServerLive'), () => ({ live: true })),
    ServerReady: unary(method('ServerReady'), () => ({ ready: app.serverReady() })),
    ServerMetadata: unary(method('ServerMetadata'), () => serverMetadata(app.config.adminToken)),
    ModelReady: unary(method('ModelReady'), ({ name, version }: ModelRef, ctx) => {
      ctx.model = name;
      try {
        return { ready: app.modelReady(app.readyModel(name, version)) };
      } catch (err) {
        if (err instanceof Errors.MODEL_NOT_READY) return { ready: false };
        throw err;
      }
    }),
    ModelMetadata: unary(method('ModelMetadata'), ({ name, version }: ModelRef, ctx) => {
      ctx.model = name;
      const entry = app.readyModel(name, version);
      return modelMetadata(entry.name, entry.source, entry.runtime.tensor);
    }),
    ModelInfer: unary(
      method('ModelInfer'),
      async (req: ModelInferRequest, ctx: CallContext) => {
        ctx.model = req.model_name;
        const entry = app.readyModel(req.model_name, req.model_version);
        const { tensor } = entry.runtime;
        const { outputs } = await tensor.infer(toInferRequest(req, tensor.outputs), { signal: ctx.signal, timeoutMs: ctx.timeoutMs });
        return toInferResponse({ model_name: entry.name, model_version: entry.source.version, id: req.id }, outputs);
      },
      { model: true },
    ),
  });

  const token = app.config.adminToken;
  if (!token) return;
  const admin = <Req, Res>(name: string, handler: (req: Req) => Promise<Res>) =>
    unary(method(name), (req: Req, ctx: CallContext) => {
      const header = ctx.metadata.get('authorization')[0];
      if (!authorized(typeof header === 'string' ? header : undefined, token)) throw new Errors.UNAUTHORIZED();
      return handler(req);
    });
  server.addService(repositoryService, {
    RepositoryIndex: admin('RepositoryIndex', async ({ ready }: { ready: boolean }) => {
      const index = await repositoryIndex(app);
      return { models: index.filter((m) => !ready || m.state === 'READY').map((m) => ({ version: '', reason: '', ...m })) };
    }),
    RepositoryModelLoad: admin('RepositoryModelLoad', async ({ model_name }: RepositoryModelRequest) => {
      await loadModel(app, model_name);
      return {};
    }),
    RepositoryModelUnload: admin('RepositoryModelUnload', async ({ model_name }: RepositoryModelRequest) => {
      await unloadModel(app, model_name);
      return {};
    }),
  });
};

export default grpcV2;
