// Model hosting (SageMaker's shapes): models (an artifact in the lake or on this machine,
// or a command), endpoint configs (production variants: which model, how many instances,
// what weight) and endpoints. An endpoint's page shows its status and, per production
// variant, weight, traffic share, instances, invocations, 4xx/5xx and latencies; the
// last update (its deployment config, the new fleet's share of traffic while it bakes,
// and the reason when it was rolled back); forms to change the A/B weights and to update
// to another config blue/green; and an Invoke panel that sends a DeepAR request and
// draws the answer: the series sent, the forecast's mean and median and its quantile band.
import { ApiError, api, del, enc, get, post } from '../api.js';
import {
  badge, button, clear, compactJson, errorBox, fmt, formDialog, h, kv, lineChart, link, parseJsonField, pre, section, table,
} from '../dom.js';

import { lakeLink } from './lake.js';

const REFRESH_MS = 2000;

// "20 % of requests (input and output) → s3://…" of a DataCaptureConfig, as a node.
function captureText(c) {
  if (!c || c.EnableCapture === false) return 'off';
  const modes = (c.CaptureOptions || []).map((o) => o.CaptureMode);
  const what = modes.includes('InputAndOutput') || (modes.includes('Input') && modes.includes('Output'))
    ? 'input and output' : modes.includes('Input') ? 'input' : 'output';
  const share = c.CurrentSamplingPercentage ?? c.InitialSamplingPercentage;
  return h('span', {}, `${share} % of requests${c.CaptureOptions ? ` (${what})` : ''} → `, lakeLink(c.DestinationS3Uri));
}

function jsonDialog({ title, testid, label, value, help, submitLabel = 'Create', submit }) {
  formDialog({
    title, testid, submitLabel,
    fields: [{ name: 'json', label, type: 'textarea', rows: 14, value: compactJson(value), help }],
    submit: async (v) => submit(parseJsonField(v.json, label)),
  });
}

// A list page: toolbar with its actions, an error line, the table refreshed by show().
function listPage(ctx, title, actions, show, { refresh = false } = {}) {
  const errors = h('div');
  const list = h('div');
  ctx.main.append(h('div', { class: 'toolbar' }, h('h1', {}, title), ...actions), errors, list);
  const run = async () => {
    try {
      const content = await show();
      if (!ctx.alive()) return;
      clear(errors);
      list.replaceChildren(content);
    } catch (e) {
      if (ctx.alive()) clear(errors).append(errorBox(e, `Could not list the ${title.toLowerCase()}`));
    }
  };
  return { errors, run: async () => { await run(); if (refresh) ctx.every(REFRESH_MS, run); } };
}

async function deleteThing(what, path, errors, after) {
  if (!confirm(`Delete ${what}?`)) return;
  try {
    await del(path);
    await after();
  } catch (e) {
    clear(errors).append(errorBox(e, `Could not delete ${what}`));
  }
}

// ---- models ----

// A model of the newest completed training job's artifact, if there is one.
async function modelTemplate() {
  const { TrainingJobSummaries: jobs } = await get('/v1/training-jobs');
  const last = jobs.filter((j) => j.TrainingJobStatus === 'Completed').pop();
  if (!last) return { ModelName: 'm1', Artifact: 's3://deepar/models/JOB/output/model/' };
  const d = await get(`/v1/training-jobs/${enc(last.TrainingJobName)}`);
  return { ModelName: last.TrainingJobName, Artifact: d.ModelArtifacts?.S3ModelArtifacts || '' };
}

async function renderModels(ctx) {
  const create = button('Create model', async () => {
    let value;
    try { value = await modelTemplate(); } catch { value = { ModelName: 'm1', Artifact: 's3://deepar/models/JOB/output/model/' }; }
    jsonDialog({
      title: 'Create model', testid: 'create-model-dialog', label: 'CreateModel request (JSON)', value,
      help: 'Artifact: a lake URI (a training job\'s ModelArtifacts) or a directory on the server; or "Command" for a model that brings its own server. "MultiModel": true for a directory of models.',
      submit: async (body) => { await post('/v1/models', body); page.run(); },
    });
  }, { kind: 'primary', testid: 'create-model' });
  const page = listPage(ctx, 'Models', [create], async () => {
    const { Models: models } = await get('/v1/models');
    return table([
      { title: 'Name', value: (m) => m.ModelName },
      { title: 'Artifact', value: (m) => (m.Command ? h('code', {}, m.Command) : m.Artifact || '—') },
      { title: 'Local copy', value: (m) => m.ArtifactCache || '—' },
      { title: 'Multi-model', value: (m) => (m.MultiModel ? 'yes' : 'no') },
      { title: 'Created', value: (m) => fmt.time(m.CreationTime) },
      { title: '', value: (m) => button('Delete', () => deleteThing(`model ${m.ModelName}`, `/v1/models/${enc(m.ModelName)}`, page.errors, page.run), { kind: 'danger', testid: `delete-model-${m.ModelName}` }) },
    ], models, { testid: 'models', rowKey: (m) => m.ModelName, empty: 'No models yet.' });
  });
  await page.run();
}

