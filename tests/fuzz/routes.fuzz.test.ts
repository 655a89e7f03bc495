// Property-based fuzzing of every route with a fixed seed (scripts/fuzz.ts runs the same
// properties longer, with a random seed): no 5xx, errors are JSON without internals, the server
// stays live and its memory bounded.
import fc from 'fast-check';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  FUZZ_ENV,
  HEAP_GROWTH_LIMIT_MB,
  RSS_GROWTH_LIMIT_MB,
  Tally,
  assertLive,
  discover,
  fuzzRepository,
  memoryMb,
  routeGroups,
  routeProperty,
  runsPerGroup,
  type RouteGroup,
} from '../../scripts/fuzz/properties.ts';
import { testApp } from '../helpers/app.ts';

const SEED = 20_240_611;
const RUNS = 600;

let app: FastifyInstance;
let repo: ReturnType<typeof fuzzRepository>;
let groups: RouteGroup[];
let start: { rss: number; heap: number };
const tally = new Tally();

beforeAll(async () => {
  repo = fuzzRepository();
  app = await testApp({ ...FUZZ_ENV, ORTSERVE_MODELS: repo.dir });
  groups = routeGroups(await discover(app));
  start = memoryMb();
});
afterAll(async () => {
  await app?.close();
  repo?.remove();
});

describe('fuzzing every route (fixed seed)', { timeout: 90_000 }, () => {
  it(`keeps the invariant for ${RUNS} generated requests, stays live, and its memory bounded`, async () => {
    const runs = runsPerGroup(groups, RUNS);
    for (const [i, group] of groups.entries()) {
      // Group i runs with seed SEED + i, as `node scripts/fuzz.ts --seed 20240611 --runs 600` does.
      await fc.assert(routeProperty(app, group, tally), { seed: SEED + i, numRuns: runs[i]! }).catch((err: Error) => {
        throw new Error(`route group '${group.name}': ${err.message}`, { cause: err });
      });
      await assertLive(app, group.name);
    }
    const end = memoryMb();
    console.log(`fuzz (seed ${SEED}): ${tally.toString()} — RSS ${start.rss} → ${end.rss} MB, heap after GC ${start.heap} → ${end.heap} MB`);
    expect(tally.total).toBeGreaterThanOrEqual(300);
    expect(end.rss - start.rss).toBeLessThanOrEqual(RSS_GROWTH_LIMIT_MB);
    expect(end.heap - start.heap).toBeLessThanOrEqual(HEAP_GROWTH_LIMIT_MB);
  });
});
