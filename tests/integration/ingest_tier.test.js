// Several servers on one PostgreSQL schema: a control server (role `all`) and an ingest
// server (`--role ingest`) beside it, the lake on an S3-compatible server (s3rver) they
// share. Devices whose kits the control server made connect to either; both route their
// messages through the same rules into the same streams' bucket, each from a WAL of its
// own. What one server changes (a stream and a rule created, a rule disabled, a thing
// deactivated, a stream deleted) the other follows within moments, through PostgreSQL's
// LISTEN/NOTIFY; the ingest server disconnects a thing deactivated on the control server.
// Both bridge MQTT messages over a nats-server (`--broker-nats-url`): a subscriber on one
// server receives, once, what a device publishes on the other, a command reaches a device
// connected to the other (an MQTT 5 request's properties with it, and its reply comes
// back), and a retained message is kept by both; a device connecting to one server ends
// its session on the other; a server receives only
// what its subscribers and live-topic watchers want. Each lists both servers (their
// heartbeats in the schema), and the ingest server as stopped once it stops.
// An ingest server refuses to start without the control server's CA, a PostgreSQL
// metadata URL or a shared lake, and refuses the control server's API paths.
//
// Runs under scripts/with-postgres (ctest -R integration_ingest_tier):
//   scripts/with-postgres env TRIBUTARY_BIN=build/tributary NODE_PATH=tests/node_modules \
//     node --test tests/integration/ingest_tier.test.js
'use strict';

const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');
const { Server, describeRun, makeTempDir, thingName, pollutionPayload, sleep, eventually, startRefused } = require('./harness');
const { thingOptions, adminOptions, connect, connectRefused, subscribe, waitMessages, publish, end } = require('./clients');
const { NatsServer } = require('./nats');
const { createRoutedStream } = require('./routing');
const { startS3, listKeys, getObject } = require('./s3');

const PG_URL = process.env.TRIBUTARY_TEST_POSTGRES_URL;
const BUCKET = 'fleet-lake';

// Every record line in the bucket's objects under `prefix`.
async function lakeRecords(s3, prefix = '') {
  const records = [];
  for (const key of await listKeys(s3, BUCKET, prefix)) {
    for (const line of (await getObject(s3, BUCKET, key)).toString('utf8').split('\n')) if (line) records.push(line);
  }
  return records;
}

