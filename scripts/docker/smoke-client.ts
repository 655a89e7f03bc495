// Host-side HTTP client of scripts/docker-smoke.sh: readiness probe, one request per task route,
// and streamed generations in flight while the container is stopped. Loopback URLs only.
//
//   node scripts/docker/smoke-client.ts probe URL                 exit 0 when /health/ready is 200
//   node scripts/docker/smoke-client.ts models URL                print the served models' names
//   node scripts/docker/smoke-client.ts tasks URL                 every task of the repo's models/ answers, and V2
//   node scripts/docker/smoke-client.ts drain URL -- STOP_COMMAND...
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { deflateSync, crc32 } from 'node:zlib';

interface ModelInfo {
  name: string;
  task: string | null;
  state: string;
  labels?: string[];
}

const TIMEOUT_MS = 30_000;

function fail(message: string): never {
  console.error(`smoke-client: ${message}`);
  process.exit(1);
}

async function request(url: string, body?: Uint8Array<ArrayBuffer> | object, headers: Record<string, string> = {}): Promise<Response> {
  const init: RequestInit = { signal: AbortSignal.timeout(TIMEOUT_MS), headers };
  if (body !== undefined) {
    init.method = 'POST';
    init.body = body instanceof Uint8Array ? body : JSON.stringify(body);
    init.headers = body instanceof Uint8Array ? headers : { 'content-type': 'application/json', ...headers };
  }
  return fetch(url, init);
}

async function json<T>(url: string, body?: Uint8Array<ArrayBuffer> | object, headers?: Record<string, string>): Promise<T> {
  const res = await request(url, body, headers);
  const text = await res.text();
  if (res.status !== 200) throw new Error(`${url} → ${res.status}: ${text.slice(0, 300)}`);
  return JSON.parse(text) as T;
}

/** A 28×28 greyscale PNG of a pair of trouser legs, light on black like Fashion-MNIST. */
function trousersPng(): Uint8Array<ArrayBuffer> {
  const w = 28;
  const rows: number[] = [];
  for (let y = 0; y < w; y++) {
    rows.push(0); // filter: none
    for (let x = 0; x < w; x++) rows.push(y >= 3 && y <= 25 && ((x >= 8 && x <= 12) || (x >= 15 && x <= 19) || (y <= 8 && x >= 8 && x <= 19)) ? 220 : 0);
  }
  const chunk = (type: string, data: Buffer) => {
    const head = Buffer.alloc(8);
    head.writeUInt32BE(data.length, 0);
    head.write(type, 4, 'ascii');
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])), 0);
    return Buffer.concat([head, data, crc]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(w, 0);
  ihdr.writeUInt32BE(w, 4);
  ihdr.set([8, 0, 0, 0, 0], 8); // 8-bit greyscale, no interlace
  const signature = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  return new Uint8Array(Buffer.concat([signature, chunk('IHDR', ihdr), chunk('IDAT', deflateSync(Buffer.from(rows))), chunk('IEND', Buffer.alloc(0))]));
}

type Check = (base: string, model: ModelInfo) => Promise<string>;

const CHECKS: Record<string, Check> = {
  'image-classification': async (base, m) => {
    const r = await json<{ results: { predictions: { label: string; score: number }[] }[] }>(`${base}/v1/models/${m.name}/classify?top_k=3`, trousersPng(), { 'content-type': 'image/png' });
    const top = r.results[0]?.predictions[0];
    if (r.results.length !== 1 || !top || r.results[0]?.predictions.length !== 3) throw new Error(`unexpected classify answer ${JSON.stringify(r)}`);
    return `classify (PNG) → top "${top.label}" ${top.score.toFixed(2)}`;
  },
  'text-generation': async (base, m) => {
    const r = await json<{ text: string; tokens: number; finish_reason: string }>(`${base}/v1/models/${m.name}/generate`, { prompt: 'The ', max_tokens: 32, seed: 1 });
    if (r.tokens < 1 || r.tokens > 32 || typeof r.text !== 'string') throw new Error(`unexpected generate answer ${JSON.stringify(r)}`);
    return `generate → ${r.tokens} tokens (${r.finish_reason})`;
  },
  'image-generation': async (base, m) => {
    const r = await json<{ images: { seed: number; png: string }[] }>(`${base}/v1/models/${m.name}/generate`, { count: 2, seed: 7 });
    const pngs = r.images.map((i) => Buffer.from(i.png, 'base64'));
    if (pngs.length !== 2 || pngs.some((p) => p.readUInt32BE(0) !== 0x89504e47)) throw new Error('expected 2 PNG images');
    return `generate → ${pngs.length} PNGs (${pngs.map((p) => p.length).join(', ')} bytes)`;
  },
  'text-classification': async (base, m) => {
    const r = await json<{ results: { predictions: { label: string; score: number }[] }[] }>(`${base}/v1/models/${m.name}/classify`, {
      inputs: ['a small furry animal that purrs', ['a tool', 'for cutting wood']],
      top_k: 2,
    });
    const top = r.results[0]?.predictions[0];
    if (r.results.length !== 2 || !top || r.results.some((x) => x.predictions.length !== Math.min(2, m.labels?.length ?? 2))) throw new Error(`unexpected classify answer ${JSON.stringify(r)}`);
    return `classify (text, pair) → top "${top.label}" ${top.score.toFixed(2)}`;
  },
  'text-embedding': async (base, m) => {
    const r = await json<{ embeddings: number[][]; dimensions: number }>(`${base}/v1/models/${m.name}/embed`, { inputs: ['a cat sat on the mat', 'stocks fell'] });
    const ok = r.embeddings.length === 2 && r.embeddings.every((e) => e.length === r.dimensions && e.every(Number.isFinite));
    if (!ok || r.dimensions < 1) throw new Error(`unexpected embed answer (dimensions ${r.dimensions})`);
    return `embed → 2 × ${r.dimensions} floats`;
  },
};

