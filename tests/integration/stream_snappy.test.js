// Delivery streams with Snappy compression (Firehose's "Snappy", Snappy's framing format):
// records put through Direct PUT land in .snappy objects that python-snappy (Debian's
// python3-snappy, a reader nobody here wrote) decompresses to exactly the records; the
// crawler reads them into a table; the Firehose API creates, updates and describes such a
// stream by its CompressionFormat, and refuses the formats not supported here by name.
'use strict';

const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const childProcess = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const F = require('@aws-sdk/client-firehose');
const { Server, describeRun } = require('./harness');
const { listObjects, firehoseKeyPattern } = require('./lake');

// python-snappy's own framed reader, on an object's bytes. Debian 12's python3-snappy
// 0.5.3 has a CRC-32C extension that fails on Python 3.11 (PY_SSIZE_T_CLEAN), so its
// module's _crc32c is replaced by one written here, in Python; the framing and the
// blocks are the package's.
const PYTHON_SNAPPY = `
import sys
import snappy
import snappy.snappy as impl
TABLE = []
for i in range(256):
    c = i
    for _ in range(8):
        c = (c >> 1) ^ 0x82F63B78 if c & 1 else c >> 1
    TABLE.append(c)
def crc32c(data):
    c = 0xFFFFFFFF
    for b in data:
        c = TABLE[(c ^ b) & 0xFF] ^ (c >> 8)
    return c ^ 0xFFFFFFFF
impl._crc32c = crc32c
sys.stdout.buffer.write(snappy.StreamDecompressor().decompress(sys.stdin.buffer.read()))
`;
function pythonSnappyDecompress(bytes) {
  const r = childProcess.spawnSync('/usr/bin/python3', ['-c', PYTHON_SNAPPY], { input: bytes, timeout: 60000 });
  assert.equal(r.status, 0, `python3 snappy: ${r.error || ''}${r.stderr}`);
  return r.stdout.toString('utf8');
}

describe('delivery streams with Snappy compression', { timeout: 90000 }, () => {
  let server;
  let firehose;
  const cli = async (args) => {
    const r = await server.cli(args);
    assert.equal(r.code, 0, `${describeRun(`tributary ${args.join(' ')}`, r)}\n${server.tail(30)}`);
    return r;
  };
  const putRecords = async (stream, records) => {
    for (let i = 0; i < records.length; i += 500) {  // PutRecordBatch takes 500 at most
      const Records = records.slice(i, i + 500)
        .map((r) => ({ Data: Buffer.from(`${JSON.stringify(r)}\n`).toString('base64') }));
      const put = await server.api('POST', `/v1/streams/${stream}/records/batch`, { Records });
      assert.equal(put.status, 200, put.text);
      assert.equal(put.json.FailedPutCount, 0, put.text);
    }
  };
  const snappyObjects = (bucket) => listObjects(path.join(server.dataDir, 'lake', bucket));

  before(async () => {
    server = await Server.start({ tag: 'stream-snappy' });
    firehose = new F.FirehoseClient({ endpoint: server.endpoint, region: 'local', maxAttempts: 1,
                                      credentials: { accessKeyId: 'admin', secretAccessKey: server.token } });
  });
  after(async () => {
    if (firehose) firehose.destroy();
    if (server) await server.dispose();
  });

  test('objects are Snappy-framed .snappy files holding exactly the records; the crawler reads them', async () => {
    await cli(['stream', 'create', 'snappy', '--bucket', 'snappy-lake', '--compression', 'snappy']);
    const sent = [];
    for (let i = 0; i < 3000; i++) sent.push({ device: `pm-${i % 9}`, pm25: (i % 50) + 0.5, seq: i });
    await putRecords('snappy', sent.slice(0, 1500));
    await cli(['stream', 'flush', 'snappy']);
    await putRecords('snappy', sent.slice(1500));
    await cli(['stream', 'flush', 'snappy']);
    const objects = snappyObjects('snappy-lake');
    assert.equal(objects.length, 2, objects.map((o) => o.key).join(', '));
    const got = [];
    for (const o of objects) {
      assert.match(o.key, firehoseKeyPattern('snappy', '\\d{4}/\\d{2}/\\d{2}/\\d{2}/', '\\.snappy'));
      assert.equal(o.data.subarray(0, 10).toString('latin1'), '\xff\x06\x00\x00sNaPpY');
      const text = pythonSnappyDecompress(o.data);
      assert.ok(o.data.length < text.length / 3, `${o.data.length} bytes for ${text.length} of records`);
      for (const line of text.split('\n')) if (line !== '') got.push(JSON.parse(line));
    }
    assert.deepEqual(got.sort((a, b) => a.seq - b.seq), sent);  // two objects, in any key order

    await cli(['crawler', 'create', 'snappy_raw', '--source', 's3://snappy-lake/', '--database', 'iot',
               '--table', 'snappy_readings']);
    const run = await cli(['crawler', 'run', 'snappy_raw']);
    assert.match(run.stdout, /succeeded/);
    assert.match(run.stdout, new RegExp(`records: ${sent.length} added, 0 bad`));
    const table = JSON.parse((await cli(['catalog', 'describe', 'iot.snappy_readings', '--json'])).stdout);
    assert.deepEqual(table.columns.map((c) => c.name), ['device', 'pm25', 'seq']);
    assert.equal(table.record_count, sent.length);
  });

  test('the Firehose API takes CompressionFormat Snappy, describes it, and names the formats it refuses', async () => {
    const destination = (format) => ({ BucketARN: 'arn:aws:s3:::fh-snappy', CompressionFormat: format,
                                      RoleARN: 'arn:aws:iam::000000000000:role/any' });
    await firehose.send(new F.CreateDeliveryStreamCommand({
      DeliveryStreamName: 'fh_snappy', DeliveryStreamType: 'DirectPut',
      ExtendedS3DestinationConfiguration: destination('Snappy') }));
    const described = await firehose.send(new F.DescribeDeliveryStreamCommand({ DeliveryStreamName: 'fh_snappy' }));
    const d = described.DeliveryStreamDescription.Destinations[0].ExtendedS3DestinationDescription;
    assert.equal(d.CompressionFormat, 'Snappy');
    const shown = JSON.parse((await cli(['stream', 'describe', 'fh_snappy', '--json'])).stdout);
    assert.equal(shown.config.compression, 'snappy');
    for (const format of ['ZIP', 'HADOOP_SNAPPY']) {
      await assert.rejects(firehose.send(new F.CreateDeliveryStreamCommand({
        DeliveryStreamName: `fh_${format.toLowerCase()}`, DeliveryStreamType: 'DirectPut',
        ExtendedS3DestinationConfiguration: destination(format) })),
      (err) => err.name === 'InvalidArgumentException' &&
               err.message.includes(`'${format}' is not supported (UNCOMPRESSED, GZIP or Snappy`));
    }
  });
});
