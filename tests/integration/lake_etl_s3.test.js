// The Glue stage with the lake on an S3-compatible server (s3rver, ./s3.js): a stream
// writes raw readings (with duplicates and records no typing can save) to the S3 bucket,
// the crawler catalogs them through ListObjectsV2/GetObject, and the reference's job,
// given as a YAML file, writes partitioned Parquet back to S3. The test downloads the
// Parquet objects and DuckDB must read exactly the input minus duplicates and rejects;
// the rejects are S3 objects in the error prefix. A second run gets re-sent records and
// one new one: dedupe keys last across runs, so only the new one is written.
'use strict';

const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { Server, describeRun, pollutionPayload, makeTempDir, sleep } = require('./harness');
const { startS3, listKeys, getObject } = require('./s3');
const { referenceJob, expectedRow, duckRows, REFERENCE_JOB_YAML } = require('./etl');

const RAW = 'iot-data';
const CURATED = 'curated';


// Every record (line) of every object in the bucket.
async function s3Records(s3, bucket, prefix = '') {
  const records = [];
  for (const key of await listKeys(s3, bucket, prefix)) {
    for (const line of (await getObject(s3, bucket, key)).toString('utf8').split('\n')) if (line) records.push(line);
  }
  return records;
}

// Downloads every object under bucket/prefix into a fresh directory (keys as paths).
async function download(s3, bucket, prefix) {
  const dir = makeTempDir('etl-s3-out');
  const keys = await listKeys(s3, bucket, prefix);
  for (const key of keys) {
    const file = path.join(dir, key);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, await getObject(s3, bucket, key));
  }
  return { dir, keys };
}

