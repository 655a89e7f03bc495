// Child processes for the benchmark: each measured server runs in its own process.
import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '../..');

export interface Child {
  url: string;
  proc: ChildProcess;
  stop(): Promise<void>;
}

/** A loopback port nobody listens on right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
    srv.on('error', reject);
  });
}

async function waitFor(url: string, proc: ChildProcess, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (proc.exitCode !== null) throw new Error(`${url}: process exited with ${proc.exitCode}`);
    if (
      await fetch(url).then(
        (r) => r.ok,
        () => false,
      )
    )
      return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${url} not ready after ${ms} ms`);
}

function start(script: string, port: number, env: Record<string, string>, readyPath: string, nodeFlags: string[] = []): Promise<Child> {
  // gRPC is off unless `env` gives ORTSERVE_GRPC_PORT: servers started side by side would all want 8081.
  const proc = spawn(process.execPath, [...nodeFlags, path.join(root, script)], {
    env: { ...process.env, HOST: '127.0.0.1', PORT: String(port), ORTSERVE_LOG_LEVEL: 'warn', ORTSERVE_GRPC_PORT: '0', ...env },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const url = `http://127.0.0.1:${port}`;
  return waitFor(url + readyPath, proc, 120_000).then(() => ({
    url,
    proc,
    stop: () =>
      new Promise<void>((resolve) => {
        if (proc.exitCode !== null) return resolve();
        proc.once('exit', () => resolve());
        proc.kill('SIGTERM');
      }),
  }));
}

/** Kills `proc` when this process exits or is stopped by SIGINT/SIGTERM, so a stopped run leaves no server behind. */
export function killWithParent(proc: ChildProcess): void {
  process.once('exit', () => proc.kill('SIGKILL'));
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => process.exit(1));
}

// As `npm start` and the image run it: glibc limited to two malloc arenas, V8's semi-spaces to 32 MB (see the Dockerfile).
export const ORTSERVE_NODE_FLAGS = ['--max-semi-space-size=32'];
export const startOrtserve = (port: number, env: Record<string, string> = {}) =>
  start('server/server.ts', port, { MALLOC_ARENA_MAX: process.env.MALLOC_ARENA_MAX ?? '2', ...env }, '/health/ready', ORTSERVE_NODE_FLAGS);
export const startNaive = (port: number, env: Record<string, string> = {}) => start('scripts/bench/naive-server.ts', port, env, '/health/live');
export const startTransformersJs = (port: number) => start('scripts/bench/transformers-server.ts', port, {}, '/health/live');

/** Runs a script to completion and returns its last stdout line parsed as JSON. */
export function runJson<T>(script: string, args: string[]): Promise<T> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, [path.join(root, script), ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    proc.stdout.on('data', (d) => (out += d));
    proc.on('exit', (code) => {
      if (code !== 0) return reject(new Error(`${script} exited with ${code}`));
      resolve(JSON.parse(out.trim().split('\n').at(-1)!) as T);
    });
  });
}
