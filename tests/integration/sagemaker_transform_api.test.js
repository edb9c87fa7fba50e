// SageMaker's batch transform on POST / (AWS JSON 1.1, X-Amz-Target SageMaker.*), driven
// by the AWS SDK's own clients (`@aws-sdk/client-sagemaker`, `@aws-sdk/client-s3`; SigV4
// with access key id 'admin' and the admin token as the secret), as a script written
// against SageMaker runs it: series put with PutObject under an S3 prefix, a model, then
// CreateTransformJob (SageMaker's request: S3DataSource, S3OutputPath, InstanceCount,
// SplitType Line, DEEPAR_INFERENCE_CONFIG, Tags) and the SDK's own
// waitUntilTransformJobCompletedOrStopped; DescribeTransformJob gives the request back with
// the status and epoch-second times; every input object has its .out under the output
// path, a model answer per batch of lines, each answer holding its lines in order;
// ListTransformJobs filters (StatusEquals, NameContains) and sorts; ListTags by the job's
// ARN. StopTransformJob on a slow model's job: Stopping, then Stopped; on an ended job
// ValidationException. Refusals: a manifest, RecordIO, a missing model (ValidationException
// naming it), a name in use (ResourceInUse), a bad DEEPAR_INFERENCE_CONFIG, a DataSource
// that is no object and an InstanceCount past 16 (each named, not a 500).
'use strict';

const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const SM = require('@aws-sdk/client-sagemaker');
const S3 = require('@aws-sdk/client-s3');
const { Server } = require('./harness');
const { rejectsAws } = require('./aws');

const WORKER = path.join(__dirname, '..', '..', 'src', 'serving', 'testdata', 'model_worker.js');
const SERIES = (n, first) => Array.from({ length: n }, (_, i) =>
  JSON.stringify({ start: '2026-11-01 00:00:00', target: [first + i, first + i + 1, first + i + 2] }));

