// Hugging Face image classifiers served with no manifest: config.json + preprocessor_config.json
// decide resize (shortest edge with crop_pct, or an exact size), center crop, resample, rescale and
// normalisation. The fixtures' graphs return each channel's spatial mean, so the expected scores
// follow from the images' geometry alone, computed here without the server.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resizedSize } from '../../server/pipelines/image-io.ts';
import { ROOT, testApp } from '../helpers/app.ts';

const HF = path.join(ROOT, 'tests/fixtures/hf');
const png = (name: string) => fs.readFileSync(path.join(HF, 'image-classifier', name));
const softmax = (xs: number[]) => {
  const e = xs.map((x) => Math.exp(x - Math.max(...xs)));
  return e.map((v) => v / e.reduce((a, b) => a + b, 0));
};

/** Expected logits: (channel mean / 255 − mean) / std, from [share, red, green] of each colour in the crop. */
function expected(shares: [number, number, number][], mean: number[], std: number[]): number[] {
  return [0, 1, 2].map((c) => {
    const value = shares.reduce((s, [share, r, g]) => s + share * [r, g, 0][c]!, 0);
    return (value / 255 - mean[c]!) / std[c]!;
  });
}

describe('resizedSize (Hugging Face get_resize_output_image_size)', () => {
  it('scales the shortest edge and truncates the other; an exact size ignores the aspect ratio', () => {
    const spec = { width: 32, height: 32, channels: 3 as const, resize: { shortest_edge: 36 } };
    expect(resizedSize(144, 72, spec)).toEqual({ width: 72, height: 36 });
    expect(resizedSize(100, 333, spec)).toEqual({ width: 36, height: 119 }); // int(36 × 333 / 100) = 119
    expect(resizedSize(144, 72, { ...spec, resize: { height: 24, width: 24 } })).toEqual({ width: 24, height: 24 });
  });
});

describe('zero-config Hugging Face image classifiers', () => {
  let app: FastifyInstance;
  beforeAll(async () => {
    const repo = fs.mkdtempSync(path.join(os.tmpdir(), 'ortserve-hf-image-'));
    for (const name of ['image-classifier', 'image-classifier-vit']) fs.cpSync(path.join(HF, name), path.join(repo, name), { recursive: true });
    app = await testApp({ ORTSERVE_MODELS: repo });
  });
  afterAll(async () => {
    await app.close();
  });

  const classify = async (model: string, image: Buffer) => {
    const r = await app.inject({ method: 'POST', url: `/v1/models/${model}/classify?top_k=3`, headers: { 'content-type': 'image/png' }, payload: image });
    expect(r.statusCode, r.body).toBe(200);
    const predictions = r.json().results[0].predictions as { label: string; score: number }[];
    return ['red', 'green', 'blue'].map((l) => predictions.find((p) => p.label === l)!.score);
  };

  it('ConvNeXt: shortest edge 32 / crop_pct 0.875 → 36, bicubic, center crop 32², ImageNet mean/std', async () => {
    const mean = [0.485, 0.456, 0.406];
    const std = [0.229, 0.224, 0.225];
    const solid = await classify('image-classifier', png('solid.png')); // 16×16 of (200, 100, 50)
    const solidLogits = [200, 100, 50].map((v, c) => (v / 255 - mean[c]!) / std[c]!);
    softmax(solidLogits).forEach((p, c) => expect(solid[c]).toBeCloseTo(p, 3));
    // stripes.png: 144×72, x < 48 red. Resized to 72×36 the red part is x < 24; the 32-wide crop
    // starts at x = (72 − 32) / 2 = 20, so 4 of its 32 columns are red.
    const stripes = await classify('image-classifier', png('stripes.png'));
    const logits = expected(
      [
        [4 / 32, 255, 0],
        [28 / 32, 0, 255],
      ],
      mean,
      std,
    );
    softmax(logits).forEach((p, c) => expect(stripes[c]).toBeCloseTo(p, 2));
  });

  it('ViT: an exact 24×24 resize (no crop, aspect ratio not kept), mean and std 0.5', async () => {
    const mean = [0.5, 0.5, 0.5];
    const std = [0.5, 0.5, 0.5];
    const stripes = await classify('image-classifier-vit', png('stripes.png'));
    // The whole image is kept: a third red, two thirds green.
    softmax(
      expected(
        [
          [1 / 3, 255, 0],
          [2 / 3, 0, 255],
        ],
        mean,
        std,
      ),
    ).forEach((p, c) => expect(stripes[c]).toBeCloseTo(p, 2));
  });

  it('is listed as an image classifier with the labels of its config.json', async () => {
    const info = (await app.inject('/v1/models/image-classifier')).json();
    expect(info).toMatchObject({ task: 'image-classification', state: 'ready', labels: ['red', 'green', 'blue'] });
  });
});
