// Drift monitors (src/monitor/README.md): each scores an endpoint's forecasts against the
// newest data of a lake table and, when the score drifts past its baseline × threshold,
// retrains and rolls the new model out. The list shows every monitor's status, endpoint,
// last value against its baseline and the breaches counted; a monitor is created from
// its spec as JSON. A monitor's page shows its spec, an 'Evaluate now' button, a chart of
// the value of each evaluation against the baseline and the drift threshold, the
// evaluations and the retrainings (their status, the job, model and config each made,
// and the outcome), refreshed while it is shown; it can be deleted there.
import { del, enc, get, post } from '../api.js';
import { badge, button, clear, compactJson, errorBox, fmt, formDialog, h, lineChart, link, parseJsonField, pre, section, stat, table } from '../dom.js';

const REFRESH_MS = 2000;
const SPEC_FIELDS = ['MonitorName', 'EndpointName', 'Data', 'ScheduleIntervalSeconds', 'Metric', 'Quantiles', 'NumSamples',
  'Baseline', 'DriftThreshold', 'ConsecutiveBreaches', 'AlertTopic', 'Retraining'];

// Losses are small numbers: four significant digits.
const num = (v) => (Number.isFinite(v) ? String(Number(Number(v).toPrecision(4))) : '—');
const ratioText = (v) => (Number.isFinite(v) ? `${Number(v).toFixed(2)}×` : '—');

// A spec to start from: the first endpoint, the newest completed training job as the
// baseline and retraining template, the first catalog table's columns as the data.
async function template() {
  const [endpoints, jobs, tables] = await Promise.allSettled([get('/v1/endpoints'), get('/v1/training-jobs'), get('/v1/catalog/tables')]);
  const endpoint = endpoints.value?.Endpoints?.[0]?.EndpointName || 'forecaster';
  const job = (jobs.value?.TrainingJobSummaries || []).filter((j) => j.TrainingJobStatus === 'Completed').pop()?.TrainingJobName;
  let predictionLength = 24;
  if (job) {
    try {
      const d = await get(`/v1/training-jobs/${enc(job)}`);
      predictionLength = Number(d.HyperParameters?.prediction_length) || predictionLength;
    } catch { /* the default */ }
  }
  const t = tables.value?.tables?.[0];
  const col = (re) => (t?.columns || []).find((c) => re.test(c.type))?.name;
  const spec = {
    MonitorName: `${endpoint}-drift`,
    EndpointName: endpoint,
    Data: {
      database: t?.database || 'iot', table: t?.name || 'readings', target: col(/^(double|float|bigint|int)/) || 'particulate_matter',
      timestamp: col(/^timestamp/) || 'timestamp', group_by: col(/^string/) || 'device', freq: 'H', agg: 'mean', prediction_length: predictionLength,
    },
    ScheduleIntervalSeconds: 3600,
    Metric: 'test:mean_wQuantileLoss',
    Baseline: job ? { TrainingJobName: job } : undefined,
    DriftThreshold: 1.5,
    ConsecutiveBreaches: 1,
  };
  if (job) {
    spec.Retraining = {
      TrainingJobTemplate: job,
      ChannelsUri: `s3://${t?.database || 'iot'}/monitor/${spec.MonitorName}/`,
      DeploymentConfig: { BlueGreenUpdatePolicy: { TrafficRoutingConfiguration: { Type: 'ALL_AT_ONCE' } } },
    };
  }
  return spec;
}

async function createDialog(ctx) {
  let spec;
  try { spec = await template(); } catch { spec = { MonitorName: 'drift', EndpointName: 'forecaster' }; }
  formDialog({
    title: 'Create monitor',
    testid: 'create-monitor-dialog',
    fields: [{
      name: 'spec', label: 'Monitor spec (JSON)', type: 'textarea', rows: 20, value: fmt.json(spec),
      help: 'Data is a forecast prepare request (its prediction_length must be the model\'s). ScheduleIntervalSeconds 0 evaluates only on demand. Without Retraining, drift is only reported.',
    }],
    submit: async (v) => {
      const m = await post('/v1/monitors', parseJsonField(v.spec, 'The spec'));
      ctx.navigate(`#/monitors/${enc(m.MonitorName)}`);
    },
  });
}

