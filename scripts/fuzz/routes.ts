// The fuzzed requests of every route group: task routes, OpenAI embeddings, KServe V2, listings,
// health and docs; each group an arbitrary of FuzzCase with a weight (its share of the runs).
import fc from 'fast-check';
import { fuzzCase, type FuzzCase } from './case.ts';
import { METHODS, contentType, encodeSegment, headerNoise, modelSegment, queryString, type Method } from './http.ts';
import { imageBytes, type ImageSeeds } from './images.ts';
import { jsonBodies } from './json.ts';
import { formParts, rawForms } from './multipart.ts';
import { hostileString } from './strings.ts';
import * as bodies from './task-bodies.ts';
import * as text from './text-bodies.ts';
import { v2BinaryRequests } from './binary-bodies.ts';
import { v2Bodies, type V2ModelMeta } from './tensors.ts';

export interface Discovered {
  models: string[];
  /** Model name → its task routes (the last segment: classify, embed, …). */
  routes: Record<string, string[]>;
  v2: V2ModelMeta[];
  images: ImageSeeds;
  maxImages: number;
}

export interface RouteGroup {
  name: string;
  weight: number;
  cases: fc.Arbitrary<FuzzCase>;
}

const JSON_TYPE = fc.oneof({ weight: 12, arbitrary: fc.constant('application/json') }, { weight: 1, arbitrary: contentType });
const mostlyPost = fc.oneof({ weight: 20, arbitrary: fc.constant<Method>('POST') }, { weight: 1, arbitrary: fc.constantFrom(...METHODS) });
const anyBody = fc.oneof(
  hostileString,
  fc.uint8Array({ maxLength: 512 }).map((b) => Buffer.from(b)),
);

/** POSTs of `bodies` (JSON text) to `/v1/models/<model>/<route>`, model mostly `preferred`. */
function taskRoute(d: Discovered, route: string, preferred: string, json: fc.Arbitrary<string>, accept?: fc.Arbitrary<string>): fc.Arbitrary<FuzzCase> {
  const model = fc.oneof({ weight: 10, arbitrary: fc.constant(preferred) }, { weight: 1, arbitrary: modelSegment(d.models) });
  return fc
    .record({ method: mostlyPost, model, type: JSON_TYPE, body: json, accept: fc.option(accept ?? fc.constant('*/*'), { nil: undefined }) })
    .map(({ method, model: m, type, body, accept: a }) =>
      fuzzCase({ route: `POST /v1/models/:model/${route}`, method, url: `/v1/models/${m}/${route}`, headers: { 'content-type': type, ...(a ? { accept: a } : {}) }, body }),
    );
}

function classify(d: Discovered): fc.Arbitrary<FuzzCase> {
  const images = imageBytes(d.images);
  const base64 = fc.oneof(
    images.map((b) => b.toString('base64')),
    images.map((b) => `data:image/png;base64,${b.toString('base64')}`),
    hostileString,
    fc.constantFrom('%%%', '====', 'AAAA', 'A', '\r\n', 'iVBORw0KGgo='),
  );
  const json = jsonBodies(fc.record({ images: fc.array(base64, { minLength: 1, maxLength: 4 }) }), ['images']);
  const imageType = fc.oneof(
    { weight: 6, arbitrary: fc.constantFrom('image/png', 'image/jpeg', 'image/webp', 'image/gif', 'image/tiff', 'image/svg+xml', 'application/octet-stream') },
    { weight: 1, arbitrary: contentType },
  );
  const payload = fc.oneof(
    { weight: 4, arbitrary: fc.record({ headers: imageType.map((t) => ({ 'content-type': t })), body: images }) },
    { weight: 3, arbitrary: formParts(images, d.maxImages).map((form) => ({ headers: {}, form })) },
    { weight: 2, arbitrary: rawForms(images).map((f) => ({ headers: { 'content-type': f.contentType }, body: f.body })) },
    { weight: 2, arbitrary: fc.record({ headers: JSON_TYPE.map((t) => ({ 'content-type': t })), body: json }) },
    { weight: 1, arbitrary: fc.record({ headers: contentType.map((t) => ({ 'content-type': t })), body: anyBody }) },
  );
  const model = fc.oneof({ weight: 10, arbitrary: fc.constant('fashion-cnn') }, { weight: 1, arbitrary: modelSegment(d.models) });
  const query = queryString(['top_k', 'timeout_ms'], fc.oneof(fc.integer({ min: 1, max: 1000 }).map(String), fc.constant('30000')));
  return fc
    .record({ method: mostlyPost, model, query, payload })
    .map(({ method, model: m, query: q, payload: p }) => fuzzCase({ route: 'POST /v1/models/:model/classify', method, url: `/v1/models/${m}/classify${q}`, ...p }));
}

const keys = <T extends object>(o: fc.Arbitrary<T>, names: (keyof T & string)[]) => jsonBodies(o as fc.Arbitrary<Record<string, unknown>>, names);

