// `npm run fuzz [-- --runs 5000] [--seed N] [--group NAME] [--path P] [--log]`: the fuzz
// properties of tests/fuzz/routes.fuzz.test.ts, longer and with a random seed by default. Prints
// the seed, per-route counts and memory; on failure the counterexample and a replay command, exit 1.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import fc from 'fast-check';
import { buildApp } from '../server/app.ts';
import { loadConfig } from '../server/config.ts';
import { caseJson, type FuzzCase } from './fuzz/case.ts';
import { FUZZ_ENV, HEAP_GROWTH_LIMIT_MB, RSS_GROWTH_LIMIT_MB, Tally, assertLive, discover, fuzzRepository, memoryMb, routeGroups, routeProperty, runsPerGroup } from './fuzz/properties.ts';

const { values: args } = parseArgs({
  options: {
    runs: { type: 'string', default: '5000' },
    seed: { type: 'string' },
    group: { type: 'string' },
    path: { type: 'string' },
    log: { type: 'boolean', default: false },
  },
});
const runs = Number(args.runs);
const seed = args.seed !== undefined ? Number(args.seed) : Math.floor(Math.random() * 2 ** 31);
if (!Number.isInteger(runs) || runs < 1 || !Number.isInteger(seed)) throw new Error('--runs and --seed take integers');

const repo = fuzzRepository();
process.once('exit', repo.remove);
const config = loadConfig([], { ORTSERVE_MODELS: repo.dir, ...FUZZ_ENV });
const app = await buildApp({ config, logger: args.log ? { level: 'error' } : false });
await app.ready();
await app.models.whenLoaded();

const groups = routeGroups(await discover(app));
const perGroup = runsPerGroup(groups, runs);
const tally = new Tally();
const start = memoryMb();
const started = performance.now();
// A crash (say, a native abort in onnxruntime) kills the process before fast-check can report:
// the case being sent is always in this file.
const lastCase = path.join(os.tmpdir(), 'ortserve-fuzz-last-case.txt');
const record = (c: FuzzCase) => fs.writeFileSync(lastCase, `seed ${seed}\n${caseJson(c)}\n`);
console.log(`fuzzing with seed ${seed}, ${runs} runs (should the process die, its last request is in ${lastCase})`);

let failures = 0;
for (const [i, group] of groups.entries()) {
  if (args.group && !group.name.includes(args.group)) continue;
  const details = await fc.check(routeProperty(app, group, tally, record), { seed: seed + i, numRuns: perGroup[i]!, ...(args.path ? { path: args.path } : {}) });
  const live = await assertLive(app, group.name).then(
    () => 'live',
    (err: Error) => err.message,
  );
  console.log(`${details.failed ? 'FAIL' : 'ok  '} ${group.name}: ${details.numRuns} runs, ${live}, RSS ${memoryMb().rss} MB`);
  if (details.failed || live !== 'live') {
    failures++;
    console.log(fc.defaultReportMessage(details) ?? '');
    if (details.counterexamplePath) console.log(`replay: node scripts/fuzz.ts --seed ${seed} --runs ${runs} --group '${group.name}' --path '${details.counterexamplePath}'`);
  }
}

const end = memoryMb();
console.log(`${tally.toString()} — ${((performance.now() - started) / 1000).toFixed(1)} s`);
console.log(`memory: RSS ${start.rss} → ${end.rss} MB (limit +${RSS_GROWTH_LIMIT_MB}), heap after GC ${start.heap} → ${end.heap} MB (limit +${HEAP_GROWTH_LIMIT_MB})`);
if (end.rss - start.rss > RSS_GROWTH_LIMIT_MB || end.heap - start.heap > HEAP_GROWTH_LIMIT_MB) failures++;
console.log(failures ? `FAILED (seed ${seed})` : `passed (seed ${seed})`);
await app.close();
process.exitCode = failures ? 1 : 0;
