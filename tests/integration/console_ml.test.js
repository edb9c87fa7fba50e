// The console's forecasting pages in a real browser (web/js/pages/training.js,
// serving.js, monitors.js), over the situation drift_loop.test.js builds: hourly
// readings of three devices in the lake, crawled and prepared into DeepAR channels.
// Through the pages: a training job created from its JSON form trains to Completed,
// with its final metrics (as the API has them) and its log; a bad request is refused in
// the dialog naming the field. A model, an endpoint config and endpoint `ep` are created
// from their forms (prefilled from what exists) and `ep` comes InService with its
// variant; invoking it from the page draws the series, the forecast and its quantile
// band and shows the answer (and a bad request shows the model's own error); the A/B
// weight is changed from its form. A monitor spec with a bad DriftThreshold is refused in
// the dialog naming it; the good one is created and evaluated from the page (the row, the
// chart). Then the world shifts: 'Evaluate now' finds drift, the monitor retrains (its
// training job queued behind a long 'blocker' job so that the retraining is seen in
// progress), 'Evaluate now' meanwhile shows the server's 409, the blocker is stopped from
// its page, and the retraining ends Deployed, seen on the monitor's and the endpoint's
// pages. The endpoint is updated back to its first config from its Update form, and
// deleting the monitor from its page ends it.
'use strict';

const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { Server } = require('./harness');
const { DEVICES, BASE_DAYS, SHIFT_DAYS, pm25, hourText, dayObject } = require('./drift_data');
const { serverArgs, launchBrowser, openConsole, assertNoProblems, tableRows, eventually } = require('./browser');

const PREDICTION_LENGTH = 12;
// drift_loop.test.js's tiny model: about a second and a half of training.
const HYPERPARAMETERS = { time_freq: 'H', prediction_length: String(PREDICTION_LENGTH), context_length: '24',
                          epochs: '10', learning_rate: '0.01', num_cells: '8', num_layers: '1', mini_batch_size: '16' };
const MONITOR = 'pm25-drift';
const METRIC = 'test:mean_wQuantileLoss';
const DATA = { database: 'iot', table: 'readings', target: 'pm25', timestamp: 'ts', group_by: 'device',
               freq: 'H', agg: 'mean', prediction_length: PREDICTION_LENGTH };

const channels = (prefix) => ['train', 'test'].map((channel) => ({
  ChannelName: channel,
  DataSource: { S3DataSource: { S3DataType: 'S3Prefix', S3Uri: `${prefix}${channel}/` } },
}));
const jobRequest = (name, hyperparameters = HYPERPARAMETERS) => ({
  TrainingJobName: name,
  AlgorithmSpecification: { TrainingImage: 'forecasting-deepar', TrainingInputMode: 'File' },
  HyperParameters: hyperparameters,
  InputDataConfig: channels('s3://iot/prepared/base/'),
});
const monitorSpec = (changes = {}) => ({
  MonitorName: MONITOR,
  EndpointName: 'ep',
  Data: DATA,
  ScheduleIntervalSeconds: 0,
  Metric: METRIC,
  Baseline: { TrainingJobName: 'base' },
  DriftThreshold: 2,
  ConsecutiveBreaches: 1,
  Retraining: {
    TrainingJobTemplate: 'base',
    ChannelsUri: `s3://iot/monitor/${MONITOR}/`,
    DeploymentConfig: { BlueGreenUpdatePolicy: { TrafficRoutingConfiguration: { Type: 'ALL_AT_ONCE' } } },
  },
  ...changes,
});
// As the pages print metrics: four significant digits.
const sig4 = (v) => String(Number(Number(v).toPrecision(4)));

