// Lake: a browser of the data lake. '/lake' lists the buckets the server knows
// of; '/lake/:bucket?prefix=P' one level of a bucket (breadcrumbs for the prefix, its
// folders first, then its objects with size and time; at the top level also the bucket's
// lifecycle rules, which expire objects under a prefix after a number of days: add,
// remove, apply now); '/lake/:bucket?key=K' one object:
// the first 64 KiB of JSON Lines or other text as text, gzip objects and the first entry
// of .zip ones decompressed here (DecompressionStream, ../zip.js) and .snappy ones
// (../snappy.js) and shown the same way, Parquet
// named with a hint to look inside with `tributary parquet cat`, anything else as a hex
// dump; and a Download button that fetches the whole object. Object bytes only ever become text nodes.
import { api, del, enc, get, post, put } from '../api.js';
import { button, clear, errorBox, fmt, formDialog, h, kv, link, pre, section, table } from '../dom.js';
import { SNAPPY_JAVA_MAGIC, unsnappy } from '../snappy.js';
import { ZIP_MAGIC, zipFirstEntry } from '../zip.js';

const PREVIEW_BYTES = 64 * 1024;   // what the viewer shows, after decompression
const READ_CHUNK = 4 * 1024 * 1024; // the most /object returns in one answer
const HEX_BYTES = 512;

// '#/lake/BUCKET?prefix=P' (or the bucket's top level).
export function lakeHref(bucket, prefix = '') {
  return `#/lake/${enc(bucket)}${prefix ? `?prefix=${enc(prefix)}` : ''}`;
}

// A link to the lake page of an s3://bucket/prefix/ URI (plain text when it is not one).
export function lakeLink(uri) {
  const m = /^s3:\/\/([^/]+)\/?(.*)$/.exec(String(uri || ''));
  return m ? link(lakeHref(m[1], m[2]), uri) : String(uri ?? '—');
}

const objectUrl = (bucket, key, extra = '') =>
  `/v1/lake/buckets/${enc(bucket)}/object?key=${enc(key)}${extra}`;

// Bucket › folder › folder: each a link to that level.
function crumbs(bucket, prefix, last) {
  const parts = prefix.split('/').filter(Boolean);
  const el = h('div', { class: 'crumbs', 'data-testid': 'crumbs' },
    link('#/lake', 'Lake'), ' / ', link(lakeHref(bucket), bucket));
  let sofar = '';
  for (const p of parts) {
    sofar += `${p}/`;
    el.append(' / ', link(lakeHref(bucket, sofar), p));
  }
  if (last) el.append(' / ', h('span', {}, last));
  return el;
}

// "2 rules (1 enabled)", and what the last sweep could not delete.
function lifecycleCell(b) {
  const l = b.lifecycle;
  if (!l) return '—';
  const text = `${l.rules} rule${l.rules === 1 ? '' : 's'}${l.enabled === l.rules ? '' : ` (${l.enabled} enabled)`}`;
  const failed = l.last_sweep?.failed;
  return failed ? `${text}; ${fmt.number(failed)} expired not deleted: ${l.last_sweep.first_error}` : text;
}

async function bucketsPage(ctx) {
  ctx.main.append(h('div', { class: 'toolbar' }, h('h1', {}, 'Lake')));
  let r;
  try {
    r = await get('/v1/lake/buckets');
  } catch (e) {
    if (ctx.alive()) ctx.main.append(errorBox(e, 'Could not list the buckets'));
    return;
  }
  if (!ctx.alive()) return;
  ctx.main.append(
    h('p', { class: 'note' }, `Backend: ${r.backend}. Buckets that streams deliver to and catalog tables live in.`),
    table([
      { title: 'Bucket', value: (b) => link(lakeHref(b.name), b.name) },
      { title: 'URI', value: (b) => h('code', {}, b.uri) },
      { title: 'Lifecycle', value: lifecycleCell },
    ], r.buckets, { testid: 'buckets', rowKey: (b) => b.name, empty: 'No buckets yet: create a stream to fill one.' }));
}

// What "Apply now" did, shown once by the listing it re-renders, by bucket.
const lastSweep = new Map();

