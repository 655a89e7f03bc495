// `npm run bench -- --quick` works end to end: every scenario ran without errors and the report
// is well-formed. Timings are never asserted here (benchmarks are reports, not tests).
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/app.ts';

describe('benchmark harness', () => {
  it('runs every scenario and baseline in quick mode and writes a report', async () => {
    const out = fs.mkdtempSync(path.join(os.tmpdir(), 'ortserve-bench-'));
    await promisify(execFile)(process.execPath, [path.join(ROOT, 'scripts/bench.ts'), '--quick'], { env: { ...process.env, BENCH_OUT: out }, timeout: 170_000 });
    const report = JSON.parse(fs.readFileSync(path.join(out, 'latest.json'), 'utf8'));
    const md = fs.readFileSync(path.join(out, 'latest.md'), 'utf8');
    expect(report.quick).toBe(true);
    expect(report.machine).toMatchObject({ cores: expect.any(Number), node: expect.stringMatching(/^v24/), onnxruntime: expect.any(String) });
    for (const k of ['embed_mixed', 'cnn_b64', 'gan_b32']) expect(report.raw[k].items_per_s).toBeGreaterThan(0);
    for (const k of ['step_b1', 'step_b32']) expect(report.raw[k].tokens_per_s).toBeGreaterThan(0);
    const loads = [
      report.ortserve.classify,
      report.ortserve.embed,
      report.ortserve.generate_image,
      report.naive.classify,
      report.naive.embed,
      report.naive.http_ceiling,
      report.transformers_js.embed,
      report.ortserve.mixed.classify,
      report.ortserve.mixed.embed,
      report.ortserve.mixed.generate_image,
    ];
    for (const l of loads) {
      expect(l.requests).toBeGreaterThan(0);
      expect(l.errors + l.non2xx).toBe(0);
    }
    for (const s of [report.ortserve.rnn_1, report.ortserve.rnn_32, report.ortserve.rnn_64, report.ortserve.mixed.rnn_8]) {
      expect(s.tokens_per_s).toBeGreaterThan(0);
      expect(s.errors).toBe(0);
    }
    expect(report.ortserve.embed.live.n).toBeGreaterThan(10);
    expect(report.ortserve.rnn_64.live.n).toBeGreaterThan(10);
    // The server's own figures: its main thread's event-loop utilisation and its text batches' padding.
    for (const l of [report.ortserve.classify, report.ortserve.embed, report.ortserve.rnn_32]) expect(l.server.elu).toBeGreaterThan(0);
    expect(report.ortserve.embed.server.padded_per_real).toBeGreaterThanOrEqual(1);
    // The same V2 request as JSON, binary REST and gRPC: all answered; raw bytes are a fraction of JSON numbers.
    const wire = report.ortserve.wire;
    for (const k of ['json', 'binary', 'grpc']) {
      expect(wire[k].requests).toBeGreaterThan(0);
      expect(wire[k].errors + wire[k].non2xx).toBe(0);
    }
    expect(wire.binary.request_bytes).toBeLessThan(wire.json.request_bytes / 2);
    expect(wire.grpc.request_bytes).toBeGreaterThanOrEqual(wire.batch * 28 * 28 * 4);
    expect(md).toContain('| gRPC raw_input_contents |');
    expect(md).toContain('## Ratios (same run)');
    expect(md.match(/\| (yes|no) \|/g)?.length).toBe(14);
    fs.rmSync(out, { recursive: true, force: true });
  }, 200_000);
});
