// Persistent sessions across a crash: the broker saves the sessions that changed twice
// a second, and puts the ones that expire in an index by due time. Devices leave
// sessions (subscriptions, and QoS 1 messages queued while they are away), the server
// is killed with SIGKILL a few saves later and started again, and then every device
// finds its session and its messages, and the sessions that expire do so on time.
// Delayed wills (MQTT 5 Will Delay Interval) are part of a session's state: one still
// waiting at the crash is published at its time after the restart, and cancelled if its
// client comes back first. Two servers bridged over NATS: a device that connects to the
// other server while this one is down has its session and its delayed will here ended
// when this one starts again (the other announces its clients again).
'use strict';

const { describe, test, after } = require('node:test');
const assert = require('node:assert/strict');
const { Server, sleep, eventually } = require('./harness');
const { connect, waitMessages } = require('./clients');
const { NatsServer } = require('./nats');

const HOST = '127.0.0.1';
const DEVICES = 200;     // MQTT 3.1.1, clean session off: kept for the broker's maximum
const SHORT = 20;        // MQTT 5, session expiry SHORT_EXPIRY_S
const SHORT_EXPIRY_S = 4;

describe('persistent sessions across a crash', { timeout: 90000 }, () => {
  let server;
  after(async () => { if (server) await server.dispose(); });

  const options = (clientId, extra = {}) => ({
    host: HOST, port: server.mqttPort, protocol: 'mqtt', clientId, reconnectPeriod: 0,
    connectTimeout: 5000, ...extra,
  });
  const device = (i) => options(`dev-${i}`, { clean: false, protocolVersion: 4 });
  const short = (i) => options(`short-${i}`, {
    clean: false, protocolVersion: 5, properties: { sessionExpiryInterval: SHORT_EXPIRY_S },
  });
  const leave = (client) => new Promise((resolve) => client.end(false, resolve));
  async function leaveSession(opts, topic) {
    const c = await connect(opts);
    await c.subscribeAsync(topic, { qos: 1 });
    await leave(c);
  }

  test('sessions, their subscriptions and queued messages outlive SIGKILL; expiries hold', async () => {
    server = await Server.start({ tag: 'sessions', args: ['--mqtt-port', '0', '--allow-anonymous'] });
    for (let i = 0; i < DEVICES; i += 20) {
      await Promise.all(Array.from({ length: 20 }, (_, k) => leaveSession(device(i + k), `cmd/dev-${i + k}`)));
    }
    await Promise.all(Array.from({ length: SHORT }, (_, k) => leaveSession(short(k), `cmd/short-${k}`)));
    const shortLeftAt = Date.now();

    // Messages for offline devices: each one changes a session after its first save.
    const pub = await connect(options('publisher', { protocolVersion: 5 }));
    for (let i = 0; i < DEVICES; i += 10) {
      await pub.publishAsync(`cmd/dev-${i}`, `for dev-${i}`, { qos: 1 });
    }
    await leave(pub);
    await sleep(1500);  // three saves

    const killed = await server.restart({ signal: 'SIGKILL' });
    assert.equal(killed.signal, 'SIGKILL');

    // Every device finds its session; those a message was queued for get it.
    for (let i = 0; i < DEVICES; i += 20) {
      await Promise.all(Array.from({ length: 20 }, async (_, k) => {
        const n = i + k;
        const c = await connect(device(n), { what: `dev-${n} after the crash` });
        try {
          assert.equal(c.connack.sessionPresent, true, `dev-${n}: no session after the crash`);
          if (n % 10 === 0) {
            const [m] = await waitMessages(c, 1, { what: `dev-${n}'s queued message` });
            assert.equal(m.topic, `cmd/dev-${n}`);
            assert.equal(m.payload, `for dev-${n}`);
          }
        } finally {
          await leave(c);
        }
      }));
    }

    // The short sessions were saved with their disconnection time: restored, they expire
    // SHORT_EXPIRY_S after it, not after the restart. One is resumed before then.
    const early = await connect(short(0), { what: 'short-0 before its expiry' });
    assert.equal(early.connack.sessionPresent, true, 'short-0 was not restored');
    await leave(early);  // its expiry starts again from now
    const early0At = Date.now();
    await sleep(Math.max(0, shortLeftAt + SHORT_EXPIRY_S * 1000 + 1500 - Date.now()));
    for (let k = 1; k < SHORT; k++) {
      const c = await connect(short(k), { what: `short-${k} after its expiry` });
      assert.equal(c.connack.sessionPresent, false, `short-${k} did not expire`);
      await leave(c);
    }
    if (Date.now() < early0At + SHORT_EXPIRY_S * 1000 - 500) {
      const again = await connect(short(0), { what: 'short-0 within its new expiry' });
      assert.equal(again.connack.sessionPresent, true, 'short-0 expired by its earlier disconnection');
      await leave(again);
    }
  });
});

