// Delivery streams with Firehose's compressions beyond gzip: "ZIP" (.zip, an archive of one
// entry) and the two Snappy ones, "Snappy" (snappy-java's stream) and "HADOOP_SNAPPY"
// (Hadoop's blocks), both in .snappy objects. Records put through Direct PUT land in
// objects that readers nobody here wrote decompress to exactly the records (Info-ZIP's
// unzip and Python's zipfile; kafkajs-snappy, Kafka's snappy-java reader for Node; Debian's
// python3-snappy with -t hadoop_snappy); the crawler reads each kind into a table; the
// Firehose API creates and describes such streams by their CompressionFormat and names
// the formats it takes when refusing another. Objects carry the Content-Encoding Firehose
// gives them (zip, snappy-java, hadoop-snappy).
'use strict';

const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const childProcess = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const F = require('@aws-sdk/client-firehose');
const S3 = require('@aws-sdk/client-s3');
const kafkaSnappy = require('kafkajs-snappy')();
const { Server, describeRun } = require('./harness');
const { listObjects, firehoseKeyPattern } = require('./lake');

async function snappyJavaDecompress(bytes) {
  return (await kafkaSnappy.decompress(bytes)).toString('utf8');
}

function run(command, args, input) {
  const r = childProcess.spawnSync(command, args, { input, timeout: 60000 });
  assert.equal(r.status, 0, `${command} ${args.join(' ')}: ${r.error || ''}${r.stderr}`);
  return r.stdout;
}

