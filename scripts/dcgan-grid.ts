// Draws the fashion-dcgan model card's sample grid through onnxruntime-node: one row per class,
// ten samples each (fixed seed), scaled ×2 → models/fashion-dcgan/samples.png.
import sharp from 'sharp';
import { createSession } from '../server/runtime/onnx.ts';
import { generate, generatorManifest, IMAGE_SIZE, latentsForSeeds, toPixels } from './lib/fashion.ts';
import { modelPath } from './lib/paths.ts';

const SEED = 2026;
const COLUMNS = 10;
const SCALE = 2;
const GAP = 2;

const manifest = generatorManifest();
const classes = manifest.labels.length;
const session = await createSession(modelPath('fashion-dcgan'));
const labels = Array.from({ length: classes * COLUMNS }, (_, i) => Math.floor(i / COLUMNS));
// Row c, column k: the image {"count": 10, "seed": SEED, "label": c} gives at position k.
const latents = latentsForSeeds(
  labels.map((_, i) => SEED + (i % COLUMNS)),
  manifest.latent_dim,
);
const pixels = toPixels(await generate(session, manifest, latents, labels, 50), manifest.output_range);
await session.release();

const cell = 28 * SCALE + GAP;
const width = COLUMNS * cell + GAP;
const height = classes * cell + GAP;
const canvas = new Uint8Array(width * height).fill(255);
labels.forEach((_, i) => {
  const x0 = GAP + (i % COLUMNS) * cell;
  const y0 = GAP + Math.floor(i / COLUMNS) * cell;
  for (let y = 0; y < 28 * SCALE; y++) {
    for (let x = 0; x < 28 * SCALE; x++) {
      const v = pixels[i * IMAGE_SIZE + Math.floor(y / SCALE) * 28 + Math.floor(x / SCALE)] ?? 0;
      canvas[(y0 + y) * width + x0 + x] = Math.round(v);
    }
  }
});
const out = modelPath('fashion-dcgan', 'samples.png');
await sharp(canvas, { raw: { width, height, channels: 1 } })
  .png()
  .toFile(out);
console.log(`wrote ${out} (${width}×${height}, rows: ${manifest.labels.join(', ')}; seed ${SEED})`);
