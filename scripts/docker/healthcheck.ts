// The image's HEALTHCHECK: exit 0 when GET /health/ready answers 200 (every model ready, not draining).
// Runs inside the container, where slim images have no curl; reads the same HOST/PORT as the server.
const port = process.env.PORT || '8080';
const bound = process.env.HOST || '0.0.0.0';
const wildcard = bound === '0.0.0.0' || bound === '::' || bound === '';
const host = wildcard ? '127.0.0.1' : bound.includes(':') ? `[${bound}]` : bound;

try {
  const res = await fetch(`http://${host}:${port}/health/ready`, { signal: AbortSignal.timeout(4_000) });
  process.exit(res.ok ? 0 : 1);
} catch {
  process.exit(1);
}
