// Catalog and crawlers (Glue's Data Catalog and crawlers). '/catalog' lists the
// databases and their tables ('?database=D' shows one database's tables);
// '/catalog/:db/:table' one table: its columns and types, partition keys, location (a
// link into the lake browser), format, counts, parameters, partitions and schema
// versions. '/crawlers' lists the crawlers with their state and last run, creates one
// (name, database, s3:// source, table, exclusion globs) and runs or stops them;
// '/crawlers/:name' describes one with its runs (outcome, table created or updated,
// type conflicts, bad records), following a run's progress while it goes.
import { del, enc, get, post } from '../api.js';
import { badge, button, clear, errorBox, fmt, formDialog, h, kv, link, pre, section, table } from '../dom.js';
import { lakeLink } from './lake.js';
import { lastRunCell, runStopButtons } from '../run_controls.js';

const REFRESH_MS = 2000;

export const tableHref = (db, name) => `#/catalog/${enc(db)}/${enc(name)}`;

// "db.table" as a link to its catalog page.
export function tableLink(qualified) {
  const [db, ...rest] = String(qualified || '').split('.');
  return rest.length ? link(tableHref(db, rest.join('.')), qualified) : (qualified || '—');
}

const columnsTable = (columns, testid, empty) => table([
  { title: 'Name', value: (c) => c.name },
  { title: 'Type', value: (c) => h('code', {}, c.type) },
  { title: 'Comment', value: (c) => c.comment || '' },
], columns, { testid, empty, rowKey: (c) => c.name });

// The run's errors, conflicts and message, folded away when there are any.
function runDetails(r) {
  const parts = [];
  if (r.message) parts.push(r.message);
  for (const c of r.conflicts || []) parts.push(`type conflict: ${c.column}: ${c.types.join(' vs ')} (${c.count}×, e.g. ${c.where})`);
  for (const e of r.errors || []) parts.push(e);
  if (parts.length === 0) return '';
  return h('details', {}, h('summary', {}, r.message ? r.message : `${parts.length} note${parts.length === 1 ? '' : 's'}`),
    pre(parts.join('\n')));
}

// What a run did to its table.
function tableOutcome(r) {
  if (!r.table) return '—';
  const what = !r.schema_changed ? 'unchanged' : r.table_version === 1 ? 'created' : `updated to v${r.table_version}`;
  const added = r.columns_added?.length ? `; columns added: ${r.columns_added.join(', ')}` : '';
  return h('span', {}, tableLink(r.table), ` ${what}${added}`);
}

async function catalogPage(ctx) {
  const only = ctx.query.database || '';
  ctx.main.append(h('div', { class: 'toolbar' }, h('h1', {}, only ? `Catalog: ${only}` : 'Catalog'),
    link('#/crawlers', 'Crawlers')));
  let dbs;
  let tables;
  try {
    [dbs, tables] = await Promise.all([get('/v1/catalog/databases'),
      get(`/v1/catalog/tables${only ? `?database=${enc(only)}` : ''}`)]);
  } catch (e) {
    if (ctx.alive()) ctx.main.append(errorBox(e, 'Could not read the catalog'));
    return;
  }
  if (!ctx.alive()) return;
  ctx.main.append(
    section('Databases', table([
      { title: 'Database', value: (d) => link(`#/catalog?database=${enc(d.name)}`, d.name) },
      { title: 'Tables', class: 'num', value: (d) => fmt.number(d.tables) },
      { title: 'Description', value: (d) => d.description || '' },
      { title: 'Created', value: (d) => fmt.time(d.created_ms) },
    ], dbs.databases, { testid: 'databases', rowKey: (d) => d.name, empty: 'No databases yet: a crawler creates its database.' })),
    section(only ? `Tables in ${only}` : 'Tables', only ? h('p', {}, link('#/catalog', 'All databases')) : null, table([
      { title: 'Table', value: (t) => link(tableHref(t.database, t.name), `${t.database}.${t.name}`) },
      { title: 'Format', value: (t) => t.format },
      { title: 'Columns', class: 'num', value: (t) => fmt.number(t.columns.length) },
      { title: 'Records', class: 'num', value: (t) => fmt.number(t.record_count) },
      { title: 'Objects', class: 'num', value: (t) => fmt.number(t.object_count) },
      { title: 'Size', class: 'num', value: (t) => fmt.bytes(t.size_bytes) },
      { title: 'Location', value: (t) => lakeLink(t.location) },
      { title: 'Updated', value: (t) => fmt.time(t.updated_ms) },
    ], tables.tables, { testid: 'tables', rowKey: (t) => `${t.database}.${t.name}`, empty: 'No tables yet: run a crawler over the lake.' })));
}

