// Client disconnects: requests whose clients hang up while queued never run, and leave nothing
// behind (queue, admission slots, connections). Real sockets on loopback: inject cannot hang up.
import type { FastifyInstance } from 'fastify';
import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readyModel, testApp } from '../helpers/app.ts';
import { slowInferBody, slowModelRepository } from '../helpers/slow-model.ts';
import { waitFor } from '../helpers/wait.ts';

const until = (check: () => boolean, deadlineMs: number, what: string) => waitFor(check, { what, deadlineMs });

let app: FastifyInstance;
let url: string;
beforeAll(async () => {
  const repo = slowModelRepository({ layers: 1500, batching: { max_batch_size: 1, max_queue_size: 256, timeout_ms: 30_000, max_queue_delay_ms: 0 } });
  app = await testApp({ ORTSERVE_MODELS: repo });
  url = `${await app.listen({ host: '127.0.0.1', port: 0 })}/v2/models/slow/infer`;
});
afterAll(async () => {
  await app.close();
});

/** One request on its own connection (no pooling), so hanging up closes exactly that socket. */
function infer(rows: number, signal?: AbortSignal): Promise<number> {
  return new Promise((resolve, reject) => {
    const body = JSON.stringify(slowInferBody(rows));
    const req = http.request(url, { method: 'POST', agent: false, signal, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe('client disconnects', () => {
  it('100 requests aborted while queued: none of them runs, and nothing leaks', async () => {
    const entry = readyModel(app, 'slow');
    const { scheduler } = entry.runtime;
    const itemsBefore = entry.stats.items;
    const abortedBefore = entry.stats.dropped.aborted;

    // One long request holds the only worker, so the next ones stay queued.
    const blocker = infer(48);
    await until(() => app.activeRequests() === 1 && scheduler.depth === 0, 5000, 'the blocker to start running');
    const controllers = Array.from({ length: 100 }, () => new AbortController());
    const queued = controllers.map((c) =>
      infer(1, c.signal).then(
        () => 'answered',
        (err: Error) => err.name,
      ),
    );
    await until(() => scheduler.depth === 100, 10_000, '100 queued requests');
    for (const c of controllers) c.abort();

    expect(new Set(await Promise.all(queued))).toEqual(new Set(['AbortError']));
    const blocked = await blocker;
    expect(blocked).toBe(200);
    await scheduler.idle();

    const ran = entry.stats.items - itemsBefore;
    const dropped = entry.stats.dropped.aborted - abortedBefore;
    console.log(`client disconnects: 100 aborted while queued → ${dropped} dropped before running, ${ran} run (the blocker)`);
    expect(dropped).toBe(100);
    expect(ran).toBe(1);
    expect(scheduler.depth).toBe(0);
    await until(() => app.activeRequests() === 0, 2000, 'admission slots to be released');
    let open = -1;
    const poll = setInterval(() => app.server.getConnections((_err, n) => (open = n)), 10);
    await until(() => open === 0, 2000, 'every connection to close').finally(() => clearInterval(poll));

    // The model is fine afterwards.
    expect(await infer(1)).toBe(200);
  }, 60_000);
});
