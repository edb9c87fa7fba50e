// Delivery streams: where each one delivers (bucket, prefix, buffering, compression),
// what went through it (records and bytes in, objects delivered, latency, what is
// buffered, the write-ahead log), and the actions a user takes on one: create, flush
// the buffers now, change the destination, put a test record, delete.
import { del, enc, get, post } from '../api.js';
import { badge, button, errorBox, fmt, formDialog, h, kv, link, section, table } from '../dom.js';

const STREAM_FIELDS = (c = {}) => [
  { name: 'bucket', label: 'Bucket', required: true, value: c.bucket ?? 'iot-data' },
  { name: 'prefix', label: 'Prefix', value: c.prefix ?? '', help: 'Default YYYY/MM/DD/HH/ (on the time zone\'s clock). Templates: !{timestamp:yyyy/MM/dd}, !{partitionKeyFromQuery:device}.' },
  { name: 'error_prefix', label: 'Error prefix', value: c.error_prefix ?? '', help: 'Where records go that could not be delivered.' },
  { name: 'buffer_size_mib', label: 'Buffer size, MiB (1–128)', type: 'number', value: c.buffer_size_mib ?? 5 },
  { name: 'buffer_interval_s', label: 'Buffer interval, s (0–900)', type: 'number', value: c.buffer_interval_s ?? 300 },
  { name: 'compression', label: 'Compression', type: 'select', options: ['none', 'gzip', 'zip', 'snappy', 'hadoop_snappy'], value: c.compression ?? 'none' },
  { name: 'time_zone', label: 'Time zone', value: c.time_zone ?? 'UTC', help: 'The clock of the keys\' times: UTC, Asia/Tokyo, +05:30.' },
  { name: 'file_extension', label: 'File extension', value: c.file_extension ?? '', help: 'Ends the object names instead of the default (.gz with gzip, .zip with ZIP, .snappy with either Snappy), e.g. .jsonl.' },
  { name: 'partition_query', label: 'Partition query', value: c.partition_query ?? '', help: 'Where the prefix\'s partitionKeyFromQuery names are: {device: .device.id}, or the event\'s own day: {day: .ts_ms / 1000 | strftime("%Y-%m-%d")}. Empty: top-level fields.' },
  { name: 'record_delimiter', label: 'Record delimiter', value: escapeDelimiter(c.record_delimiter ?? ''), help: 'Written after every record, as Firehose\'s AppendDelimiterToRecord: \\n for a newline. Empty: records are stored as put.' },
  { name: 'parquet_table', label: 'Parquet table', value: parquetTable(c), placeholder: 'iot.readings', help: 'Write each object as a Parquet file with this catalog table\'s columns (DATABASE.TABLE), as Firehose\'s record format conversion; records that do not fit go to the error prefix. Empty: records as put.' },
  { name: 'backup_bucket', label: 'Backup bucket', value: c.backup?.bucket ?? '', help: 'Also keep every record as put in this bucket, as Firehose\'s source record backup (beside Parquet, say). Empty: no backup.' },
  { name: 'backup_prefix', label: 'Backup prefix', value: c.backup?.prefix ?? '', help: 'Default YYYY/MM/DD/HH/. Templates: !{timestamp:yyyy/MM/dd}, !{firehose:random-string}.' },
  { name: 'backup_compression', label: 'Backup compression', type: 'select', options: ['none', 'gzip', 'zip', 'snappy', 'hadoop_snappy'], value: c.backup?.compression ?? 'none' },
  { name: 'deaggregation', label: 'Deaggregation', type: 'select', options: ['none', 'json', 'delimited'], value: c.deaggregation?.type ?? 'none', help: 'Take a put of several records apart, as Firehose\'s RecordDeAggregation: json (objects one after another or one a line), or delimited by the delimiter below.' },
  { name: 'deaggregation_delimiter', label: 'Deaggregation delimiter', value: escapeDelimiter(c.deaggregation?.delimiter ?? ''), help: 'With delimited: what separates the records of one put (\\n for a newline).' },
];

// The table a converting stream writes Parquet by, as DATABASE.TABLE ('' when it does not convert).
function parquetTable(c) {
  const f = c.format_conversion;
  return f && f.enabled ? `${f.database}.${f.table}` : '';
}

