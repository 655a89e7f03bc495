// `npm run bench [-- --quick]`: drives ortserve and its baselines with autocannon, one after the
// other on loopback, and writes bench/results/<stamp>.{md,json} (+ latest.*). Every claim in the
// report is a ratio against a baseline measured in the same run.
import fs from 'node:fs';
import path from 'node:path';
import { hammer, probeLiveness, textStreams, type LoadResult } from './bench/load.ts';
import { machine } from './bench/machine.ts';
import { runJson, startNaive, startOrtserve, type Child } from './bench/processes.ts';
import { renderReport, type Report } from './bench/report.ts';
import { routeLoad } from './bench/requests.ts';

const quick = process.argv.includes('--quick');
const S = quick ? 2 : 10; // seconds per measured load
const WARM = quick ? 1 : 3;
const root = path.resolve(import.meta.dirname, '..');
const outDir = process.env.BENCH_OUT ?? path.join(root, 'bench/results');
const ORTSERVE_ENV = JSON.parse(process.env.BENCH_ORTSERVE_ENV ?? '{}') as Record<string, string>;

/** Warms up, then measures a load while probing liveness. */
async function measure(url: string, load: (seconds: number) => Promise<LoadResult>) {
  await load(WARM);
  const probe = probeLiveness(url);
  const result = await load(S);
  return { ...result, live: await probe.stop() };
}

async function main() {
  fs.mkdirSync(outDir, { recursive: true });
  const [upload, sentence, image] = await Promise.all([routeLoad('classify'), routeLoad('embed'), routeLoad('generate-image')]);
  const classify = (url: string, p = upload.path, connections = 64) => (s: number) => hammer({ ...upload, url, path: p, connections, seconds: s });
  const embed = (url: string, connections = 64) => (s: number) => hammer({ ...sentence, url, connections, seconds: s });
  const gan = (url: string, connections = 32) => (s: number) => hammer({ ...image, url, connections, seconds: s });

  console.log('raw onnxruntime ceilings (no HTTP)...');
  const ceilingSeconds = String(quick ? 1 : 5);
  const raw = {
    bert_b32: await runJson<{ items_per_s: number }>('scripts/bench/raw-ceiling.ts', ['bert-mini', '32', ceilingSeconds, '2']),
    cnn_b64: await runJson<{ items_per_s: number }>('scripts/bench/raw-ceiling.ts', ['fashion-cnn', '64', ceilingSeconds, '2']),
    gan_b32: await runJson<{ items_per_s: number }>('scripts/bench/raw-ceiling.ts', ['fashion-dcgan', '32', ceilingSeconds, '2']),
  };

  let child: Child = await startOrtserve(18500, ORTSERVE_ENV);
  console.log('ortserve...');
  const ort = {
    classify: await measure(child.url, classify(child.url)),
    embed: await measure(child.url, embed(child.url)),
    generate_image: await measure(child.url, gan(child.url)),
    rnn_1: await textStreams(child.url, 'fortune-rnn', 1, 64, S),
    rnn_32: await textStreams(child.url, 'fortune-rnn', 32, 64, S),
    mixed: await (async () => {
      const probe = probeLiveness(child.url);
      const [c, e, g, t] = await Promise.all([classify(child.url, undefined, 16)(S), embed(child.url, 16)(S), gan(child.url, 16)(S), textStreams(child.url, 'fortune-rnn', 8, 64, S)]);
      return { classify: c, embed: e, generate_image: g, rnn_8: t, live: await probe.stop() };
    })(),
  };
  const models = await (await fetch(`${child.url}/v1/models`)).json();
  await child.stop();

  child = await startNaive(18501);
  console.log('naive baseline and HTTP ceiling...');
  const naive = {
    classify: await measure(child.url, classify(child.url)),
    embed: await measure(child.url, embed(child.url)),
    http_ceiling: await measure(child.url, classify(child.url, '/ceiling/classify')),
  };
  await child.stop();

  const report: Report = {
    date: new Date().toISOString(),
    quick,
    seconds: S,
    machine: machine(),
    config: {
      ortserve_env: ORTSERVE_ENV,
      models: models.models.map((m: { name: string; batching: object; instances: number; intra_op_threads: number }) => ({ name: m.name, batching: m.batching, instances: m.instances, intra_op_threads: m.intra_op_threads })),
    },
    raw,
    ortserve: ort,
    naive,
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
