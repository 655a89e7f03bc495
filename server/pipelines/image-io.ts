// Image decoding and encoding: sharp (fast-png for small grey PNGs) turns an upload into a model's
// input row (the manifest's fit/invert rules, or a Hugging Face processor's resize → center crop),
// refusing corrupt input and, from the header before decoding, more pixels than allowed; it also
// writes PNGs (single or grid). Decoding runs inside the model's worker as its prepare step
// (image-prepare.ts); a refused upload throws an ImageProblem, which the main thread maps to a 4xx.
import { decode as decodePng } from 'fast-png';
import sharp, { type KernelEnum, type Metadata, type Sharp } from 'sharp';
import type { ImageSpec } from '../repository/manifest.ts';

sharp.cache(false);
sharp.concurrency(1);

export interface DecodeLimits {
  maxPixels: number;
}

/** Why an upload cannot be used: corrupt or not an image, or more pixels than allowed. */
export class ImageProblem extends Error {
  readonly kind: 'invalid' | 'too-large';
  readonly width: number;
  readonly height: number;

  constructor(kind: 'invalid' | 'too-large', message: string, width = 0, height = 0) {
    super(message);
    this.kind = kind;
    this.width = width;
    this.height = height;
  }
}

const KERNELS: Record<NonNullable<ImageSpec['resample']>, keyof KernelEnum> = { nearest: 'nearest', bilinear: 'linear', bicubic: 'cubic', lanczos: 'lanczos3' };

async function open(buf: Buffer, limits: DecodeLimits): Promise<{ image: Sharp; width: number; height: number }> {
  let meta: Metadata;
  try {
    // Reading the header is safe at any size; the pixel limit is checked below, before decoding.
    meta = await sharp(buf, { limitInputPixels: false }).metadata();
  } catch (err) {
    throw new ImageProblem('invalid', (err as Error).message);
  }
  const { width = 0, height = 0 } = meta;
  if (!width || !height) throw new ImageProblem('invalid', 'it has no dimensions');
  if (width * height > limits.maxPixels) throw new ImageProblem('too-large', 'too many pixels', width, height);
  // EXIF orientations 5–8 turn the image a quarter: its upright size has the sides swapped.
  const turned = (meta.orientation ?? 1) >= 5;
  return { image: sharp(buf, { limitInputPixels: limits.maxPixels, failOn: 'error' }), width: turned ? height : width, height: turned ? width : height };
}

