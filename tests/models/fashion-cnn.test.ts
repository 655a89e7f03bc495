// fashion-cnn through onnxruntime-node on the committed first 1,000 Fashion-MNIST test images.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSession, type Session } from '../../server/runtime/onnx.ts';
import {
  argmaxRows, classifierManifest, classify, IMAGE_SIZE, maxAbsDifference, normalise,
} from '../../scripts/lib/fashion.ts';
import { modelPath } from '../../scripts/lib/paths.ts';
import { FASHION_FIXTURE_COUNT, loadFashionFixture } from '../../scripts/lib/fixtures.ts';

const COUNT = FASHION_FIXTURE_COUNT;

describe('fashion-cnn', () => {
  const manifest = classifierManifest();
  const fixture = loadFashionFixture();
  const input = normalise(fixture.images, manifest.image);
  let session: Session;

  beforeAll(async () => {
    session = await createSession(modelPath('fashion-cnn'));
  });
  afterAll(async () => {
    await session.release();
  });

  it('declares the tensors the session has', () => {
    expect(manifest.labels).toHaveLength(10);
    expect(session.inputs.map((i) => i.name)).toEqual([manifest.inputs.pixels]);
    expect(session.inputs[0]?.shape).toEqual([-1, 1, 28, 28]);
    expect(session.outputs.map((o) => o.name)).toEqual([manifest.outputs.scores]);
  });

  it('classifies at least 92 % of the 1,000 fixture images correctly', async () => {
    const logits = await classify(session, manifest, input, { count: COUNT, batchSize: 100 });
    const predictions = argmaxRows(logits, manifest.labels.length);
    const correct = predictions.filter((p, i) => p === fixture.labels[i]).length;
    expect(correct / COUNT).toBeGreaterThanOrEqual(0.92);
  });

  it('gives the same logits at batch 1 and batch 8', async () => {
    const subset = input.subarray(0, 8 * IMAGE_SIZE);
    const one = await classify(session, manifest, subset, { count: 8, batchSize: 1 });
    const eight = await classify(session, manifest, subset, { count: 8, batchSize: 8 });
    expect(maxAbsDifference(one, eight)).toBeLessThan(1e-4);
  });
});
