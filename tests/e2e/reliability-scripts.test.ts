// `npm run overload -- --quick`, `npm run soak -- --quick` and `npm run stall -- --quick` work end
// to end: the reports are complete, no connection failed, and no answer was a 5xx other than a 503
// with Retry-After. Timings (capacity, latency, recovery, memory trends, the stall scenario's probe
// maxima) are never asserted here: they are reports.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/app.ts';

const out = fs.mkdtempSync(path.join(os.tmpdir(), 'ortserve-reliability-'));
const MODELS = ['fashion-cnn', 'bert-mini', 'fashion-dcgan', 'fortune-rnn', 'bert-mini-topics'];

/** Runs a script to its end; resolves with its exit code whatever it is (the report says why). */
function run(script: string, timeout: number): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [path.join(ROOT, script), '--quick', '--out', out], { timeout, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? null) : 0, output: stdout + stderr });
    });
  });
}

const report = (name: string) => ({ json: JSON.parse(fs.readFileSync(path.join(out, `${name}.json`), 'utf8')), md: fs.readFileSync(path.join(out, `${name}.md`), 'utf8') });

/** Non-2xx statuses in an answer tally that are server errors other than 503. */
const other5xx = (byStatus: Record<string, number>) => Object.keys(byStatus).filter((s) => Number(s) >= 500 && s !== '503');

afterAll(() => fs.rmSync(out, { recursive: true, force: true }));

describe('reliability scripts', () => {
  it('overload --quick: every model shed load with 429/503 + Retry-After and no connection errors', async () => {
    const { code, output } = await run('scripts/overload.ts', 150_000);
    expect(code, output).not.toBeNull();
    const { json: r, md } = report('overload');
    expect(r.quick).toBe(true);
    expect(r.config).toMatchObject({ factor: 10, connections: expect.any(Number), limits: { max_rss_mb: expect.any(Number), recovery_limit_s: expect.any(Number) } });
    expect(r.models.map((m: { model: string }) => m.model)).toEqual(MODELS);
    for (const m of r.models) {
      expect(m.timeout_ms).toBeGreaterThan(0);
      expect(m.capacity.accepted_per_s).toBeGreaterThan(0);
      expect(m.overload.rate).toBeCloseTo(10 * m.capacity.accepted_per_s, 0);
      expect(m.overload.answers).toBeGreaterThan(0);
      for (const phase of [m.capacity, m.overload]) {
        expect(phase.errors, `${m.model}: connection errors`).toBe(0);
        expect(phase.rejected.not_allowed, `${m.model}: ${JSON.stringify(phase.by_status)}`).toBe(0);
        expect(other5xx(phase.by_status)).toEqual([]);
      }
      expect(m.rss_mb).toMatchObject({ start: expect.any(Number), peak: expect.any(Number), end: expect.any(Number) });
      expect(m.recovery.baseline_p50_ms).toBeGreaterThan(0);
      expect(m.recovery).toHaveProperty('seconds');
      expect(m.server_running).toBe(true);
    }
    expect(r.checks).toHaveLength(6 * MODELS.length);
    expect(r.ok).toBe(r.checks.every((c: { holds: boolean }) => c.holds));
    expect(code === 0).toBe(r.ok);
    expect(md).toContain('## Invariants');
  }, 160_000);

  it('soak --quick: the mixed load ran without 5xx or connection errors and the trends are reported', async () => {
    const { code, output } = await run('scripts/soak.ts', 100_000);
    const { json: r, md } = report('soak');
    expect(r.quick).toBe(true);
    expect(r.config.slope_enforced).toBe(false);
    expect(r.outcome.loads.map((l: { model: string }) => l.model)).toEqual(MODELS);
    for (const l of r.outcome.loads) {
      expect(l.answers).toBeGreaterThan(0);
      expect(other5xx(l.by_status)).toEqual([]);
    }
    expect(r.outcome.streams.tokens_per_s).toBeGreaterThan(0);
    expect(r.errors).toMatchObject({ server_5xx: 0, connection: 0, streams: 0, scrapes_failed: 0 });
    expect(r.samples.length).toBeGreaterThan(5);
    for (const s of r.samples) expect(s.value).toEqual({ rss_mb: expect.any(Number), heap_used_mb: expect.any(Number), loop_p99_ms: expect.any(Number) });
    for (const k of ['rss_mb', 'heap_used_mb', 'loop_p99_ms']) expect(r.trends[k].slope_per_min).toEqual(expect.any(Number));
    expect(r.server_running).toBe(true);
    expect(code, output).toBe(0);
    expect(md).toContain('## Checks');
  }, 110_000);

  it('stall --quick: every single request was answered and the report gives each its status and probe figures', async () => {
    const { code, output } = await run('scripts/stall.ts', 100_000);
    const { json: r, md } = report('stall');
    expect(r.quick).toBe(true);
    expect(r.config).toMatchObject({ scale: 1 / 16, body_limit: expect.any(Number), probe_interval_ms: 5, probe_max_limit_ms: 100, tail_ms: expect.any(Number) });
    expect(r.machine).toMatchObject({ cores: expect.any(Number), node: expect.any(String), onnxruntime: expect.any(String) });
    const paths = r.requests.map((q: { path: string }) => q.path);
    expect(paths).toEqual([
      '/v1/models/bert-mini/embed',
      '/v1/embeddings',
      '/v1/models/bert-mini/fill-mask',
      '/v1/models/bert-mini-topics/classify',
      '/v1/models/bert-mini/attention',
      '/v1/models/fashion-cnn/classify',
    ]);
    for (const q of r.requests) {
      expect(q.status, `${q.name}: ${q.failure}`).toEqual(expect.any(Number));
      expect(q.status).toBeLessThan(500);
      expect(q.body_bytes).toBeGreaterThan(0);
      expect(q.sent).toEqual(expect.any(String));
      expect(q.ms).toEqual(expect.any(Number));
      expect(q.probe).toEqual({ n: expect.any(Number), p99_ms: expect.any(Number), max_ms: expect.any(Number) });
      expect(q.probe.n).toBeGreaterThan(0);
    }
    expect(r.server_running).toBe(true);
    expect(r.checks).toHaveLength(2 * r.requests.length + 1);
    expect(r.ok).toBe(r.checks.every((c: { holds: boolean }) => c.holds));
    expect(code === 0, output).toBe(r.ok);
    expect(md).toContain('## Checks');
    expect(md.match(/\| (PASS|\*\*FAIL\*\*) \|$/gm)).toHaveLength(6);
  }, 110_000);
});