async function renderList(ctx) {
  const errors = h('div');
  const list = h('div');
  ctx.main.append(h('div', { class: 'toolbar' }, h('h1', {}, 'Monitors'),
    button('Create monitor', () => createDialog(ctx), { kind: 'primary', testid: 'create-monitor' })), errors, list);
  const show = async () => {
    try {
      const { Monitors: described } = await get('/v1/monitors');
      if (!ctx.alive()) return;
      clear(errors);
      list.replaceChildren(table([
        { title: 'Name', value: (m) => link(`#/monitors/${enc(m.MonitorName)}`, m.MonitorName) },
        { title: 'Status', value: (m) => badge(m.MonitorStatus) },
        { title: 'Endpoint', value: (m) => link(`#/endpoints/${enc(m.EndpointName)}`, m.EndpointName) },
        { title: 'Metric', value: (m) => m.Metric },
        { title: 'Last value', class: 'num', value: (m) => num(m.LastValue) },
        { title: 'Baseline', class: 'num', value: (m) => num(m.Baseline) },
        { title: 'Ratio', class: 'num', value: (m) => ratioText(m.LastRatio) },
        { title: 'Threshold', class: 'num', value: (m) => ratioText(m.DriftThreshold) },
        { title: 'Breaches', class: 'num', value: (m) => `${m.Breaches ?? 0} of ${m.ConsecutiveBreaches ?? 1}` },
        { title: 'Drift', value: (m) => (m.LastEvaluationTime ? badge(m.Drift ? 'drift' : 'ok') : '—') },
        { title: 'Last evaluation', value: (m) => (m.LastEvaluationTime ? [fmt.time(m.LastEvaluationTime), m.LastEvaluationStatus === 'Failed' ? ' (failed)' : ''].join('') : 'none yet') },
      ], described, { testid: 'monitors', rowKey: (m) => m.MonitorName, empty: 'No monitors yet.' }));
    } catch (e) {
      if (ctx.alive()) clear(errors).append(errorBox(e, 'Could not list the monitors'));
    }
  };
  await show();
  ctx.every(REFRESH_MS, show);
}

// Value per evaluation, and the baseline and baseline × threshold in force at each, as
// steps over the evaluation numbers.
function historyChart(d) {
  const evals = d.Evaluations || [];
  const value = evals.map((e) => [e.EvaluationNumber, e.Status === 'Completed' ? e.Value : NaN]);
  const steps = (f) => evals.flatMap((e) => (Number.isFinite(e.Baseline)
    ? [[e.EvaluationNumber - 0.45, f(e.Baseline)], [e.EvaluationNumber + 0.45, f(e.Baseline)]]
    : [[e.EvaluationNumber, NaN]]));
  return lineChart({
    series: [
      { name: d.Metric, points: value },
      { name: 'baseline', points: steps((b) => b) },
      { name: `baseline × ${d.DriftThreshold}`, points: steps((b) => b * d.DriftThreshold), dashed: true },
    ],
    xTime: false, height: 220, yLabel: `${d.Metric} per evaluation`, testid: 'monitor-chart',
  });
}

function evaluationsTable(evals) {
  return table([
    { title: '#', class: 'num', value: (e) => String(e.EvaluationNumber) },
    { title: 'Time', value: (e) => fmt.time(e.EvaluationTime) },
    { title: 'Status', value: (e) => badge(e.Status) },
    { title: 'Value', class: 'num', value: (e) => num(e.Value) },
    { title: 'Baseline', class: 'num', value: (e) => num(e.Baseline) },
    { title: 'Ratio', class: 'num', value: (e) => ratioText(e.Ratio) },
    { title: 'Breach', value: (e) => (e.Status === 'Completed' ? badge(e.Breach ? 'breach' : 'within') : '—') },
    { title: 'Drift', value: (e) => (e.Drift ? badge('drift') : 'no') },
    { title: 'Series', class: 'num', value: (e) => fmt.number(e.Series) },
    { title: 'Forecast window', value: (e) => (e.ForecastStart ? `${e.ForecastStart} → ${e.DataEnd}` : '—') },
    { title: 'Worst series', value: (e) => (e.WorstSeries?.length ? `${e.WorstSeries[0].Group} (${num(e.WorstSeries[0].Value)})` : '—') },
    { title: 'Took', class: 'num', value: (e) => fmt.duration(e.DurationMs) },
    { title: 'Failure', value: (e) => e.FailureReason || '' },
  ], evals.slice().reverse(), { testid: 'evaluations', rowKey: (e) => String(e.EvaluationNumber), empty: 'No evaluation yet: press Evaluate now.' });
}

// "Preparing 0.4 s · Training 12.1 s · Deploying 3.0 s" of StatusTransitions (the ending
// status has no duration; a running step says so).
function stepsText(transitions) {
  return (transitions || []).filter((s) => s.StartTime !== s.EndTime).map((s) => {
    const took = s.EndTime ? `${((Date.parse(s.EndTime) - Date.parse(s.StartTime)) / 1000).toFixed(1)} s` : 'running';
    return `${s.Status} ${took}`;
  }).join(' · ');
}