// ---- endpoint configs ----

const variantText = (v) => `${v.VariantName}: ${v.ModelName}, ${v.InitialInstanceCount} instance(s), weight ${v.InitialVariantWeight}`;

async function configTemplate() {
  const { Models: models } = await get('/v1/models');
  const model = models.length ? models[models.length - 1].ModelName : 'm1';
  return {
    EndpointConfigName: `${model}-config`,
    ProductionVariants: [{ VariantName: 'v1', ModelName: model, InitialVariantWeight: 1, InitialInstanceCount: 1 }],
  };
}

async function renderConfigs(ctx) {
  const create = button('Create endpoint config', async () => {
    let value;
    try { value = await configTemplate(); } catch { value = { EndpointConfigName: 'c1', ProductionVariants: [] }; }
    jsonDialog({
      title: 'Create endpoint config', testid: 'create-endpoint-config-dialog', label: 'CreateEndpointConfig request (JSON)', value,
      help: 'Each production variant: VariantName, ModelName, InitialVariantWeight, InitialInstanceCount (worker processes), MaxQueuedRequestsPerInstance, MemoryBudgetMiB. To keep a sample of the requests and answers in the lake, add DataCaptureConfig: {"InitialSamplingPercentage": 20, "DestinationS3Uri": "s3://bucket/capture/", "CaptureOptions": [{"CaptureMode": "InputAndOutput"}], "CaptureContentTypeHeader": {"JsonContentTypes": ["application/json"]}}. Configs cannot be changed once created.',
      submit: async (body) => { await post('/v1/endpoint-configs', body); page.run(); },
    });
  }, { kind: 'primary', testid: 'create-endpoint-config' });
  const page = listPage(ctx, 'Endpoint configs', [create], async () => {
    const { EndpointConfigs: configs } = await get('/v1/endpoint-configs');
    return table([
      { title: 'Name', value: (c) => c.EndpointConfigName },
      { title: 'Production variants', value: (c) => c.ProductionVariants.map((v) => h('div', {}, variantText(v))) },
      { title: 'Data capture', value: (c) => captureText(c.DataCaptureConfig) },
      { title: 'Created', value: (c) => fmt.time(c.CreationTime) },
      { title: '', value: (c) => button('Delete', () => deleteThing(`endpoint config ${c.EndpointConfigName}`, `/v1/endpoint-configs/${enc(c.EndpointConfigName)}`, page.errors, page.run), { kind: 'danger', testid: `delete-config-${c.EndpointConfigName}` }) },
    ], configs, { testid: 'endpoint-configs', rowKey: (c) => c.EndpointConfigName, empty: 'No endpoint configs yet.' });
  });
  await page.run();
}

// ---- endpoints ----

const pct = (share) => (Number.isFinite(share) ? `${Number((share * 100).toFixed(1))}%` : '—');

async function renderEndpoints(ctx) {
  const create = button('Create endpoint', async () => {
    let configs = [];
    try { configs = (await get('/v1/endpoint-configs')).EndpointConfigs.map((c) => c.EndpointConfigName); } catch { /* typed by hand */ }
    formDialog({
      title: 'Create endpoint', testid: 'create-endpoint-dialog',
      fields: [
        { name: 'name', label: 'Endpoint name', required: true, placeholder: 'forecaster' },
        configs.length ? { name: 'config', label: 'Endpoint config', type: 'select', options: configs, value: configs[configs.length - 1] }
          : { name: 'config', label: 'Endpoint config', required: true },
      ],
      submit: async (v) => {
        await post('/v1/endpoints', { EndpointName: v.name.trim(), EndpointConfigName: v.config });
        ctx.navigate(`#/endpoints/${enc(v.name.trim())}`);
      },
    });
  }, { kind: 'primary', testid: 'create-endpoint' });
  const page = listPage(ctx, 'Endpoints', [create], async () => {
    const { Endpoints: list } = await get('/v1/endpoints');
    const described = await Promise.all(list.map((e) => get(`/v1/endpoints/${enc(e.EndpointName)}`).catch(() => e)));
    return table([
      { title: 'Name', value: (e) => link(`#/endpoints/${enc(e.EndpointName)}`, e.EndpointName) },
      { title: 'Status', value: (e) => badge(e.EndpointStatus) },
      { title: 'Config', value: (e) => e.EndpointConfigName },
      { title: 'Variants', value: (e) => (e.ProductionVariants || []).map((v) => h('div', {}, `${v.VariantName} (${v.ModelName}) ${pct(v.TrafficShare)}`)) },
      { title: 'Updated', value: (e) => fmt.time(e.LastModifiedTime) },
      { title: 'Note', value: (e) => e.FailureReason || '' },
    ], described, { testid: 'endpoints', rowKey: (e) => e.EndpointName, empty: 'No endpoints yet.' });
  }, { refresh: true });
  await page.run();
}

