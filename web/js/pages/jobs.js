// ETL jobs (Glue jobs): '/jobs' lists them with their source and target tables, state
// and last run, creates one from a job document typed as JSON ({source, transforms,
// target}; a bad document is refused naming its JSON path) and runs or stops them;
// '/jobs/:name' shows the document, Run / Stop, the progress of a run going on and every
// run with its state, rows read, written and rejected, bytes, duration and errors.
import { del, enc, get, post } from '../api.js';
import { badge, button, clear, compactJson, errorBox, fmt, formDialog, h, kv, link, parseJsonField, pre, section, table } from '../dom.js';
import { tableLink } from './catalog.js';
import { lakeHref, lakeLink } from './lake.js';
import { lastRunCell, runStopButtons } from '../run_controls.js';

const REFRESH_MS = 2000;

// A starting document: the first raw table of the catalog, every column as it is.
async function templateDocument() {
  let source = { database: 'iot', name: 'readings', columns: [{ name: 'ozone', type: 'bigint' }] };
  try {
    const { tables } = await get('/v1/catalog/tables');
    source = tables.find((t) => t.format !== 'parquet') || source;
  } catch { /* the example above will do */ }
  return compactJson({
    source: { database: source.database, table: source.name },
    transforms: [{ apply_mapping: source.columns.map((c) => [c.name, c.type, c.name, c.type]) }],
    target: { path: `curated/${source.name}/`, format: 'parquet', compression: 'snappy',
      database: source.database, table: `${source.name}_curated` },
  });
}

async function createJobDialog(onCreated) {
  formDialog({
    title: 'Create ETL job',
    testid: 'job-form',
    fields: [
      { name: 'name', label: 'Name', required: true, placeholder: 'curate', help: 'Letters, digits, _ and -.' },
      { name: 'job', label: 'Job document (JSON)', type: 'textarea', rows: 16, required: true, value: await templateDocument(),
        help: 'source {database, table}; transforms: explode (first: a row per element of an array or entry of a map, a field or a path), apply_mapping, filter, derive, dedupe, drop_null_fields; target {path, format, compression, partition_keys, database, table}.' },
    ],
    async submit(v) {
      const job = parseJsonField(v.job, 'The job document');
      await post('/v1/jobs', { name: v.name.trim(), job });
      onCreated(v.name.trim());
    },
  });
}


function runErrors(r) {
  const parts = [r.message, ...(r.errors || [])].filter(Boolean);
  if (!parts.length) return '';
  return h('details', {}, h('summary', {}, r.message || `${parts.length} error${parts.length === 1 ? '' : 's'}`), pre(parts.join('\n')));
}

async function jobsPage(ctx) {
  const errors = h('div');
  const list = h('div');
  ctx.main.append(h('div', { class: 'toolbar' }, h('h1', {}, 'ETL jobs'),
    button('Create job', () => createJobDialog(() => refresh()).catch((e) => errors.append(errorBox(e, 'Could not open the form'))),
      { kind: 'primary', testid: 'create-job' })),
  errors, list);

  async function refresh() {
    let r;
    try {
      r = await get('/v1/jobs');
    } catch (e) {
      if (ctx.alive()) clear(list).append(errorBox(e, 'Could not list the ETL jobs'));
      return;
    }
    if (!ctx.alive()) return;
    clear(list).append(table([
      { title: 'Name', value: (j) => link(`#/jobs/${enc(j.name)}`, j.name) },
      { title: 'Source', value: (j) => tableLink(j.source) },
      { title: 'Target', value: (j) => tableLink(j.target) },
      { title: 'Output', value: (j) => lakeLink(j.target_path) },
      { title: 'State', value: (j) => badge(j.state) },
      { title: 'Last run', value: (j) => lastRunCell(j.last_run) },
      { title: 'Rows written', class: 'num', value: (j) => (j.last_run ? fmt.number(j.last_run.rows_written) : '—') },
      { title: '', value: (j) => runStopButtons('jobs', j.name, errors, refresh, { prefix: `${j.name}-`, running: j.state === 'running' }).nodes },
    ], r.jobs, { testid: 'jobs', rowKey: (j) => j.name, empty: 'No ETL jobs yet.' }));
  }
  await refresh();
  ctx.every(REFRESH_MS, refresh);
}