function retrainingsTable(list) {
  const jobLink = (n) => (n ? link(`#/training-jobs/${enc(n)}`, n) : '—');
  return table([
    { title: 'Started', value: (r) => fmt.time(r.StartTime) },
    { title: 'Ended', value: (r) => fmt.time(r.EndTime) },
    { title: 'Step / outcome', value: (r) => badge(r.Status) },
    { title: 'Trigger value', class: 'num', value: (r) => num(r.TriggerValue) },
    { title: 'Training job', value: (r) => jobLink(r.TrainingJobName) },
    { title: 'Model', value: (r) => r.ModelName || '—' },
    { title: 'Endpoint config', value: (r) => (r.EndpointConfigName ? `${r.PreviousEndpointConfigName || '?'} → ${r.EndpointConfigName}` : '—') },
    { title: 'New baseline', class: 'num', value: (r) => num(r.NewBaseline) },
    { title: 'Failure', value: (r) => r.FailureReason || '' },
    { title: 'Steps', value: (r) => stepsText(r.StatusTransitions) },
  ], list.slice().reverse(), { testid: 'retrainings', empty: 'No retraining yet.' });
}

async function renderMonitor(ctx) {
  const name = ctx.params.name;
  const status = h('span');
  const messages = h('div', { 'data-testid': 'monitor-message' });
  const errors = h('div');
  const body = h('div');
  const say = (node) => messages.replaceChildren(node);
  const evaluate = button('Evaluate now', async () => {
    evaluate.disabled = true;
    try {
      const r = await post(`/v1/monitors/${enc(name)}/evaluate`);
      say(h('p', { class: 'note' }, `Evaluation ${r.EvaluationNumber} requested; it shows below when it has run.`));
      await refresh();
    } catch (e) {
      say(errorBox(e, 'Could not evaluate'));
    } finally {
      evaluate.disabled = false;
    }
  }, { kind: 'primary', testid: 'evaluate' });
  const remove = button('Delete', async () => {
    if (!confirm(`Delete monitor ${name}? What its retrainings created stays.`)) return;
    try {
      await del(`/v1/monitors/${enc(name)}`);
      ctx.navigate('#/monitors');
    } catch (e) { say(errorBox(e, 'Could not delete the monitor')); }
  }, { kind: 'danger', testid: 'delete-monitor' });
  ctx.main.append(h('div', { class: 'crumbs' }, link('#/monitors', 'Monitors'), ' / ', name),
    h('div', { class: 'toolbar' }, h('h1', {}, name), status, evaluate, remove), messages, errors, body);

  async function refresh() {
    try {
      const d = await get(`/v1/monitors/${enc(name)}`);
      if (!ctx.alive()) return;
      clear(errors);
      status.replaceChildren(badge(d.MonitorStatus));
      const last = d.LastEvaluation;
      const spec = Object.fromEntries(SPEC_FIELDS.filter((k) => d[k] !== undefined).map((k) => [k, d[k]]));
      body.replaceChildren(
        h('div', { class: 'cards' },
          stat('Status', d.MonitorStatus, { testid: 'monitor-status' }),
          stat('Endpoint', link(`#/endpoints/${enc(d.EndpointName)}`, d.EndpointName)),
          stat(`Last ${d.Metric}`, num(last?.Value), { testid: 'last-value' }),
          stat(`Baseline (${d.BaselineSource || 'first evaluation'})`, num(d.BaselineValue), { testid: 'baseline' }),
          stat(`Ratio (drift above ${ratioText(d.DriftThreshold)})`, ratioText(last?.Ratio), { testid: 'ratio' }),
          stat('Breaches in a row', `${d.Breaches ?? 0} of ${d.ConsecutiveBreaches}`, { testid: 'breaches' }),
          stat('Evaluations', `${d.EvaluationsCompleted ?? 0} of ${d.EvaluationsRequested ?? 0}`, { testid: 'evaluations-count' }),
          stat('Next evaluation', d.ScheduleIntervalSeconds ? fmt.time(d.NextEvaluationTime) : 'on demand')),
        section(`${d.Metric} per evaluation (the last ${(d.Evaluations || []).length})`, historyChart(d)),
        section('Evaluations', evaluationsTable(d.Evaluations || [])),
        section('Retrainings', retrainingsTable(d.Retrainings || [])),
        section('Spec', pre(compactJson(spec), { 'data-testid': 'monitor-spec' })));
    } catch (e) {
      if (ctx.alive()) clear(errors).append(errorBox(e, `Could not read monitor ${name}`));
    }
  }
  await refresh();
  ctx.every(REFRESH_MS, refresh);
}

export default [
  { route: '/monitors', title: 'Monitors', nav: 'ml', render: renderList },
  { route: '/monitors/:name', title: 'Monitor', render: renderMonitor },
];
