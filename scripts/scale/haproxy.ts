// HAProxy for the scale harness: deploy/haproxy/haproxy.cfg with only its bind address, stats
// socket and server lines replaced, run in the foreground as a child; its runtime API (show stat,
// set server … state) over the stats socket.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

const root = path.resolve(import.meta.dirname, '../..');
export const SHIPPED_CFG = path.join(root, 'deploy/haproxy/haproxy.cfg');
export const BACKEND = 'ortserve';

export interface Server {
  name: string;
  /** host:port */
  address: string;
}

/** The shipped config with `bind`, `stats socket` and the backend's `server` lines replaced. */
export function renderConfig(template: string, o: { bind: string; socket: string; servers: Server[] }): string {
  const lines = template.split('\n');
  const serverLines = lines.flatMap((l, i) => (/^\s+server \S+ \S+/.test(l) ? [i] : []));
  if (serverLines.length === 0) throw new Error('haproxy.cfg has no server lines to replace');
  const indent = /^\s+/.exec(lines[serverLines[0]!]!)![0];
  const out: string[] = [];
  lines.forEach((l, i) => {
    if (i === serverLines[0]) out.push(...o.servers.map((s) => `${indent}server ${s.name} ${s.address}`));
    if (serverLines.includes(i)) return;
    out.push(l.replace(/^(\s+bind )\S+/, `$1${o.bind}`).replace(/^(\s+stats socket )\S+/, `$1${o.socket}`));
  });
  return out.join('\n');
}

/** Why HAProxy cannot run here, or null. */
export function unavailable(): string | null {
  try {
    execFileSync('haproxy', ['-v'], { stdio: 'ignore' });
    return null;
  } catch {
    return 'haproxy is not installed (apt-get install haproxy)';
  }
}

export interface Haproxy {
  proc: ChildProcess;
  socket: string;
  /** Every line it logged, with when it arrived (ms since the epoch). */
  lines: { at: number; line: string }[];
  exited: Promise<void>;
}

export async function startHaproxy(cfgFile: string, socket: string): Promise<Haproxy> {
  execFileSync('haproxy', ['-c', '-q', '-f', cfgFile]);
  const proc = spawn('haproxy', ['-db', '-f', cfgFile], { stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: Haproxy['lines'] = [];
  const collect = (d: Buffer) => {
    for (const line of d.toString().split('\n').filter(Boolean)) lines.push({ at: Date.now(), line });
  };
  proc.stdout.on('data', collect);
  proc.stderr.on('data', collect);
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  const deadline = Date.now() + 10_000;
  while (!fs.existsSync(socket)) {
    if (proc.exitCode !== null || Date.now() > deadline) throw new Error(`haproxy did not start: ${lines.map((l) => l.line).join('\n')}`);
    await sleep(50);
  }
  return { proc, socket, lines, exited };
}

/** One runtime API command; resolves with its whole answer. */
export function command(socket: string, cmd: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = '';
    const c = net.createConnection(socket, () => c.end(`${cmd}\n`));
    c.setTimeout(2_000, () => c.destroy(new Error(`haproxy: '${cmd}' timed out`)));
    c.on('data', (d) => (out += d.toString()));
    c.on('end', () => resolve(out));
    c.on('error', reject);
  });
}

/** A backend server's row of `show stat`: numeric counters by their CSV names, and its status. */
export interface ServerStat {
  name: string;
  status: string;
  counters: Record<string, number>;
}

export const COUNTERS = ['stot', 'hrsp_2xx', 'hrsp_4xx', 'hrsp_5xx', 'econ', 'eresp', 'wretr', 'wredis', 'cli_abrt', 'srv_abrt'] as const;

export async function serverStats(socket: string): Promise<ServerStat[]> {
  const [header, ...rows] = (await command(socket, 'show stat')).trim().split('\n');
  const names = header!.replace(/^# /, '').split(',');
  const col = (row: string[], name: string) => row[names.indexOf(name)] ?? '';
  return rows
    .map((r) => r.split(','))
    .filter((r) => col(r, 'pxname') === BACKEND && !['BACKEND', 'FRONTEND'].includes(col(r, 'svname')))
    .map((r) => ({ name: col(r, 'svname'), status: col(r, 'status'), counters: Object.fromEntries(COUNTERS.map((c) => [c, Number(col(r, c)) || 0])) }));
}

/** Puts a server in maintenance (no traffic, no checks) or back in rotation ("ready"). */
export async function setState(socket: string, server: string, state: 'maint' | 'ready'): Promise<void> {
  const answer = (await command(socket, `set server ${BACKEND}/${server} state ${state}`)).trim();
  if (answer) throw new Error(`haproxy: set server ${server} state ${state}: ${answer}`);
}

export async function stopHaproxy(h: Haproxy): Promise<void> {
  if (h.proc.exitCode === null && h.proc.signalCode === null) h.proc.kill('SIGTERM');
  await h.exited;
}

/** An HAProxy time value in ms ("1s", "500ms", "500"; a bare number is ms). */
export function duration(value: string): number {
  const m = /^(\d+)(us|ms|s|m|h)?$/.exec(value);
  if (!m) throw new Error(`not an HAProxy time: ${value}`);
  return Number(m[1]) * { us: 0.001, ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[m[2] ?? 'ms']!;
}

/** The backend's check settings, from its `default-server` line (HAProxy's defaults where absent). */
export function healthCheck(cfg: string): { interMs: number; fastinterMs: number; fall: number; rise: number } {
  const line = /^\s+default-server (.*)$/m.exec(cfg)?.[1] ?? '';
  const arg = (name: string) => new RegExp(`(?:^| )${name} (\\S+)`).exec(line)?.[1];
  const interMs = duration(arg('inter') ?? '2s');
  return { interMs, fastinterMs: duration(arg('fastinter') ?? `${interMs}`), fall: Number(arg('fall') ?? 3), rise: Number(arg('rise') ?? 2) };
}