describe('delayed wills across a crash', { timeout: 60000 }, () => {
  let server;
  after(async () => { if (server) await server.dispose(); });

  const DOWN_DUE_S = 3;  // due while the server is down: published as it starts
  const DUE_S = 8;      // published after the restart
  const LATER_S = 120;  // still waiting when the test ends
  const options = (clientId, extra = {}) => ({
    host: HOST, port: server.mqttPort, protocol: 'mqtt', clientId, reconnectPeriod: 0,
    connectTimeout: 5000, protocolVersion: 5, clean: false,
    properties: { sessionExpiryInterval: 600 }, ...extra,
  });
  const withWill = (clientId, delayS) => options(clientId, {
    will: { topic: `status/${clientId}`, payload: Buffer.from('offline'), qos: 1, retain: false,
            properties: { willDelayInterval: delayS, contentType: 'text/plain' } },
  });
  const leave = (client) => new Promise((resolve) => client.end(false, resolve));
  // The connection drops without DISCONNECT, so its will is scheduled.
  const drop = (client) => { client.stream.destroy(); client.end(true); };
  const pending = async () => {
    const r = await server.api('GET', '/metrics');
    const m = r.text.match(/^tributary_mqtt_wills_pending (\d+)$/m);
    assert.ok(m, `/metrics has no tributary_mqtt_wills_pending:\n${r.text.slice(0, 1000)}`);
    return Number(m[1]);
  };

  test('a will waiting at SIGKILL is published at its time after the restart, or at the start when due by then', async () => {
    server = await Server.start({ tag: 'wills', args: ['--mqtt-port', '0', '--allow-anonymous'] });
    const watcher = await connect(options('watcher'));
    await watcher.subscribeAsync('status/#', { qos: 1 });
    await leave(watcher);

    const due = Array.from({ length: 10 }, (_, i) => `due-${i}`);         // dropped, not back
    const back = Array.from({ length: 5 }, (_, i) => `back-${i}`);       // back before DUE_S
    const later = Array.from({ length: 5 }, (_, i) => `later-${i}`);     // delay LATER_S
    const down = Array.from({ length: 5 }, (_, i) => `down-${i}`);       // due while down
    const devices = await Promise.all([
      ...[...due, ...back].map((id) => connect(withWill(id, DUE_S))),
      ...later.map((id) => connect(withWill(id, LATER_S))),
      ...down.map((id) => connect(withWill(id, DOWN_DUE_S))),
    ]);
    const droppedAt = Date.now();
    devices.forEach(drop);
    await eventually(async () => (await pending()) === 25, 'the 25 wills scheduled');
    await sleep(1000);  // a save or two

    const killed = await server.stop({ signal: 'SIGKILL' });
    assert.equal(killed.signal, 'SIGKILL');
    const killedAt = Date.now();
    assert.ok(killedAt < droppedAt + DOWN_DUE_S * 1000 - 500, 'the kill came too late for this test');
    // Down until the `down` wills are due: they go out as soon as the server is back.
    await sleep(Math.max(0, droppedAt + DOWN_DUE_S * 1000 + 500 - Date.now()));
    await server.launch();
    await eventually(async () => (await pending()) === 20, 'the wills due while down published at the start');
    assert.ok(Date.now() < droppedAt + DUE_S * 1000 - 1000, 'the restart took too long for this test');
    for (const id of back) {
      const c = await connect(options(id), { what: `${id} back after the restart` });
      assert.equal(c.connack.sessionPresent, true, `${id}: no session after the restart`);
      await leave(c);
    }
    assert.equal(await pending(), 15, 'the clients that came back did not cancel their wills');

    const w = await connect(options('watcher'), { what: 'the watcher after the restart' });
    const arrived = new Map();
    w.on('message', (topic) => arrived.set(topic, (arrived.get(topic) || []).concat(Date.now())));
    await sleep(Math.max(0, droppedAt + DUE_S * 1000 + 2500 - Date.now()));
    await leave(w);

    // Each once: those due while the server was down were queued for the watcher's saved
    // session as the server started; the others reached it online, at their time.
    assert.deepEqual(w.received.map((r) => r.topic).sort(),
                     [...due, ...down].map((id) => `status/${id}`).sort(),
                     'the wills published are not those of the clients still away, each once');
    for (const id of due) {
      const at = (arrived.get(`status/${id}`) || [])[0];
      assert.ok(at >= droppedAt + DUE_S * 1000 - 250,
                `status/${id} was published ${droppedAt + DUE_S * 1000 - at} ms before its delay passed`);
    }
    const m = w.received.find((r) => r.topic === `status/${due[0]}`);
    assert.equal(m.payload, 'offline');
    assert.equal(m.packet.properties.contentType, 'text/plain');
    assert.equal(await pending(), 5, 'the wills with the longer delay are not waiting');
  });
});

