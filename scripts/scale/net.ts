// The scale harness's hosts: one network namespace per replica (iproute2), joined to this machine
// by a veth pair on its own /24 of 10.231.0.0/16, an address range that exists only on those veths.
// Everything made here is named ortscale-*, so a run finds and removes what an interrupted run left.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';

export const PREFIX = 'ortscale';
/** The harness's addresses: 10.231.<host>.1 on this side of a veth, 10.231.<host>.2 inside the namespace. */
const NET = '10.231';

export interface Host {
  index: number;
  ns: string;
  /** This side of the veth pair, and the namespace's side. */
  hostLink: string;
  nsLink: string;
  /** The namespace's address, which its replica listens on. */
  addr: string;
}

const ip = (...args: string[]): string => execFileSync('ip', args, { stdio: ['ignore', 'pipe', 'pipe'], timeout: 10_000 }).toString();

export function host(index: number): Host {
  return { index, ns: `${PREFIX}-${index}`, hostLink: `${PREFIX}-h${index}`, nsLink: `${PREFIX}-n${index}`, addr: `${NET}.${index}.2` };
}

/** True when `url` targets loopback or one of the harness's own namespace addresses. */
export function isOwnAddress(url: string): boolean {
  const h = new URL(url).hostname;
  return h === '127.0.0.1' || h === 'localhost' || new RegExp(`^${NET.replace('.', '\\.')}\\.\\d+\\.2$`).test(h);
}

/** Why namespaces cannot be made here (not root, no CAP_NET_ADMIN, no iproute2), or null when they can. */
export function unavailable(): string | null {
  const probe = `${PREFIX}-probe`;
  try {
    ip('netns', 'add', probe);
    ip('-n', probe, 'link', 'set', 'lo', 'up');
    return null;
  } catch (err) {
    return `ip netns: ${(err as { stderr?: Buffer }).stderr?.toString().trim() || (err as Error).message}`;
  } finally {
    try {
      ip('netns', 'del', probe);
    } catch {
      // it was never made
    }
  }
}

export function createHost(index: number): Host {
  const h = host(index);
  ip('netns', 'add', h.ns);
  ip('-n', h.ns, 'link', 'set', 'lo', 'up');
  ip('link', 'add', h.hostLink, 'type', 'veth', 'peer', 'name', h.nsLink, 'netns', h.ns);
  ip('addr', 'add', `${NET}.${index}.1/24`, 'dev', h.hostLink);
  ip('link', 'set', h.hostLink, 'up');
  ip('-n', h.ns, 'addr', 'add', `${h.addr}/24`, 'dev', h.nsLink);
  ip('-n', h.ns, 'link', 'set', h.nsLink, 'up');
  return h;
}

/**
 * A blackhole route for the whole 10.231.0.0/16 while the harness runs: the hosts' /24s on their
 * veths are more specific, and once a veth is gone its addresses go nowhere instead of to the
 * default gateway.
 */
export function blackhole(): void {
  ip('route', 'add', 'blackhole', `${NET}.0.0/16`);
}

const routes = (): string[] =>
  ip('route', 'show', 'type', 'blackhole')
    .split('\n')
    .filter((l) => l.includes(`${NET}.0.0/16`));

/** The harness's namespaces, links and routes that exist now. */
export function leftovers(): { namespaces: string[]; links: string[]; routes: string[] } {
  const namespaces = ip('netns', 'list')
    .split('\n')
    .map((l) => l.split(' ')[0]!)
    .filter((n) => n.startsWith(`${PREFIX}-`));
  const links = ip('-o', 'link', 'show')
    .split('\n')
    .map((l) => /^\d+: ([^:@]+)/.exec(l)?.[1])
    .filter((n): n is string => n?.startsWith(`${PREFIX}-`) ?? false);
  return { namespaces, links, routes: routes() };
}

export const alive = (pid: number): boolean => fs.existsSync(`/proc/${pid}`) && !/^State:\s+Z/m.test(readStatus(pid));
const readStatus = (pid: number): string => {
  try {
    return fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch {
    return '';
  }
};

/**
 * Removes every ortscale namespace (SIGKILL first to the processes still inside it, by pid) and
 * every ortscale link. Synchronous, so that exit and signal handlers can run it. Returns what it
 * removed.
 */
export function removeAll(): { killed: number[]; namespaces: string[]; links: string[]; routes: string[] } {
  const found = leftovers();
  const killed: number[] = [];
  for (const ns of found.namespaces) {
    const pids = ip('netns', 'pids', ns).split('\n').filter(Boolean).map(Number);
    for (const pid of pids) {
      try {
        process.kill(pid, 'SIGKILL');
        killed.push(pid);
      } catch {
        // already gone
      }
    }
  }
  const deadline = Date.now() + 5_000;
  while (killed.some(alive) && Date.now() < deadline) execFileSync('sleep', ['0.05']);
  for (const ns of found.namespaces) ip('netns', 'del', ns);
  // Deleting a namespace destroys its veth end and, a moment later, this side; remove any that outlive it.
  const gone = Date.now() + 3_000;
  while (leftovers().links.length > 0 && Date.now() < gone) execFileSync('sleep', ['0.05']);
  for (const link of leftovers().links) {
    try {
      ip('link', 'del', link);
    } catch {
      // it went away meanwhile
    }
  }
  // Last, once nothing of the harness can send any more.
  if (routes().length > 0) ip('route', 'del', 'blackhole', `${NET}.0.0/16`);
  return { killed, ...found };
}