async function tablePage(ctx) {
  const { db, table: name } = ctx.params;
  ctx.main.append(h('div', { class: 'crumbs' }, link('#/catalog', 'Catalog'), ' / ',
    link(`#/catalog?database=${enc(db)}`, db), ' / ', name),
  h('div', { class: 'toolbar' }, h('h1', {}, `${db}.${name}`)));
  let t;
  try {
    t = await get(`/v1/catalog/databases/${enc(db)}/tables/${enc(name)}`);
  } catch (e) {
    if (ctx.alive()) ctx.main.append(errorBox(e, `Could not read table ${db}.${name}`));
    return;
  }
  if (!ctx.alive()) return;
  const params = Object.entries(t.parameters || {});
  ctx.main.append(
    section('Table', kv([
      ['Location', lakeLink(t.location)],
      ['Format', t.format],
      ['Compression', t.compression || 'none'],
      ['Records', fmt.number(t.record_count)],
      ['Objects', fmt.number(t.object_count)],
      ['Size', fmt.bytes(t.size_bytes)],
      ['Schema version', String(t.version)],
      ['Last crawl', t.last_crawl ? fmt.time(t.last_crawl) : '—'],
      ['Created', fmt.time(t.created_ms)],
      ['Updated', fmt.time(t.updated_ms)],
    ], { testid: 'table-info' })),
    h('div', { class: 'grid2' },
      section('Columns', columnsTable(t.columns, 'columns', 'No columns.')),
      section('Partition keys', columnsTable(t.partition_keys, 'partition-keys', 'Not partitioned.'))),
    section('Parameters', params.length ? kv(params, { testid: 'parameters' }) : h('p', { class: 'empty' }, 'None.')),
    section(`Partitions (${t.partitions.length})`, table([
      { title: 'Values', value: (p) => p.values.join(' / ') },
      { title: 'Location', value: (p) => lakeLink(p.location) },
      { title: 'Records', class: 'num', value: (p) => fmt.number(p.record_count) },
      { title: 'Objects', class: 'num', value: (p) => fmt.number(p.object_count) },
      { title: 'Size', class: 'num', value: (p) => fmt.bytes(p.size_bytes) },
      { title: 'Updated', value: (p) => fmt.time(p.updated_ms) },
    ], t.partitions, { testid: 'partitions', empty: 'No partitions.' })),
    section('Schema versions', table([
      { title: 'Version', class: 'num', value: (v) => String(v.version) },
      { title: 'Columns', value: (v) => v.columns.map((c) => `${c.name} ${c.type}`).join(', ') },
      { title: 'Partition keys', value: (v) => v.partition_keys.map((c) => c.name).join(', ') || '—' },
      { title: 'By', value: (v) => v.created_by || '—' },
      { title: 'Created', value: (v) => fmt.time(v.created_ms) },
    ], [...t.versions].sort((a, b) => b.version - a.version), { testid: 'versions', empty: 'No versions.' })));
}