if (!PG_URL) {
  test('servers sharing one metadata schema', () => {
    assert.fail('TRIBUTARY_TEST_POSTGRES_URL is not set: run this file under scripts/with-postgres ' +
                '(ctest -R integration_ingest_tier does)');
  });
} else {
  describe('a control server and an ingest server on one schema', { timeout: 120000 }, () => {
    const schema = `ingest_${crypto.randomBytes(5).toString('hex')}`;
    const metadataUrl = `${PG_URL}${PG_URL.includes('?') ? '&' : '?'}schema=${schema}`;
    let s3;
    let nats;
    let lakeArgs;
    let control;
    let ingest;
    const clients = [];

    before(async () => {
      s3 = await startS3([BUCKET]);
      process.env.AWS_ACCESS_KEY_ID = s3.accessKeyId;
      process.env.AWS_SECRET_ACCESS_KEY = s3.secretAccessKey;
      nats = await NatsServer.start();
      lakeArgs = ['--lake-backend', 's3', '--s3-endpoint', `http://127.0.0.1:${s3.port}`,
                  '--broker-nats-url', nats.url];
      control = await Server.start({ tag: 'control', args: ['--metadata-url', metadataUrl, ...lakeArgs] });
    });
    after(async () => {
      for (const c of clients) await end(c);
      if (ingest) await ingest.dispose();
      if (control) await control.dispose();
      if (s3) s3.child.stdin.end();
      if (nats) await nats.stop();
    });

    const ingestArgs = () => ['--role', 'ingest', '--metadata-url', metadataUrl, ...lakeArgs];

    test('an ingest server refuses to start without what it needs', async () => {
      const refused = async (extra, expected) => {
        const r = await startRefused(extra, { tag: 'ingest-refused' });
        assert.notEqual(r.code, 0, describeRun('tributary server (must be refused)', r));
        assert.match(r.stderr, expected, describeRun('tributary server', r));
      };
      await refused(ingestArgs(), /role 'ingest': .*\/pki\/ca\.crt is missing\. Copy ca\.crt and ca\.key from the control server's/);
      await refused(['--role', 'ingest', ...lakeArgs], /--role \(role\) 'ingest' needs metadata_url \(--metadata-url\)/);
      await refused(['--role', 'ingest', '--metadata-url', metadataUrl], /--role \(role\) 'ingest' needs a lake the servers share/);
      await refused(['--metadata-url', `${metadataUrl}x`, ...lakeArgs.slice(0, 4), '--broker-nats-url', 'nats://127.0.0.1:1'],
                    /--broker-nats-url: .*127\.0\.0\.1:1/);
      // The control server holds the schema: a second one is still refused.
      await refused(['--metadata-url', metadataUrl, ...lakeArgs], /is in use by another server/);
    });

    test('devices on either server land in one lake, and each server follows the other', async () => {
      const dir = makeTempDir('ingest-rules');
      await createRoutedStream(control, dir, { stream: 'fleet', bucket: BUCKET, filter: 'devices/+/pollution',
                                               rule: 'to_lake', streamArgs: ['--buffer-interval-s', '1'] });
      const kitA = await control.createThing(thingName('on-control'));
      const kitB = await control.createThing(thingName('on-ingest'));

      // The ingest server: the control server's CA (and, for the CLI, its admin token).
      const ingestDir = makeTempDir('ingest');
      fs.mkdirSync(path.join(ingestDir, 'pki'), { mode: 0o700 });
      for (const f of ['ca.crt', 'ca.key']) {
        fs.copyFileSync(path.join(control.dataDir, 'pki', f), path.join(ingestDir, 'pki', f));
        fs.chmodSync(path.join(ingestDir, 'pki', f), 0o600);
      }
      fs.copyFileSync(path.join(control.dataDir, 'admin.token'), path.join(ingestDir, 'admin.token'));
      ingest = await Server.start({ dataDir: ingestDir, args: ingestArgs() });
      const info = await ingest.api('GET', '/v1/server');
      assert.equal(info.json.role, 'ingest', info.text);
      const notHere = await ingest.api('GET', '/v1/endpoints');
      assert.equal(notHere.status, 409, notHere.text);
      assert.match(notHere.json.error.message, /\/v1\/endpoints is served by the control server: this server's role is 'ingest'/);
      assert.equal((await ingest.api('GET', '/console/')).status, 404, 'no console on an ingest server');
      // What existed before it started: the stream and the rule run here too.
      const streams = await ingest.api('GET', '/v1/streams');
      assert.deepEqual(streams.json.streams.map((s) => s.config.name), ['fleet'], streams.text);

      // A device on each server, both with kits of the control server's CA.
      const onControl = await connect(thingOptions(control, kitA));
      const onIngest = await connect(thingOptions(ingest, kitB));
      clients.push(onControl, onIngest);
      const sent = [];
      for (let i = 0; i < 40; i++) {
        for (const [client, kit] of [[onControl, kitA], [onIngest, kitB]]) {
          const payload = JSON.stringify({ ...JSON.parse(pollutionPayload(i)), device: kit.thing });
          assert.ifError((await publish(client, kit.topic, payload)).err);
          sent.push(payload);
        }
      }
      await eventually(async () => (await lakeRecords(s3)).length >= sent.length,
                       `${sent.length} records in the lake\n${ingest.tail(20)}`);
      assert.deepEqual((await lakeRecords(s3)).sort(), [...sent].sort(), 'each record exactly once');

      // MQTT across the servers (--broker-nats-url): what a device publishes on one reaches
      // a subscriber on the other once, a command reaches a device connected elsewhere, and
      // a retained message is kept by both. Nobody subscribed yet: the fleet's telemetry
      // was not sent to either server.
      const bridgeMetric = async (server, name) => {
        const text = await (await fetch(`http://127.0.0.1:${server.httpPort}/metrics`)).text();
        const m = text.match(new RegExp(`^${name} (\\d+)$`, 'm'));
        assert.ok(m, `${name} in /metrics`);
        return Number(m[1]);
      };
      for (const server of [control, ingest]) {
        assert.equal(await bridgeMetric(server, 'tributary_bridge_received_total'), 0, 'received without interest');
      }
      const watcher = await connect(adminOptions(control, { clientId: 'watcher' }));
      clients.push(watcher);
      await subscribe(watcher, `devices/${kitB.thing}/#`);
      await subscribe(onIngest, `devices/${kitB.thing}/cmd`);
      // A subscription reaches NATS a moment after its SUBACK: publish numbered probes on
      // `topic` until `to` has one. Returns how many were sent.
      const probeUntilReceived = async (from, to, topic, what) => {
        let sent = 0;
        await eventually(async () => {
          assert.ifError((await publish(from, topic, `probe-${sent++}`)).err);
          await sleep(50);
          return to.received.some((m) => m.topic === topic);
        }, what);
        return sent;
      };
      const probes = await probeUntilReceived(onIngest, watcher, `devices/${kitB.thing}/probe`,
                                              'the control server\'s subscription known through NATS');
      const reading = JSON.stringify({ device: kitB.thing, bridged: true });
      assert.ifError((await publish(onIngest, kitB.topic, reading)).err);
      await waitMessages(watcher, 1, { what: 'the ingest server\'s message on the control server',
                                       filter: (m) => m.payload === reading });
      await probeUntilReceived(watcher, onIngest, `devices/${kitB.thing}/cmd`,
                               'the ingest server\'s subscription known through NATS');
      assert.ifError((await publish(watcher, `devices/${kitB.thing}/cmd`, 'reboot')).err);
      await waitMessages(onIngest, 1, { what: 'a command from the control server on the ingest server',
                                        filter: (m) => m.payload === 'reboot' });
      // MQTT 5 request/response across the servers: the request's response topic,
      // correlation data and user properties reach the device, and its reply comes back.
      const replyTopic = `devices/${kitB.thing}/reply`;
      const correlation = Buffer.from([0, 1, 255, 13, 10]);
      assert.ifError((await publish(watcher, `devices/${kitB.thing}/cmd`, 'status?', {
        qos: 1, properties: { responseTopic: replyTopic, correlationData: correlation, contentType: 'text/plain',
                              userProperties: { trace: 't-1' } } })).err);
      const [request] = await waitMessages(onIngest, 1, { what: 'a request with properties on the ingest server',
                                                          filter: (m) => m.payload === 'status?' });
      const props = request.packet.properties || {};
      assert.equal(props.responseTopic, replyTopic);
      assert.deepEqual(Buffer.from(props.correlationData || []), correlation);
      assert.equal(props.contentType, 'text/plain');
      assert.deepEqual({ ...props.userProperties }, { trace: 't-1' });
      assert.ifError((await publish(onIngest, props.responseTopic, 'ok', {
        qos: 1, properties: { correlationData: props.correlationData } })).err);
      const [reply] = await waitMessages(watcher, 1, { what: 'the reply on the control server',
                                                       filter: (m) => m.topic === replyTopic });
      assert.deepEqual(Buffer.from(reply.packet.properties?.correlationData || []), correlation);
      // ... and one the console sends (POST /v1/live/publish), as a device's would be.
      const sentByConsole = await control.api('POST', '/v1/live/publish',
                                              { topic: `devices/${kitB.thing}/cmd`, payload: 'stop', qos: 1 });
      assert.equal(sentByConsole.status, 200, sentByConsole.text);
      await waitMessages(onIngest, 1, { what: 'the console\'s command on the ingest server',
                                        filter: (m) => m.payload === 'stop' });
      assert.ifError((await publish(onControl, `devices/${kitA.thing}/state`, 'on', { qos: 1, retain: true })).err);
      const late = await connect(adminOptions(ingest, { clientId: 'late' }));
      clients.push(late);
      await eventually(async () => {
        await subscribe(late, `devices/${kitA.thing}/state`);
        return late.received.some((m) => m.payload === 'on' && m.packet.retain);
      }, 'the control server\'s retained message on the ingest server');
      await sleep(300);
      assert.equal(watcher.received.filter((m) => m.payload === reading).length, 1, 'bridged once');
      for (let i = 0; i < probes; i++) {
        const copies = watcher.received.filter((m) => m.topic === `devices/${kitB.thing}/probe` && m.payload === `probe-${i}`);
        assert.ok(copies.length <= 1, `probe-${i} bridged twice`);
      }
      const metrics = await (await fetch(`http://127.0.0.1:${ingest.httpPort}/metrics`)).text();
      assert.match(metrics, /^tributary_bridge_forwarded_total [1-9]\d*$/m);
      assert.match(metrics, /^tributary_bridge_received_total [1-9]\d*$/m);
      assert.ok(await bridgeMetric(control, 'tributary_bridge_interest_filters') >= 1);

      // A live-topic watch (the console's) on the ingest server sees a device on the control
      // server; once it is deleted, the ingest server receives that device's messages no more.
      const watch = await ingest.api('POST', '/v1/live/watches', { filter: `devices/${kitA.thing}/+` });
      assert.equal(watch.status, 201, watch.text);
      await eventually(async () => {
        assert.ifError((await publish(onControl, kitA.topic, 'seen-by-watch')).err);
        const polled = await ingest.api('GET', `/v1/live/watches/${watch.json.id}/messages?after=0&wait_ms=300`);
        return polled.json?.messages?.some((m) => m.payload === 'seen-by-watch' && m.topic === kitA.topic);
      }, 'the control server\'s device in a watch on the ingest server');
      assert.equal((await ingest.api('DELETE', `/v1/live/watches/${watch.json.id}`)).status, 200);
      await sleep(300);
      const receivedBefore = await bridgeMetric(ingest, 'tributary_bridge_received_total');
      for (let i = 0; i < 5; i++) assert.ifError((await publish(onControl, kitA.topic, `unwatched-${i}`)).err);
      await sleep(500);
      assert.equal(await bridgeMetric(ingest, 'tributary_bridge_received_total'), receivedBefore,
                   'the ingest server still received a device it has no subscriber or watch for');

      // One client id, one session across the servers: kitA's device connecting to the
      // ingest server ends its connection (and session) on the control server, 0x8E.
      const takenOver = new Promise((resolve) => {
        onControl.once('disconnect', (packet) => resolve(packet.reasonCode));
        onControl.once('close', () => resolve('closed'));
      });
      const moved = await connect(thingOptions(ingest, kitA));
      clients.push(moved);
      const reason = await Promise.race([takenOver, sleep(8000).then(() => 'still connected')]);
      assert.equal(reason, 0x8E, `the control server's connection of ${kitA.thing}: ${reason}\n${control.tail(10)}`);
      await sleep(300);
      assert.ok(moved.connected, 'the newer connection, on the ingest server, was ended too');

      // Created on the control server while the ingest server runs: followed there.
      await createRoutedStream(control, dir, { stream: 'hot', bucket: BUCKET, filter: 'devices/+/hot',
                                               rule: 'hot_rule',
                                               streamArgs: ['--prefix', 'hot/', '--buffer-interval-s', '1'] });
      await eventually(async () => (await ingest.api('GET', '/v1/rules/hot_rule')).status === 200,
                       'rule hot_rule on the ingest server');
      const hot = JSON.stringify({ device: kitB.thing, celsius: 81 });
      assert.ifError((await publish(onIngest, `devices/${kitB.thing}/hot`, hot)).err);
      await eventually(async () => (await lakeRecords(s3, 'hot/')).includes(hot),
                       `the hot reading under hot/ in the lake\n${ingest.tail(20)}`);

      // Created on the ingest server: followed by the control server.
      const ruleFile = path.join(dir, 'ingest_made.json');
      fs.writeFileSync(ruleFile, JSON.stringify({ topicRulePayload: { sql: "SELECT * FROM 'nowhere/#'", actions: [] } }));
      await ingest.cliOk(['rule', 'create', 'ingest_made', '--payload', ruleFile]);
      await eventually(async () => (await control.api('GET', '/v1/rules/ingest_made')).status === 200,
                       'rule ingest_made on the control server');

      // Disabled on the control server: the ingest server stops routing with it.
      await control.cliOk(['rule', 'disable', 'to_lake']);
      await eventually(async () => (await ingest.api('GET', '/v1/rules/to_lake')).json?.ruleDisabled === true,
                       'rule to_lake disabled on the ingest server');
      const ignored = JSON.stringify({ ...JSON.parse(pollutionPayload(999)), device: kitB.thing });
      assert.ifError((await publish(onIngest, kitB.topic, ignored)).err);
      await sleep(2500);  // past the 1 s buffer interval
      assert.ok(!(await lakeRecords(s3)).includes(ignored), 'a disabled rule routed a message on the ingest server');

      // Deleted on the control server: stopped on the ingest server.
      await control.cliOk(['stream', 'delete', 'hot']);
      await eventually(async () => (await ingest.api('GET', '/v1/streams/hot')).status === 404,
                       'stream hot gone from the ingest server');

      // A thing deactivated on the control server is disconnected from the ingest server,
      // and its next connection there is refused.
      const closed = new Promise((resolve) => onIngest.once('close', resolve));
      await control.cliOk(['thing', 'deactivate', kitB.thing]);
      await Promise.race([closed, sleep(10000).then(() => assert.fail(`the ingest server kept ${kitB.thing} connected`))]);
      onIngest.end(true);
      const again = await connectRefused(thingOptions(ingest, kitB, { reconnectPeriod: 0 }));
      assert.notEqual(again.connackCode ?? again.error ?? 'refused', 0);
    });

    test('each server lists the deployment\'s servers; one that stops stays listed until forgotten', async () => {
      assert.ok(ingest, 'the ingest server the test before started');
      const idOf = (server) => fs.readFileSync(path.join(server.dataDir, 'server.id'), 'utf8').trim();
      const controlId = idOf(control);
      const ingestId = idOf(ingest);
      for (const [from, selfId] of [[control, controlId], [ingest, ingestId]]) {
        const r = await from.api('GET', '/v1/servers');
        assert.equal(r.status, 200, r.text);
        assert.equal(r.json.servers[0].id, selfId, 'the server answering comes first');
        const byId = Object.fromEntries(r.json.servers.map((s) => [s.id, s]));
        assert.deepEqual(Object.keys(byId).sort(), [controlId, ingestId].sort(), r.text);
        assert.deepEqual([byId[controlId].role, byId[controlId].status], ['all', 'running']);
        assert.deepEqual([byId[ingestId].role, byId[ingestId].status], ['ingest', 'running']);
        assert.equal(byId[ingestId].listeners.mqtt_tls_port, ingest.tlsPort);
        assert.equal(byId[controlId].listeners.http_port, control.httpPort);
        assert.deepEqual(byId[ingestId].bridge, { connected: true });
      }
      // The ingest server's traffic (its device's 40 messages and more), as its heartbeats
      // report it to the control server.
      await eventually(async () => {
        const r = await control.api('GET', '/v1/servers');
        return r.json.servers.find((s) => s.id === ingestId).messages_received >= 40 ? true : null;
      }, 'the ingest server\'s messages in the control server\'s list');
      const refused = await control.api('DELETE', `/v1/servers/${ingestId}`);
      assert.equal(refused.status, 409, refused.text);
      assert.match(refused.json.error.message, new RegExp(`server ${ingestId} is running`));

      const stopped = await ingest.stop();
      assert.deepEqual([stopped.code, stopped.signal], [0, null], ingest.tail(20));
      const after = await control.api('GET', '/v1/servers');
      const gone = after.json.servers.find((s) => s.id === ingestId);
      assert.equal(gone.status, 'stopped', after.text);
      assert.ok(gone.stopped_at, after.text);
      await control.cliOk(['servers', 'forget', ingestId]);
      assert.deepEqual((await control.api('GET', '/v1/servers')).json.servers.map((s) => s.id), [controlId]);
    });
  });
}