// The bucket's lifecycle rules: a table, a form to add (or replace, by ID) one, a button
// per rule to remove it, and one to apply them now.
async function lifecycleSection(ctx, bucket) {
  const url = `/v1/lake/buckets/${enc(bucket)}/lifecycle`;
  const body = h('div');
  const messages = h('div', { 'data-testid': 'lifecycle-messages' });
  const say = (node) => messages.replaceChildren(node);
  let rules = [];
  const save = async (next) => {
    if (next.length) await put(url, { Rules: next });
    else await del(url);
    await show();
  };
  const show = async () => {
    const r = await get(url);
    rules = r.Rules;
    if (!ctx.alive()) return;
    const last = r.LastSweep;
    body.replaceChildren(...(last ? [h('p', { class: 'note', 'data-testid': 'lifecycle-last' },
      `Last applied ${fmt.time(last.finished)}: expired ${fmt.number(last.expired)} of ${fmt.number(last.examined)} objects (${fmt.bytes(last.bytes)})` +
      (last.failed ? `; ${fmt.number(last.failed)} could not be deleted: ${last.first_error}` : '') + '.')] : []));
    body.append(table([
      { title: 'ID', value: (r) => r.ID },
      { title: 'Status', value: (r) => r.Status },
      { title: 'Prefix', value: (r) => (r.Filter.Prefix ? h('code', {}, r.Filter.Prefix) : '(the whole bucket)') },
      { title: 'Expire after', class: 'num', value: (r) => `${fmt.number(r.Expiration.Days)} days` },
      { title: '', value: (r) => button('Remove', () => save(rules.filter((x) => x.ID !== r.ID)).catch((e) => say(errorBox(e, 'Remove'))),
        { kind: 'danger', testid: `remove-rule-${r.ID}` }) },
    ], rules, { testid: 'lifecycle-rules', rowKey: (r) => r.ID,
      empty: 'No rules: objects are kept until deleted.' }));
  };
  const actions = h('div', { class: 'toolbar' },
    button('Add rule', () => formDialog({
      title: `Expire objects of ${bucket}`, submitLabel: 'Save', testid: 'add-lifecycle-rule',
      fields: [
        { name: 'id', label: 'ID', required: true, value: `expire-${rules.length + 1}`, help: 'a rule with the same ID is replaced' },
        { name: 'prefix', label: 'Key prefix', placeholder: '2026/', help: 'empty: the whole bucket' },
        { name: 'days', label: 'Days', type: 'number', required: true, value: 90,
          help: 'objects go at the first midnight UTC this many days after they were written' },
        { name: 'enabled', label: 'Enabled', type: 'checkbox', value: true },
      ],
      submit: async (v) => {
        const rule = { ID: v.id.trim(), Status: v.enabled ? 'Enabled' : 'Disabled', Filter: { Prefix: v.prefix },
                       Expiration: { Days: v.days } };
        await save([...rules.filter((r) => r.ID !== rule.ID), rule]);
      },
    }), { testid: 'add-lifecycle-rule' }),
    button('Apply now', async (ev) => {
      ev.target.disabled = true;
      try {
        const r = await post(`${url}/run`);
        lastSweep.set(bucket, `Expired ${fmt.number(r.expired)} of ${fmt.number(r.examined)} objects (${fmt.bytes(r.bytes)}).` +
          (r.failed ? ` ${fmt.number(r.failed)} could not be deleted: ${r.first_error}` : ''));
        ctx.rerender();  // the listing without what went
      } catch (e) {
        say(errorBox(e, 'Apply the rules'));
      } finally {
        ev.target.disabled = false;
      }
    }, { testid: 'apply-lifecycle' }));
  if (lastSweep.has(bucket)) {
    say(h('p', { class: 'note', 'data-testid': 'lifecycle-result' }, lastSweep.get(bucket)));
    lastSweep.delete(bucket);
  }
  try {
    await show();
  } catch (e) {
    body.replaceChildren(errorBox(e, 'Could not read the lifecycle rules'));
  }
  return section('Lifecycle rules', actions, messages, body);
}

async function listingPage(ctx, bucket, prefix, after) {
  ctx.main.append(crumbs(bucket, prefix), h('div', { class: 'toolbar' }, h('h1', {}, prefix ? `${bucket}/${prefix}` : bucket)));
  let r;
  try {
    r = await get(`/v1/lake/buckets/${enc(bucket)}/objects?prefix=${enc(prefix)}&delimiter=/${after ? `&start_after=${enc(after)}` : ''}`);
  } catch (e) {
    if (ctx.alive()) ctx.main.append(errorBox(e, `Could not list s3://${bucket}/${prefix}`));
    return;
  }
  if (!ctx.alive()) return;
  const rows = [
    ...r.common_prefixes.map((p) => ({ folder: true, key: p })),
    ...r.objects.map((o) => ({ folder: false, ...o })),
  ];
  const name = (row) => row.key.slice(prefix.length);
  ctx.main.append(table([
    { title: 'Name', value: (row) => (row.folder
      ? link(lakeHref(bucket, row.key), name(row))
      : link(`#/lake/${enc(bucket)}?key=${enc(row.key)}`, name(row))) },
    { title: 'Size', class: 'num', value: (row) => (row.folder ? 'folder' : fmt.bytes(row.size)) },
    { title: 'Modified', value: (row) => (row.folder ? '' : fmt.time(row.modified)) },
  ], rows, { testid: 'lake-objects', rowKey: (row) => row.key, empty: 'Nothing under this prefix.' }));
  if (r.truncated) {
    ctx.main.append(h('p', { class: 'note', 'data-testid': 'truncated' }, `${rows.length} entries shown. `,
      link(`${lakeHref(bucket, prefix)}${prefix ? '&' : '?'}after=${enc(r.next_start_after)}`, 'Next page →', { 'data-testid': 'next-page' })));
  }
  if (!prefix && !after) {
    const rules = await lifecycleSection(ctx, bucket);
    if (ctx.alive()) ctx.main.append(rules);
  }
}

