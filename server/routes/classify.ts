// POST /v1/models/:model/classify — the model's task decides: images (multipart files, a raw image body, or JSON
// base64) for image-classification, JSON {"inputs", "top_k", "truncate"} for text-classification.
import { TypeBoxValidatorCompiler, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Errors, isAppError } from '../errors.ts';
import type { TextClassificationPipeline, TextInput } from '../pipelines/text-classification.ts';
import { ModelParams, errorResponses } from '../schemas/common.ts';
import { ClassifyJsonBody, ClassifyQuery, ClassifyResponse } from '../schemas/tasks.ts';
import { TextClassifyBody } from '../schemas/text-tasks.ts';
import { parseBody, plainIntegerQuery } from '../schemas/validate.ts';
import { clientSignal, timingHeaders } from './request-context.ts';

const BASE64 = /^[A-Za-z0-9+/\r\n]+={0,2}$/;
const ACCEPTED = 'multipart/form-data, a raw image (image/*, application/octet-stream) or application/json {"images": [base64]}';

async function collectFiles(request: FastifyRequest, maxImages: number): Promise<Buffer[]> {
  const images: Buffer[] = [];
  try {
    for await (const part of request.files()) {
      images.push(await part.toBuffer());
      if (images.length > maxImages) throw new Errors.INVALID_INPUT(`at most ${maxImages} images per request`);
    }
  } catch (err) {
    // The multipart parser (busboy) throws plain errors for broken framing: the client's mistake.
    if (isAppError(err)) throw err;
    throw new Errors.INVALID_INPUT(`malformed multipart/form-data body: ${(err as Error).message}`);
  }
  return images;
}

async function collectImages(request: FastifyRequest, maxImages: number): Promise<Buffer[]> {
  if (request.isMultipart()) return collectFiles(request, maxImages);
  const body = request.body;
  if (Buffer.isBuffer(body)) return [body];
  const type = (request.headers['content-type'] ?? '').split(';')[0]!.trim();
  if (type !== 'application/json') throw new Errors.UNSUPPORTED_MEDIA_TYPE(type || 'none', ACCEPTED);
  const { images } = parseBody(ClassifyJsonBody, body);
  if (images.length > maxImages) throw new Errors.INVALID_INPUT(`at most ${maxImages} images per request`);
  return images.map((b64, i) => {
    const clean = b64.replace(/^data:[^,]*;base64,/, '');
    if (!BASE64.test(clean)) throw new Errors.INVALID_INPUT(`images[${i}] is not base64`);
    return Buffer.from(clean, 'base64');
  });
}

/** Hugging Face pipeline inputs: a text, or a list of texts, [text, text_pair] pairs and {text, text_pair} objects. */
function textInputs(inputs: TextClassifyBody['inputs']): TextInput[] {
  if (typeof inputs === 'string') return [inputs];
  return inputs.map((input, i) => {
    if (typeof input === 'string') return input;
    if (!Array.isArray(input)) return input.text_pair === undefined ? input.text : [input.text, input.text_pair];
    if (input.length !== 2) throw new Errors.INVALID_INPUT(`inputs[${i}] must be a text or a [text, text_pair] pair, not a list of ${input.length} text${input.length === 1 ? '' : 's'}`);
    return [input[0]!, input[1]!];
  });
}

async function classifyText(model: string, pipeline: TextClassificationPipeline, request: FastifyRequest<{ Querystring: ClassifyQuery }>, reply: FastifyReply) {
  const type = (request.headers['content-type'] ?? '').split(';')[0]!.trim();
  if (request.isMultipart() || type !== 'application/json') throw new Errors.UNSUPPORTED_MEDIA_TYPE(type || 'none', 'application/json {"inputs": …} (this is a text-classification model)');
  const body = parseBody(TextClassifyBody, request.body);
  const { results, timing } = await pipeline.classify(textInputs(body.inputs), {
    topK: body.top_k === undefined ? (request.query.top_k ?? 5) : body.top_k,
    truncate: body.truncate ?? true,
    timeoutMs: body.timeout_ms ?? request.query.timeout_ms,
    signal: clientSignal(request, reply),
  });
  timingHeaders(reply, timing);
  return { model, results };
}

const classify: FastifyPluginAsyncTypebox = async (app) => {
  app.post(
    '/v1/models/:model/classify',
    {
      config: { modelRoute: true },
      schema: {
        tags: ['image-classification', 'text-classification'],
        summary: 'Classify images (multipart files, a raw image body, or JSON base64) or texts (JSON {"inputs": …}), as the model\'s task says',
        consumes: ['multipart/form-data', 'application/json', 'image/png', 'image/jpeg', 'image/webp', 'image/gif', 'image/tiff', 'application/octet-stream'],
        params: ModelParams,
        querystring: ClassifyQuery,
        body: { content: { 'application/json': { schema: Type.Union([ClassifyJsonBody, TextClassifyBody]) } } },
        response: { 200: ClassifyResponse, ...errorResponses },
      },
      preValidation: plainIntegerQuery(ClassifyQuery),
      // The JSON body's schema depends on the model's task, so the handler checks it (parseBody); params and
      // querystring are checked here as on every route.
      validatorCompiler: (route) => (route.httpPart === 'body' ? () => true : TypeBoxValidatorCompiler(route)),
    },
    async (request, reply) => {
      const { model } = request.params;
      const { pipeline } = app.pipelineFor(model, 'classify', ['image-classification', 'text-classification'] as const);
      if (pipeline.task === 'text-classification') return classifyText(model, pipeline, request, reply);
      const images = await collectImages(request, app.config.maxImages);
      if (images.length === 0) throw new Errors.INVALID_INPUT('no image in the request: send multipart file fields, a raw image body or {"images": [base64]}');
      const { results, timing } = await pipeline.classify(images, {
        topK: request.query.top_k ?? 5,
        timeoutMs: request.query.timeout_ms,
        signal: clientSignal(request, reply),
      });
      timingHeaders(reply, timing);
      return { model, results };
    },
  );
};

export default classify;
