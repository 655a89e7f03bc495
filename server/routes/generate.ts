// POST /v1/models/:model/generate (text: prompt → text, optionally streamed as SSE; images:
// seed/label → PNGs) and POST /v1/models/:model/interpolate (a latent walk between two seeds).
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Errors } from '../errors.ts';
import { describeError } from '../plugins/error-handler.ts';
import type { GeneratedImage, ImageGenerationPipeline } from '../pipelines/image-generation.ts';
import type { TextGenerationPipeline } from '../pipelines/text-generation.ts';
import { ModelParams, errorResponses } from '../schemas/common.ts';
import { GenerateBody, GenerateResponse, GeneratedImages, ImageGenerateBody, InterpolateBody, TextGenerateBody } from '../schemas/tasks.ts';
import { parseBody } from '../schemas/validate.ts';
import { clientSignal, timingHeaders } from './request-context.ts';

const sse = (data: unknown) => `data: ${JSON.stringify(data)}\n\n`;

async function generateText(model: string, pipeline: TextGenerationPipeline, request: FastifyRequest, reply: FastifyReply) {
  const body = parseBody(TextGenerateBody, request.body);
  const maxTokens = body.max_tokens ?? 128;
  if (maxTokens > pipeline.maxTokens) throw new Errors.INVALID_INPUT(`body.max_tokens must be at most ${pipeline.maxTokens}`);
  const req = {
    prompt: body.prompt,
    maxTokens,
    temperature: body.temperature ?? 0.8,
    topK: body.top_k ?? 0,
    topP: body.top_p ?? 1,
    seed: body.seed,
    stop: typeof body.stop === 'string' ? [body.stop] : (body.stop ?? []),
  };
  const signal = clientSignal(request, reply);
  const stream = body.stream === true || (request.headers.accept ?? '').includes('text/event-stream');
  if (!stream) {
    const r = await pipeline.generate(req, { signal, timeoutMs: body.timeout_ms });
    timingHeaders(reply, [r.timing]);
    return { model, text: r.text, tokens: r.tokens, finish_reason: r.finishReason, seed: r.seed };
  }
  let index = 0;
  // One event per token; the events of one engine message leave in one write (one syscall).
  let pending = '';
  const flush = () => {
    if (pending) reply.raw.write(pending);
    pending = '';
  };
  const open = () => {
    if (reply.sent) return;
    reply.hijack();
    reply.raw.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', connection: 'keep-alive', 'x-accel-buffering': 'no' });
  };
  try {
    const r = await pipeline.generate(req, {
      signal,
      timeoutMs: body.timeout_ms,
      onToken: (text) => {
        open();
        if (!pending) queueMicrotask(flush);
        pending += sse({ index: index++, token: text });
      },
    });
    open();
    flush();
    reply.raw.write(sse({ index, token: '', finish_reason: r.finishReason, text: r.text, tokens: r.tokens, seed: r.seed }));
    reply.raw.end('data: [DONE]\n\n');
  } catch (err) {
    if (!reply.sent) throw err;
    flush();
    // The same describer as JSON errors: a stable code, and no internals in a 5xx message.
    const { statusCode, code, message } = describeError(err as Error, request, reply);
    reply.raw.end(`event: error\n${sse({ code, statusCode, message })}`);
  }
  return reply;
}

async function sendImages(model: string, pipeline: ImageGenerationPipeline, images: GeneratedImage[], request: FastifyRequest, reply: FastifyReply) {
  if ((request.headers.accept ?? '').includes('image/png')) {
    return reply.type('image/png').send(await pipeline.png(images));
  }
  const out = await Promise.all(images.map(async (im) => ({ seed: im.seed, label: im.label, png: (await pipeline.png([im])).toString('base64') })));
  return reply.send({ model, images: out });
}

const generate: FastifyPluginAsyncTypebox = async (app) => {
  app.post(
    '/v1/models/:model/generate',
    {
      config: { modelRoute: true },
      attachValidation: true,
      schema: {
        tags: ['text-generation', 'image-generation'],
        summary: 'Generate text (prompt → text, SSE with "stream": true) or images (seed/label → PNGs; Accept: image/png for one PNG)',
        params: ModelParams,
        body: GenerateBody,
        response: { 200: GenerateResponse, ...errorResponses },
      },
    },
    async (request, reply) => {
      const { model } = request.params;
      const { pipeline } = app.pipelineFor(model, 'generate', ['text-generation', 'image-generation'] as const);
      if (pipeline.task === 'text-generation') return generateText(model, pipeline, request, reply);
      const body = parseBody(ImageGenerateBody, request.body);
      const { images, timing } = await pipeline.generate({ count: body.count ?? 1, seed: body.seed, label: body.label }, { signal: clientSignal(request, reply), timeoutMs: body.timeout_ms });
      timingHeaders(reply, timing);
      return sendImages(model, pipeline, images, request, reply);
    },
  );

  app.post(
    '/v1/models/:model/interpolate',
    {
      config: { modelRoute: true },
      schema: {
        tags: ['image-generation'],
        summary: 'Frames along the latent path between two seeds',
        params: ModelParams,
        body: InterpolateBody,
        response: { 200: GeneratedImages, ...errorResponses },
      },
    },
    async (request, reply) => {
      const { model } = request.params;
      const { pipeline } = app.pipelineFor(model, 'interpolate', ['image-generation'] as const);
      const b = request.body;
      const { images, timing } = await pipeline.interpolate(
        { fromSeed: b.from_seed, toSeed: b.to_seed, steps: b.steps ?? 8, label: b.label },
        { signal: clientSignal(request, reply), timeoutMs: b.timeout_ms },
      );
      timingHeaders(reply, timing);
      return sendImages(model, pipeline, images, request, reply);
    },
  );
};

export default generate;
