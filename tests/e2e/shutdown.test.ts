// SIGTERM under load: every request accepted before the signal gets its full answer, new
// connections are refused while the server drains, and it exits 0 within the drain timeout.
import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { fashionPng } from '../helpers/images.ts';
import { startServer } from '../helpers/server-process.ts';
import { waitFor } from '../helpers/wait.ts';

const DRAIN_TIMEOUT_MS = 20_000;

/** 'refused' when nothing accepts a TCP connection on the port any more. */
function connectOutcome(port: number): Promise<'connected' | 'refused'> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    s.once('connect', () => {
      s.destroy();
      resolve('connected');
    });
    s.once('error', () => resolve('refused'));
  });
}

describe('graceful shutdown', () => {
  it('drains accepted work, refuses new connections and exits 0', async () => {
    const srv = await startServer({ ORTSERVE_DRAIN_TIMEOUT_MS: String(DRAIN_TIMEOUT_MS) });
    const port = Number(new URL(srv.url).port);
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
    await waitFor(() => firstChunk.length === 16, { what: 'all 16 streams to answer with headers', deadlineMs: 30_000 });
    await Promise.all(firstChunk);
    // Plus classify requests whose bodies the server has fully received when the signal comes.
    const png = await fashionPng(3);
    const classifies = Array.from({ length: 24 }, () =>
      fetch(`${srv.url}/v1/models/fashion-cnn/classify`, { method: 'POST', headers: { 'content-type': 'image/png' }, body: new Uint8Array(png) }).then(async (r) => ({
        status: r.status,
        body: await r.text(),
      })),
    );
    // Signal once the server has taken in all 24 (in progress, or already answered).
    await waitFor(
      async () => {
        const text = await fetch(`${srv.url}/metrics`).then((r) => r.text());
        const done = Number(/ortserve_requests_total\{model="fashion-cnn",route="[^"]*classify",outcome="2xx"\} (\d+)/.exec(text)?.[1] ?? 0);
        const inProgress = Number(/^ortserve_requests_in_progress (\d+)/m.exec(text)?.[1] ?? 0);
        return done + inProgress - 16 >= 24;
      },
      { what: 'the server to take in all 24 classify requests', deadlineMs: 30_000, everyMs: 5 },
    );
    const signalledAt = performance.now();
    srv.proc.kill('SIGTERM');

    // While the streams are still running, nothing new gets in.
    await new Promise((r) => setTimeout(r, 300));
    expect(await connectOutcome(port)).toBe('refused');

    const results = await Promise.all(streams);
    for (const r of results) {
      expect(r.status).toBe(200);
      expect(r.text).toContain('"finish_reason":"length"');
      expect(r.text).toContain('"tokens":300');
      expect(r.text.trim().endsWith('data: [DONE]')).toBe(true);
    }
    for (const c of await Promise.all(classifies)) {
      expect(c.status, c.body).toBe(200);
      expect(JSON.parse(c.body).results[0].predictions[0].label).toEqual(expect.any(String));
    }
    expect(await srv.exited).toBe(0);
    const drainMs = performance.now() - signalledAt;
    console.log(`drain: 16 streams × 300 tokens + 24 classify requests finished; exit 0 after ${drainMs.toFixed(0)} ms (timeout ${DRAIN_TIMEOUT_MS} ms)`);
    // Drained, not cut off: the drain timeout would log this and exit 1 (server.ts).
    expect(srv.logs()).not.toContain('drain timeout');
    expect(await connectOutcome(port)).toBe('refused');
  }, 90_000);
});