describe('SageMaker batch transform through the AWS SDK', { timeout: 90000 }, () => {
  let server;
  let sm;
  let s3;
  const send = (command) => sm.send(command);
  const model = (ModelName, mode) => send(new SM.CreateModelCommand({
    ModelName, ExecutionRoleArn: 'arn:aws:iam::0:role/x',
    PrimaryContainer: { Image: 'tributary/test', Environment: { TRIBUTARY_COMMAND: `${process.execPath} ${WORKER} ${mode}` } },
  }));
  const request = (name, extra = {}) => ({
    TransformJobName: name, ModelName: 'echo',
    TransformInput: { DataSource: { S3DataSource: { S3DataType: 'S3Prefix', S3Uri: 's3://xform-in/series/' } },
                      ContentType: 'application/jsonlines', SplitType: 'Line' },
    TransformOutput: { S3OutputPath: 's3://xform-out/forecasts', AssembleWith: 'Line' },
    TransformResources: { InstanceType: 'ml.m5.large', InstanceCount: 1 },
    ...extra,
  });
  const describeJob = async (name) => send(new SM.DescribeTransformJobCommand({ TransformJobName: name }));
  const text = async (Bucket, Key) => (await s3.send(new S3.GetObjectCommand({ Bucket, Key }))).Body.transformToString();

  before(async () => {
    server = await Server.start({ tag: 'sagemaker-transform' });
    const options = { endpoint: server.endpoint, region: 'us-east-1', maxAttempts: 1,
                      credentials: { accessKeyId: 'admin', secretAccessKey: server.token } };
    sm = new SM.SageMakerClient(options);
    s3 = new S3.S3Client({ ...options, forcePathStyle: true });
    for (const Bucket of ['xform-in', 'xform-out']) await s3.send(new S3.CreateBucketCommand({ Bucket }));
    await s3.send(new S3.PutObjectCommand({ Bucket: 'xform-in', Key: 'series/a.jsonl', Body: SERIES(5, 0).join('\n') + '\n' }));
    await s3.send(new S3.PutObjectCommand({ Bucket: 'xform-in', Key: 'series/b/c.jsonl', Body: SERIES(3, 100).join('\n') }));
    await model('echo', 'ok');
    await model('slow', 'slow');
  });
  after(async () => {
    sm?.destroy();
    s3?.destroy();
    if (server) await server.dispose();
  });

  test('CreateTransformJob, the SDK\'s waiter, DescribeTransformJob and the outputs under S3OutputPath', async () => {
    const created = await send(new SM.CreateTransformJobCommand(request('nightly', {
      BatchStrategy: 'MultiRecord',
      Environment: { DEEPAR_INFERENCE_CONFIG: JSON.stringify({ num_samples: 10, output_types: ['mean'] }) },
      Tags: [{ Key: 'team', Value: 'air' }],
    })));
    assert.match(created.TransformJobArn, /^arn:aws:sagemaker:[^:]+:\d+:transform-job\/nightly$/);
    const waited = await SM.waitUntilTransformJobCompletedOrStopped({ client: sm, maxWaitTime: 60, minDelay: 1, maxDelay: 2 },
                                                                    { TransformJobName: 'nightly' });
    assert.equal(waited.state, 'SUCCESS', JSON.stringify(waited.reason));
    const d = await describeJob('nightly');
    assert.equal(d.TransformJobStatus, 'Completed', d.FailureReason);
    assert.equal(d.TransformJobArn, created.TransformJobArn);
    assert.equal(d.ModelName, 'echo');
    assert.deepEqual(d.TransformInput.DataSource.S3DataSource, { S3DataType: 'S3Prefix', S3Uri: 's3://xform-in/series/' });
    assert.equal(d.TransformOutput.S3OutputPath, 's3://xform-out/forecasts');
    assert.equal(d.TransformResources.InstanceCount, 1);
    assert.equal(d.BatchStrategy, 'MultiRecord');
    for (const t of [d.CreationTime, d.TransformStartTime, d.TransformEndTime]) assert.ok(t instanceof Date && !isNaN(t), String(t));
    assert.ok(d.TransformEndTime >= d.CreationTime);

    // Each input object's forecasts at <S3OutputPath>/<key past the input prefix>.out.
    const listed = await s3.send(new S3.ListObjectsV2Command({ Bucket: 'xform-out' }));
    assert.deepEqual(listed.Contents.map((o) => o.Key).sort(), ['forecasts/a.jsonl.out', 'forecasts/b/c.jsonl.out']);
    const answers = (await text('xform-out', 'forecasts/a.jsonl.out')).trim().split('\n').map((l) => JSON.parse(l));
    assert.equal(answers.length, 1, 'five lines, one batch of up to 32');
    assert.deepEqual(answers[0].body.trim().split('\n'), SERIES(5, 0));
    const c = (await text('xform-out', 'forecasts/b/c.jsonl.out')).trim().split('\n').map((l) => JSON.parse(l));
    assert.deepEqual(c[0].body.trim().split('\n'), SERIES(3, 100));

    const tags = await send(new SM.ListTagsCommand({ ResourceArn: created.TransformJobArn }));
    assert.deepEqual(tags.Tags, [{ Key: 'team', Value: 'air' }]);
    await rejectsAws(send(new SM.CreateTransformJobCommand(request('nightly'))), 'ResourceInUse', 400, /nightly/);
    await rejectsAws(send(new SM.StopTransformJobCommand({ TransformJobName: 'nightly' })), 'ValidationException', 400,
                     /Completed, not in progress/);
  });

  test('SingleRecord sends a line a request; StopTransformJob stops a running job', async () => {
    await send(new SM.CreateTransformJobCommand(request('one-by-one', {
      BatchStrategy: 'SingleRecord', TransformOutput: { S3OutputPath: 's3://xform-out/single/' } })));
    await SM.waitUntilTransformJobCompletedOrStopped({ client: sm, maxWaitTime: 60, minDelay: 1, maxDelay: 2 },
                                                     { TransformJobName: 'one-by-one' });
    const single = (await text('xform-out', 'single/a.jsonl.out')).trim().split('\n');
    assert.equal(single.length, 5, 'a model answer per line');

    await s3.send(new S3.PutObjectCommand({ Bucket: 'xform-in', Key: 'many/big.jsonl', Body: SERIES(200, 0).join('\n') }));
    await send(new SM.CreateTransformJobCommand(request('to-stop', {
      ModelName: 'slow', BatchStrategy: 'SingleRecord',
      TransformInput: { DataSource: { S3DataSource: { S3DataType: 'S3Prefix', S3Uri: 's3://xform-in/many/' } } },
      TransformOutput: { S3OutputPath: 's3://xform-out/stopped/' } })));
    await send(new SM.StopTransformJobCommand({ TransformJobName: 'to-stop' }));
    assert.ok(['Stopping', 'Stopped'].includes((await describeJob('to-stop')).TransformJobStatus));
    const waited = await SM.waitUntilTransformJobCompletedOrStopped({ client: sm, maxWaitTime: 30, minDelay: 1, maxDelay: 1 },
                                                                    { TransformJobName: 'to-stop' });
    assert.equal(waited.state, 'SUCCESS');
    assert.equal((await describeJob('to-stop')).TransformJobStatus, 'Stopped');
    const stopped = await s3.send(new S3.ListObjectsV2Command({ Bucket: 'xform-out', Prefix: 'stopped/' }));
    assert.equal(stopped.KeyCount, 0, 'a stopped job wrote its object');
  });

  test('ListTransformJobs filters and sorts; refusals name the field', async () => {
    const names = async (input) => (await send(new SM.ListTransformJobsCommand(input))).TransformJobSummaries
      .map((s) => `${s.TransformJobName}:${s.TransformJobStatus}`);
    assert.deepEqual(await names({ SortBy: 'Name', SortOrder: 'Ascending' }),
                     ['nightly:Completed', 'one-by-one:Completed', 'to-stop:Stopped']);
    assert.deepEqual(await names({ StatusEquals: 'Stopped' }), ['to-stop:Stopped']);
    assert.deepEqual(await names({ NameContains: 'night' }), ['nightly:Completed']);
    await rejectsAws(send(new SM.ListTransformJobsCommand({ StatusEquals: 'Done' })), 'ValidationException', 400,
                     /StatusEquals 'Done' is not a transform job status/);
    const page = await send(new SM.ListTransformJobsCommand({ MaxResults: 2, SortBy: 'Name', SortOrder: 'Ascending' }));
    assert.equal(page.TransformJobSummaries.length, 2);
    assert.ok(page.NextToken);
    const summary = page.TransformJobSummaries[0];
    assert.match(summary.TransformJobArn, /transform-job\/nightly$/);
    assert.ok(summary.CreationTime instanceof Date);

    const refusals = [
      [request('r1', { TransformInput: { DataSource: { S3DataSource: { S3DataType: 'ManifestFile', S3Uri: 's3://xform-in/m' } } } }),
       /S3DataType: 'ManifestFile' is not served/],
      [request('r2', { TransformInput: { DataSource: { S3DataSource: { S3DataType: 'S3Prefix', S3Uri: 's3://xform-in/series/' } },
                                         SplitType: 'RecordIO' } }), /SplitType: 'RecordIO' is not served/],
      [request('r3', { ModelName: 'no-such-model' }), /no-such-model/],
      [request('r4', { Environment: { DEEPAR_INFERENCE_CONFIG: 'num_samples=5' } }), /DEEPAR_INFERENCE_CONFIG: expected a JSON object/],
      [request('r5', { TransformOutput: { S3OutputPath: 'xform-out/x' } }), /S3OutputPath: 'xform-out\/x' is not s3:/],
      // Wrong types are named, not a json type error answered 500.
      [request('r6', { TransformInput: { DataSource: 's3://xform-in/series/' } }),
       /TransformInput\.DataSource: expected an object, got "s3:\/\/xform-in\/series\/"/],
      [request('r7', { TransformResources: { InstanceType: 'ml.m5.large', InstanceCount: 99 } }),
       /InstanceCount: must be an integer 1\.\.16, got 99/],
    ];
    for (const [input, message] of refusals) {
      await rejectsAws(send(new SM.CreateTransformJobCommand(input)), 'ValidationException', 400, message, input.TransformJobName);
    }
    assert.deepEqual((await names({ SortBy: 'Name', SortOrder: 'Ascending' })).length, 3, 'a refused job was made');
    await rejectsAws(describeJob('r1'), 'ValidationException', 400, /r1/);
  });
});
