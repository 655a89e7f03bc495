// The benchmark report: ratios against same-run baselines, the targets they are held to, and
// the raw figures behind them, as markdown.
import type { LoadResult } from './load.ts';
import type { Machine } from './machine.ts';

type Live = { p50: number; p99: number; max: number; n: number };
type Measured = LoadResult & { live: Live };
type Streams = { streams: number; tokens_per_s: number; ttft_p50: number; ttft_p99: number; errors: number };

export interface Report {
  date: string;
  quick: boolean;
  seconds: number;
  machine: Machine;
  config: object;
  raw: { bert_b32: { items_per_s: number }; cnn_b64: { items_per_s: number }; gan_b32: { items_per_s: number } };
  ortserve: { classify: Measured; embed: Measured; generate_image: Measured; rnn_1: Streams; rnn_32: Streams; mixed: { classify: LoadResult; embed: LoadResult; generate_image: LoadResult; rnn_8: Streams; live: Live } };
  naive: { classify: Measured; embed: Measured; http_ceiling: Measured };
}

const f = (n: number, d = 0) => (Number.isFinite(n) ? n.toFixed(d) : 'n/a');
const ratio = (a: number, b: number) => (b > 0 ? a / b : NaN);

export function ratios(r: Report) {
  const o = r.ortserve;
  const n = r.naive;
  return [
    { claim: 'bert-mini embed vs raw ceiling (batch 32)', value: ratio(o.embed.rps, r.raw.bert_b32.items_per_s), target: 0.8, better: 'higher' },
    { claim: 'bert-mini embed vs naive throughput', value: ratio(o.embed.rps, n.embed.rps), target: 1.5, better: 'higher' },
    { claim: 'bert-mini embed p99 vs naive p99', value: ratio(o.embed.p99, n.embed.p99), target: 0.6, better: 'lower' },
    { claim: 'fashion-cnn classify vs HTTP ceiling', value: ratio(o.classify.rps, n.http_ceiling.rps), target: 0.8, better: 'higher' },
    { claim: 'fashion-cnn classify vs naive throughput', value: ratio(o.classify.rps, n.classify.rps), target: 1.5, better: 'higher' },
    { claim: 'fortune-rnn tokens/s, 32 streams vs 1', value: ratio(o.rnn_32.tokens_per_s, o.rnn_1.tokens_per_s), target: 8, better: 'higher' },
    { claim: '/health/live p99 (ms), ortserve embed saturated', value: o.embed.live.p99, target: 20, better: 'lower' },
    { claim: '/health/live p99 (ms), ortserve classify saturated', value: o.classify.live.p99, target: 20, better: 'lower' },
  ].map((x) => ({ ...x, holds: x.better === 'higher' ? x.value >= x.target : x.value <= x.target }));
}

export function renderReport(r: Report): string {
  const row = (name: string, m: LoadResult & { live?: Live }) =>
    `| ${name} | ${f(m.rps)} | ${f(m.p50)} | ${f(m.p90)} | ${f(m.p99)} | ${m.errors + m.non2xx} | ${m.live ? f(m.live.p99, 1) : ''} |`;
  const o = r.ortserve;
  const lines = [
    `# ortserve benchmark — ${r.date}${r.quick ? ' (quick)' : ''}`,
    '',
    `Machine: ${r.machine.cores} cores (${r.machine.cpu}), Node ${r.machine.node}, onnxruntime-node ${r.machine.onnxruntime}, ${r.machine.platform}. ${r.seconds} s per load after a warm-up, autocannon over loopback.`,
    '',
    '## Ratios (same run)',
    '',
    '| claim | measured | target | holds |',
    '|---|---|---|---|',
    ...ratios(r).map((x) => `| ${x.claim} | ${f(x.value, 2)} | ${x.better === 'higher' ? '≥' : '≤'} ${x.target} | ${x.holds ? 'yes' : 'no'} |`),
    '',
    '## Loads',
    '',
    '| server / scenario | req/s | p50 ms | p90 ms | p99 ms | errors | /health/live p99 ms |',
    '|---|---|---|---|---|---|---|',
    row('ortserve classify (multipart PNG, 64 conns)', o.classify),
    row('naive classify', r.naive.classify),
    row('HTTP ceiling: upload + decode, no inference', r.naive.http_ceiling),
    row('ortserve embed (1 sentence, 64 conns)', o.embed),
    row('naive embed', r.naive.embed),
    row('ortserve dcgan generate (count 1, 32 conns)', o.generate_image),
    row('mixed: classify (16 conns)', o.mixed.classify),
    row('mixed: embed (16 conns)', o.mixed.embed),
    row('mixed: dcgan (16 conns)', o.mixed.generate_image),
    '',
    `Mixed load: 8 RNN streams at ${f(o.mixed.rnn_8.tokens_per_s)} tokens/s alongside; /health/live p99 ${f(o.mixed.live.p99, 1)} ms.`,
    '',
    '| fortune-rnn, 64 tokens | tokens/s | TTFT p50 ms | TTFT p99 ms | errors |',
    '|---|---|---|---|---|',
    ...[o.rnn_1, o.rnn_32].map((s) => `| ${s.streams} stream(s) | ${f(s.tokens_per_s)} | ${f(s.ttft_p50, 1)} | ${f(s.ttft_p99, 1)} | ${s.errors} |`),
    '',
    `Raw onnxruntime ceilings (plain loop, 2 intra-op threads, no HTTP): bert-mini batch 32 ${f(r.raw.bert_b32.items_per_s)} seq/s; fashion-cnn batch 64 ${f(r.raw.cnn_b64.items_per_s)} img/s; fashion-dcgan batch 32 ${f(r.raw.gan_b32.items_per_s)} img/s.`,
    '',
    `Naive server /health/live p99 while saturated: classify ${f(r.naive.classify.live.p99, 1)} ms, embed ${f(r.naive.embed.live.p99, 1)} ms (for contrast).`,
  ];
  return lines.join('\n') + '\n';
}
