// Buckets' lifecycle rules (S3's lifecycle configuration: objects under a prefix expire at
// the first midnight UTC a number of days after they were written), driven by the AWS
// SDK's own S3 client and by the CLI, checked against the files on disk
// (<data-dir>/lake/<bucket>/<key>, their modification times set back with utimes):
// PutBucketLifecycleConfiguration stores the rules and applies them at once (an object
// past its days under the rule's prefix goes; a newer one and one under no rule stay);
// GetBucketLifecycleConfiguration gives them back; what the lake cannot do (Transitions)
// and a bucket that does not exist are refused by name; DeleteBucketLifecycle removes them
// (GetBucketLifecycleConfiguration then NoSuchLifecycleConfiguration). The CLI's `lake
// lifecycle put --days --prefix`, `get` and `run` (what it deleted), and the metrics'
// counters. A crawl after expiry takes the expired objects' records out of the catalog
// table and removes the partition they left empty.
'use strict';

const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const S3 = require('@aws-sdk/client-s3');
const { Server, eventually } = require('./harness');
const { rejectsAws } = require('./aws');
const { tributaryS3 } = require('./s3');

const LAKE = 'aging';
const DAY_S = 86400;

describe('lake lifecycle rules', { timeout: 90000 }, () => {
  let server;
  let s3;
  const send = (command) => s3.send(command);
  const fileOf = (key) => path.join(server.dataDir, 'lake', LAKE, ...key.split('/'));
  // Puts `key` through S3 and dates it `daysAgo` days back.
  const putAged = async (key, daysAgo) => {
    await send(new S3.PutObjectCommand({ Bucket: LAKE, Key: key, Body: `{"key": "${key}"}\n` }));
    const when = Date.now() / 1000 - daysAgo * DAY_S;
    fs.utimesSync(fileOf(key), when, when);
  };
  const keys = async () =>
    ((await send(new S3.ListObjectsV2Command({ Bucket: LAKE }))).Contents || []).map((o) => o.Key).sort();

  before(async () => {
    server = await Server.start({ tag: 'lake-lifecycle' });
    s3 = tributaryS3(server);
    await send(new S3.CreateBucketCommand({ Bucket: LAKE }));
  });
  after(async () => { if (server) await server.stop(); });

  test('the AWS SDK puts rules that expire what is due at once, gets them back and deletes them', async () => {
    await putAged('raw/2026/old.json', 10);
    await putAged('raw/2026/new.json', 0);
    await putAged('curated/old.json', 10);
    await send(new S3.PutBucketLifecycleConfigurationCommand({
      Bucket: LAKE,
      LifecycleConfiguration: {
        Rules: [{ ID: 'raw-week', Status: 'Enabled', Filter: { Prefix: 'raw/' }, Expiration: { Days: 7 } },
                { ID: 'all-off', Status: 'Disabled', Filter: { Prefix: '' }, Expiration: { Days: 1 } }],
      },
    }));
    await eventually(async () => !fs.existsSync(fileOf('raw/2026/old.json')), 'raw/2026/old.json to expire');
    assert.deepEqual(await keys(), ['curated/old.json', 'raw/2026/new.json']);

    const got = await send(new S3.GetBucketLifecycleConfigurationCommand({ Bucket: LAKE }));
    assert.deepEqual(got.Rules.map((r) => [r.ID, r.Status, r.Filter.Prefix, r.Expiration.Days]),
                     [['raw-week', 'Enabled', 'raw/', 7], ['all-off', 'Disabled', '', 1]]);

    await rejectsAws(send(new S3.PutBucketLifecycleConfigurationCommand({
      Bucket: LAKE,
      LifecycleConfiguration: {
        Rules: [{ ID: 'cold', Status: 'Enabled', Filter: { Prefix: '' },
                  Transitions: [{ Days: 30, StorageClass: 'GLACIER' }], Expiration: { Days: 90 } }],
      },
    })), 'InvalidArgument', 400, /Rules\[0\]\.Transition(s)? is not supported: the lake has one storage class/);
    await rejectsAws(send(new S3.PutBucketLifecycleConfigurationCommand({
      Bucket: 'no-such-lake',
      LifecycleConfiguration: { Rules: [{ Status: 'Enabled', Filter: { Prefix: '' }, Expiration: { Days: 1 } }] },
    })), 'NoSuchBucket', 404);
    // The refused configuration changed nothing.
    assert.equal((await send(new S3.GetBucketLifecycleConfigurationCommand({ Bucket: LAKE }))).Rules[0].ID, 'raw-week');

    await send(new S3.DeleteBucketLifecycleCommand({ Bucket: LAKE }));
    await rejectsAws(send(new S3.GetBucketLifecycleConfigurationCommand({ Bucket: LAKE })),
                     'NoSuchLifecycleConfiguration', 404);
    await rejectsAws(send(new S3.GetBucketLifecycleConfigurationCommand({ Bucket: 'no-such-lake' })), 'NoSuchBucket', 404);
    assert.deepEqual(await keys(), ['curated/old.json', 'raw/2026/new.json']);
  });

  test('the CLI sets a rule, shows it and applies it, and the metrics count what went', async () => {
    await putAged('curated/older.json', 40);
    await putAged('curated/recent.json', 2);
    const before = await server.cliOk(['lake', 'lifecycle', 'get', LAKE]);
    assert.match(before.stdout, /aging has no lifecycle rules: its objects are kept until deleted/);

    const put = await server.cliOk(['lake', 'lifecycle', 'put', `s3://${LAKE}`, '--days', '30', '--prefix', 'curated/',
                                    '--id', 'curated-month']);
    assert.match(put.stdout, /curated-month\s+Enabled\s+curated\/\s+30/);
    await eventually(async () => !fs.existsSync(fileOf('curated/older.json')), 'curated/older.json to expire');

    // curated/old.json, 10 days back, is past a rule of 3 days; recent.json (2 days) is not.
    await server.cliOk(['lake', 'lifecycle', 'put', LAKE, '--days', '3', '--prefix', 'curated/']);
    const run = await server.cliOk(['lake', 'lifecycle', 'run', LAKE]);
    assert.match(run.stdout, /^expired \d+ of \d+ objects \(\d+ bytes\) in aging/m);
    assert.deepEqual(await keys(), ['curated/recent.json', 'raw/2026/new.json']);
    const buckets = await server.cliOk(['lake', 'buckets']);
    assert.match(buckets.stdout, /s3:\/\/aging\/\s+1 rules, 1 enabled/);
    const shown = await server.cliOk(['lake', 'lifecycle', 'get', LAKE, '--json']);
    assert.deepEqual(JSON.parse(shown.stdout).Rules[0].Expiration, { Days: 3 });
    assert.equal(JSON.parse(shown.stdout).LastSweep.failed, 0);
    const text = await server.cliOk(['lake', 'lifecycle', 'get', LAKE]);
    assert.match(text.stdout, /^last applied \d{4}-\d\d-\d\dT[\d:.]+Z: expired \d+ of \d+ objects/m);

    const metrics = await (await fetch(`${server.endpoint}/metrics`)).text();
    const expired = Number(/^tributary_lake_lifecycle_expired_objects_total (\d+)$/m.exec(metrics)?.[1]);
    assert.ok(expired >= 3, `expected at least 3 objects expired:\n${metrics}`);

    const refused = await server.cli(['lake', 'lifecycle', 'put', LAKE, '--days', '0']);
    assert.notEqual(refused.code, 0);
    assert.match(refused.stderr, /^tributary lake lifecycle put: --days: 0 is not in 1\.\.365000/m);
    const neither = await server.cli(['lake', 'lifecycle', 'put', LAKE]);
    assert.notEqual(neither.code, 0);
    assert.match(neither.stderr, /give --days N/);
    const missing = await server.cli(['lake', 'lifecycle', 'get', 'no-such-lake']);
    assert.notEqual(missing.code, 0);
    assert.match(missing.stderr, /no bucket 'no-such-lake' in the lake/);
  });

  test('a crawl after expiry drops the expired objects\' records and their emptied partitions', async () => {
    await putAged('hourly/2026/11/30/14/a.json', 10);
    await putAged('hourly/2026/11/30/15/b.json', 0);
    await server.cliOk(['crawler', 'create', 'hourly', '--source', `s3://${LAKE}/hourly/`, '--database', 'aging_db',
                        '--table', 'hourly']);
    await server.cliOk(['crawler', 'run', 'hourly']);
    const describe = async () => JSON.parse((await server.cliOk(['catalog', 'describe', 'aging_db.hourly', '--json'])).stdout);
    let table = await describe();
    assert.equal(table.record_count, 2, JSON.stringify(table));
    assert.equal(table.partitions.length, 2, JSON.stringify(table.partitions));

    await server.cliOk(['lake', 'lifecycle', 'put', LAKE, '--days', '3', '--prefix', 'hourly/']);
    await eventually(async () => !fs.existsSync(fileOf('hourly/2026/11/30/14/a.json')), 'hour 14 to expire');
    const crawled = await server.cliOk(['crawler', 'run', 'hourly']);
    assert.match(crawled.stdout, /gone: +1 objects no longer in the lake .*1 partitions removed/);
    table = await describe();
    assert.equal(table.record_count, 1, JSON.stringify(table));
    assert.deepEqual(table.partitions.map((p) => p.values), [['2026', '11', '30', '15']]);
  });
});