interface TensorMeta {
  name: string;
  datatype: string;
  shape: number[];
}

/** KServe V2: readiness, then one infer with zero tensors shaped by the model's own metadata. */
async function v2(base: string, m: ModelInfo): Promise<string> {
  const ready = await request(`${base}/v2/health/ready`);
  if (ready.status !== 200) throw new Error(`/v2/health/ready → ${ready.status}`);
  const meta = await json<{ inputs: TensorMeta[] }>(`${base}/v2/models/${m.name}`);
  const inputs = meta.inputs.map((t) => {
    const shape = t.shape.map((d) => (d < 0 ? 1 : d));
    return { name: t.name, datatype: t.datatype, shape, data: new Array(shape.reduce((a, b) => a * b, 1)).fill(0) };
  });
  const r = await json<{ outputs: { name: string; shape: number[]; data: unknown[] }[] }>(`${base}/v2/models/${m.name}/infer`, { inputs });
  const out = r.outputs[0];
  if (!out || out.data.length === 0) throw new Error(`unexpected V2 answer ${JSON.stringify(r).slice(0, 200)}`);
  return `V2 infer → ${out.name} [${out.shape.join(', ')}]`;
}

async function models(base: string): Promise<ModelInfo[]> {
  return (await json<{ data: ModelInfo[] }>(`${base}/v1/models`)).data;
}

/** The tasks of the models in the repository's models/ folder: the image bakes in all of them. */
function repositoryTasks(): Set<string> {
  const dir = path.resolve(import.meta.dirname, '../../models');
  const manifests = fs
    .readdirSync(dir)
    .map((m) => path.join(dir, m, 'manifest.json'))
    .filter((f) => fs.existsSync(f));
  return new Set(manifests.map((f) => (JSON.parse(fs.readFileSync(f, 'utf8')) as { task?: string }).task).filter((t): t is string => t !== undefined && t in CHECKS));
}

async function tasks(base: string): Promise<void> {
  const list = await models(base);
  const seen = new Set<string>();
  let failed = 0;
  const page = await request(`${base}/`);
  const html = page.status === 200 && (page.headers.get('content-type') ?? '').startsWith('text/html') && (await page.text()).includes('<html');
  console.log(`  ${html ? 'ok  ' : 'FAIL'} ${'playground'.padEnd(16)} GET / → ${page.status} ${page.headers.get('content-type') ?? ''}`);
  if (!html) failed++;
  for (const m of list) {
    const check = m.task ? CHECKS[m.task] : undefined;
    if (!check) {
      console.log(`  skip ${m.name}: task ${m.task ?? 'none'} has no smoke check`);
      continue;
    }
    const start = performance.now();
    try {
      const what = await check(base, m);
      seen.add(m.task!);
      console.log(`  ok   ${m.name.padEnd(16)} ${what} (${Math.round(performance.now() - start)} ms)`);
    } catch (err) {
      failed++;
      console.log(`  FAIL ${m.name.padEnd(16)} ${(err as Error).message}`);
    }
  }
  const classifier = list.find((m) => m.task === 'image-classification');
  if (classifier) {
    try {
      console.log(`  ok   ${classifier.name.padEnd(16)} ${await v2(base, classifier)}`);
    } catch (err) {
      failed++;
      console.log(`  FAIL ${classifier.name.padEnd(16)} ${(err as Error).message}`);
    }
  }
  const missing = [...repositoryTasks()].filter((t) => !seen.has(t));
  if (missing.length > 0) console.log(`  FAIL models/ has task(s) ${missing.join(', ')} that the image did not serve`);
  if (failed > 0 || missing.length > 0) process.exit(1);
}

