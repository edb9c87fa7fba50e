// The limits on what MQTT clients can make the server hold, set by the server's flags and
// seen by real clients: a WebSocket upgrade announcing a body answered 400 at once, and
// connections past the cap closed as soon as accepted, counted in /metrics.
'use strict';

const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const net = require('node:net');
const tls = require('node:tls');
const { Server, eventually, withTimeout } = require('./harness');
const { adminOptions, connect, connectRefused, end } = require('./clients');

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

  before(async () => {
    server = await Server.start({ tag: 'mqtt-limits' });
  });
  after(async () => {
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
