// The same pipeline as lake_pipeline.test.js with the lake on an S3-compatible server:
// s3rver (npm, started by tests/objstore/s3rver_launcher.js, which also checks every
// SigV4 signature with the `aws4` package). A device publishes QoS 1 readings, the
// reference's rule routes them to a stream, and the objects that ListObjectsV2 and
// GetObject return from the S3 server hold exactly the published records.
'use strict';

const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const http = require('node:http');
const path = require('node:path');
const readline = require('node:readline');
const aws4 = require('aws4');
const { Server, describeRun, thingName, pollutionPayload, makeTempDir, spawnTracked, sleep, withTimeout } =
  require('./harness');
const { thingOptions, connect, publish, end } = require('./clients');
const { firehoseKeyPattern } = require('./lake');

const LAUNCHER = path.resolve(__dirname, '../objstore/s3rver_launcher.js');
const BUCKET = 'iot-lake';

// Starts s3rver with one bucket; resolves {child, port, accessKeyId, secretAccessKey, region}.
async function startS3() {
  const dir = makeTempDir('s3rver');
  const child = spawnTracked(process.execPath, [LAUNCHER, '--dir', dir, '--bucket', BUCKET],
                             { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => { stderr += d; });
  const lines = readline.createInterface({ input: child.stdout });
  const first = await withTimeout(new Promise((resolve) => lines.once('line', resolve)), 20000,
                                  "s3rver to print its port");
  return { child, ...JSON.parse(first) };
}

// A SigV4-signed request to the S3 server; resolves {status, body}.
function s3Request(s3, pathAndQuery) {
  const opts = aws4.sign({ host: `127.0.0.1:${s3.port}`, path: pathAndQuery, service: 's3', region: s3.region,
                           method: 'GET' }, { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey });
  opts.port = s3.port;
  opts.hostname = '127.0.0.1';
  return new Promise((resolve, reject) => {
    const req = http.request(opts, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    req.end();
  });
}

async function listKeys(s3) {
  const r = await s3Request(s3, `/${BUCKET}?list-type=2`);
  assert.equal(r.status, 200, r.body);
  return [...r.body.matchAll(/<Key>([^<]*)<\/Key>/g)].map((m) => m[1]);
}

describe('rule → stream → S3 lake (s3rver)', { timeout: 90000 }, () => {
  let server;
  let s3;
  let device;

  before(async () => {
    s3 = await startS3();
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
      keys = await listKeys(s3);
      records = [];
      for (const key of keys) {
        const r = await s3Request(s3, `/${BUCKET}/${key.split('/').map(encodeURIComponent).join('/')}`);
        assert.equal(r.status, 200, `GET ${key}: ${r.body}`);
        for (const line of r.body.split('\n')) if (line) records.push(line);
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
});
