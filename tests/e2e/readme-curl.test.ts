// Every curl example in the README, run as written from the repository root against the real server: the bundled
// models on the README's port 8080, the Hugging Face test fixtures on its port 8082 (as "Serve your own model" starts
// them). Each must answer 2xx. Output redirections become -o /dev/null, so nothing is written into the repository.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/app.ts';
import { startServer, type ServerProcess } from '../helpers/server-process.ts';

const run = promisify(execFile);

/** Shell lines of a block: comments outside quotes dropped, backslash-newlines and newlines inside quotes joined. */
function shellLines(block: string): string[] {
  const lines: string[] = [];
  let line = '';
  let quote: string | undefined;
  for (let i = 0; i < block.length; i++) {
    const c = block[i]!;
    if (quote) {
      if (c === quote) quote = undefined;
      line += c === '\n' ? ' ' : c;
    } else if (c === "'" || c === '"') {
      quote = c;
      line += c;
    } else if (c === '\\' && block[i + 1] === '\n') {
      i++;
    } else if (c === '#' && (line === '' || /\s$/.test(line))) {
      while (i + 1 < block.length && block[i + 1] !== '\n') i++;
    } else if (c === '\n') {
      lines.push(line.trim());
      line = '';
    } else {
      line += c;
    }
  }
  return [...lines, line.trim()].filter(Boolean);
}

/** The curl commands of the README's sh blocks. */
function readmeCurls(markdown: string): string[] {
  return [...markdown.matchAll(/```sh\n([\s\S]*?)```/g)].flatMap((m) => shellLines(m[1]!)).filter((l) => l.startsWith('curl '));
}

let bundled: ServerProcess;
let fixtures: ServerProcess;
beforeAll(async () => {
  [bundled, fixtures] = await Promise.all([startServer(), startServer({ ORTSERVE_MODELS: path.join(ROOT, 'tests/fixtures/hf') })]);
}, 120_000);
afterAll(async () => {
  for (const s of [bundled, fixtures]) s?.proc.kill('SIGTERM');
  await Promise.all([bundled?.exited, fixtures?.exited]);
});

/** Bundled models the README uses that may not be in this checkout yet (trained separately). */
const missing = ['bert-mini-topics'].filter((m) => !fs.existsSync(path.join(ROOT, 'models', m)));
if (missing.length) console.warn(`\n*** SKIPPED: the README's curl examples for ${missing.join(', ')} (not in models/) did not run ***\n`);

describe('README curl examples', () => {
  const all = readmeCurls(fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8'));
  const curls = all.filter((c) => !missing.some((m) => c.includes(`/v1/models/${m}/`)));

  it('finds them, on both ports', () => {
    expect(all.length).toBeGreaterThan(25);
    expect(curls.some((c) => c.includes('localhost:8082'))).toBe(true);
  });

  it('each answers 2xx when run from the repository root', { timeout: 120_000 }, async () => {
    const failures: string[] = [];
    for (const curl of curls) {
      const command = curl
        .replaceAll('localhost:8080', bundled.url.replace('http://', ''))
        .replaceAll('localhost:8082', fixtures.url.replace('http://', ''))
        .replace(/\s+>\s*\S+$/, ' -o /dev/null');
      const { stdout } = await run('bash', ['-c', `${command} -sS -o /dev/null -w '%{http_code}'`], { cwd: ROOT });
      if (!/^2\d\d$/.test(stdout.trim())) failures.push(`${stdout.trim()} ← ${curl}`);
    }
    expect(failures).toEqual([]);
  });

  it('the binary tensor data example in Node runs as written from the repository root', { timeout: 60_000 }, async () => {
    const blocks = [...fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8').matchAll(/```js\n([\s\S]*?)```/g)].map((m) => m[1]!).filter((b) => b.includes('inference-header-content-length'));
    expect(blocks).toHaveLength(1);
    const script = blocks[0]!.replaceAll('localhost:8080', bundled.url.replace('http://', ''));
    const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], { cwd: ROOT });
    expect(stdout.trim()).toBe('[ 9, 2, 1, 1 ]');
  });
});
