// Devices → broker → the reference's rule → delivery stream → local lake, through the
// real binary and real clients: Node's `mqtt` over mTLS publishes the reference's
// pollution readings at QoS 1, and the objects in <data-dir>/lake/ must hold exactly
// the published records under Firehose-shaped keys. Also Direct PUT with `stream put`,
// gzip objects, dynamic partitioning by a field the rule selected, delivery of what is
// buffered on a graceful stop, errors for bad stream settings, and Basic Ingest
// ($aws/rules/<rule>/<topic>: the named rule alone, no subscriber).
'use strict';

const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { Server, describeRun, thingName, pollutionPayload, makeTempDir } = require('./harness');
const { thingOptions, adminOptions, connect, publish, subscribe, end } = require('./clients');
const { lakeRecords, waitForLake, firehoseKeyPattern } = require('./lake');

// The rule of the reference, pointed at `stream`.
function referenceRule(filter, stream) {
  return {
    topicRulePayload: {
      sql: `SELECT * FROM '${filter}'`,
      ruleDisabled: false,
      awsIotSqlVersion: '2016-03-23',
      actions: [{ firehose: { deliveryStreamName: stream, separator: '\n', roleArn: 'arn:aws:iam::role/' } }],
    },
  };
}

describe('rule → stream → lake', { timeout: 100000 }, () => {
  let server;
  const clients = [];
  const dir = makeTempDir('lake-payloads');
  const cli = async (args) => {
    const r = await server.cli(args);
    assert.equal(r.code, 0, `${describeRun(args.join(' '), r)}\n${server.tail(30)}`);
    return r;
  };
  const createRule = async (name, doc) => {
    const file = path.join(dir, `${name}.json`);
    fs.writeFileSync(file, JSON.stringify(doc));
    await cli(['rule', 'create', name, '--payload', file]);
  };

  before(async () => { server = await Server.start({ tag: 'lake' }); });
  after(async () => {
    for (const c of clients) await end(c);
    if (server) await server.dispose();
  });

  test('QoS 1 readings from a device land in the lake exactly once, under Firehose keys', async () => {
    await cli(['stream', 'create', 'pollution', '--bucket', 'iot-data', '--buffer-interval-s', '1']);
    await createRule('pollution_to_lake', referenceRule('devices/+/pollution', 'pollution'));
    const kit = await server.createThing(thingName('lake'));
    const device = await connect(thingOptions(server, kit));
    clients.push(device);
    const sent = [];
    for (let i = 0; i < 200; i++) {
      const payload = pollutionPayload(i);
      const { err } = await publish(device, kit.topic, payload, { qos: 1 });
      assert.ifError(err);
      sent.push(payload);
    }
    const lake = await waitForLake(server, 'iot-data', (l) => l.records.length >= sent.length,
                                   { what: `${sent.length} records in bucket iot-data` });
    assert.deepEqual([...lake.records].sort(), [...sent].sort(), 'the lake holds other records than were published');
    for (const o of lake.objects) assert.match(o.key, firehoseKeyPattern('pollution'));
    const described = JSON.parse((await cli(['stream', 'describe', 'pollution', '--json'])).stdout);
    assert.equal(described.stats.records_in, sent.length);
    assert.equal(described.stats.records_delivered, sent.length);
    const metrics = await (await fetch(`http://127.0.0.1:${server.httpPort}/metrics`)).text();
    assert.match(metrics, /tributary_rule_matched_total\{rule="pollution_to_lake"\} 200/);
  });

  test('Basic Ingest: a device publishes to $aws/rules/<rule>/<topic>, the rule alone gets it', async () => {
    await cli(['stream', 'create', 'basic', '--bucket', 'basic', '--buffer-interval-s', '1']);
    await createRule('basic_rule', {
      topicRulePayload: {
        sql: "SELECT *, topic(2) AS device FROM 'devices/+/pollution'",
        actions: [{ firehose: { deliveryStreamName: 'basic', separator: '\n' } }],
      },
    });
    const kit = await server.createThing(thingName('basic'));
    // The default policy allows only devices/<thing>/*: Basic Ingest needs its own grant.
    const policyFile = path.join(dir, 'basic-ingest-policy.json');
    fs.writeFileSync(policyFile, JSON.stringify({
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Action: 'iot:Publish', Resource: 'topic/$aws/rules/*' }],
    }));
    await cli(['policy', 'create', 'basic-ingest', '--document', policyFile]);
    await cli(['policy', 'attach', 'basic-ingest', '--thing', kit.thing]);
    const device = await connect(thingOptions(server, kit));
    clients.push(device);
    // Nobody subscribes under the prefix: the broker refuses it (0x8F).
    const admin = await connect(adminOptions(server));
    clients.push(admin);
    assert.deepEqual((await subscribe(admin, '$aws/rules/basic_rule/#')).map((g) => g.qos), [0x8f]);
    const watched = [];
    assert.deepEqual((await subscribe(admin, '$aws/#')).map((g) => g.qos), [1]);
    admin.on('message', (topic) => watched.push(topic));

    const sent = [];
    for (let i = 0; i < 20; i++) {
      const payload = pollutionPayload(i);
      const { err } = await publish(device, `$aws/rules/basic_rule/${kit.topic}`, payload, { qos: 1 });
      assert.ifError(err);
      sent.push(payload);
    }
    // A rule that does not exist: acknowledged, dropped, counted.
    assert.ifError((await publish(device, `$aws/rules/no_such_rule/${kit.topic}`, '{}', { qos: 1 })).err);
    const lake = await waitForLake(server, 'basic', (l) => l.records.length >= sent.length,
                                   { what: `${sent.length} Basic Ingest records in bucket basic` });
    // The rule saw the topic after the prefix: topic(2) is the thing.
    assert.deepEqual(lake.records.map((r) => JSON.parse(r)).sort((a, b) => a.seq - b.seq),
                     sent.map((p) => ({ ...JSON.parse(p), device: kit.thing })).sort((a, b) => a.seq - b.seq));
    assert.deepEqual(watched, [], 'a Basic Ingest message reached a subscriber');
    const metrics = await (await fetch(`http://127.0.0.1:${server.httpPort}/metrics`)).text();
    assert.match(metrics, /tributary_rule_matched_total\{rule="basic_rule"\} 20\n/);
    assert.match(metrics, /tributary_rules_basic_ingest_dropped_total 1\n/);
    // Devices without the grant are refused as for any topic.
    const other = await server.createThing(thingName('nobasic'));
    const denied = await connect(thingOptions(server, other));
    clients.push(denied);
    const refused = await publish(denied, `$aws/rules/basic_rule/${other.topic}`, '{}', { qos: 1 });
    assert.equal(refused.err?.code ?? refused.packet?.reasonCode, 0x87, JSON.stringify(refused));
  });

  test('Direct PUT, gzip and partitioning by a selected field', async () => {
    await cli(['stream', 'create', 'bydevice', '--bucket', 'parts', '--compression', 'gzip', '--buffer-interval-s', '1',
               '--prefix', 'raw/device=!{partitionKeyFromQuery:device}/!{timestamp:yyyy/MM/dd}/']);
    await createRule('by_device', {
      topicRulePayload: {
        sql: "SELECT topic(2) AS device, ozone FROM 'devices/+/pollution'",
        actions: [{ firehose: { deliveryStreamName: 'bydevice', separator: '\n' } }],
      },
    });
    const kits = [await server.createThing(thingName('pa')), await server.createThing(thingName('pb'))];
    for (const kit of kits) {
      const c = await connect(thingOptions(server, kit));
      clients.push(c);
      for (let i = 0; i < 5; i++) assert.ifError((await publish(c, kit.topic, JSON.stringify({ ozone: i }), { qos: 1 })).err);
    }
    const lake = await waitForLake(server, 'parts', (l) => l.records.length >= 10, { what: '10 partitioned records' });
    for (const kit of kits) {
      const mine = lake.objects.filter((o) => o.key.startsWith(`raw/device=${kit.thing}/`));
      assert.ok(mine.length >= 1, `no object under raw/device=${kit.thing}/: ${lake.objects.map((o) => o.key)}`);
      for (const o of mine) assert.match(o.key, /\.gz$/);
      const recs = lakeRecords(server, 'parts', `raw/device=${kit.thing}/`).records.map((r) => JSON.parse(r));
      assert.deepEqual(recs.map((r) => r.ozone).sort(), [0, 1, 2, 3, 4]);
      assert.ok(recs.every((r) => r.device === kit.thing));
    }

    await cli(['stream', 'create', 'direct', '--bucket', 'direct']);
    const put = JSON.parse((await cli(['stream', 'put', 'direct', '--data', '{"a":1}\n', '--data', '{"a":2}\n', '--json'])).stdout);
    assert.equal(put.FailedPutCount, 0);
    assert.equal(put.RequestResponses.length, 2);
    assert.match(put.RequestResponses[0].RecordId, /^[0-9a-f]{32}$/);
    // 300 s buffer interval: only a flush (or a graceful stop) delivers them now.
    assert.equal(lakeRecords(server, 'direct').records.length, 0);
    await cli(['stream', 'flush', 'direct']);
    assert.deepEqual(lakeRecords(server, 'direct').records, ['{"a":1}', '{"a":2}']);
  });

  test('a graceful stop delivers what is buffered', async () => {
    await cli(['stream', 'create', 'slow', '--bucket', 'slow', '--buffer-interval-s', '900']);
    await cli(['stream', 'put', 'slow', '--data', 'one\n', '--data', 'two\n']);
    assert.equal(lakeRecords(server, 'slow').records.length, 0);
    await server.restart();
    assert.deepEqual(lakeRecords(server, 'slow').records, ['one', 'two']);
    const streams = JSON.parse((await cli(['stream', 'list', '--json'])).stdout).streams.map((s) => s.config.name);
    assert.ok(streams.includes('slow') && streams.includes('pollution'), `streams after restart: ${streams}`);
  });

  test('stream update: what is buffered keeps its settings, later records follow the new ones', async () => {
    await cli(['stream', 'create', 'moving', '--bucket', 'moving-a', '--prefix', 'first/', '--buffer-interval-s', '900']);
    await cli(['stream', 'put', 'moving', '--data', 'before\n']);
    assert.equal(lakeRecords(server, 'moving-a').records.length, 0);
    const r = await cli(['stream', 'update', 'moving', '--bucket', 'moving-b', '--prefix', 'second/', '--compression', 'gzip']);
    assert.match(r.stdout, /updated stream moving/);
    // The buffer of the old settings is sealed by the update and delivered without a flush.
    await waitForLake(server, 'moving-a', (l) => l.records.length >= 1, { what: 'the record buffered before the update' });
    const first = lakeRecords(server, 'moving-a');
    assert.deepEqual(first.records, ['before']);
    assert.match(first.objects[0].key, /^first\//);
    await cli(['stream', 'put', 'moving', '--data', 'after\n']);
    await cli(['stream', 'flush', 'moving']);
    const second = lakeRecords(server, 'moving-b');
    assert.deepEqual(second.records, ['after']);
    assert.match(second.objects[0].key, /^second\/.*\.gz$/);
    const described = JSON.parse((await cli(['stream', 'describe', 'moving', '--json'])).stdout);
    assert.equal(described.config.bucket, 'moving-b');
    assert.equal(described.config.compression, 'gzip');
    assert.equal(described.config.buffer_interval_s, 900);  // not given: kept
    // Kept across a restart.
    await server.restart();
    const again = JSON.parse((await cli(['stream', 'describe', 'moving', '--json'])).stdout);
    assert.equal(again.config.prefix, 'second/');
    // Bad updates name the problem and change nothing.
    for (const [args, why] of [[['--buffer-size-mib', '500'], /--buffer-size-mib: 500 is not in 1..128/],
                               [['--prefix', '!{nonsense:x}/'], /prefix/],
                               [[], /nothing to change/]]) {
      const bad = await server.cli(['stream', 'update', 'moving', ...args]);
      assert.notEqual(bad.code, 0, describeRun(`stream update ${args.join(' ')}`, bad));
      assert.match(bad.stderr, why);
    }
    const missing = await server.cli(['stream', 'update', 'nope', '--prefix', 'x/']);
    assert.match(missing.stderr, /delivery stream 'nope' does not exist/);
    assert.equal(JSON.parse((await cli(['stream', 'describe', 'moving', '--json'])).stdout).config.buffer_size_mib, 5);
  });

  test('bad settings and unknown streams are refused with the reason', async () => {
    let r = await server.cli(['stream', 'create', 'bad', '--bucket', 'bucket-one', '--buffer-size-mib', '500']);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /--buffer-size-mib: 500 is not in 1\.\.128/);
    r = await server.cli(['stream', 'create', 'bad', '--bucket', 'Bad_Bucket']);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /--bucket: bucket name 'Bad_Bucket' contains 'B'/);
    r = await server.cli(['stream', 'put', 'nope', '--data', 'x']);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /nope/);
    r = await server.cli(['stream', 'create', 'bad', '--bucket', 'bucket-one', '--prefix', '!{nonsense:x}/']);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /--prefix: unknown expression 'nonsense:x'/);
    // Messages that do not begin with a setting's field stay as they are.
    await server.cliOk(['stream', 'create', 'twice', '--bucket', 'bucket-one']);
    r = await server.cli(['stream', 'create', 'twice', '--bucket', 'bucket-one']);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /^tributary stream create: delivery stream 'twice' already exists/m);
  });
});
