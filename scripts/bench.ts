// `npm run bench [-- --quick]`: drives ortserve and its baselines with autocannon, one after the
// other on loopback, and writes bench/results/<stamp>.{md,json} (+ latest.*). Every claim in the
// report is a ratio against a baseline measured in the same run: raw onnxruntime ceilings on the
// same inputs (no HTTP, the server's own thread settings), the naive server, transformers.js.
import fs from 'node:fs';
import path from 'node:path';
import { hammer, probeLiveness, textStreams, type LoadOptions, type LoadResult } from './bench/load.ts';
import { machine } from './bench/machine.ts';
import { measure, rawEmbed } from './bench/measure.ts';
import { runJson, startNaive, startOrtserve, startTransformersJs, type Child } from './bench/processes.ts';
import { renderReport, type Report } from './bench/report.ts';
import { routeLoad } from './bench/requests.ts';
import { watchServer } from './bench/server-stats.ts';
import { binaryBody, jsonBody, WIRE_MODEL } from './bench/wire.ts';

const quick = process.argv.includes('--quick');
const S = quick ? 2 : 10; // seconds per measured load
const WARM = quick ? 1 : 3;
const root = path.resolve(import.meta.dirname, '..');
const outDir = process.env.BENCH_OUT ?? path.join(root, 'bench/results');
const ORTSERVE_ENV = JSON.parse(process.env.BENCH_ORTSERVE_ENV ?? '{}') as Record<string, string>;
const GRPC_PORT = 18510;
/** The wire-format loads: one V2 request of WIRE_BATCH images, WIRE_CONNECTIONS at once. */
const WIRE_BATCH = 64;
const WIRE_CONNECTIONS = 16;

type Load = (seconds: number) => Promise<LoadResult>;
const timing = { seconds: S, warm: WARM };

async function streams(server: Child, n: number) {
  const watch = await watchServer({ url: server.url, pid: server.proc.pid! }, 'fortune-rnn');
  const probe = probeLiveness(server.url);
  const result = await textStreams(server.url, 'fortune-rnn', n, 64, S);
  return { ...result, live: await probe.stop(), server: await watch.stop() };
}

interface ModelConfig {
  name: string;
  batching: object;
  instances: number;
  intra_op_threads: number;
}

