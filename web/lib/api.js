// The ortserve HTTP API as the playground uses it: JSON in, JSON out, errors as ApiError.

export class ApiError extends Error {
  constructor(status, body) {
    super(body?.message ?? `HTTP ${status}`);
    this.status = status;
    this.code = body?.code;
  }
}

async function unwrap(res) {
  if (res.ok) return res.json();
  const body = await res.json().catch(() => ({ message: res.statusText }));
  throw new ApiError(res.status, body);
}

export const getJson = (path, init = {}) => fetch(path, { headers: { accept: 'application/json' }, ...init }).then(unwrap);

export const getText = (path) =>
  fetch(path).then(async (res) => {
    if (!res.ok) throw new ApiError(res.status, { message: res.statusText });
    return res.text();
  });

export function postJson(path, body, init = {}) {
  return fetch(path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body), ...init }).then(unwrap);
}

export function postForm(path, form) {
  return fetch(path, { method: 'POST', body: form }).then(unwrap);
}

/** Opens a streaming POST; resolves to the Response once headers arrive (errors still throw ApiError). */
export async function postStream(path, body, signal) {
  const res = await fetch(path, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'text/event-stream' },
    body: JSON.stringify(body),
    signal,
  });
  if (!res.ok) await unwrap(res);
  return res;
}

/** A one-line, user-facing description of a failed call. */
export function describeError(err) {
  if (err instanceof ApiError) return `${err.message}${err.code ? ` (${err.code}, HTTP ${err.status})` : ` (HTTP ${err.status})`}`;
  return err instanceof Error ? err.message : String(err);
}

export const modelPath = (model, route) => `/v1/models/${encodeURIComponent(model)}/${route}`;
