// The reference device's SDK (aws-iot-device-sdk's `device`, built as the article's
// processPollutionData does) connects to Tributary with a connection kit from
// `thing create`, publishes the reference pollution payload to the kit's topic (the
// article's topic is empty) and receives what is published to it; a subscriber gets
// every message intact.
'use strict';

const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const awsIot = require('aws-iot-device-sdk');
const { Server, thingName, pollutionPayload, sleep, withTimeout } = require('./harness');
const { adminOptions, connect, subscribe, publish, waitMessages, end } = require('./clients');

describe('aws-iot-device-sdk device', { timeout: 100000 }, () => {
  let server;
  let admin;
  let device;

  before(async () => { server = await Server.start({ tag: 'aws-sdk' }); });
  after(async () => {
    if (device) await withTimeout(new Promise((resolve) => device.end(true, resolve)), 3000, 'SDK end').catch(() => {});
    await end(admin);
    if (server) await server.dispose();
  });

  test('connects with a kit, publishes the reference payload and receives commands', async () => {
    const kit = await server.createThing(thingName('awsdev'));
    admin = await connect(adminOptions(server, { version: 4 }), { what: 'admin subscriber' });
    await subscribe(admin, kit.topic, { qos: 1 });

    // The options the reference device passes (region and debug are not needed for a
    // non-AWS host; host is given, so the SDK does not derive one from a region).
    device = awsIot.device({
      keyPath: kit.keyPath,
      certPath: kit.certPath,
      caPath: kit.caPath,
      clientId: kit.thing,
      host: 'localhost',
      port: kit.endpoint.mqtt_tls_port,
      protocol: 'mqtts',
      keepalive: 30,
      baseReconnectTimeMs: 1000,
    });
    const events = [];
    for (const e of ['connect', 'close', 'reconnect', 'offline']) device.on(e, () => events.push(e));
    device.on('error', (err) => events.push(`error: ${err.message}`));
    const commands = [];
    device.on('message', (topic, payload) => commands.push({ topic, payload: payload.toString() }));

    await withTimeout(new Promise((resolve) => device.once('connect', resolve)), 10000,
                      `SDK connect to localhost:${kit.endpoint.mqtt_tls_port}`)
      .catch((e) => { throw new Error(`${e.message}; SDK events: ${events.join(', ')}\n${server.tail(30)}`); });

    const sent = [];
    for (let i = 0; i < 3; i++) {
      const payload = pollutionPayload(i);
      sent.push(payload);
      await withTimeout(new Promise((resolve, reject) => {
        device.publish(kit.topic, payload, { qos: 1 }, (err) => (err ? reject(err) : resolve()));
      }), 5000, `SDK QoS 1 publish ${i}`);
      await sleep(250);  // the reference device's minimum interval
    }
    const got = await waitMessages(admin, 3, { what: `SDK messages on ${kit.topic}` });
    assert.deepEqual(got.map((m) => m.payload), sent, 'SDK messages missing, changed or reordered');
    for (const m of got) {
      const body = JSON.parse(m.payload);
      assert.equal(body.longitude, 10.250786139881143);
      assert.equal(body.latitude, 56.20251117218925);
    }

    const cmdTopic = `devices/${kit.thing}/cmd`;
    await withTimeout(new Promise((resolve, reject) => {
      device.subscribe(cmdTopic, { qos: 1 }, (err, granted) => {
        if (err) reject(err);
        else if (granted[0].qos !== 1) reject(new Error(`SDK subscription granted ${JSON.stringify(granted)}`));
        else resolve();
      });
    }), 5000, 'SDK subscribe');
    const r = await publish(admin, cmdTopic, '{"interval_ms":500}', { qos: 1 });
    assert.equal(r.err ?? null, null);
    const deadline = Date.now() + 5000;
    while (commands.length === 0 && Date.now() < deadline) await sleep(25);
    assert.deepEqual(commands, [{ topic: cmdTopic, payload: '{"interval_ms":500}' }]);
    assert.deepEqual(events, ['connect'], 'the SDK connection was not stable');
  });
});
