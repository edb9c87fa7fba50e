// Nothing acknowledged is lost: QoS 1 devices publish as fast as they can through the
// reference's rule into a delivery stream while the server is killed with SIGKILL at
// random moments and restarted on the same data directory. Afterwards every record
// whose PUBACK a device received must be in the lake, and the lake must hold nothing
// that was not published (duplicates of records in flight at a crash are allowed).
// The stream's WAL segments are 1 MiB, so segments are switched, delivered and (on a
// disk, under fsync `always`) reused while the server is killed: a crash also lands in a
// reused segment whose old frames lie behind the new ones.
'use strict';

const { describe, test, after } = require('node:test');
const { execFileSync } = require('node:child_process');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const mqtt = require('mqtt');
const { Server, describeRun, thingName, makeTempDir, sleep } = require('./harness');
const { floodThenKill } = require('./clients');
const { LakeTail } = require('./lake');

const ROUNDS = Number(process.env.CRASH_ROUNDS || 5);
const DEVICES = 4;

describe('crash recovery', { timeout: Math.max(110000, ROUNDS * 10000) }, () => {
  let server;
  after(async () => { if (server) await server.dispose(); });

  test(`SIGKILL at random points loses no acknowledged record (${ROUNDS} crashes)`, async () => {
    server = await Server.start({ tag: 'crash', args: ['--wal-segment-mib', '1'] });
    const dir = makeTempDir('crash-payload');
    const rule = path.join(dir, 'rule.json');
    fs.writeFileSync(rule, JSON.stringify({ topicRulePayload: {
      sql: "SELECT * FROM 'devices/+/pollution'",
      actions: [{ firehose: { deliveryStreamName: 'crash', separator: '\n' } }] } }));
    for (const args of [['stream', 'create', 'crash', '--bucket', 'crash', '--buffer-interval-s', '1'],
                        ['rule', 'create', 'crash_rule', '--payload', rule]]) {
      const r = await server.cli(args);
      assert.equal(r.code, 0, describeRun(args.join(' '), r));
    }
    const kits = [];
    for (let i = 0; i < DEVICES; i++) kits.push(await server.createThing(thingName('crash')));

    const acked = new Set();
    const sent = new Set();
    for (let round = 0; round < ROUNDS; round++) {
      await floodThenKill(server, kits, round, acked, sent, 1000 + Math.floor(Math.random() * 2000));
    }
    assert.ok(acked.size > 100, `only ${acked.size} records were acknowledged: the test did not load the server`);

    // A long run's lake holds millions of records: each object is read once, as it
    // appears, and checked off against what is still missing.
    const tail = new LakeTail(server, 'crash');
    const missing = new Set(acked);
    const seen = new Set();
    let total = 0;
    const deadline = Date.now() + 20000;
    for (;;) {
      const expired = Date.now() > deadline;  // the last look starts after the deadline
      for (const object of tail.poll()) {
        for (const r of object.records) {
          assert.ok(sent.has(r), `the lake holds a record nobody published: ${r} (object ${object.key})`);
          missing.delete(r);
          seen.add(r);
          total++;
        }
      }
      if (missing.size === 0) break;
      if (expired) {
        // Whether the server still runs, and what its stream holds: buffered records that
        // never left, or a delivery that fails, tell different stories.
        const exited = await Promise.race([server.child.exited, sleep(100).then(() => null)]);
        const described = await server.cli(['stream', 'describe', 'crash', '--json']);
        const example = missing.values().next().value;
        assert.fail(`${missing.size} of ${acked.size} acknowledged records are missing from the lake ` +
                    `(${total} records in ${tail.seen.size} objects), e.g. ${example}\n` +
                    `server: ${exited ? `exited (code ${exited.code}, signal ${exited.signal})` : 'running'}\n` +
                    describeRun('stream describe crash --json', described) + '\n' + server.tail(40));
      }
      await sleep(100);
    }
    // Segments are reused only where they are real files on a disk (not on tmpfs).
    const fsType = execFileSync('stat', ['-f', '-c', '%T', server.dataDir], { encoding: 'utf8' }).trim();
    const recycled = (server.logs.match(/WAL segment recycled file=/g) || []).length;
    if (fsType !== 'tmpfs') {
      assert.ok(recycled > 0, `no WAL segment was reused (file system ${fsType}); the test did not reach that path`);
    }
    console.log(`# crash test: ${ROUNDS} crashes, ${sent.size} sent, ${acked.size} acknowledged, ` +
                `${total} records in the lake (${total - seen.size} duplicates), ` +
                `${recycled} WAL segments reused`);
  });
});
