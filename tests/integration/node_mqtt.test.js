// Node's `mqtt` package against Tributary: the connection kit's own device.js, the
// default per-thing policy seen by a real client (PUBACK 0x87, SUBACK failures,
// nothing leaked to other subscribers), refused connections (wrong client id, no
// certificate, a deactivated thing, which is also cut off while connected) and MQTT
// over secure WebSocket.
'use strict';

const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const { Server, run, describeRun, thingName, pollutionPayload, sleep, withTimeout } = require('./harness');
const { thingOptions, adminOptions, connect, connectRefused, waitMessages, subscribe, publish, end } =
  require('./clients');

const POLLUTION_FIELDS = ['ozone', 'particulate_matter', 'carbon_monoxide', 'sulfur_dioxide', 'nitrogen_dioxide',
                          'longitude', 'latitude', 'timestamp'];

describe('Node mqtt client', { timeout: 100000 }, () => {
  let server;
  const clients = [];
  const open = async (options, what) => { const c = await connect(options, { what }); clients.push(c); return c; };

  before(async () => { server = await Server.start({ tag: 'node-mqtt' }); });
  after(async () => {
    for (const c of clients) await end(c);
    if (server) await server.dispose();
  });

  test("the kit's device.js --count 5 publishes 5 pollution messages that a subscriber receives", async () => {
    const kit = await server.createThing(thingName('devjs'));
    const admin = await open(adminOptions(server), 'admin subscriber');
    await subscribe(admin, kit.topic, { qos: 1 });
    const r = await run('node', [path.join(kit.dir, 'device.js'), '--count', '5'], { cwd: kit.dir, timeoutMs: 30000 });
    assert.equal(r.code, 0, `${describeRun('node device.js --count 5', r)}\n${server.tail(30)}`);
    const got = await waitMessages(admin, 5, { what: `messages on ${kit.topic}` });
    await sleep(300);
    assert.equal(admin.received.length, 5, `device.js --count 5 delivered ${admin.received.length} messages`);
    for (const m of got) {
      assert.equal(m.topic, kit.topic);
      const body = JSON.parse(m.payload);
      for (const f of POLLUTION_FIELDS) assert.ok(f in body, `device.js payload lacks ${f}: ${m.payload}`);
    }
  });

  for (const version of [5, 4]) {
    const v = version === 5 ? 'MQTT 5' : 'MQTT 3.1.1';

    test(`${v}: a thing publishes and subscribes under its own prefix only`, async () => {
      const kit = await server.createThing(thingName(`pol${version}`));
      const other = await server.createThing(thingName(`oth${version}`));
      const admin = await open(adminOptions(server), 'admin subscriber');
      await subscribe(admin, `devices/${kit.thing}/#`, { qos: 1 });
      await subscribe(admin, `devices/${other.thing}/#`, { qos: 1 });
      const dev = await open(thingOptions(server, kit, { version }), `${v} thing connect`);

      const own = pollutionPayload(1);
      const ok = await publish(dev, kit.topic, own, { qos: 1 });
      assert.equal(ok.err ?? null, null, `publish to its own topic failed: ${ok.err}`);

      const stolen = pollutionPayload(2);
      const denied = await publish(dev, other.topic, stolen, { qos: 1 });
      if (version === 5) {
        assert.ok(denied.err, 'publish to another thing\'s topic was acknowledged as success');
        assert.equal(denied.err.code, 0x87, `PUBACK reason ${denied.err.code}, expected 0x87 (not authorized)`);
        assert.equal(denied.packet?.reasonCode, 0x87);
      }
      const granted = await subscribe(dev, `devices/${other.thing}/#`, { qos: 1 });
      assert.equal(granted[0].qos, version === 5 ? 0x87 : 0x80, `SUBACK for another thing's topics: ${JSON.stringify(granted)}`);

      // Still connected and allowed on its own topics after the refusals.
      const later = pollutionPayload(3);
      const ok2 = await publish(dev, kit.topic, later, { qos: 1 });
      assert.equal(ok2.err ?? null, null, `publish after a refused one failed: ${ok2.err}`);
      await waitMessages(admin, 2, { filter: (m) => m.topic === kit.topic, what: 'own-topic messages' });
      await sleep(500);
      assert.deepEqual(admin.received.map((m) => m.payload), [own, later],
                       'the subscriber did not get exactly the two allowed messages (a denied publish leaked?)');
      assert.ok(dev.connected, 'the thing was disconnected');
    });

    test(`${v}: a client id other than the thing name is refused`, async () => {
      const kit = await server.createThing(thingName(`cid${version}`));
      const r = await connectRefused(thingOptions(server, kit, { version, clientId: `${kit.thing}-impostor` }));
      if (r.connackCode !== undefined) {
        assert.ok(version === 5 ? r.connackCode >= 0x80 : r.connackCode !== 0, `CONNACK code ${r.connackCode}`);
      }
    });

    test(`${v}: a client without a certificate is refused`, async () => {
      const kit = await server.createThing(thingName(`nocert${version}`));
      const options = thingOptions(server, kit, { version });
      delete options.cert;
      delete options.key;
      const r = await connectRefused(options);
      if (r.connackCode !== undefined) {
        assert.ok(version === 5 ? r.connackCode >= 0x80 : r.connackCode !== 0, `CONNACK code ${r.connackCode}`);
      }
      // Admin credentials without a certificate are accepted.
      const admin = await open(adminOptions(server, { version }), 'admin without certificate');
      assert.ok(admin.connected);
    });
  }

  test('deactivating a connected thing closes its connection at once and refuses reconnects', async () => {
    const kit = await server.createThing(thingName('deact'));
    const dev = await open(thingOptions(server, kit), 'thing connect');
    const closed = new Promise((resolve) => dev.once('close', () => resolve(Date.now())));
    const r = await server.cli(['thing', 'deactivate', kit.thing]);
    assert.equal(r.code, 0, describeRun('thing deactivate', r));
    const returned = Date.now();
    const closedAt = await withTimeout(closed, 5000, 'the deactivated thing\'s connection to close');
    assert.ok(closedAt - returned < 2000, `connection closed ${closedAt - returned} ms after deactivate returned`);

    await connectRefused(thingOptions(server, kit), { what: 'reconnect of a deactivated thing' });
    const r2 = await server.cli(['thing', 'activate', kit.thing]);
    assert.equal(r2.code, 0, describeRun('thing activate', r2));
    const again = await open(thingOptions(server, kit), 'reconnect after activate');
    assert.ok(again.connected);
  });

  for (const version of [5, 4]) {
    test(`MQTT ${version === 5 ? '5' : '3.1.1'} over secure WebSocket: publish and subscribe`, async () => {
      const url = `wss://localhost:${server.wsPort}/mqtt`;
      const opts = { ...adminOptions(server, { version }), wsOptions: { ca: server.ca } };
      delete opts.host;
      delete opts.protocol;
      delete opts.port;
      const c = await connect(opts, { url, what: `connect ${url}` });
      clients.push(c);
      const topic = `devices/ws-${version}-${process.pid}/pollution`;
      await subscribe(c, topic, { qos: 1 });
      const payloads = [pollutionPayload(1), pollutionPayload(2)];
      for (const p of payloads) {
        const r = await publish(c, topic, p, { qos: 1 });
        assert.equal(r.err ?? null, null, `publish over WebSocket failed: ${r.err}`);
      }
      const got = await waitMessages(c, 2, { what: 'messages over WebSocket' });
      assert.deepEqual(got.map((m) => m.payload), payloads);
    });
  }
});
