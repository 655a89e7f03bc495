// KServe V2 / Open Inference Protocol over HTTP, for every model (as Triton speaks it).
// Errors here use the protocol's {"error": "..."} body with Triton's status mapping.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { Errors } from '../errors.ts';
import { describeError } from '../plugins/error-handler.ts';
import type { ModelEntry } from '../models/entry.ts';
import { v2Datatype } from '../protocols/v2-tensors.ts';
import { isValidModelName } from '../repository/repository.ts';
import { V2Error, V2InferBody, V2InferResponse, V2ModelMetadata, V2Params } from '../schemas/v2.ts';
import { repositoryRoutes } from './repository.ts';
import { clientSignal, timingHeaders } from './request-context.ts';

const VERSION = '0.1.0';

const v2: FastifyPluginAsyncTypebox = async (app) => {
  app.setErrorHandler((err: Error, request, reply) => {
    const { statusCode, message } = describeError(err, request, reply);
    return reply.status(statusCode).send({ error: message });
  });

  /** The model and version a V2 URL names, or a 400/404. */
  function find(params: V2Params): ModelEntry {
    if (!isValidModelName(params.model)) throw new Errors.INVALID_MODEL_NAME(params.model);
    const entry = app.models.get(params.model);
    if (!entry) throw new Errors.MODEL_NOT_FOUND(params.model);
    if (params.version && entry.source && params.version !== entry.source.version) {
      throw new Errors.MODEL_NOT_FOUND(`${params.model}' version '${params.version}`);
    }
    return entry;
  }

  /** The runtime of a ready model, or 503. */
  function ready(entry: ModelEntry) {
    if (entry.state !== 'ready') throw new Errors.MODEL_NOT_READY(entry.name, entry.state === 'failed' ? entry.error : entry.state);
    return { name: entry.name, source: entry.source, tensor: entry.runtime.tensor };
  }

  const bothPaths = (suffix: string) => [`/v2/models/:model${suffix}`, `/v2/models/:model/versions/:version${suffix}`];
  const errors = { 400: V2Error, 404: V2Error, 429: V2Error, 503: V2Error, 504: V2Error };

  app.get('/v2', { schema: { tags: ['kserve-v2'], summary: 'Server metadata', response: { 200: Type.Object({ name: Type.String(), version: Type.String(), extensions: Type.Array(Type.String()) }) } } }, async () => ({
    name: 'ortserve',
    version: VERSION,
    extensions: app.config.adminToken ? ['model_repository'] : [],
  }));

  app.get('/v2/health/live', { schema: { tags: ['kserve-v2'], response: { 200: Type.Object({ live: Type.Boolean() }) } } }, async () => ({ live: true }));

  app.get('/v2/health/ready', { schema: { tags: ['kserve-v2'], response: { 200: Type.Object({ ready: Type.Boolean() }), 503: Type.Object({ ready: Type.Boolean() }) } } }, async (_req, reply) => {
    const ready = !app.draining && app.models.allReady();
    return reply.status(ready ? 200 : 503).send({ ready });
  });

  for (const url of bothPaths('')) {
    app.get(url, { schema: { tags: ['kserve-v2'], summary: 'Model metadata', params: V2Params, response: { 200: V2ModelMetadata, ...errors } } }, async (request) => {
      const { tensor, source, name } = ready(find(request.params));
      const meta = (list: typeof tensor.inputs) => list.map((t) => ({ name: t.name, datatype: t.isTensor ? v2Datatype(t.type) : 'NON_TENSOR', shape: t.shape ?? [] }));
      return { name, versions: source.versions, platform: 'onnxruntime_onnx', inputs: meta(tensor.inputs), outputs: meta(tensor.outputs) };
    });
  }

  for (const url of bothPaths('/ready')) {
    app.get(url, { schema: { tags: ['kserve-v2'], summary: 'Model readiness', params: V2Params, response: { 200: Type.Object({ name: Type.String(), ready: Type.Boolean() }), ...errors } } }, async (request, reply) => {
      const entry = find(request.params);
      if (entry.state !== 'ready') return reply.status(503).send({ error: `model '${entry.name}' is not ready (${entry.state === 'failed' ? entry.error : entry.state})` });
      return { name: entry.name, ready: true };
    });
  }

  for (const url of bothPaths('/infer')) {
    app.post(url, { schema: { tags: ['kserve-v2'], summary: 'Inference with JSON tensors', params: V2Params, body: V2InferBody, response: { 200: V2InferResponse, ...errors } } }, async (request, reply) => {
      const { tensor, source, name } = ready(find(request.params));
      const body = request.body;
      const { outputs, timing } = await tensor.infer({ inputs: body.inputs, outputs: body.outputs }, { signal: clientSignal(request, reply) });
      timingHeaders(reply, [timing]);
      return {
        model_name: name,
        model_version: source.version,
        ...(body.id !== undefined ? { id: body.id } : {}),
        outputs,
      };
    });
  }

  if (app.config.adminToken) repositoryRoutes(app, app.config.adminToken);
};

export default v2;
