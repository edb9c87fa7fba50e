// The limits on what MQTT clients can make the server hold, set by the server's flags and
// seen by real clients: a WebSocket upgrade announcing a body answered 400 at once,
// connections past the cap closed as soon as accepted, a thing on the default policy
// refused subscriptions past its session's cap or a filter too long, and retained
// messages past the store's limits (PUBACK 0x97 in MQTT 5, not retained in 3.1.1), also
// after a restart; every refusal counted in /metrics.
'use strict';

const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const net = require('node:net');
const tls = require('node:tls');
const { Server, thingName, sleep, eventually, withTimeout } = require('./harness');
const { thingOptions, adminOptions, connect, connectRefused, waitMessages, subscribe, publish, end } =
  require('./clients');

// What the server answers to `request` over TLS on `port`: the text it sent before it
// closed the connection or `ms` passed.
function askOverTls(server, port, request, ms = 3000) {
  return new Promise((resolve) => {
    let text = '';
    const socket = tls.connect({ host: '127.0.0.1', port, ca: server.ca, servername: 'localhost' }, () => {
      socket.write(request);
    });
    const done = (closed) => { clearTimeout(timer); socket.destroy(); resolve({ text, closed }); };
    const timer = setTimeout(() => done(false), ms);
    socket.on('data', (d) => { text += d.toString(); });
    socket.on('close', () => done(true));
    socket.on('error', () => {});
  });
}

async function refusals(server, limit) {
  const r = await fetch(`http://127.0.0.1:${server.httpPort}/metrics`);
  const line = (await r.text()).split('\n')
    .find((l) => l.startsWith(`tributary_mqtt_limit_refusals_total{limit="${limit}"} `));
  return line ? Number(line.split(' ')[1]) : undefined;
}

