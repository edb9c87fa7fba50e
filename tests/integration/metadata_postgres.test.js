// The metadata database on PostgreSQL (`--metadata-url postgresql://...`, config key
// `metadata_url`): things, streams and rules created through the CLI are rows in the
// URL's schema (checked with psql) and no metadata.db is written; a second server on a
// fresh data directory with the same URL finds them and routes devices' messages to the
// lake with them; one server per schema (a second gets "in use by another server", one on
// another schema starts, and a killed server's schema is free again); an unreachable
// database and a URL of another scheme are refused at start-up. `metadata copy --to URL`
// moves a deployment from SQLite to PostgreSQL: refused while a server runs on the data
// directory, every table's rows copied once (a second copy is refused), and the same data
// directory then runs with --metadata-url: the thing's original certificate still connects,
// the rule still routes to the lake, and new rows (a thing, a crawler run whose id must
// follow the run made on SQLite) are written to the copied tables.
//
// Runs under scripts/with-postgres, which starts a throwaway PostgreSQL and exports
// TRIBUTARY_TEST_POSTGRES_URL and TRIBUTARY_TEST_POSTGRES_BIN:
//   scripts/with-postgres env TRIBUTARY_BIN=build/tributary NODE_PATH=tests/node_modules \
//     node --test tests/integration/metadata_postgres.test.js
'use strict';

const { describe, test, after } = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');
const { BIN, Server, run, describeRun, makeTempDir, thingName, pollutionPayload, sleep, freePort, startRefused } = require('./harness');
const { mosqArgs, mosquittoPub } = require('./clients');
const { waitForLake, firehoseKeyPattern } = require('./lake');
const { createRoutedStream } = require('./routing');

const PG_URL = process.env.TRIBUTARY_TEST_POSTGRES_URL;
const PG_BIN = process.env.TRIBUTARY_TEST_POSTGRES_BIN;
const PSQL = PG_BIN ? path.join(PG_BIN, 'psql') : 'psql';

// A schema of our own for each case, so that cases (and runs against a shared database)
// never see each other's rows or locks.
const schemas = [];
function newSchema() {
  const schema = `itest_${crypto.randomBytes(5).toString('hex')}`;
  schemas.push(schema);
  return schema;
}
function metadataUrl(schema) {
  return `${PG_URL}${PG_URL.includes('?') ? '&' : '?'}schema=${schema}`;
}

// psql on the test database (libpq does not know `?schema=`: queries name the schema);
// returns stdout's lines, asserting success.
async function psql(sql) {
  const r = await run(PSQL, ['-X', '-v', 'ON_ERROR_STOP=1', '-Atc', sql, PG_URL], { timeoutMs: 15000 });
  assert.equal(r.code, 0, describeRun(`psql -c "${sql}"`, r));
  return r.stdout.split('\n').filter((l) => l !== '');
}

// sqlite3 on a metadata.db, read-only; returns stdout's lines, asserting success.
async function sqlite(dbFile, sql) {
  const r = await run('sqlite3', ['-readonly', '-batch', '-noheader', dbFile, sql], { timeoutMs: 15000 });
  assert.equal(r.code, 0, describeRun(`sqlite3 ${dbFile} "${sql}"`, r));
  return r.stdout.split('\n').filter((l) => l !== '');
}

// {table: row count} of every table of a SQLite metadata.db (SQLite's own tables left out).
async function sqliteCounts(dbFile) {
  const tables = await sqlite(dbFile, "SELECT name FROM sqlite_master WHERE type = 'table' " +
                                      "AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name");
  assert.ok(tables.length > 0, `no tables in ${dbFile}`);
  const rows = await sqlite(dbFile, tables.map((t) => `SELECT '${t}', count(*) FROM "${t}"`).join(' UNION ALL '));
  return Object.fromEntries(rows.map((l) => { const [t, n] = l.split('|'); return [t, Number(n)]; }));
}

