// What each model route is loaded with by the benchmark, tuning, overload and soak scripts: the
// path, the headers and a few bodies sent in turn.
import { fashionPng } from '../lib/fixtures.ts';
import { multipart } from '../lib/multipart.ts';
import { SENTENCES } from './sentences.ts';

export interface RouteLoad {
  model: string;
  path: string;
  headers: Record<string, string>;
  bodies: (string | Buffer)[];
}

const json = { 'content-type': 'application/json' };
const PROMPTS = ['The ', 'Q: ', 'You will ', 'A man ', 'Never '];
/** Tokens per non-streamed fortune-rnn generation: short, so one answer costs about one batched step loop. */
export const TEXT_TOKENS = 16;

export const ROUTE_LOADS = {
  /** fashion-cnn: one PNG as multipart/form-data. */
  classify: async (): Promise<RouteLoad> => {
    const form = await multipart([{ field: 'image', name: 'item.png', type: 'image/png', data: await fashionPng(0) }]);
    return { model: 'fashion-cnn', path: '/v1/models/fashion-cnn/classify', headers: form.headers, bodies: [form.payload] };
  },
  /** fashion-cnn: the PNG file as the raw body. */
  'classify-png': async (): Promise<RouteLoad> => ({ model: 'fashion-cnn', path: '/v1/models/fashion-cnn/classify', headers: { 'content-type': 'image/png' }, bodies: [await fashionPng(0)] }),
  /** bert-mini: one sentence of the fixed list per request. */
  embed: async (): Promise<RouteLoad> => ({ model: 'bert-mini', path: '/v1/models/bert-mini/embed', headers: json, bodies: SENTENCES.map((s) => JSON.stringify({ inputs: s })) }),
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