function variantsTable(variants, testid) {
  return table([
    { title: 'Variant', value: (v) => v.VariantName },
    { title: 'Model', value: (v) => v.ModelName },
    { title: 'Weight', class: 'num', value: (v) => fmt.number(v.CurrentWeight) },
    { title: 'Traffic', class: 'num', value: (v) => pct(v.TrafficShare) },
    { title: 'Instances', class: 'num', value: (v) => fmt.number(v.CurrentInstanceCount) },
    { title: 'Queued', class: 'num', value: (v) => fmt.number(v.QueuedRequests) },
    { title: 'Invocations', class: 'num', value: (v) => fmt.number(v.Metrics?.Invocations) },
    { title: '4xx', class: 'num', value: (v) => fmt.number(v.Metrics?.Invocation4XXErrors) },
    { title: '5xx', class: 'num', value: (v) => fmt.number(v.Metrics?.Invocation5XXErrors) },
    { title: 'Model p50 / p99', class: 'num', value: (v) => `${fmt.number(v.Metrics?.ModelLatencyP50Ms)} / ${fmt.number(v.Metrics?.ModelLatencyP99Ms)} ms` },
    { title: 'Overhead p50 / p99', class: 'num', value: (v) => `${fmt.number(v.Metrics?.OverheadLatencyP50Ms)} / ${fmt.number(v.Metrics?.OverheadLatencyP99Ms)} ms` },
    { title: 'Memory', class: 'num', value: (v) => fmt.bytes(v.MemoryBytes) },
    { title: 'Captured', class: 'num', value: (v) => fmt.number(v.Metrics?.CapturedInvocations) },
  ], variants, { testid, rowKey: (v) => v.VariantName, empty: 'No variant is running.' });
}

function lastUpdateView(e) {
  const updating = e.EndpointStatus === 'Updating' || e.EndpointStatus === 'RollingBack';
  const pending = e.PendingProductionVariants || [];
  const parts = [];
  const summary = e.PendingDeploymentSummary;
  if (summary) {
    parts.push(kv([
      ['Deploying', link(`#/endpoint-configs`, summary.EndpointConfigName)],
      ['Started', fmt.time(summary.StartTime)],
      ['Stage', summary.StageEndTime ? `${summary.Stage} until ${fmt.time(summary.StageEndTime)}` : summary.Stage],
    ], { testid: 'pending-deployment' }));
  }
  if (updating && pending.length) {
    const share = e.PendingTrafficShare ?? 0;
    parts.push(h('p', {}, `${e.EndpointStatus === 'RollingBack' ? 'Rolling back' : 'Deploying'}: the new fleet takes ${pct(share)} of the traffic.`),
      h('progress', { max: 1, value: share, 'data-testid': 'update-progress' }),
      h('h3', {}, 'New fleet'), variantsTable(pending, 'pending-variants'));
  } else if (updating) {
    parts.push(h('p', {}, 'Starting the new fleet; no traffic has moved yet.'));
  }
  if (e.FailureReason) {
    const rolledBack = /rolled back/.test(e.FailureReason);
    parts.push(h('div', { class: 'error', 'data-testid': 'endpoint-failure' }, `${rolledBack ? 'Rolled back' : 'Failed'}: ${e.FailureReason}`));
  }
  if (e.LastDeploymentConfig) parts.push(h('h3', {}, 'Deployment config'), pre(fmt.json(e.LastDeploymentConfig), { 'data-testid': 'last-deployment' }));
  if (!parts.length) parts.push(h('p', { class: 'note' }, 'This endpoint has not been updated.'));
  return section('Last update', ...parts);
}

const DEFAULT_DEPLOYMENT = {
  BlueGreenUpdatePolicy: {
    TrafficRoutingConfiguration: { Type: 'CANARY', WaitIntervalInSeconds: 30, CanarySize: { Type: 'CAPACITY_PERCENT', Value: 10 } },
    TerminationWaitInSeconds: 5,
  },
  AutoRollbackConfiguration: { Alarms: [{ AlarmName: 'errors', Metric: 'ErrorRate', Threshold: 0.05 }] },
};

