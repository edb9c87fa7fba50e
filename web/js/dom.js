// Building the page: elements from data with text nodes only (no HTML strings, so
// nothing a device or a user named can become markup), and the few shapes every page
// uses: tables, status badges, key/value lists, forms in dialogs, charts.

// h('a', {href: '#/things', class: 'x', onclick: fn}, 'text', child, [more])
export function h(tag, props = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(props || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else if (k === 'class') el.className = v;
    else if (k === 'text') el.textContent = v;
    else if (k === 'value') el.value = v;
    else if (k === 'checked') el.checked = Boolean(v);
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  append(el, children);
  return el;
}

export function append(el, children) {
  for (const c of children.flat(Infinity)) {
    if (c === undefined || c === null || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

export function clear(el) {
  while (el.firstChild) el.firstChild.remove();
  return el;
}

export const link = (href, text, props = {}) => h('a', { href, ...props }, text);

export function button(label, onclick, { kind = '', title, testid } = {}) {
  return h('button', { type: 'button', class: kind, title, 'data-testid': testid, onclick }, label);
}

// Words a status may have, by the colour they get.
const STATUS_CLASS = [
  [/^(ok|completed|inservice|deployed|enabled|active|ready|succeeded|within|delivered)$/i, 'good'],
  [/^(failed|error|rolledback|drift|deactivated|outofservice|breach)$/i, 'bad'],
  [/^(stopped|disabled|deleting|stopping|cancelled|none|idle|scheduled)$/i, 'muted'],
];

export function badge(status) {
  const s = String(status ?? '—');
  const cls = STATUS_CLASS.find(([re]) => re.test(s.replace(/[\s_-]/g, '')))?.[1] || 'busy';
  return h('span', { class: `badge ${cls}` }, s);
}

// table([{title, value: row => string|Node, class}], rows, {empty, testid, rowKey})
export function table(columns, rows, { empty = 'Nothing here yet.', testid, rowKey } = {}) {
  if (!rows || rows.length === 0) return h('p', { class: 'empty', 'data-testid': testid }, empty);
  const head = h('tr', {}, columns.map((c) => h('th', { class: c.class }, c.title)));
  const body = rows.map((row) =>
    h('tr', { 'data-key': rowKey ? rowKey(row) : undefined },
      columns.map((c) => h('td', { class: c.class }, c.value(row)))));
  return h('table', { 'data-testid': testid }, h('thead', {}, head), h('tbody', {}, body));
}

// A definition list of [label, value] pairs; null values are left out.
export function kv(pairs, { testid } = {}) {
  const dl = h('dl', { class: 'kv', 'data-testid': testid });
  for (const [k, v] of pairs) {
    if (v === undefined || v === null) continue;
    dl.append(h('dt', {}, k), h('dd', {}, v instanceof Node ? v : String(v)));
  }
  return dl;
}

// JSON with two-space indents, arrays of plain values kept on one line: documents and
// requests people read and edit in the pages.
export function compactJson(v, indent = '') {
  if (v === null || typeof v !== 'object') return JSON.stringify(v);
  if (Array.isArray(v) && v.every((x) => x === null || typeof x !== 'object')) return JSON.stringify(v);
  const inner = `${indent}  `;
  const items = Array.isArray(v)
    ? v.map((x) => inner + compactJson(x, inner))
    : Object.entries(v).map(([k, x]) => `${inner}${JSON.stringify(k)}: ${compactJson(x, inner)}`);
  const [open, close] = Array.isArray(v) ? ['[', ']'] : ['{', '}'];
  return items.length ? `${open}\n${items.join(',\n')}\n${indent}${close}` : `${open}${close}`;
}

// A labelled figure in a `.cards` grid; a link when `href` is given.
export function stat(label, value, { href, testid } = {}) {
  const body = [h('div', { class: 'label' }, label), h('div', { class: 'value', 'data-testid': testid }, value)];
  return href ? h('a', { class: 'stat', href }, body) : h('div', { class: 'stat' }, body);
}

export function section(title, ...children) {
  return h('section', { class: 'card' }, h('h2', {}, title), ...children);
}

export function errorBox(err, what) {
  const text = err && err.message ? err.message : String(err);
  return h('div', { class: 'error', role: 'alert' }, what ? `${what}: ${text}` : text);
}

export function pre(text, props = {}) {
  return h('pre', props, text);
}

export const fmt = {
  number(n) {
    if (n === undefined || n === null || Number.isNaN(Number(n))) return '—';
    return Number(n).toLocaleString('en-US', { maximumFractionDigits: 3 });
  },
  bytes(n) {
    if (n === undefined || n === null) return '—';
    const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
    let v = Number(n);
    let i = 0;
    while (v >= 1024 && i < units.length - 1) { v /= 1024; i += 1; }
    return `${i === 0 ? v : v.toFixed(1)} ${units[i]}`;
  },
  // An ISO 8601 string or Unix milliseconds, as the browser's local time.
  time(t) {
    if (t === undefined || t === null || t === '' || t === 0) return '—';
    const d = new Date(typeof t === 'number' ? t : String(t));
    return Number.isNaN(d.getTime()) ? String(t) : d.toLocaleString();
  },
  duration(ms) {
    if (ms === undefined || ms === null) return '—';
    if (ms < 1000) return `${Math.round(ms)} ms`;
    const s = ms / 1000;
    if (s < 120) return `${s.toFixed(1)} s`;
    if (s < 7200) return `${Math.round(s / 60)} min`;
    return `${(s / 3600).toFixed(1)} h`;
  },
  json(v) { return JSON.stringify(v, null, 2); },
};

// A form in a modal dialog. fields: [{name, label, type: text|number|textarea|select|
// checkbox, value, options, placeholder, required, help}]. `submit(values)` may throw;
// its error is shown in the dialog, which stays open with what was typed.
export function formDialog({ title, fields, submitLabel = 'Create', submit, testid }) {
  const dialog = h('dialog', { class: 'form', 'data-testid': testid });
  const inputs = {};
  const rows = fields.map((f) => {
    let input;
    const common = { name: f.name, id: `f-${f.name}`, required: f.required, placeholder: f.placeholder };
    if (f.type === 'textarea') input = h('textarea', { ...common, rows: f.rows || 8, spellcheck: 'false' }, f.value ?? '');
    else if (f.type === 'select') {
      input = h('select', common, (f.options || []).map((o) => h('option', { value: o }, o)));
      if (f.value !== undefined) input.value = f.value;
    } else if (f.type === 'checkbox') input = h('input', { ...common, type: 'checkbox', checked: f.value });
    else input = h('input', { ...common, type: f.type || 'text', value: f.value ?? '', step: f.step });
    inputs[f.name] = input;
    return h('label', { for: common.id }, h('span', {}, f.label), input, f.help ? h('small', {}, f.help) : null);
  });
  const error = h('div', { class: 'error', role: 'alert', hidden: true });
  const submitButton = h('button', { type: 'submit', class: 'primary' }, submitLabel);
  const form = h('form', { method: 'dialog' },
    h('h2', {}, title), ...rows, error,
    h('div', { class: 'actions' }, button('Cancel', () => { dialog.close(); dialog.remove(); }), submitButton));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const values = {};
    for (const f of fields) {
      const el = inputs[f.name];
      values[f.name] = f.type === 'checkbox' ? el.checked : f.type === 'number' && el.value !== '' ? Number(el.value) : el.value;
    }
    submitButton.disabled = true;
    error.hidden = true;
    try {
      await submit(values);
      dialog.close();
      dialog.remove();
    } catch (e) {
      error.textContent = e.message || String(e);
      error.hidden = false;
    } finally {
      submitButton.disabled = false;
    }
  });
  dialog.append(form);
  document.body.append(dialog);
  dialog.showModal();
  return dialog;
}

// Parses JSON typed into a form, naming the field when it is not JSON.
export function parseJsonField(text, field) {
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new Error(`${field} is not valid JSON: ${e.message}`);
  }
}

const SVG = 'http://www.w3.org/2000/svg';
function s(tag, attrs = {}, ...children) {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) if (v !== undefined) el.setAttribute(k, String(v));
  for (const c of children) el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return el;
}

