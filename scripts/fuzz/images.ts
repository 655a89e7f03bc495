// Image bodies for fuzzing: valid PNG/JPEG/WebP/GIF/TIFF/SVG files made from a Fashion-MNIST
// image, and the same files bit-flipped, truncated, spliced, or with headers claiming absurd sizes.
import zlib from 'node:zlib';
import fc from 'fast-check';
import sharp from 'sharp';
import { fashionPng } from '../lib/fixtures.ts';

export interface ImageSeeds {
  png: Buffer;
  jpeg: Buffer;
  webp: Buffer;
  /** Every valid file, including GIF, TIFF, SVG and a large RGBA PNG. */
  all: Buffer[];
}

const SVGS = [
  '<svg xmlns="http://www.w3.org/2000/svg" width="28" height="28"><circle cx="14" cy="14" r="9" fill="#fff"/></svg>',
  '<svg xmlns="http://www.w3.org/2000/svg" width="100000" height="100000"><rect width="1" height="1"/></svg>',
  '<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="28" height="28"><image xlink:href="file:///etc/passwd" width="28" height="28"/></svg>',
  '<?xml version="1.0"?><!DOCTYPE s [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;"><!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;"><!ENTITY e "&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;">]><svg xmlns="http://www.w3.org/2000/svg" width="28" height="28"><text>&e;&e;&e;&e;&e;&e;&e;&e;</text></svg>',
];

/** Builds the valid files once (sharp encodes them from fixture image 0). */
export async function loadImageSeeds(): Promise<ImageSeeds> {
  const png = await fashionPng(0);
  const image = () => sharp(png);
  const [jpeg, webp, tiff] = await Promise.all([image().jpeg().toBuffer(), image().webp().toBuffer(), image().tiff().toBuffer()]);
  const gif = await image()
    .gif()
    .toBuffer()
    .catch(() => undefined);
  const rgba = await sharp({ create: { width: 640, height: 480, channels: 4, background: { r: 250, g: 250, b: 250, alpha: 0.3 } } })
    .png()
    .toBuffer();
  const all = [png, jpeg, webp, tiff, rgba, ...(gif ? [gif] : []), ...SVGS.map((s) => Buffer.from(s))];
  return { png, jpeg, webp, all };
}

/** A PNG whose IHDR claims width × height (CRC recomputed unless `badCrc`). */
export function pngWithSize(png: Buffer, width: number, height: number, badCrc = false): Buffer {
  const out = Buffer.from(png);
  out.writeUInt32BE(width >>> 0, 16);
  out.writeUInt32BE(height >>> 0, 20);
  out.writeUInt32BE((zlib.crc32(out.subarray(12, 29)) ^ (badCrc ? 1 : 0)) >>> 0, 29);
  return out;
}

/** A JPEG whose first SOF marker claims width × height (16 bits each). */
export function jpegWithSize(jpeg: Buffer, width: number, height: number): Buffer {
  const out = Buffer.from(jpeg);
  for (let i = 2; i + 8 < out.length; i++) {
    if (out[i] === 0xff && out[i + 1]! >= 0xc0 && out[i + 1]! <= 0xc3) {
      out.writeUInt16BE(height & 0xffff, i + 5);
      out.writeUInt16BE(width & 0xffff, i + 7);
      break;
    }
  }
  return out;
}

/** A lossy WebP ('VP8 ' or 'VP8X' chunk) whose header claims width × height. */
export function webpWithSize(webp: Buffer, width: number, height: number): Buffer {
  const out = Buffer.from(webp);
  const chunk = out.toString('latin1', 12, 16);
  if (chunk === 'VP8 ') {
    out.writeUInt16LE(width & 0x3fff, 26);
    out.writeUInt16LE(height & 0x3fff, 28);
  } else if (chunk === 'VP8X') {
    out.writeUIntLE((width - 1) & 0xffffff, 24, 3);
    out.writeUIntLE((height - 1) & 0xffffff, 27, 3);
  }
  return out;
}

const dimension = fc.oneof(fc.constantFrom(0, 1, 7000, 20_000, 65_535, 100_000, 2 ** 31 - 1, 2 ** 32 - 1), fc.nat({ max: 2 ** 32 - 1 }));

const MAGIC = ['\x89PNG\r\n\x1a\n', '\xff\xd8\xff\xe0', 'RIFF\x00\x00\x00\x00WEBPVP8 ', 'GIF89a', 'II*\x00', 'MM\x00*', '<svg ', '<?xml ', 'BM', '\x00\x00\x00\x0cjP  '].map((m) =>
  Buffer.from(m, 'latin1'),
);

/** Image-like bytes: nearly half valid files, the rest damaged or lying variants of them, or noise. */
export function imageBytes(seeds: ImageSeeds): fc.Arbitrary<Buffer> {
  const seed = fc.constantFrom(...seeds.all);
  return fc.oneof(
    { weight: 12, arbitrary: seed },
    {
      weight: 4,
      arbitrary: fc.tuple(seed, fc.array(fc.record({ at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }), { minLength: 1, maxLength: 16 })).map(([s, flips]) => {
        const out = Buffer.from(s);
        for (const f of flips) out[f.at % out.length]! ^= 1 << f.bit;
        return out;
      }),
    },
    { weight: 3, arbitrary: fc.tuple(seed, fc.nat()).map(([s, n]) => s.subarray(0, n % s.length)) },
    {
      weight: 2,
      arbitrary: fc.tuple(seed, fc.nat(), fc.uint8Array({ minLength: 1, maxLength: 64 })).map(([s, at, junk]) => Buffer.concat([s.subarray(0, at % s.length), junk, s.subarray(at % s.length)])),
    },
    { weight: 2, arbitrary: fc.tuple(dimension, dimension, fc.boolean()).map(([w, h, bad]) => pngWithSize(seeds.png, w, h, bad)) },
    { weight: 1, arbitrary: fc.tuple(dimension, dimension).map(([w, h]) => jpegWithSize(seeds.jpeg, w, h)) },
    { weight: 1, arbitrary: fc.tuple(dimension, dimension).map(([w, h]) => webpWithSize(seeds.webp, w, h)) },
    { weight: 2, arbitrary: fc.tuple(fc.constantFrom(...MAGIC), fc.uint8Array({ maxLength: 512 })).map(([m, rest]) => Buffer.concat([m, rest])) },
    { weight: 1, arbitrary: fc.uint8Array({ maxLength: 2048 }).map((b) => Buffer.from(b)) },
  );
}