// ---- invoking an endpoint ----

// One series of three days, hourly, ending at the last full hour, with a daily cycle.
function sampleRequest() {
  const hours = 72;
  const start = new Date(Math.floor(Date.now() / 3600e3) * 3600e3 - hours * 3600e3);
  const target = Array.from({ length: hours }, (_, i) => Number((20 + 2 * Math.sin((2 * Math.PI * (start.getUTCHours() + i)) / 24)).toFixed(2)));
  return {
    instances: [{ start: start.toISOString().replace('T', ' ').slice(0, 19), target }],
    configuration: { num_samples: 100, output_types: ['mean', 'quantiles'], quantiles: ['0.1', '0.5', '0.9'] },
  };
}

// POST /endpoints/NAME/invocations: the answer as text and JSON, and the variant that
// served it. A refusal's message is the model's own, led by the HTTP status.
async function invoke(name, body) {
  try {
    const res = await api('POST', `/endpoints/${enc(name)}/invocations`, body, { raw: true, headers: { Accept: 'application/json' } });
    const text = await res.text();
    let json;
    try { json = JSON.parse(text); } catch { json = undefined; }
    return { json, text, variant: res.headers.get('X-Amzn-Invoked-Production-Variant') };
  } catch (e) {
    if (e instanceof ApiError && e.status) e.message = `${e.status} ${e.message}`;
    throw e;
  }
}

// The first instance: its target, then the forecast's mean, median and widest band.
function forecastChart(request, answer) {
  const target = request?.instances?.[0]?.target || [];
  const p = answer?.predictions?.[0];
  if (!p) return h('p', { class: 'note' }, 'The answer has no predictions to draw.');
  const num = (y) => (y === null || y === undefined ? NaN : Number(y));
  const n = target.length;
  const joint = n ? [[n - 1, num(target[n - 1])]] : [];  // forecasts start at the last value sent
  const ahead = (ys) => [...joint, ...ys.map((y, i) => [n + i, num(y)])];
  const q = p.quantiles || {};
  const levels = Object.keys(q).sort((a, b) => Number(a) - Number(b));
  const series = [{ name: 'target', points: target.map((y, i) => [i, num(y)]) }];
  if (p.mean) series.push({ name: 'mean', points: ahead(p.mean) });
  if (q['0.5']) series.push({ name: 'median', points: ahead(q['0.5']), dashed: true });
  const bands = levels.length >= 2
    ? [{ name: `${levels[0]}–${levels[levels.length - 1]}`, lower: ahead(q[levels[0]]), upper: ahead(q[levels[levels.length - 1]]) }]
    : [];
  return h('div', {},
    lineChart({ series, bands, xTime: false, height: 260, yLabel: 'target and forecast', testid: 'invoke-chart' }),
    h('p', { class: 'note' }, `Steps of the series (0 = its start). ${bands.length ? `Shaded: quantiles ${bands[0].name}.` : ''}${answer.predictions.length > 1 ? ` The first of ${answer.predictions.length} instances.` : ''}`));
}

function invokePanel(name) {
  const input = h('textarea', { rows: 10, spellcheck: 'false', 'data-testid': 'invoke-request', 'aria-label': 'Request' }, compactJson(sampleRequest()));
  const result = h('div', { 'data-testid': 'invoke-result' });
  const send = button('Invoke', async () => {
    send.disabled = true;
    try {
      const request = parseJsonField(input.value, 'The request');
      const started = performance.now();
      const r = await invoke(name, JSON.stringify(request));
      const ms = performance.now() - started;
      result.replaceChildren(
        h('p', { class: 'note' }, `Answered by variant ${r.variant || '—'} in ${fmt.duration(ms)}.`),
        forecastChart(request, r.json),
        h('h3', {}, 'Answer'), pre(r.json ? compactJson(r.json) : r.text, { 'data-testid': 'invoke-answer' }));
    } catch (e) {
      result.replaceChildren(errorBox(e, 'The invocation failed'));
    } finally {
      send.disabled = false;
    }
  }, { kind: 'primary', testid: 'invoke' });
  return section('Invoke',
    h('p', { class: 'note' }, 'A DeepAR request (instances with start and target, and a configuration), sent to POST /endpoints/', name, '/invocations.'),
    input, h('div', { class: 'toolbar' }, send, button('Reset', () => { input.value = compactJson(sampleRequest()); })), result);
}

