// The model registry as a Fastify service: `app.models`, loaded in the background so the
// liveness route answers at once; closed (after draining) when the app closes.
import fp from 'fastify-plugin';
import type { Config } from '../config.ts';
import { Errors } from '../errors.ts';
import { ModelRegistry, type ModelEntry } from '../inference/model-registry.ts';
import type { Pipeline } from '../pipelines/index.ts';
import { isValidModelName } from '../repository/repository.ts';

declare module 'fastify' {
  interface FastifyInstance {
    models: ModelRegistry;
    config: Config;
    draining: boolean;
    /** The ready pipeline of `name` for `route`, or the matching 4xx/503 error. */
    pipelineFor<T extends Pipeline['task']>(name: string, route: string, tasks: readonly T[]): { entry: ModelEntry; pipeline: Extract<Pipeline, { task: T }> };
  }
}

export default fp<{ config: Config; faultInjection?: boolean }>(
  async (app, { config, faultInjection }) => {
    const registry = new ModelRegistry({ config, log: app.log, hooks: (model, operation) => app.metrics.hooks(model, operation), faultInjection });
    app.decorate('config', config);
    app.decorate('models', registry);
    app.decorate('draining', false);
    app.decorate('pipelineFor', function pipelineFor<T extends Pipeline['task']>(name: string, route: string, tasks: readonly T[]) {
      if (!isValidModelName(name)) throw new Errors.INVALID_MODEL_NAME(name);
      const entry = registry.get(name);
      if (!entry) throw new Errors.MODEL_NOT_FOUND(name);
      const routes = entry.pipeline?.routes ?? [];
      if (entry.state === 'ready' && (!entry.pipeline || !tasks.includes(entry.pipeline.task as T) || !routes.includes(route))) {
        const list = routes.length ? routes.map((r) => `POST /v1/models/${name}/${r}`).join(', ') : 'none (KServe V2 only)';
        throw new Errors.WRONG_TASK(name, entry.task ?? 'generic', list);
      }
      if (entry.state !== 'ready' || !entry.pipeline) throw new Errors.MODEL_NOT_READY(name, entry.error ?? entry.state);
      return { entry, pipeline: entry.pipeline as Extract<Pipeline, { task: T }> };
    });
    registry.start();
    app.addHook('onClose', async () => {
      app.draining = true;
      await registry.close();
    });
  },
  { name: 'models', dependencies: ['metrics'] },
);
