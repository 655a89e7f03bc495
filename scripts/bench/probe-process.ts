// The liveness prober as its own process: GET /health/live every `intervalMs` until its stdin
// closes, then one JSON line: latency percentiles, the maximum, and every probe (when it was sent,
// in ms since the epoch, and how long it took). A probe still outstanding when stdin closes counts
// as the time it has waited so far: a server that stops answering shows up, not as no data.
// Apart from the load generator, so a busy load generator's event loop never shows up as the
// server's latency.
// node scripts/bench/probe-process.ts <url> [intervalMs]
import { percentile } from './load.ts';

const [url = '', intervalArg = '20'] = process.argv.slice(2);
const probes: [sentAt: number, ms: number][] = [];
let stop = () => {};
const stopped = new Promise<void>((resolve) => (stop = resolve));
let running = true;
process.stdin
  .on('end', () => {
    running = false;
    stop();
  })
  .resume();
while (running) {
  const t0 = performance.now();
  const answered = fetch(`${url}/health/live`)
    .then((r) => r.arrayBuffer())
    .catch(() => undefined);
  await Promise.race([answered, stopped]);
  probes.push([performance.timeOrigin + t0, performance.now() - t0]);
  if (running) await Promise.race([new Promise((r) => setTimeout(r, Number(intervalArg))), stopped]);
}
const times = probes.map((p) => p[1]);
console.log(JSON.stringify({ p50: percentile(times, 50), p99: percentile(times, 99), max: Math.max(...times), n: times.length, probes }));
// A probe cut short still holds its socket open: exit rather than wait for the server to answer it.
process.exit(0);
