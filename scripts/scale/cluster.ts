// What the scale harness runs: K hosts (namespaces), a replica on each, HAProxy in front on
// loopback, and a watcher of HAProxy's view of each replica (its `show stat` status every 100 ms).
// Everything it starts is recorded here so that teardown() — also from exit and signal handlers —
// stops it all, and leftovers() can prove nothing is left.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort } from '../bench/processes.ts';
import { renderConfig, serverStats, SHIPPED_CFG, startHaproxy, stopHaproxy, type Haproxy, type ServerStat } from './haproxy.ts';
import { alive, blackhole, createHost, leftovers, removeAll, type Host } from './net.ts';
import { isRunning, makeRepository, REPLICA_PORT, startReplica, stopReplica, whenReady, type Replica, type ReplicaOptions } from './replicas.ts';

const TMP_PREFIX = 'ortserve-scale-';

/** Removes the temp folders (repositories, HAProxy config and socket) that interrupted runs left; returns them. */
export function removeStaleFiles(): string[] {
  const stale = fs
    .readdirSync(os.tmpdir())
    .filter((f) => f.startsWith(TMP_PREFIX))
    .map((f) => path.join(os.tmpdir(), f));
  for (const dir of stale) fs.rmSync(dir, { recursive: true, force: true });
  return stale;
}

/**
 * A copy of the server (and the test-only replica entry) that every replica of the run starts
 * from: one version of the code for the whole run, however the working tree changes meanwhile,
 * as a rolling update of one image would have. node_modules is linked, not copied.
 */
function snapshotApp(dir: string): string {
  const root = path.resolve(import.meta.dirname, '../..');
  for (const part of ['server', 'web', 'package.json', 'scripts/scale/faulty-replica.ts']) fs.cpSync(path.join(root, part), path.join(dir, part), { recursive: true });
  fs.symlinkSync(path.join(root, 'node_modules'), path.join(dir, 'node_modules'));
  return dir;
}

const running = (p: ChildProcess) => p.exitCode === null && p.signalCode === null;
export const serverName = (index: number) => `ortserve-${index}`;

export interface StateChange {
  at: number;
  server: string;
  status: string;
}

export class Cluster {
  readonly dir = fs.mkdtempSync(path.join(os.tmpdir(), TMP_PREFIX));
  readonly hosts: Host[] = [];
  readonly replicas = new Map<number, Replica>();
  /** Every process this run started: stopped by teardown(), checked by leftovers(). */
  readonly procs: ChildProcess[] = [];
  readonly changes: StateChange[] = [];
  haproxy: Haproxy | undefined;
  url = '';
  /** The copy of the server every replica of this run runs (see snapshotApp). */
  private app = '';
  private log = fs.createWriteStream(path.join(this.dir, 'replicas.log'));
  private watching = false;
  private last = new Map<string, string>();

  readonly count: number;
  readonly models: string[];

  constructor(count: number, models: string[]) {
    this.count = count;
    this.models = models;
  }

  async start(): Promise<void> {
    this.app = snapshotApp(path.join(this.dir, 'app'));
    blackhole();
    for (let i = 1; i <= this.count; i++) this.hosts.push(createHost(i));
    const template = fs.readFileSync(SHIPPED_CFG, 'utf8');
    const socket = path.join(this.dir, 'haproxy.sock');
    const port = await freePort();
    const servers = this.hosts.map((h) => ({ name: serverName(h.index), address: `${h.addr}:${REPLICA_PORT}` }));
    const cfg = path.join(this.dir, 'haproxy.cfg');
    fs.writeFileSync(cfg, renderConfig(template, { bind: `127.0.0.1:${port}`, socket, servers }));
    this.url = `http://127.0.0.1:${port}`;
    await Promise.all(this.hosts.map((h) => this.startReplica(h.index)));
    this.haproxy = await startHaproxy(cfg, socket);
    this.procs.push(this.haproxy.proc);
    this.watch();
    for (const h of this.hosts) await this.until(serverName(h.index), 'UP', 20_000);
  }

  /** A repository for host `index` (`variant` names a separate copy, e.g. one whose graph will be removed). */
  repository(index: number, variant = 'models'): string {
    const dir = path.join(this.dir, `host-${index}`, variant);
    return fs.existsSync(dir) ? dir : makeRepository(dir, this.models);
  }