async function jobPage(ctx) {
  const { name } = ctx.params;
  const errors = h('div');
  const info = h('div');
  const progress = h('div');
  const runs = h('div');
  const doc = h('div');
  const actions = runStopButtons('jobs', name, errors, () => refresh());
  ctx.main.append(h('div', { class: 'crumbs' }, link('#/jobs', 'ETL jobs'), ' / ', name),
    h('div', { class: 'toolbar' }, h('h1', {}, name), actions.nodes,
      button('Delete', async () => {
        if (!confirm(`Delete job ${name}? Its bookmark and runs go; its output stays in the lake.`)) return;
        try {
          await del(`/v1/jobs/${enc(name)}`);
          ctx.navigate('#/jobs');
        } catch (e) {
          clear(errors).append(errorBox(e, `Could not delete job ${name}`));
        }
      }, { kind: 'danger', testid: 'delete' })),
    errors, info, progress, runs, doc);

  let running = true;  // until the first answer says otherwise
  let shownDoc = false;
  async function refresh() {
    let j;
    let r;
    try {
      [j, r] = await Promise.all([get(`/v1/jobs/${enc(name)}`), get(`/v1/jobs/${enc(name)}/runs`)]);
    } catch (e) {
      if (ctx.alive()) clear(info).append(errorBox(e, `Could not read job ${name}`));
      return;
    }
    if (!ctx.alive()) return;
    running = j.state === 'running';
    actions.setRunning(running);
    clear(info).append(section('Job', kv([
      ['State', badge(j.state)],
      ['Source', tableLink(j.source)],
      ['Target', tableLink(j.target)],
      ['Output', lakeLink(j.target_path)],
      ['Created', fmt.time(j.created_at)],
      ['Updated', fmt.time(j.updated_ms)],
    ], { testid: 'job-info' })));
    if (!shownDoc) {
      doc.append(section('Job document', pre(compactJson(j.job), { 'data-testid': 'job-document' })));
      shownDoc = true;
    }
    const live = r.runs.find((x) => x.status === 'running');
    clear(progress);
    if (live) {
      const pct = live.bytes_total ? Math.round((100 * live.bytes_read) / live.bytes_total) : 0;
      progress.append(section('Running', kv([
        ['Phase', live.phase],
        ['Objects', `${fmt.number(live.objects_read)} of ${fmt.number(live.objects_total)} (${pct}% of ${fmt.bytes(live.bytes_total)})`],
        ['Rows', `${fmt.number(live.rows_read)} read, ${fmt.number(live.rows_written)} written, ${fmt.number(live.rows_rejected)} rejected`],
        ['Workers', fmt.number(live.workers)],
        ['For', fmt.duration(live.duration_ms)],
      ], { testid: 'job-progress' })));
    }
    clear(runs).append(section('Runs', table([
      { title: 'Run', class: 'num', value: (x) => String(x.id) },
      { title: 'State', value: (x) => badge(x.status) },
      { title: 'Phase', value: (x) => x.phase || '—' },
      { title: 'Started', value: (x) => fmt.time(x.started_at) },
      { title: 'Objects', class: 'num', value: (x) => `${fmt.number(x.objects_read)}/${fmt.number(x.objects_total)}` },
      { title: 'Rows read', class: 'num', value: (x) => fmt.number(x.rows_read) },
      { title: 'Written', class: 'num', value: (x) => fmt.number(x.rows_written) },
      { title: 'Rejected', class: 'num', value: (x) => (x.rows_rejected && x.error_prefix
        ? link(lakeHref(...splitUri(x.error_prefix)), fmt.number(x.rows_rejected)) : fmt.number(x.rows_rejected)) },
      { title: 'Filtered', class: 'num', value: (x) => fmt.number(x.rows_filtered) },
      { title: 'Duplicates', class: 'num', value: (x) => fmt.number(x.rows_duplicate) },
      { title: 'Bytes in → out', class: 'num', value: (x) => `${fmt.bytes(x.bytes_read)} → ${fmt.bytes(x.bytes_written)}` },
      { title: 'Duration', class: 'num', value: (x) => fmt.duration(x.duration_ms) },
      { title: 'Error', value: runErrors },
    ], r.runs, { testid: 'job-runs', rowKey: (x) => String(x.id), empty: 'Not run yet.' })));
  }
  await refresh();
  ctx.every(REFRESH_MS, () => { if (running) refresh(); });
}

// [bucket, prefix] of "s3://bucket/prefix/" or "bucket/prefix/".
function splitUri(uri) {
  const m = /^(?:s3:\/\/)?([^/]+)\/?(.*)$/.exec(uri);
  return m ? [m[1], m[2]] : [uri, ''];
}

export default [
  { route: '/jobs', title: 'ETL jobs', nav: 'lake', render: jobsPage },
  { route: '/jobs/:name', title: 'ETL job', render: jobPage },
];
