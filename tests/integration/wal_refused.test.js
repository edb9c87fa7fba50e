// A stream's write-ahead log that the disk refuses, through the real binary and real MQTT
// clients. The server's file-size limit is lowered (`prlimit --pid`) to where the log's
// segment ends, so the kernel fails its next commit as a full disk would. While it
// lasts, a device's QoS 1 publish is refused (MQTT 5: PUBACK 0x80; 3.1.1 has no negative
// acknowledgement, so the connection is closed unacknowledged and the device resends),
// the stream says why, and the server goes on. Once the disk takes writes again the
// same devices publish as before, and the lake holds exactly the accepted records.
'use strict';

const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { Server, run, describeRun, makeTempDir } = require('./harness');
const { adminOptions, connect, publish, publishRefusedV3, end } = require('./clients');
const { waitForLake } = require('./lake');
const { createRoutedStream } = require('./routing');

const STREAM = 'refused';
const BUCKET = 'wal-refused';
const TOPIC = 'devices/meter-1/reading';

// The stream's largest WAL segment file: the active one (segments are 64 MiB apart).
function activeSegment(server) {
  const dir = path.join(server.dataDir, 'wal', STREAM);
  const segments = fs.readdirSync(dir).filter((f) => /^\d{20}\.wal$/.test(f)).sort();
  assert.ok(segments.length > 0, `no WAL segment in ${dir}`);
  return path.join(dir, segments[segments.length - 1]);
}

// The running server's soft file-size limit ('unlimited', or bytes).
async function fileSizeLimit(server) {
  const r = await run('prlimit', ['--pid', String(server.child.pid), '--fsize', '--raw',
                                  '--output', 'SOFT', '--noheadings']);
  assert.equal(r.code, 0, describeRun('prlimit --fsize', r));
  return r.stdout.trim();
}

// Sets the running server's soft file-size limit.
async function setFileSizeLimit(server, limit) {
  const r = await run('prlimit', ['--pid', String(server.child.pid), `--fsize=${limit}:`]);
  assert.equal(r.code, 0, describeRun(`prlimit --fsize=${limit}:`, r));
}

describe('a write-ahead log the disk refuses', { timeout: 60000 }, () => {
  let server;
  let originalLimit;  // restored once the test is done with the disk refusing writes
  const clients = [];
  const dir = makeTempDir('wal-refused');
  const connectAdmin = async (version) => {
    const c = await connect(adminOptions(server, { version }), { what: `MQTT ${version} connect` });
    clients.push(c);
    return c;
  };

  before(async () => { server = await Server.start({ tag: 'wal-refused' }); });
  after(async () => {
    for (const c of clients) await end(c);
    if (server) {
      if (server.child && originalLimit) await setFileSizeLimit(server, originalLimit).catch(() => {});
      await server.dispose();
    }
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('publishes are refused while the log cannot grow, nothing else is lost, and they flow again after', async () => {
    await createRoutedStream(server, dir, { stream: STREAM, bucket: BUCKET, filter: 'devices/+/reading',
                                            rule: 'readings', streamArgs: ['--buffer-interval-s', '900'] });

    // Enough records first that the segment is larger than any other file the server
    // writes meanwhile (the metadata database, the checkpoint), which the limit also caps.
    const bulk = Array.from({ length: 4000 }, (_, i) => JSON.stringify({ bulk: i, pad: 'p'.repeat(200) }));
    const bulkFile = path.join(dir, 'bulk.jsonl');
    fs.writeFileSync(bulkFile, bulk.join('\n') + '\n');
    await server.cliOk(['stream', 'put', STREAM, '--file', bulkFile]);

    const v5 = await connectAdmin(5);
    const v3 = await connectAdmin(4);
    let ack = await publish(v5, TOPIC, '{"n":"before"}');
    assert.equal(ack.err ?? null, null, `before: ${ack.err}`);

    const segment = activeSegment(server);
    const size = fs.statSync(segment).size;
    const metadata = fs.statSync(path.join(server.dataDir, 'metadata.db')).size;
    assert.ok(size > 2 * metadata, `segment ${segment} is only ${size} bytes, metadata.db ${metadata}`);
    // Direct commits rewrite the block the log ends in; the kernel cuts them at the limit.
    // Records larger than a block cannot end before it.
    originalLimit = await fileSizeLimit(server);
    await setFileSizeLimit(server, Math.ceil(size / 4096) * 4096);
    const big = 'b'.repeat(8192);

    ack = await publish(v5, TOPIC, `{"n":"refused-v5","big":"${big}"}`);
    assert.equal(ack.err?.code, 0x80,
                 `MQTT 5 publish while the log cannot grow: ${ack.err} ${JSON.stringify(ack.packet)}\n${server.tail(20)}`);
    assert.equal(ack.packet?.reasonCode, 0x80);
    await publishRefusedV3(v3, TOPIC, `{"n":"refused-v3","big":"${big}"}`);

    const described = JSON.parse((await server.cliOk(['stream', 'describe', STREAM, '--json'])).stdout);
    assert.match(described.stats.last_error, /File too large/, JSON.stringify(described.stats));
    assert.match(described.stats.last_error, new RegExp(path.basename(segment)));
    assert.equal(described.stats.records_rejected, 2, JSON.stringify(described.stats));
    assert.match(server.logs, /WAL .*\.wal.*File too large/);

    // The disk takes writes again: the same devices go on, with nothing to restart.
    await setFileSizeLimit(server, originalLimit);
    ack = await publish(v5, TOPIC, '{"n":"after-v5"}');
    assert.equal(ack.err ?? null, null, `after: ${ack.err}`);
    const v3again = await connectAdmin(4);
    ack = await publish(v3again, TOPIC, '{"n":"after-v3"}');
    assert.equal(ack.err ?? null, null, `after (3.1.1): ${ack.err}`);

    await server.cliOk(['stream', 'flush', STREAM]);
    const want = [...bulk, '{"n":"before"}', '{"n":"after-v5"}', '{"n":"after-v3"}'];
    const lake = await waitForLake(server, BUCKET, (l) => l.records.length >= want.length,
                                   { what: `${want.length} accepted records` });
    assert.deepEqual(lake.records, want);
    assert.equal(server.child.exitCode, null, 'the server exited');
  });
});