describe('MQTT limits', { timeout: 120000 }, () => {
  let server;
  const clients = [];
  const open = async (options, what) => { const c = await connect(options, { what }); clients.push(c); return c; };

  before(async () => {
    server = await Server.start({
      tag: 'mqtt-limits',
      args: ['--mqtt-max-subscriptions-per-session', '2', '--mqtt-max-topic-filter-bytes', '64',
             '--mqtt-max-retained-messages', '2', '--mqtt-max-retained-payload-bytes', '100'],
    });
  });
  after(async () => {
    for (const c of clients) await end(c);
    if (server) await server.dispose();
  });

  test('a WebSocket upgrade that announces a body is answered 400 at once, its body never read', async () => {
    for (const field of ['Content-Length: 1048576', 'Transfer-Encoding: chunked']) {
      const started = Date.now();
      const r = await askOverTls(server, server.wsPort,
                                 'GET /mqtt HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\n' +
                                 'Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n' +
                                 `Sec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: mqtt\r\n${field}\r\n\r\n`);
      assert.match(r.text, /^HTTP\/1\.1 400 /, `${field}: ${r.text}\n${server.tail(20)}`);
      assert.ok(r.closed && Date.now() - started < 2500, `${field}: the connection was not closed at once`);
    }
  });

  for (const version of [5, 4]) {
    const v = version === 5 ? 'MQTT 5' : 'MQTT 3.1.1';
    const refused = version === 5 ? 0x97 : 0x80;

    test(`${v}: a thing's session holds at most its subscriptions, of filters at most so long`, async () => {
      const kit = await server.createThing(thingName(`subs${version}`));
      const dev = await open(thingOptions(server, kit, { version }), `${v} thing connect`);
      const base = `devices/${kit.thing}`;
      assert.equal((await subscribe(dev, `${base}/a`, { qos: 1 }))[0].qos, 1);
      assert.equal((await subscribe(dev, `${base}/b`, { qos: 1 }))[0].qos, 1);
      assert.equal((await subscribe(dev, `${base}/c`, { qos: 1 }))[0].qos, refused);
      assert.equal((await subscribe(dev, `${base}/a`, { qos: 0 }))[0].qos, 0, 'a filter held is replaced');
      const long = `${base}/${'x'.repeat(64)}`;
      assert.equal((await subscribe(dev, long, { qos: 1 }))[0].qos, version === 5 ? 0x8F : 0x80);
      assert.ok(dev.connected);
    });
  }

  test('retained messages past the store\'s limits: MQTT 5 gets 0x97, 3.1.1 is delivered not retained, ' +
       'and a restart keeps the store as it was', async () => {
    const kit = await server.createThing(thingName('retain'));
    const admin = await open(adminOptions(server), 'admin subscriber');
    const base = `devices/${kit.thing}`;
    await subscribe(admin, `${base}/#`, { qos: 1 });
    const dev = await open(thingOptions(server, kit), 'MQTT 5 thing');
    for (const [i, payload] of [[1, 'one'], [2, 'two']]) {
      const r = await publish(dev, `${base}/r/${i}`, payload, { qos: 1, retain: true });
      assert.equal(r.err ?? null, null, `retained publish ${i} failed: ${r.err}`);
    }
    const full = await publish(dev, `${base}/r/3`, 'three', { qos: 1, retain: true });
    assert.equal(full.err?.code, 0x97, `PUBACK reason ${full.err?.code}, expected 0x97 (store full)`);
    const big = await publish(dev, `${base}/r/1`, 'x'.repeat(101), { qos: 1, retain: true });
    assert.equal(big.err?.code, 0x97, `PUBACK reason ${big.err?.code}, expected 0x97 (payload too large)`);
    const old = await open(thingOptions(server, kit, { version: 4, clientId: kit.thing }), 'MQTT 3.1.1 thing');
    const r4 = await publish(old, `${base}/r/4`, 'four', { qos: 1, retain: true });
    assert.equal(r4.err ?? null, null, `a 3.1.1 retained publish past the limit was not acknowledged: ${r4.err}`);
    await waitMessages(admin, 3, { what: 'the messages delivered' });
    await sleep(300);
    assert.deepEqual(admin.received.map((m) => m.payload), ['one', 'two', 'four'], 'the refused ones went nowhere');
    assert.equal(await refusals(server, 'retained_store'), 2);
    assert.equal(await refusals(server, 'retained_payload_bytes'), 1);

    await server.restart();
    const late = await open(adminOptions(server), 'late subscriber after a restart');
    await subscribe(late, `${base}/r/#`, { qos: 0 });
    await waitMessages(late, 2, { what: 'the retained messages' });
    await sleep(300);
    assert.deepEqual(late.received.map((m) => m.payload).sort(), ['one', 'two']);
    const again = await open(thingOptions(server, kit), 'MQTT 5 thing after the restart');
    const stillFull = await publish(again, `${base}/r/5`, 'five', { qos: 1, retain: true });
    assert.equal(stillFull.err?.code, 0x97, 'the reloaded store is still at its limit');
  });
});

describe('MQTT connection cap', { timeout: 60000 }, () => {
  let server;
  before(async () => { server = await Server.start({ tag: 'mqtt-conn-cap', args: ['--mqtt-max-connections', '2'] }); });
  after(async () => { if (server) await server.dispose(); });

  test('connections past --mqtt-max-connections are closed as soon as accepted, handshakes included', async () => {
    // Two connections that never begin TLS hold both places, on either listener.
    const idle = await Promise.all([server.tlsPort, server.wsPort].map((port) => withTimeout(new Promise((resolve, reject) => {
      const s = net.connect(port, '127.0.0.1', () => resolve(s));
      s.on('error', reject);
    }), 3000, 'a TCP connection')));
    await connectRefused(adminOptions(server), { what: 'a third connection' });
    assert.equal(await refusals(server, 'connections'), 1);
    idle[0].destroy();
    const admin = await eventually(async () => connect(adminOptions(server), { what: 'a connection once one left' }),
                                   'a connection once one left', { timeoutMs: 5000 });
    await end(admin);
    idle[1].destroy();
  });
});
