// Training jobs (SageMaker's CreateTrainingJob shape, run one at a time by the server):
// the list shows each job's status, where it is in its life (the secondary status, and
// the epoch while it trains), when it started and ended and its final test metric; a
// job is created from its CreateTrainingJob request as JSON. A job's page shows its
// status and transitions, progress while it trains, hyperparameters, channels, output,
// every final metric, and the trainer's log followed as it grows; a running job can be
// stopped (the trainer keeps its best epoch so far).
import { enc, get, post } from '../api.js';
import { badge, button, clear, errorBox, fmt, formDialog, h, kv, link, parseJsonField, pre, section, table } from '../dom.js';

const REFRESH_MS = 2000;
const LOG_PAGE = 1000;          // lines asked for per request
const LOG_KEEP = 5000;          // lines kept on the page
const RUNNING = ['InProgress', 'Stopping'];
// The metric the list shows, the first one a job has.
const KEY_METRICS = ['test:mean_wQuantileLoss', 'test:RMSE', 'train:final_loss'];

// Descriptions of jobs that have ended (they no longer change), by name.
const ended = new Map();

// A metric to four significant digits (losses are small numbers).
const metricText = (v) => (Number.isFinite(v) ? String(Number(Number(v).toPrecision(4))) : '—');

function keyMetric(job) {
  const list = job.FinalMetricDataList || [];
  for (const name of KEY_METRICS) {
    const m = list.find((x) => x.MetricName === name);
    if (m) return `${name} = ${metricText(m.Value)}`;
  }
  return '—';
}

function progressText(p) {
  if (!p || !p.Epochs) return '';
  return `epoch ${p.Epoch}/${p.Epochs}${Number.isFinite(p.EtaSeconds) ? `, ${fmt.duration(p.EtaSeconds * 1000)} left` : ''}`;
}

function stamp() {
  return new Date().toISOString().slice(0, 19).replace(/[-:]/g, '').replace('T', '-');
}

// A CreateTrainingJob request to start from (src/training/README.md).
function template() {
  const channel = (name) => ({ ChannelName: name, DataSource: { S3DataSource: { S3DataType: 'S3Prefix', S3Uri: `s3://deepar/${name}/` } } });
  return {
    TrainingJobName: `forecast-${stamp()}`,
    AlgorithmSpecification: { TrainingImage: 'forecasting-deepar', TrainingInputMode: 'File' },
    HyperParameters: { time_freq: 'H', prediction_length: '24', context_length: '72', epochs: '20' },
    InputDataConfig: [channel('train'), channel('test')],
    OutputDataConfig: { S3OutputPath: 's3://deepar/models/' },
    StoppingCondition: { MaxRuntimeInSeconds: 3600 },
  };
}

function createDialog(ctx) {
  formDialog({
    title: 'Create training job',
    testid: 'create-training-job-dialog',
    fields: [{
      name: 'request', label: 'CreateTrainingJob request (JSON)', type: 'textarea', rows: 18, value: fmt.json(template()),
      help: 'HyperParameters are strings, as SageMaker passes them. Channels are lake prefixes (train, and test for test metrics).',
    }],
    submit: async (v) => {
      const request = parseJsonField(v.request, 'The request');
      const job = await post('/v1/training-jobs', request);
      ctx.navigate(`#/training-jobs/${enc(job.TrainingJobName)}`);
    },
  });
}

// Every job's description: ended ones from the cache, the others asked again.
async function describeAll(summaries) {
  return Promise.all(summaries.map(async (s) => {
    const known = ended.get(s.TrainingJobName);
    if (known && known.LastModifiedTime === s.LastModifiedTime) return known;
    const d = await get(`/v1/training-jobs/${enc(s.TrainingJobName)}`);
    if (!RUNNING.includes(d.TrainingJobStatus)) ended.set(d.TrainingJobName, d);
    return d;
  }));
}

