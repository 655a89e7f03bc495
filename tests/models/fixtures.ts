// Loaders for the committed model-test fixtures under tests/fixtures/.
import { readFileSync } from 'node:fs';
import { IMAGE_SIZE } from '../../scripts/lib/fashion.ts';
import { FIXTURES_DIR } from '../../scripts/lib/paths.ts';

export const FASHION_FIXTURE_COUNT = 1000;

/** fashion-mnist-test-1000.bin: the first 1,000 test images (uint8 28×28), then their 1,000 labels. */
export function loadFashionFixture(): { images: Uint8Array; labels: Uint8Array } {
  const bytes = new Uint8Array(readFileSync(`${FIXTURES_DIR}/fashion-mnist-test-1000.bin`));
  const count = FASHION_FIXTURE_COUNT;
  if (bytes.length !== count * (IMAGE_SIZE + 1)) throw new Error('fashion-mnist fixture has the wrong size');
  return { images: bytes.subarray(0, count * IMAGE_SIZE), labels: bytes.subarray(count * IMAGE_SIZE) };
}

/** fortune-heldout.txt: the held-out fortunes (every 20th of the corpus), about 130 kB. */
export function loadFortuneFixture(): string {
  return readFileSync(`${FIXTURES_DIR}/fortune-heldout.txt`, 'utf8');
}