// {table: row count} of every table of a PostgreSQL schema ({} when it has none).
async function postgresCounts(schema) {
  const tables = await psql(`SELECT table_name FROM information_schema.tables WHERE table_schema = '${schema}' ` +
                            'ORDER BY table_name');
  if (tables.length === 0) return {};
  const rows = await psql(tables.map((t) => `SELECT '${t}', count(*) FROM ${schema}."${t}"`).join(' UNION ALL '));
  return Object.fromEntries(rows.map((l) => { const [t, n] = l.split('|'); return [t, Number(n)]; }));
}

async function healthz(server) {
  return (await fetch(`http://127.0.0.1:${server.httpPort}/healthz`)).status;
}

// The flags of a server whose metadata is in `schema`, with plain anonymous MQTT for
// publishers that have no kit of this server's CA.
const serverArgs = (schema) => ['--metadata-url', metadataUrl(schema), '--mqtt-port', '0', '--allow-anonymous'];

// Publishes each payload at QoS 1 on the plain port, anonymously, with mosquitto_pub.
async function publishAnonymously(server, topic, payloads) {
  for (const payload of payloads) {
    const r = await mosquittoPub(['-h', '127.0.0.1', '-p', String(server.mqttPort), '-V', 'mqttv5', '-q', '1',
                                  '-t', topic, '-m', payload]);
    assert.equal(r.code, 0, `${describeRun('mosquitto_pub (anonymous, plain MQTT)', r)}\n${server.tail(30)}`);
  }
}

