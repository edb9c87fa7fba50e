// The streams tier on NATS JetStream (--streams-nats-url): devices publish at QoS 1
// through the reference's rule into a delivery stream whose records are kept in a
// JetStream stream instead of a local WAL, while the server is killed with SIGKILL and
// restarted. Every acknowledged record must reach the lake; the JetStream stream is
// inspected with NATS's own Node client (the `nats` package), which must find it drained.
// A second server with its own data directory shares the stream's delivery.
'use strict';

const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { connect: natsConnect } = require('nats');
const { BIN, Server, run, describeRun, thingName, makeTempDir, sleep } = require('./harness');
const { thingOptions, connect, flood, floodThenKill } = require('./clients');
const { LakeTail } = require('./lake');
const { NatsServer, makeCertificates } = require('./nats');

const ROUNDS = 3;
const DEVICES = 3;

async function defineStreamAndRule(server, stream) {
  const dir = makeTempDir('js-payload');
  const rule = path.join(dir, 'rule.json');
  fs.writeFileSync(rule, JSON.stringify({ topicRulePayload: {
    sql: "SELECT * FROM 'devices/+/pollution'",
    actions: [{ firehose: { deliveryStreamName: stream, separator: '\n' } }] } }));
  for (const args of [['stream', 'create', stream, '--bucket', 'js-lake', '--buffer-interval-s', '1'],
                      ['rule', 'create', `${stream.replace(/-/g, '_')}_rule`, '--payload', rule]]) {
    const r = await server.cli(args);
    assert.equal(r.code, 0, describeRun(args.join(' '), r));
  }
}

// Waits until every record of `acked` is in one of `servers`' lakes; returns how many times
// each record was seen, and checks that nothing unpublished is there.
async function waitForAll(servers, acked, sent, timeoutMs) {
  const tails = servers.map((s) => new LakeTail(s, 'js-lake'));
  const missing = new Set(acked);
  const counts = new Map();
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const expired = Date.now() > deadline;
    for (const tail of tails) {
      for (const object of tail.poll()) {
        for (const r of object.records) {
          assert.ok(sent.has(r), `the lake holds a record nobody published: ${r}`);
          missing.delete(r);
          counts.set(r, (counts.get(r) || 0) + 1);
        }
      }
    }
    if (missing.size === 0) return counts;
    if (expired) {
      assert.fail(`${missing.size} of ${acked.size} acknowledged records are missing, e.g. ` +
                  `${missing.values().next().value}\n${servers.map((s) => s.tail(30)).join('\n')}`);
    }
    await sleep(100);
  }
}

async function jetStreamState(url, name) {
  const nc = await natsConnect({ servers: url.replace('nats://', '') });
  try {
    const jsm = await nc.jetstreamManager();
    const info = await jsm.streams.info(name);
    const consumer = await jsm.consumers.info(name, 'deliver');
    return { state: info.config && info.state, config: info.config, consumer };
  } finally {
    await nc.close();
  }
}

