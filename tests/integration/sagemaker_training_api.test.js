// SageMaker's training job operations on POST / (AWS JSON 1.1, X-Amz-Target SageMaker.*),
// driven by the AWS SDK's own clients (`@aws-sdk/client-s3`, `@aws-sdk/client-sagemaker`,
// `@aws-sdk/client-sagemaker-runtime`) with an endpoint override and SigV4 (access key id
// 'admin', the admin token as the secret), over the real trainer (`tributary-forecast`;
// src/training/README.md). The reference's training step with AWS's tools alone: the
// DeepAR channels put with PutObject into the lake (checked on disk), CreateTrainingJob in
// the shape SageMaker's SDKs send (an ECR image URI, RoleArn, ResourceConfig, spot and
// network settings, channels with ContentType/CompressionType/RecordWrapperType), the
// SDK's waitUntilTrainingJobCompletedOrStopped; DescribeTrainingJob (ARN, times read as
// Dates in order, the secondary status transitions, test:RMSE, the model artifact's lake
// prefix, listed by ListObjectsV2); the artifact deployed with the SDK alone (CreateModel
// with it as ModelDataUrl, CreateEndpointConfig, CreateEndpoint, waitUntilEndpointInService)
// and forecasting through InvokeEndpoint, then deleted. A long job stopped with
// StopTrainingJob (the waiter's SUCCESS on Stopped, the model saved on SIGTERM kept); a
// job failing on a bad hyperparameter (the waiter's FAILURE, FailureReason naming it).
// Errors by name: ResourceInUse for a taken name; ValidationException for a number
// hyperparameter, a field SageMaker has but this server does not take, a non-empty
// Environment, RecordWrapperType RecordIO, a missing job (Describe, Stop, the waiter) and
// stopping an ended job, with nothing created. ListTrainingJobs: ascending creation order
// by default, SortBy Name/Status, SortOrder, StatusEquals, NameContains, creation and
// modification time bounds, paging with MaxResults 1 and NextToken, bad values refused.
'use strict';

const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const S3 = require('@aws-sdk/client-s3');
const SM = require('@aws-sdk/client-sagemaker');
const R = require('@aws-sdk/client-sagemaker-runtime');
const { Server, sleep } = require('./harness');
const { rejectsAws } = require('./aws');
const { PREDICTION_LENGTH, TINY, syntheticSeries } = require('./deepar_series');

const IMAGE = '522234722520.dkr.ecr.us-east-1.amazonaws.com/forecasting-deepar:1';
const ROLE = 'arn:aws:iam::000000000000:role/tributary-ignores-this';
const ARN = (name) => `arn:aws:sagemaker:local:000000000000:training-job/${name}`;
// The three jobs, named so that name order is neither creation nor status order:
// created forecast-sdk (Completed), deepar-long (Stopped), likelihood-cauchy (Failed).
const DONE = 'forecast-sdk';
const LONG = 'deepar-long';
const FAILS = 'likelihood-cauchy';

const jsonLines = (records) => records.map((r) => JSON.stringify(r)).join('\n') + '\n';

// CreateTrainingJob as SageMaker's SDKs send it (the Python SDK's Estimator.fit, say).
function trainingRequest(name, hyperparameters, extra = {}) {
  const channel = (ChannelName) => ({
    ChannelName, ContentType: 'json', CompressionType: 'None', RecordWrapperType: 'None', InputMode: 'File',
    DataSource: { S3DataSource: { S3DataType: 'S3Prefix', S3Uri: `s3://data/deepar/${ChannelName}/`,
                                  S3DataDistributionType: 'FullyReplicated' } },
  });
  return {
    TrainingJobName: name,
    AlgorithmSpecification: { TrainingImage: IMAGE, TrainingInputMode: 'File' },
    RoleArn: ROLE,
    HyperParameters: hyperparameters,
    InputDataConfig: [channel('train'), channel('test')],
    OutputDataConfig: { S3OutputPath: 's3://data/models/' },
    ResourceConfig: { InstanceType: 'ml.c4.xlarge', InstanceCount: 1, VolumeSizeInGB: 5 },
    StoppingCondition: { MaxRuntimeInSeconds: 600 },
    EnableNetworkIsolation: false,
    EnableInterContainerTrafficEncryption: false,
    EnableManagedSpotTraining: false,
    Tags: [{ Key: 'project', Value: 'tributary' }],
    ...extra,
  };
}

