// Where reliability reports go and how they are written: <dir>/<name>.{md,json}. Full runs write
// to reliability/results (committed); --quick runs to a temp dir unless --out says otherwise.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ORTSERVE_NODE_FLAGS } from '../bench/processes.ts';

const root = path.resolve(import.meta.dirname, '../..');

export function outDir(options: { quick: boolean; out?: string }): string {
  if (options.out) return path.resolve(options.out);
  return options.quick ? path.join(os.tmpdir(), 'ortserve-reliability') : path.join(root, 'reliability/results');
}

export function writeReport(dir: string, name: string, report: object, md: string): string[] {
  fs.mkdirSync(dir, { recursive: true });
  const files = [path.join(dir, `${name}.json`), path.join(dir, `${name}.md`)];
  fs.writeFileSync(files[0]!, JSON.stringify(report, null, 2) + '\n');
  fs.writeFileSync(files[1]!, md);
  return files;
}

/** The ORTSERVE_* settings the server child inherits from this environment (reported with the run). */
export function serverEnv(): Record<string, string> {
  const settings = Object.entries(process.env).filter((e): e is [string, string] => e[0].startsWith('ORTSERVE_') && e[1] !== undefined);
  // startOrtserve() runs the server as `npm start` and the image do: two malloc arenas, its node flags.
  return Object.fromEntries([...settings, ['MALLOC_ARENA_MAX', process.env.MALLOC_ARENA_MAX ?? '2'], ['node', ORTSERVE_NODE_FLAGS.join(' ')]]);
}

/** One pass/fail line of a report. */
export interface Check {
  subject: string;
  check: string;
  holds: boolean;
  detail: string;
}

export function renderChecks(checks: Check[]): string[] {
  return ['| subject | check | holds | detail |', '|---|---|---|---|', ...checks.map((c) => `| ${c.subject} | ${c.check} | ${c.holds ? 'yes' : '**no**'} | ${c.detail} |`)];
}

export const fmt = (n: number | null | undefined, digits = 0) => (n === null || n === undefined || !Number.isFinite(n) ? 'n/a' : n.toFixed(digits));