async function renderList(ctx) {
  const errors = h('div');
  const list = h('div');
  ctx.main.append(h('div', { class: 'toolbar' }, h('h1', {}, 'Training jobs'),
    button('Create training job', () => createDialog(ctx), { kind: 'primary', testid: 'create-training-job' })),
  errors, list);
  const show = async () => {
    try {
      const { TrainingJobSummaries: summaries } = await get('/v1/training-jobs');
      const jobs = await describeAll(summaries.slice().reverse());  // newest first
      if (!ctx.alive()) return;
      clear(errors);
      list.replaceChildren(table([
        { title: 'Name', value: (j) => link(`#/training-jobs/${enc(j.TrainingJobName)}`, j.TrainingJobName) },
        { title: 'Status', value: (j) => badge(j.TrainingJobStatus) },
        { title: 'Step', value: (j) => [j.SecondaryStatus, RUNNING.includes(j.TrainingJobStatus) && j.Progress ? ` (${progressText(j.Progress)})` : ''].join('') },
        { title: 'Created', value: (j) => fmt.time(j.CreationTime) },
        { title: 'Ended', value: (j) => fmt.time(j.TrainingEndTime) },
        { title: 'Training time', class: 'num', value: (j) => (j.TrainingTimeInSeconds === undefined ? '—' : fmt.duration(j.TrainingTimeInSeconds * 1000)) },
        { title: 'Final metric', value: (j) => keyMetric(j) },
      ], jobs, { testid: 'training-jobs', rowKey: (j) => j.TrainingJobName, empty: 'No training jobs yet.' }));
    } catch (e) {
      if (ctx.alive()) clear(errors).append(errorBox(e, 'Could not list the training jobs'));
    }
  };
  await show();
  ctx.every(REFRESH_MS, show);
}

function progressView(p, running) {
  if (!p) return h('p', { class: 'note' }, running ? 'No epoch has ended yet.' : 'The trainer reported no progress.');
  return h('div', { 'data-testid': 'training-progress' },
    running ? h('progress', { max: p.Epochs, value: p.Epoch }) : null,
    kv([
      ['Epoch', `${p.Epoch} of ${p.Epochs}`],
      ['Loss', metricText(p.Loss)],
      ['Validation loss', metricText(p.ValidationLoss)],
      ['Learning rate', p.LearningRate],
      ['Samples per second', fmt.number(p.SamplesPerSecond)],
      ['Elapsed', fmt.duration(p.ElapsedSeconds * 1000)],
      ['Remaining', running ? fmt.duration(p.EtaSeconds * 1000) : null],
    ]));
}

function jobView(j) {
  const running = RUNNING.includes(j.TrainingJobStatus);
  const channels = (j.InputDataConfig || []).map((c) => ({
    name: c.ChannelName, uri: c.DataSource?.S3DataSource?.S3Uri, type: c.DataSource?.S3DataSource?.S3DataType, mode: c.InputMode || 'File',
  }));
  return [
    j.FailureReason ? h('div', { class: 'error', 'data-testid': 'failure-reason' }, `Failure reason: ${j.FailureReason}`) : null,
    h('div', { class: 'grid2' },
      section('Status', kv([
        ['Status', badge(j.TrainingJobStatus)],
        ['Step', j.SecondaryStatus],
        ['Created', fmt.time(j.CreationTime)],
        ['Started', fmt.time(j.TrainingStartTime)],
        ['Ended', fmt.time(j.TrainingEndTime)],
        ['Training time', j.TrainingTimeInSeconds === undefined ? null : fmt.duration(j.TrainingTimeInSeconds * 1000)],
        ['Maximum run time', fmt.duration((j.StoppingCondition?.MaxRuntimeInSeconds ?? 0) * 1000)],
        ['Algorithm', j.AlgorithmSpecification?.TrainingImage],
      ], { testid: 'training-job-status' })),
      section('Progress', progressView(j.Progress, running))),
    section('Steps', table([
      { title: 'Step', value: (t) => t.Status },
      { title: 'Started', value: (t) => fmt.time(t.StartTime) },
      { title: 'Ended', value: (t) => fmt.time(t.EndTime) },
      { title: 'Message', value: (t) => t.StatusMessage || '' },
    ], j.SecondaryStatusTransitions, { testid: 'training-steps' })),
    h('div', { class: 'grid2' },
      section('Hyperparameters', table([
        { title: 'Name', value: (p) => p[0] },
        { title: 'Value', value: (p) => p[1] },
      ], Object.entries(j.HyperParameters || {}), { testid: 'hyperparameters', empty: 'None (the trainer\'s defaults).' })),
      section('Final metrics', table([
        { title: 'Metric', value: (m) => m.MetricName },
        { title: 'Value', class: 'num', value: (m) => metricText(m.Value) },
        { title: 'Time', value: (m) => fmt.time(m.Timestamp) },
      ], j.FinalMetricDataList, { testid: 'final-metrics', empty: running ? 'When the job has ended.' : 'No metrics.' }))),
    section('Data',
      table([
        { title: 'Channel', value: (c) => c.name },
        { title: 'Lake prefix', value: (c) => c.uri },
        { title: 'Type', value: (c) => c.type },
        { title: 'Input mode', value: (c) => c.mode },
      ], channels, { testid: 'channels' }),
      h('h3', {}, 'Output'),
      kv([
        ['Output path', j.OutputDataConfig?.S3OutputPath],
        ['Model artifact', j.ModelArtifacts?.S3ModelArtifacts ?? (running ? 'when the job has uploaded it' : 'none')],
      ], { testid: 'training-output' })),
  ];
}

