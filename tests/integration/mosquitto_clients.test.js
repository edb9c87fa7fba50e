// Debian's mosquitto_pub and mosquitto_sub against Tributary over mutual TLS with a
// connection kit from `thing create`, for MQTT 3.1.1 and 5: QoS 0/1/2 delivery of the
// reference pollution payload, the per-thing policy, retained messages (also across
// a graceful restart), wills on an abrupt disconnect, and persistent sessions that
// get every QoS 1/2 message published while they were offline, across a restart too.
'use strict';

const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { Server, describeRun, thingName, pollutionPayload, sleep } = require('./harness');
const { mosqArgs, mosquittoPub, MosquittoSub } = require('./clients');

for (const version of ['mqttv311', 'mqttv5']) {
  describe(`mosquitto clients over mTLS, ${version}`, { timeout: 55000 }, () => {
    let server;
    const subs = [];
    const startSub = (args) => { const s = new MosquittoSub(args); subs.push(s); return s; };
    const pub = async (args, what) => {
      const r = await mosquittoPub(args);
      assert.equal(r.code, 0, `${describeRun(`mosquitto_pub ${what}`, r)}\n${server.tail(30)}`);
    };
    const adminArgs = () => mosqArgs(server, { admin: true, version });
    const thingArgs = (kit) => mosqArgs(server, { kit, version });

    before(async () => { server = await Server.start({ tag: `mosq-${version}` }); });
    after(async () => {
      for (const s of subs) await s.stop('SIGKILL');
      if (server) await server.dispose();
    });

    test('QoS 0, 1 and 2 publishes of the pollution payload reach a subscriber', async () => {
      const kit = await server.createThing(thingName('qos'));
      const sub = startSub([...adminArgs(), '-q', '2', '-t', `devices/${kit.thing}/#`]);
      assert.deepEqual(await sub.subscribed(), [2], 'admin subscription to devices/<thing>/# not granted QoS 2');
      const sent = [];
      for (const qos of [0, 1, 2]) {
        const payload = pollutionPayload(qos);
        sent.push({ qos, payload });
        await pub([...thingArgs(kit), '-q', String(qos), '-t', kit.topic, '-m', payload], `QoS ${qos}`);
      }
      const got = await sub.waitMessages(3);
      await sleep(300);
      assert.equal(sub.messages().length, 3, `expected exactly 3 messages\n${sub.describe()}`);
      for (const { qos, payload } of sent) {
        const m = got.find((x) => x.payload === payload);
        assert.ok(m, `QoS ${qos} message not received intact\n${sub.describe()}`);
        assert.equal(m.topic, kit.topic);
        assert.equal(m.qos, qos, `QoS ${qos} message delivered with QoS ${m.qos}`);
        assert.equal(m.retain, false);
        JSON.parse(m.payload);
      }
    });

    test('a thing receives what admin publishes under devices/<thing>/ and is refused elsewhere', async () => {
      const kit = await server.createThing(thingName('recv'));
      const sub = startSub([...thingArgs(kit), '-q', '1', '-t', `devices/${kit.thing}/cmd/#`]);
      assert.deepEqual(await sub.subscribed(), [1]);
      const payload = pollutionPayload(7);
      await pub([...adminArgs(), '-q', '1', '-t', `devices/${kit.thing}/cmd/config`, '-m', payload], 'admin -> thing');
      const [m] = await sub.waitMessages(1);
      assert.equal(m.payload, payload);
      assert.equal(m.topic, `devices/${kit.thing}/cmd/config`);
      await sub.stop();

      const other = await server.createThing(thingName('other'));
      const denied = startSub([...thingArgs(kit), '-q', '1', '-t', `devices/${other.thing}/#`]);
      const failure = version === 'mqttv5' ? 0x87 : 0x80;
      assert.deepEqual(await denied.subscribed(), [failure],
                       `subscription to another thing's topics not refused with ${failure}\n${denied.describe()}`);
      await denied.stop();

      // Publishing into another thing's topics is dropped (MQTT 5: PUBACK 0x87, which
      // mosquitto_pub reports as "Not authorized").
      const watcher = startSub([...adminArgs(), '-q', '1', '-t', `devices/${other.thing}/#`]);
      await watcher.subscribed();
      const r = await mosquittoPub([...thingArgs(kit), '-q', '1', '-t', other.topic, '-m', pollutionPayload(8)]);
      if (version === 'mqttv5') {
        assert.match(r.stderr, /not authori[sz]ed/i, `no PUBACK 0x87 reported\n${describeRun('mosquitto_pub', r)}`);
      }
      await sleep(500);
      assert.deepEqual(watcher.messages(), [], `a publish into another thing's topics was delivered\n${watcher.describe()}`);
    });

    test('a retained message reaches later subscribers, also after a graceful restart', async () => {
      const kit = await server.createThing(thingName('retain'));
      const topic = `devices/${kit.thing}/state`;
      const payload = pollutionPayload(42);
      await pub([...thingArgs(kit), '-q', '1', '-r', '-t', topic, '-m', payload], 'retained');

      const check = async (when) => {
        const sub = startSub([...adminArgs(), '-q', '1', '-t', topic]);
        const [m] = await sub.waitMessages(1, 8000);
        assert.equal(m.payload, payload, `retained payload differs ${when}`);
        assert.equal(m.retain, true, `retained message ${when} has no retain flag`);
        assert.equal(m.topic, topic);
        await sub.stop();
      };
      await check('before the restart');
      await server.restart();
      await check('after a SIGTERM restart');
    });

    test('the will is published when the client dies without DISCONNECT', async () => {
      const kit = await server.createThing(thingName('will'));
      const willTopic = `devices/${kit.thing}/status`;
      const watcher = startSub([...adminArgs(), '-q', '1', '-t', willTopic]);
      await watcher.subscribed();
      const willArgs = [...thingArgs(kit), '-k', '5', '-t', `devices/${kit.thing}/cmd`,
                        '--will-topic', willTopic, '--will-qos', '1'];

      const clean = startSub([...willArgs, '--will-payload', 'clean-exit']);
      await clean.subscribed();
      await clean.stop('SIGINT');
      const dying = startSub([...willArgs, '--will-payload', 'died']);
      await dying.subscribed();
      await dying.stop('SIGKILL');

      // On SIGINT mosquitto_sub sends DISCONNECT; under MQTT 5 with reason 0x04 (disconnect
      // with will message), which asks the server to publish the will all the same.
      const expected = version === 'mqttv5' ? ['clean-exit', 'died'] : ['died'];
      await watcher.waitMessages(expected.length, 10000);
      await sleep(500);
      assert.deepEqual(watcher.messages().map((x) => x.payload), expected,
                       `wrong wills on ${willTopic} (3.1.1 DISCONNECT drops the will)\n${watcher.describe()}`);
    });

    test('a persistent session gets every QoS 1 and 2 message sent while offline, across a restart', async () => {
      const kit = await server.createThing(thingName('persist'));
      const topic = `devices/${kit.thing}/inbox`;
      const sessionArgs = () => [...thingArgs(kit), '-c', '-q', '2', '-t', topic,
                                 ...(version === 'mqttv5' ? ['-x', '3600'] : [])];
      const first = startSub(sessionArgs());
      assert.deepEqual(await first.subscribed(), [2]);
      await first.stop('SIGINT');

      const sent = [];
      const send = async (qos) => {
        const payload = pollutionPayload(sent.length);
        sent.push({ qos, payload });
        await pub([...adminArgs(), '-q', String(qos), '-t', topic, '-m', payload], `offline QoS ${qos}`);
      };
      for (const qos of [1, 2, 1, 2, 1, 2]) await send(qos);
      await server.restart();
      for (const qos of [1, 2]) await send(qos);

      const second = startSub(sessionArgs());
      const got = await second.waitMessages(sent.length, 10000);
      await sleep(500);
      const all = second.messages();
      assert.equal(all.length, sent.length, `expected exactly ${sent.length} queued messages\n${second.describe()}`);
      // Each message came from its own publisher connection, so MQTT promises no order across them.
      const key = (m) => `${m.qos} ${m.payload}`;
      assert.deepEqual(got.map(key).sort(), sent.map(key).sort(),
                       `queued messages missing, changed or delivered with another QoS\n${second.describe()}`);
    });
  });
}
