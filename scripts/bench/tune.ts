// Tuning sweeps: one scenario against ortserve under several settings, same run.
// node scripts/bench/tune.ts embed|classify '<json env>' ['<json env>' ...]
import { hammer, probeLiveness } from './load.ts';
import { startOrtserve } from './processes.ts';
import { routeLoad } from './requests.ts';

const [scenario = 'embed', ...envs] = process.argv.slice(2);
const seconds = Number(process.env.TUNE_SECONDS ?? 8);

const b = await routeLoad(scenario === 'embed' ? 'embed' : 'classify-png');
for (const [i, envText] of (envs.length ? envs : ['{}']).entries()) {
  const env = JSON.parse(envText) as Record<string, string>;
  const child = await startOrtserve(18600 + i, env);
  const load = (s: number) => hammer({ url: child.url, connections: 64, seconds: s, ...b });
  await load(2);
  const probe = probeLiveness(child.url);
  const r = await load(seconds);
  const live = await probe.stop();
  console.log(JSON.stringify({ scenario, env, rps: Math.round(r.rps), p50: r.p50, p99: r.p99, errors: r.errors + r.non2xx, live_p99: Number(live.p99.toFixed(1)) }));
  await child.stop();
}
