// Test-only replica entry for the scale harness (scripts/scale.ts): the server's app built with
// faultInjection, which no setting or env var of server/server.ts turns on, listening and draining
// as server.ts does. On SIGUSR2 every worker of the model named by SCALE_FAULT_MODEL crashes; the
// harness removes that model's graph file from this replica's own repository first, so each
// respawn fails to load, the pool gives up and the model is failed: /health/ready answers 503.
// Takes the server's flags (node scripts/scale/faulty-replica.ts --host … --port …).
import { buildApp } from '../../server/app.ts';
import { loadConfig } from '../../server/config.ts';

const model = process.env.SCALE_FAULT_MODEL;
if (!model) throw new Error('SCALE_FAULT_MODEL names the model whose workers crash on SIGUSR2');
const config = loadConfig();
const app = await buildApp({ config, logger: { level: config.logLevel }, faultInjection: true });

process.on('SIGUSR2', () => {
  const entry = app.models.get(model);
  if (entry?.state !== 'ready') return app.log.warn({ model, state: entry?.state }, 'SIGUSR2: model not ready, nothing to crash');
  app.log.warn({ model }, 'SIGUSR2: crashing every worker');
  for (let i = 0; i < entry.runtime.instances; i++) entry.runtime.pool.crash(i);
});

process.once('SIGTERM', () => {
  app.drain();
  const idle = setInterval(() => app.server.closeIdleConnections(), 100);
  void app.close().then(() => {
    clearInterval(idle);
    process.exit(0);
  });
});

await app.listen({ host: config.host, port: config.port });
