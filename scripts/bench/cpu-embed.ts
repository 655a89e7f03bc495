// `node scripts/bench/cpu-embed.ts [--seconds N]`: the benchmark's embed CPU rows alone, in about
// 40 s, for iterating on the server without the full bench: the raw bert-mini loop (raw-embed.ts,
// the server's instances and threads, batches 16 and 32), then ortserve under the bench's embed load
// (64 connections, one sentence per request), each with its CPU seconds. Prints one JSON line:
// CPU efficiency (raw CPU/sentence ÷ server CPU/request), main-thread ELU, throughput against raw.
import { parseArgs } from 'node:util';
import { hammer } from './load.ts';
import { measure, rawEmbed } from './measure.ts';
import { freePort, killWithParent, startOrtserve } from './processes.ts';
import { cpuEfficiency, cpuPerRequest } from './report.ts';
import { routeLoad } from './requests.ts';

const { values: args } = parseArgs({ options: { seconds: { type: 'string', default: '10' } } });
const seconds = Number(args.seconds);

const server = await startOrtserve(await freePort());
killWithParent(server.proc);
try {
  const { instances, intra_op_threads: threads } = (await (await fetch(`${server.url}/v1/models/bert-mini`)).json()) as { instances: number; intra_op_threads: number };
  const raw = await rawEmbed({ instances, threads, seconds: Math.max(1, Math.round(seconds / 3)), sizes: [16, 32] });
  const sentences = await routeLoad('embed');
  const load = (s: number) => hammer({ ...sentences, url: server.url, connections: 64, seconds: s });
  const embed = await measure({ url: server.url, load, timing: { seconds, warm: 3 }, watch: { pid: server.proc.pid!, model: 'bert-mini' } });
  const round = (n: number, d: number) => Number(n.toFixed(d));
  console.log(
    JSON.stringify({
      date: new Date().toISOString(),
      cpu_efficiency: round(cpuEfficiency(raw.cpu_s_per_item, embed), 3),
      elu: round(embed.server!.elu, 3),
      throughput_vs_raw: round(embed.rps / raw.items_per_s, 3),
      server: { rps: round(embed.rps, 0), p99_ms: embed.p99, cpu_ms_per_request: round(cpuPerRequest(embed) * 1000, 3), live_p99_ms: round(embed.live.p99, 1), errors: embed.errors + embed.non2xx },
      raw: { items_per_s: round(raw.items_per_s, 0), best_batch: raw.best_batch, cpu_ms_per_item: round(raw.cpu_s_per_item * 1000, 3) },
    }),
  );
} finally {
  await server.stop();
}