describe('a device that moves to another server while this one is down', { timeout: 60000 }, () => {
  let nats;
  let a;
  let b;
  const clients = [];
  after(async () => {
    for (const c of clients) c.end(true);
    if (a) await a.dispose();
    if (b) await b.dispose();
    if (nats) await nats.stop();
  });

  const options = (server, clientId, extra = {}) => ({
    host: HOST, port: server.mqttPort, protocol: 'mqtt', clientId, reconnectPeriod: 0,
    connectTimeout: 5000, protocolVersion: 5, clean: false,
    properties: { sessionExpiryInterval: 600 }, ...extra,
  });
  const gauge = async (server, name) => {
    const r = await server.api('GET', '/metrics');
    const m = r.text.match(new RegExp(`^${name} (\\d+)$`, 'm'));
    assert.ok(m, `/metrics has no ${name}`);
    return Number(m[1]);
  };

  test('its old session and delayed will end when this server starts again; the others stay', async () => {
    nats = await NatsServer.start();
    const args = ['--mqtt-port', '0', '--allow-anonymous', '--broker-nats-url', nats.url];
    a = await Server.start({ tag: 'moved-a', args });
    b = await Server.start({ tag: 'moved-b', args });
    for (const id of ['mover', 'away']) {
      const c = await connect(options(a, id, {
        will: { topic: `status/${id}`, payload: Buffer.from('offline'), qos: 1,
                properties: { willDelayInterval: 30 } },
      }));
      c.stream.destroy();  // no DISCONNECT: the will waits
      c.end(true);
    }
    await eventually(async () => (await gauge(a, 'tributary_mqtt_wills_pending')) === 2, 'two wills waiting on a');
    await sleep(1000);  // saved
    const killed = await a.stop({ signal: 'SIGKILL' });
    assert.equal(killed.signal, 'SIGKILL');

    // While a is down the device connects to b: a cannot hear of it.
    const moved = await connect(options(b, 'mover'), { what: 'mover on b' });
    clients.push(moved);
    assert.equal(moved.connack.sessionPresent, false);

    await a.launch();
    await eventually(async () => (await gauge(a, 'tributary_mqtt_wills_pending')) === 1 &&
                                 (await gauge(a, 'tributary_mqtt_sessions')) === 1,
                     'mover\'s session and will on a ended by b\'s announcement');
    await sleep(500);
    assert.equal(await gauge(a, 'tributary_mqtt_wills_pending'), 1, 'the will of the device still away was cancelled');
    assert.equal(await gauge(a, 'tributary_mqtt_sessions'), 1, 'the session of the device still away ended');
    assert.ok(moved.connected, 'the device on b was disconnected');
    const back = await connect(options(a, 'away'), { what: 'away back on a' });
    clients.push(back);
    assert.equal(back.connack.sessionPresent, true, 'away\'s session on a is gone');
  });
});
