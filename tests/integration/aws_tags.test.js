// AWS's tags on delivery streams and SageMaker resources (src/app/api_tags.cc, kept in the
// metadata database by resource_tags.h), through the AWS SDK's own clients
// (`@aws-sdk/client-firehose`, `@aws-sdk/client-sagemaker`; SigV4 with access key id
// 'admin' and the admin token as the secret), as tools that tag what they make and read
// the tags back use them:
//   Firehose: CreateDeliveryStream's Tags; ListTagsForDeliveryStream (by key, paged with
//   Limit and ExclusiveStartTagKey, HasMoreTags), TagDeliveryStream (a key again takes the
//   new value), UntagDeliveryStream; the limits by Firehose's names (LimitExceededException
//   past 50, InvalidArgumentException for an aws: key, ResourceNotFoundException for a
//   missing stream, a bad tag on create making nothing); a deleted stream's tags are gone
//   when the name is used again; the tags survive a restart.
//   SageMaker: CreateModel's, CreateEndpointConfig's Tags; AddTags, ListTags, DeleteTags by
//   ResourceArn (any region and account); ValidationException for a missing resource, a
//   kind not served and a bad key; DeleteModel forgets them.
//   Glue (`@aws-sdk/client-glue`): CreateDatabase's, CreateCrawler's and CreateJob's Tags;
//   TagResource, UntagResource, GetTags on a database, table, crawler and job by ARN (any
//   region and account); EntityNotFoundException for a missing one, InvalidInputException
//   for a kind not served, an aws: key and a 51st tag; DeleteCrawler, DeleteJob, DeleteTable
//   and DeleteDatabase (with its tables') forget them, and so does deleting a crawler, job
//   or stream through Tributary's own API.
'use strict';

const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const F = require('@aws-sdk/client-firehose');
const SM = require('@aws-sdk/client-sagemaker');
const G = require('@aws-sdk/client-glue');
const S3 = require('@aws-sdk/client-s3');
const { Server } = require('./harness');
const { rejectsAws } = require('./aws');

const ECHO_COMMAND = `${process.execPath} ${path.join(__dirname, 'serving_echo_model.js')}`;
const tagList = (object) => Object.entries(object).map(([Key, Value]) => ({ Key, Value }));
const asObject = (tags) => Object.fromEntries(tags.map((t) => [t.Key, t.Value]));

