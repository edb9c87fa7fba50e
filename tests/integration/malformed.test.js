// Malformed input on the plain MQTT port (raw TCP sockets): garbage, bad protocol
// names and levels, an invalid remaining length, PUBLISH before CONNECT and a packet
// over --max-payload-bytes each close that one connection (with a CONNACK or
// DISCONNECT carrying the error reason where the protocol allows one), while a healthy
// `mqtt` client connected alongside keeps publishing and receiving throughout.
'use strict';

const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const net = require('node:net');
const { Server, sleep } = require('./harness');
const { HOST, connect, subscribe, end } = require('./clients');

// --- MQTT encoding, written out here so each test controls every byte -------------
const str = (s) => { const b = Buffer.from(s); return Buffer.concat([Buffer.from([b.length >> 8, b.length & 255]), b]); };
function varint(n) {
  const out = [];
  do { let byte = n % 128; n = Math.floor(n / 128); if (n > 0) byte |= 0x80; out.push(byte); } while (n > 0);
  return Buffer.from(out);
}
const packet = (first, body) => Buffer.concat([Buffer.from([first]), varint(body.length), body]);
function connectPacket({ name = 'MQTT', level = 5, flags = 0x02, clientId = 'raw', props = Buffer.alloc(0),
                         keepAlive = 30, will } = {}) {
  if (will) flags |= 0x04;  // will flag, QoS 0, not retained
  const parts = [str(name), Buffer.from([level, flags, keepAlive >> 8, keepAlive & 255])];
  if (level === 5) parts.push(varint(props.length), props);
  parts.push(str(clientId));
  if (will) parts.push(level === 5 ? Buffer.from([0]) : Buffer.alloc(0), str(will.topic), str(will.message));
  return packet(0x10, Buffer.concat(parts));
}
function publishPacket(topic, payload, level = 5) {
  return packet(0x30, Buffer.concat([str(topic), level === 5 ? Buffer.from([0]) : Buffer.alloc(0), Buffer.from(payload)]));
}
const hex = (b) => b.toString('hex').replace(/(..)/g, '$1 ').trim();

// Opens a socket, writes `chunks` (a delay between them), and resolves once the
// server closes it: {data, closedAfterMs}. Rejects if it stays open past timeoutMs.
function exchange(port, chunks, { timeoutMs = 5000, gapMs = 200 } = {}) {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: HOST, port });
    let data = Buffer.alloc(0);
    const started = Date.now();
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`the server kept the connection open for ${timeoutMs} ms after ` +
                       `${hex(Buffer.concat(chunks)).slice(0, 60)}; received: ${hex(data) || 'nothing'}`));
    }, timeoutMs);
    socket.on('data', (d) => { data = Buffer.concat([data, d]); });
    socket.on('error', () => {});  // a reset is a close too
    socket.on('close', () => { clearTimeout(timer); resolve({ data, closedAfterMs: Date.now() - started }); });
    socket.on('connect', async () => {
      for (const c of chunks) {
        if (socket.destroyed) return;
        socket.write(c);
        await sleep(gapMs);
      }
    });
  });
}

// Splits a received byte stream into [{type, body}] packets.
function parsePackets(data) {
  const out = [];
  let i = 0;
  while (i < data.length) {
    const type = data[i] >> 4;
    let len = 0, mult = 1, j = i + 1, byte;
    do { byte = data[j++]; len += (byte & 127) * mult; mult *= 128; } while (byte & 128 && j < data.length);
    out.push({ type, body: data.subarray(j, j + len) });
    i = j + len;
  }
  return out;
}