interface StreamProgress {
  tokens: number;
  finishReason: string | undefined;
  done: boolean;
  endedAt: number;
}

/** Streams one generation; `accepted` resolves at its first event (the server is generating it). */
function stream(base: string, model: string, seed: number, maxTokens: number) {
  const progress: StreamProgress = { tokens: 0, finishReason: undefined, done: false, endedAt: 0 };
  let accept!: () => void;
  const accepted = new Promise<void>((resolve) => (accept = resolve));
  const result = (async () => {
    const res = await request(`${base}/v1/models/${model}/generate`, { prompt: `${seed} `, max_tokens: maxTokens, seed, stream: true });
    if (res.status !== 200 || !res.body) throw new Error(`stream ${seed} → ${res.status}: ${(await res.text()).slice(0, 200)}`);
    let buffered = '';
    for await (const chunk of res.body.pipeThrough(new TextDecoderStream())) {
      accept();
      buffered += chunk;
      const events = buffered.split('\n\n');
      buffered = events.pop() ?? '';
      for (const event of events) {
        if (event.startsWith('event: error')) throw new Error(`stream ${seed} ended with ${event}`);
        const data = event.replace(/^data: /, '');
        if (data === '[DONE]') progress.done = true;
        else {
          const e = JSON.parse(data) as { finish_reason?: string; tokens?: number };
          if (e.finish_reason) progress.finishReason = e.finish_reason;
          else progress.tokens++;
        }
      }
    }
    progress.endedAt = performance.now();
  })();
  result.catch(() => accept());
  return { accepted, progress, result };
}

async function drain(base: string, stopCommand: string[]): Promise<void> {
  if (stopCommand.length === 0) fail('drain needs a stop command after --');
  const model = (await models(base)).find((m) => m.task === 'text-generation' && m.state === 'ready');
  if (!model) fail('no ready text-generation model to load during the stop');
  const count = 12;
  const maxTokens = 768;
  const streams = Array.from({ length: count }, (_, i) => stream(base, model.name, 1000 + i, maxTokens));
  await Promise.race([Promise.all(streams.map((s) => s.accepted)), new Promise((r) => setTimeout(r, TIMEOUT_MS).unref())]);

  const stopAt = performance.now();
  const atStop = streams.map((s) => (s.progress.finishReason ? maxTokens : s.progress.tokens));
  const stopper = spawn(stopCommand[0]!, stopCommand.slice(1), { stdio: 'inherit' });
  const stopped = new Promise<number | null>((resolve) => stopper.on('exit', resolve));
  const settled = await Promise.allSettled(streams.map((s) => s.result));
  const stopCode = await stopped;

  const errors = settled.flatMap((s) => (s.status === 'rejected' ? [String(s.reason)] : []));
  const complete = streams.filter(({ progress: p }) => p.done && p.finishReason !== undefined && (p.tokens === maxTokens || p.finishReason === 'stop'));
  const inFlight = atStop.filter((t) => t < maxTokens).length;
  const lastMs = Math.max(0, ...streams.map((s) => s.progress.endedAt - stopAt));
  console.log(`  ${count} streamed generations of ${maxTokens} tokens accepted; ${inFlight} were mid-generation when the stop was sent`);
  console.log(`  tokens each had received by then: ${atStop.join(' ')}`);
  console.log(`  ${complete.length}/${count} completed with all their tokens and [DONE], the last ${Math.round(lastMs)} ms after the stop was sent`);
  for (const e of errors) console.log(`  FAIL ${e}`);
  if (stopCode !== 0) fail(`stop command exited ${stopCode}`);
  if (complete.length !== count) fail('accepted generations were cut off by the stop');
  if (inFlight === 0) fail('every generation had finished before the stop was sent: the drain was not exercised');
}

const [command, url, ...rest] = process.argv.slice(2);
if (!url || !/^http:\/\/(127\.\d+\.\d+\.\d+|localhost|\[::1\])(:\d+)?$/.test(url)) fail('URL must be a loopback http://host:port');
if (command === 'probe') {
  const ok = await request(`${url}/health/ready`).then(
    (r) => r.status === 200,
    () => false,
  );
  process.exit(ok ? 0 : 1);
} else if (command === 'models') {
  console.log((await models(url)).map((m) => m.name).join(' '));
} else if (command === 'tasks') {
  await tasks(url);
} else if (command === 'drain') {
  await drain(url, rest[0] === '--' ? rest.slice(1) : rest);
} else {
  fail(`unknown command ${command ?? ''}: probe, models, tasks or drain`);
}
