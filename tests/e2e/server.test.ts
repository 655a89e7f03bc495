// End-to-end on a real port, with the server as a child process running its worker threads.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/app.ts';
import { fashionPng } from '../helpers/images.ts';
import { startServer, type ServerProcess } from '../helpers/server-process.ts';
import { waitFor } from '../helpers/wait.ts';

let srv: ServerProcess;
beforeAll(async () => {
  srv = await startServer();
});
afterAll(async () => {
  if (srv.proc.exitCode === null) {
    srv.proc.kill('SIGKILL');
    await srv.exited;
  }
});

const percentile = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
};

const postJson = (path: string, body: unknown, headers: Record<string, string> = {}, signal?: AbortSignal) =>
  fetch(`${srv.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body), signal });

describe('event loop stays free under load', () => {
  // The latency (/health/live p99 under embed saturation) is the bench's number: bench/results/latest.md.
  it('answers every /health/live probe while bert-mini is saturated', async () => {
    const texts = ['a short one', 'a somewhat longer sentence about the weather and the sea', 'x '.repeat(60)];
    const bodies = texts.map((t) => JSON.stringify({ inputs: t }));
    // The load comes from another process, so this one only probes.
    const load = spawn(process.execPath, [path.join(ROOT, 'tests/helpers/load-child.ts'), `${srv.url}/v1/models/bert-mini/embed`, '4', '48', ...bodies], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    load.stdout.on('data', (d) => (out += d));
    const finished = new Promise((resolve) => load.on('exit', resolve));
    const stats = async () => (await (await fetch(`${srv.url}/v1/models/bert-mini`)).json()).stats;
    const batchesBefore = (await stats()).batches;
    await waitFor(async () => (await stats()).batches > batchesBefore, { what: 'the load to reach bert-mini', deadlineMs: 20_000, everyMs: 20 });
    const probes: number[] = [];
    const statuses: number[] = [];
    for (let i = 0; i < 150; i++) {
      const t0 = performance.now();
      const r = await fetch(`${srv.url}/health/live`);
      await r.arrayBuffer();
      statuses.push(r.status);
      probes.push(performance.now() - t0);
      await new Promise((res) => setTimeout(res, 10));
    }
    await finished;
    const result = JSON.parse(out.trim().split('\n').at(-1)!);
    const p99 = percentile(probes, 99);
    console.log(`/health/live under load: p50 ${percentile(probes, 50).toFixed(1)} ms, p99 ${p99.toFixed(1)} ms; ${result.requests} embeds served in 4 s`);
    expect(result.non2xx + result.errors).toBe(0);
    expect(result.requests).toBeGreaterThan(100);
    expect(statuses).toEqual(Array.from({ length: 150 }, () => 200));
  });
});

describe('dynamic batching', () => {
  it('serves N concurrent classify requests in fewer than N batches', async () => {
    const png = await fashionPng(1);
    const before = (await (await fetch(`${srv.url}/v1/models/fashion-cnn`)).json()).stats;
    const n = 64;
    const sizes = await Promise.all(
      Array.from({ length: n }, async () => {
        const r = await fetch(`${srv.url}/v1/models/fashion-cnn/classify`, { method: 'POST', headers: { 'content-type': 'image/png' }, body: new Uint8Array(png) });
        expect(r.status).toBe(200);
        await r.json();
        return Number(r.headers.get('x-batch-size'));
      }),
    );
    const after = (await (await fetch(`${srv.url}/v1/models/fashion-cnn`)).json()).stats;
    const batches = after.batches - before.batches;
    console.log(`${n} concurrent requests → ${batches} batches, largest ${Math.max(...sizes)}`);
    expect(after.items - before.items).toBe(n);
    expect(batches).toBeLessThan(n);
    expect(Math.max(...sizes)).toBeGreaterThan(1);
  });
});

describe('continuous batching for the RNN', () => {
  it('runs 8 streams in shared steps, and seeded output is the same alone or in company', async () => {
    const body = (i: number) => ({ prompt: `Fortune ${i}: `, max_tokens: 48, temperature: 0.9, seed: 100 + i });
    const alone: string[] = [];
    for (let i = 0; i < 8; i++) alone.push((await (await postJson('/v1/models/fortune-rnn/generate', body(i))).json()).text);
    const before = (await (await fetch(`${srv.url}/v1/models/fortune-rnn`)).json()).stats;
    const together = await Promise.all(Array.from({ length: 8 }, async (_, i) => (await (await postJson('/v1/models/fortune-rnn/generate', body(i))).json()).text as string));
    const after = (await (await fetch(`${srv.url}/v1/models/fortune-rnn`)).json()).stats;
    const steps = after.batches - before.batches;
    const tokens = after.items - before.items;
    console.log(`8 streams × 48 tokens: ${tokens} sequence-steps in ${steps} batched runs (largest ${after.largest_batch})`);
    expect(after.largest_batch).toBeGreaterThanOrEqual(4);
    expect(steps).toBeLessThan(tokens / 2);
    expect(together).toEqual(alone);
  });

  it('drops a generation whose client went away', async () => {
    const stats = async () => (await (await fetch(`${srv.url}/v1/models/fortune-rnn`)).json()).stats;
    const before = (await stats()).dropped_aborted;
    const ac = new AbortController();
    // 1,000 tokens take about 0.1 s here: hang up as soon as the first one arrives.
    const res = await postJson('/v1/models/fortune-rnn/generate', { prompt: 'x', max_tokens: 1000, stream: true }, {}, ac.signal);
    await res.body!.getReader().read();
    ac.abort();
    await waitFor(async () => (await stats()).dropped_aborted > before, { what: 'the aborted generation to be dropped', everyMs: 20 });
    expect((await stats()).dropped_aborted).toBe(before + 1);
  });

  it('streams over a real socket, token by token', async () => {
    const r = await postJson('/v1/models/fortune-rnn/generate', { prompt: 'The ', max_tokens: 30, seed: 3, stream: true });
    expect(r.headers.get('content-type')).toContain('text/event-stream');
    const text = await r.text();
    expect(text).toContain('"finish_reason":"length"');
    expect(text.trim().endsWith('data: [DONE]')).toBe(true);
    // One server-sent event per token (how many TCP reads they arrive in depends on the machine's speed).
    const events = text.split('\n\n').filter((e) => e.startsWith('data: {'));
    const tokens = events.map((e) => (JSON.parse(e.slice('data: '.length)) as { token: string }).token).filter((t) => t !== '');
    expect(events.length).toBeGreaterThan(10);
    expect(tokens.length).toBe(events.length - 1);
  });
});
