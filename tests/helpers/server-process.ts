// Starts the real server (node server/server.ts) as a child process on a free loopback port.
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { freePort } from '../../scripts/bench/processes.ts';
import { ROOT } from './app.ts';

export interface ServerProcess {
  url: string;
  proc: ChildProcess;
  logs: () => string;
  exited: Promise<number | null>;
}

export async function startServer(env: Record<string, string> = {}, timeoutMs = 60_000): Promise<ServerProcess> {
  const port = await freePort();
  let output = '';
  const proc = spawn(process.execPath, [path.join(ROOT, 'server/server.ts')], {
    // gRPC is off unless a test asks for a port: parallel servers would all want the default 8081.
    env: { ...process.env, HOST: '127.0.0.1', PORT: String(port), ORTSERVE_LOG_LEVEL: 'warn', ORTSERVE_GRPC_PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  proc.stdout.on('data', (d) => (output += d));
  proc.stderr.on('data', (d) => (output += d));
  const exited = new Promise<number | null>((resolve) => proc.on('exit', (code) => resolve(code)));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (proc.exitCode !== null) throw new Error(`server exited early:\n${output}`);
    const ok = await fetch(`${url}/health/ready`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) return { url, proc, logs: () => output, exited };
    await new Promise((r) => setTimeout(r, 200));
  }
  proc.kill('SIGKILL');
  throw new Error(`server not ready after ${timeoutMs} ms:\n${output}`);
}
