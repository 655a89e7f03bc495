// The manifest's image spec from preprocessor_config.json, following transformers' image processors: resize
// (size as height/width, shortest_edge or a bare int; ConvNeXt's crop_pct), center crop, rescale, normalise.
import type { ImageSpec } from '../manifest.ts';
import { field, isBoolean, isNumber, isObject, isPositiveInt, isString, type JsonObject } from './json.ts';

const FILE = 'preprocessor_config.json';
/** PIL's resampling codes (transformers stores them as `resample`). */
const RESAMPLE: Record<number, NonNullable<ImageSpec['resample']>> = { 0: 'nearest', 1: 'lanczos', 2: 'bilinear', 3: 'bicubic' };
/** Processors whose bare-int `size` means the shortest edge (get_size_dict(default_to_square=False)); others mean a square. */
const SHORTEST_EDGE_PROCESSORS = /^(ConvNext|CLIP|BiT|MobileNetV1|MobileNetV2|MobileViT|LeViT)/;
/** ConvNeXt resizes then crops below this size, and warps to a square from it on. */
const CONVNEXT_CROP_BELOW = 384;

type Box = { height: number; width: number };
type Size = Box | { shortest_edge: number };

function readSize(pre: JsonObject, key: string, intIsEdge: boolean): Size | undefined {
  const value = pre[key];
  if (value === undefined || value === null) return undefined;
  if (isPositiveInt(value)) return intIsEdge ? { shortest_edge: value } : { height: value, width: value };
  if (isObject(value) && isPositiveInt(value.height) && isPositiveInt(value.width)) return { height: value.height, width: value.width };
  if (isObject(value) && isPositiveInt(value.shortest_edge) && value.longest_edge == null) return { shortest_edge: value.shortest_edge };
  throw new Error(`${FILE}: "${key}" must be a positive integer, {"height", "width"} or {"shortest_edge"}`);
}

function readTriple(pre: JsonObject, key: string): number[] | undefined {
  const value = field(pre, key, FILE, (v): v is number[] => Array.isArray(v) && v.every(isNumber) && (v.length === 1 || v.length === 3), 'a list of 1 or 3 numbers');
  if (key === 'image_std' && value?.some((s) => s === 0)) throw new Error(`${FILE}: "image_std" must not contain 0`);
  return value;
}

export interface ImageDerivation {
  spec: ImageSpec;
  warnings: string[];
}

/** The image spec, or a string saying why the preprocessing cannot be expressed (the model then falls back to V2). */
export function deriveImageSpec(pre: JsonObject): ImageDerivation | string {
  const flag = (key: string, fallback: boolean) => field(pre, key, FILE, isBoolean, 'true or false') ?? fallback;
  const processor = field(pre, 'image_processor_type', FILE, isString, 'a string') ?? field(pre, 'feature_extractor_type', FILE, isString, 'a string') ?? '';
  const doResize = flag('do_resize', true);
  const size = doResize ? readSize(pre, 'size', SHORTEST_EDGE_PROCESSORS.test(processor)) : undefined;
  if (doResize && !size) return `${FILE} has do_resize but no "size"`;
  let resize: Size | undefined = size;
  let crop: Box | undefined;
  const cropPct = field(pre, 'crop_pct', FILE, (v): v is number => isNumber(v) && v > 0 && v <= 1, 'a number in (0, 1]');
  if (size && 'shortest_edge' in size && cropPct !== undefined) {
    const edge = size.shortest_edge;
    resize = edge < CONVNEXT_CROP_BELOW ? { shortest_edge: Math.floor(edge / cropPct) } : { height: edge, width: edge };
    crop = edge < CONVNEXT_CROP_BELOW ? { height: edge, width: edge } : undefined;
  }
  if (flag('do_center_crop', false)) {
    const cropSize = readSize(pre, 'crop_size', false);
    if (!cropSize || !('height' in cropSize)) throw new Error(`${FILE}: do_center_crop is true but "crop_size" gives no height and width`);
    crop = cropSize;
  }
  const final = crop ?? (resize && 'height' in resize ? resize : undefined);
  if (!final) {
    return resize ? `${FILE}: size.shortest_edge without a center crop makes images of varying size` : `${FILE}: do_resize is false and there is no crop, so the input size is unknown`;
  }
  const warnings: string[] = [];
  const code = field(pre, 'resample', FILE, (v): v is number => Number.isInteger(v), 'a PIL resampling code');
  const resample = code === undefined ? 'bilinear' : RESAMPLE[code];
  if (!resample) warnings.push(`${FILE}: resample ${code} is not supported (0 nearest, 1 lanczos, 2 bilinear, 3 bicubic); using bilinear`);
  const scale = flag('do_rescale', true) ? (field(pre, 'rescale_factor', FILE, isNumber, 'a number') ?? 1 / 255) : 1;
  const normalize = flag('do_normalize', true);
  const mean = normalize ? readTriple(pre, 'image_mean') : undefined;
  const std = normalize ? readTriple(pre, 'image_std') : undefined;
  if (normalize && (!mean || !std)) return `${FILE}: do_normalize without "image_mean" and "image_std"`;
  const spec: ImageSpec = {
    width: final.width,
    height: final.height,
    channels: 3,
    layout: 'NCHW',
    fit: 'fill',
    invert: false,
    scale,
    ...(mean && std ? { mean, std } : {}),
    ...(resize ? { resize } : {}),
    ...(crop ? { crop } : {}),
    resample: resample ?? 'bilinear',
  };
  return { spec, warnings };
}