// A line chart. series: [{name, points: [[x, y], ...], class, dashed}] with numeric x
// (Unix ms or an index); bands: [{name, upper: [[x,y]], lower: [[x,y]]}] drawn shaded.
// Points whose y is not a finite number are gaps.
export function lineChart({ series = [], bands = [], width = 900, height = 240, xTime = true, yLabel = '', testid }) {
  const pad = { l: 56, r: 12, t: 12, b: 28 };
  const all = [...series.flatMap((x) => x.points), ...bands.flatMap((b) => [...b.upper, ...b.lower])]
    .filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y));
  const svg = s('svg', { viewBox: `0 0 ${width} ${height}`, class: 'chart', role: 'img', 'aria-label': yLabel, 'data-testid': testid });
  if (all.length === 0) {
    svg.append(s('text', { x: width / 2, y: height / 2, 'text-anchor': 'middle', class: 'axis' }, 'no data yet'));
    return svg;
  }
  let [x0, x1] = [Math.min(...all.map((p) => p[0])), Math.max(...all.map((p) => p[0]))];
  let [y0, y1] = [Math.min(...all.map((p) => p[1])), Math.max(...all.map((p) => p[1]))];
  if (x0 === x1) { x0 -= 1; x1 += 1; }
  if (y0 === y1) { y0 = y0 === 0 ? 0 : y0 - Math.abs(y0) * 0.1; y1 = y1 === 0 ? 1 : y1 + Math.abs(y1) * 0.1; }
  const margin = (y1 - y0) * 0.05;
  y0 = y0 >= 0 ? Math.max(0, y0 - margin) : y0 - margin;  // rates and counts stay above zero
  y1 += margin;
  const X = (x) => pad.l + ((x - x0) / (x1 - x0)) * (width - pad.l - pad.r);
  const Y = (y) => height - pad.b - ((y - y0) / (y1 - y0)) * (height - pad.t - pad.b);
  for (let i = 0; i <= 4; i += 1) {
    const v = y0 + ((y1 - y0) * i) / 4;
    svg.append(s('line', { x1: pad.l, x2: width - pad.r, y1: Y(v), y2: Y(v), class: 'grid' }));
    svg.append(s('text', { x: pad.l - 6, y: Y(v) + 4, 'text-anchor': 'end', class: 'axis' }, fmt.number(Number(v.toPrecision(3)))));
  }
  // Within two days the time of day says enough; past that, the date too.
  const timeFormat = x1 - x0 < 2 * 86400e3 ? { hour: '2-digit', minute: '2-digit', second: '2-digit' }
    : { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' };
  [[x0, 'start'], [(x0 + x1) / 2, 'middle'], [x1, 'end']].forEach(([x, anchor]) => {
    const label = xTime ? new Date(x).toLocaleString([], timeFormat) : fmt.number(Math.round(x));
    svg.append(s('text', { x: X(x), y: height - 8, 'text-anchor': anchor, class: 'axis' }, label));
  });
  for (const b of bands) {
    const up = b.upper.filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y));
    const lo = b.lower.filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y)).reverse();
    if (!up.length || !lo.length) continue;
    const d = [...up, ...lo].map(([x, y], i) => `${i ? 'L' : 'M'}${X(x).toFixed(1)},${Y(y).toFixed(1)}`).join('') + 'Z';
    svg.append(s('path', { d, class: `band ${b.class || ''}` }, s('title', {}, b.name || '')));
  }
  series.forEach((ser, i) => {
    let d = '';
    let pen = false;
    for (const [x, y] of ser.points) {
      if (!Number.isFinite(x) || !Number.isFinite(y)) { pen = false; continue; }
      d += `${pen ? 'L' : 'M'}${X(x).toFixed(1)},${Y(y).toFixed(1)}`;
      pen = true;
    }
    const path = s('path', { d, class: `line s${i} ${ser.class || ''}`, 'stroke-dasharray': ser.dashed ? '5 4' : undefined });
    path.append(s('title', {}, ser.name || ''));
    svg.append(path);
  });
  if (series.length > 1 || bands.length) {
    let lx = pad.l + 8;
    series.forEach((ser, i) => {
      svg.append(s('rect', { x: lx, y: pad.t, width: 10, height: 3, class: `key s${i} ${ser.class || ''}` }));
      const t = s('text', { x: lx + 14, y: pad.t + 5, class: 'axis' }, ser.name || '');
      svg.append(t);
      lx += 24 + 7 * String(ser.name || '').length;
    });
  }
  return svg;
}