async function renderJob(ctx) {
  const name = ctx.params.name;
  const errors = h('div');
  const messages = h('div');
  const status = h('span');
  const stop = button('Stop', async () => {
    if (!confirm(`Stop training job ${name}? The trainer saves its best epoch so far.`)) return;
    try {
      await post(`/v1/training-jobs/${enc(name)}/stop`);
      messages.replaceChildren(h('p', { class: 'note' }, 'Stopping: the trainer was asked to end.'));
      await refresh();
    } catch (e) {
      messages.replaceChildren(errorBox(e, 'Could not stop the job'));
    }
  }, { kind: 'danger', testid: 'stop-training-job' });
  stop.hidden = true;  // until the job is known to be running
  const body = h('div');
  const logInfo = h('p', { class: 'note' });
  const logText = pre('', { 'data-testid': 'training-log' });
  ctx.main.append(h('div', { class: 'crumbs' }, link('#/training-jobs', 'Training jobs'), ' / ', name),
    h('div', { class: 'toolbar' }, h('h1', {}, name), status, stop),
    messages, errors, body, section('Log', logInfo, logText));

  let lines = [];
  let next = 0;
  let done = false;  // the job has ended and its whole log is here
  async function readLog() {
    for (;;) {
      const r = await get(`/v1/training-jobs/${enc(name)}/logs?offset=${next}&limit=${LOG_PAGE}`);
      if (r.Truncated && r.FirstLine > next) lines.push(`… lines ${next}–${r.FirstLine - 1} are no longer kept …`);
      lines = lines.concat(r.Lines).slice(-LOG_KEEP);
      next = r.NextLine;
      if (r.Lines.length < LOG_PAGE) return r.TrainingJobStatus;
    }
  }
  async function refresh() {
    if (done) return;
    try {
      const j = await get(`/v1/training-jobs/${enc(name)}`);
      const logStatus = await readLog();
      if (!ctx.alive()) return;
      clear(errors);
      const running = RUNNING.includes(j.TrainingJobStatus);
      status.replaceChildren(badge(j.TrainingJobStatus));
      stop.hidden = !running;
      body.replaceChildren(...jobView(j).filter(Boolean));
      logText.textContent = lines.length ? lines.join('\n') : '(no output yet)';
      if (running) logText.scrollTop = logText.scrollHeight;  // follow the newest lines
      logInfo.textContent = `${fmt.number(next)} line(s)${running ? ', followed as the job runs' : ''}.`;
      done = !running && !RUNNING.includes(logStatus);
    } catch (e) {
      if (ctx.alive()) clear(errors).append(errorBox(e, `Could not read training job ${name}`));
    }
  }
  await refresh();
  ctx.every(REFRESH_MS, refresh);
}

export default [
  { route: '/training-jobs', title: 'Training jobs', nav: 'ml', render: renderList },
  { route: '/training-jobs/:name', title: 'Training job', render: renderJob },
];
