// Image decoding and encoding with sharp: guards against corrupt input and decompression
// bombs, converts any image to a model's input layout, and writes PNGs (single or grid).
import sharp, { type Metadata, type Sharp } from 'sharp';
import { Errors } from '../errors.ts';
import type { ImageSpec } from '../repository/manifest.ts';

sharp.cache(false);
sharp.concurrency(1);

export interface DecodeLimits {
  maxPixels: number;
}

async function open(buf: Buffer, label: string, limits: DecodeLimits): Promise<Sharp> {
  let meta: Metadata;
  try {
    // Reading the header is safe at any size; the pixel limit is checked below, before decoding.
    meta = await sharp(buf, { limitInputPixels: false }).metadata();
  } catch (err) {
    throw new Errors.INVALID_IMAGE(label, (err as Error).message);
  }
  const { width = 0, height = 0 } = meta;
  if (!width || !height) throw new Errors.INVALID_IMAGE(label, 'it has no dimensions');
  if (width * height > limits.maxPixels) throw new Errors.IMAGE_TOO_LARGE(label, width, height, limits.maxPixels);
  return sharp(buf, { limitInputPixels: limits.maxPixels, failOn: 'error' });
}

/** Mean of the outermost pixel ring of a raw image (first channel), 0..255. */
function borderMean(raw: Buffer, width: number, height: number, channels: number): number {
  let sum = 0;
  let n = 0;
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++)
      if (x === 0 || y === 0 || x === width - 1 || y === height - 1) {
        sum += raw[(y * width + x) * channels] ?? 0;
        n++;
      }
  return n === 0 ? 0 : sum / n;
}

/**
 * Decodes one image once (shrunk on load to at most 4× the model's size), decides on inversion
 * from its border, then resizes the raw pixels to the model's input and normalises them.
 * Returns one item, without a batch axis.
 */
export async function imageToTensor(buf: Buffer, label: string, spec: ImageSpec, limits: DecodeLimits): Promise<Float32Array> {
  const image = await open(buf, label, limits);
  const bg = spec.background ?? [0, 0, 0];
  const background = { r: bg[0] ?? 0, g: bg[1] ?? bg[0] ?? 0, b: bg[2] ?? bg[0] ?? 0 };
  try {
    // Transparent areas become white when inversion is possible (so they count as background).
    let decoder = image.rotate().flatten({ background: spec.invert === false ? background : '#ffffff' });
    decoder = spec.channels === 1 ? decoder.greyscale() : decoder.toColourspace('srgb');
    const decoded = await decoder
      .resize({ width: spec.width * 4, height: spec.height * 4, fit: 'inside', withoutEnlargement: true })
      .removeAlpha()
      .raw()
      .toBuffer({ resolveWithObject: true });
    const { width, height, channels } = decoded.info;
    const invert = spec.invert === 'auto' ? borderMean(decoded.data, width, height, channels) > 127 : spec.invert === true;
    if (invert) for (let i = 0; i < decoded.data.length; i++) decoded.data[i] = 255 - decoded.data[i]!;
    const { data, info } = await sharp(decoded.data, { raw: { width, height, channels } })
      .resize(spec.width, spec.height, { fit: spec.fit ?? 'fill', background })
      .raw()
      .toBuffer({ resolveWithObject: true });
    return normalise(data, info.channels, spec);
  } catch (err) {
    throw new Errors.INVALID_IMAGE(label, (err as Error).message);
  }
}

function normalise(raw: Buffer, rawChannels: number, spec: ImageSpec): Float32Array {
  const { width: w, height: h, channels: c } = spec;
  const scale = spec.scale ?? 1;
  const out = new Float32Array(c * h * w);
  const nchw = (spec.layout ?? 'NCHW') === 'NCHW';
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++)
      for (let ch = 0; ch < c; ch++) {
        const v = raw[(y * w + x) * rawChannels + Math.min(ch, rawChannels - 1)] ?? 0;
        const mean = spec.mean?.[ch] ?? spec.mean?.[0] ?? 0;
        const std = spec.std?.[ch] ?? spec.std?.[0] ?? 1;
        out[nchw ? ch * h * w + y * w + x : (y * w + x) * c + ch] = (v * scale - mean) / std;
      }
  return out;
}

/** Converts one CHW float image with values in `range` into 8-bit pixels (HWC). */
export function toPixels(chw: Float32Array, channels: number, height: number, width: number, range: [number, number]): Uint8Array {
  const [lo, hi] = range;
  const px = new Uint8Array(height * width * channels);
  for (let ch = 0; ch < channels; ch++)
    for (let i = 0; i < height * width; i++) {
      const v = ((chw[ch * height * width + i] ?? lo) - lo) / (hi - lo);
      px[i * channels + ch] = Math.round(Math.min(1, Math.max(0, v)) * 255);
    }
  return px;
}

/** Lays out equally sized HWC images in a grid with `cols` columns. */
export function grid(images: Uint8Array[], channels: number, height: number, width: number, cols: number): { data: Uint8Array; width: number; height: number } {
  const rows = Math.ceil(images.length / cols);
  const W = cols * width;
  const out = new Uint8Array(rows * height * W * channels);
  images.forEach((img, k) => {
    const ox = (k % cols) * width;
    const oy = Math.floor(k / cols) * height;
    for (let y = 0; y < height; y++) out.set(img.subarray(y * width * channels, (y + 1) * width * channels), ((oy + y) * W + ox) * channels);
  });
  return { data: out, width: W, height: rows * height };
}

export async function encodePng(px: Uint8Array, width: number, height: number, channels: number): Promise<Buffer> {
  return sharp(px, { raw: { width, height, channels: channels as 1 | 3 | 4 } }).png({ compressionLevel: 6 }).toBuffer();
}