describe('console: training jobs, models, endpoints and monitors', { timeout: 180000 }, () => {
  let server;
  let browser;
  let page;
  let problems;
  let baseJob;

  const api = async (method, urlPath, body, want = 200) => {
    const r = await server.api(method, urlPath, body);
    assert.equal(r.status, want, `${method} ${urlPath}: ${r.status} ${r.text}\n${server.tail(30)}`);
    return r.json;
  };
  const putObject = ({ key, text }) => {
    const file = path.join(server.dataDir, 'lake', 'iot', key);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(`${file}.tmp`, text);
    fs.renameSync(`${file}.tmp`, file);
  };
  // Shows a page by its hash, as a link would, and waits for its heading.
  const go = async (hash, heading) => {
    await page.evaluate((h) => { location.hash = h; }, hash);
    await page.waitForSelector(`main#page h1:text-is("${heading}")`);
  };
  const text = (selector) => page.textContent(selector).then((t) => t.trim());
  const toolbarStatus = () => text('.toolbar .badge');
  // Fills the dialog `testid`'s textarea (or `field`) with `value` and submits it.
  const submitDialog = async (testid, value, field = 'textarea') => {
    const dialog = `dialog[data-testid="${testid}"]`;
    if (value !== undefined) await page.fill(`${dialog} ${field}`, typeof value === 'string' ? value : JSON.stringify(value, null, 2));
    await page.click(`${dialog} button[type=submit]`);
    return dialog;
  };

  before(async () => {
    server = await Server.start({ tag: 'console-ml', args: serverArgs() });
    for (let day = 0; day < BASE_DAYS; day++) putObject(dayObject(day));
    await server.cliOk(['crawler', 'create', 'readings', '--source', 's3://iot/readings/', '--database', 'iot', '--table', 'readings']);
    await server.cliOk(['crawler', 'run', 'readings']);
    const prepared = await api('POST', '/v1/forecast/prepare', { ...DATA, out: 's3://iot/prepared/base/' });
    assert.equal(prepared.series, DEVICES.length);
    browser = await launchBrowser();
    ({ page, problems } = await openConsole(browser, server));
  });
  after(async () => {
    if (browser) await browser.close();
    if (server) await server.dispose();
  });

  test('a training job from the form: Completed, its final metrics and its log', async () => {
    await page.click('nav a[data-route="/training-jobs"]');
    await page.waitForSelector('[data-testid="training-jobs"]');
    assert.equal(await text('[data-testid="training-jobs"]'), 'No training jobs yet.');
    await page.click('[data-testid="create-training-job"]');
    const template = JSON.parse(await page.inputValue('dialog[data-testid="create-training-job-dialog"] textarea'));
    assert.equal(template.AlgorithmSpecification.TrainingImage, 'forecasting-deepar');
    assert.deepEqual(template.InputDataConfig.map((c) => c.ChannelName), ['train', 'test']);
    await submitDialog('create-training-job-dialog', jobRequest('base'));

    // The job's page: it follows the job to Completed.
    await page.waitForSelector('main#page h1:text-is("base")');
    await eventually(async () => (await toolbarStatus()) === 'Completed', 'base Completed on its page', { timeoutMs: 60000 });
    baseJob = await api('GET', '/v1/training-jobs/base');
    assert.equal(baseJob.TrainingJobStatus, 'Completed', JSON.stringify(baseJob, null, 1));
    const metrics = await eventually(async () => {
      const rows = await tableRows(page, 'final-metrics');
      return rows.length === baseJob.FinalMetricDataList.length && rows;
    }, 'the final metrics table');
    assert.deepEqual(metrics.map((r) => r.slice(0, 2)),
                     baseJob.FinalMetricDataList.map((m) => [m.MetricName, sig4(m.Value)]));
    assert.ok(metrics.some((r) => r[0] === 'test:RMSE') && metrics.some((r) => r[0] === METRIC), JSON.stringify(metrics));
    assert.deepEqual(await tableRows(page, 'hyperparameters'), Object.entries(HYPERPARAMETERS).sort());
    assert.deepEqual((await tableRows(page, 'channels')).map((r) => r.slice(0, 2)),
                     [['train', 's3://iot/prepared/base/train/'], ['test', 's3://iot/prepared/base/test/']]);
    assert.match(await text('[data-testid="training-output"]'), /s3:\/\/iot\/models\/base\/output\/model\//);
    assert.deepEqual((await tableRows(page, 'training-steps')).map((r) => r[0]),
                     ['Starting', 'Downloading', 'Training', 'Uploading', 'Completed']);
    assert.equal(await page.isHidden('[data-testid="stop-training-job"]'), true, 'Stop is offered for an ended job');

    // The log, as the API has it.
    const log = await api('GET', '/v1/training-jobs/base/logs?limit=10000');
    const shown = await eventually(async () => {
      const t = await page.textContent('[data-testid="training-log"]');
      return t.split('\n').length === log.Lines.length && t;
    }, 'the whole log on the page');
    assert.equal(shown, log.Lines.join('\n'));
    assert.match(shown, /^\[tributary\] Starting/);
    assert.match(shown, /^epoch 10\/10 loss=/m);
    assert.match(shown, new RegExp(`^#metric ${METRIC.replace(/[[\]]/g, '\\$&')}=`, 'm'));
    assert.match(shown, /\[tributary\] Completed: Training job completed$/);

    // The list: status, step, final metric.
    await page.click('.crumbs a');
    const row = await eventually(async () => (await tableRows(page, 'training-jobs'))[0], 'the job in the list');
    const metric = baseJob.FinalMetricDataList.find((m) => m.MetricName === METRIC).Value;
    assert.deepEqual([row[0], row[1], row[2], row[6]], ['base', 'Completed', 'Completed', `${METRIC} = ${sig4(metric)}`]);
    assertNoProblems(problems);

    // A request the server refuses: the dialog stays open and names the field.
    await page.click('[data-testid="create-training-job"]');
    const bad = jobRequest('bad-channel');
    bad.InputDataConfig[1].ChannelName = 'validation';
    const dialog = await submitDialog('create-training-job-dialog', bad);
    await page.waitForSelector(`${dialog} .error:not([hidden])`);
    assert.match(await text(`${dialog} .error`), /InputDataConfig\[1\]\.ChannelName: 'validation' is not a DeepAR channel/);
    await page.click(`${dialog} button:text-is("Cancel")`);
    await api('GET', '/v1/training-jobs/bad-channel', undefined, 404);
  });

  test('a model, an endpoint config and endpoint ep from the pages; ep InService with its variant', async () => {
    const artifact = baseJob.ModelArtifacts.S3ModelArtifacts;
    await page.click('nav a[data-route="/models"]');
    await page.waitForSelector('[data-testid="models"]');
    await page.click('[data-testid="create-model"]');
    // Prefilled with the newest completed job's artifact; submitted as it is.
    const model = JSON.parse(await page.inputValue('dialog[data-testid="create-model-dialog"] textarea'));
    assert.deepEqual(model, { ModelName: 'base', Artifact: artifact });
    await submitDialog('create-model-dialog');
    const models = await eventually(async () => {
      const rows = await tableRows(page, 'models');
      return rows.length === 1 && rows;
    }, 'the model in the list');
    assert.deepEqual(models[0].slice(0, 2), ['base', artifact]);
    assert.equal((await api('GET', '/v1/models/base')).Artifact, artifact);

    await page.click('nav a[data-route="/endpoint-configs"]');
    await page.waitForSelector('[data-testid="endpoint-configs"]');
    await page.click('[data-testid="create-endpoint-config"]');
    const config = JSON.parse(await page.inputValue('dialog[data-testid="create-endpoint-config-dialog"] textarea'));
    assert.deepEqual(config, { EndpointConfigName: 'base-config',
                               ProductionVariants: [{ VariantName: 'v1', ModelName: 'base', InitialVariantWeight: 1, InitialInstanceCount: 1 }] });
    // With data capture: every request and answer kept in the lake.
    await submitDialog('create-endpoint-config-dialog', { ...config, DataCaptureConfig: {
      InitialSamplingPercentage: 100, DestinationS3Uri: 's3://ml-capture/ep/', CaptureOptions: [{ CaptureMode: 'InputAndOutput' }],
      CaptureContentTypeHeader: { JsonContentTypes: ['application/json'] }, FlushIntervalInSeconds: 1 } });
    const configs = await eventually(async () => {
      const rows = await tableRows(page, 'endpoint-configs');
      return rows.length === 1 && rows;
    }, 'the config in the list');
    assert.deepEqual(configs[0].slice(0, 3), ['base-config', 'v1: base, 1 instance(s), weight 1',
                                              '100 % of requests (input and output) → s3://ml-capture/ep/']);
    assert.equal(await page.getAttribute('[data-testid="endpoint-configs"] a[href^="#/lake/"]', 'href'),
                 '#/lake/ml-capture?prefix=ep%2F');

    await page.click('nav a[data-route="/endpoints"]');
    await page.waitForSelector('[data-testid="endpoints"]');
    await page.click('[data-testid="create-endpoint"]');
    await page.fill('dialog[data-testid="create-endpoint-dialog"] input[name=name]', 'ep');
    assert.equal(await page.inputValue('dialog[data-testid="create-endpoint-dialog"] select[name=config]'), 'base-config');
    await submitDialog('create-endpoint-dialog');
    await page.waitForSelector('main#page h1:text-is("ep")');
    await eventually(async () => (await toolbarStatus()) === 'InService', 'ep InService on its page', { timeoutMs: 30000 });
    const ep = await api('GET', '/v1/endpoints/ep');
    assert.equal(ep.EndpointStatus, 'InService');
    const variants = await eventually(async () => {
      const rows = await tableRows(page, 'endpoint-variants');
      return rows.length === 1 && rows[0][4] === '1' && rows;
    }, 'the variant with its instance');
    // Variant, model, weight, traffic, instances, queued, invocations, 4xx, 5xx.
    assert.deepEqual(variants[0].slice(0, 9), ['v1', 'base', '1', '100%', '1', '0', '0', '0', '0']);
    assert.match(await text('[data-testid="endpoint-summary"]'), /Endpoint configbase-config/);
    assert.match(await text('[data-testid="endpoint-summary"]'), /Data capture100 % of requests → s3:\/\/ml-capture\/ep\//);

    await page.click('.crumbs a');
    const list = await eventually(async () => (await tableRows(page, 'endpoints'))[0], 'ep in the list');
    assert.deepEqual(list.slice(0, 4), ['ep', 'InService', 'base-config', 'v1 (base) 100%']);
  });

  test('invoking ep from its page: the series, the forecast and its band drawn, the answer shown', async () => {
    await page.click('[data-testid="endpoints"] a:text-is("ep")');
    await page.waitForSelector('[data-testid="invoke-request"]');
    const request = JSON.parse(await page.inputValue('[data-testid="invoke-request"]'));
    const target = request.instances[0].target;
    assert.equal(request.instances.length, 1);
    assert.ok(target.length >= 48 && target.every(Number.isFinite), JSON.stringify(request));
    assert.match(request.instances[0].start, /^\d{4}-\d\d-\d\d \d\d:00:00$/);

    await page.click('[data-testid="invoke"]');
    const answer = JSON.parse(await page.textContent('[data-testid="invoke-answer"]'));
    const p = answer.predictions[0];
    assert.equal(answer.predictions.length, 1);
    assert.equal(p.mean.length, PREDICTION_LENGTH, JSON.stringify(p));
    for (const q of ['0.1', '0.5', '0.9']) assert.equal(p.quantiles[q].length, PREDICTION_LENGTH, JSON.stringify(p));
    assert.ok(p.mean.every((y) => Number.isFinite(y) && y > 5 && y < 40), `a forecast of a series around 20: ${p.mean}`);
    assert.ok(p.quantiles['0.1'].every((lo, i) => lo <= p.quantiles['0.9'][i]), JSON.stringify(p.quantiles));

    // The chart: one band (0.1-0.9), lines for the target, the mean and the median.
    const chart = '[data-testid="invoke-result"] svg[data-testid="invoke-chart"]';
    assert.equal(await page.locator(`${chart} path.band`).count(), 1);
    const lines = await page.$$eval(`${chart} path.line`, (ps) => ps.map((x) => ({
      name: x.querySelector('title').textContent, points: (x.getAttribute('d').match(/[ML]/g) || []).length,
    })));
    // The forecast lines start at the last value sent.
    assert.deepEqual(lines, [{ name: 'target', points: target.length }, { name: 'mean', points: PREDICTION_LENGTH + 1 },
                             { name: 'median', points: PREDICTION_LENGTH + 1 }]);
    assert.equal(await page.$eval(`${chart} path.band title`, (t) => t.textContent), '0.1–0.9');
    assert.match(await text('[data-testid="invoke-result"] p.note'), /^Answered by variant v1 in /);

    // A request the model refuses: its own words, not only the status line.
    await page.fill('[data-testid="invoke-request"]', JSON.stringify({ instances: [{ start: '2026-01-01 00:00:00', target: 'x' }] }));
    await page.click('[data-testid="invoke"]');
    await page.waitForSelector('[data-testid="invoke-result"] .error');
    assert.equal(await text('[data-testid="invoke-result"] .error'),
                 "The invocation failed: 400 instances[0]: field 'target': expected an array");

    // The counters, refreshed on the page, as the API has them.
    const counted = await eventually(async () => {
      const row = (await tableRows(page, 'endpoint-variants'))[0];
      return row[6] === '2' && row;
    }, 'two invocations counted on the page', { timeoutMs: 6000 });
    const metrics = (await api('GET', '/v1/endpoints/ep')).ProductionVariants[0].Metrics;
    assert.deepEqual([counted[6], counted[7], counted[8]],
                     [metrics.Invocations, metrics.Invocation4XXErrors, metrics.Invocation5XXErrors].map(String));
    assert.deepEqual([metrics.Invocations, metrics.Invocation4XXErrors], [2, 1]);
    // The one answered invocation was captured (the refused one was not).
    assert.equal(counted[counted.length - 1], '1');
    assert.equal(metrics.CapturedInvocations, 1);

    // A/B weights from the form (no redeployment).
    await page.click('[data-testid="update-weights"]');
    await submitDialog('update-weights-dialog', '0.5', 'input[name=v1]');
    await eventually(async () => (await tableRows(page, 'endpoint-variants'))[0][2] === '0.5', 'weight 0.5 on the page');
    assert.equal((await api('GET', '/v1/endpoints/ep')).ProductionVariants[0].CurrentWeight, 0.5);
  });

  test('a monitor: a refused spec names its field in the dialog; created from the form; Evaluate now', async () => {
    await page.click('nav a[data-route="/monitors"]');
    await page.waitForSelector('[data-testid="monitors"]');
    await page.click('[data-testid="create-monitor"]');
    const dialogTextarea = 'dialog[data-testid="create-monitor-dialog"] textarea';
    // Prefilled from what exists: the endpoint, the table, the job as baseline and template.
    const prefilled = JSON.parse(await page.inputValue(dialogTextarea));
    assert.equal(prefilled.EndpointName, 'ep');
    assert.deepEqual(prefilled.Data, DATA);
    assert.deepEqual(prefilled.Baseline, { TrainingJobName: 'base' });
    assert.equal(prefilled.Retraining.TrainingJobTemplate, 'base');

    const dialog = await submitDialog('create-monitor-dialog', monitorSpec({ DriftThreshold: 0.5 }));
    await page.waitForSelector(`${dialog} .error:not([hidden])`);
    assert.match(await text(`${dialog} .error`), /^DriftThreshold: must be a number of at least 1/);
    await api('GET', `/v1/monitors/${MONITOR}`, undefined, 404);
    await submitDialog('create-monitor-dialog', monitorSpec());
    await page.waitForSelector(`main#page h1:text-is("${MONITOR}")`);
    assert.equal(await page.locator('dialog').count(), 0, 'the dialog is gone');
    const spec = JSON.parse(await page.textContent('[data-testid="monitor-spec"]'));
    assert.equal(spec.DriftThreshold, 2);
    assert.deepEqual(spec.Data, DATA);
    assert.equal(await text('[data-testid="evaluations"]'), 'No evaluation yet: press Evaluate now.');

    await page.click('[data-testid="evaluate"]');
    await eventually(async () => (await text('[data-testid="monitor-message"]')) !== '', 'the answer to Evaluate now');
    assert.equal(await text('[data-testid="monitor-message"]'), 'Evaluation 1 requested; it shows below when it has run.');
    const rows = await eventually(async () => {
      const r = await tableRows(page, 'evaluations');
      return r.length === 1 && r[0][2] === 'Completed' && r;
    }, 'evaluation 1 on the page', { timeoutMs: 30000 });
    const d = await api('GET', `/v1/monitors/${MONITOR}`);
    const e = d.LastEvaluation;
    assert.equal(e.EvaluationNumber, 1);
    // #, time, status, value, baseline, ratio, breach, drift, series, window.
    assert.deepEqual([rows[0][0], rows[0][2], rows[0][3], rows[0][4], rows[0][5], rows[0][6], rows[0][7], rows[0][8], rows[0][9]],
                     ['1', 'Completed', sig4(e.Value), sig4(e.Baseline), `${e.Ratio.toFixed(2)}×`, 'within', 'no', '3',
                      `${hourText(BASE_DAYS * 24 - PREDICTION_LENGTH)} → ${hourText(BASE_DAYS * 24 - 1)}`]);
    assert.equal(sig4(e.Baseline), sig4(baseJob.FinalMetricDataList.find((m) => m.MetricName === METRIC).Value));
    assert.equal(await text('[data-testid="last-value"]'), sig4(e.Value));
    assert.equal(await text('[data-testid="baseline"]'), sig4(d.BaselineValue));

    // The chart: the value, the baseline and the dashed threshold.
    const series = await page.$$eval('svg[data-testid="monitor-chart"] path.line', (ps) => ps.map((x) => [
      x.querySelector('title').textContent, x.getAttribute('stroke-dasharray') !== null, (x.getAttribute('d').match(/[ML]/g) || []).length]));
    assert.deepEqual(series, [[METRIC, false, 1], ['baseline', false, 2], ['baseline × 2', true, 2]]);

    // The list.
    await page.click('.crumbs a');
    const list = await eventually(async () => (await tableRows(page, 'monitors'))[0], 'the monitor in the list');
    assert.deepEqual(list.slice(0, 10), [MONITOR, 'Scheduled', 'ep', METRIC, sig4(e.Value), sig4(e.Baseline),
                                         `${(e.Value / e.Baseline).toFixed(2)}×`, '2.00×', '0 of 1', 'ok']);
  });

  test('drift: Evaluate now breaches, the retraining runs (409 shown meanwhile) and is deployed', async () => {
    for (let day = BASE_DAYS; day < BASE_DAYS + SHIFT_DAYS; day++) putObject(dayObject(day));
    // A long job ahead in the queue keeps the retraining's job waiting until it is stopped.
    await api('POST', '/v1/training-jobs', jobRequest('blocker', { ...HYPERPARAMETERS, epochs: '100000' }), 201);
    await eventually(async () => (await api('GET', '/v1/training-jobs/blocker')).SecondaryStatus === 'Training',
                     'blocker training', { timeoutMs: 20000 });

    await page.click(`[data-testid="monitors"] a:text-is("${MONITOR}")`);
    await page.waitForSelector('[data-testid="evaluate"]');
    await page.click('[data-testid="evaluate"]');
    await eventually(async () => /Evaluation 2/.test(await text('[data-testid="monitor-message"]')), 'the answer to Evaluate now');
    assert.equal(await text('[data-testid="monitor-message"]'), 'Evaluation 2 requested; it shows below when it has run.');
    const second = await eventually(async () => {
      const r = await tableRows(page, 'evaluations');
      return r.length === 2 && r[0][0] === '2' && r[0][2] === 'Completed' && r[0];
    }, 'evaluation 2 on the page', { timeoutMs: 30000 });
    assert.deepEqual([second[6], second[7]], ['breach', 'drift'], JSON.stringify(second));
    await eventually(async () => (await text('[data-testid="monitor-status"]')) === 'Retraining', 'Retraining on the page');
    // Its job waits behind the blocker: the retraining stays at its Training step.
    const retraining = await eventually(async () => {
      const r = (await tableRows(page, 'retrainings'))[0];
      return r && r[2] === 'Training' && r;
    }, 'the retraining at its Training step');
    assert.match(retraining[4], new RegExp(`^${MONITOR}-\\d{8}-\\d{6}$`));
    assert.match(retraining[9], /^Preparing \d+\.\d s · Training running$/);

    // Evaluate now while it retrains: the server's 409, in its words.
    await page.click('[data-testid="evaluate"]');
    await page.waitForSelector('[data-testid="monitor-message"] .error');
    const refused = await server.api('POST', `/v1/monitors/${MONITOR}/evaluate`);
    assert.equal(refused.status, 409, refused.text);
    assert.equal(await text('[data-testid="monitor-message"] .error'), `Could not evaluate: ${refused.json.error.message}`);
    assert.match(refused.json.error.message, /is retraining/);

    // Stop the blocker from its page; the retraining's job then runs.
    await go('#/training-jobs/blocker', 'blocker');
    await eventually(async () => (await toolbarStatus()) === 'InProgress', 'blocker InProgress on its page');
    await eventually(async () => /Epoch\d+ of 100000/.test(await text('[data-testid="training-progress"]')), 'the blocker\'s progress');
    await page.click('[data-testid="stop-training-job"]');
    await eventually(async () => (await toolbarStatus()) === 'Stopped', 'blocker Stopped on its page', { timeoutMs: 30000 });
    assert.equal((await api('GET', '/v1/training-jobs/blocker')).TrainingJobStatus, 'Stopped');

    await go(`#/monitors/${MONITOR}`, MONITOR);
    const deployed = await eventually(async () => {
      const r = (await tableRows(page, 'retrainings'))[0];
      return r && !['Preparing', 'Training', 'Deploying'].includes(r[2]) && r;
    }, 'the retraining ended', { timeoutMs: 60000 });
    const d = await api('GET', `/v1/monitors/${MONITOR}`);
    const r = d.Retrainings[0];
    assert.equal(r.Status, 'Deployed', JSON.stringify(d.Retrainings, null, 1));
    assert.deepEqual([deployed[2], deployed[4], deployed[5], deployed[6], deployed[7]],
                     ['Deployed', r.TrainingJobName, r.ModelName, `base-config → ${r.EndpointConfigName}`, sig4(r.NewBaseline)]);
    // How long each step took, from the record's StatusTransitions.
    assert.match(deployed[9], /^Preparing \d+\.\d s · Training \d+\.\d s · Deploying \d+\.\d s$/);
    await eventually(async () => (await text('[data-testid="monitor-status"]')) === 'Scheduled', 'Scheduled again');
    assert.equal(await text('[data-testid="baseline"]'), sig4(r.NewBaseline));

    // The endpoint's page: the new config, the deployment it was rolled out with.
    await go('#/endpoints/ep', 'ep');
    await eventually(async () => (await text('[data-testid="endpoint-summary"]')).includes(r.EndpointConfigName), 'the new config on ep');
    assert.deepEqual((await tableRows(page, 'endpoint-variants')).map((row) => row.slice(0, 2)), [['v1', r.ModelName]]);
    assert.match(await text('[data-testid="last-deployment"]'), /"Type": "ALL_AT_ONCE"/);
  });

  test('ep updated back to base-config from its Update form', async () => {
    await page.click('[data-testid="update-endpoint"]');
    const dialog = 'dialog[data-testid="update-endpoint-dialog"]';
    await page.selectOption(`${dialog} select[name=config]`, 'base-config');
    await submitDialog('update-endpoint-dialog',
                       { BlueGreenUpdatePolicy: { TrafficRoutingConfiguration: { Type: 'ALL_AT_ONCE' }, TerminationWaitInSeconds: 0 } });
    // The note comes once the update request is answered (the dialog's submit is async).
    await eventually(async () => (await text('main#page .note')) === 'Updating to base-config.',
                     'the note "Updating to base-config."');
    await eventually(async () => (await text('[data-testid="endpoint-summary"]')).includes('Endpoint configbase-config') &&
                                 (await toolbarStatus()) === 'InService', 'ep on base-config again', { timeoutMs: 30000 });
    assert.deepEqual((await tableRows(page, 'endpoint-variants')).map((row) => row.slice(0, 2)), [['v1', 'base']]);
    const ep = await api('GET', '/v1/endpoints/ep');
    assert.equal(ep.EndpointConfigName, 'base-config');
    assert.equal(ep.LastDeploymentConfig.BlueGreenUpdatePolicy.TrafficRoutingConfiguration.Type, 'ALL_AT_ONCE');
  });

  test('deleting the monitor from its page', async () => {
    await go(`#/monitors/${MONITOR}`, MONITOR);
    await page.click('[data-testid="delete-monitor"]');  // confirm() is accepted
    await page.waitForSelector('main#page h1:text-is("Monitors")');
    await eventually(async () => (await text('[data-testid="monitors"]')) === 'No monitors yet.', 'an empty list');
    await api('GET', `/v1/monitors/${MONITOR}`, undefined, 404);
    // Only the 400s and the 409 provoked above.
    assertNoProblems(problems, { allowHttpErrors: true });
    assert.equal(problems.length, 4, problems.join('\n'));
  });
});