function v2(d: Discovered): fc.Arbitrary<FuzzCase> {
  const version = fc.oneof(
    { weight: 4, arbitrary: fc.constant('') },
    { weight: 1, arbitrary: fc.constantFrom('1', '2', '0', '01', '99999999999999999999999', 'abc', '-1', '%31').map((v) => `/versions/${v}`) },
  );
  const infer = fc.constantFrom(...d.v2).chain((meta) =>
    fc.record({
      method: mostlyPost,
      model: fc.oneof({ weight: 6, arbitrary: fc.constant(meta.name) }, { weight: 1, arbitrary: modelSegment(d.models) }),
      version,
      type: JSON_TYPE,
      body: v2Bodies(meta),
    }),
  );
  const metadata = fc.record({ method: fc.constantFrom<Method>('GET', 'GET', 'HEAD', 'POST'), model: modelSegment(d.models), version, suffix: fc.constantFrom('', '/ready', '/infer', '/stats', '/') });
  return fc.oneof(
    {
      weight: 5,
      arbitrary: infer.map((c) =>
        fuzzCase({ route: 'POST /v2/models/:model/infer', method: c.method, url: `/v2/models/${c.model}${c.version}/infer`, headers: { 'content-type': c.type }, body: c.body }),
      ),
    },
    { weight: 1, arbitrary: metadata.map((c) => fuzzCase({ route: 'GET /v2/models/:model[/ready]', method: c.method, url: `/v2/models/${c.model}${c.version}${c.suffix}`, headers: {} })) },
  );
}

/** V2 infer in Triton's binary tensor data extension (framing right or broken), on the models' own inputs. */
function v2Binary(d: Discovered): fc.Arbitrary<FuzzCase> {
  return fc
    .constantFrom(...d.v2)
    .chain((meta) => fc.record({ model: fc.oneof({ weight: 8, arbitrary: fc.constant(meta.name) }, { weight: 1, arbitrary: modelSegment(d.models) }), request: v2BinaryRequests(meta) }))
    .map(({ model, request }) => fuzzCase({ route: 'POST /v2/models/:model/infer (binary)', method: 'POST', url: `/v2/models/${model}/infer`, headers: request.headers, body: request.body }));
}

const PATHS = [
  '/health/live',
  '/health/ready',
  '/v1/models',
  '/v1/models/',
  '/v1/embeddings',
  '/metrics',
  '/openapi.json',
  '/docs',
  '/docs/',
  '/docs/json',
  '/docs/yaml',
  '/docs/static/index.html',
  '/docs/static/..%2f..%2fpackage.json',
  '/docs/static/%2e%2e/%2e%2e/package.json',
  '/docs/static/../../../etc/passwd',
  '/v2',
  '/v2/health/live',
  '/v2/health/ready',
  '/v2/repository/index',
  '/',
  '//',
  '/v1',
  '/v1/models/fashion-cnn',
  '/v1/models//classify',
  '/v1/models/fashion-cnn/classify/extra',
  '/%',
  '/%00',
  '/?',
  '/v1/models?x=%zz',
  '/playground',
  '/playground/',
];

function misc(d: Discovered): fc.Arbitrary<FuzzCase> {
  const path = fc.oneof(
    { weight: 4, arbitrary: fc.constantFrom(...PATHS) },
    { weight: 2, arbitrary: modelSegment(d.models).map((m) => `/v1/models/${m}`) },
    {
      weight: 1,
      arbitrary: fc
        .array(fc.oneof(fc.constantFrom('v1', 'v2', 'models', 'health', '..', '.', '', '%2F', 'docs', 'static'), hostileString.map(encodeSegment)), { maxLength: 6 })
        .map((s) => `/${s.join('/')}`),
    },
  );
  const withBody = fc.option(fc.record({ type: contentType, body: anyBody }), { nil: undefined });
  return fc
    .record({ method: fc.oneof({ weight: 4, arbitrary: fc.constant<Method>('GET') }, { weight: 2, arbitrary: fc.constantFrom(...METHODS) }), path, withBody })
    .map(({ method, path: p, withBody: b }) =>
      fuzzCase({
        route: 'GET /v1/models, /health/*, /docs, /metrics, other paths',
        method,
        url: p,
        headers: b ? { 'content-type': b.type } : {},
        ...(b && method !== 'GET' && method !== 'HEAD' ? { body: b.body } : {}),
      }),
    );
}

/** Whether `c` sets timeout_ms (query or body) to a deadline below the models' own 30 s, where a 504 is the right answer. */
function asksShortDeadline(c: FuzzCase): boolean {
  const short = (v: unknown) => {
    const n = typeof v === 'string' ? Number(v.trim()) : v;
    return typeof n === 'number' && Number.isInteger(n) && n >= 1 && n < bodies.SHORTEST_VALID_TIMEOUT_MS;
  };
  const query = c.url.split('?')[1];
  if (query && new URLSearchParams(query).getAll('timeout_ms').some(short)) return true;
  if (typeof c.body !== 'string') return false;
  try {
    const body = JSON.parse(c.body) as { timeout_ms?: unknown } | null;
    return typeof body === 'object' && body !== null && short(body.timeout_ms);
  } catch {
    return false;
  }
}

