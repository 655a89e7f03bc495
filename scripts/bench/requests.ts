// What each model route is loaded with by the benchmark, tuning, overload and soak scripts: the
// path, the headers and a few bodies sent in turn.
import { fashionPng, loadGlossFixture } from '../lib/fixtures.ts';
import { multipart } from '../lib/multipart.ts';
import { SENTENCES } from './sentences.ts';

export interface RouteLoad {
  model: string;
  path: string;
  headers: Record<string, string>;
  bodies: (string | Buffer)[];
  /** Per-body headers (each multipart body has its own boundary). */
  bodyHeaders?: Record<string, string>[];
}

/** Fashion-MNIST test images 0–49, as a client would upload them. */
const UPLOADS = 50;
const pngs = () => Promise.all(Array.from({ length: UPLOADS }, (_, i) => fashionPng(i)));

const json = { 'content-type': 'application/json' };
const PROMPTS = ['The ', 'Q: ', 'You will ', 'A man ', 'Never '];
/** Tokens per non-streamed fortune-rnn generation: short, so one answer costs about one batched step loop. */
export const TEXT_TOKENS = 16;

export const ROUTE_LOADS = {
  /** fashion-cnn: one PNG per request as multipart/form-data, 50 different test images in turn. */
  classify: async (): Promise<RouteLoad> => {
    const forms = await Promise.all((await pngs()).map((data, i) => multipart([{ field: 'image', name: `item-${i}.png`, type: 'image/png', data }])));
    return { model: 'fashion-cnn', path: '/v1/models/fashion-cnn/classify', headers: {}, bodies: forms.map((f) => f.payload), bodyHeaders: forms.map((f) => f.headers) };
  },
  /** fashion-cnn: the PNG file as the raw body, 50 different test images in turn. */
  'classify-png': async (): Promise<RouteLoad> => ({ model: 'fashion-cnn', path: '/v1/models/fashion-cnn/classify', headers: { 'content-type': 'image/png' }, bodies: await pngs() }),
  /** bert-mini: one sentence of the 50-sentence list per request, in turn. */
  embed: async (): Promise<RouteLoad> => ({ model: 'bert-mini', path: '/v1/models/bert-mini/embed', headers: json, bodies: SENTENCES.map((s) => JSON.stringify({ inputs: s })) }),
  /** bert-mini-topics (zero-config): one held-out WordNet gloss per request, the first 50 of the test split in turn. */
  'classify-text': async (): Promise<RouteLoad> => ({
    model: 'bert-mini-topics',
    path: '/v1/models/bert-mini-topics/classify',
    headers: json,
    bodies: loadGlossFixture()
      .slice(0, 50)
      .map((e) => JSON.stringify({ inputs: e.text })),
  }),
  /** fashion-dcgan: one image per request, seeds 0..49. */
  'generate-image': async (): Promise<RouteLoad> => ({
    model: 'fashion-dcgan',
    path: '/v1/models/fashion-dcgan/generate',
    headers: json,
    bodies: Array.from({ length: 50 }, (_, i) => JSON.stringify({ count: 1, seed: i })),
  }),
  /** fortune-rnn: a short non-streamed generation, seeds 0..49. */
  'generate-text': async (): Promise<RouteLoad> => ({
    model: 'fortune-rnn',
    path: '/v1/models/fortune-rnn/generate',
    headers: json,
    bodies: Array.from({ length: 50 }, (_, i) => JSON.stringify({ prompt: PROMPTS[i % PROMPTS.length], max_tokens: TEXT_TOKENS, temperature: 0.8, seed: i })),
  }),
} as const;

export type RouteName = keyof typeof ROUTE_LOADS;

export const routeLoad = (name: RouteName): Promise<RouteLoad> => ROUTE_LOADS[name]();
