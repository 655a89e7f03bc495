// Failures are visible and bounded: a model with no live instance is refused at once (503, not
// queued); respawns back off and, after MAX_RESPAWN_FAILURES failed loads in a row, mark the model
// failed; a throw in a pool's message handling fails that model, not the process; worker restarts
// are a Counter that a hot swap does not reset.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Worker } from 'node:worker_threads';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_RESPAWN_FAILURES } from '../../server/runtime/worker-pool.ts';
import { MODELS, readyModel, testApp } from '../helpers/app.ts';
import { fashionPng } from '../helpers/images.ts';
import { waitFor } from '../helpers/wait.ts';

/** A repository with one-instance copies of `names`. */
function repository(names: string[]): string {
  const repo = fs.mkdtempSync(path.join(os.tmpdir(), 'ortserve-pool-'));
  for (const name of names) {
    const dir = path.join(repo, name);
    fs.cpSync(path.join(MODELS, name), dir, { recursive: true });
    const file = path.join(dir, 'manifest.json');
    const manifest: object = fs.existsSync(file) ? JSON.parse(fs.readFileSync(file, 'utf8')) : {};
    fs.writeFileSync(file, JSON.stringify({ ...manifest, instances: 1 }));
  }
  return repo;
}

const restartsMetric = async (app: FastifyInstance, model: string) => {
  const line = (await app.inject('/metrics')).body.split('\n').find((l) => l.startsWith(`ortserve_worker_restarts_total{model="${model}"}`));
  return Number(line?.split(' ').at(-1) ?? 0);
};

describe('a worker that cannot be respawned', () => {
  let app: FastifyInstance;
  let repo: string;
  let png: Buffer;
  beforeAll(async () => {
    repo = repository(['fashion-cnn']);
    app = await testApp({ ORTSERVE_MODELS: repo }, { faultInjection: true });
    png = await fashionPng(0);
  });
  afterAll(async () => {
    await app.close();
    fs.rmSync(repo, { recursive: true, force: true });
  });

  const classify = () => app.inject({ method: 'POST', url: '/v1/models/fashion-cnn/classify', headers: { 'content-type': 'image/png' }, payload: png });

  it('is refused at once while no instance lives, then marks the model failed after a bounded number of respawns', async () => {
    const { pool } = readyModel(app, 'fashion-cnn').runtime;
    const graph = path.join(repo, 'fashion-cnn', 'model.onnx');
    const bytes = fs.readFileSync(graph);
    fs.rmSync(graph); // every respawn now fails to load
    pool.crash(0);
    await waitFor(() => pool.readyInstances === 0, { what: 'the crashed worker to exit' });

    const refused = await classify();
    expect(refused.statusCode).toBe(503);
    expect(refused.json()).toMatchObject({ code: 'ORT_MODEL_NOT_READY' });
    expect((await app.inject('/health/ready')).statusCode).toBe(503);

    await waitFor(() => app.models.get('fashion-cnn')?.state === 'failed', { what: 'fashion-cnn to be marked failed', deadlineMs: 30_000 });
    expect(pool.restarts).toBe(MAX_RESPAWN_FAILURES);
    const info = (await app.inject('/v1/models/fashion-cnn')).json();
    expect(info).toMatchObject({ state: 'failed', error: expect.stringMatching(new RegExp(`failed to load ${MAX_RESPAWN_FAILURES} times in a row`)) });
    expect(info.error).not.toContain(repo);
    expect((await classify()).json()).toMatchObject({ code: 'ORT_MODEL_NOT_READY' });
    expect(await restartsMetric(app, 'fashion-cnn')).toBe(MAX_RESPAWN_FAILURES);

    // A reload brings it back, and the restart count survives the new version.
    fs.writeFileSync(graph, bytes);
    expect((await app.models.load('fashion-cnn')).state).toBe('ready');
    expect((await classify()).statusCode).toBe(200);
    expect(await restartsMetric(app, 'fashion-cnn')).toBe(MAX_RESPAWN_FAILURES);
  }, 60_000);
});

describe('a broken invariant in one pool', () => {
  let app: FastifyInstance;
  let repo: string;
  beforeAll(async () => {
    repo = repository(['fashion-cnn', 'bert-mini-topics']);
    app = await testApp({ ORTSERVE_MODELS: repo });
  });
  afterAll(async () => {
    await app.close();
    fs.rmSync(repo, { recursive: true, force: true });
  });

  it('fails that model only: a reply to an unknown run marks it failed and the other model serves on', async () => {
    const { pool } = readyModel(app, 'fashion-cnn').runtime;
    const worker = (pool as unknown as { slots: { worker: Worker }[] }).slots[0]!.worker;
    // What a worker replying twice, or to a run it was never given, looks like to the pool.
    worker.emit('message', { type: 'error', id: -1, message: 'stray reply' });
    const entry = app.models.get('fashion-cnn');
    expect(entry).toMatchObject({ state: 'failed', error: expect.stringMatching(/unknown run -1\. This is a bug/) });
    expect((await app.inject({ method: 'POST', url: '/v1/models/fashion-cnn/classify', headers: { 'content-type': 'image/png' }, payload: await fashionPng(1) })).json()).toMatchObject({
      code: 'ORT_MODEL_NOT_READY',
    });
    const other = await app.inject({ method: 'POST', url: '/v1/models/bert-mini-topics/classify', payload: { inputs: 'a small furry animal that purrs', top_k: 1 } });
    expect(other.statusCode).toBe(200);
    expect(pool.readyInstances).toBe(0);
  });
});

describe('a worker that loads and dies before answering any work, again and again', () => {
  let app: FastifyInstance;
  let repo: string;
  beforeAll(async () => {
    repo = repository(['fashion-cnn']);
    app = await testApp({ ORTSERVE_MODELS: repo }, { faultInjection: true });
  });
  afterAll(async () => {
    await app.close();
    fs.rmSync(repo, { recursive: true, force: true });
  });

  it('counts each such death as a failed respawn: the model fails after the bound instead of respawning forever', async () => {
    const { pool } = readyModel(app, 'fashion-cnn').runtime;
    // Each respawned worker loads (ready) and is killed before it answers anything.
    for (let i = 0; i < MAX_RESPAWN_FAILURES + 1 && app.models.get('fashion-cnn')?.state === 'ready'; i++) {
      await waitFor(() => pool.readyInstances === 1 || app.models.get('fashion-cnn')?.state === 'failed', { what: `worker ready (round ${i})`, deadlineMs: 20_000 });
      if (app.models.get('fashion-cnn')?.state === 'failed') break;
      pool.crash(0);
      await waitFor(() => pool.readyInstances === 0, { what: `worker ${i} to exit` });
    }
    await waitFor(() => app.models.get('fashion-cnn')?.state === 'failed', { what: 'the model to be marked failed', deadlineMs: 20_000 });
    const info = (await app.inject('/v1/models/fashion-cnn')).json();
    expect(info.error).toMatch(/died \d+ times in a row before answering any work/);
  });
});