/** Mean of the outermost pixel ring of a raw image (first channel), 0..255. */
function borderMean(raw: Uint8Array, width: number, height: number, channels: number): number {
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

/** Decodes one image into the model's input (one item, without a batch axis); throws ImageProblem. */
export async function imageToTensor(buf: Buffer, spec: ImageSpec, limits: DecodeLimits): Promise<Float32Array> {
  try {
    return spec.resize || spec.crop ? await processorTensor(await open(buf, limits), spec) : await fittedTensor(buf, spec, limits);
  } catch (err) {
    throw err instanceof ImageProblem ? err : new ImageProblem('invalid', (err as Error).message);
  }
}

/** Why sharp refused an upload: more pixels than allowed (read from the header alone), else its own message. */
async function explain(buf: Buffer, limits: DecodeLimits, err: unknown): Promise<ImageProblem> {
  const meta = await sharp(buf, { limitInputPixels: false })
    .metadata()
    .catch(() => undefined);
  const { width = 0, height = 0 } = meta ?? {};
  if (width * height > limits.maxPixels) return new ImageProblem('too-large', 'too many pixels', width, height);
  return new ImageProblem('invalid', meta && (!width || !height) ? 'it has no dimensions' : (err as Error).message);
}

/**
 * The manifest's rules: decode once, shrunk on load to at most 4× the model's size, invert when
 * the border says the background is light (if asked), fit into width × height. libvips refuses an
 * image over the pixel limit from its header, before decoding it; an image already at the model's
 * size (a 28×28 PNG for fashion-cnn) takes this one sharp pipeline and no other.
 */
async function fittedTensor(buf: Buffer, spec: ImageSpec, limits: DecodeLimits): Promise<Float32Array> {
  const grey = plainGreyPng(buf, spec);
  if (grey) return normalise(spec.invert === 'auto' && borderMean(grey, spec.width, spec.height, 1) > 127 ? grey.map((v) => 255 - v) : grey, 1, spec);
  const bg = spec.background ?? [0, 0, 0];
  const background = { r: bg[0] ?? 0, g: bg[1] ?? bg[0] ?? 0, b: bg[2] ?? bg[0] ?? 0 };
  // Transparent areas become white when inversion is possible (so they count as background).
  let decoder = sharp(buf, { limitInputPixels: limits.maxPixels, failOn: 'error' })
    .rotate()
    .flatten({ background: spec.invert === false ? background : '#ffffff' });
  decoder = spec.channels === 1 ? decoder.greyscale() : decoder.toColourspace('srgb');
  const decoded = await decoder
    .resize({ width: spec.width * 4, height: spec.height * 4, fit: 'inside', withoutEnlargement: true })
    .removeAlpha()
    .raw()
    .toBuffer({ resolveWithObject: true })
    .catch(async (err: unknown) => {
      throw await explain(buf, limits, err);
    });
  const { width, height, channels } = decoded.info;
  const invert = spec.invert === 'auto' ? borderMean(decoded.data, width, height, channels) > 127 : spec.invert === true;
  if (invert) for (let i = 0; i < decoded.data.length; i++) decoded.data[i] = 255 - decoded.data[i]!;
  if (width === spec.width && height === spec.height) return normalise(decoded.data, channels, spec);
  const { data, info } = await sharp(decoded.data, { raw: { width, height, channels } })
    .resize(spec.width, spec.height, { fit: spec.fit ?? 'fill', background })
    .raw()
    .toBuffer({ resolveWithObject: true });
  return normalise(data, info.channels, spec);
}

/**
 * An 8-bit PNG of grey pixels (colour type grey, or RGB with R = G = B) with no alpha, colour
 * profile or EXIF, already at a one-channel model's size: decoded in JavaScript (fast-png), since
 * libvips' per-call cost is most of the work for a 28×28 image. Its pixels are exactly what the
 * sharp pipeline gives for it (tests/unit/image-io.test.ts); anything else goes to sharp. The
 * size is read from the header first, so nothing large is decoded here.
 */
function plainGreyPng(buf: Buffer, spec: ImageSpec): Buffer | undefined {
  const header = buf.length > 29 && buf.readUInt32BE(0) === 0x89504e47 && buf.toString('latin1', 12, 16) === 'IHDR';
  if (!header || spec.channels !== 1 || buf.readUInt32BE(16) !== spec.width || buf.readUInt32BE(20) !== spec.height) return undefined;
  const colour = buf[25];
  if (buf[24] !== 8 || (colour !== 0 && colour !== 2) || ['eXIf', 'iCCP', 'tRNS', 'sRGB', 'gAMA', 'cHRM'].some((c) => buf.includes(c, 33, 'latin1'))) return undefined;
  const { data, channels } = decodePng(buf);
  if (channels === 1) return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  const grey = Buffer.alloc(data.length / 3);
  for (let i = 0; i < grey.length; i++) {
    const v = data[3 * i]!;
    if (data[3 * i + 1] !== v || data[3 * i + 2] !== v) return undefined; // a colour image: sharp converts it
    grey[i] = v;
  }
  return grey;
}

/** The resized size before cropping, as Hugging Face image processors compute it. */
export function resizedSize(width: number, height: number, spec: ImageSpec): { width: number; height: number } {
  const r = spec.resize;
  if (!r) return { width, height };
  if ('height' in r) return { width: r.width, height: r.height };
  // The shortest edge becomes shortest_edge; the other keeps the aspect ratio, truncated (int()).
  const short = Math.min(width, height);
  const long = Math.floor((r.shortest_edge * Math.max(width, height)) / short);
  return width <= height ? { width: r.shortest_edge, height: long } : { width: long, height: r.shortest_edge };
}

/** A Hugging Face processor's steps: RGB, resize (its resample), center crop, then rescale and normalise. */
async function processorTensor({ image, width, height }: { image: Sharp; width: number; height: number }, spec: ImageSpec): Promise<Float32Array> {
  const size = resizedSize(width, height, spec);
  const crop = spec.crop ?? size;
  if (crop.width > size.width || crop.height > size.height) throw new ImageProblem('invalid', `it is ${size.width}×${size.height} after resizing, smaller than the ${crop.width}×${crop.height} crop`);
  let pipeline = image.rotate();
  pipeline = spec.channels === 1 ? pipeline.greyscale() : pipeline.toColourspace('srgb');
  const { data, info } = await pipeline
    .removeAlpha()
    .resize(size.width, size.height, { fit: 'fill', kernel: KERNELS[spec.resample ?? 'bilinear'] })
    .extract({ left: Math.floor((size.width - crop.width) / 2), top: Math.floor((size.height - crop.height) / 2), width: crop.width, height: crop.height })
    .raw()
    .toBuffer({ resolveWithObject: true });
  return normalise(data, info.channels, spec);
}

function normalise(raw: Uint8Array, rawChannels: number, spec: ImageSpec): Float32Array {
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
  return sharp(px, { raw: { width, height, channels: channels as 1 | 3 | 4 } })
    .png({ compressionLevel: 6 })
    .toBuffer();
}
