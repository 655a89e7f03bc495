// gRPC over TLS from --grpc-tls-cert / --grpc-tls-key files (a self-signed certificate made with
// openssl for the test): a client that trusts it gets answers, a plaintext client does not; a
// certificate without its key is refused at start with a message.
import * as grpc from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../scripts/bench/processes.ts';
import { LOADER_OPTIONS, PROTO_FILES } from '../../server/protocols/grpc/proto.ts';
import { ROOT } from '../helpers/app.ts';
import { startServer, type ServerProcess } from '../helpers/server-process.ts';
import { slowModelRepository } from '../helpers/slow-model.ts';

const HAVE_OPENSSL = spawnSync('openssl', ['version'], { stdio: 'ignore' }).status === 0;
if (!HAVE_OPENSSL) console.warn('\n*** SKIPPED: openssl is absent, so the gRPC TLS test did not run ***\n');

const { inference } = grpc.loadPackageDefinition(loadSync(PROTO_FILES.inference, LOADER_OPTIONS)) as any;

function serverMetadata(address: string, credentials: grpc.ChannelCredentials): Promise<{ name?: string; code?: string }> {
  const client = new inference.GRPCInferenceService(address, credentials);
  return new Promise((resolve) =>
    client.ServerMetadata({}, { deadline: Date.now() + 5_000 }, (err: grpc.ServiceError | null, res: { name: string }) => {
      client.close();
      resolve(err ? { code: grpc.status[err.code] } : res);
    }),
  );
}

describe.skipIf(!HAVE_OPENSSL)('gRPC over TLS', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ortserve-grpc-tls-'));
  const cert = path.join(dir, 'cert.pem');
  const key = path.join(dir, 'key.pem');
  let srv: ServerProcess;
  let address: string;

  beforeAll(async () => {
    execFileSync(
      'openssl',
      ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1'],
      { stdio: 'ignore' },
    );
    const port = await freePort();
    address = `localhost:${port}`;
    srv = await startServer({ ORTSERVE_MODELS: slowModelRepository({ layers: 1 }), ORTSERVE_GRPC_PORT: String(port), ORTSERVE_GRPC_TLS_CERT: cert, ORTSERVE_GRPC_TLS_KEY: key });
  }, 60_000);
  afterAll(async () => {
    srv?.proc.kill('SIGTERM');
    await srv?.exited;
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('answers a client that trusts the certificate, and not a plaintext one', async () => {
    expect(await serverMetadata(address, grpc.credentials.createSsl(fs.readFileSync(cert)))).toMatchObject({ name: 'ortserve' });
    expect(await serverMetadata(address, grpc.credentials.createInsecure())).toEqual({ code: 'UNAVAILABLE' });
  });

  it('refuses to start with a certificate but no key, and says why', () => {
    const run = spawnSync(process.execPath, [path.join(ROOT, 'server/server.ts'), '--grpc-tls-cert', cert], { encoding: 'utf8', timeout: 30_000 });
    expect(run.status).toBe(2);
    expect(run.stderr).toContain('--grpc-tls-cert and --grpc-tls-key go together');
  });
});