// The archive's one entry, by Info-ZIP's unzip (which also tests its CRC) and by Python's
// zipfile, which must agree; the entry is named with the object key's UUID.
function unzipOneEntry(bytes, key) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tributary-zip-'));
  try {
    const file = path.join(dir, 'object.zip');
    fs.writeFileSync(file, bytes);
    assert.match(run('unzip', ['-t', file]).toString(), /No errors detected/);
    const listed = JSON.parse(run('/usr/bin/python3', ['-c',
      'import json, sys, zipfile\n'
      + 'z = zipfile.ZipFile(sys.argv[1])\n'
      + 'print(json.dumps([[i.filename, i.compress_type, z.read(i).decode()] for i in z.infolist()]))',
      file]).toString());
    assert.equal(listed.length, 1, `${listed.length} entries`);
    const [name, method, text] = listed[0];
    assert.equal(method, 8, 'deflated');
    assert.ok(key.endsWith(`-${name}.zip`), `entry ${name} in ${key}`);
    assert.equal(run('unzip', ['-p', file]).toString(), text);
    return text;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

function hadoopSnappyDecompress(bytes) {
  const r = childProcess.spawnSync('/usr/bin/python3', ['-m', 'snappy', '-d', '-t', 'hadoop_snappy'],
                                   { input: bytes, timeout: 60000 });
  assert.equal(r.status, 0, `python3 -m snappy -d -t hadoop_snappy: ${r.error || ''}${r.stderr}`);
  return r.stdout.toString('utf8');
}

describe('delivery streams with ZIP and Snappy compression', { timeout: 120000 }, () => {
  let server;
  let firehose;
  let s3;
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

  before(async () => {
    server = await Server.start({ tag: 'stream-compression' });
    firehose = new F.FirehoseClient({ endpoint: server.endpoint, region: 'local', maxAttempts: 1,
                                      credentials: { accessKeyId: 'admin', secretAccessKey: server.token } });
    s3 = new S3.S3Client({ endpoint: server.endpoint, region: 'us-east-1', forcePathStyle: true, maxAttempts: 1,
                           credentials: { accessKeyId: 'admin', secretAccessKey: server.token } });
  });
  after(async () => {
    if (firehose) firehose.destroy();
    if (s3) s3.destroy();
    if (server) await server.dispose();
  });

  for (const [compression, extension, magic, decompress, encoding] of [
    ['zip', '.zip', 'PK\x03\x04', unzipOneEntry, 'zip'],
    ['snappy', '.snappy', '\x82SNAPPY\x00', snappyJavaDecompress, 'snappy-java'],
    ['hadoop_snappy', '.snappy', null, hadoopSnappyDecompress, 'hadoop-snappy'],
  ]) {
    test(`${compression}: ${extension} objects hold exactly the records; the crawler reads them`, async () => {
      const stream = `s_${compression}`;
      const bucket = `lake-${compression.replace('_', '-')}`;
      await cli(['stream', 'create', stream, '--bucket', bucket, '--compression', compression]);
      const sent = [];
      for (let i = 0; i < 3000; i++) sent.push({ device: `pm-${i % 9}`, pm25: (i % 50) + 0.5, seq: i });
      await putRecords(stream, sent.slice(0, 1500));
      await cli(['stream', 'flush', stream]);
      await putRecords(stream, sent.slice(1500));
      await cli(['stream', 'flush', stream]);
      const objects = listObjects(path.join(server.dataDir, 'lake', bucket));
      assert.equal(objects.length, 2, objects.map((o) => o.key).join(', '));
      const got = [];
      for (const o of objects) {
        assert.match(o.key, firehoseKeyPattern(stream, '\\d{4}/\\d{2}/\\d{2}/\\d{2}/', `\\${extension}`));
        if (magic) assert.equal(o.data.subarray(0, magic.length).toString('latin1'), magic);
        const text = await decompress(o.data, o.key);
        // The Content-Encoding Firehose gives such objects, through the S3 API.
        const head = await s3.send(new S3.HeadObjectCommand({ Bucket: bucket, Key: o.key }));
        assert.equal(head.ContentEncoding, encoding);
        assert.ok(o.data.length < text.length / 3, `${o.data.length} bytes for ${text.length} of records`);
        for (const line of text.split('\n')) if (line !== '') got.push(JSON.parse(line));
      }
      assert.deepEqual(got.sort((a, b) => a.seq - b.seq), sent);  // two objects, in any key order

      await cli(['crawler', 'create', `${stream}_raw`, '--source', `s3://${bucket}/`, '--database', 'iot',
                 '--table', stream]);
      const run = await cli(['crawler', 'run', `${stream}_raw`]);
      assert.match(run.stdout, /succeeded/);
      assert.match(run.stdout, new RegExp(`records: ${sent.length} added, 0 bad`));
      const table = JSON.parse((await cli(['catalog', 'describe', `iot.${stream}`, '--json'])).stdout);
      assert.deepEqual(table.columns.map((c) => c.name), ['device', 'pm25', 'seq']);
      assert.equal(table.record_count, sent.length);
    });
  }

  test('the Firehose API takes CompressionFormat ZIP, Snappy and HADOOP_SNAPPY, describes them, and names them refusing another', async () => {
    const destination = (format) => ({ BucketARN: 'arn:aws:s3:::fh-snappy', CompressionFormat: format,
                                      RoleARN: 'arn:aws:iam::000000000000:role/any' });
    for (const [format, name] of [['ZIP', 'zip'], ['Snappy', 'snappy'], ['HADOOP_SNAPPY', 'hadoop_snappy']]) {
      await firehose.send(new F.CreateDeliveryStreamCommand({
        DeliveryStreamName: `fh_${name}`, DeliveryStreamType: 'DirectPut',
        ExtendedS3DestinationConfiguration: destination(format) }));
      const described = await firehose.send(new F.DescribeDeliveryStreamCommand({ DeliveryStreamName: `fh_${name}` }));
      const d = described.DeliveryStreamDescription.Destinations[0].ExtendedS3DestinationDescription;
      assert.equal(d.CompressionFormat, format);
      const shown = JSON.parse((await cli(['stream', 'describe', `fh_${name}`, '--json'])).stdout);
      assert.equal(shown.config.compression, name);
    }
    await assert.rejects(firehose.send(new F.CreateDeliveryStreamCommand({
      DeliveryStreamName: 'fh_lz4', DeliveryStreamType: 'DirectPut', ExtendedS3DestinationConfiguration: destination('LZ4') })),
    (err) => err.name === 'InvalidArgumentException' &&
             err.message.includes("'LZ4' is not supported (UNCOMPRESSED, GZIP, ZIP, Snappy or HADOOP_SNAPPY)"));
  });
});
