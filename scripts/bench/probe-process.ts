// The liveness prober as its own process: GET /health/live every `intervalMs` until its stdin
// closes, then one JSON line of latency percentiles. Apart from the load generator, so a busy
// load generator's event loop never shows up as the server's latency.
// node scripts/bench/probe-process.ts <url> [intervalMs]
import { percentile } from './load.ts';

const [url = '', intervalArg = '20'] = process.argv.slice(2);
const times: number[] = [];
let running = true;
process.stdin.on('end', () => (running = false)).resume();
while (running) {
  const t0 = performance.now();
  await fetch(`${url}/health/live`).then((r) => r.arrayBuffer()).catch(() => undefined);
  times.push(performance.now() - t0);
  await new Promise((r) => setTimeout(r, Number(intervalArg)));
}
console.log(JSON.stringify({ p50: percentile(times, 50), p99: percentile(times, 99), max: Math.max(...times), n: times.length }));
