// Loaders for the committed fixtures under tests/fixtures/, shared by tests, evals and benchmarks.
import { readFileSync } from 'node:fs';
import sharp from 'sharp';
import { IMAGE_SIZE } from './fashion.ts';
import { FIXTURES_DIR } from './paths.ts';

export const FASHION_FIXTURE_COUNT = 1000;

let fashion: { images: Uint8Array; labels: Uint8Array } | undefined;

/** fashion-mnist-test-1000.bin: the first 1,000 test images (uint8 28×28), then their 1,000 labels. Read once. */
export function loadFashionFixture(): { images: Uint8Array; labels: Uint8Array } {
  if (fashion) return fashion;
  const bytes = new Uint8Array(readFileSync(`${FIXTURES_DIR}/fashion-mnist-test-1000.bin`));
  const count = FASHION_FIXTURE_COUNT;
  if (bytes.length !== count * (IMAGE_SIZE + 1)) throw new Error('fashion-mnist fixture has the wrong size');
  fashion = { images: bytes.subarray(0, count * IMAGE_SIZE), labels: bytes.subarray(count * IMAGE_SIZE) };
  return fashion;
}

/** Test image `i` of the fixture: its label and its 28×28 grey pixels. */
export function fashionSample(i: number): { label: number; pixels: Buffer } {
  const { images, labels } = loadFashionFixture();
  return { label: labels[i]!, pixels: Buffer.from(images.subarray(i * IMAGE_SIZE, (i + 1) * IMAGE_SIZE)) };
}

/** Test image `i` as a PNG file, as a client would upload it. */
export function fashionPng(i: number): Promise<Buffer> {
  return sharp(fashionSample(i).pixels, { raw: { width: 28, height: 28, channels: 1 } })
    .png()
    .toBuffer();
}

/** A held-out WordNet noun gloss and its lexicographer-file topic (gloss-test.jsonl). */
export interface GlossExample {
  synset: string;
  text: string;
  label: string;
}

/** gloss-test.jsonl: bert-mini-topics' test split (3,000 glosses, never trained on). */
export function loadGlossFixture(): GlossExample[] {
  return readFileSync(`${FIXTURES_DIR}/gloss-test.jsonl`, 'utf8')
    .split('\n')
    .filter((l) => l.length > 0)
    .map((l) => JSON.parse(l) as GlossExample);
}

/** fortune-heldout.txt: the held-out fortunes (every 20th of the corpus), about 130 kB. */
export function loadFortuneFixture(): string {
  return readFileSync(`${FIXTURES_DIR}/fortune-heldout.txt`, 'utf8');
}
