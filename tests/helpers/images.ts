// Test images: Fashion-MNIST test images from the committed fixture, and crafted bad files.
import zlib from 'node:zlib';
import sharp from 'sharp';

export { fashionPng, fashionSample } from '../../scripts/lib/fixtures.ts';

/** A valid tiny PNG whose header claims width × height (a decompression bomb's signature). */
export async function bombPng(width = 20000, height = 20000): Promise<Buffer> {
  const png = Buffer.from(
    await sharp({ create: { width: 8, height: 8, channels: 3, background: '#000' } } as never)
      .png()
      .toBuffer(),
  );
  // IHDR data starts at byte 16: width (4), height (4), ...; its CRC covers type + data (17 bytes).
  png.writeUInt32BE(width, 16);
  png.writeUInt32BE(height, 20);
  png.writeUInt32BE(zlib.crc32(png.subarray(12, 29)), 29);
  return png;
}