// Up to `limit` bytes of a gzip stream's or raw deflate data's output (`format`
// 'deflate-raw'), from its first bytes (maybe cut).
async function inflate(bytes, limit, format = 'gzip') {
  const ds = new DecompressionStream(format);
  const writer = ds.writable.getWriter();
  writer.write(bytes).catch(() => {});
  writer.close().catch(() => {});
  const reader = ds.readable.getReader();
  const chunks = [];
  let n = 0;
  let error = null;
  let ended = false;
  try {
    while (n <= limit) {
      const { value, done } = await reader.read();
      if (done) { ended = true; break; }
      chunks.push(value);
      n += value.length;
    }
  } catch (e) {
    error = e;
  }
  reader.cancel().catch(() => {});
  const out = new Uint8Array(n);
  let at = 0;
  for (const c of chunks) { out.set(c, at); at += c.length; }
  return { bytes: out.subarray(0, limit), cut: n > limit || !ended, error };
}

// The bytes as text, or null when they do not look like text (not UTF-8, or NULs).
function asText(bytes, cut) {
  if (bytes.includes(0)) return null;
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes, { stream: cut });
  } catch {
    return null;
  }
}

function hexDump(bytes) {
  const lines = [];
  for (let i = 0; i < bytes.length; i += 16) {
    const row = [...bytes.subarray(i, i + 16)];
    const hex = row.map((b) => b.toString(16).padStart(2, '0')).join(' ');
    const ascii = row.map((b) => (b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : '.')).join('');
    lines.push(`${i.toString(16).padStart(8, '0')}  ${hex.padEnd(47)}  ${ascii}`);
  }
  return lines.join('\n');
}

const startsWith = (bytes, magic) => magic.every((b, i) => bytes[i] === b);

// How an object is compressed, by its first bytes or its name: 'gzip', 'ZIP', 'Snappy'
// (either of Firehose's two), or null.
function compressionOf(key, bytes) {
  if (startsWith(bytes, [0x1f, 0x8b])) return 'gzip';
  if (startsWith(bytes, ZIP_MAGIC) || key.endsWith('.zip')) return 'ZIP';
  if (startsWith(bytes, SNAPPY_JAVA_MAGIC) || key.endsWith('.snappy')) return 'Snappy';
  return null;
}

// The first PREVIEW_BYTES of what an object's first bytes (`cut` when the object goes on)
// decompress to: {bytes, cut, error, inputCut}. inputCut: the compressed data itself was
// cut, so an error at its end is expected, not a fault (gzip and deflate data stop there).
async function decompressed(format, bytes, cut) {
  if (format === 'gzip') return { ...(await inflate(bytes, PREVIEW_BYTES)), inputCut: cut };
  if (format === 'Snappy') return { ...unsnappy(bytes, PREVIEW_BYTES), inputCut: false };
  const entry = zipFirstEntry(bytes);  // throws naming what is wrong
  if (entry.deflated) return { ...(await inflate(entry.data, PREVIEW_BYTES, 'deflate-raw')), inputCut: entry.cut };
  return { bytes: entry.data.subarray(0, PREVIEW_BYTES), cut: entry.cut || entry.data.length > PREVIEW_BYTES,
           error: null, inputCut: entry.cut };
}

