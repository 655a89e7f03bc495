// The JavaScript fast path for small grey PNGs gives exactly the sharp pipeline's pixels, and
// everything it does not fit (colour, alpha, other sizes, a large declared size) goes to sharp.
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { fashionPng } from '../../scripts/lib/fixtures.ts';
import { imageToTensor } from '../../server/pipelines/image-io.ts';
import type { ImageSpec } from '../../server/repository/manifest.ts';

const SPEC: ImageSpec = { width: 28, height: 28, channels: 1, layout: 'NCHW', fit: 'contain', background: [0, 0, 0], invert: 'auto', scale: 1 / 255, mean: [0.286], std: [0.353] };
const limits = { maxPixels: 40_000_000 };

/** The same image, with an EXIF orientation of 1: the fast path never takes it, so this is sharp's answer. */
const viaSharp = async (png: Buffer) => imageToTensor(await sharp(png).withMetadata({ orientation: 1 }).png().toBuffer(), SPEC, limits);

describe('image-io', () => {
  it('decodes 28×28 grey PNGs (RGB-coded and one-channel, dark and inverted) exactly as sharp does', async () => {
    for (let i = 0; i < 20; i++) {
      const rgb = await fashionPng(i); // sharp writes the grey test image as RGB
      const grey = await sharp(rgb).greyscale().png().toBuffer();
      const light = await sharp(rgb).negate().png().toBuffer(); // a light background: "invert": "auto" inverts it
      for (const png of [rgb, grey, light]) expect(Array.from(await imageToTensor(png, SPEC, limits))).toEqual(Array.from(await viaSharp(png)));
    }
  });

  it('leaves colour, other sizes and bombs to sharp: 400 for broken data, 413 from the header', async () => {
    const colour = await sharp({ create: { width: 28, height: 28, channels: 3, background: { r: 200, g: 20, b: 20 } } })
      .png()
      .toBuffer();
    expect(Array.from(await imageToTensor(colour, SPEC, limits))).toEqual(Array.from(await viaSharp(colour)));
    const big = await sharp({ create: { width: 56, height: 56, channels: 3, background: '#777' } })
      .png()
      .toBuffer();
    expect((await imageToTensor(big, SPEC, limits)).length).toBe(28 * 28);
    const png = await fashionPng(3);
    await expect(imageToTensor(png.subarray(0, 60), SPEC, limits)).rejects.toMatchObject({ kind: 'invalid' });
    const bomb = Buffer.from(png);
    bomb.writeUInt32BE(20_000, 16);
    bomb.writeUInt32BE(20_000, 20);
    await expect(imageToTensor(bomb, SPEC, limits)).rejects.toMatchObject({ kind: 'too-large', width: 20_000, height: 20_000 });
  });
});
