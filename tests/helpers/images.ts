// Test images: Fashion-MNIST test images from the committed fixture, as PNGs, and crafted bad files.
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import sharp from 'sharp';
import { ROOT } from './app.ts';

const FIXTURE = path.join(ROOT, 'tests/fixtures/fashion-mnist-test-1000.bin');

/** The fixture holds 1000 images of 28×28 bytes followed by their 1000 labels (written by scripts/train/fashion_cnn.py). */
export function fashionSample(i: number): { label: number; pixels: Buffer } {
  const buf = fs.readFileSync(FIXTURE);
  const n = 1000;
  return { label: buf[n * 784 + i]!, pixels: buf.subarray(i * 784, (i + 1) * 784) };
}

export function fashionPng(i: number): Promise<Buffer> {
  return sharp(fashionSample(i).pixels, { raw: { width: 28, height: 28, channels: 1 } }).png().toBuffer();
}

/** A valid tiny PNG whose header claims width × height (a decompression bomb's signature). */
export async function bombPng(width = 20000, height = 20000): Promise<Buffer> {
  const png = Buffer.from(await sharp({ create: { width: 8, height: 8, channels: 3, background: '#000' } } as never).png().toBuffer());
  // IHDR data starts at byte 16: width (4), height (4), ...; its CRC covers type + data (17 bytes).
  png.writeUInt32BE(width, 16);
  png.writeUInt32BE(height, 20);
  png.writeUInt32BE(zlib.crc32(png.subarray(12, 29)), 29);
  return png;
}
