// A stream's delete and flush wait for its buffers to reach the lake, up to
// --stream-stop-timeout-s when the lake fails. That wait runs on the server's workers for
// slow calls: meanwhile new HTTP requests and MQTT publishes (Node's `mqtt`) are answered
// at once, and records put to the stream are refused as unavailable (503; Firehose's
// retryable ServiceUnavailableException) rather than as a conflict. The delete then fails
// naming the timeout, and the stream carries on, accepting records again.
'use strict';

const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const http = require('node:http');
const path = require('node:path');
const { Server } = require('./harness');
const { adminOptions, connect, subscribe, publish, waitMessages, end } = require('./clients');

const TIMEOUT_S = 4;
const THREADS = 2;   // the server's I/O threads: connections are spread over them
const CLIENTS = 4;   // so some of these share the thread the delete's request came on

describe('a stream delete waiting for a failing lake', () => {
  let server;
  const clients = [];

  before(async () => {
    server = await Server.start({ tag: 'slow-delete',
                                  args: ['--stream-stop-timeout-s', String(TIMEOUT_S), '--threads', String(THREADS)] });
    for (let i = 0; i < CLIENTS; ++i) {
      clients.push(await connect(adminOptions(server, { clientId: `slow-${i}` }), { what: `admin client ${i}` }));
    }
  });
  after(async () => {
    for (const client of clients) await end(client);
    if (server) await server.dispose();
  });

  // GET /healthz on a connection of its own (no keep-alive): {status}.
  const health = () => new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port: server.httpPort, path: '/healthz', agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode }));
    });
    req.setTimeout(10000, () => req.destroy(new Error('GET /healthz: no answer in 10 s')));
    req.on('error', reject);
  });

  // Times one call, failing the test if it takes longer than `limitMs`.
  async function quick(what, call, limitMs = 1500) {
    const t0 = Date.now();
    const result = await call();
    const took = Date.now() - t0;
    assert.ok(took < limitMs, `${what} took ${took} ms while a delete waited for the lake`);
    return result;
  }

  test('holds no HTTP or MQTT thread, refuses records as unavailable, and fails naming the timeout', async () => {
    await server.cliOk(['stream', 'create', 'bw', '--bucket', 'failing', '--buffer-interval-s', '0']);
    // The bucket's folder becomes a file: every delivery fails, and the record stays buffered.
    const bucket = path.join(server.dataDir, 'lake', 'failing');
    fs.rmSync(bucket, { recursive: true, force: true });
    fs.writeFileSync(bucket, 'not a folder');
    const put = await server.api('POST', '/v1/streams/bw/records', { Record: { Data: Buffer.from('one').toString('base64') } });
    assert.equal(put.status, 200, put.text);

    const t0 = Date.now();
    const deleting = server.api('DELETE', '/v1/streams/bw');
    await new Promise((resolve) => setTimeout(resolve, 300));  // the delete is waiting now

    await quick('MQTT subscribe', () => subscribe(clients[0], 'slow/#'));
    for (let i = 0; i < 6; ++i) {
      const answer = await quick(`GET /healthz #${i}`, health);
      assert.equal(answer.status, 200);
    }
    for (let i = 0; i < CLIENTS; ++i) {
      const acked = await quick(`MQTT publish by client ${i}`, () => publish(clients[i], `slow/${i}`, `m${i}`));
      assert.ifError(acked.err);
    }
    const heard = await waitMessages(clients[0], CLIENTS,
                                     { filter: (m) => m.topic.startsWith('slow/'), what: 'slow/# messages' });
    assert.equal(heard.length, CLIENTS);

    const refused = await quick('a put during the delete',
      () => server.api('POST', '/v1/streams/bw/records', { Record: { Data: Buffer.from('two').toString('base64') } }));
    assert.equal(refused.status, 503, refused.text);
    assert.match(refused.text, /not accepting records \(stopping or being deleted\)/);

    const deleted = await deleting;
    const took = Date.now() - t0;
    assert.equal(deleted.status, 503, deleted.text);
    assert.match(deleted.text, /within 4000 ms/);
    assert.ok(took >= TIMEOUT_S * 1000 - 500, `the delete answered after ${took} ms, before its timeout`);

    // The stream carries on: listed, and taking records again.
    const described = await server.api('GET', '/v1/streams/bw');
    assert.equal(described.status, 200, described.text);
    const again = await server.api('POST', '/v1/streams/bw/records', { Record: { Data: Buffer.from('three').toString('base64') } });
    assert.equal(again.status, 200, again.text);
  });
});
