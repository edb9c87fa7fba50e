// Device readings → stream → lake → crawler → `forecast prepare` → DeepAR channels, through
// the real binary: readings of three devices (hourly pairs, gaps, a late starter) go in
// with `stream put`, the crawler catalogs them, and `forecast prepare` builds the train
// and test channels from the raw JSON table and from an ETL job's Parquet table
// (partitioned by device). Both must hold exactly the series computed here from the
// readings: a series per device, hourly means, NaN for the hours without readings, the
// test channel the training series plus the last prediction_length hours. The lake
// output (under a prefix or at a bucket's root), objects the crawler left out of the
// table (skipped and counted, not read as bad records), errors and (with the forecasting
// tool built) `tributary train` on the files are checked too.
'use strict';

const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { BIN, Server, run, describeRun, makeTempDir } = require('./harness');
const crypto = require('node:crypto');
const S3 = require('@aws-sdk/client-s3');
const { waitForLake } = require('./lake');
const { tributaryS3 } = require('./s3');

const HOURS = 48;
const PREDICTION_LENGTH = 4;
const T0 = Date.UTC(2026, 2, 1);  // 2026-03-01 00:00 UTC
const DEVICES = ['sensor-a', 'sensor-b', 'sensor-c'];

// Two readings an hour per device; sensor-b misses hours 5-7, sensor-c starts at hour 10.
function readings() {
  const out = [];
  DEVICES.forEach((device, d) => {
    for (let h = 0; h < HOURS; h++) {
      if (device === 'sensor-b' && h >= 5 && h <= 7) continue;
      if (device === 'sensor-c' && h < 10) continue;
      for (const [minute, extra] of [[10, 0], [40, 1]]) {
        const temp = 10 * d + (h % 24) + extra;
        out.push({ device, temp, timestamp: new Date(T0 + h * 3600e3 + minute * 60e3).toISOString() });
      }
    }
  });
  return out;
}

// The series `forecast prepare --freq H --agg mean` must write, by device.
function expectedSeries(records) {
  const byDevice = new Map();
  for (const r of records) {
    const hour = Math.floor((Date.parse(r.timestamp) - T0) / 3600e3);
    const hours = byDevice.get(r.device) || new Map();
    const acc = hours.get(hour) || { sum: 0, n: 0 };
    acc.sum += r.temp;
    acc.n += 1;
    hours.set(hour, acc);
    byDevice.set(r.device, hours);
  }
  const end = Math.max(...[...byDevice.values()].flatMap((h) => [...h.keys()]));
  const split = end - PREDICTION_LENGTH + 1;
  const out = {};
  for (const [device, hours] of [...byDevice.entries()].sort()) {
    const first = Math.min(...hours.keys());
    const target = [];
    for (let h = first; h <= end; h++) target.push(hours.has(h) ? hours.get(h).sum / hours.get(h).n : 'NaN');
    const start = new Date(T0 + first * 3600e3).toISOString().replace('T', ' ').slice(0, 19);
    out[device] = { start, test: target, train: target.slice(0, split - first) };
  }
  return out;
}

function readLines(file) {
  return fs.readFileSync(file, 'utf8').split('\n').filter((l) => l !== '').map((l) => JSON.parse(l));
}

// Checks a channel directory against the expected series (cat i = i-th device by name).
function checkChannels(dir, expected) {
  const mapping = JSON.parse(fs.readFileSync(path.join(dir, 'series.json'), 'utf8'));
  const groups = mapping.series.map((s) => s.group);
  assert.deepEqual(groups, Object.keys(expected));
  for (const channel of ['train', 'test']) {
    const lines = readLines(path.join(dir, channel, `${channel}.json`));
    assert.equal(lines.length, groups.length, channel);
    lines.forEach((line, i) => {
      const want = expected[groups[i]];
      assert.deepEqual(line.cat, [i]);
      assert.equal(line.start, want.start, `${channel} ${groups[i]} start`);
      assert.deepEqual(line.target, want[channel], `${channel} ${groups[i]} target`);
    });
  }
  return mapping;
}