  /** Starts a replica on host `index` and resolves once its own /health/ready says 200. */
  async startReplica(index: number, o: Partial<ReplicaOptions> = {}): Promise<{ replica: Replica; readyAt: number }> {
    const host = this.hosts[index - 1]!;
    const replica = startReplica(host, { app: this.app, repository: this.repository(index), log: this.log, ...o });
    this.replicas.set(index, replica);
    this.procs.push(replica.proc);
    return { replica, readyAt: await whenReady(replica) };
  }

  stopReplica(index: number, signal: 'SIGTERM' | 'SIGKILL') {
    return stopReplica(this.replicas.get(index)!, signal);
  }

  /**
   * Starts the harness's clients (traffic-process.ts) with `job`; resolves with their JSON outcome
   * once they exit. `stdin.end()` stops an open-loop job. Tracked, so teardown() stops them before
   * the namespaces (and the routes to their addresses) go.
   */
  traffic<T>(job: object): { stdin: NodeJS.WritableStream; outcome: Promise<T> } {
    const proc = spawn(process.execPath, [path.join(import.meta.dirname, 'traffic-process.ts'), JSON.stringify(job)], { stdio: ['pipe', 'pipe', 'inherit'] });
    this.procs.push(proc);
    let out = '';
    proc.stdout.on('data', (d: Buffer) => (out += d.toString()));
    const outcome = new Promise<T>((resolve, reject) =>
      proc.once('exit', (code) => (code === 0 ? resolve(JSON.parse(out.trim().split('\n').at(-1)!) as T) : reject(new Error(`traffic-process exited with ${code}`)))),
    );
    return { stdin: proc.stdin, outcome };
  }

  stats(): Promise<ServerStat[]> {
    return serverStats(this.haproxy!.socket);
  }

  /** Polls HAProxy's status of every server every 100 ms and records each change. */
  private watch(): void {
    this.watching = true;
    void (async () => {
      while (this.watching) {
        const stats = await this.stats().catch(() => []);
        for (const s of stats) {
          if (this.last.get(s.name) === s.status) continue;
          this.last.set(s.name, s.status);
          this.changes.push({ at: Date.now(), server: s.name, status: s.status });
        }
        await sleep(100);
      }
    })();
  }

  /** Waits until HAProxy reports `server` as `status` (UP, DOWN, MAINT) at or after `since`; returns when it saw it. */
  async until(server: string, status: string, timeoutMs: number, since = 0): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const seen = this.changes.find((c) => c.server === server && c.status === status && c.at >= since);
      if (seen) return seen.at;
      if (Date.now() > deadline) throw new Error(`haproxy: ${server} not ${status} after ${timeoutMs} ms (is ${this.last.get(server)})`);
      await sleep(20);
    }
  }

  /** Stops every replica (SIGTERM, bounded) and HAProxy, then removes the namespaces and links. */
  async stop(): Promise<void> {
    await Promise.all([...this.replicas.values()].filter(isRunning).map((r) => stopReplica(r, 'SIGTERM')));
    this.watching = false;
    if (this.haproxy) await stopHaproxy(this.haproxy);
    this.teardown();
  }

  /** Synchronous last resort (exit and signal handlers): SIGKILL what runs, remove what was made. */
  teardown(): void {
    const live = this.procs.filter(running);
    for (const proc of live) proc.kill('SIGKILL');
    // Dead before their namespaces go: a client still sending then would find no route but the blackhole.
    const deadline = Date.now() + 3_000;
    while (live.some((p) => alive(p.pid!)) && Date.now() < deadline) execFileSync('sleep', ['0.05']);
    try {
      removeAll();
    } finally {
      this.log.end();
      fs.rmSync(this.dir, { recursive: true, force: true });
    }
  }

  /** What is still there: namespaces, links and processes of this run. */
  leftovers(): { namespaces: string[]; links: string[]; routes: string[]; processes: number[]; files: string[] } {
    const processes = this.procs.filter(running).map((p) => p.pid!);
    return { ...leftovers(), processes, files: fs.existsSync(this.dir) ? [this.dir] : [] };
  }
}
