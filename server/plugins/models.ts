// The model registry as a Fastify service: `app.models`, loaded in the background so the
// liveness route answers at once; drained and closed when the app closes. Every request counts as
// in progress until its response closes, so a runtime retired meanwhile (hot swap) still serves it.
// A model that is not serving (see isServing) is refused at once with 503, never queued. (A full
// model's queue refuses requests before their body is read: plugins/refusal-gate.ts.)
import fp from 'fastify-plugin';
import type { Config } from '../config.ts';
import { Errors } from '../errors.ts';
import type { ReadyModel } from '../models/entry.ts';
import { isServing, ModelRegistry } from '../models/registry.ts';
import type { Pipeline } from '../pipelines/index.ts';
import { isValidModelName } from '../repository/repository.ts';
import { requestModel } from './model-routes.ts';

declare module 'fastify' {
  interface FastifyInstance {
    models: ModelRegistry;
    config: Config;
    /** The ready model `name` and its pipeline for `route`, or the matching 4xx/503 error. */
    pipelineFor<T extends Pipeline['task']>(name: string, route: string, tasks: readonly T[]): { entry: ReadyModel; pipeline: Extract<Pipeline, { task: T }> };
    /** The ready model `name` (any task, V2 included; at `version` when given), or the matching 4xx/503 error. */
    readyModel(name: string, version?: string): ReadyModel;
  }
}

export default fp<{ config: Config; faultInjection?: boolean }>(
  async (app, { config, faultInjection }) => {
    const registry = new ModelRegistry({ config, log: app.log, hooks: (model) => app.metrics.hooks(model), faultInjection });
    app.decorate('config', config);
    app.decorate('models', registry);

    function readyModel(name: string, version?: string): ReadyModel {
      if (!isValidModelName(name)) throw new Errors.INVALID_MODEL_NAME(name);
      const entry = registry.get(name);
      if (!entry) throw new Errors.MODEL_NOT_FOUND(name);
      if (version && entry.source && version !== entry.source.version) throw new Errors.MODEL_NOT_FOUND(`${name}' version '${version}`);
      if (entry.state !== 'ready') throw new Errors.MODEL_NOT_READY(name, entry.state === 'failed' ? entry.error : entry.state);
      if (!isServing(entry)) throw new Errors.MODEL_NOT_READY(name, 'no live instance; its workers are being respawned');
      return entry;
    }

    app.decorate('readyModel', readyModel);
    app.decorate('pipelineFor', function pipelineFor<T extends Pipeline['task']>(name: string, route: string, tasks: readonly T[]) {
      if (!isValidModelName(name)) throw new Errors.INVALID_MODEL_NAME(name);
      const entry = registry.get(name);
      if (!entry) throw new Errors.MODEL_NOT_FOUND(name);
      const pipeline = entry.state === 'ready' ? entry.runtime.pipeline : undefined;
      if (entry.state === 'ready' && (!pipeline || !tasks.includes(pipeline.task as T) || !pipeline.routes.includes(route))) {
        const routes = pipeline?.routes ?? [];
        const list = routes.length ? routes.map((r) => `POST /v1/models/${name}/${r}`).join(', ') : 'none (KServe V2 only)';
        throw new Errors.WRONG_TASK(name, entry.source.manifest.task ?? 'generic', list);
      }
      return { entry: readyModel(name), pipeline: pipeline as Extract<Pipeline, { task: T }> };
    });
    app.addHook('preHandler', (request, reply, done) => {
      // Once the body is parsed, the model a request names is known (the URL's, or OpenAI's body field).
      // 'close' fires exactly once per response: after it finished, or when the client left.
      const model = requestModel(request);
      if (model !== undefined) reply.raw.once('close', registry.enter(model));
      done();
    });
    registry.start();
    app.addHook('onClose', async () => {
      app.drain();
      await registry.close();
    });
  },
  { name: 'models', dependencies: ['metrics', 'drain'] },
);