describe('streams on NATS JetStream', { timeout: 110000, concurrency: 1 }, () => {
  let nats;
  const servers = [];
  before(async () => { nats = await NatsServer.start(); });
  after(async () => {
    for (const s of servers) await s.dispose();
    if (nats) await nats.stop();
  });

  test('SIGKILL loses no acknowledged record; the JetStream stream drains', async () => {
    const natsArgs = ['--streams-nats-url', `${nats.url}?ack_wait_s=2`];
    const server = await Server.start({ tag: 'js', args: natsArgs });
    servers.push(server);
    await defineStreamAndRule(server, 'js-crash');

    const info = await server.api('GET', '/v1/server');
    assert.equal(info.status, 200, info.text);
    assert.equal(info.json.stream_records.backend, 'jetstream');
    assert.match(info.json.stream_records.where, /^NATS JetStream at nats:\/\/127\.0\.0\.1:\d+$/);
    // The link: up, to the one NATS server, which is all it knows.
    const natsHostPort = nats.url.replace('nats://', '');
    assert.equal(info.json.stream_records.connected, true);
    assert.equal(info.json.stream_records.server, natsHostPort);
    assert.deepEqual(info.json.stream_records.known_servers, [natsHostPort]);
    assert.ok(!fs.existsSync(path.join(server.dataDir, 'wal', 'js-crash')), 'a WAL directory was made');

    const kits = [];
    for (let i = 0; i < DEVICES; i++) kits.push(await server.createThing(thingName('js')));
    const acked = new Set();
    const sent = new Set();
    for (let round = 0; round < ROUNDS; round++) {
      await floodThenKill(server, kits, round, acked, sent, 800 + Math.floor(Math.random() * 1200));
    }
    assert.ok(acked.size > 100, `only ${acked.size} records were acknowledged`);
    // Records the killed server had pulled come back after the ack wait (2 s).
    const counts = await waitForAll([server], acked, sent, 30000);
    const total = [...counts.values()].reduce((a, b) => a + b, 0);

    // NATS's own client: the stream exists under its name, work-queue, and is empty.
    let s;
    for (let i = 0; i < 50; i++) {
      s = await jetStreamState(nats.url, 'TRIBUTARY_js-crash');
      if (s.state.messages === 0) break;
      await sleep(100);
    }
    assert.equal(s.config.retention, 'workqueue');
    assert.deepEqual(s.config.subjects, ['tributary.records.js-crash']);
    assert.equal(s.state.messages, 0, `JetStream still holds ${s.state.messages} records`);
    // A broker read's records travel as one JetStream message: no more messages than records.
    assert.ok(s.state.last_seq > 0 && s.state.last_seq <= sent.size,
              `JetStream saw ${s.state.last_seq} messages for ${sent.size} records sent`);
    assert.equal(s.consumer.config.ack_policy, 'explicit');
    console.log(`# jetstream crash test: ${ROUNDS} crashes, ${sent.size} sent, ${acked.size} acknowledged, ` +
                `${total} records in the lake (${total - counts.size} duplicates), ${s.state.last_seq} JetStream messages`);
  });

  test('two servers share one stream: each record lands once, whoever delivers it', async () => {
    const natsArgs = ['--streams-nats-url', `${nats.url}?ack_wait_s=2`];
    const a = await Server.start({ tag: 'js-a', args: natsArgs });
    const b = await Server.start({ tag: 'js-b', args: natsArgs });
    servers.push(a, b);
    await defineStreamAndRule(a, 'js-shared');
    await defineStreamAndRule(b, 'js-shared');
    const acked = new Set();
    const sent = new Set();
    const clients = [];
    const stops = [];
    for (const server of [a, b]) {
      const kit = await server.createThing(thingName('js-shared'));
      const c = await connect(thingOptions(server, kit));
      c.on('error', () => {});
      clients.push(c);
      stops.push(flood(c, kit.topic, kit.thing, acked, sent));
    }
    await sleep(1500);
    for (const stop of stops) stop();
    await sleep(300);  // the last PUBACKs
    for (const c of clients) c.end(true);
    await sleep(1500);  // records in flight at the end: in the lake too, once
    const counts = await waitForAll([a, b], acked, sent, 20000);
    const twice = [...counts].filter(([, n]) => n > 1);
    assert.equal(twice.length, 0, `records in the lake twice: ${twice.slice(0, 3).map(([r]) => r).join(', ')}`);
    assert.ok(acked.size > 100, `only ${acked.size} records were acknowledged`);
    const delivered = await Promise.all([a, b].map(async (s) => {
      const r = await s.cli(['stream', 'describe', 'js-shared', '--json']);
      assert.equal(r.code, 0, describeRun('stream describe', r));
      return JSON.parse(r.stdout).stats.records_delivered;
    }));
    assert.equal(delivered[0] + delivered[1], counts.size);
    assert.ok(delivered[0] > 0 && delivered[1] > 0, `one server delivered everything: ${delivered}`);
  });

  test('over TLS: the server verifies NATS with the given CA, and refuses one it cannot verify', async () => {
    const pki = makeCertificates(makeTempDir('nats-pki'));
    const tlsNats = await NatsServer.start({ tls: { cert: pki.cert, key: pki.key } });
    try {
      assert.match(tlsNats.url, /^tls:/);
      // Without the CA, the system's store does not know the test CA: refused at start-up.
      const refused = await run(BIN, ['server', '--data-dir', makeTempDir('js-tls-refused'),
                                      '--bind', '127.0.0.1', '--http-port', '0', '--mqtt-tls-port', '-1',
                                      '--mqtt-ws-port', '-1', '--https-port', '-1', '--streams-nats-url', tlsNats.url], { timeoutMs: 20000 });
      assert.notEqual(refused.code, 0, describeRun('server without the CA', refused));
      assert.match(refused.stderr, /--streams-nats-url: .*certificate verify failed/);

      const server = await Server.start({ tag: 'js-tls',
        args: ['--streams-nats-url', `${tlsNats.url}?ack_wait_s=2&tls_ca=${pki.ca}`] });
      servers.push(server);
      await defineStreamAndRule(server, 'js-tls');
      const info = await server.api('GET', '/v1/server');
      assert.match(info.json.stream_records.where, /^NATS JetStream at tls:\/\/127\.0\.0\.1:\d+$/);
      const kit = await server.createThing(thingName('js-tls'));
      const c = await connect(thingOptions(server, kit));
      c.on('error', () => {});
      const acked = new Set();
      const sent = new Set();
      const stop = flood(c, kit.topic, kit.thing, acked, sent);
      await sleep(1000);
      stop();
      await sleep(300);
      c.end(true);
      assert.ok(acked.size > 50, `only ${acked.size} records were acknowledged over TLS`);
      await waitForAll([server], acked, sent, 20000);
    } finally {
      await tlsNats.stop();
    }
  });
});
