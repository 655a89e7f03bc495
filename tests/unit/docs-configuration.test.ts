// docs/configuration.md's table of settings is generated from server/config.ts SETTINGS, the table
// `--help` prints: this test fails when the two differ, and `UPDATE_DOCS=1 npx vitest run
// tests/unit/docs-configuration.test.ts` rewrites the table between its markers.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { helpText, SETTINGS } from '../../server/config.ts';

/** The repository root. */
const ROOT = path.resolve(import.meta.dirname, '../..');

const PAGE = path.join(ROOT, 'docs/configuration.md');
const BEGIN = '<!-- settings: generated from server/config.ts by tests/unit/docs-configuration.test.ts -->';
const END = '<!-- end of settings -->';

type AnySetting = { flag: string; env: string; default: string | number | undefined; min?: number; max?: number; doc: string };

function shown(value: string | number | undefined): string {
  if (value === undefined) return 'unset';
  if (typeof value === 'string' && path.isAbsolute(value)) return `\`./${path.relative(ROOT, value)}\``;
  return `\`${String(value)}\``;
}

function bounds(s: AnySetting): string {
  if (s.min === undefined) return '';
  return s.max === undefined ? `≥ ${s.min}` : `${s.min} to ${s.max}`;
}

function table(): string {
  const rows = Object.values(SETTINGS as Record<string, AnySetting>).map((s) => `| \`--${s.flag}\` | \`${s.env}\` | ${shown(s.default)} | ${bounds(s)} | ${s.doc.replaceAll('|', '\\|')} |`);
  return ['| flag | env var | default | bounds | meaning |', '|---|---|---|---|---|', ...rows].join('\n');
}

describe('docs/configuration.md', () => {
  it('lists every setting of server/config.ts: flag, env var, default, bounds and doc', () => {
    const page = fs.readFileSync(PAGE, 'utf8');
    const start = page.indexOf(BEGIN);
    const end = page.indexOf(END);
    expect(start, `the page has the marker ${BEGIN}`).toBeGreaterThanOrEqual(0);
    expect(end).toBeGreaterThan(start);
    const expected = `${BEGIN}\n\n${table()}\n\n`;
    if (process.env.UPDATE_DOCS) fs.writeFileSync(PAGE, page.slice(0, start) + expected + page.slice(end));
    else expect(page.slice(start, end)).toBe(expected);
  });

  it('has a row for each flag and env var --help prints, and no other', () => {
    const page = fs.readFileSync(PAGE, 'utf8');
    const help = [...helpText().matchAll(/^ {2}--([a-z-]+)\s+([A-Z_]+)\s/gm)].map((m) => `--${m[1]} ${m[2]}`);
    const rows = [...page.matchAll(/^\| `(--[a-z-]+)` \| `([A-Z_]+)` \|/gm)].map((m) => `${m[1]} ${m[2]}`);
    expect(rows).toEqual(help);
  });
});
