// A model repository the server cannot serve stops the start: exit code 2 and one line on stderr
// (a missing or unreadable folder, two folders serving one model name), before anything listens.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { MODELS, ROOT } from '../helpers/app.ts';

/** Runs the server to its exit (bounded by `deadlineMs`): its exit code and stderr. */
function runServer(models: string, deadlineMs = 30_000): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, [path.join(ROOT, 'server/server.ts'), '--models', models, '--port', '0', '--grpc-port', '0'], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    proc.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => {
      proc.kill('SIGKILL');
      reject(new Error(`server still running after ${deadlineMs} ms:\n${stderr}`));
    }, deadlineMs);
    proc.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stderr });
    });
  });
}

describe('a repository that cannot be served', () => {
  const repo = fs.mkdtempSync(path.join(os.tmpdir(), 'ortserve-dup-'));
  afterAll(() => fs.rmSync(repo, { recursive: true, force: true }));

  it('missing: exits 2 with one line naming it', async () => {
    const missing = path.join(repo, 'nonexistent');
    const { code, stderr } = await runServer(missing);
    expect(code).toBe(2);
    expect(stderr.trim().split('\n')).toEqual([`ortserve: model repository ${missing} cannot be read: ENOENT`]);
  });

  it('two folders serving one model name: exits 2 with one line naming both', async () => {
    for (const folder of ['a', 'b']) fs.cpSync(path.join(MODELS, 'fashion-cnn'), path.join(repo, folder), { recursive: true });
    const { code, stderr } = await runServer(repo);
    expect(code).toBe(2);
    expect(stderr.trim().split('\n')).toEqual(["ortserve: model name 'fashion-cnn' is served by two folders: a and b"]);
  });
});
