// POST /v1/models/:model/classify — images as multipart files, a raw image body, or JSON base64.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import { Errors, isAppError } from '../errors.ts';
import { ModelParams, errorResponses } from '../schemas/common.ts';
import { ClassifyJsonBody, ClassifyQuery, ClassifyResponse } from '../schemas/tasks.ts';
import { plainIntegerQuery } from '../schemas/validate.ts';
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
  const { images } = body as { images: string[] };
  if (images.length > maxImages) throw new Errors.INVALID_INPUT(`at most ${maxImages} images per request`);
  return images.map((b64, i) => {
    const clean = b64.replace(/^data:[^,]*;base64,/, '');
    if (!BASE64.test(clean)) throw new Errors.INVALID_INPUT(`images[${i}] is not base64`);
    return Buffer.from(clean, 'base64');
  });
}

const classify: FastifyPluginAsyncTypebox = async (app) => {
  app.post(
    '/v1/models/:model/classify',
    {
      schema: {
        tags: ['image-classification'],
        summary: 'Classify images (multipart files, a raw image body, or JSON base64)',
        consumes: ['multipart/form-data', 'application/json', 'image/png', 'image/jpeg', 'image/webp', 'image/gif', 'image/tiff', 'application/octet-stream'],
        params: ModelParams,
        querystring: ClassifyQuery,
        body: { content: { 'application/json': { schema: ClassifyJsonBody } } },
        response: { 200: ClassifyResponse, ...errorResponses },
      },
      preValidation: plainIntegerQuery(ClassifyQuery),
    },
    async (request, reply) => {
      const { model } = request.params;
      const { pipeline } = app.pipelineFor(model, 'classify', ['image-classification'] as const);
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