function createCrawlerDialog(onCreated) {
  formDialog({
    title: 'Create crawler',
    testid: 'crawler-form',
    fields: [
      { name: 'name', label: 'Name', required: true, placeholder: 'raw', help: 'Letters, digits, _ and -.' },
      { name: 'database', label: 'Database', required: true, placeholder: 'iot', help: 'Created if it does not exist.' },
      { name: 'source', label: 'Source', required: true, placeholder: 's3://iot-data/', help: 's3://bucket/prefix/ (or bucket/prefix/) in the lake.' },
      { name: 'table', label: 'Table', placeholder: 'readings', help: 'Optional: by default the table is named after the last segment of the source.' },
      { name: 'exclusions', label: 'Exclusions', type: 'textarea', rows: 3, placeholder: 'deepar/**',
        help: 'One glob a line, relative to the source, as Glue reads them (* within a folder, ** across, {csv,json}): such keys are neither crawled nor read from the table.' },
      { name: 'update_behavior', label: 'When the schema changes', type: 'select', options: ['UPDATE_IN_DATABASE', 'MERGE_NEW_COLUMNS', 'LOG'], value: 'UPDATE_IN_DATABASE',
        help: 'MERGE_NEW_COLUMNS adds new columns only, keeping the existing ones\' types; LOG keeps the table\'s schema; both list each change not made in the run (Glue\'s SchemaChangePolicy).' },
      { name: 'delete_behavior', label: 'When objects are gone', type: 'select', options: ['DELETE_FROM_DATABASE', 'LOG', 'DEPRECATE_IN_DATABASE'], value: 'DELETE_FROM_DATABASE',
        help: 'DELETE takes their records and emptied partitions out of the table; LOG keeps them; DEPRECATE keeps them and marks a table whose every object is gone.' },
    ],
    async submit(v) {
      const body = { name: v.name.trim(), database: v.database.trim(), source: v.source.trim() };
      if (v.table.trim()) body.table = v.table.trim();
      const exclusions = v.exclusions.split('\n').map((l) => l.trim()).filter(Boolean);
      if (exclusions.length) body.exclusions = exclusions;
      body.update_behavior = v.update_behavior;
      body.delete_behavior = v.delete_behavior;
      await post('/v1/crawlers', body);
      onCreated(body.name);
    },
  });
}


async function crawlersPage(ctx) {
  const errors = h('div');
  const list = h('div');
  ctx.main.append(h('div', { class: 'toolbar' }, h('h1', {}, 'Crawlers'),
    button('Create crawler', () => createCrawlerDialog(() => refresh()), { kind: 'primary', testid: 'create-crawler' })),
  errors, list);

  async function refresh() {
    let r;
    try {
      r = await get('/v1/crawlers');
    } catch (e) {
      if (ctx.alive()) clear(list).append(errorBox(e, 'Could not list the crawlers'));
      return;
    }
    if (!ctx.alive()) return;
    clear(list).append(table([
      { title: 'Name', value: (c) => link(`#/crawlers/${enc(c.name)}`, c.name) },
      { title: 'Source', value: (c) => lakeLink(c.source) },
      { title: 'Table', value: (c) => tableLink(`${c.database}.${c.table}`) },
      { title: 'State', value: (c) => badge(c.state) },
      { title: 'Last run', value: (c) => lastRunCell(c.last_run) },
      { title: 'Records', class: 'num', value: (c) => (c.last_run ? fmt.number(c.last_run.records) : '—') },
      { title: '', value: (c) => runStopButtons('crawlers', c.name, errors, refresh, { prefix: `${c.name}-`, running: c.state === 'running' }).nodes },
    ], r.crawlers, { testid: 'crawlers', rowKey: (c) => c.name, empty: 'No crawlers yet.' }));
  }
  await refresh();
  ctx.every(REFRESH_MS, refresh);
}