async function renderEndpoint(ctx) {
  const name = ctx.params.name;
  let current = null;  // the last description
  const status = h('span');
  const messages = h('div');
  const errors = h('div');
  const body = h('div');
  const say = (node) => messages.replaceChildren(node);

  const weights = button('Update weights', () => {
    const variants = current?.ProductionVariants || [];
    formDialog({
      title: `Weights of ${name}`, submitLabel: 'Update weights', testid: 'update-weights-dialog',
      fields: variants.map((v) => ({ name: v.VariantName, label: `${v.VariantName} (${v.ModelName})`, type: 'number', step: 'any', value: v.DesiredWeight, required: true })),
      submit: async (values) => {
        await post(`/v1/endpoints/${enc(name)}/weights`, {
          DesiredWeightsAndCapacities: variants.map((v) => ({ VariantName: v.VariantName, DesiredWeight: values[v.VariantName] })),
        });
        say(h('p', { class: 'note' }, 'Weights updated (no redeployment).'));
        await refresh();
      },
    });
  }, { testid: 'update-weights' });
  const update = button('Update', async () => {
    let configs = [];
    try { configs = (await get('/v1/endpoint-configs')).EndpointConfigs.map((c) => c.EndpointConfigName); } catch (e) { say(errorBox(e, 'Could not list the endpoint configs')); return; }
    formDialog({
      title: `Update ${name} to another config`, submitLabel: 'Update', testid: 'update-endpoint-dialog',
      fields: [
        { name: 'config', label: 'Endpoint config', type: 'select', options: configs, value: current?.EndpointConfigName },
        { name: 'deployment', label: 'Deployment config (JSON; empty: all at once)', type: 'textarea', rows: 12, value: fmt.json(DEFAULT_DEPLOYMENT),
          help: 'BlueGreenUpdatePolicy (ALL_AT_ONCE, CANARY or LINEAR, bake times) and AutoRollbackConfiguration (ErrorRate or ModelLatencyP99Ms alarms).' },
      ],
      submit: async (v) => {
        const request = { EndpointConfigName: v.config };
        if (v.deployment.trim()) request.DeploymentConfig = parseJsonField(v.deployment, 'The deployment config');
        await post(`/v1/endpoints/${enc(name)}/update`, request);
        say(h('p', { class: 'note' }, `Updating to ${v.config}.`));
        await refresh();
      },
    });
  }, { testid: 'update-endpoint' });
  const remove = button('Delete', async () => {
    if (!confirm(`Delete endpoint ${name}? Its workers finish what they hold, then stop.`)) return;
    try {
      await del(`/v1/endpoints/${enc(name)}`);
      ctx.navigate('#/endpoints');
    } catch (e) { say(errorBox(e, 'Could not delete the endpoint')); }
  }, { kind: 'danger', testid: 'delete-endpoint' });

  ctx.main.append(h('div', { class: 'crumbs' }, link('#/endpoints', 'Endpoints'), ' / ', name),
    h('div', { class: 'toolbar' }, h('h1', {}, name), status, weights, update, remove),
    messages, errors, body, invokePanel(name));

  async function refresh() {
    try {
      const e = await get(`/v1/endpoints/${enc(name)}`);
      if (!ctx.alive()) return;
      current = e;
      clear(errors);
      status.replaceChildren(badge(e.EndpointStatus));
      weights.disabled = e.EndpointStatus !== 'InService';
      update.disabled = e.EndpointStatus !== 'InService';
      body.replaceChildren(
        section('Endpoint', kv([
          ['Status', badge(e.EndpointStatus)],
          ['Endpoint config', e.EndpointConfigName],
          ['Created', fmt.time(e.CreationTime)],
          ['Last modified', fmt.time(e.LastModifiedTime)],
          ['Invocation URL', `POST /endpoints/${name}/invocations`],
          ['Data capture', captureText(e.DataCaptureConfig)],
        ], { testid: 'endpoint-summary' })),
        section('Production variants', variantsTable(e.ProductionVariants, 'endpoint-variants')),
        lastUpdateView(e));
    } catch (err) {
      if (ctx.alive()) clear(errors).append(errorBox(err, `Could not read endpoint ${name}`));
    }
  }
  await refresh();
  ctx.every(REFRESH_MS, refresh);
}

export default [
  { route: '/models', title: 'Models', nav: 'ml', render: renderModels },
  { route: '/endpoint-configs', title: 'Endpoint configs', nav: 'ml', render: renderConfigs },
  { route: '/endpoints', title: 'Endpoints', nav: 'ml', render: renderEndpoints },
  { route: '/endpoints/:name', title: 'Endpoint', render: renderEndpoint },
];
