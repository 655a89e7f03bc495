// ortserve replicas of the scale harness: `node server/server.ts --host <namespace address>` (from
// the run's snapshot of the code) run inside a namespace with `ip netns exec` (which execs, so the
// child's pid is the server's), on a
// model repository of its own: one folder per model, its files hard links to models/ (the
// repository scan skips symbolic links), so a replica's graph file can be removed without touching
// models/.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { SETTINGS } from '../../server/config.ts';
import { ORTSERVE_NODE_FLAGS } from '../bench/processes.ts';
import type { Host } from './net.ts';

const root = path.resolve(import.meta.dirname, '../..');
/** The port every replica listens on inside its namespace: the server's default. */
export const REPLICA_PORT = SETTINGS.port.default;

/** A repository at `dir` with hard-linked copies of `models` (folder names under models/). */
export function makeRepository(dir: string, models: string[]): string {
  for (const model of models) {
    const from = path.join(root, 'models', model);
    for (const file of fs.readdirSync(from, { recursive: true, withFileTypes: true })) {
      if (!file.isFile()) continue;
      const rel = path.relative(from, path.join(file.parentPath, file.name));
      fs.mkdirSync(path.dirname(path.join(dir, model, rel)), { recursive: true });
      fs.linkSync(path.join(from, rel), path.join(dir, model, rel));
    }
  }
  return dir;
}

export interface Replica {
  host: Host;
  url: string;
  proc: ChildProcess;
  startedAt: number;
  /** Resolves with the exit code (null when killed by a signal) once the process ended. */
  exited: Promise<number | null>;
}

export interface ReplicaOptions {
  /** The folder holding server/ (a snapshot of this repository's, see cluster.ts). */
  app: string;
  repository: string;
  /** The entry script; server/server.ts unless a test-only entry (faulty-replica.ts) is asked for. */
  entry?: string;
  env?: Record<string, string>;
  /** Where its stderr goes (warnings and errors only: --log-level warn). */
  log: fs.WriteStream;
}

export function startReplica(host: Host, o: ReplicaOptions): Replica {
  const entry = o.entry ?? 'server/server.ts';
  const args = ['--host', host.addr, '--port', String(REPLICA_PORT), '--models', o.repository, '--instances', '1', '--grpc-port', '0', '--log-level', 'warn'];
  const proc = spawn('ip', ['netns', 'exec', host.ns, process.execPath, ...ORTSERVE_NODE_FLAGS, path.join(o.app, entry), ...args], {
    env: { ...process.env, MALLOC_ARENA_MAX: process.env.MALLOC_ARENA_MAX ?? '2', ...o.env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  proc.stderr.on('data', (d: Buffer) => !o.log.writableEnded && o.log.write(`[${new Date().toISOString()} ${host.ns}] ${d.toString()}`));
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
  return { host, url: `http://${host.addr}:${REPLICA_PORT}`, proc, startedAt: Date.now(), exited };
}

export const isRunning = (r: Replica): boolean => r.proc.exitCode === null && r.proc.signalCode === null;

/** GET /health/ready of the replica itself: its status, or null when it does not answer. */
export async function readiness(r: Replica): Promise<number | null> {
  try {
    const res = await fetch(`${r.url}/health/ready`, { signal: AbortSignal.timeout(1_000) });
    await res.arrayBuffer();
    return res.status;
  } catch {
    return null;
  }
}

/** Waits until the replica's own /health/ready says 200; returns when (ms since the epoch). */
export async function whenReady(r: Replica, timeoutMs = 60_000): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!isRunning(r)) throw new Error(`${r.host.ns}: replica exited with ${r.proc.exitCode ?? r.proc.signalCode}`);
    if ((await readiness(r)) === 200) return Date.now();
    await sleep(50);
  }
  throw new Error(`${r.host.ns}: not ready after ${timeoutMs} ms`);
}

/** Sends `signal` and waits for the exit (bounded by the server's drain timeout, then SIGKILL). */
export async function stopReplica(r: Replica, signal: 'SIGTERM' | 'SIGKILL'): Promise<{ code: number | null; ms: number }> {
  const t0 = Date.now();
  if (isRunning(r)) r.proc.kill(signal);
  const limit = SETTINGS.drainTimeoutMs.default + 5_000;
  const timer = setTimeout(() => r.proc.kill('SIGKILL'), limit);
  const code = await r.exited;
  clearTimeout(timer);
  return { code, ms: Date.now() - t0 };
}
