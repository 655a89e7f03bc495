// A model's lifecycle: its initial load, loads and unloads take turns (two loads of one name
// never start two pools at once, and no pool is left running), and closing an app whose
// repository could not be read (what SIGTERM does) resolves instead of throwing.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { buildApp } from '../../server/app.ts';
import { loadConfig } from '../../server/config.ts';
import { RepositoryError } from '../../server/repository/repository.ts';
import { WorkerPool } from '../../server/runtime/worker-pool.ts';
import { MODELS } from '../helpers/app.ts';

describe('loads of one name', () => {
  let repo: string;
  beforeAll(() => {
    repo = fs.mkdtempSync(path.join(os.tmpdir(), 'ortserve-turns-'));
    fs.cpSync(path.join(MODELS, 'fashion-cnn'), path.join(repo, 'fashion-cnn'), { recursive: true });
  });
  afterAll(() => fs.rmSync(repo, { recursive: true, force: true }));
  afterEach(() => vi.restoreAllMocks());

  it('take turns with the initial load and each other, and every pool they start is stopped', async () => {
    const started = new Set<WorkerPool>();
    const closed = new Set<WorkerPool>();
    let starting = 0;
    let mostAtOnce = 0;
    // The originals, called with the spied pool as `this`.
    const start = Object.getOwnPropertyDescriptor(WorkerPool.prototype, 'start')!.value as (this: WorkerPool) => ReturnType<WorkerPool['start']>;
    const close = Object.getOwnPropertyDescriptor(WorkerPool.prototype, 'close')!.value as (this: WorkerPool) => Promise<void>;
    vi.spyOn(WorkerPool.prototype, 'start').mockImplementation(async function (this: WorkerPool) {
      started.add(this);
      mostAtOnce = Math.max(mostAtOnce, ++starting);
      try {
        return await start.call(this);
      } finally {
        starting--;
      }
    });
    vi.spyOn(WorkerPool.prototype, 'close').mockImplementation(function (this: WorkerPool) {
      closed.add(this);
      return close.call(this);
    });

    const app = await buildApp({ config: loadConfig([], { ORTSERVE_MODELS: repo }) });
    await app.ready();
    // Both loads are asked for while the initial load of the same model is under way.
    const loads = await Promise.all([app.models.load('fashion-cnn'), app.models.load('fashion-cnn'), app.models.unload('fashion-cnn'), app.models.load('fashion-cnn')]);
    await app.models.whenLoaded();
    expect(loads.map((m) => m?.state)).toEqual(['ready', 'ready', 'unavailable', 'ready']);
    expect(app.models.get('fashion-cnn')?.state).toBe('ready');
    expect(mostAtOnce).toBe(1);
    expect(started.size).toBe(4);
    await app.close();
    expect([...started].filter((p) => !closed.has(p))).toEqual([]);
  }, 60_000);
});

describe('a repository that cannot be read', () => {
  it('is a RepositoryError, and closing the app (as SIGTERM does) still resolves', async () => {
    const app = await buildApp({ config: loadConfig([], { ORTSERVE_MODELS: path.join(os.tmpdir(), 'ortserve-no-such-repository') }) });
    await expect(app.models.whenScanned()).rejects.toBeInstanceOf(RepositoryError);
    await expect(app.close()).resolves.toBeUndefined();
  });
});
