// Every code block of README.md and docs/**/*.md, run as written from the repository root against real
// servers: the bundled models on the pages' localhost:8080 (gRPC for localhost:8081), the Hugging Face
// test fixtures on localhost:8082 (with the admin token the pages' repository examples send). Shell blocks run command by
// command: a curl must answer 2xx, or the status its `# → NNN` comment names, and its body must hold
// every `"key":` and ORT_ code that comment shows; any other command must exit 0 and, when `# →` lines
// follow it, print exactly them. JavaScript and TypeScript blocks run in Node and Python blocks in
// Debian's python3 (with the KServe gRPC stubs compiled as docs/kserve-v2.md says), and must print
// their `→` comments in order. Text, JSON and diagrams are not code. Nothing is skipped silently:
// a block that cannot run here carries `<!-- not run: why -->`, and the test prints each with why.
import { execFile, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../scripts/bench/processes.ts';
import { ROOT } from '../helpers/app.ts';
import { codeBlocks, docPages, readPage, shellCommands, type CodeBlock } from '../helpers/markdown.ts';
import { startServer, type ServerProcess } from '../helpers/server-process.ts';

const run = promisify(execFile);
/** The pages' `node` is this Node (npm scripts put it first on PATH too). */
const ENV = { ...process.env, PATH: `${path.dirname(process.execPath)}${path.delimiter}${process.env.PATH ?? ''}` };

/** The admin token the pages' repository examples send. */
const ADMIN_TOKEN = 's3cret';
const PYTHON = '/usr/bin/python3';
const HAVE_GRPC_PY = spawnSync(PYTHON, ['-c', 'import grpc, grpc_tools.protoc'], { stdio: 'ignore' }).status === 0;

const LANGS = {
  shell: ['sh', 'bash', 'shell'],
  node: ['js', 'javascript', 'mjs'],
  typescript: ['ts', 'typescript'],
  python: ['python', 'py'],
  /** Diagrams, sample outputs and data shapes: nothing to run. */
  text: ['', 'text', 'json'],
};
const kindOf = (lang: string) => (Object.keys(LANGS) as (keyof typeof LANGS)[]).find((k) => LANGS[k].includes(lang));

const PAGES = docPages();
const BLOCKS = PAGES.flatMap((page) => codeBlocks(page));
const where = (b: CodeBlock) => `${b.page}:${b.line}`;

let bundled: ServerProcess;
let fixtures: ServerProcess;
let grpcAddress: string;
let stubs: string;
const skipped: string[] = [];
let ran = 0;

beforeAll(async () => {
  const grpcPort = await freePort();
  grpcAddress = `127.0.0.1:${grpcPort}`;
  [bundled, fixtures] = await Promise.all([
    startServer({ ORTSERVE_GRPC_PORT: String(grpcPort) }),
    startServer({ ORTSERVE_MODELS: path.join(ROOT, 'tests/fixtures/hf'), ORTSERVE_ADMIN_TOKEN: ADMIN_TOKEN }),
  ]);
  stubs = fs.mkdtempSync(path.join(os.tmpdir(), 'ortserve-docs-'));
  if (HAVE_GRPC_PY) {
    const proto = path.join(ROOT, 'server/protocols/grpc');
    await run(PYTHON, ['-m', 'grpc_tools.protoc', '-I', proto, '--python_out=.', '--grpc_python_out=.', 'grpc_predict_v2.proto'], { cwd: stubs });
  }
}, 120_000);

afterAll(async () => {
  for (const s of [bundled, fixtures]) s?.proc.kill('SIGTERM');
  await Promise.all([bundled?.exited, fixtures?.exited]);
  if (stubs) fs.rmSync(stubs, { recursive: true, force: true });
  const lines = skipped.map((s) => `  - ${s}`).join('\n');
  console.log(`\n*** docs examples: ${ran} blocks run, ${skipped.length} not run here:\n${lines}\n***\n`);
});

/** The pages' addresses made this run's. */
function local(text: string): string {
  return text.replaceAll('localhost:8080', bundled.url.replace('http://', '')).replaceAll('localhost:8081', grpcAddress).replaceAll('localhost:8082', fixtures.url.replace('http://', ''));
}

/** Runs one shell command; answers what went wrong, or undefined. */
async function runCommand(command: string, expected: string[]): Promise<string | undefined> {
  const last = command
    .split(/\s\|\s/)
    .at(-1)!
    .trim();
  if (last.startsWith('curl ')) {
    const out = path.join(stubs, 'body');
    const curl = `${local(command).replace(/\s+>\s*\S+$/, '')} -sS -o ${out} -w '%{http_code}'`;
    const { stdout } = await run('bash', ['-c', curl], { cwd: ROOT, env: ENV, timeout: 60_000 });
    const body = fs.readFileSync(out, 'latin1');
    const promise = expected.join(' ');
    const status = /^(\d{3})\b/.exec(promise)?.[1];
    if (status ? stdout !== status : !/^2\d\d$/.test(stdout)) return `answered ${stdout}, not ${status ?? '2xx'}: ${body.slice(0, 300)}`;
    const missing = [...[...promise.matchAll(/"([A-Za-z_][\w-]*)":/g)].map((m) => `"${m[1]}":`), ...(promise.match(/ORT_[A-Z_]+/g) ?? [])].filter((k) => !body.includes(k));
    return missing.length ? `the answer lacks ${missing.join(', ')} that its comment shows: ${body.slice(0, 300)}` : undefined;
  }
  const { stdout } = await run('bash', ['-c', local(command).replace(/\s+>\s*\S+$/, ' > /dev/null')], { cwd: ROOT, env: ENV, timeout: 60_000 });
  if (expected.length && stdout.trim() !== expected.join('\n')) return `printed\n${stdout.trim()}\nnot\n${expected.join('\n')}`;
  return undefined;
}

/** The `→ output` comments of a program, in order (`// →` or `# →`). */
const promised = (body: string) => [...body.matchAll(/(?:\/\/|#)\s*→\s?(.*)$/gm)].map((m) => m[1]!.trim());

async function runProgram(block: CodeBlock, kind: 'node' | 'typescript' | 'python'): Promise<string | undefined> {
  const code = local(block.body);
  const { stdout } =
    kind === 'python'
      ? await run(PYTHON, ['-c', code], { cwd: ROOT, timeout: 60_000, env: { ...ENV, PYTHONPATH: stubs } })
      : await run(process.execPath, [`--input-type=${kind === 'node' ? 'module' : 'module-typescript'}`, '-e', code], { cwd: ROOT, env: ENV, timeout: 60_000 });
  const want = promised(block.body);
  const got = stdout.trim().split('\n').slice(0, want.length);
  return want.length && got.join('\n') !== want.join('\n') ? `printed\n${stdout.trim()}\nnot\n${want.join('\n')}` : undefined;
}

/** Runs a block; answers its failures. */
async function runBlock(block: CodeBlock): Promise<string[]> {
  const kind = kindOf(block.lang);
  if (kind === 'text') return [];
  if (block.notRun !== undefined) {
    skipped.push(`${where(block)} (${block.lang}): ${block.notRun}`);
    return [];
  }
  if (kind === undefined) return [`${where(block)}: a ${block.lang} block with no runner here and no <!-- not run: why --> before it`];
  if (kind === 'python' && !HAVE_GRPC_PY) {
    skipped.push(`${where(block)} (python): ${PYTHON} cannot import grpc and grpc_tools (apt-get install python3-grpcio python3-grpc-tools)`);
    return [];
  }
  ran++;
  const failures: string[] = [];
  const attempt = async (what: string, fn: () => Promise<string | undefined>) => {
    const failure = await fn().catch((err: Error & { stderr?: string }) => `failed: ${err.stderr?.trim() || err.message}`);
    if (failure) failures.push(`${where(block)} ${what}\n    ${failure}`);
  };
  if (kind === 'shell') for (const c of shellCommands(block.body)) await attempt(c.text, () => runCommand(c.text, c.expect));
  else await attempt(`(${block.lang})`, () => runProgram(block, kind));
  return failures;
}

describe('the examples of README.md and docs/', () => {
  it('finds them: shell, Node and Python, on both servers and gRPC', () => {
    const commands = BLOCKS.filter((b) => kindOf(b.lang) === 'shell' && b.notRun === undefined).flatMap((b) => shellCommands(b.body));
    expect(commands.length).toBeGreaterThan(40);
    for (const port of ['localhost:8080', 'localhost:8081', 'localhost:8082']) expect(commands.some((c) => c.text.includes(port))).toBe(true);
    expect(BLOCKS.some((b) => kindOf(b.lang) === 'node')).toBe(true);
    expect(BLOCKS.some((b) => kindOf(b.lang) === 'python')).toBe(true);
    const readme = readPage('README.md');
    expect(readme).toContain('npm start');
    expect(readme).toContain('npm test');
  });

  it('marks every block it does not run with why', () => {
    for (const b of BLOCKS.filter((x) => x.notRun !== undefined)) expect(b.notRun, where(b)).not.toBe('');
  });

  for (const page of PAGES) {
    it(`${page}: every example runs as written`, { timeout: 300_000 }, async () => {
      const failures: string[] = [];
      for (const block of BLOCKS.filter((b) => b.page === page)) failures.push(...(await runBlock(block)));
      expect(failures).toEqual([]);
    });
  }
});
