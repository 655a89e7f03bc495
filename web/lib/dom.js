// DOM helpers: element creation, labelled form fields and status lines.

let nextId = 0;

/** Creates an element: h('button', { class: 'primary', onclick }, 'Go'). */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith('on') && typeof value === 'function') el.addEventListener(key.slice(2), value);
    else if (key === 'dataset') Object.assign(el.dataset, value);
    else if (key in el && typeof value !== 'string') el[key] = value;
    else el.setAttribute(key, value === true ? '' : String(value));
  }
  el.append(...children.flat().filter((c) => c !== undefined && c !== null && c !== false));
  return el;
}

export const uid = (prefix) => `${prefix}-${++nextId}`;

/** A label + control pair; the control gets an id so the label points at it. */
export function field(label, control, hint) {
  control.id ||= uid('f');
  const hintEl = hint ? h('small', { id: uid('hint'), class: 'hint' }, hint) : null;
  if (hintEl) control.setAttribute('aria-describedby', hintEl.id);
  return h('div', { class: 'field' }, h('label', { for: control.id }, label), control, hintEl);
}

export function numberInput({ value, min, max, step = 1, placeholder, name }) {
  return h('input', { type: 'number', inputmode: 'numeric', value: value ?? '', min, max, step, placeholder, name });
}

export function select(options, value) {
  const el = h(
    'select',
    {},
    options.map(([v, text]) => h('option', { value: v }, text)),
  );
  if (value !== undefined) el.value = value;
  return el;
}

/** Reads an optional integer input: '' → undefined. */
export function intValue(input) {
  const text = input.value.trim();
  return text === '' ? undefined : Math.round(Number(text));
}

/** A polite live region for progress and a role=alert one for errors share one element. */
export function statusLine() {
  const el = h('p', { class: 'status', role: 'status', 'aria-live': 'polite' });
  return {
    el,
    set(text, kind = 'info') {
      el.textContent = text;
      el.dataset.kind = kind;
    },
  };
}

/** Disables a button while an async action runs (keeping keyboard focus on it); returns the action's result. */
export async function busy(button, action) {
  const hadFocus = document.activeElement === button;
  button.disabled = true;
  button.setAttribute('aria-busy', 'true');
  try {
    return await action();
  } finally {
    button.disabled = false;
    button.removeAttribute('aria-busy');
    if (hadFocus && document.activeElement === document.body) button.focus();
  }
}
