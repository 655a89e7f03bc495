// SIGTERM with gRPC calls in flight: the real server (node server/server.ts) answers every
// ModelInfer it accepted before the signal, takes no new call, and exits 0 within the drain timeout.
import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { freePort } from '../../scripts/bench/processes.ts';
import { grpcClient, isFailure } from '../helpers/grpc.ts';
import { startServer } from '../helpers/server-process.ts';
import { slowModelRepository, WIDTH } from '../helpers/slow-model.ts';
import { waitFor } from '../helpers/wait.ts';

const DRAIN_TIMEOUT_MS = 20_000;
const CALLS = 8;
const ROWS = 64;

function connects(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    s.once('connect', () => (s.destroy(), resolve(true)));
    s.once('error', () => resolve(false));
  });
}

describe('graceful shutdown with gRPC calls in flight', () => {
  it('answers every accepted ModelInfer, refuses new calls and exits 0', async () => {
    const repo = slowModelRepository({ layers: 1500, batching: { max_batch_size: 1, max_queue_delay_ms: 0, max_queue_size: 64 } });
    const grpcPort = await freePort();
    const srv = await startServer({ ORTSERVE_MODELS: repo, ORTSERVE_GRPC_PORT: String(grpcPort), ORTSERVE_DRAIN_TIMEOUT_MS: String(DRAIN_TIMEOUT_MS) });
    const grpc = grpcClient(`127.0.0.1:${grpcPort}`);
    try {
      const request = (i: number) => ({
        model_name: 'slow',
        id: `call-${i}`,
        inputs: [{ name: 'x', datatype: 'FP32', shape: [ROWS, WIDTH] }],
        raw_input_contents: [Buffer.from(new Float32Array(ROWS * WIDTH).fill(i + 1).buffer)],
      });
      const calls = Array.from({ length: CALLS }, (_, i) => grpc.call('ModelInfer', request(i)));
      // Signal once the server holds all of them (gRPC calls count in requests_in_progress).
      await waitFor(
        async () => {
          const text = await fetch(`${srv.url}/metrics`).then((r) => r.text());
          return Number(/^ortserve_requests_in_progress (\d+)/m.exec(text)?.[1] ?? 0) >= CALLS;
        },
        { what: `the server to hold all ${CALLS} gRPC calls`, deadlineMs: 30_000, everyMs: 5 },
      );
      const signalledAt = performance.now();
      srv.proc.kill('SIGTERM');

      await new Promise((r) => setTimeout(r, 300));
      expect(await connects(grpcPort), 'the gRPC port takes no new connection').toBe(false);
      const late = await grpc.call('ModelInfer', request(99), { deadlineMs: 5_000 });
      expect(isFailure(late) && late.name).toBe('UNAVAILABLE');

      const answers = await Promise.all(calls);
      answers.forEach((a, i) => {
        expect(isFailure(a), JSON.stringify(a).slice(0, 200)).toBe(false);
        expect(a.id).toBe(`call-${i}`);
        const y = new Float32Array(new Uint8Array(a.raw_output_contents[0]).buffer);
        expect(y.length).toBe(ROWS * WIDTH);
        expect(y.every((v) => v === i + 1)).toBe(true);
      });
      const code = await srv.exited;
      const drainMs = performance.now() - signalledAt;
      console.log(`gRPC drain: ${CALLS} ModelInfer calls of ${ROWS}×${WIDTH} in flight at SIGTERM all answered; exit ${code} after ${drainMs.toFixed(0)} ms`);
      expect(code, srv.logs()).toBe(0);
      // Drained, not cut off: the drain timeout would log this and exit 1 (server.ts).
      expect(srv.logs()).not.toContain('drain timeout');
    } finally {
      grpc.close();
      srv.proc.kill('SIGKILL');
    }
  }, 90_000);
});