async function crawlerPage(ctx) {
  const { name } = ctx.params;
  const errors = h('div');
  const info = h('div');
  const progress = h('div');
  const runs = h('div');
  const actions = runStopButtons('crawlers', name, errors, () => refresh());
  ctx.main.append(h('div', { class: 'crumbs' }, link('#/crawlers', 'Crawlers'), ' / ', name),
    h('div', { class: 'toolbar' }, h('h1', {}, name), actions.nodes,
      button('Delete', async () => {
        if (!confirm(`Delete crawler ${name}? Its table stays in the catalog.`)) return;
        try {
          await del(`/v1/crawlers/${enc(name)}`);
          ctx.navigate('#/crawlers');
        } catch (e) {
          clear(errors).append(errorBox(e, `Could not delete crawler ${name}`));
        }
      }, { kind: 'danger', testid: 'delete' })),
    errors, info, progress, runs);

  let running = true;  // until the first answer says otherwise
  async function refresh() {
    let c;
    let r;
    try {
      [c, r] = await Promise.all([get(`/v1/crawlers/${enc(name)}`), get(`/v1/crawlers/${enc(name)}/runs`)]);
    } catch (e) {
      if (ctx.alive()) clear(info).append(errorBox(e, `Could not read crawler ${name}`));
      return;
    }
    if (!ctx.alive()) return;
    running = c.state === 'running';
    actions.setRunning(running);
    clear(info).append(section('Crawler', kv([
      ['State', badge(c.state)],
      ['Source', lakeLink(c.source)],
      ['Table', tableLink(`${c.database}.${c.table}`)],
      ['Exclusions', c.exclusions.length ? c.exclusions.join(', ') : 'none'],
      ['Schema change policy', `update ${c.update_behavior}, delete ${c.delete_behavior}`],
      ['Created', fmt.time(c.created_at)],
    ], { testid: 'crawler-info' })));
    const live = r.runs.find((x) => x.status === 'running');
    clear(progress);
    if (live) {
      const pct = live.bytes_total ? Math.round((100 * live.bytes_read) / live.bytes_total) : 0;
      progress.append(section('Running', kv([
        ['Objects', `${fmt.number(live.objects_read)} of ${fmt.number(live.objects_total)} new (${fmt.number(live.objects_listed)} listed)`],
        ['Bytes', `${fmt.bytes(live.bytes_read)} of ${fmt.bytes(live.bytes_total)} (${pct}%)`],
        ['Records', fmt.number(live.records)],
        ['For', fmt.duration(live.duration_ms)],
      ], { testid: 'crawler-progress' })));
    }
    clear(runs).append(section('Runs', table([
      { title: 'Run', class: 'num', value: (x) => String(x.id) },
      { title: 'Outcome', value: (x) => badge(x.status) },
      { title: 'Started', value: (x) => fmt.time(x.started_at) },
      { title: 'Duration', class: 'num', value: (x) => fmt.duration(x.duration_ms) },
      { title: 'Objects read', class: 'num', value: (x) => `${fmt.number(x.objects_read)}/${fmt.number(x.objects_total)}` +
        (x.objects_gone ? `, ${fmt.number(x.objects_gone)} gone` : '') },
      { title: 'Records', class: 'num', value: (x) => fmt.number(x.records) },
      { title: 'Bad', class: 'num', value: (x) => fmt.number(x.records_bad) },
      { title: 'Partitions added', class: 'num', value: (x) => fmt.number(x.partitions_added) },
      { title: 'Table', value: tableOutcome },
      { title: 'Errors', value: runDetails },
    ], r.runs, { testid: 'crawler-runs', rowKey: (x) => String(x.id), empty: 'Not run yet.' })));
  }
  await refresh();
  // Only while a run goes on, so that an opened row of details stays open otherwise.
  ctx.every(REFRESH_MS, () => { if (running) refresh(); });
}

export default [
  { route: '/catalog', title: 'Catalog', nav: 'lake', render: catalogPage },
  { route: '/catalog/:db/:table', title: 'Table', render: tablePage },
  { route: '/crawlers', title: 'Crawlers', nav: 'lake', render: crawlersPage },
  { route: '/crawlers/:name', title: 'Crawler', render: crawlerPage },
];