describe('S3 lake (s3rver) → crawler → ETL job (YAML) → Parquet on S3 → DuckDB', { timeout: 110000 }, () => {
  let server;
  let s3;
  const dir = makeTempDir('etl-s3-payloads');
  const cli = async (args) => {
    const r = await server.cli(args);
    assert.equal(r.code, 0, `${describeRun(args.join(' '), r)}\n${server.tail(30)}`);
    return r;
  };
  const cliJson = async (args) => JSON.parse((await cli([...args, '--json'])).stdout);
  const putRecords = async (records) => {
    await cli(['stream', 'put', 'pollution', ...records.flatMap((d) => ['--data', `${d}\n`])]);
    await cli(['stream', 'flush', 'pollution']);
  };
  const waitForRaw = async (total) => {
    const deadline = Date.now() + 20000;
    let records = [];
    while (Date.now() < deadline) {
      records = await s3Records(s3, RAW);
      if (records.length >= total) return records;
      await sleep(200);
    }
    throw new Error(`the S3 bucket ${RAW} holds ${records.length} of ${total} records\n${server.tail(30)}`);
  };

  before(async () => {
    s3 = await startS3([RAW, CURATED]);
    process.env.AWS_ACCESS_KEY_ID = s3.accessKeyId;
    process.env.AWS_SECRET_ACCESS_KEY = s3.secretAccessKey;
    server = await Server.start({ tag: 'etl-s3',
                                  args: ['--lake-backend', 's3', '--s3-endpoint', `http://127.0.0.1:${s3.port}`] });
  });
  after(async () => {
    if (server) await server.dispose();
    if (s3) s3.child.stdin.end();
  });

  const sent = [];
  const count = 30;

  test('a crawl and a job run read raw objects from S3 and write Parquet to S3', async () => {
    await cli(['stream', 'create', 'pollution', '--bucket', RAW, '--buffer-interval-s', '300']);
    for (let i = 0; i < count; i++) sent.push(pollutionPayload(i));
    const duplicates = [sent[3], sent[17]];
    const bad = [
      JSON.stringify({ ozone: 'high', seq: 1000, timestamp: new Date().toISOString() }),
      JSON.stringify({ ozone: 5, seq: 1001, timestamp: 'last tuesday' }),
    ];
    await putRecords([...sent.slice(0, 20), ...duplicates, ...bad]);
    await putRecords(sent.slice(20));  // a second raw object
    const total = count + duplicates.length + bad.length;
    await waitForRaw(total);

    await cli(['crawler', 'create', 'raw', '--source', `s3://${RAW}/`, '--database', 'iot', '--table', 'raw']);
    assert.match((await cli(['crawler', 'run', 'raw'])).stdout, /succeeded/);

    fs.writeFileSync(path.join(dir, 'job.yaml'), REFERENCE_JOB_YAML);
    await cli(['job', 'create', 'curate', '--file', path.join(dir, 'job.yaml')]);
    assert.deepEqual((await cliJson(['job', 'describe', 'curate'])).job, referenceJob(),
                     'the YAML job is stored as the same JSON document');
    const run = await cliJson(['job', 'run', 'curate']);
    assert.equal(run.status, 'succeeded', `${JSON.stringify(run)}\n${server.tail(30)}`);
    assert.equal(run.objects_read, 2);
    assert.equal(run.rows_read, total);
    assert.equal(run.rows_written, count);
    assert.equal(run.rows_rejected, 2);
    assert.equal(run.rows_duplicate, 2);

    const out = await download(s3, CURATED, 'pollution/');
    assert.equal(out.keys.length, run.files_written);
    for (const key of out.keys) {
      assert.match(key, /^pollution\/year=\d{4}\/month=\d{1,2}\/day=\d{1,2}\/part-\d{5}-\d+-\d+\.parquet$/);
    }
    const { rows, types } = await duckRows(path.join(out.dir, 'pollution'));
    assert.deepEqual(rows, sent.map(expectedRow).sort((a, b) => a.seq - b.seq));
    assert.equal(types.ozone, 'DOUBLE');
    assert.match(types.ts, /^TIMESTAMP/);

    const errors = (await s3Records(s3, CURATED, 'pollution_errors/')).map((l) => JSON.parse(l));
    assert.deepEqual(errors.map((e) => JSON.parse(e.record).seq).sort(), [1000, 1001]);
    assert.equal(run.error_prefix, `${CURATED}/pollution_errors/run=${run.id}/`);

    const table = await cliJson(['catalog', 'describe', 'iot.pollution']);
    assert.equal(table.location, `s3://${CURATED}/pollution/`);
    assert.equal(table.record_count, count);
  });

  test('records re-sent in a later run are duplicates; only the new one is written', async () => {
    const extra = pollutionPayload(500);
    await putRecords([sent[5], sent[29], extra]);
    await waitForRaw(count + 4 + 3);
    const run = await cliJson(['job', 'run', 'curate']);
    assert.equal(run.status, 'succeeded', JSON.stringify(run));
    assert.equal(run.objects_read, 1);
    assert.equal(run.rows_read, 3);
    assert.equal(run.rows_duplicate, 2);
    assert.equal(run.rows_written, 1);
    const out = await download(s3, CURATED, 'pollution/');
    const { rows } = await duckRows(path.join(out.dir, 'pollution'));
    assert.deepEqual(rows, [...sent, extra].map(expectedRow).sort((a, b) => a.seq - b.seq));
  });

  test('a bad YAML job is refused naming its line', async () => {
    fs.writeFileSync(path.join(dir, 'bad.yml'), REFERENCE_JOB_YAML.replace('"ozone >= 0"', '"ozone >="'));
    let r = await server.cli(['job', 'create', 'bad', '--file', path.join(dir, 'bad.yml')]);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /\$\.transforms\[1\]\.filter: .*\(.*bad\.yml line 14, column 13\)/);
    fs.writeFileSync(path.join(dir, 'broken.yaml'), 'source: {database: iot\n');
    r = await server.cli(['job', 'create', 'bad', '--file', path.join(dir, 'broken.yaml')]);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /broken\.yaml line \d+, column \d+: not valid YAML/);
  });
});
