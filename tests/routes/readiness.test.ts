// One readiness rule for every probe: a ready model whose worker instances are all dead is not
// ready — not for REST /health/ready, V2 /v2/health/ready and model ready, gRPC ServerReady and
// ModelReady, nor grpc.health.v1. The model's only worker dies holding a request (fault
// injection) and its file is gone, so it cannot come back while the probes are asked.
import type { FastifyInstance } from 'fastify';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MODELS, readyModel, testApp } from '../helpers/app.ts';
import { grpcFor, type GrpcClient } from '../helpers/grpc.ts';
import { fashionPng } from '../helpers/images.ts';

describe('readiness with no live instance', () => {
  const repo = fs.mkdtempSync(path.join(os.tmpdir(), 'ortserve-ready-'));
  let app: FastifyInstance;
  let grpc: GrpcClient;
  beforeAll(async () => {
    fs.cpSync(path.join(MODELS, 'fashion-cnn'), path.join(repo, 'fashion-cnn'), { recursive: true });
    app = await testApp({ ORTSERVE_MODELS: repo, ORTSERVE_INSTANCES: '1' }, { faultInjection: true });
    grpc = await grpcFor(app);
  });
  afterAll(async () => {
    grpc?.close();
    await app?.close();
    fs.rmSync(repo, { recursive: true, force: true });
  });

  it('every probe says ready while the worker lives, and not ready once it is dead', async () => {
    const probes = async () => ({
      health: (await app.inject('/health/ready')).statusCode,
      v2: (await app.inject('/v2/health/ready')).statusCode,
      v2Model: (await app.inject('/v2/models/fashion-cnn/ready')).statusCode,
      serverReady: (await grpc.ok('ServerReady')).ready,
      modelReady: (await grpc.ok('ModelReady', { name: 'fashion-cnn', version: '' })).ready,
      grpcHealth: (await grpc.ok('Check', { service: '' })).status,
      grpcModelHealth: (await grpc.ok('Check', { service: 'fashion-cnn' })).status,
    });
    expect(await probes()).toEqual({ health: 200, v2: 200, v2Model: 200, serverReady: true, modelReady: true, grpcHealth: 'SERVING', grpcModelHealth: 'SERVING' });

    const { pool } = readyModel(app, 'fashion-cnn').runtime;
    // A respawn cannot load the model any more, so the instance stays dead.
    fs.rmSync(path.join(repo, 'fashion-cnn', 'model.onnx'));
    pool.crash(0, 'next-run');
    // The request the worker dies holding answers once the worker has exited: the event to wait on.
    const crashed = await app.inject({ method: 'POST', url: '/v1/models/fashion-cnn/classify', headers: { 'content-type': 'image/png' }, payload: await fashionPng(0) });
    expect(crashed.json()).toMatchObject({ statusCode: 503, code: 'ORT_WORKER_FAILED' });
    expect(pool.readyInstances).toBe(0);

    expect(await probes()).toEqual({ health: 503, v2: 503, v2Model: 503, serverReady: false, modelReady: false, grpcHealth: 'NOT_SERVING', grpcModelHealth: 'NOT_SERVING' });
    const health = (await app.inject('/health/ready')).json();
    expect(health.status).toBe('not ready');
    expect(['no live instance', 'failed']).toContain(health.models['fashion-cnn']);
  });
});