describe('malformed MQTT input on the plain port', { timeout: 100000 }, () => {
  let server;
  let healthy;
  let sent = 0;
  let pumping;
  let closes = 0;

  before(async () => {
    server = await Server.start({ tag: 'malformed', args: ['--mqtt-port', '0', '--allow-anonymous', '--max-payload-bytes', '2048'] });
    assert.ok(server.mqttPort > 0, `server.json mqtt_port is ${server.mqttPort} with --mqtt-port 0`);
    healthy = await connect({ host: HOST, port: server.mqttPort, protocol: 'mqtt', protocolVersion: 5,
                              clientId: 'healthy', reconnectPeriod: 0, connectTimeout: 5000 }, { what: 'healthy client' });
    healthy.on('close', () => { closes += 1; });
    await subscribe(healthy, 'itest/healthy', { qos: 1 });
    pumping = setInterval(() => { healthy.publish('itest/healthy', String(sent++), { qos: 1 }); }, 50);
  });
  after(async () => {
    clearInterval(pumping);
    await end(healthy);
    if (server) await server.dispose();
  });

  // The healthy client still gets its own messages: 3 more arrive within 3 s.
  async function assertHealthy(when) {
    const start = healthy.received.length;
    const deadline = Date.now() + 3000;
    while (healthy.received.length < start + 3 && Date.now() < deadline) await sleep(25);
    assert.ok(healthy.received.length >= start + 3, `the healthy client stopped receiving ${when}\n${server.tail(20)}`);
    assert.equal(closes, 0, `the healthy client was disconnected ${when}`);
  }

  test('garbage bytes close the connection', async () => {
    // A complete frame of reserved type 0 is refused at once. An HTTP request reads as
    // a PUBACK header (0x47) declaring 69 more bytes than it sends: the server may wait
    // for them, but its CONNECT timeout (10 s) must close the connection.
    for (const [bytes, timeoutMs] of [[Buffer.from([0x00, 0x01, 0x02, 0xff, 0xfe, 0x00]), 3000],
                                      [Buffer.from('GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n'), 13000]]) {
      const r = await exchange(server.mqttPort, [bytes], { timeoutMs });
      const acks = parsePackets(r.data).filter((p) => p.type === 2 && p.body[1] === 0);
      assert.equal(acks.length, 0, `garbage ${hex(bytes)} got a successful CONNACK: ${hex(r.data)}`);
    }
    await assertHealthy('after garbage');
  });

  test('a CONNECT with a bad protocol name or level is refused', async () => {
    // v5 with a bad protocol name: CONNACK with an error reason (0x81/0x82/0x84), then close.
    let r = await exchange(server.mqttPort, [connectPacket({ name: 'MQTX', level: 5 })]);
    let [ack] = parsePackets(r.data);
    assert.ok(ack && ack.type === 2, `v5 CONNECT named MQTX: expected a CONNACK, got ${hex(r.data) || 'nothing'}`);
    assert.ok([0x81, 0x82, 0x84].includes(ack.body[1]), `v5 CONNECT named MQTX: CONNACK reason 0x${ack.body[1].toString(16)}`);

    // 3.1.1 with a bad name: closed, and never accepted.
    r = await exchange(server.mqttPort, [connectPacket({ name: 'MQIsdpX', level: 4 })]);
    assert.ok(!parsePackets(r.data).some((p) => p.type === 2 && p.body[1] === 0), `accepted: ${hex(r.data)}`);

    // Unsupported level 7 under the name MQTT: 3.1.1 requires CONNACK return code 1
    // [MQTT-3.1.2-2]; a v5 server may answer 0x84 instead.
    r = await exchange(server.mqttPort, [connectPacket({ name: 'MQTT', level: 7 })]);
    const h = hex(r.data);
    assert.ok(h === '20 02 00 01' || h.startsWith('20 03 00 84'),
              `CONNECT level 7: expected CONNACK 20 02 00 01 (or v5 0x84), got ${h || 'nothing'}`);

    // v5 CONNECT with the reserved flag bit set is malformed: CONNACK 0x81 or a plain close.
    r = await exchange(server.mqttPort, [connectPacket({ level: 5, flags: 0x03 })]);
    [ack] = parsePackets(r.data);
    if (ack) assert.ok(ack.type === 2 && ack.body[1] === 0x81, `reserved CONNECT flag: got ${hex(r.data)}`);
    await assertHealthy('after bad CONNECTs');
  });

  test('an invalid remaining length closes the connection', async () => {
    const r = await exchange(server.mqttPort, [Buffer.from([0x10, 0xff, 0xff, 0xff, 0xff, 0x7f])]);
    assert.ok(!parsePackets(r.data).some((p) => p.type === 2 && p.body[1] === 0), `accepted: ${hex(r.data)}`);
    await assertHealthy('after an invalid remaining length');
  });

  test('PUBLISH before CONNECT closes the connection and is not delivered', async () => {
    const countBefore = healthy.received.length;
    const r = await exchange(server.mqttPort, [publishPacket('itest/healthy', 'sneaky', 4)]);
    assert.equal(r.data.length, 0, `got bytes for a PUBLISH before CONNECT: ${hex(r.data)}`);
    await assertHealthy('after PUBLISH before CONNECT');
    assert.ok(!healthy.received.slice(countBefore).some((m) => m.payload === 'sneaky'), 'PUBLISH before CONNECT was delivered');
  });

  for (const level of [5, 4]) {
    test(`MQTT ${level === 5 ? '5' : '3.1.1'}: a PUBLISH over --max-payload-bytes closes that connection`, async () => {
      const small = `small-${level}-${'x'.repeat(1000)}`;
      const big = `big-${level}-${'y'.repeat(4096)}`;
      const r = await exchange(server.mqttPort, [
        connectPacket({ level, clientId: `raw-big-${level}` }),
        publishPacket('itest/healthy', small, level),
        publishPacket('itest/healthy', big, level),
      ]);
      const packets = parsePackets(r.data);
      assert.ok(packets.length > 0 && packets[0].type === 2 && packets[0].body[1] === 0,
                `CONNACK success expected first, got ${hex(r.data.subarray(0, 16))}`);
      for (const p of packets.slice(1)) {
        // Only a DISCONNECT (v5, 0x95 packet too large) may follow.
        assert.ok(level === 5 && p.type === 14 && p.body[0] === 0x95,
                  `unexpected packet type ${p.type} after an oversize PUBLISH: ${hex(p.body.subarray(0, 8))}`);
      }
      await assertHealthy('after an oversize packet');
      const payloads = healthy.received.map((m) => m.payload);
      assert.ok(payloads.includes(small), 'the in-limit PUBLISH from the same connection was not delivered');
      assert.ok(!payloads.includes(big), 'the oversize PUBLISH was delivered');
    });
  }

  for (const level of [4, 5]) {
    test(`MQTT ${level === 5 ? '5' : '3.1.1'}: a silent client is dropped after 1.5 x keepalive and its will published`, async () => {
      const message = `keepalive-will-${level}`;
      const r = await exchange(server.mqttPort, [connectPacket({
        level, clientId: `raw-silent-${level}`, keepAlive: 1, will: { topic: 'itest/healthy', message } })], { timeoutMs: 6000 });
      const [ack] = parsePackets(r.data);
      assert.ok(ack && ack.type === 2 && ack.body[1] === 0, `CONNACK success expected, got ${hex(r.data)}`);
      assert.ok(r.closedAfterMs >= 1000 && r.closedAfterMs <= 4000,
                `a client silent past keepalive 1 s was closed after ${r.closedAfterMs} ms (expected ~1.5 s)`);
      const deadline = Date.now() + 3000;
      while (!healthy.received.some((m) => m.payload === message) && Date.now() < deadline) await sleep(25);
      assert.ok(healthy.received.some((m) => m.payload === message), 'the will of the timed-out client was not published');
    });
  }

  test('the healthy client lost nothing', async () => {
    clearInterval(pumping);
    const last = sent;
    const deadline = Date.now() + 5000;
    const numbers = () => healthy.received.filter((m) => /^\d+$/.test(m.payload)).map((m) => Number(m.payload));
    while (numbers().length < last && Date.now() < deadline) await sleep(25);
    const got = numbers();
    assert.ok(last > 20, `only ${last} messages were published by the healthy client`);
    assert.deepEqual(got, Array.from({ length: last }, (_, i) => i), 'the healthy client missed or reordered messages');
    assert.equal(closes, 0);
  });

  test('/metrics counts the traffic and the refused connections', async () => {
    const res = await fetch(`${server.endpoint}/metrics`, { signal: AbortSignal.timeout(5000) });
    const text = await res.text();
    // Sum of a metric over all its label sets; undefined if absent.
    const metric = (name) => {
      const values = text.split('\n').filter((l) => l.startsWith(`${name} `) || l.startsWith(`${name}{`))
        .map((l) => Number(l.slice(l.lastIndexOf(' ') + 1)));
      return values.length ? values.reduce((a, b) => a + b, 0) : undefined;
    };
    const received = metric('tributary_mqtt_messages_received_total');
    const errors = metric('tributary_mqtt_protocol_errors_total');
    const connections = metric('tributary_mqtt_connections');
    assert.ok(received >= sent, `tributary_mqtt_messages_received_total = ${received}, the healthy client alone sent ${sent}`);
    assert.ok(errors >= 5, `tributary_mqtt_protocol_errors_total = ${errors} after at least 5 malformed connections`);
    assert.ok(connections >= 1, `tributary_mqtt_connections = ${connections} with the healthy client connected`);
  });
});