if (!PG_URL) {
  test('metadata on PostgreSQL', () => {
    assert.fail('TRIBUTARY_TEST_POSTGRES_URL is not set: run this file under scripts/with-postgres, e.g. ' +
                'scripts/with-postgres env TRIBUTARY_BIN=build/tributary NODE_PATH=tests/node_modules ' +
                'node --test tests/integration/metadata_postgres.test.js (ctest -R integration_metadata_postgres does)');
  });
} else {
  describe('metadata on PostgreSQL', { timeout: 90000 }, () => {
    const servers = [];
    const payloadDir = makeTempDir('pg-payloads');
    const start = async (options) => {
      const server = await Server.start(options);
      servers.push(server);
      return server;
    };
    after(async () => {
      for (const s of servers) await s.dispose();
      if (!process.env.ITEST_KEEP_TMP) {
        for (const schema of schemas) {
          await run(PSQL, ['-X', '-qc', `DROP SCHEMA IF EXISTS ${schema} CASCADE`, PG_URL], { timeoutMs: 15000 });
        }
      }
    });

    // Cases a and b share these: b reads what a created.
    const routed = { schema: null, thing: null, stream: 'pgstream', bucket: 'pg-lake', rule: 'pg_to_lake',
                     filter: 'devices/#' };

    test('things, streams and rules are rows in PostgreSQL; readings still land in the local lake', async () => {
      routed.schema = newSchema();
      const server = await start({ tag: 'pg-first', args: serverArgs(routed.schema) });
      routed.server = server;
      assert.ok(server.mqttPort > 0, `server.json mqtt_port is ${server.mqttPort} with --mqtt-port 0`);
      // GET /v1/server names the database, its schema and no user or password.
      const info = await server.api('GET', '/v1/server');
      assert.equal(info.status, 200, info.text);
      const { port, pathname } = new URL(PG_URL);
      assert.equal(info.json.metadata, `PostgreSQL 127.0.0.1:${port}${pathname} schema ${routed.schema}`);
      assert.equal(info.json.lake.backend, 'local');

      const kit = await server.createThing(thingName('pg'));
      routed.thing = kit.thing;
      await createRoutedStream(server, payloadDir, { stream: routed.stream, bucket: routed.bucket, filter: routed.filter,
                                                     rule: routed.rule, streamArgs: ['--buffer-interval-s', '1'] });

      // Three readings from an anonymous client on the plain port, one from the thing over
      // mTLS (its certificate is looked up in PostgreSQL).
      const anonymous = [0, 1, 2].map((i) => pollutionPayload(i));
      await publishAnonymously(server, 'devices/anonymous/pollution', anonymous);
      const fromThing = pollutionPayload(3);
      const r = await mosquittoPub([...mosqArgs(server, { kit }), '-q', '1', '-t', kit.topic, '-m', fromThing]);
      assert.equal(r.code, 0, `${describeRun('mosquitto_pub (the thing, mTLS)', r)}\n${server.tail(30)}`);
      const sent = [...anonymous, fromThing];
      const lake = await waitForLake(server, routed.bucket, (l) => l.records.length >= sent.length,
                                     { what: `${sent.length} records in bucket ${routed.bucket}` });
      assert.deepEqual([...lake.records].sort(), [...sent].sort(), 'the lake holds other records than were published');
      for (const o of lake.objects) assert.match(o.key, firehoseKeyPattern(routed.stream));

      // The rows are in the URL's schema.
      const s = routed.schema;
      assert.deepEqual(await psql(`SELECT name FROM ${s}.rules`), [routed.rule]);
      assert.deepEqual(await psql(`SELECT name FROM ${s}.streams`), [routed.stream]);
      assert.deepEqual(await psql(`SELECT name FROM ${s}.things`), [kit.thing]);
      assert.deepEqual(await psql(`SELECT thing FROM ${s}.thing_certificates`), [kit.thing]);
      const tables = await psql(`SELECT table_name FROM information_schema.tables WHERE table_schema = '${s}'`);
      for (const t of ['schema_versions', 'things', 'thing_certificates', 'rules', 'streams', 'lake_databases']) {
        assert.ok(tables.includes(t), `no table ${s}.${t}; the schema has: ${tables.join(', ')}`);
      }
      assert.ok((await psql(`SELECT component FROM ${s}.schema_versions`)).length > 0, `${s}.schema_versions is empty`);

      // No SQLite metadata in the data directory; the broker's state, the WAL and the lake are there.
      const entries = fs.readdirSync(server.dataDir);
      assert.deepEqual(entries.filter((e) => e.startsWith('metadata.db')), [],
                       `metadata.db in the data directory with --metadata-url: ${entries.join(', ')}`);
      for (const p of ['broker', path.join('wal', routed.stream), path.join('lake', routed.bucket)]) {
        assert.ok(fs.existsSync(path.join(server.dataDir, p)), `no ${p} in the data directory: ${entries.join(', ')}`);
      }
    });

    test('a server on a fresh data directory with the same URL has them, and routes with them', async () => {
      assert.ok(routed.server, 'the previous case did not start its server');
      const stopped = await routed.server.stop();
      assert.deepEqual(stopped, { code: 0, signal: null }, `graceful stop\n${routed.server.tail(30)}`);

      const server = await start({ tag: 'pg-second', args: serverArgs(routed.schema) });
      assert.notEqual(server.dataDir, routed.server.dataDir);
      const json = async (args) => JSON.parse((await server.cliOk([...args, '--json'])).stdout);

      const rules = (await json(['rule', 'list'])).rules;
      assert.deepEqual(rules.map((x) => x.ruleName), [routed.rule], JSON.stringify(rules));
      assert.equal(rules[0].actions[0].firehose.deliveryStreamName, routed.stream, JSON.stringify(rules[0]));
      const streams = (await json(['stream', 'list'])).streams;
      assert.deepEqual(streams.map((x) => x.config.name), [routed.stream], JSON.stringify(streams));
      assert.equal(streams[0].config.bucket, routed.bucket);
      assert.equal(streams[0].config.buffer_interval_s, 1);
      const things = (await json(['thing', 'list'])).things;
      assert.deepEqual(things.map((x) => x.name), [routed.thing], JSON.stringify(things));
      const thing = await json(['thing', 'describe', routed.thing]);
      assert.equal(thing.active, true);
      assert.equal(thing.certificates.length, 1, JSON.stringify(thing));

      const again = [10, 11, 12].map((i) => pollutionPayload(i));
      await publishAnonymously(server, 'devices/anonymous/pollution', again);
      const lake = await waitForLake(server, routed.bucket, (l) => l.records.length >= again.length,
                                     { what: `${again.length} records in the new data directory's bucket ${routed.bucket}` });
      assert.deepEqual([...lake.records].sort(), [...again].sort());
      assert.ok(!fs.existsSync(path.join(server.dataDir, 'metadata.db')), 'metadata.db in the second data directory');
      assert.deepEqual(await psql(`SELECT name FROM ${routed.schema}.rules`), [routed.rule]);
    });

    test('metadata copy moves a SQLite deployment to PostgreSQL; the same data directory then runs on it', async () => {
      // A deployment on SQLite (the harness's flags, no --metadata-url): a thing, the
      // reference rule into a stream, one reading from the thing over mTLS in the lake, and
      // a crawler run over it (a row with an identity id).
      const server = await start({ tag: 'pg-copy' });
      const D = server.dataDir;
      const db = path.join(D, 'metadata.db');
      const json = async (args) => JSON.parse((await server.cliOk([...args, '--json'])).stdout);
      const copy = (to, dataDir = D) => run(BIN, ['metadata', 'copy', '--to', to, '--data-dir', dataDir],
                                            { timeoutMs: 30000 });
      const names = { stream: 'copystream', bucket: 'copy-lake', rule: 'copy_to_lake', crawler: 'copycrawl' };

      const kit = await server.createThing(thingName('copy'));
      await createRoutedStream(server, payloadDir, { stream: names.stream, bucket: names.bucket, filter: 'devices/#',
                                                     rule: names.rule, streamArgs: ['--buffer-interval-s', '1'] });
      const publishAsThing = async (payload) => {
        const r = await mosquittoPub([...mosqArgs(server, { kit }), '-q', '1', '-t', kit.topic, '-m', payload]);
        assert.equal(r.code, 0, `${describeRun('mosquitto_pub (the thing, mTLS)', r)}\n${server.tail(30)}`);
      };
      const first = pollutionPayload(0);
      await publishAsThing(first);
      let lake = await waitForLake(server, names.bucket, (l) => l.records.length >= 1,
                                   { what: `the thing's reading in bucket ${names.bucket} (SQLite)` });
      assert.deepEqual(lake.records, [first]);
      await server.cliOk(['crawler', 'create', names.crawler, '--source', `s3://${names.bucket}/`,
                          '--database', 'copied', '--table', 'readings']);
      const run1 = await json(['crawler', 'run', names.crawler]);
      assert.equal(run1.status, 'succeeded', JSON.stringify(run1));
      assert.equal(run1.records, 1, JSON.stringify(run1));
      // The rules as stored (their metrics are the running server's counters, not metadata).
      const storedRules = async () => (await json(['rule', 'list'])).rules.map(({ metrics, ...rule }) => rule);
      const rulesBefore = await storedRules();
      const thingBefore = await json(['thing', 'describe', kit.thing]);
      assert.equal(thingBefore.certificates.length, 1, JSON.stringify(thingBefore));

      // While the server runs the copy is refused, before anything reaches PostgreSQL.
      const schema = newSchema();
      const url = metadataUrl(schema);
      let r = await copy(url);
      let what = describeRun(`metadata copy --to ${url} while a server runs on ${D}`, r);
      assert.ok(!r.timedOut && r.code !== 0 && r.code !== null, what);
      assert.match(r.stderr, /is in use by another process/, what);
      assert.deepEqual(await postgresCounts(schema), {}, `tables in ${schema} after a refused copy\n${what}`);
      assert.equal(await healthz(server), 200, `the server stopped answering\n${server.tail(30)}`);

      const stopped = await server.stop();
      assert.deepEqual(stopped, { code: 0, signal: null }, `graceful stop\n${server.tail(30)}`);
      const sqliteBefore = await sqliteCounts(db);

      // The copy: every table of metadata.db, with the same number of rows; metadata.db stays.
      r = await copy(url);
      what = describeRun(`metadata copy --to ${url} --data-dir ${D}`, r);
      assert.ok(!r.timedOut && r.code === 0, what);
      const summary = /^copied (\d+) tables, (\d+) rows, (\d+) indexes and (\d+) migrations\b.*$/m.exec(r.stdout);
      assert.ok(summary, `no line "copied N tables, M rows, I indexes and V migrations"\n${what}`);
      assert.ok(summary[0].includes(schema), `the summary does not name schema ${schema}\n${what}`);
      const copiedTables = await postgresCounts(schema);
      assert.deepEqual(copiedTables, sqliteBefore, `row counts: PostgreSQL ${schema} vs SQLite ${db}\n${what}`);
      // The summary counts the stores' tables and rows (schema_versions, checked above with
      // the rest, is not among them).
      const stores = Object.entries(sqliteBefore).filter(([t]) => t !== 'schema_versions');
      assert.equal(Number(summary[1]), stores.length, `tables in the summary\n${what}`);
      assert.equal(Number(summary[2]), stores.reduce((a, [, n]) => a + n, 0), `rows in the summary\n${what}`);
      assert.equal(Number(summary[4]), sqliteBefore.schema_versions, `migrations in the summary\n${what}`);
      assert.deepEqual(await psql(`SELECT name FROM ${schema}.rules`), [names.rule]);
      assert.deepEqual(await psql(`SELECT name FROM ${schema}.streams`), [names.stream]);
      assert.deepEqual(await psql(`SELECT name FROM ${schema}.things`), [kit.thing]);
      assert.deepEqual(await psql(`SELECT thing FROM ${schema}.thing_certificates`), [kit.thing]);
      assert.ok((await psql(`SELECT component FROM ${schema}.schema_versions`)).length > 0,
                `${schema}.schema_versions is empty`);
      assert.ok(fs.existsSync(db), 'metadata copy removed metadata.db');
      assert.deepEqual(await sqliteCounts(db), sqliteBefore, 'metadata.db changed under metadata copy');

      // Copying again is refused, and writes nothing.
      r = await copy(url);
      what = describeRun(`a second metadata copy --to ${url}`, r);
      assert.ok(!r.timedOut && r.code !== 0 && r.code !== null, what);
      assert.match(r.stderr, /already holds metadata/, what);
      assert.deepEqual(await postgresCounts(schema), copiedTables, `${schema} changed under a refused copy\n${what}`);

      // The same data directory on PostgreSQL: the thing's original certificate (its row now
      // read from PostgreSQL, the CA still in D/pki) connects, and the rule routes it.
      server.extraArgs = ['--metadata-url', url];
      await server.launch();
      assert.deepEqual(await storedRules(), rulesBefore);
      assert.deepEqual(await json(['thing', 'describe', kit.thing]), thingBefore);
      const second = pollutionPayload(1);
      await publishAsThing(second);
      lake = await waitForLake(server, names.bucket, (l) => l.records.length >= 2,
                               { what: `the thing's second reading in bucket ${names.bucket} (PostgreSQL)` });
      assert.deepEqual([...lake.records].sort(), [first, second].sort());

      // Writes to the copied tables: a new thing, and a crawler run whose id follows the
      // SQLite run's (the identity column goes on from the copied ids) and which reads only
      // the new object (the crawler's seen objects were copied).
      const newcomer = await server.createThing(thingName('copy-new'));
      assert.deepEqual(await psql(`SELECT name FROM ${schema}.things ORDER BY name`), [kit.thing, newcomer.thing].sort());
      const run2 = await json(['crawler', 'run', names.crawler]);
      assert.equal(run2.status, 'succeeded', `${JSON.stringify(run2)}\n${server.tail(30)}`);
      assert.ok(Number(run2.id) > Number(run1.id), `run ids: ${run1.id} on SQLite, then ${run2.id} on PostgreSQL`);
      assert.equal(run2.objects_read, 1, JSON.stringify(run2));
      assert.equal(run2.records, 1, JSON.stringify(run2));
      const runs = (await json(['crawler', 'describe', names.crawler])).runs;
      assert.deepEqual(runs.map((x) => String(x.id)).sort(), [String(run1.id), String(run2.id)].sort(), JSON.stringify(runs));
      assert.equal((await json(['catalog', 'describe', 'copied.readings'])).record_count, 2);
      assert.equal(Number((await psql(`SELECT count(*) FROM ${schema}.lake_crawler_runs`))[0]), 2);

      // Mistakes: another scheme names --to; a data directory without metadata.db is refused.
      const stoppedAgain = await server.stop();
      assert.deepEqual(stoppedAgain, { code: 0, signal: null }, `graceful stop on PostgreSQL\n${server.tail(30)}`);
      r = await copy('mysql://x');
      what = describeRun('metadata copy --to mysql://x', r);
      assert.ok(!r.timedOut && r.code !== 0 && r.code !== null, what);
      assert.match(r.stderr, /--to/, what);
      const empty = makeTempDir('pg-copy-empty');
      const untouched = newSchema();
      r = await copy(metadataUrl(untouched), empty);
      what = describeRun(`metadata copy --to ${metadataUrl(untouched)} --data-dir ${empty} (empty)`, r);
      assert.ok(!r.timedOut && r.code !== 0 && r.code !== null, what);
      assert.match(r.stderr, /no metadata database at/, what);
      assert.ok(!fs.existsSync(path.join(empty, 'metadata.db')), `metadata copy created metadata.db\n${what}`);
      assert.deepEqual(await postgresCounts(untouched), {}, `tables in ${untouched}\n${what}`);
    });

    test('one server per schema: a second is refused, another schema starts, a killed server frees it', async () => {
      const schema = newSchema();
      const first = await start({ tag: 'pg-holder', args: serverArgs(schema) });

      const r = await startRefused(['--metadata-url', metadataUrl(schema)], { tag: 'pg-second-holder' });
      assert.ok(!r.timedOut && r.code !== 0 && r.code !== null, describeRun('a second server on the same schema', r));
      assert.match(r.stderr, /in use by another server/, describeRun('a second server on the same schema', r));
      assert.equal(await healthz(first), 200, `the first server stopped answering\n${first.tail(30)}`);

      // Another schema of the same database, given by the config file's key.
      const other = newSchema();
      const config = path.join(payloadDir, 'other-schema.json');
      fs.writeFileSync(config, JSON.stringify({ metadata_url: metadataUrl(other) }));
      const neighbour = await start({ tag: 'pg-neighbour', args: ['--config', config] });
      assert.equal(await healthz(neighbour), 200);
      await neighbour.cliOk(['stream', 'create', 'neighbours', '--bucket', 'neighbours']);
      assert.deepEqual(await psql(`SELECT name FROM ${other}.streams`), ['neighbours']);
      assert.deepEqual(await psql(`SELECT name FROM ${schema}.streams`), []);
      assert.deepEqual(JSON.parse((await first.cliOk(['stream', 'list', '--json'])).stdout).streams, []);

      // The lock goes with the server's connections: after SIGKILL the schema is free again
      // (as soon as PostgreSQL has seen the connections close).
      await first.stop({ signal: 'SIGKILL' });
      let lastError;
      const deadline = Date.now() + 10000;
      for (;;) {
        try {
          await first.launch();
          lastError = null;
          break;
        } catch (e) {
          lastError = e;
          if (Date.now() > deadline || !/in use by another server/.test(e.message)) break;
          await sleep(250);
        }
      }
      assert.equal(lastError, null, `no server could take the schema of a killed one: ${lastError?.message}`);
      assert.equal(await healthz(first), 200);
    });

    test('while PostgreSQL is down the data path goes on and changes fail naming it; once it is back they work', async () => {
      const ctl = process.env.TRIBUTARY_TEST_POSTGRES_CTL;
      assert.ok(ctl, 'TRIBUTARY_TEST_POSTGRES_CTL is unset: run this file under scripts/with-postgres');
      const schema = newSchema();
      const server = await start({ tag: 'pg-outage', args: serverArgs(schema) });
      const names = { stream: 'outage', bucket: 'pg-outage-lake', filter: 'outage/#', rule: 'outage_rule' };
      await createRoutedStream(server, payloadDir, { ...names, streamArgs: ['--buffer-interval-s', '1'] });

      let down = false;
      try {
        const stopped = await run(ctl, ['stop'], { timeoutMs: 20000 });
        assert.equal(stopped.code, 0, describeRun('postgres stop', stopped));
        down = true;
        // Devices' readings still reach the lake: the broker, rules and streams read their
        // definitions from memory, never from the database per message.
        const readings = [0, 1, 2].map((i) => pollutionPayload(i));
        await publishAnonymously(server, 'outage/dev-1/pollution', readings);
        const lake = await waitForLake(server, names.bucket, (l) => l.records.length >= readings.length,
                                       { what: `${readings.length} records in bucket ${names.bucket} with PostgreSQL down` });
        assert.deepEqual([...lake.records].sort(), [...readings].sort());
        // Reads are answered from memory; a change fails at once, naming the database.
        const rules = JSON.parse((await server.cliOk(['rule', 'list', '--json'])).stdout);
        assert.deepEqual(rules.rules.map((r) => r.ruleName), [names.rule]);
        const started = Date.now();
        const refused = await server.cli(['stream', 'create', 'later', '--bucket', names.bucket]);
        const what = describeRun('stream create with PostgreSQL down', refused);
        assert.notEqual(refused.code, 0, what);
        assert.ok(Date.now() - started < 15000, `took ${Date.now() - started} ms\n${what}`);
        const { port } = new URL(PG_URL);
        assert.match(refused.stderr, new RegExp(`metadata database PostgreSQL 127\\.0\\.0\\.1:${port}/tributary schema ${schema}`), what);
        assert.equal(await healthz(server), 200, `the server stopped answering\n${server.tail(30)}`);
      } finally {
        if (down) {
          const restarted = await run(ctl, ['start'], { timeoutMs: 30000 });
          assert.equal(restarted.code, 0, describeRun('postgres start', restarted));
        }
      }
      // PostgreSQL is back: the next change makes the connection again and is written.
      await server.cliOk(['stream', 'create', 'later', '--bucket', names.bucket]);
      assert.deepEqual(await psql(`SELECT name FROM ${schema}.streams ORDER BY name`), ['later', names.stream]);
      // With the schema's lock taken again: a second server is still refused.
      const second = await startRefused(['--metadata-url', metadataUrl(schema)], { tag: 'pg-outage-second' });
      assert.ok(!second.timedOut && second.code !== 0, describeRun('a second server after the outage', second));
      assert.match(second.stderr, /in use by another server/, describeRun('a second server after the outage', second));
    });

    test('an unreachable metadata database is refused at start-up, naming it', async () => {
      const port = await freePort();
      const url = `postgresql://tributary@127.0.0.1:${port}/tributary?schema=${newSchema()}`;
      const r = await startRefused(['--metadata-url', url], { tag: 'pg-unreachable', timeoutMs: 30000 });
      const what = describeRun(`a server with --metadata-url ${url}`, r);
      assert.ok(!r.timedOut && r.code !== 0 && r.code !== null, what);
      assert.ok(r.elapsedMs < 20000, `took ${r.elapsedMs} ms to give up\n${what}`);
      assert.match(r.stderr, /metadata database/, what);
      assert.ok(r.stderr.includes(`127.0.0.1:${port}`), `stderr does not name 127.0.0.1:${port}\n${what}`);
      assert.ok(!fs.existsSync(path.join(r.dataDir, 'metadata.db')), 'fell back to SQLite');
    });

    test('a metadata URL of another scheme is refused, naming metadata_url', async () => {
      let r = await startRefused(['--metadata-url', 'mysql://x'], { tag: 'pg-mysql' });
      let what = describeRun('a server with --metadata-url mysql://x', r);
      assert.ok(!r.timedOut && r.code !== 0 && r.code !== null, what);
      assert.match(r.stderr, /metadata_url/, what);
      assert.ok(!fs.existsSync(path.join(r.dataDir, 'metadata.db')), `fell back to SQLite\n${what}`);

      const config = path.join(payloadDir, 'mysql.json');
      fs.writeFileSync(config, JSON.stringify({ metadata_url: 'mysql://x' }));
      r = await startRefused(['--config', config], { tag: 'pg-mysql-config' });
      what = describeRun(`a server with config ${JSON.stringify({ metadata_url: 'mysql://x' })}`, r);
      assert.ok(!r.timedOut && r.code !== 0 && r.code !== null, what);
      assert.match(r.stderr, /metadata_url/, what);
    });
  });
}