// A delimiter shown and typed with backslash escapes (\n, \r, \t, \\), as the CLI takes it.
function escapeDelimiter(d) {
  return d.replace(/[\\\n\r\t]/g, (ch) => ({ '\\': '\\\\', '\n': '\\n', '\r': '\\r', '\t': '\\t' })[ch]);
}
function unescapeDelimiter(text) {
  return text.replace(/\\([nrt\\])/g, (_, ch) => ({ n: '\n', r: '\r', t: '\t', '\\': '\\' })[ch]);
}
// The form's values as a stream's config; the conversion only when the table was changed
// from `c`'s (so a configuration made through Firehose's API keeps its other settings).
function streamConfig(v, c = {}) {
  const { parquet_table: table = '', backup_bucket: backupBucket = '', backup_prefix: backupPrefix = '',
          backup_compression: backupCompression = 'none', deaggregation = 'none',
          deaggregation_delimiter: deaggregationDelimiter = '', ...rest } = v;
  const out = { ...rest, record_delimiter: unescapeDelimiter(v.record_delimiter ?? '') };
  out.deaggregation = deaggregation === 'none' ? null
    : { type: deaggregation, ...(deaggregation === 'delimited' ? { delimiter: unescapeDelimiter(deaggregationDelimiter) } : {}) };
  out.backup = backupBucket.trim() === '' ? null
    : { bucket: backupBucket.trim(), prefix: backupPrefix, compression: backupCompression };
  const wanted = table.trim();
  if (wanted !== parquetTable(c)) {
    const dot = wanted.indexOf('.');
    out.format_conversion = wanted === '' ? {}
      : { enabled: true, database: dot < 0 ? '' : wanted.slice(0, dot), table: wanted.slice(dot + 1) };
  }
  return out;
}

// The lake page of where a stream delivers: the prefix up to its first template.
function lakeLink(c) {
  const fixed = (c.prefix || '').split('!{')[0];
  const folder = fixed.includes('/') ? fixed.slice(0, fixed.lastIndexOf('/') + 1) : '';
  return link(`#/lake/${enc(c.bucket)}${folder ? `?prefix=${enc(folder)}` : ''}`, `s3://${c.bucket}/${c.prefix || ''}`);
}

async function renderStreams(ctx) {
  const list = h('div');
  ctx.main.append(h('div', { class: 'toolbar' }, h('h1', {}, 'Delivery streams'),
    button('Create stream', () => formDialog({
      title: 'Create delivery stream',
      testid: 'create-stream',
      fields: [{ name: 'name', label: 'Name', required: true, placeholder: 'pm' }, ...STREAM_FIELDS()],
      submit: async (v) => {
        await post('/v1/streams', { ...streamConfig(v), name: v.name.trim() });
        ctx.navigate(`#/streams/${enc(v.name.trim())}`);
      },
    }), { kind: 'primary', testid: 'create-stream' })), list);
  const show = async () => {
    const r = await get('/v1/streams');
    if (!ctx.alive()) return;
    list.replaceChildren(table([
      { title: 'Name', value: (s) => link(`#/streams/${enc(s.config.name)}`, s.config.name) },
      { title: 'State', value: (s) => badge(s.status) },
      { title: 'Destination', value: (s) => lakeLink(s.config) },
      { title: 'Records in', class: 'num', value: (s) => fmt.number(s.stats.records_in) },
      { title: 'Delivered', class: 'num', value: (s) => fmt.number(s.stats.records_delivered) },
      { title: 'Objects', class: 'num', value: (s) => fmt.number(s.stats.objects_delivered) },
      { title: 'Buffered', class: 'num', value: (s) => fmt.bytes(s.stats.buffered_bytes) },
      { title: 'Errors', class: 'num', value: (s) => fmt.number(s.stats.delivery_errors) },
    ], r.streams, { testid: 'streams', rowKey: (s) => s.config.name, empty: 'No delivery streams yet.' }));
  };
  await show();
  ctx.every(2000, () => show().catch(() => {}));
}

function statsView(d) {
  const s = d.stats;
  return h('div', { class: 'grid2' },
    section('Into the stream', kv([
      ['Records in', fmt.number(s.records_in)],
      ['Bytes in', fmt.bytes(s.bytes_in)],
      ['Recovered from the log at start', fmt.number(s.records_recovered)],
      ['Records refused', fmt.number(s.records_rejected)],
      ['Buffered (not yet delivered)', fmt.bytes(s.buffered_bytes)],
      ['Write-ahead log', fmt.bytes(s.wal_bytes)],
      ['Records lost to log damage', fmt.number(s.wal_records_lost)],
      ['Group commits', `${fmt.number(s.wal_commits)} (avg ${fmt.number(s.avg_wal_commit_us)} µs, ${fmt.number(s.avg_records_per_commit)} records each)`],
    ], { testid: 'stream-in' })),
    section('Into the lake', kv([
      ['Records delivered', fmt.number(s.records_delivered)],
      ['Objects delivered', fmt.number(s.objects_delivered)],
      ['Bytes delivered', fmt.bytes(s.bytes_delivered)],
      ['Delivery latency (last / avg / max)', `${fmt.duration(s.last_delivery_latency_ms)} / ${fmt.duration(s.avg_delivery_latency_ms)} / ${fmt.duration(s.max_delivery_latency_ms)}`],
      ['Buffers sealed early', fmt.number(s.buffers_sealed_early)],
      ['Delivery errors', fmt.number(s.delivery_errors)],
      ['Records sent to the error prefix', fmt.number(s.records_to_error_prefix)],
      ['Last error', s.last_error ? `${s.last_error} (${fmt.time(s.last_error_time)})` : 'none'],
    ], { testid: 'stream-out' })));
}

