// SIGTERM during load: every request accepted before the signal gets its answer; exit code 0.
import { describe, expect, it } from 'vitest';
import { startServer } from '../helpers/server-process.ts';

describe('graceful shutdown', () => {
  it('drains accepted work and exits 0', async () => {
    const srv = await startServer();
    const post = (i: number) =>
      fetch(`${srv.url}/v1/models/fortune-rnn/generate`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ prompt: `${i} `, max_tokens: 200, seed: i }) });
    const inFlight = Array.from({ length: 16 }, (_, i) => post(i).then(async (r) => ({ status: r.status, body: await r.json() })));
    const embeds = Array.from({ length: 16 }, () =>
      fetch(`${srv.url}/v1/models/bert-mini/embed`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ inputs: 'drain me' }) }).then((r) => r.status),
    );
    await new Promise((r) => setTimeout(r, 150));
    srv.proc.kill('SIGTERM');
    const results = await Promise.all(inFlight);
    for (const r of results) {
      expect(r.status).toBe(200);
      expect(r.body.tokens).toBe(200);
    }
    expect(await Promise.all(embeds)).toEqual(Array(16).fill(200));
    expect(await srv.exited).toBe(0);
    const after = await fetch(`${srv.url}/health/live`).then(() => 'answered', () => 'refused');
    expect(after).toBe('refused');
  });
});
