// Devices that send Protocol Buffers: a .proto compiled by the real protoc into a
// FileDescriptorSet (--include_imports, google/protobuf/timestamp.proto with it) uploaded
// into the lake through the S3 API, messages encoded by protoc and published as bytes by
// mosquitto_pub, and a rule that decodes them with decode(*, 'proto', bucket, key, file,
// type) into JSON records in the lake. A set not in the lake gives Undefined (the rest of
// the record lands) until it is uploaded; bytes that are not such a message give null.
'use strict';

const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const childProcess = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const S3 = require('@aws-sdk/client-s3');
const { Server, describeRun } = require('./harness');
const { mosqArgs, mosquittoPub } = require('./clients');
const { waitForLake } = require('./lake');

const PROTO = `syntax = "proto3";
package sensors.v1;
import "google/protobuf/timestamp.proto";
message Reading {
  string device_id = 1;
  double pm25 = 2;
  int64 seq = 3;
  google.protobuf.Timestamp taken_at = 4;
  repeated float samples = 5;
}
`;

// protoc, bounded in time; stdout as bytes.
function protoc(args, { cwd, input } = {}) {
  const r = childProcess.spawnSync('protoc', args, { cwd, input, timeout: 20000 });
  assert.equal(r.status, 0, `protoc ${args.join(' ')}: ${r.error || ''}${r.stderr}`);
  return r.stdout;
}

describe('rules decoding Protocol Buffers payloads', { timeout: 90000 }, () => {
  let server;
  let s3;
  let dir;
  const encode = (text) => protoc(['--encode=sensors.v1.Reading', 'reading.proto'], { cwd: dir, input: text });
  const cli = async (args) => {
    const r = await server.cli(args);
    assert.equal(r.code, 0, `${describeRun(`tributary ${args.join(' ')}`, r)}\n${server.tail(30)}`);
    return r;
  };
  const publishFile = async (topic, bytes, name) => {
    const file = path.join(dir, name);
    fs.writeFileSync(file, bytes);
    const r = await mosquittoPub([...mosqArgs(server, { admin: true }), '-q', '1', '-t', topic, '-f', file]);
    assert.equal(r.code, 0, `${describeRun(`mosquitto_pub ${topic}`, r)}\n${server.tail(30)}`);
  };
  const createRule = async (name, sql, stream) => {
    const r = await server.api('POST', `/v1/rules/${name}`, { topicRulePayload: {
      sql, actions: [{ firehose: { deliveryStreamName: stream, separator: '\n' } }] } });
    assert.equal(r.status, 201, `${r.text}\n${server.tail(30)}`);
  };

  before(async () => {
    server = await Server.start({ tag: 'rules-protobuf' });
    dir = fs.mkdtempSync(path.join(server.dataDir, 'proto-'));
    fs.writeFileSync(path.join(dir, 'reading.proto'), PROTO);
    protoc(['--include_imports', '--descriptor_set_out=reading.desc', 'reading.proto'], { cwd: dir });
    s3 = new S3.S3Client({ endpoint: server.endpoint, region: 'us-east-1', forcePathStyle: true,
                           credentials: { accessKeyId: 'admin', secretAccessKey: server.token }, maxAttempts: 1 });
  });
  after(async () => {
    if (s3) s3.destroy();
    if (server) await server.dispose();
  });

  test('decode(*, \'proto\', ...) turns a device\'s bytes into the JSON record in the lake', async () => {
    await s3.send(new S3.CreateBucketCommand({ Bucket: 'schemas' }));
    await s3.send(new S3.PutObjectCommand({ Bucket: 'schemas', Key: 'sensors/reading.desc',
                                            Body: fs.readFileSync(path.join(dir, 'reading.desc')) }));
    await cli(['stream', 'create', 'readings', '--bucket', 'pb-lake', '--buffer-interval-s', '1']);
    await createRule('pb_readings',
      "SELECT VALUE decode(*, 'proto', 'schemas', 'sensors/reading.desc', 'reading', 'Reading') FROM 'pb/+'",
      'readings');
    const sent = [];
    for (let i = 0; i < 5; i++) {
      const bytes = encode(`device_id: "pm-${i}" pm25: ${10 + i}.5 seq: ${1e12 + i} ` +
                           `taken_at { seconds: ${1765000000 + i} } samples: [1.5, ${i}]`);
      assert.ok(!bytes.toString('utf8').startsWith('{'), 'protoc wrote a binary message');
      await publishFile(`pb/pm-${i}`, bytes, `m${i}.bin`);
      sent.push({ deviceId: `pm-${i}`, pm25: 10 + i + 0.5, seq: String(1e12 + i),
                  takenAt: new Date((1765000000 + i) * 1000).toISOString().replace('.000Z', 'Z'),
                  samples: [1.5, i] });
    }
    const lake = await waitForLake(server, 'pb-lake', (l) => l.records.length >= sent.length,
                                   { what: `${sent.length} decoded records` });
    const got = lake.records.map((r) => JSON.parse(r)).sort((a, b) => a.deviceId.localeCompare(b.deviceId));
    assert.deepEqual(got, sent);
  });

  test('fields of the decoded message in a SELECT; a set not yet uploaded, bytes that are no message', async () => {
    await cli(['stream', 'create', 'picked', '--bucket', 'pb-picked', '--buffer-interval-s', '1']);
    await createRule('pb_picked',
      "SELECT topic(2) AS device, decode(*, 'proto', 'schemas', 'sensors/reading.desc', 'reading', 'Reading').pm25 AS pm25, " +
      "isNull(decode(*, 'proto', 'schemas', 'sensors/reading.desc', 'reading', 'Reading')) AS undecodable, " +
      "decode(*, 'proto', 'schemas', 'later.desc', 'reading', 'Reading') AS later FROM 'picked/+'",
      'picked');
    await publishFile('picked/a', encode('device_id: "a" pm25: 7.25'), 'a.bin');
    await publishFile('picked/b', Buffer.from([0x0a, 0x09, 0x70, 0x6d]), 'b.bin');  // cut short
    const lake = await waitForLake(server, 'pb-picked', (l) => l.records.length >= 2, { what: '2 records' });
    const got = lake.records.map((r) => JSON.parse(r)).sort((a, b) => a.device.localeCompare(b.device));
    // 'later' is Undefined (no such object yet): left out. Bytes that are no Reading: null,
    // whose pm25 is Undefined.
    assert.deepEqual(got, [{ device: 'a', pm25: 7.25, undecodable: false }, { device: 'b', undecodable: true }]);
    assert.match(server.tail(200), /s3:\/\/schemas\/later\.desc: no such object/);
  });

  test('rules that cannot work are refused when made, saying why', async () => {
    const r = await server.api('POST', '/v1/rules/pb_bad', { topicRulePayload: {
      sql: "SELECT decode(*, 'proto', 'schemas', 'sensors/reading.desc', 'reading') AS x FROM 'pb/+'", actions: [] } });
    assert.equal(r.status, 400, r.text);
    assert.match(r.text, /decode\(value, 'proto', bucket, key, protoFile, messageType\) takes 6 arguments, got 5/);
  });
});
