// The same pipeline as lake_pipeline.test.js with the lake on an S3-compatible server:
// s3rver (npm; ./s3.js starts it through tests/objstore/s3rver_launcher.js, which also
// checks every SigV4 signature with the `aws4` package). A device publishes QoS 1 readings, the
// reference's rule routes them to a stream, and the objects that ListObjectsV2 and
// GetObject return from the S3 server hold exactly the published records. A rule's s3
// action writes one object per message to the same S3 server.
'use strict';

const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { Server, describeRun, thingName, pollutionPayload, makeTempDir, sleep } = require('./harness');
const { thingOptions, connect, publish, end } = require('./clients');
const { firehoseKeyPattern } = require('./lake');
const { startS3, listKeys, getObject } = require('./s3');

const BUCKET = 'iot-lake';
const RAW_BUCKET = 'raw-messages';

describe('rule → stream → S3 lake (s3rver)', { timeout: 90000 }, () => {
  let server;
  let s3;
  let device;

  before(async () => {
    s3 = await startS3([BUCKET, RAW_BUCKET]);
    process.env.AWS_ACCESS_KEY_ID = s3.accessKeyId;
    process.env.AWS_SECRET_ACCESS_KEY = s3.secretAccessKey;
    server = await Server.start({ tag: 'lake-s3',
                                  args: ['--lake-backend', 's3', '--s3-endpoint', `http://127.0.0.1:${s3.port}`] });
  });
  after(async () => {
    await end(device);
    if (server) await server.dispose();
    if (s3) s3.child.stdin.end();
  });

  test('QoS 1 readings land in the S3 bucket exactly once', async () => {
    const dir = makeTempDir('lake-s3-payload');
    const rule = path.join(dir, 'rule.json');
    fs.writeFileSync(rule, JSON.stringify({ topicRulePayload: {
      sql: "SELECT * FROM 'devices/+/pollution'", ruleDisabled: false, awsIotSqlVersion: '2016-03-23',
      actions: [{ firehose: { deliveryStreamName: 'to_s3', separator: '\n' } }] } }));
    for (const args of [['stream', 'create', 'to_s3', '--bucket', BUCKET, '--buffer-interval-s', '1'],
                        ['rule', 'create', 'to_s3_rule', '--payload', rule]]) {
      const r = await server.cli(args);
      assert.equal(r.code, 0, `${describeRun(args.join(' '), r)}\n${server.tail(20)}`);
    }
    const kit = await server.createThing(thingName('s3'));
    device = await connect(thingOptions(server, kit));
    const sent = [];
    for (let i = 0; i < 100; i++) {
      const payload = pollutionPayload(i);
      assert.ifError((await publish(device, kit.topic, payload, { qos: 1 })).err);
      sent.push(payload);
    }
    const deadline = Date.now() + 20000;
    let records = [];
    let keys = [];
    while (Date.now() < deadline) {
      keys = await listKeys(s3, BUCKET);
      records = [];
      for (const key of keys) {
        for (const line of (await getObject(s3, BUCKET, key)).toString('utf8').split('\n')) if (line) records.push(line);
      }
      if (records.length >= sent.length) break;
      await sleep(250);
    }
    assert.deepEqual([...records].sort(), [...sent].sort(),
                     `the S3 bucket holds ${records.length} records in ${keys.length} objects\n${server.tail(30)}`);
    for (const key of keys) assert.match(key, firehoseKeyPattern('to_s3'));
    const described = JSON.parse((await server.cli(['stream', 'describe', 'to_s3', '--json'])).stdout);
    assert.equal(described.stats.records_delivered, sent.length);
    assert.equal(described.stats.delivery_errors, 0, described.stats.last_error);
  });

  test('an s3 action stores each QoS 1 message as an object before its PUBACK', async () => {
    const dir = makeTempDir('lake-s3-action');
    const rule = path.join(dir, 'rule.json');
    fs.writeFileSync(rule, JSON.stringify({ topicRulePayload: {
      sql: "SELECT * FROM 'devices/+/pollution'",
      actions: [{ s3: { bucketName: RAW_BUCKET, key: '${topic(2)}/${newuuid()}.json' } }] } }));
    const r = await server.cli(['rule', 'create', 'raw_to_s3', '--payload', rule]);
    assert.equal(r.code, 0, `${describeRun('rule create', r)}\n${server.tail(20)}`);
    const kit = await server.createThing(thingName('s3raw'));
    const raw = await connect(thingOptions(server, kit));
    try {
      const sent = [];
      for (let i = 0; i < 20; i++) {
        const payload = pollutionPayload(i);
        assert.ifError((await publish(raw, kit.topic, payload, { qos: 1 })).err);
        sent.push(payload);
      }
      // Every PUBACK is in: every object is there already.
      const keys = await listKeys(s3, RAW_BUCKET);
      assert.equal(keys.length, sent.length, keys.join('\n'));
      for (const key of keys) assert.match(key, new RegExp(`^${kit.thing}/[0-9a-f-]{36}\\.json$`));
      const bodies = [];
      for (const key of keys) bodies.push((await getObject(s3, RAW_BUCKET, key)).toString('utf8'));
      assert.deepEqual(bodies.sort(), [...sent].sort());
    } finally {
      await end(raw);
    }
  });
});
