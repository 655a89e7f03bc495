// Runs an autocannon load in its own process (so the test process that probes latency is idle):
// node tests/helpers/load-child.ts <url> <seconds> <connections> <json-body>...
import autocannon from 'autocannon';

const [url, seconds, connections, ...bodies] = process.argv.slice(2);
if (!url?.startsWith('http://127.0.0.1:')) throw new Error('load targets loopback only');
let next = 0;
const result = await autocannon({
  url,
  method: 'POST',
  duration: Number(seconds),
  connections: Number(connections),
  headers: { 'content-type': 'application/json' },
  requests: [{ setupRequest: (req) => ({ ...req, body: bodies[next++ % bodies.length] }) }],
});
console.log(JSON.stringify({ requests: result.requests.total, non2xx: result.non2xx, errors: result.errors }));