// UTF-8 text to base64, as Direct PUT wants its Data.
function base64(text) {
  const bytes = new TextEncoder().encode(text);
  let bin = '';
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin);
}

async function renderStream(ctx) {
  const name = ctx.params.name;
  const d = await get(`/v1/streams/${enc(name)}`);
  if (!ctx.alive()) return;
  const c = d.config;
  const stats = h('div', {}, statsView(d));
  const messages = h('div');
  const say = (node) => messages.replaceChildren(node);
  ctx.main.append(h('div', { class: 'crumbs' }, link('#/streams', 'Delivery streams'), ' / ', name),
    h('div', { class: 'toolbar' }, h('h1', {}, name), badge(d.status),
      button('Flush now', async () => {
        try {
          await post(`/v1/streams/${enc(name)}/flush`);
          say(h('p', { class: 'note' }, 'Flushed: every buffer is on its way to the lake.'));
        } catch (e) { say(errorBox(e, 'Flush')); }
      }, { testid: 'flush' }),
      button('Put record', () => formDialog({
        title: `Put a record into ${name}`, submitLabel: 'Put', testid: 'put-record',
        fields: [{ name: 'data', label: 'Record (sent as is; Direct PUT)', type: 'textarea', rows: 4, value: '{"device": "console", "pm25": 12.5}' }],
        submit: async (v) => {
          const r = await post(`/v1/streams/${enc(name)}/records`, { Record: { Data: base64(v.data) } });
          say(h('p', { class: 'note' }, `Record ${r.RecordId} is in the stream's log.`));
        },
      }), { testid: 'put-record' }),
      button('Change destination', () => formDialog({
        title: `Destination of ${name}`, submitLabel: 'Save', testid: 'edit-destination',
        fields: STREAM_FIELDS(c),
        submit: async (v) => { await post(`/v1/streams/${enc(name)}/destination`, streamConfig(v, c)); ctx.rerender(); },
      }), { testid: 'edit-destination' }),
      button('Delete', async () => {
        if (!confirm(`Delete stream ${name}? Records not yet delivered are delivered first.`)) return;
        try { await del(`/v1/streams/${enc(name)}`); ctx.navigate('#/streams'); } catch (e) { say(errorBox(e, 'Delete')); }
      }, { kind: 'danger', testid: 'delete-stream' })),
    messages,
    section('Destination', kv([
      ['Lake', lakeLink(c)],
      ['Error prefix', c.error_prefix || '(default)'],
      ['Buffering', `${c.buffer_size_mib} MiB or ${c.buffer_interval_s} s, whichever comes first`],
      ['Compression', c.compression],
      ['Time zone', c.time_zone || 'UTC'],
      ['File extension', c.file_extension || '(default)'],
      ['Partition query', c.partition_query || '(top-level fields)'],
      ['Record delimiter', c.record_delimiter ? escapeDelimiter(c.record_delimiter) : '(none: records as put)'],
      ['Format', parquetTable(c) ? `Parquet by table ${parquetTable(c)} (${c.format_conversion.compression}); records that do not fit to the error prefix` : 'records as put'],
      ['Backup', c.backup ? `every record as put to s3://${c.backup.bucket}/${c.backup.prefix} (${c.backup.compression})` : '(none)'],
      ['Deaggregation', !c.deaggregation ? '(none: a put is one record)'
        : c.deaggregation.type === 'json' ? 'JSON objects one after another, a record each'
          : `pieces between ${escapeDelimiter(c.deaggregation.delimiter)}, a record each`],
      ['Created', fmt.time(d.created)],
    ], { testid: 'stream-config' })),
    stats);
  ctx.every(2000, async () => {
    try { const again = await get(`/v1/streams/${enc(name)}`); if (ctx.alive()) stats.replaceChildren(statsView(again)); } catch { /* next time */ }
  });
}

export default [
  { route: '/streams', title: 'Delivery streams', nav: 'ingest', render: renderStreams },
  { route: '/streams/:name', title: 'Delivery stream', render: renderStream },
];