async function main() {
  fs.mkdirSync(outDir, { recursive: true });
  const [upload, sentence, image] = await Promise.all([routeLoad('classify'), routeLoad('embed'), routeLoad('generate-image')]);
  const on =
    (url: string, base: Omit<LoadOptions, 'url' | 'connections' | 'seconds'>, connections: number): Load =>
    (s) =>
      hammer({ ...base, url, connections, seconds: s });

  let child: Child = await startOrtserve(18500, { ORTSERVE_GRPC_PORT: String(GRPC_PORT), ...ORTSERVE_ENV });
  const u = child.url;
  const pid = child.proc.pid!;
  // Each raw ceiling runs right before the load it bounds (the server idle meanwhile), with the
  // thread settings the server runs with: a slow patch of the machine then moves both alike.
  const models = ((await (await fetch(`${u}/v1/models`)).json()) as { data: ModelConfig[] }).data;
  const config = (name: string) => models.find((m) => m.name === name)!;
  const bert = config('bert-mini');
  const rnn = config('fortune-rnn');
  const seconds = String(quick ? 1 : 4);
  const rawStep = (batch: number) => runJson<{ tokens_per_s: number }>('scripts/bench/raw-step.ts', [String(batch), seconds, String(rnn.intra_op_threads)]);
  const rawImages = (model: string, batch: number) => runJson<{ items_per_s: number; cpu_s_per_item: number }>('scripts/bench/raw-ceiling.ts', [model, String(batch), seconds, '2']);
  /** A load measured on ortserve, with the server's own figures for `model`. */
  const served = <R extends LoadResult>(load: (s: number) => Promise<R>, model: string) => measure({ url: u, load, timing, watch: { pid, model } });

  console.log('ortserve, each load after its raw onnxruntime ceiling (no HTTP)...');
  const cnn_b64 = await rawImages('fashion-cnn', 64);
  const classify = await served(on(u, upload, 64), 'fashion-cnn');
  const embed_mixed = await rawEmbed({ instances: bert.instances, threads: bert.intra_op_threads, seconds: Number(seconds), sizes: quick ? [16] : [8, 16, 32, 64] });
  const embed = await served(on(u, sentence, 64), 'bert-mini');
  const gan_b32 = await rawImages('fashion-dcgan', 32);
  const generate_image = await served(on(u, image, 32), 'fashion-dcgan');
  const step_b1 = await rawStep(1);
  const rnn_1 = await streams(child, 1);
  const step_b32 = await rawStep(32);
  const rnn_32 = await streams(child, 32);
  const rnn_64 = await streams(child, 64);
  const probe = probeLiveness(u);
  const [c, e, g, t] = await Promise.all([on(u, upload, 16)(S), on(u, sentence, 16)(S), on(u, image, 16)(S), textStreams(u, 'fortune-rnn', 8, 64, S)]);
  const mixed = { classify: c, embed: e, generate_image: g, rnn_8: t, live: await probe.stop() };
  const raw = { embed_mixed, step_b1, step_b32, cnn_b64, gan_b32 };
  console.log('KServe V2 wire formats: JSON, binary REST, gRPC...');
  const v2 = `/v2/models/${WIRE_MODEL}/infer`;
  const json = jsonBody(WIRE_BATCH);
  const binary = binaryBody(WIRE_BATCH);
  const grpcLoad = (s: number) => runJson<LoadResult & { request_bytes: number }>('scripts/bench/grpc-load.ts', [`127.0.0.1:${GRPC_PORT}`, String(WIRE_BATCH), String(WIRE_CONNECTIONS), String(s)]);
  const wire = {
    batch: WIRE_BATCH,
    connections: WIRE_CONNECTIONS,
    json: { ...(await served(on(u, { path: v2, headers: { 'content-type': 'application/json' }, bodies: [json] }, WIRE_CONNECTIONS), WIRE_MODEL)), request_bytes: Buffer.byteLength(json) },
    binary: { ...(await served(on(u, { path: v2, headers: binary.headers, bodies: [binary.body] }, WIRE_CONNECTIONS), WIRE_MODEL)), request_bytes: binary.body.length },
    grpc: await served(grpcLoad, WIRE_MODEL),
  };
  const ort = { classify, embed, generate_image, rnn_1, rnn_32, rnn_64, mixed, wire };
  await child.stop();

  child = await startNaive(18501);
  console.log('naive baseline and HTTP ceiling...');
  const baseline = (url: string, load: Load) => measure({ url, load, timing });
  const naive = {
    classify: await baseline(child.url, on(child.url, upload, 64)),
    embed: await baseline(child.url, on(child.url, sentence, 64)),
    http_ceiling: await baseline(child.url, on(child.url, { ...upload, path: '/ceiling/classify' }, 64)),
  };
  await child.stop();

  child = await startTransformersJs(18502);
  console.log('transformers.js...');
  const transformersJs = { embed: await baseline(child.url, on(child.url, sentence, 64)) };
  await child.stop();

  const report: Report = {
    date: new Date().toISOString(),
    quick,
    seconds: S,
    machine: machine(),
    config: { ortserve_env: ORTSERVE_ENV, models: models.map(({ name, batching, instances, intra_op_threads }) => ({ name, batching, instances, intra_op_threads })) },
    raw,
    ortserve: ort,
    naive,
    transformers_js: transformersJs,
  };
  const stamp = report.date.replace(/[:.]/g, '-');
  const md = renderReport(report);
  for (const name of [stamp, 'latest']) {
    fs.writeFileSync(path.join(outDir, `${name}.json`), JSON.stringify(report, null, 2));
    fs.writeFileSync(path.join(outDir, `${name}.md`), md);
  }
  console.log(md);
}

await main();
