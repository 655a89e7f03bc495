// Kubernetes parity of the load balancer example: deploy/haproxy/haproxy.cfg, deploy/deployment.yaml
// and the server's defaults (server/config.ts SETTINGS) agree on the readiness path, ports, probe
// timeouts, drain and request timeouts; the retries cover what a drain or a crash does to a request;
// the scale harness runs the shipped file with only addresses replaced. `haproxy -c` and kubectl's
// client-side dry run check the files where those tools are installed (the test says when not).
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { SETTINGS } from '../../server/config.ts';
import { Errors } from '../../server/errors.ts';
import { DEFAULT_BATCHING } from '../../server/repository/manifest.ts';
import { duration, healthCheck, renderConfig } from '../../scripts/scale/haproxy.ts';
import { ROOT } from '../helpers/app.ts';

// Manifests are plain YAML data, walked through this loose shape.
type Obj = { [key: string]: any };

const cfg = fs.readFileSync(path.join(ROOT, 'deploy/haproxy/haproxy.cfg'), 'utf8');
/** The arguments of every line `keyword …` in the file, comments left out. */
const lines = cfg.split('\n').filter((l) => !/^\s*(#|$)/.test(l));
const directive = (keyword: string): string[] => lines.map((l) => l.trim()).flatMap((l) => (l.startsWith(`${keyword} `) ? [l.slice(keyword.length + 1)] : []));
const only = (keyword: string): string => {
  const found = directive(keyword);
  expect(found, keyword).toHaveLength(1);
  return found[0]!;
};
const timeout = (name: string) => duration(only(`timeout ${name}`));

const deployment = parseAllDocuments(fs.readFileSync(path.join(ROOT, 'deploy/deployment.yaml'), 'utf8'))
  .map((d) => d.toJS() as Obj)
  .find((d) => d.kind === 'Deployment')!;
const container = deployment.spec.template.spec.containers[0];
const readiness = container.readinessProbe;
const env = (name: string) => container.env.find((e: Obj) => e.name === name)?.value as string | undefined;
const modelTimeouts = fs
  .readdirSync(path.join(ROOT, 'models'))
  .filter((m) => fs.existsSync(path.join(ROOT, 'models', m, 'manifest.json')))
  .map((m) => (JSON.parse(fs.readFileSync(path.join(ROOT, 'models', m, 'manifest.json'), 'utf8')) as Obj).batching?.timeout_ms ?? DEFAULT_BATCHING.timeout_ms);

const has = (cmd: string) => {
  try {
    execFileSync(cmd, cmd === 'kubectl' ? ['version', '--client'] : ['-v'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
};

/** Skips a test that needs a missing tool, saying so in the output (never silently). */
function skip(ctx: { skip: () => void }, why: string): void {
  console.warn(`## ${why} ##`);
  ctx.skip();
}

describe('deploy/haproxy/haproxy.cfg and the Kubernetes manifests', () => {
  it('check the readiness route Kubernetes probes, expecting 200', () => {
    expect(only('http-check send')).toBe(`meth GET uri ${readiness.httpGet.path}`);
    expect(readiness.httpGet.path).toBe('/health/ready');
    expect(fs.readFileSync(path.join(ROOT, 'server/routes/health.ts'), 'utf8')).toContain(`'${readiness.httpGet.path}'`);
    expect(only('http-check expect')).toBe('status 200');
    expect(directive('option')).toContain('httpchk');
  });

  it("send to the server's default port, the container's http port", () => {
    const ports = directive('server').map((s) => Number(s.split(' ')[1]!.split(':')[1]));
    expect(ports.length).toBeGreaterThan(1);
    const http = container.ports.find((p: Obj) => p.name === 'http').containerPort;
    for (const port of ports) expect(port).toBe(SETTINGS.port.default);
    expect(http).toBe(SETTINGS.port.default);
    expect(readiness.httpGet.port).toBe('http');
  });

  it('give a check as long as the readiness probe, and drop a replica no later than Kubernetes would', () => {
    const check = healthCheck(cfg);
    expect(timeout('check')).toBe(readiness.timeoutSeconds * 1000);
    expect(check.interMs * check.fall).toBeLessThanOrEqual(readiness.periodSeconds * readiness.failureThreshold * 1000);
    expect(check.fastinterMs).toBeLessThanOrEqual(check.interMs);
  });

  it('retry, on another replica, every request a drain or a crash left unanswered, and never a 429', () => {
    expect(Number(only('retries'))).toBeGreaterThanOrEqual(1);
    expect(only('option redispatch')).toBe('1');
    const retryOn = only('retry-on').split(' ');
    expect(retryOn).toEqual(expect.arrayContaining(['conn-failure', 'empty-response']));
    // What a draining replica answers to a request it did not run, and a replica whose model is down.
    for (const e of [Errors.DRAINING, Errors.MODEL_NOT_READY, Errors.WORKER_FAILED]) expect(retryOn).toContain(String(new e('m', 'why').statusCode));
    expect(retryOn).not.toContain('429');
  });

  it("wait longer than the server's own timeouts and drain, so the server answers a slow request, not the balancer", () => {
    expect(env('ORTSERVE_DRAIN_TIMEOUT_MS')).toBe(String(SETTINGS.drainTimeoutMs.default));
    for (const side of ['server', 'client']) {
      expect(timeout(side)).toBeGreaterThan(SETTINGS.requestTimeoutMs.default);
      expect(timeout(side)).toBeGreaterThan(Math.max(...modelTimeouts));
      expect(timeout(side)).toBeGreaterThan(SETTINGS.drainTimeoutMs.default);
    }
    expect(timeout('http-request')).toBe(SETTINGS.headersTimeoutMs.default);
  });

  it('is what the scale harness runs, with only the bind address, the stats socket and the servers replaced', () => {
    const servers = [1, 2].map((i) => ({ name: `ortserve-${i}`, address: `10.231.${i}.2:${SETTINGS.port.default}` }));
    const rendered = renderConfig(cfg, { bind: '127.0.0.1:18080', socket: '/tmp/x.sock', servers });
    const changed = (a: string, b: string) => a.split('\n').filter((l) => !b.split('\n').includes(l));
    expect(changed(rendered, cfg)).toEqual([
      '    stats socket /tmp/x.sock mode 600 level admin',
      '    bind 127.0.0.1:18080',
      '    server ortserve-1 10.231.1.2:8080',
      '    server ortserve-2 10.231.2.2:8080',
    ]);
    expect(changed(cfg, rendered).every((l) => /^\s+(bind|stats socket|server) /.test(l))).toBe(true);
  });

  it('is a valid HAProxy configuration (haproxy -c)', (ctx) => {
    if (!has('haproxy')) return skip(ctx, 'haproxy -c: SKIPPED, haproxy is not installed (apt-get install haproxy)');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ortserve-haproxy-'));
    const file = path.join(dir, 'haproxy.cfg');
    fs.writeFileSync(file, renderConfig(cfg, { bind: '127.0.0.1:18080', socket: path.join(dir, 'sock'), servers: [{ name: 'ortserve-1', address: '10.231.1.2:8080' }] }));
    try {
      expect(execFileSync('haproxy', ['-c', '-f', file]).toString()).toContain('Configuration file is valid');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  // kubectl's client-side dry run needs an API server for discovery and OpenAPI validation; offline
  // (--local) it decodes every object and resolves its kind, which is what runs here. The schemas
  // are checked by tests/deploy/manifests.test.ts (kubernetes-models).
  const manifests = ['deployment.yaml', 'service.yaml', 'hpa.yaml', 'pdb.yaml', 'examples/hpa-queue-depth.yaml', 'kserve/servingruntime.yaml', 'kserve/inferenceservice.yaml'];
  it('every manifest passes kubectl --dry-run=client (offline: --local)', (ctx) => {
    if (!has('kubectl')) return skip(ctx, 'kubectl --dry-run=client: SKIPPED, kubectl is not installed (apt-get install kubernetes-client)');
    const args = ['label', '--local', '--dry-run=client', '-o', 'name', ...manifests.flatMap((m) => ['-f', path.join(ROOT, 'deploy', m)]), 'ortserve-parity=checked'];
    const out = execFileSync('kubectl', args, { env: { ...process.env, KUBECONFIG: path.join(os.tmpdir(), 'ortserve-no-kubeconfig') } }).toString();
    expect(out.trim().split('\n')).toHaveLength(manifests.length);
  });
});