describe('AWS tags on delivery streams, SageMaker and Glue resources', { timeout: 60000 }, () => {
  let server;
  let firehose;
  let sm;
  let glue;
  let s3;
  const clients = () => {
    const options = { endpoint: server.endpoint, region: 'us-east-1', maxAttempts: 1,
                      credentials: { accessKeyId: 'admin', secretAccessKey: server.token } };
    firehose = new F.FirehoseClient(options);
    sm = new SM.SageMakerClient(options);
    glue = new G.GlueClient(options);
    s3 = new S3.S3Client({ ...options, forcePathStyle: true });
  };
  const streamTags = async (name, more = {}) =>
    (await firehose.send(new F.ListTagsForDeliveryStreamCommand({ DeliveryStreamName: name, ...more })));
  const createStream = (name, Tags) => firehose.send(new F.CreateDeliveryStreamCommand({
    DeliveryStreamName: name, DeliveryStreamType: 'DirectPut', Tags,
    ExtendedS3DestinationConfiguration: { BucketARN: 'arn:aws:s3:::tagged-lake', RoleARN: 'arn:aws:iam::1:role/x' },
  }));

  before(async () => {
    server = await Server.start({ tag: 'aws-tags' });
    clients();
  });
  after(async () => {
    firehose?.destroy();
    sm?.destroy();
    glue?.destroy();
    s3?.destroy();
    if (server) await server.dispose();
  });

  test('Firehose: tags made with the stream, listed by key and paged, added, replaced, removed', async () => {
    await createStream('tagged', tagList({ team: 'air', env: 'test' }));
    let out = await streamTags('tagged');
    assert.deepEqual(out.Tags, tagList({ env: 'test', team: 'air' }));
    assert.equal(out.HasMoreTags, false);
    await firehose.send(new F.TagDeliveryStreamCommand({ DeliveryStreamName: 'tagged', Tags: tagList({ env: 'prod', owner: 'ops' }) }));
    out = await streamTags('tagged');
    assert.deepEqual(asObject(out.Tags), { env: 'prod', owner: 'ops', team: 'air' });
    const first = await streamTags('tagged', { Limit: 2 });
    assert.deepEqual(first.Tags.map((t) => t.Key), ['env', 'owner']);
    assert.equal(first.HasMoreTags, true);
    const rest = await streamTags('tagged', { Limit: 2, ExclusiveStartTagKey: 'owner' });
    assert.deepEqual(rest.Tags.map((t) => t.Key), ['team']);
    assert.equal(rest.HasMoreTags, false);
    await firehose.send(new F.UntagDeliveryStreamCommand({ DeliveryStreamName: 'tagged', TagKeys: ['owner', 'not-there'] }));
    assert.deepEqual(asObject((await streamTags('tagged')).Tags), { env: 'prod', team: 'air' });
  });

  test('Firehose: limits and missing streams by Firehose\'s names; nothing made with a bad tag', async () => {
    const many = Object.fromEntries(Array.from({ length: 49 }, (_, i) => [`k${String(i).padStart(2, '0')}`, 'v']));
    await rejectsAws(firehose.send(new F.TagDeliveryStreamCommand({ DeliveryStreamName: 'tagged', Tags: tagList(many) })),
                     'LimitExceededException', 400, /would have 51 tags; a resource has at most 50/);
    await rejectsAws(firehose.send(new F.TagDeliveryStreamCommand({ DeliveryStreamName: 'tagged', Tags: tagList({ 'aws:owner': 'x' }) })),
                     'InvalidArgumentException', 400, /aws:owner.*AWS's own/);
    await rejectsAws(streamTags('no-such-stream'), 'ResourceNotFoundException', 400, /no-such-stream/);
    await rejectsAws(createStream('badly-tagged', tagList({ ['k'.repeat(129)]: 'v' })), 'InvalidArgumentException', 400,
                     /Tags: tag key .*1\.\.128 characters/);
    await rejectsAws(firehose.send(new F.DescribeDeliveryStreamCommand({ DeliveryStreamName: 'badly-tagged' })),
                     'ResourceNotFoundException', 400, undefined, 'a stream made with a bad tag');
  });

  test('Firehose: the tags survive a restart; a deleted stream\'s are gone when its name comes back', async () => {
    await server.restart();
    clients();
    assert.deepEqual(asObject((await streamTags('tagged')).Tags), { env: 'prod', team: 'air' });
    await firehose.send(new F.DeleteDeliveryStreamCommand({ DeliveryStreamName: 'tagged' }));
    await createStream('tagged');
    assert.deepEqual((await streamTags('tagged')).Tags, []);
  });

  test('SageMaker: Create* Tags; AddTags, ListTags, DeleteTags by ARN; refusals; DeleteModel forgets them', async () => {
    const made = await sm.send(new SM.CreateModelCommand({
      ModelName: 'tagged-model', ExecutionRoleArn: 'arn:aws:iam::0:role/x', Tags: tagList({ project: 'pm' }),
      PrimaryContainer: { Image: 'tributary/echo', Environment: { TRIBUTARY_COMMAND: ECHO_COMMAND } },
    }));
    const list = async (ResourceArn) => asObject((await sm.send(new SM.ListTagsCommand({ ResourceArn }))).Tags);
    assert.deepEqual(await list(made.ModelArn), { project: 'pm' });
    const added = await sm.send(new SM.AddTagsCommand({ ResourceArn: made.ModelArn, Tags: tagList({ stage: 'blue' }) }));
    assert.deepEqual(asObject(added.Tags), { stage: 'blue' });
    // Another region and account in the ARN name the same model.
    const elsewhere = made.ModelArn.replace(/:sagemaker:[^:]*:[^:]*:/, ':sagemaker:eu-west-1:123456789012:');
    assert.deepEqual(await list(elsewhere), { project: 'pm', stage: 'blue' });
    await sm.send(new SM.DeleteTagsCommand({ ResourceArn: made.ModelArn, TagKeys: ['project'] }));
    assert.deepEqual(await list(made.ModelArn), { stage: 'blue' });

    const config = await sm.send(new SM.CreateEndpointConfigCommand({
      EndpointConfigName: 'tagged-config', Tags: tagList({ cost: 'low' }),
      ProductionVariants: [{ VariantName: 'v1', ModelName: 'tagged-model', InitialInstanceCount: 1, InstanceType: 'ml.m5.large' }],
    }));
    assert.deepEqual(await list(config.EndpointConfigArn), { cost: 'low' });

    await rejectsAws(sm.send(new SM.ListTagsCommand({ ResourceArn: made.ModelArn.replace('tagged-model', 'no-model') })),
                     'ValidationException', 400, /no-model/);
    await rejectsAws(sm.send(new SM.ListTagsCommand({ ResourceArn: made.ModelArn.replace(':model/', ':notebook-instance/') })),
                     'ValidationException', 400, /not notebook-instance/);
    await rejectsAws(sm.send(new SM.AddTagsCommand({ ResourceArn: made.ModelArn, Tags: tagList({ 'aws:x': '1' }) })),
                     'ValidationException', 400, /aws:x/);

    await sm.send(new SM.DeleteEndpointConfigCommand({ EndpointConfigName: 'tagged-config' }));
    await sm.send(new SM.DeleteModelCommand({ ModelName: 'tagged-model' }));
    await sm.send(new SM.CreateModelCommand({
      ModelName: 'tagged-model', ExecutionRoleArn: 'arn:aws:iam::0:role/x',
      PrimaryContainer: { Image: 'tributary/echo', Environment: { TRIBUTARY_COMMAND: ECHO_COMMAND } },
    }));
    assert.deepEqual(await list(made.ModelArn), {}, 'a deleted model\'s tags came back with its name');
  });

  test('Glue: Create* Tags; TagResource, UntagResource, GetTags by ARN; refusals; deletions forget them', async () => {
    const arn = (resource) => `arn:aws:glue:us-east-1:123456789012:${resource}`;
    const tagsOf = async (resource) => (await glue.send(new G.GetTagsCommand({ ResourceArn: arn(resource) }))).Tags;
    await glue.send(new G.CreateDatabaseCommand({ DatabaseInput: { Name: 'tagdb' }, Tags: { team: 'air' } }));
    await glue.send(new G.CreateTableCommand({ DatabaseName: 'tagdb', TableInput: {
      Name: 'readings', Parameters: { classification: 'json' },
      StorageDescriptor: { Columns: [{ Name: 'device', Type: 'string' }], Location: 's3://tag-lake/raw/' },
    } }));
    await glue.send(new G.CreateCrawlerCommand({
      Name: 'tagged-crawler', Role: 'arn:aws:iam::0:role/x', DatabaseName: 'tagdb', Tags: { schedule: 'none' },
      Targets: { S3Targets: [{ Path: 's3://tag-lake/raw/' }] },
    }));
    await s3.send(new S3.CreateBucketCommand({ Bucket: 'tag-scripts' }));
    await s3.send(new S3.PutObjectCommand({ Bucket: 'tag-scripts', Key: 'job.json', Body: JSON.stringify({
      source: { database: 'tagdb', table: 'readings' },
      transforms: [{ apply_mapping: [['device', 'string', 'device', 'string']] }],
      target: { path: 's3://tag-lake/curated/', format: 'parquet', database: 'tagdb', table: 'curated' },
    }) }));
    await glue.send(new G.CreateJobCommand({
      Name: 'tagged-job', Role: 'arn:aws:iam::0:role/x', Tags: { cost: 'low' },
      Command: { Name: 'glueetl', ScriptLocation: 's3://tag-scripts/job.json' },
    }));

    assert.deepEqual(await tagsOf('database/tagdb'), { team: 'air' });
    assert.deepEqual(await tagsOf('crawler/tagged-crawler'), { schedule: 'none' });
    assert.deepEqual(await tagsOf('job/tagged-job'), { cost: 'low' });
    assert.deepEqual(await tagsOf('table/tagdb/readings'), {});
    await glue.send(new G.TagResourceCommand({ ResourceArn: arn('table/tagdb/readings'), TagsToAdd: { pii: 'no', owner: 'ops' } }));
    await glue.send(new G.TagResourceCommand({ ResourceArn: arn('table/tagdb/readings'), TagsToAdd: { owner: 'lake' } }));
    // Any region and account name the same table.
    const elsewhere = 'arn:aws:glue:eu-west-1:000000000000:table/tagdb/readings';
    assert.deepEqual((await glue.send(new G.GetTagsCommand({ ResourceArn: elsewhere }))).Tags, { owner: 'lake', pii: 'no' });
    await glue.send(new G.UntagResourceCommand({ ResourceArn: arn('table/tagdb/readings'), TagsToRemove: ['pii', 'absent'] }));
    assert.deepEqual(await tagsOf('table/tagdb/readings'), { owner: 'lake' });

    await rejectsAws(glue.send(new G.GetTagsCommand({ ResourceArn: arn('crawler/no-crawler') })),
                     'EntityNotFoundException', 400, /no-crawler/);
    await rejectsAws(glue.send(new G.GetTagsCommand({ ResourceArn: arn('workflow/w') })),
                     'InvalidInputException', 400, /not workflow/);
    await rejectsAws(glue.send(new G.GetTagsCommand({ ResourceArn: 'arn:aws:s3:::tag-lake' })),
                     'InvalidInputException', 400, /is not an ARN of glue/);
    await rejectsAws(glue.send(new G.TagResourceCommand({ ResourceArn: arn('job/tagged-job'), TagsToAdd: { 'aws:x': '1' } })),
                     'InvalidInputException', 400, /aws:x/);
    const many = Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`k${i}`, 'v']));
    await rejectsAws(glue.send(new G.TagResourceCommand({ ResourceArn: arn('job/tagged-job'), TagsToAdd: many })),
                     'InvalidInputException', 400, /51 tags/);
    await rejectsAws(glue.send(new G.CreateCrawlerCommand({
      Name: 'badly-tagged', Role: 'r', DatabaseName: 'tagdb', Tags: { ['k'.repeat(129)]: 'v' },
      Targets: { S3Targets: [{ Path: 's3://tag-lake/raw/' }] },
    })), 'InvalidInputException', 400, /Tags: tag key/);
    await rejectsAws(glue.send(new G.GetCrawlerCommand({ Name: 'badly-tagged' })), 'EntityNotFoundException', 400,
                     undefined, 'a crawler made with a bad tag');

    // Deleted, their tags go: the names come back untagged.
    await glue.send(new G.DeleteCrawlerCommand({ Name: 'tagged-crawler' }));
    await glue.send(new G.DeleteJobCommand({ JobName: 'tagged-job' }));
    await glue.send(new G.DeleteDatabaseCommand({ Name: 'tagdb' }));  // its table with it
    await glue.send(new G.CreateDatabaseCommand({ DatabaseInput: { Name: 'tagdb' } }));
    await glue.send(new G.CreateTableCommand({ DatabaseName: 'tagdb', TableInput: {
      Name: 'readings', Parameters: { classification: 'json' },
      StorageDescriptor: { Columns: [{ Name: 'device', Type: 'string' }], Location: 's3://tag-lake/raw/' },
    } }));
    await glue.send(new G.CreateCrawlerCommand({
      Name: 'tagged-crawler', Role: 'r', DatabaseName: 'tagdb', Targets: { S3Targets: [{ Path: 's3://tag-lake/raw/' }] },
    }));
    await glue.send(new G.CreateJobCommand({
      Name: 'tagged-job', Role: 'r', Command: { Name: 'glueetl', ScriptLocation: 's3://tag-scripts/job.json' },
    }));
    for (const resource of ['database/tagdb', 'table/tagdb/readings', 'crawler/tagged-crawler', 'job/tagged-job']) {
      assert.deepEqual(await tagsOf(resource), {}, `${resource}'s tags came back with its name`);
    }
    await glue.send(new G.TagResourceCommand({ ResourceArn: arn('table/tagdb/readings'), TagsToAdd: { a: '1' } }));
    await glue.send(new G.DeleteTableCommand({ DatabaseName: 'tagdb', Name: 'readings' }));
    await rejectsAws(glue.send(new G.GetTagsCommand({ ResourceArn: arn('table/tagdb/readings') })),
                     'EntityNotFoundException', 400, /readings/);

    // Deleted through Tributary's own API, a crawler, a job and a stream lose their tags too.
    await glue.send(new G.TagResourceCommand({ ResourceArn: arn('crawler/tagged-crawler'), TagsToAdd: { a: '1' } }));
    await glue.send(new G.TagResourceCommand({ ResourceArn: arn('job/tagged-job'), TagsToAdd: { a: '1' } }));
    await createStream('native-delete', tagList({ a: '1' }));
    for (const url of ['/v1/crawlers/tagged-crawler', '/v1/jobs/tagged-job', '/v1/streams/native-delete']) {
      const r = await server.api('DELETE', url);
      assert.equal(r.status, 200, `DELETE ${url}: ${r.text}`);
    }
    await glue.send(new G.CreateCrawlerCommand({
      Name: 'tagged-crawler', Role: 'r', DatabaseName: 'tagdb', Targets: { S3Targets: [{ Path: 's3://tag-lake/raw/' }] },
    }));
    await glue.send(new G.CreateJobCommand({
      Name: 'tagged-job', Role: 'r', Command: { Name: 'glueetl', ScriptLocation: 's3://tag-scripts/job.json' },
    }));
    await createStream('native-delete');
    assert.deepEqual(await tagsOf('crawler/tagged-crawler'), {});
    assert.deepEqual(await tagsOf('job/tagged-job'), {});
    assert.deepEqual((await streamTags('native-delete')).Tags, []);
  });
});