// What the viewer shows for the first bytes of an object of `size` bytes.
async function preview(bucket, key, bytes, size) {
  const cut = bytes.length < size;
  if (startsWith(bytes, [0x50, 0x41, 0x52, 0x31])) {  // PAR1
    return [
      h('p', { 'data-testid': 'object-kind' }, `Parquet, ${fmt.number(size)} bytes.`),
      h('p', { class: 'note' }, 'Look inside with ',
        h('code', {}, `tributary parquet cat <data-dir>/lake/${bucket}/${key} --limit 20`),
        ' (or ', h('code', {}, 'parquet schema'), '), or query the table it belongs to.'),
    ];
  }
  let kind = 'Text';
  let body = bytes;
  let bodyCut = cut;
  const notes = [];
  const format = compressionOf(key, bytes);
  if (format) {
    let z;
    try {
      z = await decompressed(format, bytes, cut);
    } catch (e) {
      z = { error: e, inputCut: false };
    }
    if (z.error && !z.inputCut) {
      return [h('p', { 'data-testid': 'object-kind' }, format), errorBox(z.error, 'Could not decompress this object'),
        pre(hexDump(bytes.subarray(0, HEX_BYTES)), { 'data-testid': 'object-content' })];
    }
    kind = `${format}, decompressed here`;
    body = z.bytes;
    bodyCut = z.cut;
    if (z.cut) {
      notes.push(`Cut: the first ${fmt.bytes(body.length)} of the decompressed data${cut
        ? ` (from the first ${fmt.bytes(bytes.length)} of ${fmt.bytes(size)} compressed)` : ''}; download it for the rest.`);
    }
  } else if (cut) {
    notes.push(`Cut: the first ${fmt.bytes(bytes.length)} of ${fmt.bytes(size)}; download it for the rest.`);
  }
  const text = asText(body, bodyCut);
  if (text === null) {
    const packed = kind.endsWith('decompressed here') ? ` (${kind.split(',')[0]})` : '';
    return [h('p', { 'data-testid': 'object-kind' }, `Binary${packed}, ${fmt.number(size)} bytes: the first ${Math.min(HEX_BYTES, body.length)} bytes.`),
      pre(hexDump(body.subarray(0, HEX_BYTES)), { 'data-testid': 'object-content' })];
  }
  const lines = text.split('\n').filter((l) => l !== '').length;
  return [
    h('p', { 'data-testid': 'object-kind' }, `${kind}, ${fmt.number(lines)} line${lines === 1 ? '' : 's'}${bodyCut ? ' shown' : ''}.`),
    ...notes.map((n) => h('p', { class: 'note', 'data-testid': 'object-cut' }, n)),
    pre(text, { 'data-testid': 'object-content' }),
  ];
}

// Fetches the whole object (in chunks of what /object allows) and saves it.
async function download(bucket, key, size) {
  const parts = [];
  for (let offset = 0; offset < size || offset === 0; offset += READ_CHUNK) {
    const res = await api('GET', objectUrl(bucket, key, `&offset=${offset}&length=${READ_CHUNK}`), undefined, { raw: true });
    parts.push(await res.blob());
    if (size === 0) break;
  }
  const url = URL.createObjectURL(new Blob(parts, { type: 'application/octet-stream' }));
  const a = h('a', { href: url, download: key.split('/').pop() || 'object' });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60000);
}

async function objectPage(ctx, bucket, key) {
  const slash = key.lastIndexOf('/');
  const prefix = slash >= 0 ? key.slice(0, slash + 1) : '';
  const name = key.slice(prefix.length);
  const errors = h('div');
  const toolbar = h('div', { class: 'toolbar' }, h('h1', {}, name));
  ctx.main.append(crumbs(bucket, prefix, name), toolbar, errors);
  let res;
  let bytes;
  try {
    res = await api('GET', objectUrl(bucket, key, `&length=${PREVIEW_BYTES}`), undefined, { raw: true });
    bytes = new Uint8Array(await res.arrayBuffer());
  } catch (e) {
    if (ctx.alive()) errors.append(errorBox(e, `Could not read s3://${bucket}/${key}`));
    return;
  }
  if (!ctx.alive()) return;
  const size = Number(res.headers.get('X-Object-Size') ?? bytes.length);
  toolbar.append(button('Download', async (ev) => {
    ev.target.disabled = true;
    clear(errors);
    try {
      await download(bucket, key, size);
    } catch (e) {
      errors.append(errorBox(e, 'Could not download the object'));
    } finally {
      ev.target.disabled = false;
    }
  }, { testid: 'download' }));
  const content = await preview(bucket, key, bytes, size);
  if (!ctx.alive()) return;
  ctx.main.append(
    section('Object', kv([
      ['Key', h('code', {}, key)],
      ['URI', `s3://${bucket}/${key}`],
      ['Size', `${fmt.bytes(size)} (${fmt.number(size)} bytes)`],
      ['Modified', fmt.time(res.headers.get('X-Object-Modified'))],
    ], { testid: 'object-info' })),
    section('Content', h('div', { 'data-testid': 'object-view' }, content)));
}

export default [
  { route: '/lake', title: 'Lake', nav: 'lake', render: bucketsPage },
  {
    route: '/lake/:bucket',
    title: 'Lake',
    render(ctx) {
      const { bucket } = ctx.params;
      if (ctx.query.key) return objectPage(ctx, bucket, ctx.query.key);
      return listingPage(ctx, bucket, ctx.query.prefix || '', ctx.query.after || '');
    },
  },
];
