// text-generation panel: prompt and sampling settings → tokens streamed over SSE; Stop aborts the
// fetch, and the server drops the stream when the client disconnects.
import { describeError, modelPath, postStream } from '../lib/api.js';
import { apiCallBox } from '../lib/curl.js';
import { field, h, intValue, numberInput, statusLine } from '../lib/dom.js';
import { readEvents } from '../lib/sse.js';

export const task = 'text-generation';
export const id = 'text';
export const title = 'Text generation';
export const nav = 'Text';
export const intro = 'Tokens appear as the server streams them (server-sent events). The same seed and settings give the same text.';

export function render(model) {
  const prompt = h('textarea', { rows: 3, spellcheck: false }, 'The secret of happiness is ');
  const temperature = h('input', { type: 'range', min: 0, max: 2, step: 0.05, value: 0.8 });
  const temperatureOut = h('output', {}, '0.80');
  temperature.addEventListener('input', () => (temperatureOut.textContent = Number(temperature.value).toFixed(2)));
  const maxTokens = numberInput({ value: 300, min: 1, max: 1024 });
  const seed = numberInput({ min: 0, max: 2 ** 31 - 1, placeholder: 'random' });
  const run = h('button', { type: 'submit', class: 'primary' }, 'Generate');
  const stop = h('button', { type: 'button', disabled: true }, 'Stop');
  const status = statusLine();
  const api = apiCallBox();
  const promptEcho = h('span', { class: 'prompt-echo' });
  const generated = h('span', { class: 'generated' });
  const output = h('pre', { class: 'stream-output', dataset: { state: 'idle' }, tabindex: 0, 'aria-label': 'Generated text' }, promptEcho, generated);
  let controller = null;

  // Tokens arrive faster than the screen refreshes: buffer them and paint once per frame.
  let pending = '';
  let frame = 0;
  const flush = () => {
    frame = 0;
    generated.textContent += pending;
    pending = '';
  };
  const append = (text) => {
    pending += text;
    frame ||= requestAnimationFrame(flush);
  };
  const finish = (state, message, kind) => {
    if (frame) cancelAnimationFrame(frame);
    flush();
    output.dataset.state = state;
    status.set(message, kind);
    const refocus = document.activeElement === stop;
    run.disabled = false;
    stop.disabled = true;
    if (refocus) run.focus();
    controller = null;
  };

  async function generate() {
    const body = {
      prompt: prompt.value,
      max_tokens: intValue(maxTokens) ?? 128,
      temperature: Number(temperature.value),
      seed: intValue(seed),
      stream: true,
    };
    const path = modelPath(model.name, 'generate');
    api.show({ path, json: body, stream: true });
    controller = new AbortController();
    promptEcho.textContent = body.prompt;
    generated.textContent = '';
    pending = '';
    output.dataset.state = 'streaming';
    const refocus = document.activeElement === run;
    run.disabled = true;
    stop.disabled = false;
    if (refocus) stop.focus();
    status.set('Streaming…');
    const started = performance.now();
    let count = 0;
    try {
      const res = await postStream(path, body, controller.signal);
      for await (const { event, data } of readEvents(res)) {
        if (data === '[DONE]') break;
        const message = JSON.parse(data);
        if (event === 'error') throw new Error(`${message.message} (${message.code})`);
        if (message.finish_reason) {
          const seconds = (performance.now() - started) / 1000;
          seed.placeholder = `random (last: ${message.seed})`;
          return finish('done', `Done (${message.finish_reason}): ${message.tokens} tokens in ${seconds.toFixed(2)} s, seed ${message.seed}.`);
        }
        append(message.token);
        count++;
      }
      finish('done', `Done: ${count} tokens.`);
    } catch (err) {
      if (err.name === 'AbortError') finish('stopped', `Stopped after ${count} tokens; the server cancelled the rest.`);
      else finish('error', describeError(err), 'error');
    }
  }

  stop.addEventListener('click', () => controller?.abort());
  const form = h(
    'form',
    { class: 'controls', onsubmit: (e) => (e.preventDefault(), generate()) },
    field('Prompt', prompt),
    h('div', { class: 'row' }, field(['Temperature ', temperatureOut], temperature), field('Max tokens', maxTokens), field('Seed', seed)),
    h('div', { class: 'buttons' }, run, stop),
    api.el,
  );
  prompt.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) form.requestSubmit();
  });
  return h('div', { class: 'panel-grid' }, form, h('div', { class: 'results' }, status.el, output));
}