/** Cases of a group: nine times in ten with a header that lies about or complicates the body (fc.option's `freq` is the odds of nil, 1 in 10); none asking for a 504. */
const finish = (cases: fc.Arbitrary<FuzzCase>): fc.Arbitrary<FuzzCase> =>
  fc
    .tuple(cases, fc.option(headerNoise, { nil: undefined, freq: 10 }))
    .map(([c, extra]) => (extra ? fuzzCase({ ...c, headers: { ...c.headers, ...extra } }) : c))
    .filter((c) => !asksShortDeadline(c));

/** The first model serving `route` on JSON bodies, else `fallback` (a model without the route: it answers 404). */
const modelWith = (d: Discovered, route: string, fallback: string) => d.models.find((m) => d.routes[m]?.includes(route) && (route !== 'classify' || d.routes[m]?.includes('predict'))) ?? fallback;

/** Every route group with its weight (its share of a run's cases). */
export function routeGroups(d: Discovered): RouteGroup[] {
  const bert = fc.oneof(
    taskRoute(d, 'embed', 'bert-mini', keys(bodies.embed, ['inputs', 'pooling', 'normalize', 'truncate', 'timeout_ms'])),
    taskRoute(d, 'fill-mask', 'bert-mini', keys(bodies.fillMask, ['text', 'top_k', 'timeout_ms'])),
    taskRoute(d, 'attention', 'bert-mini', keys(bodies.textOnly, ['text', 'truncate', 'timeout_ms'])),
    taskRoute(d, 'tokenize', 'bert-mini', keys(bodies.textOnly, ['text', 'truncate', 'timeout_ms'])),
  );
  const gan = fc.oneof(
    taskRoute(d, 'generate', 'fashion-dcgan', keys(bodies.imageGenerate, ['count', 'seed', 'label', 'timeout_ms']), fc.constantFrom('image/png', 'application/json', 'image/*')),
    taskRoute(d, 'interpolate', 'fashion-dcgan', keys(bodies.interpolate, ['from_seed', 'to_seed', 'steps', 'label', 'timeout_ms']), fc.constantFrom('image/png', 'application/json')),
  );
  const textGen = taskRoute(
    d,
    'generate',
    'fortune-rnn',
    keys(bodies.textGenerate, ['prompt', 'max_tokens', 'temperature', 'top_k', 'top_p', 'seed', 'stop', 'stream', 'timeout_ms']),
    fc.constantFrom('text/event-stream', 'application/json'),
  );
  const heads = fc.oneof(
    taskRoute(d, 'classify', modelWith(d, 'classify', 'bert-mini'), keys(text.textClassify, ['inputs', 'top_k', 'truncate', 'timeout_ms'])),
    taskRoute(
      d,
      'token-classification',
      modelWith(d, 'token-classification', 'bert-mini'),
      keys(text.tokenClassification, ['inputs', 'aggregation_strategy', 'ignore_labels', 'truncate', 'timeout_ms']),
    ),
    taskRoute(d, 'predict', modelWith(d, 'predict', 'bert-mini'), keys(text.predict, ['inputs', 'truncate', 'truncation_direction', 'raw_scores'])),
    taskRoute(d, 'rerank', modelWith(d, 'rerank', 'bert-mini'), keys(text.rerank, ['query', 'texts', 'truncate', 'truncation_direction', 'raw_scores', 'return_text'])),
  );
  const openai = fc
    .record({ method: mostlyPost, type: JSON_TYPE, body: keys(bodies.openaiEmbeddings(d.models), ['input', 'model', 'encoding_format', 'dimensions', 'user']) })
    .map(({ method, type, body }) => fuzzCase({ route: 'POST /v1/embeddings', method, url: '/v1/embeddings', headers: { 'content-type': type }, body }));
  return [
    { name: 'classify', weight: 70, cases: finish(classify(d)) },
    { name: 'generate (text)', weight: 35, cases: finish(textGen) },
    { name: 'generate/interpolate (images)', weight: 35, cases: finish(gan) },
    { name: 'embed/fill-mask/attention/tokenize', weight: 50, cases: finish(bert) },
    { name: 'text classify/token-classification/predict/rerank', weight: 40, cases: finish(heads) },
    { name: 'openai embeddings', weight: 30, cases: finish(openai) },
    { name: 'kserve v2', weight: 50, cases: finish(v2(d)) },
    { name: 'listings, health, docs, other paths', weight: 40, cases: finish(misc(d)) },
    // Not finish(): its fc.option(headerNoise, { freq: 10 }) adds noise to 9 cases in 10 (freq is the odds of the nil value), which stops most binary bodies before the framing is read.
    {
      name: 'kserve v2 binary extension',
      weight: 30,
      cases: fc
        .tuple(v2Binary(d), fc.oneof({ weight: 9, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: headerNoise }))
        .map(([c, extra]) => (extra ? fuzzCase({ ...c, headers: { ...c.headers, ...extra } }) : c)),
    },
  ];
}
