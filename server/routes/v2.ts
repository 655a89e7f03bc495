// KServe V2 / Open Inference Protocol over HTTP, for every model (as Triton speaks it), with
// Triton's binary tensor data extension on infer (protocols/v2-binary.ts). Errors use the protocol's
// {"error": "..."} body (plugins/error-handler.ts picks it for every /v2 URL); readiness is
// app.serverReady / app.modelReady, as REST's and gRPC's.
import type { FastifyPluginAsyncTypebox, TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { Errors } from '../errors.ts';
import { attachBinary, binaryOutputs, binaryResponse, HEADER_LENGTH, headerLength, rawBinaryRequest, SAGEMAKER_BINARY, splitBody, v2Inputs } from '../protocols/v2-binary.ts';
import { modelMetadata, serverMetadata } from '../protocols/v2-metadata.ts';
import { V2BinaryResponse, V2Error, V2InferBody, V2InferResponse, V2ModelMetadata, V2Params } from '../schemas/v2.ts';
import { repositoryRoutes } from './repository.ts';
import { clientSignal, timingHeaders } from './request-context.ts';

const v2: FastifyPluginAsyncTypebox = async (app) => {
  /** The ready model a V2 URL names (at its version, if given), or a 400/404/503. */
  const ready = (params: V2Params) => app.readyModel(params.model, params.version);

  const bothPaths = (suffix: string) => [`/v2/models/:model${suffix}`, `/v2/models/:model/versions/:version${suffix}`];
  const errors = { 400: V2Error, 404: V2Error, 429: V2Error, 503: V2Error, 504: V2Error };

  app.get(
    '/v2',
    { schema: { tags: ['kserve-v2'], summary: 'Server metadata', response: { 200: Type.Object({ name: Type.String(), version: Type.String(), extensions: Type.Array(Type.String()) }) } } },
    async () => serverMetadata(app.config.adminToken),
  );

  app.get('/v2/health/live', { schema: { tags: ['kserve-v2'], response: { 200: Type.Object({ live: Type.Boolean() }) } } }, async () => ({ live: true }));

  app.get('/v2/health/ready', { schema: { tags: ['kserve-v2'], response: { 200: Type.Object({ ready: Type.Boolean() }), 503: Type.Object({ ready: Type.Boolean() }) } } }, async (_req, reply) => {
    const ready = app.serverReady();
    return reply.status(ready ? 200 : 503).send({ ready });
  });

  for (const url of bothPaths('')) {
    app.get(url, { schema: { tags: ['kserve-v2'], summary: 'Model metadata', params: V2Params, response: { 200: V2ModelMetadata, ...errors } } }, async (request) => {
      const { runtime, source, name } = ready(request.params);
      return modelMetadata(name, source, runtime.tensor);
    });
  }

  for (const url of bothPaths('/ready')) {
    app.get(
      url,
      { schema: { tags: ['kserve-v2'], summary: 'Model readiness', params: V2Params, response: { 200: Type.Object({ name: Type.String(), ready: Type.Boolean() }), ...errors } } },
      async (request) => {
        // Not ready: MODEL_NOT_READY, a 503 with the reason, from the error handler.
        const entry = ready(request.params);
        if (!app.modelReady(entry)) throw new Errors.MODEL_NOT_READY(entry.name, app.draining ? 'the server is draining' : 'no live instance');
        return { name: entry.name, ready: true };
      },
    );
  }

  const jsonParser = app.getDefaultJsonParser('error', 'error');
  /** Fastify's JSON parsing (with its prototype-poisoning checks), as a function. */
  function parseJson(request: FastifyRequest, text: string): unknown {
    let result: { err: Error | null; value?: unknown } = { err: null };
    // Synchronous for a string body: the callback has run when it returns.
    void jsonParser(request, text, (err, value) => (result = { err, value }));
    if (result.err) throw result.err;
    return result.value;
  }

  /**
   * Infer bodies: JSON as usual, or, when Inference-Header-Content-Length (or SageMaker's
   * json-header-size) is given, a JSON header followed by binary tensor data. Triton's Python
   * client sends no Content-Type at all, hence the catch-all. Buffered within the body limit.
   */
  async function parseInferBody(request: FastifyRequest, body: Buffer): Promise<unknown> {
    const contentType = request.headers['content-type'];
    const length = headerLength(request.headers[HEADER_LENGTH], contentType);
    if (length === undefined) {
      const media = contentType?.split(';')[0]!.trim().toLowerCase();
      if (media === 'application/octet-stream' || media === SAGEMAKER_BINARY) {
        throw new Errors.INVALID_INPUT(`an ${media} body needs the Inference-Header-Content-Length header: the byte length of the JSON header before the binary tensor data`);
      }
      if (media !== undefined && media !== 'application/json') {
        throw new Errors.UNSUPPORTED_MEDIA_TYPE(contentType, 'application/json, or a JSON header and binary tensor data with Inference-Header-Content-Length');
      }
      return parseJson(request, body.toString('utf8'));
    }
    if (length === 0) {
      const { runtime, name } = ready(request.params as V2Params);
      return rawBinaryRequest(name, runtime.tensor.inputs, body);
    }
    const { json, binary } = splitBody(body, length);
    let header: unknown;
    try {
      header = parseJson(request, json);
    } catch {
      throw new Errors.INVALID_INPUT(`the JSON header (the first ${length} bytes, per Inference-Header-Content-Length) is not valid JSON`);
    }
    return attachBinary(header, binary);
  }

  await app.register(async (scope) => {
    const infer = scope.withTypeProvider<TypeBoxTypeProvider>();
    for (const type of ['application/json', 'application/octet-stream', SAGEMAKER_BINARY, '*']) infer.addContentTypeParser(type, { parseAs: 'buffer' }, parseInferBody);

    for (const url of bothPaths('/infer')) {
      infer.post(
        url,
        {
          config: { modelRoute: true },
          schema: {
            tags: ['kserve-v2'],
            summary: 'Inference with JSON or binary tensors',
            params: V2Params,
            body: V2InferBody,
            response: { 200: { content: { 'application/json': { schema: V2InferResponse }, 'application/octet-stream': { schema: V2BinaryResponse } } }, ...errors },
          },
        },
        async (request, reply) => {
          const { runtime, source, name } = ready(request.params);
          const body = request.body;
          const { outputs, timing } = await runtime.tensor.infer({ inputs: v2Inputs(body.inputs), ...binaryOutputs(body) }, { signal: clientSignal(request, reply) });
          timingHeaders(reply, [timing]);
          const head = { model_name: name, model_version: source.version, ...(body.id !== undefined ? { id: body.id } : {}) };
          if (!outputs.some((o) => 'raw' in o)) return { ...head, outputs };
          const binary = binaryResponse(head, outputs);
          const sagemaker = request.headers['content-type']?.toLowerCase().startsWith(SAGEMAKER_BINARY);
          reply.header(HEADER_LENGTH, String(binary.headerLength));
          reply.type(sagemaker ? `${SAGEMAKER_BINARY};json-header-size=${binary.headerLength}` : 'application/octet-stream');
          return reply.send(binary.body);
        },
      );
    }
  });

  if (app.config.adminToken) repositoryRoutes(app, app.config.adminToken);
};

export default v2;
