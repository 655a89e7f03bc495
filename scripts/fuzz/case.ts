// One fuzzed HTTP request: how generators describe it, how it prints in a counterexample, and
// how it is sent with inject (multipart forms are encoded here, with scripts/lib/multipart.ts).
import fc from 'fast-check';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { multipart } from '../lib/multipart.ts';
import type { Method } from './http.ts';
import type { Part } from './multipart.ts';

export interface FuzzCase {
  /** The route under test, for per-route counts (e.g. 'POST /v1/models/:model/classify'). */
  route: string;
  method: Method;
  url: string;
  headers: Record<string, string>;
  body?: string | Buffer;
  /** A valid multipart form, encoded when sent (its Content-Type header is set then). */
  form?: Part[];
}

const preview = (b: string | Buffer, max = 600): string => {
  const text = typeof b === 'string' ? JSON.stringify(b.length > max ? b.slice(0, max) : b) : `<${b.length} bytes, base64 ${b.subarray(0, max).toString('base64')}>`;
  return b.length > max ? `${text}…(${b.length} in all)` : text;
};

/** Makes a case print compactly (and with its size) in fast-check's counterexample reports. */
export function fuzzCase(c: FuzzCase): FuzzCase {
  return Object.assign(c, {
    [fc.toStringMethod]: () => {
      const form = c.form?.map((p) => `{field: ${JSON.stringify(p.field)}, name: ${JSON.stringify(p.name)}, type: ${JSON.stringify(p.type)}, data: ${preview(p.data, 80)}}`);
      return `${c.method} ${c.url} headers=${JSON.stringify(c.headers)}${c.body !== undefined ? ` body=${preview(c.body)}` : ''}${form ? ` form=[${form.join(', ')}]` : ''}`;
    },
  });
}

/** The whole case as JSON (bodies and file contents in base64 when binary), to replay it by hand. */
export function caseJson(c: FuzzCase): string {
  const bytes = (b: Buffer) => ({ base64: b.toString('base64') });
  const body = c.body === undefined ? undefined : typeof c.body === 'string' ? c.body : bytes(c.body);
  const form = c.form?.map((p) => ({ ...p, data: bytes(p.data) }));
  return JSON.stringify({ method: c.method, url: c.url, headers: c.headers, body, form });
}

/** No answer within this long is a hang (the models' own deadline is 30 s; every case is far quicker). */
export const ANSWER_DEADLINE_MS = 40_000;

export async function send(app: FastifyInstance, c: FuzzCase): Promise<LightMyRequestResponse> {
  let headers = c.headers;
  let payload = c.body;
  if (c.form) {
    const encoded = await multipart(c.form);
    headers = { ...encoded.headers, ...headers };
    payload = encoded.payload;
  }
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ANSWER_DEADLINE_MS} ms (a hang)`)), ANSWER_DEADLINE_MS);
  });
  try {
    return await Promise.race([app.inject({ method: c.method, url: c.url, headers, ...(payload !== undefined ? { payload } : {}) }), deadline]);
  } finally {
    clearTimeout(timer);
  }
}
