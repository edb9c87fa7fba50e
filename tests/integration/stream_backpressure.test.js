// A delivery stream that falls behind, through the real binary and real MQTT clients: the
// lake refuses objects (its bucket's temporary directory replaced by a file), so records
// pile up until the stream's pending limit (`--stream-max-pending-mib 1`). Then a
// device's QoS 1 publish is refused with MQTT 5's PUBACK 0x97 (Quota exceeded: slow
// down), a 3.1.1 connection is closed unacknowledged, and `stream describe` says why.
// Once the lake takes objects again everything accepted is delivered and devices
// publish as before.
'use strict';

const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { Server, makeTempDir } = require('./harness');
const { adminOptions, connect, publish, publishRefusedV3, end } = require('./clients');
const { waitForLake } = require('./lake');
const { createRoutedStream } = require('./routing');

const STREAM = 'backlog';
const BUCKET = 'backlog';
const TOPIC = 'devices/meter-2/reading';

describe('a stream that falls behind', { timeout: 90000 }, () => {
  let server;
  const clients = [];
  const dir = makeTempDir('backpressure');
  const connectAdmin = async (version) => {
    const c = await connect(adminOptions(server, { version }), { what: `MQTT ${version} connect` });
    clients.push(c);
    return c;
  };

  before(async () => {
    server = await Server.start({ tag: 'backpressure', args: ['--stream-max-pending-mib', '1'] });
  });
  after(async () => {
    for (const c of clients) await end(c);
    if (server) await server.dispose();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('past the pending limit publishes get PUBACK 0x97, and everything accepted lands once the lake is back', async () => {
    await createRoutedStream(server, dir, { stream: STREAM, bucket: BUCKET, filter: 'devices/+/reading',
                                            rule: 'readings', streamArgs: ['--buffer-interval-s', '900'] });

    // The lake's objects are written through <bucket>/.tributary-tmp/: a file there
    // makes every object write fail until it is gone.
    const tmp = path.join(server.dataDir, 'lake', BUCKET, '.tributary-tmp');
    fs.rmSync(tmp, { recursive: true, force: true });
    fs.mkdirSync(path.dirname(tmp), { recursive: true });
    fs.writeFileSync(tmp, 'not a directory');

    const v5 = await connectAdmin(5);
    const pad = 'x'.repeat(100 * 1024);
    const accepted = [];
    let refused = null;
    for (let i = 0; i < 40 && !refused; ++i) {
      const payload = `{"n":${i},"pad":"${pad}"}`;
      const ack = await publish(v5, TOPIC, payload);
      if (ack.err) refused = { i, ack };
      else accepted.push(payload);
    }
    assert.ok(refused, `40 publishes of 100 KiB were all accepted past a 1 MiB limit\n${server.tail(20)}`);
    assert.equal(refused.ack.err.code, 0x97, `refusal: ${refused.ack.err} ${JSON.stringify(refused.ack.packet)}`);
    assert.ok(accepted.length >= 5 && accepted.length <= 11, `${accepted.length} accepted before the refusal`);

    await publishRefusedV3(await connectAdmin(4), TOPIC, `{"n":"v3","pad":"${pad}"}`);

    const stats = JSON.parse((await server.cliOk(['stream', 'describe', STREAM, '--json'])).stdout).stats;
    assert.ok(stats.records_rejected >= 2, JSON.stringify(stats));
    assert.ok(stats.delivery_errors >= 1, JSON.stringify(stats));
    assert.match(stats.last_error, /\.tributary-tmp/, JSON.stringify(stats));
    assert.ok(stats.buffered_bytes <= 1 << 20, JSON.stringify(stats));

    // The lake is back: the sealed backlog goes out on the next retry, the buffer still
    // under its hints with the flush, and devices go on.
    fs.rmSync(tmp);
    await server.cliOk(['stream', 'flush', STREAM]);
    const lake = await waitForLake(server, BUCKET, (l) => l.records.length >= accepted.length,
                                   { timeoutMs: 30000, what: `${accepted.length} accepted records` });
    // Objects are listed by key, and keys of one second order by their uuids: compare
    // the records' numbers as sets, and their bytes one by one.
    const numbers = (records) => records.map((r) => String(JSON.parse(r).n)).sort();
    assert.deepEqual(numbers(lake.records), numbers(accepted));
    assert.deepEqual([...lake.records].sort(), [...accepted].sort());
    const later = `{"n":"later","pad":"${pad}"}`;
    const ack = await publish(v5, TOPIC, later);
    assert.equal(ack.err ?? null, null, `after the lake came back: ${ack.err}`);
    await server.cliOk(['stream', 'flush', STREAM]);
    const all = await waitForLake(server, BUCKET, (l) => l.records.length >= accepted.length + 1,
                                  { what: 'the later record' });
    assert.deepEqual(numbers(all.records), numbers([...accepted, later]));
  });
});
