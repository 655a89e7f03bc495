// fashion-dcgan through onnxruntime-node: fashion-cnn recognises the requested class, samples vary.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSession, type Session } from '../../server/runtime/onnx.ts';
import {
  argmaxRows, classifierManifest, classify, generate, generatorManifest, IMAGE_SIZE, latentsForSeeds,
  maxAbsDifference, meanPairwiseDistance, normalise, toPixels,
} from '../../scripts/lib/fashion.ts';
import { modelPath } from '../../scripts/lib/paths.ts';
import { loadFashionFixture } from '../../scripts/lib/fixtures.ts';

const PER_CLASS = 20;

describe('fashion-dcgan', () => {
  const gen = generatorManifest();
  const cnn = classifierManifest();
  const classes = gen.labels.length;
  const labels = Array.from({ length: classes * PER_CLASS }, (_, i) => i % classes);
  const latents = latentsForSeeds(labels.map((_, i) => 11 + i), gen.latent_dim);
  let generator: Session;
  let classifier: Session;
  let images: Float32Array;

  beforeAll(async () => {
    generator = await createSession(modelPath('fashion-dcgan'));
    classifier = await createSession(modelPath('fashion-cnn'));
    images = await generate(generator, gen, latents, labels, 50);
  });
  afterAll(async () => {
    await generator.release();
    await classifier.release();
  });

  it('declares the tensors the session has and stays in its output range', () => {
    expect(generator.inputs.map((i) => i.name).sort()).toEqual([gen.inputs.label, gen.inputs.latent].sort());
    expect(generator.outputs.map((o) => o.name)).toEqual([gen.outputs.image]);
    expect(images.length).toBe(labels.length * IMAGE_SIZE);
    const [lo, hi] = gen.output_range;
    const slack = 1e-6; // onnxruntime's float32 tanh can overshoot ±1 by one ulp
    expect(images.every((v) => v >= lo - slack && v <= hi + slack)).toBe(true);
  });

  it('makes samples that fashion-cnn recognises as the requested class at least 85 % of the time', async () => {
    const pixels = toPixels(images, gen.output_range);
    const logits = await classify(classifier, cnn, normalise(pixels, cnn.image), { count: labels.length, batchSize: 100 });
    const predictions = argmaxRows(logits, classes);
    const hits = predictions.filter((p, i) => p === labels[i]).length;
    expect(hits / labels.length).toBeGreaterThanOrEqual(0.85);
  });

  it('varies within a class about as much as real images do', () => {
    const pixels = toPixels(images, gen.output_range);
    const real = loadFashionFixture();
    for (let c = 0; c < classes; c++) {
      const generated = labels.map((_, i) => i).filter((i) => labels[i] === c);
      const realOfClass = Array.from(real.labels.keys()).filter((i) => real.labels[i] === c).slice(0, PER_CLASS);
      const ratio = meanPairwiseDistance(pixels, generated) / meanPairwiseDistance(real.images, realOfClass);
      expect(ratio, `class ${c}`).toBeGreaterThan(0.5);
    }
  });

  it('gives the same images at batch 1 and batch 8', async () => {
    const first = labels.slice(0, 8);
    const z = latents.subarray(0, 8 * gen.latent_dim);
    const one = await generate(generator, gen, z, first, 1);
    const eight = await generate(generator, gen, z, first, 8);
    expect(maxAbsDifference(one, eight)).toBeLessThan(1e-4);
  });
});
