// Training jobs through the real binaries (src/training/README.md): JSON Lines channels
// put in the lake, a DeepAR job created over HTTP with tiny hyperparameters, its log
// followed by offset to Completed, SageMaker's test metrics, the model artifact in the
// lake, a model created from that artifact's lake URI behind an endpoint that answers;
// the CLI's --wait; a failing job naming the bad hyperparameter; a long job stopped
// (Stopped, keeping the model the trainer saved on SIGTERM) and one ended by a server
// restart (Failed, saying so).
'use strict';

const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { Server, describeRun, makeTempDir, sleep } = require('./harness');
const { PREDICTION_LENGTH, TINY, syntheticSeries } = require('./deepar_series');

describe('training jobs: lake channels in, a model artifact out', { timeout: 120000 }, () => {
  let server;
  const dir = makeTempDir('training-client');

  const call = (method, urlPath, body) => server.api(method, urlPath, body);
  const describeJob = async (name) => {
    const r = await call('GET', `/v1/training-jobs/${name}`);
    assert.equal(r.status, 200, r.text);
    return r.json;
  };
  const waitFor = async (name, done, what, timeoutMs = 45000) => {
    const deadline = Date.now() + timeoutMs;
    let last;
    while (Date.now() < deadline) {
      last = await describeJob(name);
      if (done(last)) return last;
      await sleep(100);
    }
    assert.fail(`${name}: not ${what} within ${timeoutMs} ms: ${JSON.stringify(last)}\n${server.tail(30)}`);
  };
  const cli = async (args, timeoutMs = 60000) => {
    const r = await server.cli(args, { timeoutMs });
    assert.equal(r.code, 0, `${describeRun(args.join(' '), r)}\n${server.tail(30)}`);
    return r;
  };
  const request = (name, hyperparameters, extra = {}) => ({
    TrainingJobName: name,
    AlgorithmSpecification: { TrainingImage: 'forecasting-deepar', TrainingInputMode: 'File' },
    HyperParameters: hyperparameters,
    InputDataConfig: [
      { ChannelName: 'train', DataSource: { S3DataSource: { S3DataType: 'S3Prefix', S3Uri: 's3://data/deepar/train/' } } },
      { ChannelName: 'test', DataSource: { S3DataSource: { S3DataType: 'S3Prefix', S3Uri: 's3://data/deepar/test/' } } },
    ],
    ...extra,
  });

  before(async () => {
    server = await Server.start({ tag: 'training' });
    // The local lake is <data-dir>/lake/<bucket>/: the channels as JSON Lines objects.
    const series = syntheticSeries(3, 24 * 8);
    const put = (key, lines) => {
      const file = path.join(server.dataDir, 'lake', 'data', key);
      fs.mkdirSync(path.dirname(file), { recursive: true });
      fs.writeFileSync(file, lines.map((l) => JSON.stringify(l)).join('\n') + '\n');
    };
    put('deepar/train/part-0.jsonl', series.slice(0, 2).map((s) => ({ ...s, target: s.target.slice(0, -PREDICTION_LENGTH) })));
    put('deepar/train/part-1.jsonl', series.slice(2).map((s) => ({ ...s, target: s.target.slice(0, -PREDICTION_LENGTH) })));
    put('deepar/test/part-0.jsonl', series);
  });
  after(async () => {
    if (server) await server.dispose();
  });

  test('a job over HTTP: log followed by offset, metrics, artifact, a model and endpoint from it', async () => {
    // A bad body is refused, naming the field; nothing is recorded.
    let r = await call('POST', '/v1/training-jobs', request('bad', { ...TINY, epochs: 3 }));
    assert.equal(r.status, 400, r.text);
    assert.match(r.text, /HyperParameters\.epochs: must be a string/);
    assert.equal((await call('GET', '/v1/training-jobs/bad')).status, 404);

    r = await call('POST', '/v1/training-jobs', request('t1', TINY));
    assert.equal(r.status, 201, r.text);
    assert.equal(r.json.TrainingJobStatus, 'InProgress');

    // Follow the log as a client would: from NextLine until the job has ended.
    const lines = [];
    let offset = 0;
    const deadline = Date.now() + 60000;
    for (;;) {
      const page = await call('GET', `/v1/training-jobs/t1/logs?offset=${offset}`);
      assert.equal(page.status, 200, page.text);
      assert.equal(page.json.FirstLine, offset, 'no line was skipped');
      lines.push(...page.json.Lines);
      offset = page.json.NextLine;
      if (!['InProgress', 'Stopping'].includes(page.json.TrainingJobStatus) && page.json.Lines.length === 0) break;
      assert.ok(Date.now() < deadline, `t1 still running after 60 s:\n${lines.join('\n')}\n${server.tail(30)}`);
      await sleep(150);
    }
    const log = lines.join('\n');
    assert.match(log, /epoch 3\/3 loss=\S+ val_loss=\S+ .*samples\/s=/, log);
    assert.match(log, /channel train: 2 object\(s\) from s3:\/\/data\/deepar\/train\//, log);

    const job = await describeJob('t1');
    assert.equal(job.TrainingJobStatus, 'Completed', `${JSON.stringify(job, null, 2)}\n${log}`);
    assert.deepEqual(job.SecondaryStatusTransitions.map((t) => t.Status),
                     ['Starting', 'Downloading', 'Training', 'Uploading', 'Completed']);
    assert.equal(job.Progress.Epoch, 3);
    const metrics = Object.fromEntries(job.FinalMetricDataList.map((m) => [m.MetricName, m.Value]));
    for (const name of ['test:RMSE', 'test:mean_wQuantileLoss', 'test:wQuantileLoss[0.5]']) {
      assert.ok(Number.isFinite(metrics[name]) && metrics[name] >= 0, `${name}: ${JSON.stringify(metrics)}`);
    }
    assert.equal(job.ModelArtifacts.S3ModelArtifacts, 's3://data/models/t1/output/model/');
    const artifactDir = path.join(server.dataDir, 'lake', 'data', 'models', 't1', 'output', 'model');
    for (const file of ['model.json', 'model.pt', 'hyperparameters.json', 'metrics.json']) {
      assert.ok(fs.existsSync(path.join(artifactDir, file)), `${file} not in the lake`);
    }
    const list = await call('GET', '/v1/training-jobs');
    assert.deepEqual(list.json.TrainingJobSummaries.map((s) => [s.TrainingJobName, s.TrainingJobStatus]),
                     [['t1', 'Completed']]);

    // The artifact's lake URI is a model: behind an endpoint it forecasts.
    await cli(['model', 'create', 'm1', '--artifact', job.ModelArtifacts.S3ModelArtifacts]);
    const model = JSON.parse((await cli(['model', 'describe', 'm1', '--json'])).stdout);
    assert.equal(model.Artifact, 's3://data/models/t1/output/model/');
    await cli(['endpoint-config', 'create', 'c1', '--variant', 'name=v1,model=m1,instances=1']);
    await cli(['endpoint', 'create', 'ep', '--config', 'c1', '--wait']);
    const body = path.join(dir, 'request.json');
    fs.writeFileSync(body, JSON.stringify({
      instances: [{ start: '2024-01-01 00:00:00', target: syntheticSeries(1, 72)[0].target }],
      configuration: { num_samples: 20, output_types: ['mean', 'quantiles'], quantiles: ['0.1', '0.9'] },
    }));
    const answer = JSON.parse((await cli(['endpoint', 'invoke', 'ep', '--body', body])).stdout);
    assert.equal(answer.predictions[0].mean.length, PREDICTION_LENGTH, JSON.stringify(answer));
    assert.ok(answer.predictions[0].mean.every(Number.isFinite));
    // A model from a lake URI with no artifact under it is refused, naming it.
    const bad = await server.cli(['model', 'create', 'm2', '--artifact', 's3://data/deepar/train/']);
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /s3:\/\/data\/deepar\/train\/' has no model\.json/);
  });

  test('the CLI waits with progress lines; a bad hyperparameter fails naming it', async () => {
    const hp = path.join(dir, 'hp.json');
    fs.writeFileSync(hp, JSON.stringify({ ...TINY, epochs: 2, context_length: 24 }));  // numbers: sent as strings
    let r = await cli(['training-job', 'create', 't2', '--train', 'data/deepar/train/', '--test', 's3://data/deepar/test/',
                       '--hyperparameters', hp, '--output-path', 's3://data/trained/', '--wait']);
    assert.match(r.stdout, /epoch 1\/2 loss=/, r.stdout);
    assert.match(r.stdout, /training job t2: Completed/, r.stdout);
    assert.match(r.stdout, /test:RMSE = /, r.stdout);
    assert.match(r.stdout, /model: s3:\/\/data\/trained\/t2\/output\/model\//, r.stdout);

    fs.writeFileSync(hp, JSON.stringify({ ...TINY, likelihood: 'cauchy' }));
    r = await server.cli(['training-job', 'create', 't3', '--train', 'data/deepar/train/', '--hyperparameters', hp,
                          '--wait'], { timeoutMs: 60000 });
    assert.notEqual(r.code, 0, describeRun('training-job create t3 --wait', r));
    assert.match(r.stderr, /ended Failed: .*likelihood.*cauchy/, r.stderr);
    const failed = JSON.parse((await cli(['training-job', 'describe', 't3', '--json'])).stdout);
    assert.match(failed.FailureReason, /likelihood/);
    assert.match((await cli(['training-job', 'list'])).stdout, /t3\s+Failed/);
    assert.match((await cli(['training-job', 'logs', 't3'])).stdout, /tributary train: .*likelihood/);
  });

  test('a long job is stopped; a running one is Failed by a server restart', async () => {
    const long = { ...TINY, epochs: '100000' };
    let r = await call('POST', '/v1/training-jobs', request('long', long));
    assert.equal(r.status, 201, r.text);
    // Queued behind nothing: it trains; a second one waits behind it.
    r = await call('POST', '/v1/training-jobs', request('next', long));
    assert.equal(r.status, 201, r.text);
    assert.match(r.json.SecondaryStatusTransitions[0].StatusMessage, /Queued behind 1/);
    await waitFor('long', (d) => d.Progress && d.Progress.Epoch >= 1, 'training');
    assert.equal((await describeJob('next')).SecondaryStatus, 'Starting');

    await cli(['training-job', 'stop', 'long']);
    const stopped = await waitFor('long', (d) => d.TrainingJobStatus === 'Stopped', 'Stopped', 20000);
    assert.equal(stopped.SecondaryStatus, 'Stopped');
    const log = (await cli(['training-job', 'logs', 'long'])).stdout;
    assert.match(log, /sent SIGTERM/);
    // On SIGTERM the trainer saved the best epoch so far, and the job kept it.
    assert.match(log, /\(stopped by SIGTERM\)/);
    assert.match(stopped.ModelArtifacts.S3ModelArtifacts, /\/long\/output\/model\/$/, JSON.stringify(stopped));
    // The queue moves on: `next` trains now, until the server stops under it.
    await waitFor('next', (d) => d.SecondaryStatus === 'Training' && d.Progress, 'training');
    await server.restart();
    const failed = await describeJob('next');
    assert.equal(failed.TrainingJobStatus, 'Failed', JSON.stringify(failed));
    assert.match(failed.FailureReason, /the server stopped while the job was in Training/);
  });
});
