// The invariant every fuzzed request must keep: no 5xx; every error is JSON in the route's
// documented error shape with a message; no stack trace or server file path in an error (or in
// an SSE stream), unless the client itself sent that text and the server only echoed it.
import type { LightMyRequestResponse } from 'fastify';
import { wireFormat } from '../../server/plugins/error-handler.ts';
import { REPO_DIR } from '../lib/paths.ts';
import type { FuzzCase } from './case.ts';

const LEAKS: RegExp[] = [
  /\bat .*\.(?:ts|js|mjs|cjs):\d+/, // a stack frame
  /file:\/\/\//,
  /\/work\//,
  /\/app\//,
  /node_modules/,
  /(?:\/[\w.@+-]+){2,}\.(?:ts|js|mjs|cjs|cc|cpp|h|node|onnx)\b/, // a source or model file path
  new RegExp(REPO_DIR.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')),
];

function sentText(c: FuzzCase): string {
  const parts = [c.url, JSON.stringify(c.headers), typeof c.body === 'string' ? c.body : (c.body?.toString('latin1') ?? '')];
  for (const p of c.form ?? []) parts.push(p.field, p.name, p.type, p.data.toString('latin1'));
  try {
    parts.push(decodeURIComponent(c.url));
  } catch {
    // a malformed percent-escape: the raw URL is already in the list
  }
  return parts.join('\n');
}

/** The first leak pattern found in `text` that the client did not send itself. */
export function findLeak(text: string, c: FuzzCase): string | undefined {
  const sent = sentText(c);
  for (const re of LEAKS) {
    const m = re.exec(text);
    if (m && !sent.includes(m[0])) return m[0];
  }
  return undefined;
}

type Shape = 'ortserve' | 'openai' | 'kserve-v2' | 'tei';

/** Error shapes: ortserve's, OpenAI's on its /v1 routes, the KServe V2 protocol's on /v2 routes, TEI's on /hf. */
function matchesShape(body: Record<string, unknown>, status: number): Shape | undefined {
  const str = (v: unknown) => typeof v === 'string' && v.length > 0;
  if (body.statusCode === status && str(body.code) && str(body.error) && str(body.message)) return 'ortserve';
  if (str(body.error) && str(body.error_type) && Object.keys(body).length === 2) return 'tei';
  const e = body.error as Record<string, unknown> | undefined;
  if (typeof e === 'object' && e !== null && str(e.message) && str(e.type) && Object.keys(body).length === 1) return 'openai';
  if (str(body.error) && Object.keys(body).length === 1) return 'kserve-v2';
  return undefined;
}

const WIRE_SHAPE = { rest: 'ortserve', openai: 'openai', v2: 'kserve-v2', tei: 'tei' } as const;
/** ortserve's shape (errors before routing) or the route's own (the server's one wireFormat rule). */
const allowedShapes = (url: string): Shape[] => ['ortserve', WIRE_SHAPE[wireFormat(url)]];

function fail(what: string, res: LightMyRequestResponse): never {
  throw new Error(`${what} — got ${res.statusCode} ${res.headers['content-type'] ?? ''}: ${res.body.slice(0, 500)}`);
}

/** Throws an Error saying what is wrong when `res` breaks the invariant for request `c`. */
export function checkResponse(c: FuzzCase, res: LightMyRequestResponse): void {
  if (res.statusCode >= 500) fail('a 5xx answer', res);
  const type = String(res.headers['content-type'] ?? '');
  if (type.startsWith('text/event-stream')) {
    const leak = findLeak(res.body, c);
    if (leak) fail(`the SSE stream leaks '${leak}'`, res);
    for (const m of res.body.matchAll(/^event: error\ndata: (.*)$/gm)) {
      const event = JSON.parse(m[1]!) as { statusCode?: number };
      if ((event.statusCode ?? 500) >= 500) fail('a 5xx error event in the SSE stream', res);
    }
    return;
  }
  if (type.startsWith('application/json') && res.body !== '') {
    try {
      JSON.parse(res.body);
    } catch {
      fail('a JSON content type with a body that is not JSON', res);
    }
  }
  if (res.statusCode < 400 || c.method === 'HEAD') return;
  let body: unknown;
  try {
    body = JSON.parse(res.body);
  } catch {
    fail('an error whose body is not JSON', res);
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) fail('an error whose body is not a JSON object', res);
  const shape = matchesShape(body as Record<string, unknown>, res.statusCode);
  if (!shape || !allowedShapes(c.url).includes(shape)) fail(`an error body not in the route's error shape (${allowedShapes(c.url).join(' or ')}: statusCode/code/error/message)`, res);
  const leak = findLeak(res.body, c);
  if (leak) fail(`an error that leaks '${leak}'`, res);
}
