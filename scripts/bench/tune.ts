// Tuning sweeps: one scenario against ortserve under several settings, one after the other in the
// same run, with the server's own figures (main-thread ELU, padded/real tokens). The README's
// thread-budget table comes from these.
// node scripts/bench/tune.ts embed|classify|rnn-1|rnn-32 '<json env>' ['<json env>' ...]
import { hammer, probeLiveness, textStreams } from './load.ts';
import { startOrtserve } from './processes.ts';
import { routeLoad } from './requests.ts';
import { watchServer } from './server-stats.ts';

const [scenario = 'embed', ...envs] = process.argv.slice(2);
const seconds = Number(process.env.TUNE_SECONDS ?? 8);
const MODELS: Record<string, string> = { embed: 'bert-mini', classify: 'fashion-cnn', 'rnn-1': 'fortune-rnn', 'rnn-32': 'fortune-rnn' };
if (!(scenario in MODELS)) throw new Error(`unknown scenario '${scenario}'; known: ${Object.keys(MODELS).join(', ')}`);

for (const [i, envText] of (envs.length ? envs : ['{}']).entries()) {
  const env = JSON.parse(envText) as Record<string, string>;
  const child = await startOrtserve(18600 + i, env);
  const run = async (s: number) => {
    if (scenario.startsWith('rnn-')) return { tokens_per_s: Math.round((await textStreams(child.url, 'fortune-rnn', Number(scenario.slice(4)), 64, s)).tokens_per_s) };
    const r = await hammer({ ...(await routeLoad(scenario as 'embed' | 'classify')), url: child.url, connections: 64, seconds: s });
    return { rps: Math.round(r.rps), p99: r.p99, errors: r.errors + r.non2xx };
  };
  await run(2);
  const probe = probeLiveness(child.url);
  const server = await watchServer({ url: child.url, pid: child.proc.pid! }, MODELS[scenario]);
  const result = await run(seconds);
  const stats = await server.stop();
  const live = await probe.stop();
  console.log(
    JSON.stringify({
      scenario,
      env,
      ...result,
      elu: Number(stats.elu.toFixed(2)),
      padded_per_real: stats.padded_per_real && Number(stats.padded_per_real.toFixed(2)),
      live_p99: Number(live.p99.toFixed(1)),
    }),
  );
  await child.stop();
}
