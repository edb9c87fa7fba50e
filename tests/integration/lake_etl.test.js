// Raw readings → crawler → ETL job → Parquet that DuckDB reads, through the real binary:
// a device publishes the reference's pollution readings over mTLS, `stream put` adds
// duplicates (same seq) and records that cannot be typed, the crawler catalogs the raw
// objects, and a job equivalent to the reference's Glue job (every field typed, a derived
// hour, partitioned by date, deduplicated by seq) writes Parquet. DuckDB then reads the
// output directory with hive_partitioning and must see exactly the published records
// minus duplicates and rejects; the rejects are in the error prefix with their reasons.
// A second run reads nothing (bookmark); a new record is picked up by the third. A device
// that batches its readings into one message gets a row per reading (explode).
'use strict';

const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { Server, describeRun, thingName, pollutionPayload, makeTempDir } = require('./harness');
const { thingOptions, connect, publish, end } = require('./clients');
const { waitForLake, lakeRecords } = require('./lake');
const duckdb = require('@duckdb/node-api');
const { referenceJob, expectedRow, duckRows } = require('./etl');

describe('lake → crawler → ETL job → Parquet → DuckDB', { timeout: 110000 }, () => {
  let server;
  const clients = [];
  const dir = makeTempDir('etl-payloads');
  const cli = async (args) => {
    const r = await server.cli(args);
    assert.equal(r.code, 0, `${describeRun(args.join(' '), r)}\n${server.tail(30)}`);
    return r;
  };
  const cliJson = async (args) => JSON.parse((await cli([...args, '--json'])).stdout);

  before(async () => { server = await Server.start({ tag: 'etl' }); });
  after(async () => {
    for (const c of clients) await end(c);
    if (server) await server.dispose();
  });

  const sent = [];
  const count = 40;

  test('the reference job turns the raw readings into typed, partitioned Parquet', async () => {
    await cli(['stream', 'create', 'pollution', '--bucket', 'iot-data', '--buffer-interval-s', '300']);
    const rule = { topicRulePayload: { sql: "SELECT * FROM 'devices/+/pollution'",
                                       actions: [{ firehose: { deliveryStreamName: 'pollution', separator: '\n' } }] } };
    fs.writeFileSync(path.join(dir, 'rule.json'), JSON.stringify(rule));
    await cli(['rule', 'create', 'pollution_to_lake', '--payload', path.join(dir, 'rule.json')]);
    const kit = await server.createThing(thingName('etl'));
    const device = await connect(thingOptions(server, kit));
    clients.push(device);
    for (let i = 0; i < count; i++) {
      const payload = pollutionPayload(i);
      assert.ifError((await publish(device, kit.topic, payload, { qos: 1 })).err);
      sent.push(payload);
    }
    // Duplicates (a device that resent), and records no typing can save.
    const duplicates = [sent[3], sent[17], sent[17]];
    const bad = [
      JSON.stringify({ ozone: 'high', seq: 1000, timestamp: new Date().toISOString() }),
      JSON.stringify({ ozone: 5, seq: 1001, timestamp: 'last tuesday' }),
    ];
    await cli(['stream', 'put', 'pollution', ...[...duplicates, ...bad].flatMap((d) => ['--data', `${d}\n`])]);
    await cli(['stream', 'flush', 'pollution']);
    const total = count + duplicates.length + bad.length;
    await waitForLake(server, 'iot-data', (l) => l.records.length >= total, { what: `${total} records in iot-data` });

    await cli(['crawler', 'create', 'raw', '--source', 's3://iot-data/', '--database', 'iot', '--table', 'raw']);
    assert.match((await cli(['crawler', 'run', 'raw'])).stdout, /succeeded/);

    fs.writeFileSync(path.join(dir, 'job.json'), JSON.stringify(referenceJob()));
    await cli(['job', 'create', 'curate', '--file', path.join(dir, 'job.json')]);
    const run = await cli(['job', 'run', 'curate']);
    assert.match(run.stdout, /succeeded/);
    assert.match(run.stdout, new RegExp(`rows: +${total} read, ${count} written, 2 rejected, 0 filtered, 3 duplicates`));

    const out = path.join(server.dataDir, 'lake', 'curated', 'pollution');
    const { rows, types } = await duckRows(out);
    const want = sent.map(expectedRow).sort((a, b) => a.seq - b.seq);
    assert.deepEqual(rows, want);
    assert.equal(types.ozone, 'DOUBLE');
    assert.equal(types.seq, 'BIGINT');
    assert.match(types.ts, /^TIMESTAMP/);
    assert.equal(types.hour, 'BIGINT');
    for (const f of lakeRecords(server, 'curated', 'pollution/').objects) {
      assert.match(f.key, /^pollution\/year=\d{4}\/month=\d{1,2}\/day=\d{1,2}\/part-\d{5}-\d+-\d+\.parquet$/);
    }

    // The rejects, with the reason, in the error prefix.
    const errors = lakeRecords(server, 'curated', 'pollution_errors/').records.map((l) => JSON.parse(l));
    assert.equal(errors.length, 2);
    const reasons = errors.map((e) => e.reason).sort();
    assert.match(reasons[0], /^ozone: cannot convert string "high" to double/);
    assert.match(reasons[1], /^timestamp: cannot convert string "last tuesday"/);
    assert.deepEqual(errors.map((e) => JSON.parse(e.record).seq).sort(), [1000, 1001]);

    // The target table is in the catalog.
    const table = await cliJson(['catalog', 'describe', 'iot.pollution']);
    assert.equal(table.format, 'parquet');
    assert.equal(table.location, 's3://curated/pollution/');
    assert.deepEqual(table.partition_keys.map((k) => k.name), ['year', 'month', 'day']);
    assert.equal(table.record_count, count);
    assert.equal(Object.fromEntries(table.columns.map((c) => [c.name, c.type])).ts, 'timestamp');
  });

  test('bookmarks: a rerun reads nothing, a new record is picked up next time', async () => {
    const again = await cliJson(['job', 'run', 'curate']);
    assert.equal(again.status, 'succeeded');
    assert.equal(again.objects_total, 0);
    assert.equal(again.rows_written, 0);

    const extra = pollutionPayload(500);
    await cli(['stream', 'put', 'pollution', '--data', `${extra}\n`]);
    await cli(['stream', 'flush', 'pollution']);
    await waitForLake(server, 'iot-data', (l) => l.records.length >= count + 6, { what: 'the extra record' });
    const third = await cliJson(['job', 'run', 'curate']);
    assert.equal(third.status, 'succeeded');
    assert.equal(third.objects_read, 1);
    assert.equal(third.rows_written, 1);
    const { rows } = await duckRows(path.join(server.dataDir, 'lake', 'curated', 'pollution'));
    assert.equal(rows.length, count + 1);
    assert.deepEqual(rows[rows.length - 1], expectedRow(extra));

    const runs = (await cli(['job', 'runs', 'curate'])).stdout;
    assert.equal(runs.trim().split('\n').length, 4, runs);  // header + 3 runs
    assert.match((await cli(['job', 'list'])).stdout, /curate\s+ready\s+iot\.raw\s+iot\.pollution/);
  });

  test('explode: a device\'s batched readings become a row each (YAML job, DuckDB reads them)', async () => {
    await cli(['stream', 'create', 'batched', '--bucket', 'iot-batched', '--buffer-interval-s', '300']);
    const rule = { topicRulePayload: { sql: "SELECT * FROM 'devices/+/batch'",
                                       actions: [{ firehose: { deliveryStreamName: 'batched', separator: '\n' } }] } };
    fs.writeFileSync(path.join(dir, 'batched-rule.json'), JSON.stringify(rule));
    await cli(['rule', 'create', 'batched_to_lake', '--payload', path.join(dir, 'batched-rule.json')]);
    const kit = await server.createThing(thingName('batch'));
    const device = await connect(thingOptions(server, kit));
    clients.push(device);
    // Three messages of 2, 3 and 0 readings each, taken a minute apart.
    const batches = [[0, 1], [2, 3, 4], []];
    const topic = `devices/${kit.thing}/batch`;  // the default policy: the thing's own topics
    for (const batch of batches) {
      const readings = batch.map((i) => ({ seq: i, ozone: 10 + i, ts: new Date(Date.UTC(2026, 11, 4, 12, i)).toISOString() }));
      const payload = JSON.stringify({ device: kit.thing, readings });
      assert.ifError((await publish(device, topic, payload, { qos: 1 })).err);
    }
    await cli(['stream', 'flush', 'batched']);
    await waitForLake(server, 'iot-batched', (l) => l.records.length >= batches.length, { what: 'the batched messages' });
    await cli(['crawler', 'create', 'batched', '--source', 's3://iot-batched/', '--database', 'iot', '--table', 'batched']);
    assert.match((await cli(['crawler', 'run', 'batched'])).stdout, /succeeded/);
    fs.writeFileSync(path.join(dir, 'explode.yaml'), `source: {database: iot, table: batched}
transforms:
  - explode: {field: readings, as: r}
  - apply_mapping:
      - [device, string, device, string]
      - [r.seq, bigint, seq, bigint]
      - [r.ozone, bigint, ozone, double]
      - [r.ts, string, ts, timestamp]
target: {path: curated/readings/, database: iot, table: readings_exploded}
`);
    await cli(['job', 'create', 'explode', '--file', path.join(dir, 'explode.yaml')]);
    const run = await cliJson(['job', 'run', 'explode']);
    assert.equal(run.status, 'succeeded', JSON.stringify(run));
    assert.equal(run.rows_read, 3);
    assert.equal(run.rows_written, 5);
    assert.equal(run.rows_filtered, 1);  // the empty batch
    const inst = await duckdb.DuckDBInstance.create(':memory:');
    const con = await inst.connect();
    try {
      const out = path.join(server.dataDir, 'lake', 'curated', 'readings');
      const result = await con.runAndReadAll(
        `SELECT device, seq, ozone, epoch_ms(ts) AS ts_ms FROM read_parquet('${out}/**/*.parquet') ORDER BY seq`);
      const rows = result.getRows().map(([d, seq, ozone, ts]) => [d, Number(seq), ozone, Number(ts)]);
      assert.deepEqual(rows, [0, 1, 2, 3, 4].map((i) => [kit.thing, i, 10 + i, Date.UTC(2026, 11, 4, 12, i)]));
    } finally {
      con.closeSync();
      inst.closeSync();
    }
  });

  test('a bad job is refused naming the JSON path; unknown jobs are named', async () => {
    const bad = referenceJob();
    bad.transforms[1].filter = 'ozone >=';
    fs.writeFileSync(path.join(dir, 'bad.json'), JSON.stringify(bad));
    let r = await server.cli(['job', 'create', 'bad', '--file', path.join(dir, 'bad.json')]);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /\$\.transforms\[1\]\.filter/);
    r = await server.cli(['job', 'run', 'nope']);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /nope/);
    // A file in another encoding than UTF-8 is named with its line, not a crash.
    fs.writeFileSync(path.join(dir, 'latin1.yaml'),
                     Buffer.from('source: {database: iot, table: raw}\nname: Z\xfcrich\n', 'latin1'));
    r = await server.cli(['job', 'create', 'latin1', '--file', path.join(dir, 'latin1.yaml')]);
    assert.equal(r.code, 1, `${r.code} ${r.stderr}`);
    assert.match(r.stderr, /latin1\.yaml line 2: not UTF-8 text/);
  });
});
