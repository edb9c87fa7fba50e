// Device readings → rule → delivery stream → lake → crawler → catalog, through the real
// binary: a device publishes the reference's pollution readings over mTLS, the stream
// writes Firehose-shaped objects (YYYY/MM/DD/HH/), and `crawler run` must put a table in
// the catalog with the inferred column types, year/month/day/hour partitions and the
// record count. A second run reads only the new object and versions the schema.
'use strict';

const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { Server, describeRun, thingName, pollutionPayload, makeTempDir } = require('./harness');
const { thingOptions, connect, publish, end } = require('./clients');
const { waitForLake } = require('./lake');

describe('lake → crawler → catalog', { timeout: 100000 }, () => {
  let server;
  const clients = [];
  const dir = makeTempDir('crawler-payloads');
  const cli = async (args) => {
    const r = await server.cli(args);
    assert.equal(r.code, 0, `${describeRun(args.join(' '), r)}\n${server.tail(30)}`);
    return r;
  };
  const cliJson = async (args) => JSON.parse((await cli([...args, '--json'])).stdout);
  const typesOf = (columns) => Object.fromEntries(columns.map((c) => [c.name, c.type]));

  before(async () => { server = await Server.start({ tag: 'crawler' }); });
  after(async () => {
    for (const c of clients) await end(c);
    if (server) await server.dispose();
  });

  const sent = 25;

  test('a crawl of the raw readings gives typed columns, hourly partitions and the record count', async () => {
    await cli(['stream', 'create', 'pollution', '--bucket', 'iot-data', '--buffer-interval-s', '300']);
    const rule = {
      topicRulePayload: {
        sql: "SELECT * FROM 'devices/+/pollution'",
        actions: [{ firehose: { deliveryStreamName: 'pollution', separator: '\n' } }],
      },
    };
    fs.writeFileSync(path.join(dir, 'rule.json'), JSON.stringify(rule));
    await cli(['rule', 'create', 'pollution_to_lake', '--payload', path.join(dir, 'rule.json')]);
    const kit = await server.createThing(thingName('crawl'));
    const device = await connect(thingOptions(server, kit));
    clients.push(device);
    for (let i = 0; i < sent; i++) {
      assert.ifError((await publish(device, kit.topic, pollutionPayload(i), { qos: 1 })).err);
    }
    await cli(['stream', 'flush', 'pollution']);
    await waitForLake(server, 'iot-data', (l) => l.records.length >= sent, { what: `${sent} records in iot-data` });

    await cli(['crawler', 'create', 'raw', '--source', 's3://iot-data/', '--database', 'iot', '--table', 'pollution']);
    const run = await cli(['crawler', 'run', 'raw']);
    assert.match(run.stdout, /succeeded/);
    assert.match(run.stdout, new RegExp(`records: ${sent} added, 0 bad`));

    const table = await cliJson(['catalog', 'describe', 'iot.pollution']);
    const types = typesOf(table.columns);
    assert.equal(types.ozone, 'bigint');
    assert.equal(types.particulate_matter, 'bigint');
    assert.equal(types.latitude, 'double');
    assert.equal(types.longitude, 'double');
    assert.equal(types.timestamp, 'timestamp');
    assert.equal(types.seq, 'bigint');
    assert.deepEqual(table.partition_keys.map((k) => k.name), ['year', 'month', 'day', 'hour']);
    assert.equal(table.record_count, sent);
    assert.equal(table.format, 'json');
    assert.equal(table.location, 's3://iot-data/');
    assert.equal(table.version, 1);
    assert.ok(table.partitions.length >= 1);
    const now = new Date();
    const p = table.partitions[table.partitions.length - 1];
    assert.equal(p.values[0], String(now.getUTCFullYear()));
    assert.equal(p.values[1], String(now.getUTCMonth() + 1).padStart(2, '0'));
    assert.equal(table.partitions.reduce((n, part) => n + part.record_count, 0), sent);

    // The human-readable forms name the same things.
    const human = (await cli(['catalog', 'describe', 'pollution', '--database', 'iot'])).stdout;
    assert.match(human, /ozone\s+bigint/);
    assert.match(human, /timestamp\s+timestamp/);
    assert.match(human, /hour\s+string\s+partition key/);
    assert.match((await cli(['catalog', 'tables'])).stdout, /iot\s+pollution\s+1\s+/);
    assert.match((await cli(['catalog', 'databases'])).stdout, /^iot\s+1/m);
  });

  test('a rerun reads only the new object; a new field and a double make version 2', async () => {
    await cli(['stream', 'put', 'pollution', '--data', '{"ozone": 2.5, "humidity": 40, "seq": 99}\n']);
    await cli(['stream', 'flush', 'pollution']);
    await waitForLake(server, 'iot-data', (l) => l.records.length >= sent + 1, { what: 'the put record' });
    const run = await cliJson(['crawler', 'run', 'raw']);
    assert.equal(run.status, 'succeeded');
    assert.equal(run.objects_read, 1);
    assert.equal(run.records, 1);
    assert.equal(run.schema_changed, true);
    assert.deepEqual(run.columns_added, ['humidity']);

    const table = await cliJson(['catalog', 'describe', 'iot.pollution']);
    const types = typesOf(table.columns);
    assert.equal(types.ozone, 'double');
    assert.equal(types.humidity, 'bigint');
    assert.equal(table.version, 2);
    assert.equal(table.record_count, sent + 1);
    assert.equal(table.versions.length, 2);
    assert.equal(typesOf(table.versions[0].columns).ozone, 'bigint');

    const crawler = await cliJson(['crawler', 'describe', 'raw']);
    assert.equal(crawler.runs.length, 2);
    assert.equal(crawler.state, 'ready');
    const listed = (await cli(['crawler', 'list'])).stdout;
    assert.match(listed, /raw\s+ready\s+s3:\/\/iot-data\/\s+iot\.pollution\s+succeeded/);

    // The catalog and the crawler's seen set survive a restart.
    await server.restart();
    const again = await cliJson(['crawler', 'run', 'raw']);
    assert.equal(again.objects_read, 0);
    assert.equal((await cliJson(['catalog', 'describe', 'iot.pollution'])).record_count, sent + 1);
  });

  test('mistakes are refused with the reason', async () => {
    let r = await server.cli(['catalog', 'describe', 'nope.table']);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /nope/);
    r = await server.cli(['catalog', 'describe', 'pollution']);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /--database/);
    r = await server.cli(['crawler', 'create', 'bad', '--source', 'http://iot-data/', '--database', 'iot']);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /lake path/);
    r = await server.cli(['crawler', 'create', 'raw', '--source', 'iot-data/', '--database', 'iot']);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /already exists/);
    r = await server.cli(['crawler', 'run', 'missing']);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /missing/);
    r = await server.cli(['crawler', 'create', 'odd', '--source', 'iot-data/', '--database', 'iot', '--delete-behavior', 'forget']);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /--delete-behavior: delete behavior 'forget' is not one of DELETE_FROM_DATABASE, DEPRECATE_IN_DATABASE, LOG \(or delete, deprecate, log\)/);
  });

  test('a crawler whose schema change policy logs: the table keeps its schema, the run names the change', async () => {
    await cli(['crawler', 'create', 'careful', '--source', 's3://iot-data/', '--database', 'iot', '--table', 'careful',
               '--update-behavior', 'log', '--delete-behavior', 'deprecate']);
    const crawler = await cliJson(['crawler', 'describe', 'careful']);
    assert.equal(crawler.update_behavior, 'LOG');
    assert.equal(crawler.delete_behavior, 'DEPRECATE_IN_DATABASE');
    await cliJson(['crawler', 'run', 'careful']);
    const before = await cliJson(['catalog', 'describe', 'iot.careful']);
    // A record with a field no record had.
    await cli(['stream', 'put', 'pollution', '--data', '{"ozone": 3, "humidity": 41, "seq": 100, "dew": "yes"}\n']);
    await cli(['stream', 'flush', 'pollution']);
    await waitForLake(server, 'iot-data', (l) => l.records.length >= sent + 2, { what: 'the second put record' });
    const run = await cliJson(['crawler', 'run', 'careful']);
    assert.equal(run.status, 'succeeded');
    assert.deepEqual(run.schema_changes_logged, ['column added: dew string']);
    const after = await cliJson(['catalog', 'describe', 'iot.careful']);
    assert.deepEqual(after.columns, before.columns);
    assert.equal(after.version, before.version);
    assert.equal(after.record_count, before.record_count + 1);
    assert.match((await cli(['crawler', 'run', 'careful'])).stdout, /^run \d+ of crawler careful: succeeded/m);

    // `crawler update`: the options given replace, the others stay; the next run applies
    // the change it had logged.
    await cli(['crawler', 'update', 'careful', '--update-behavior', 'update', '--exclude', 'tmp/**']);
    let updated = await cliJson(['crawler', 'describe', 'careful']);
    assert.equal(updated.update_behavior, 'UPDATE_IN_DATABASE');
    assert.equal(updated.delete_behavior, 'DEPRECATE_IN_DATABASE');
    assert.deepEqual(updated.exclusions, ['tmp/**']);
    assert.equal(updated.table, 'careful');
    await cli(['crawler', 'update', 'careful', '--no-exclusions']);
    updated = await cliJson(['crawler', 'describe', 'careful']);
    assert.deepEqual(updated.exclusions, []);
    assert.equal(updated.update_behavior, 'UPDATE_IN_DATABASE');
    await cli(['stream', 'put', 'pollution', '--data', '{"ozone": 4, "humidity": 42, "seq": 101, "dew": "no"}\n']);
    await cli(['stream', 'flush', 'pollution']);
    await waitForLake(server, 'iot-data', (l) => l.records.length >= sent + 3, { what: 'the third put record' });
    await cliJson(['crawler', 'run', 'careful']);
    assert.equal(typesOf((await cliJson(['catalog', 'describe', 'iot.careful'])).columns).dew, 'string');
    const r = await server.cli(['crawler', 'update', 'nowhere', '--table', 't']);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /crawler 'nowhere' does not exist/);
  });
});
