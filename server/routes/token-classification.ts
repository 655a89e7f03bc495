// POST /v1/models/:model/token-classification — entities in texts (named entities, with Hugging Face's
// aggregation strategies and character offsets into the text as sent).
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { ModelParams, errorResponses } from '../schemas/common.ts';
import { TokenClassificationBody, TokenClassificationResponse } from '../schemas/text-tasks.ts';
import { clientSignal, timingHeaders } from './request-context.ts';

const tokenClassification: FastifyPluginAsyncTypebox = async (app) => {
  app.post(
    '/v1/models/:model/token-classification',
    {
      config: { modelRoute: true },
      schema: {
        tags: ['token-classification'],
        summary: 'Entities in texts: labels per word piece, grouped as aggregation_strategy says, with start/end offsets',
        params: ModelParams,
        body: TokenClassificationBody,
        response: { 200: TokenClassificationResponse, ...errorResponses },
      },
    },
    async (request, reply) => {
      const { model } = request.params;
      const { pipeline } = app.pipelineFor(model, 'token-classification', ['token-classification'] as const);
      const b = request.body;
      const { results, timing } = await pipeline.recognize(typeof b.inputs === 'string' ? [b.inputs] : b.inputs, {
        strategy: b.aggregation_strategy,
        ignoreLabels: b.ignore_labels,
        truncate: b.truncate ?? true,
        timeoutMs: b.timeout_ms,
        signal: clientSignal(request, reply),
      });
      timingHeaders(reply, timing);
      return { model, results: results.map((entities) => ({ entities })) };
    },
  );
};

export default tokenClassification;
