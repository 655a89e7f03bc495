// SIGTERM during load: every request accepted before the signal gets its answer; exit code 0.
import { describe, expect, it } from 'vitest';
import { startServer } from '../helpers/server-process.ts';

describe('graceful shutdown', () => {
  it('drains accepted work and exits 0', async () => {
    const srv = await startServer();
    const firstChunk: Promise<void>[] = [];
    const streams = Array.from({ length: 16 }, async (_, i) => {
      const r = await fetch(`${srv.url}/v1/models/fortune-rnn/generate`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ prompt: `${i} `, max_tokens: 300, seed: i, stream: true }),
      });
      const reader = r.body!.getReader();
      let text = '';
      let first: () => void = () => {};
      firstChunk.push(new Promise((res) => (first = res)));
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        first();
        text += new TextDecoder().decode(value);
      }
      return { status: r.status, text };
    });
    // Every stream has been accepted (it is sending tokens) before the signal.
    while (firstChunk.length < 16) await new Promise((r) => setTimeout(r, 10));
    await Promise.all(firstChunk);
    srv.proc.kill('SIGTERM');
    const results = await Promise.all(streams);
    for (const r of results) {
      expect(r.status).toBe(200);
      expect(r.text).toContain('"finish_reason":"length"');
      expect(r.text).toContain('"tokens":300');
      expect(r.text.trim().endsWith('data: [DONE]')).toBe(true);
    }
    expect(await srv.exited).toBe(0);
    const after = await fetch(`${srv.url}/health/live`).then(() => 'answered', () => 'refused');
    expect(after).toBe('refused');
  });
});
