// The fuzz properties shared by tests/fuzz/routes.fuzz.test.ts and scripts/fuzz.ts: discover the
// app's models, one property per route group (every response keeps the invariant of check.ts),
// liveness after each group, per-route counts and memory readings.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import v8 from 'node:v8';
import vm from 'node:vm';
import fc from 'fast-check';
import type { FastifyInstance } from 'fastify';
import { send, type FuzzCase } from './case.ts';
import { checkResponse } from './check.ts';
import { FIXTURES_DIR, MODELS_DIR } from '../lib/paths.ts';
import { loadImageSeeds } from './images.ts';
import { routeGroups, type Discovered, type RouteGroup } from './routes.ts';
import type { V2ModelMeta } from './tensors.ts';

/** Settings the fuzzed app runs with: a 1 MiB body limit, so oversize bodies are cheap to send. */
export const FUZZ_ENV: Readonly<Record<string, string>> = Object.freeze({ ORTSERVE_BODY_LIMIT: String(1024 * 1024) });

/**
 * The fuzzed repository, a temp copy: the bundled models plus two Hugging Face text heads (token-ner, and the
 * one-label regression fixture as a cross-encoder) so token-classification and rerank run for real. `remove` it after.
 */
export function fuzzRepository(): { dir: string; remove: () => void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ortserve-fuzz-'));
  for (const m of fs.readdirSync(MODELS_DIR, { withFileTypes: true }).filter((e) => e.isDirectory())) fs.cpSync(path.join(MODELS_DIR, m.name), path.join(dir, m.name), { recursive: true });
  for (const m of ['token-ner', 'regression']) fs.cpSync(path.join(FIXTURES_DIR, 'hf', m), path.join(dir, m), { recursive: true });
  return { dir, remove: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

/** Reads the models and their V2 metadata from the app (the generators are built from them). */
export async function discover(app: FastifyInstance): Promise<Discovered> {
  const list = (await app.inject('/v1/models')).json<{ data: { name: string; routes: string[] }[] }>();
  const models = list.data.map((m) => m.name);
  const routes = Object.fromEntries(list.data.map((m) => [m.name, m.routes.filter((r) => r.startsWith('/v1/')).map((r) => r.split('/').pop()!)]));
  const v2: V2ModelMeta[] = [];
  for (const name of models) {
    const res = await app.inject(`/v2/models/${name}`);
    if (res.statusCode === 200) v2.push(res.json<V2ModelMeta>());
  }
  return { models, routes, v2, images: await loadImageSeeds(), maxImages: app.config.maxImages };
}

export { routeGroups, type RouteGroup };

/** Cases sent per route label and per status class, across all properties. */
export class Tally {
  readonly routes = new Map<string, number>();
  readonly statuses = new Map<string, number>();
  add(c: FuzzCase, status: number): void {
    this.routes.set(c.route, (this.routes.get(c.route) ?? 0) + 1);
    const cls = `${Math.floor(status / 100)}xx`;
    this.statuses.set(cls, (this.statuses.get(cls) ?? 0) + 1);
  }
  get total(): number {
    return [...this.routes.values()].reduce((a, b) => a + b, 0);
  }
  toString(): string {
    const list = (m: Map<string, number>) =>
      [...m]
        .sort((a, b) => b[1] - a[1])
        .map(([k, n]) => `${k}: ${n}`)
        .join(', ');
    return `${this.total} cases — ${list(this.routes)} — statuses ${list(this.statuses)}`;
  }
}

/**
 * The property of one route group: every generated request is answered within the invariant.
 * `before` sees each case before it is sent (the script records it, in case the process dies).
 */
export function routeProperty(app: FastifyInstance, group: RouteGroup, tally: Tally, before?: (c: FuzzCase) => void): fc.IAsyncProperty<[FuzzCase]> {
  return fc.asyncProperty(group.cases, async (c) => {
    before?.(c);
    const res = await send(app, c);
    tally.add(c, res.statusCode);
    checkResponse(c, res);
  });
}

/** Throws unless the app still answers GET /health/live with 200. */
export async function assertLive(app: FastifyInstance, after: string): Promise<void> {
  const res = await app.inject('/health/live');
  if (res.statusCode !== 200) throw new Error(`/health/live answered ${res.statusCode} after ${after}`);
}

/** Splits `runs` between the groups by weight (each gets at least one). */
export function runsPerGroup(groups: RouteGroup[], runs: number): number[] {
  const total = groups.reduce((s, g) => s + g.weight, 0);
  return groups.map((g) => Math.max(1, Math.round((runs * g.weight) / total)));
}

let gcFn: (() => void) | undefined;

/** Process memory in MB after a full garbage collection (so heap growth means retained objects). */
export function memoryMb(): { rss: number; heap: number } {
  if (!gcFn) {
    v8.setFlagsFromString('--expose-gc');
    gcFn = vm.runInNewContext('gc') as () => void;
  }
  gcFn();
  const m = process.memoryUsage();
  return { rss: Math.round(m.rss / 2 ** 20), heap: Math.round(m.heapUsed / 2 ** 20) };
}

/**
 * How much RSS may grow over a run. Some growth does not depend on the number of requests:
 * onnxruntime's arenas grow to the largest batch seen (64 images, 256 texts, 128-token
 * attention), and glibc and libvips keep freed native memory for reuse. Measured: +100 MB after
 * 300 cases, +200–250 MB after 1,000, +250–310 MB after 5,000 (most of it in the first 1,000,
 * then flat). 512 MB leaves room for allocator variance on a loaded machine; a native leak of
 * 100 kB per request still fails a 5,000-case run. JS leaks are caught far sooner by the heap bound.
 */
export const RSS_GROWTH_LIMIT_MB = 512;
/** How much the live JS heap (after a full GC) may grow: measured +1–8 MB for 300–5,000 cases. */
export const HEAP_GROWTH_LIMIT_MB = 64;
