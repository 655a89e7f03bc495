// The ortserve process: config, logger, listen (HTTP, and gRPC on --grpc-port), graceful shutdown.
// The only file that listens. Exit codes: 2 for a bad configuration or model repository (nothing
// listened), 1 when it cannot listen or the drain times out, 0 after a graceful shutdown.
import { ServerCredentials } from '@grpc/grpc-js';
import fs from 'node:fs';
import { buildApp } from './app.ts';
import { helpText, loadConfig, type Config } from './config.ts';
import { RepositoryError } from './repository/repository.ts';

function parseConfig(): Config {
  if (process.argv.includes('--help') || process.argv.includes('-h')) {
    console.log(helpText());
    process.exit(0);
  }
  try {
    return loadConfig();
  } catch (err) {
    console.error(`${(err as Error).message}\n\n${helpText()}`);
    process.exit(2);
  }
}

const config = parseConfig();

/** Plaintext HTTP/2, or TLS from the PEM files of --grpc-tls-cert / --grpc-tls-key. */
function grpcCredentials(): ServerCredentials {
  if (!config.grpcTlsCert || !config.grpcTlsKey) return ServerCredentials.createInsecure();
  return ServerCredentials.createSsl(null, [{ cert_chain: fs.readFileSync(config.grpcTlsCert), private_key: fs.readFileSync(config.grpcTlsKey) }], false);
}

const app = await buildApp({ config, logger: { level: config.logLevel } });
// A repository that cannot be read, or that names a model twice, stops the start (Triton does too).
await app.models.whenScanned().catch((err: unknown) => {
  if (!(err instanceof RepositoryError)) throw err;
  console.error(`ortserve: ${err.message}`);
  process.exit(2);
});

let stopping = false;
async function shutdown(signal: string): Promise<void> {
  if (stopping) return;
  stopping = true;
  app.log.info({ signal, drainTimeoutMs: config.drainTimeoutMs }, 'draining: no new connections, finishing accepted work');
  app.drain();
  const timer = setTimeout(() => {
    app.log.error('drain timeout: exiting with work still in flight');
    process.exit(1);
  }, config.drainTimeoutMs);
  timer.unref();
  // Keep-alive sockets that go idle after their last in-flight response would hold close() open.
  const idle = setInterval(() => app.server.closeIdleConnections(), 100);
  await app.close();
  clearInterval(idle);
  app.log.info('stopped');
  process.exit(0);
}

process.once('SIGTERM', () => void shutdown('SIGTERM'));
process.once('SIGINT', () => void shutdown('SIGINT'));

try {
  await app.listen({ host: config.host, port: config.port });
  if (config.grpcPort !== 0) {
    const port = await app.grpc.listen(config.host, config.grpcPort, grpcCredentials());
    app.log.info({ port, tls: Boolean(config.grpcTlsCert) }, 'gRPC server listening (KServe V2 inference.GRPCInferenceService, grpc.health.v1)');
  }
} catch (err) {
  app.log.error({ err }, 'could not listen');
  process.exit(1);
}
app.models.whenLoaded().then(
  () => app.log.info({ ready: app.models.allReady() }, 'models loaded'),
  (err: unknown) => app.log.error({ err }, 'model repository failed'),
);
