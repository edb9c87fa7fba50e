// A stream's write-ahead log damaged on disk, through the real binary. A byte overwritten
// in the middle of a segment (after SIGKILL, before the restart) loses the record it hit
// and no other: the acknowledged records after it are delivered, the loss is counted in
// `stream describe` and /metrics, last_error names the segment and the offset, and the
// segment as found is kept beside it. A checkpoint that does not parse does not keep the
// server down: it is set aside and the stream's records are delivered again.
'use strict';

const { describe, test, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { Server, makeTempDir } = require('./harness');
const { waitForLake } = require('./lake');

function segments(server, stream) {
  const dir = path.join(server.dataDir, 'wal', stream);
  return fs.readdirSync(dir).filter((f) => /^\d{20}\.wal$/.test(f)).sort().map((f) => path.join(dir, f));
}

async function describeStream(server, stream) {
  return JSON.parse((await server.cliOk(['stream', 'describe', stream, '--json'])).stdout);
}

describe('a damaged write-ahead log', { timeout: 90000 }, () => {
  const servers = [];
  const dir = makeTempDir('wal-damage');
  after(async () => {
    for (const s of servers) await s.dispose();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('a byte overwritten mid-segment loses only the record it hit, and says so', async () => {
    const server = await Server.start({ tag: 'wal-damage', args: ['--wal-segment-mib', '1'] });
    servers.push(server);
    await server.cliOk(['stream', 'create', 'dmg', '--bucket', 'dmg', '--buffer-interval-s', '900']);
    const records = Array.from({ length: 6000 }, (_, i) => JSON.stringify({ r: `r${i}`, pad: 'p'.repeat(150) }));
    const file = path.join(dir, 'records.jsonl');
    fs.writeFileSync(file, records.join('\n') + '\n');
    await server.cliOk(['stream', 'put', 'dmg', '--file', file]);
    await server.stop({ signal: 'SIGKILL' });

    const [first] = segments(server, 'dmg');
    assert.ok(fs.statSync(first).size > 500000, `${first} is only ${fs.statSync(first).size} bytes`);
    const fd = fs.openSync(first, 'r+');
    const byte = Buffer.alloc(1);
    fs.readSync(fd, byte, 0, 1, 500000);
    byte[0] ^= 0xff;
    fs.writeSync(fd, byte, 0, 1, 500000);
    fs.closeSync(fd);

    await server.launch();
    await server.cliOk(['stream', 'flush', 'dmg']);
    const lake = await waitForLake(server, 'dmg', (l) => l.records.length >= records.length - 1,
                                   { what: `${records.length - 1} records` });
    assert.equal(lake.records.length, records.length - 1);
    const delivered = new Set(lake.records);
    const lost = records.filter((r) => !delivered.has(r));
    assert.equal(lost.length, 1, `lost: ${lost.length}`);

    const d = await describeStream(server, 'dmg');
    assert.equal(d.stats.wal_records_lost, 1, JSON.stringify(d.stats));
    assert.match(d.stats.last_error, new RegExp(path.basename(first)));
    assert.match(d.stats.last_error, /offset \d+/);
    assert.ok(fs.existsSync(`${first}.corrupt`), `no copy of ${first} as found`);
    const metrics = await server.api('GET', '/metrics');
    assert.match(metrics.text, /tributary_stream_wal_records_lost_total\{stream="dmg"\} 1/);
  });

  test('a corrupt checkpoint is set aside and the server starts', async () => {
    const server = await Server.start({ tag: 'wal-checkpoint' });
    servers.push(server);
    await server.cliOk(['stream', 'create', 'ckpt', '--bucket', 'ckpt', '--buffer-interval-s', '900']);
    await server.cliOk(['stream', 'create', 'other', '--bucket', 'other', '--buffer-interval-s', '900']);
    const file = path.join(dir, 'few.jsonl');
    fs.writeFileSync(file, '{"n":1}\n{"n":2}\n');
    await server.cliOk(['stream', 'put', 'ckpt', '--file', file]);
    await server.cliOk(['stream', 'flush', 'ckpt']);
    await server.cliOk(['stream', 'put', 'ckpt', '--file', file]);
    await server.stop({ signal: 'SIGKILL' });
    const checkpoint = path.join(server.dataDir, 'wal', 'ckpt', 'checkpoint');
    assert.ok(fs.existsSync(checkpoint));
    fs.writeFileSync(checkpoint, '{"delivered_through": 2, "deli');

    await server.launch();
    await server.cliOk(['stream', 'flush', 'ckpt']);
    // Delivered again from the WAL: the first two a second time (duplicates), then the rest.
    const lake = await waitForLake(server, 'ckpt', (l) => l.records.length >= 4, { what: '4 records' });
    assert.ok(lake.records.length >= 4, JSON.stringify(lake.records));
    const d = await describeStream(server, 'ckpt');
    assert.match(d.stats.last_error, /checkpoint\.corrupt/);
    assert.ok(fs.existsSync(`${checkpoint}.corrupt`));
    assert.equal((await describeStream(server, 'other')).stats.last_error, '');
  });

  test('create refuses an error prefix the local lake cannot hold', async () => {
    const server = await Server.start({ tag: 'wal-prefix' });
    servers.push(server);
    const r = await server.cli(['stream', 'create', 'stuck', '--bucket', 'lake3', '--prefix',
                                'dev=!{partitionKeyFromQuery:dev}/', '--error-prefix',
                                '.tributary-tmp/!{firehose:error-output-type}/']);
    assert.notEqual(r.code, 0, r.stdout);
    assert.match(r.stderr + r.stdout, /error.prefix.*reserved \.tributary-tmp/);
    const list = JSON.parse((await server.cliOk(['stream', 'list', '--json'])).stdout);
    assert.equal(JSON.stringify(list).includes('stuck'), false, JSON.stringify(list));
  });
});