describe('SageMaker training jobs through the AWS SDK', { timeout: 120000 }, () => {
  let server;
  let s3;
  let sm;
  let runtime;
  let startedAt;      // a Date a little before anything was created
  let afterDone;      // a Date after DONE ended and before LONG was created
  let beforeFails;    // a Date after LONG ended and before FAILS was created
  const series = syntheticSeries(3, 24 * 8);
  const clients = [];
  const send = (command) => sm.send(command);
  const describeJob = (name) => send(new SM.DescribeTrainingJobCommand({ TrainingJobName: name }));
  const createJob = (request) => send(new SM.CreateTrainingJobCommand(request));
  const list = async (input) => (await send(new SM.ListTrainingJobsCommand(input))).TrainingJobSummaries;
  const names = async (input) => (await list(input)).map((s) => s.TrainingJobName);
  // The SDK's own waiter, with delays fit for a test (its defaults wait 2 min between polls).
  const waitEnded = (name, maxWaitTime = 90) => SM.waitUntilTrainingJobCompletedOrStopped(
    { client: sm, minDelay: 1, maxDelay: 2, maxWaitTime }, { TrainingJobName: name });
  const assertDate = (date, what) => {
    assert.ok(date instanceof Date, `${what}: expected a Date, got ${typeof date} ${date}`);
    assert.ok(!Number.isNaN(date.getTime()), `${what}: an invalid Date`);
  };
  // A Date between `startedAt` (less a second: times are rounded down to the millisecond)
  // and now, so that seconds taken for milliseconds (or the reverse) fail.
  const assertRecent = (date, what) => {
    assertDate(date, what);
    assert.ok(date.getTime() >= startedAt.getTime() - 1000 && date.getTime() <= Date.now() + 1000,
              `${what}: ${date.toISOString()} is not between ${startedAt.toISOString()} and now`);
  };
  const assertOrdered = (dates, what) => {
    for (let i = 1; i < dates.length; i++) {
      assert.ok(dates[i - 1][1].getTime() <= dates[i][1].getTime(),
                `${what}: ${dates[i - 1][0]} ${dates[i - 1][1].toISOString()} after ${dates[i][0]} ` +
                `${dates[i][1].toISOString()}`);
    }
  };
  // The waiter's checkExceptions throws a plain Error whose message is the waiter's result
  // as JSON ({"state": "FAILURE", "reason": ...}); returns that result.
  const waiterFailure = async (promise, what) => {
    let result;
    await assert.rejects(promise, (e) => {
      result = JSON.parse(e.message);
      return true;
    }, `${what}: the waiter did not reject`);
    assert.equal(result.state, 'FAILURE', `${what}: ${JSON.stringify(result)}`);
    return result;
  };
  // /v1's description (the SDK drops what SageMaker's shape lacks, such as Progress).
  const v1Job = async (name) => {
    const r = await server.api('GET', `/v1/training-jobs/${name}`);
    assert.equal(r.status, 200, r.text);
    return r.json;
  };

  before(async () => {
    server = await Server.start({ tag: 'sagemaker-training' });
    const config = { endpoint: server.endpoint, region: 'us-east-1', maxAttempts: 1,
                     credentials: { accessKeyId: 'admin', secretAccessKey: server.token } };
    s3 = new S3.S3Client({ ...config, forcePathStyle: true });
    sm = new SM.SageMakerClient(config);
    runtime = new R.SageMakerRuntimeClient(config);
    clients.push(s3, sm, runtime);
    startedAt = new Date();
  });
  after(async () => {
    for (const client of clients) client.destroy();
    if (server) await server.dispose();
  });

  test('the channels put with the S3 client, as the reference uploads them', async () => {
    await s3.send(new S3.CreateBucketCommand({ Bucket: 'data' }));
    const train = series.map((s) => ({ ...s, target: s.target.slice(0, -PREDICTION_LENGTH) }));
    const objects = {
      'deepar/train/part-0.json': jsonLines(train.slice(0, 2)),
      'deepar/train/part-1.json': jsonLines(train.slice(2)),
      'deepar/test/part-0.json': jsonLines(series),
    };
    for (const [Key, Body] of Object.entries(objects)) {
      const put = await s3.send(new S3.PutObjectCommand({ Bucket: 'data', Key, Body,
                                                          ContentType: 'application/jsonlines' }));
      assert.match(put.ETag, /^"[0-9a-f]{32}"$/, `${Key}: ETag`);
      const file = path.join(server.dataDir, 'lake', 'data', ...Key.split('/'));
      assert.equal(fs.readFileSync(file, 'utf8'), Body, `${Key}: not the bytes sent`);
    }
    const listed = await s3.send(new S3.ListObjectsV2Command({ Bucket: 'data', Prefix: 'deepar/' }));
    assert.deepEqual(listed.Contents.map((o) => o.Key).sort(), Object.keys(objects).sort());
  });

  test('CreateTrainingJob as SageMaker\'s SDKs send it', async () => {
    const created = await createJob(trainingRequest(DONE, TINY, { Environment: {} }));
    assert.equal(created.$metadata.httpStatusCode, 200);
    assert.equal(created.TrainingJobArn, ARN(DONE));
    // The trainer takes longer than this to start: the job is still running.
    const d = await describeJob(DONE);
    assert.equal(d.TrainingJobStatus, 'InProgress', JSON.stringify(d));
    assert.equal(d.TrainingJobArn, ARN(DONE));
    assert.equal(d.ModelArtifacts, undefined, 'ModelArtifacts before the model was uploaded');
    assert.equal(d.SecondaryStatusTransitions[0].Status, 'Starting', JSON.stringify(d.SecondaryStatusTransitions));
    assertRecent(d.CreationTime, 'CreationTime while InProgress');
  });

  test('the SDK\'s waiter, then DescribeTrainingJob of the completed job', async () => {
    const waited = await waitEnded(DONE);
    assert.equal(waited.state, 'SUCCESS', JSON.stringify(waited));
    const d = await describeJob(DONE);
    const context = `${JSON.stringify(d, null, 1)}\n${server.tail(30)}`;
    assert.equal(d.TrainingJobStatus, 'Completed', context);
    assert.equal(d.SecondaryStatus, 'Completed', context);
    assert.equal(d.TrainingJobName, DONE);
    assert.equal(d.TrainingJobArn, ARN(DONE));
    assert.equal(d.FailureReason, undefined, d.FailureReason);
    // The request read back, with the image URI as given.
    assert.equal(d.AlgorithmSpecification.TrainingImage, IMAGE);
    assert.equal(d.AlgorithmSpecification.TrainingInputMode, 'File');
    assert.deepEqual(d.HyperParameters, TINY);
    assert.deepEqual(d.InputDataConfig.map((c) => [c.ChannelName, c.DataSource.S3DataSource.S3Uri]),
                     [['train', 's3://data/deepar/train/'], ['test', 's3://data/deepar/test/']]);
    assert.equal(d.OutputDataConfig.S3OutputPath, 's3://data/models/');
    assert.equal(d.StoppingCondition.MaxRuntimeInSeconds, 600);

    // Times: Dates (epoch seconds read by the SDK), recent, in order.
    for (const key of ['CreationTime', 'TrainingStartTime', 'TrainingEndTime', 'LastModifiedTime']) {
      assertRecent(d[key], key);
    }
    const transitions = d.SecondaryStatusTransitions;
    assert.deepEqual(transitions.map((t) => t.Status), ['Starting', 'Downloading', 'Training', 'Uploading', 'Completed']);
    transitions.forEach((t, i) => {
      assertRecent(t.StartTime, `${t.Status}.StartTime`);
      assertRecent(t.EndTime, `${t.Status}.EndTime`);
      assert.ok(t.StartTime <= t.EndTime, `${t.Status} ends before it starts: ${JSON.stringify(t)}`);
      if (i > 0) {
        assert.equal(t.StartTime.getTime(), transitions[i - 1].EndTime.getTime(),
                     `${t.Status} does not start when ${transitions[i - 1].Status} ends`);
      }
      assert.equal(typeof t.StatusMessage, 'string');
    });
    const byStatus = Object.fromEntries(transitions.map((t) => [t.Status, t]));
    assertOrdered([['CreationTime', d.CreationTime], ['TrainingStartTime', d.TrainingStartTime],
                   ['Training.StartTime', byStatus.Training.StartTime], ['Training.EndTime', byStatus.Training.EndTime],
                   ['TrainingEndTime', d.TrainingEndTime], ['LastModifiedTime', d.LastModifiedTime]], 'DescribeTrainingJob');
    assert.equal(d.TrainingEndTime.getTime(), byStatus.Completed.StartTime.getTime(),
                 'TrainingEndTime is not when the job was Completed');
    assert.ok(d.CreationTime.getTime() <= byStatus.Starting.StartTime.getTime() + 1, 'Starting before the job was created');
    assert.ok(Number.isInteger(d.TrainingTimeInSeconds) && d.TrainingTimeInSeconds >= 0 &&
              d.TrainingTimeInSeconds <= (d.TrainingEndTime - d.TrainingStartTime) / 1000 + 1,
              `TrainingTimeInSeconds ${d.TrainingTimeInSeconds}`);
    assert.match(byStatus.Uploading.StatusMessage, /s3:\/\/data\/models\/forecast-sdk\/output\/model\//);

    const metrics = Object.fromEntries(d.FinalMetricDataList.map((m) => [m.MetricName, m]));
    const rmse = metrics['test:RMSE'];
    assert.ok(rmse, `no test:RMSE: ${JSON.stringify(d.FinalMetricDataList)}`);
    assert.ok(Number.isFinite(rmse.Value) && rmse.Value >= 0, `test:RMSE ${rmse.Value}`);
    assertRecent(rmse.Timestamp, 'test:RMSE Timestamp');
    assertOrdered([['TrainingStartTime', d.TrainingStartTime], ['test:RMSE Timestamp', rmse.Timestamp],
                   ['TrainingEndTime', d.TrainingEndTime]], 'the metric');
    for (const name of ['test:mean_wQuantileLoss', 'train:final_loss']) {
      assert.ok(Number.isFinite(metrics[name]?.Value), `${name}: ${JSON.stringify(metrics[name])}`);
    }

    assert.equal(d.ModelArtifacts?.S3ModelArtifacts, 's3://data/models/forecast-sdk/output/model/', context);
    const prefix = 'models/forecast-sdk/output/model/';
    const artifact = await s3.send(new S3.ListObjectsV2Command({ Bucket: 'data', Prefix: prefix }));
    const files = (artifact.Contents || []).map((o) => o.Key.slice(prefix.length));
    for (const file of ['model.json', 'model.pt', 'hyperparameters.json', 'metrics.json']) {
      assert.ok(files.includes(file), `${file} not under the artifact prefix: ${files}`);
    }
    await sleep(50);
    afterDone = new Date();
  });

  test('what was trained deployed with the SDK alone, and forecasting', async () => {
    const { ModelArtifacts } = await describeJob(DONE);
    const model = await send(new SM.CreateModelCommand({
      ModelName: 'forecast-sdk-model', ExecutionRoleArn: ROLE,
      PrimaryContainer: { Image: IMAGE, ModelDataUrl: ModelArtifacts.S3ModelArtifacts },
    }));
    assert.match(model.ModelArn, /:model\/forecast-sdk-model$/);
    const described = await send(new SM.DescribeModelCommand({ ModelName: 'forecast-sdk-model' }));
    assert.equal(described.PrimaryContainer.ModelDataUrl, 's3://data/models/forecast-sdk/output/model/');
    await send(new SM.CreateEndpointConfigCommand({
      EndpointConfigName: 'forecast-sdk-config',
      ProductionVariants: [{ VariantName: 'deepar', ModelName: 'forecast-sdk-model', InitialInstanceCount: 1,
                             InitialVariantWeight: 1, InstanceType: 'ml.m5.large' }],
    }));
    const endpoint = await send(new SM.CreateEndpointCommand({ EndpointName: 'forecast-sdk',
                                                               EndpointConfigName: 'forecast-sdk-config' }));
    assert.match(endpoint.EndpointArn, /:endpoint\/forecast-sdk$/);
    const ready = await SM.waitUntilEndpointInService({ client: sm, maxWaitTime: 60, minDelay: 1, maxDelay: 2 },
                                                      { EndpointName: 'forecast-sdk' });
    assert.equal(ready.state, 'SUCCESS', JSON.stringify(ready));

    const history = syntheticSeries(2, 72);
    const output = await runtime.send(new R.InvokeEndpointCommand({
      EndpointName: 'forecast-sdk', ContentType: 'application/json', Accept: 'application/json',
      Body: JSON.stringify({
        instances: history.map((s) => ({ start: s.start, target: s.target })),
        configuration: { num_samples: 20, output_types: ['mean', 'quantiles'], quantiles: ['0.1', '0.9'] },
      }),
    }));
    assert.equal(output.InvokedProductionVariant, 'deepar');
    const answer = JSON.parse(new TextDecoder().decode(output.Body));
    assert.equal(answer.predictions?.length, 2, JSON.stringify(answer));
    for (const [i, p] of answer.predictions.entries()) {
      assert.equal(p.mean.length, PREDICTION_LENGTH, `prediction ${i}: ${JSON.stringify(p)}`);
      assert.ok(p.mean.every(Number.isFinite), `prediction ${i}: mean ${p.mean}`);
      assert.deepEqual(Object.keys(p.quantiles).sort(), ['0.1', '0.9'], `prediction ${i}: quantile keys`);
      for (let t = 0; t < PREDICTION_LENGTH; t++) {
        assert.ok(p.quantiles['0.1'][t] <= p.quantiles['0.9'][t], `prediction ${i} step ${t}: quantiles not ordered`);
      }
    }

    await send(new SM.DeleteEndpointCommand({ EndpointName: 'forecast-sdk' }));
    let left;
    for (const deadline = Date.now() + 20000; ;) {
      left = (await send(new SM.ListEndpointsCommand({}))).Endpoints;
      if (left.length === 0 || Date.now() > deadline) break;
      await sleep(200);
    }
    assert.deepEqual(left.map((e) => e.EndpointName), [], 'the endpoint still listed 20 s after DeleteEndpoint');
    await send(new SM.DeleteEndpointConfigCommand({ EndpointConfigName: 'forecast-sdk-config' }));
    await send(new SM.DeleteModelCommand({ ModelName: 'forecast-sdk-model' }));
  });

  test('StopTrainingJob on a long job: the waiter ends on Stopped', async () => {
    const created = await createJob(trainingRequest(LONG, { ...TINY, epochs: '1000' }));
    assert.equal(created.TrainingJobArn, ARN(LONG));
    // Stopped once an epoch has ended, so that the trainer has a model to save on SIGTERM
    // (the epoch is in /v1's Progress, which SageMaker's shape has not).
    for (const deadline = Date.now() + 30000; ;) {
      const job = await v1Job(LONG);
      if (job.Progress?.Epoch >= 1) break;
      assert.equal(job.TrainingJobStatus, 'InProgress', JSON.stringify(job));
      assert.ok(Date.now() < deadline, `${LONG}: no epoch ended in 30 s: ${JSON.stringify(job)}\n${server.tail(30)}`);
      await sleep(100);
    }
    const stopped = await send(new SM.StopTrainingJobCommand({ TrainingJobName: LONG }));
    assert.equal(stopped.$metadata.httpStatusCode, 200);
    assert.deepEqual(Object.keys(stopped).filter((k) => k !== '$metadata'), [], 'StopTrainingJob answers {}');
    const stopping = await describeJob(LONG);
    assert.ok(['Stopping', 'Stopped'].includes(stopping.TrainingJobStatus), JSON.stringify(stopping));

    const waited = await waitEnded(LONG, 60);
    assert.equal(waited.state, 'SUCCESS', JSON.stringify(waited));
    assert.equal(waited.reason.TrainingJobStatus, 'Stopped', JSON.stringify(waited.reason));
    const d = await describeJob(LONG);
    assert.equal(d.TrainingJobStatus, 'Stopped');
    assert.equal(d.SecondaryStatus, 'Stopped');
    // The trainer saved its best epoch on SIGTERM; that model is uploaded and kept.
    assert.deepEqual(d.SecondaryStatusTransitions.map((t) => t.Status),
                     ['Starting', 'Downloading', 'Training', 'Stopping', 'Uploading', 'Stopped']);
    for (const t of d.SecondaryStatusTransitions) assertRecent(t.StartTime, `${LONG} ${t.Status}.StartTime`);
    assert.match(d.SecondaryStatusTransitions.at(-1).StatusMessage, /StopTrainingJob/);
    assert.equal(d.ModelArtifacts?.S3ModelArtifacts, 's3://data/models/deepar-long/output/model/', JSON.stringify(d));
    assertOrdered([['CreationTime', d.CreationTime], ['TrainingStartTime', d.TrainingStartTime],
                   ['TrainingEndTime', d.TrainingEndTime], ['LastModifiedTime', d.LastModifiedTime]], LONG);
    assert.ok(d.CreationTime > afterDone, 'created before the first job ended?');
    await sleep(50);
    beforeFails = new Date();
  });

  test('errors by name, with nothing created', async () => {
    await rejectsAws(createJob(trainingRequest(DONE, TINY)), 'ResourceInUse', 400, /forecast-sdk/, 'a taken name');
    await rejectsAws(createJob(trainingRequest('bad-number', { ...TINY, epochs: 3 })), 'ValidationException', 400,
                     /HyperParameters\.epochs: must be a string/, 'a number hyperparameter');
    // A field SageMaker's API has (so the SDK sends it) that this server does not take.
    await rejectsAws(createJob(trainingRequest('bad-field', TINY, { InfraCheckConfig: { EnableInfraCheck: true } })),
                     'ValidationException', 400, /^InfraCheckConfig: unknown field/, 'an unknown top-level field');
    await rejectsAws(createJob(trainingRequest('bad-environment', TINY, { Environment: { EPOCHS: '3' } })),
                     'ValidationException', 400, /^Environment: /, 'a non-empty Environment');
    const recordIo = trainingRequest('bad-wrapper', TINY);
    recordIo.InputDataConfig[0].RecordWrapperType = 'RecordIO';
    await rejectsAws(createJob(recordIo), 'ValidationException', 400, /InputDataConfig\[0\]\.RecordWrapperType/,
                     'RecordWrapperType RecordIO');
    await rejectsAws(createJob(trainingRequest('bad-image', TINY, {
      AlgorithmSpecification: { TrainingImage: '522234722520.dkr.ecr.us-east-1.amazonaws.com/xgboost:1',
                                TrainingInputMode: 'File' },
    })), 'ValidationException', 400, /AlgorithmSpecification\.TrainingImage/, 'another algorithm\'s image');

    await rejectsAws(describeJob('no-such-job'), 'ValidationException', 400, /training job 'no-such-job' does not exist/,
                     'DescribeTrainingJob of a missing job');
    await rejectsAws(send(new SM.StopTrainingJobCommand({ TrainingJobName: 'no-such-job' })), 'ValidationException', 400,
                     /training job 'no-such-job' does not exist/, 'StopTrainingJob of a missing job');
    await rejectsAws(send(new SM.StopTrainingJobCommand({ TrainingJobName: DONE })), 'ValidationException', 400,
                     /'forecast-sdk' has already ended \(Completed\)/, 'StopTrainingJob of a completed job');
    // The waiter on a missing job fails at once on the ValidationException.
    const missing = await waiterFailure(waitEnded('no-such-job', 10), 'the waiter on a missing job');
    assert.equal(missing.reason.name, 'ValidationException', JSON.stringify(missing));
    assert.match(missing.reason.message, /training job 'no-such-job' does not exist/);

    assert.deepEqual(await names({}), [DONE, LONG], 'a refused request made a job');
    const done = await describeJob(DONE);
    assert.equal(done.TrainingJobStatus, 'Completed', 'a refused stop changed the job');
    assert.ok(done.LastModifiedTime < afterDone, 'a refused request touched the job');
  });

  test('a job failing on a bad hyperparameter: the waiter\'s FAILURE and FailureReason', async () => {
    const created = await createJob(trainingRequest(FAILS, { ...TINY, likelihood: 'cauchy' }));
    assert.equal(created.TrainingJobArn, ARN(FAILS));
    const failure = await waiterFailure(waitEnded(FAILS, 60), 'the waiter on a failing job');
    assert.equal(failure.reason.TrainingJobStatus, 'Failed', JSON.stringify(failure));
    assert.match(failure.reason.FailureReason, /likelihood.*cauchy/);
    // The non-throwing waiter says the same.
    const result = await SM.waitForTrainingJobCompletedOrStopped({ client: sm, minDelay: 1, maxDelay: 2, maxWaitTime: 10 },
                                                                 { TrainingJobName: FAILS });
    assert.equal(result.state, 'FAILURE');
    const d = await describeJob(FAILS);
    assert.equal(d.TrainingJobStatus, 'Failed');
    assert.equal(d.SecondaryStatus, 'Failed');
    assert.match(d.FailureReason,
                 /hyperparameter 'likelihood': 'cauchy' is not one of .*\(the trainer exited with status 2\)/, d.FailureReason);
    assert.equal(d.SecondaryStatusTransitions.at(-1).Status, 'Failed');
    assert.equal(d.ModelArtifacts, undefined, 'a failed job with a model');
    assert.deepEqual(d.FinalMetricDataList || [], [], 'a failed job with metrics');
    assertRecent(d.TrainingEndTime, 'TrainingEndTime of the failed job');
    await rejectsAws(send(new SM.StopTrainingJobCommand({ TrainingJobName: FAILS })), 'ValidationException', 400,
                     /has already ended \(Failed\)/, 'StopTrainingJob of a failed job');
  });

  test('ListTrainingJobs: order, sorting, filters, paging', async () => {
    const all = await list({});
    // Ascending creation time unless told otherwise.
    assert.deepEqual(all.map((s) => [s.TrainingJobName, s.TrainingJobStatus]),
                     [[DONE, 'Completed'], [LONG, 'Stopped'], [FAILS, 'Failed']]);
    for (const s of all) {
      assert.equal(s.TrainingJobArn, ARN(s.TrainingJobName));
      assertRecent(s.CreationTime, `${s.TrainingJobName} CreationTime`);
      assertRecent(s.LastModifiedTime, `${s.TrainingJobName} LastModifiedTime`);
      assertRecent(s.TrainingEndTime, `${s.TrainingJobName} TrainingEndTime`);
      const d = await describeJob(s.TrainingJobName);
      assert.equal(s.CreationTime.getTime(), d.CreationTime.getTime(), `${s.TrainingJobName}: CreationTime`);
      assert.equal(s.LastModifiedTime.getTime(), d.LastModifiedTime.getTime(), `${s.TrainingJobName}: LastModifiedTime`);
    }
    assert.deepEqual(await names({ SortBy: 'CreationTime', SortOrder: 'Descending' }), [FAILS, LONG, DONE]);
    assert.deepEqual(await names({ SortBy: 'Name' }), [LONG, DONE, FAILS]);
    assert.deepEqual(await names({ SortBy: 'Name', SortOrder: 'Descending' }), [FAILS, DONE, LONG]);
    assert.deepEqual(await names({ SortBy: 'Status' }), [DONE, FAILS, LONG]);  // Completed, Failed, Stopped
    assert.deepEqual(await names({ SortBy: 'Status', SortOrder: 'Descending' }), [LONG, FAILS, DONE]);

    for (const [status, expected] of [['Completed', [DONE]], ['Stopped', [LONG]], ['Failed', [FAILS]],
                                      ['InProgress', []], ['Stopping', []]]) {
      assert.deepEqual(await names({ StatusEquals: status }), expected, `StatusEquals ${status}`);
    }
    assert.deepEqual(await names({ NameContains: 'cauchy' }), [FAILS]);
    assert.deepEqual(await names({ NameContains: 'e', SortBy: 'Name' }), [LONG, DONE, FAILS]);
    assert.deepEqual(await names({ NameContains: 'sdk', StatusEquals: 'Failed' }), []);
    assert.deepEqual(await names({ NameContains: 'nothing-like-it' }), []);

    assert.deepEqual(await names({ CreationTimeAfter: afterDone }), [LONG, FAILS]);
    assert.deepEqual(await names({ CreationTimeBefore: afterDone }), [DONE]);
    assert.deepEqual(await names({ CreationTimeAfter: afterDone, CreationTimeBefore: beforeFails }), [LONG]);
    assert.deepEqual(await names({ CreationTimeAfter: new Date() }), []);
    assert.deepEqual(await names({ LastModifiedTimeAfter: beforeFails }), [FAILS]);
    assert.deepEqual(await names({ LastModifiedTimeBefore: afterDone }), [DONE]);

    const paged = [];
    let NextToken;
    for (let calls = 1; ; calls++) {
      const page = await send(new SM.ListTrainingJobsCommand({ MaxResults: 1, NextToken }));
      assert.equal(page.TrainingJobSummaries.length, 1, `page ${calls}: ${JSON.stringify(page.TrainingJobSummaries)}`);
      paged.push(page.TrainingJobSummaries[0].TrainingJobName);
      NextToken = page.NextToken;
      if (!NextToken) break;
      assert.ok(calls < 10, 'paging does not end');
    }
    assert.deepEqual(paged, [DONE, LONG, FAILS], 'pages of one: each job once, in order');
    const two = await send(new SM.ListTrainingJobsCommand({ MaxResults: 2, SortBy: 'Name', SortOrder: 'Descending' }));
    assert.deepEqual(two.TrainingJobSummaries.map((s) => s.TrainingJobName), [FAILS, DONE]);
    const rest = await send(new SM.ListTrainingJobsCommand({ MaxResults: 2, SortBy: 'Name', SortOrder: 'Descending',
                                                              NextToken: two.NextToken }));
    assert.deepEqual(rest.TrainingJobSummaries.map((s) => s.TrainingJobName), [LONG]);
    assert.equal(rest.NextToken, undefined);

    await rejectsAws(list({ StatusEquals: 'Bogus' }), 'ValidationException', 400, /StatusEquals 'Bogus'/,
                     'a bad StatusEquals');
    await rejectsAws(list({ SortBy: 'TrainingJobName' }), 'ValidationException', 400, /SortBy 'TrainingJobName'/,
                     'a bad SortBy');
    await rejectsAws(list({ SortOrder: 'Sideways' }), 'ValidationException', 400, /SortOrder 'Sideways'/, 'a bad SortOrder');
    await rejectsAws(list({ MaxResults: 101 }), 'ValidationException', 400, /MaxResults/, 'MaxResults 101');
    await rejectsAws(list({ NextToken: 'not-a-token' }), 'ValidationException', 400, /NextToken/, 'a foreign NextToken');
  });
});
