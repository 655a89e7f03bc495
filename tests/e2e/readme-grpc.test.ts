// The README's gRPC examples, run as written against the real server with gRPC on a free port (for
// the README's localhost:8081): the Node client prints exactly the output the README shows, and the
// Python snippet runs with stubs compiled as the README says (skipped, loudly, without grpcio).
import { execFile, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../scripts/bench/processes.ts';
import { ROOT } from '../helpers/app.ts';
import { startServer, type ServerProcess } from '../helpers/server-process.ts';

const run = promisify(execFile);
const README = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
const SECTION = README.slice(README.indexOf('### KServe V2 over gRPC'), README.indexOf('### OpenAI-compatible embeddings'));
const PYTHON = '/usr/bin/python3';
const HAVE_PY = spawnSync(PYTHON, ['-c', 'import grpc, grpc_tools.protoc'], { stdio: 'ignore' }).status === 0;
if (!HAVE_PY) console.warn(`\n*** SKIPPED: ${PYTHON} cannot import grpc and grpc_tools (apt-get install python3-grpcio python3-grpc-tools), so the README's Python gRPC snippet did not run ***\n`);

let srv: ServerProcess;
let address: string;
beforeAll(async () => {
  const port = await freePort();
  srv = await startServer({ ORTSERVE_GRPC_PORT: String(port) });
  address = `127.0.0.1:${port}`;
}, 120_000);
afterAll(async () => {
  srv?.proc.kill('SIGTERM');
  await srv?.exited;
});

describe("README's gRPC examples", () => {
  it('node scripts/grpc-client.ts prints what the README shows', { timeout: 60_000 }, async () => {
    const block = /```sh\n(node scripts\/grpc-client\.ts [^\n]+)\n((?:# [^\n]*\n)+)```/.exec(SECTION);
    expect(block, 'a sh block with the command and its output as comments').not.toBeNull();
    const [command, ...args] = block![1]!.replace('localhost:8081', address).split(' ');
    const { stdout } = await run(command === 'node' ? process.execPath : command!, args, { cwd: ROOT });
    expect(stdout.trim()).toBe(
      block![2]!
        .trim()
        .split('\n')
        .map((l) => l.replace(/^# /, ''))
        .join('\n'),
    );
  });

  it.skipIf(!HAVE_PY)('the Python snippet runs with the stubs compiled as the README says', { timeout: 60_000 }, async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ortserve-readme-py-'));
    try {
      const protoc = /`(python3 -m grpc_tools\.protoc [^`]+)`/
        .exec(SECTION)![1]!
        .replace('server/protocols/grpc', path.join(ROOT, 'server/protocols/grpc'))
        .replace(/^python3 /, `${PYTHON} `);
      await run('bash', ['-c', protoc], { cwd: dir });
      const snippet = /```python\n([\s\S]*?)```/.exec(SECTION)![1]!.replace('localhost:8081', address);
      const { stdout } = await run(PYTHON, ['-c', snippet], { cwd: dir, env: { ...process.env, PYTHONPATH: dir } });
      expect(stdout).toMatch(/^py-1 \[1, 10\] \((-?\d+\.\d+(e-?\d+)?, ){9}-?\d+\.\d+(e-?\d+)?\)$/m);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
