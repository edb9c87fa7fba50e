// A stream whose row in the metadata database does not read (its config JSON cut short,
// edited while the server was stopped), through the real binary. The server starts and
// the other streams run; the stream shows as failed with the reason, refuses records
// (409), keeps its WAL; `stream update` with a valid configuration starts it with the
// records its WAL held, and `stream delete` of a failed one removes its row and its WAL
// directory only.
'use strict';

const { describe, test, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { execFileSync } = require('node:child_process');
const { Server } = require('./harness');
const { waitForLake } = require('./lake');

// Cuts the stream's config JSON short (the server must be stopped).
function damageRow(server, stream) {
  execFileSync('sqlite3', [path.join(server.dataDir, 'metadata.db'),
                           `UPDATE streams SET config=substr(config, 1, 20) WHERE name='${stream}'`]);
}

async function describeStream(server, stream) {
  return JSON.parse((await server.cliOk(['stream', 'describe', stream, '--json'])).stdout);
}

describe('a stream whose stored configuration does not read', { timeout: 90000 }, () => {
  let server;
  after(async () => {
    if (server) await server.dispose();
  });

  test('is failed on its own, mended by an update, removed by a delete', async () => {
    server = await Server.start({ tag: 'damaged-row' });
    await server.cliOk(['stream', 'create', 'd1', '--bucket', 'bucket-d1', '--buffer-interval-s', '900']);
    await server.cliOk(['stream', 'create', 'good', '--bucket', 'bucket-good', '--buffer-interval-s', '900']);
    await server.cliOk(['stream', 'put', 'd1', '--data', '{"owed":1}\n']);
    await server.stop({ signal: 'SIGKILL' });  // the record stays in d1's WAL
    damageRow(server, 'd1');

    await server.launch();
    const list = JSON.parse((await server.cliOk(['stream', 'list', '--json'])).stdout).streams;
    assert.deepEqual(list.map((s) => [s.config.name, s.status]), [['d1', 'failed'], ['good', 'active']]);
    const failed = await describeStream(server, 'd1');
    assert.equal(failed.status, 'failed');
    assert.match(failed.stats.last_error, /its row in the streams table holds a config that is not JSON/);
    assert.ok(fs.existsSync(path.join(server.dataDir, 'wal', 'd1')), 'its WAL is kept');

    const refused = await server.api('POST', '/v1/streams/d1/records',
                                     { Record: { Data: Buffer.from('{"x":1}\n').toString('base64') } });
    assert.equal(refused.status, 409, refused.text);
    assert.match(refused.text, /did not start/);
    await server.cliOk(['stream', 'put', 'good', '--data', '{"fine":1}\n']);
    await server.cliOk(['stream', 'flush', 'good']);
    await waitForLake(server, 'bucket-good', (l) => l.records.length === 1, { what: 'the good stream\'s record' });

    // Mended: it starts with the record its WAL held.
    await server.cliOk(['stream', 'update', 'd1', '--bucket', 'bucket-d1', '--buffer-interval-s', '900']);
    assert.equal((await describeStream(server, 'd1')).status, 'active');
    await server.cliOk(['stream', 'flush', 'd1']);
    const lake = await waitForLake(server, 'bucket-d1', (l) => l.records.length === 1, { what: 'the owed record' });
    assert.deepEqual(lake.records, ['{"owed":1}']);

    // Damaged again, then deleted: its row and its WAL go, the other stream's stay.
    await server.stop();
    damageRow(server, 'd1');
    await server.launch();
    assert.equal((await describeStream(server, 'd1')).status, 'failed');
    await server.cliOk(['stream', 'delete', 'd1']);
    const left = JSON.parse((await server.cliOk(['stream', 'list', '--json'])).stdout).streams;
    assert.deepEqual(left.map((s) => s.config.name), ['good']);
    assert.ok(!fs.existsSync(path.join(server.dataDir, 'wal', 'd1')), 'its WAL is removed');
    assert.ok(fs.existsSync(path.join(server.dataDir, 'wal', 'good')), 'the other WAL stays');
    await server.restart();
    assert.equal((await server.cli(['stream', 'describe', 'd1'])).code === 0, false);
  });
});