describe('lake table → forecast prepare → DeepAR channels', { timeout: 100000 }, () => {
  let server;
  const dir = makeTempDir('forecast-prepare');
  const cli = async (args, timeoutMs = 20000) => {
    const r = await server.cli(args, { timeoutMs });
    assert.equal(r.code, 0, `${describeRun(args.join(' '), r)}\n${server.tail(30)}`);
    return r;
  };
  const sent = readings();
  const expected = expectedSeries(sent);
  const prepareArgs = (table, out) => ['forecast', 'prepare', '--table', table, '--target', 'temp', '--freq', 'H',
                                       '--agg', 'mean', '--prediction-length', String(PREDICTION_LENGTH), '--cat',
                                       '--out', out];

  before(async () => { server = await Server.start({ tag: 'forecast-prepare' }); });
  after(async () => {
    if (server) await server.dispose();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('the raw JSON table becomes a series per device, resampled and split in time', async () => {
    await cli(['stream', 'create', 'readings', '--bucket', 'iot-data', '--buffer-interval-s', '300']);
    for (let i = 0; i < sent.length; i += 100) {
      await cli(['stream', 'put', 'readings', ...sent.slice(i, i + 100).flatMap((r) => ['--data', `${JSON.stringify(r)}\n`])]);
    }
    await cli(['stream', 'flush', 'readings']);
    await waitForLake(server, 'iot-data', (l) => l.records.length >= sent.length, { what: `${sent.length} records` });
    // Objects in the bucket that are not the stream's: folders of another layout, which
    // the crawler leaves out of the table and so must every reader of it.
    const s3 = tributaryS3(server);
    await s3.send(new S3.PutObjectCommand({ Bucket: 'iot-data', Key: 'big/export.bin', Body: crypto.randomBytes(64 << 10) }));
    await s3.send(new S3.PutObjectCommand({ Bucket: 'iot-data', Key: 'capture/forecaster/x.jsonl',
                                            Body: `${JSON.stringify({ device: 'sensor-z', temp: 1, timestamp: new Date(T0).toISOString() })}\n` }));
    await cli(['crawler', 'create', 'raw', '--source', 's3://iot-data/', '--database', 'iot', '--table', 'raw']);
    assert.match((await cli(['crawler', 'run', 'raw'])).stdout, /succeeded/);

    const out = path.join(dir, 'raw');
    const r = await cli(prepareArgs('raw', out));
    assert.match(r.stdout, new RegExp(`prepared 3 series from iot.raw \\(json, ${sent.length} rows`));
    assert.match(r.stdout, /, 0 bad records\n/);
    assert.match(r.stdout, /skipped 2 objects whose folders do not fit the table's partition keys .*iot-data\/big\/export\.bin, iot-data\/capture\/forecaster\/x\.jsonl/);
    assert.match(r.stdout, /test window from 2026-03-02 20:00:00 \(4 periods\)/);
    const mapping = checkChannels(out, expected);
    assert.equal(mapping.summary.timestamp, 'timestamp');
    assert.equal(mapping.summary.train_points, Object.values(expected).reduce((n, s) => n + s.train.length, 0));

    // The same into the lake, where training jobs read their channels.
    const json = JSON.parse((await cli([...prepareArgs('raw', 's3://models/prepared/raw/'), '--json'])).stdout);
    assert.deepEqual(json.files, ['train/train.json', 'test/test.json', 'series.json'].map((f) => `s3://models/prepared/raw/${f}`));
    const lakeDir = path.join(server.dataDir, 'lake', 'models', 'prepared', 'raw');
    assert.deepEqual(readLines(path.join(lakeDir, 'test', 'test.json')), readLines(path.join(out, 'test', 'test.json')));
 
    // A bucket's root will do as well: train/ and test/ directly under it, as training jobs read them.
    const root = JSON.parse((await cli([...prepareArgs('raw', 's3://deepar/'), '--json'])).stdout);
    assert.deepEqual(root.files, ['train/train.json', 'test/test.json', 'series.json'].map((f) => `s3://deepar/${f}`));
    assert.equal(root.objects_skipped, 2);
    assert.equal(root.bad_records, 0);
  });

  test('an ETL job\'s Parquet table, partitioned by device, gives the same series', async () => {
    const job = {
      source: { database: 'iot', table: 'raw' },
      transforms: [{ apply_mapping: [['device', 'string', 'device', 'string'], ['temp', 'double', 'temp', 'double'],
                                     ['timestamp', 'string', 'ts', 'timestamp']] }],
      target: { path: 'curated/readings/', format: 'parquet', compression: 'snappy', partition_keys: ['device'],
                database: 'iot', table: 'readings' },
    };
    fs.writeFileSync(path.join(dir, 'job.json'), JSON.stringify(job));
    await cli(['job', 'create', 'curate', '--file', path.join(dir, 'job.json')]);
    assert.match((await cli(['job', 'run', 'curate'])).stdout, /succeeded/);
    const out = path.join(dir, 'curated');
    const r = await cli(prepareArgs('readings', out));
    assert.match(r.stdout, new RegExp(`prepared 3 series from iot.readings \\(parquet, ${sent.length} rows`));
    const mapping = checkChannels(out, expected);
    assert.equal(mapping.summary.timestamp, 'ts');
  });

  test('bad input is named: a missing column, an existing output, a range with no training data', async () => {
    const missing = await server.cli(prepareArgs('raw', path.join(dir, 'x')).map((a) => (a === 'temp' ? 'pressure' : a)));
    assert.notEqual(missing.code, 0);
    assert.match(missing.stderr, /table iot\.raw has no column 'pressure' for --target \(its columns: .*temp/);
    const again = await server.cli(prepareArgs('raw', path.join(dir, 'raw')));
    assert.notEqual(again.code, 0);
    assert.match(again.stderr, /train\.json exists already: choose another output or pass --overwrite/);
    const badStart = await server.cli([...prepareArgs('raw', path.join(dir, 'z')), '--start', 'yesterday']);
    assert.notEqual(badStart.code, 0);
    assert.match(badStart.stderr, /^tributary forecast prepare: --start: 'yesterday' is not an ISO 8601/);
    const badOut = await server.cli(prepareArgs('raw', 's3://Bad_Bucket/'));
    assert.notEqual(badOut.code, 0);
    assert.match(badOut.stderr, /^tributary forecast prepare: --out: /);
    const early = await server.cli([...prepareArgs('raw', path.join(dir, 'y')), '--end', '2026-03-01T02:00:00Z']);
    assert.notEqual(early.code, 0);
    assert.match(early.stderr, /every group was skipped/);
  });

  test('tributary train accepts the channels (when the forecasting tool is built)', async (t) => {
    if (!fs.existsSync(path.join(path.dirname(BIN), 'tributary-forecast'))) {
      t.skip('tributary-forecast is not built (TRIBUTARY_WITH_TORCH=OFF)');
      return;
    }
    const hp = path.join(dir, 'hp.json');
    fs.writeFileSync(hp, JSON.stringify({ time_freq: 'H', prediction_length: PREDICTION_LENGTH, context_length: 8,
                                          epochs: 1, num_cells: 4, num_layers: 1, mini_batch_size: 8 }));
    const out = path.join(dir, 'raw');
    const r = await run(BIN, ['train', '--train', path.join(out, 'train'), '--test', path.join(out, 'test'),
                              '--hyperparameters', hp, '--output', path.join(dir, 'model'), '--seed', '1'],
                        { timeoutMs: 60000 });
    assert.equal(r.code, 0, describeRun('train', r));
    assert.ok(fs.existsSync(path.join(dir, 'model', 'model.json')));
    const metrics = JSON.parse(fs.readFileSync(path.join(dir, 'model', 'metrics.json'), 'utf8'));
    assert.ok(JSON.stringify(metrics).includes('RMSE'), JSON.stringify(metrics));
  });
});
