// "The same call with curl": each panel shows the request it just made, so the page doubles as API docs.
import { h } from './dom.js';

const quote = (s) => `'${String(s).replaceAll("'", "'\\''")}'`;

/** Renders a curl command for a JSON body, a multipart file or a plain GET. */
export function curlCommand({ path, json, file, stream }) {
  const url = quote(new URL(path, location.origin).href);
  if (file) return `curl -F image=@${file} ${url}`;
  if (json === undefined) return `curl ${url}`;
  return `curl ${stream ? '-N ' : ''}-H 'content-type: application/json' \\\n  -d ${quote(JSON.stringify(json))} \\\n  ${url}`;
}

/** A collapsed <details> that shows the latest call; update it with .show(call). */
export function apiCallBox() {
  const code = h('code', {}, 'Run something first.');
  const el = h('details', { class: 'api-call' }, h('summary', {}, 'The same call with curl'), h('pre', {}, code));
  return {
    el,
    show(call) {
      code.textContent = curlCommand(call);
    },
  };
}
