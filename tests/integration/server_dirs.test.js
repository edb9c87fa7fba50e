// Where a server keeps its state, and that only one server uses it: a second server on
// a data directory in use is refused and the first goes on; `--wal-dir` puts the
// streams' write-ahead logs elsewhere, where a killed server's records are found again
// on restart, and which a server with another data directory cannot share.
'use strict';

const { describe, test, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { BIN, Server, run, describeRun, makeTempDir, removeTempDir } = require('./harness');
const { waitForLake } = require('./lake');

// `tributary server` on `dataDir` with `extra` flags, expected to fail at start.
// A server start on loopback with free ports; `extra` may give one of these flags anew.
function startRefused(dataDir, extra = []) {
  const defaults = { '--bind': '127.0.0.1', '--http-port': '0', '--mqtt-tls-port': '0', '--mqtt-ws-port': '0', '--https-port': '0' };
  const flags = Object.entries(defaults).filter(([flag]) => !extra.includes(flag)).flat();
  return run(BIN, ['server', '--data-dir', dataDir, ...flags, ...extra], { timeoutMs: 15000 });
}

async function healthy(server) {
  const res = await fetch(`http://127.0.0.1:${server.httpPort}/healthz`);
  return res.status;
}

describe('server directories', { timeout: 60000 }, () => {
  const servers = [];
  const dirs = [];
  after(async () => {
    for (const s of servers) await s.dispose();
    for (const d of dirs) removeTempDir(d);
  });

  test('a bad setting is refused naming the flag typed, before the data directory is touched', async () => {
    const cases = [
      [['--bind', 'localhost'], /^tributary server: --bind \(bind_address\) must be an IP address .*got 'localhost'\n$/],
      [['--log-level', 'loud'], /^tributary server: --log-level \(log_level\) must be one of trace, .*got 'loud'\n$/],
      [['--lake-backend', 's3'], /^tributary server: --lake-backend \(lake_backend\) 's3' needs s3_endpoint \(--s3-endpoint\)/],
      [['--metadata-url', 'mysql://x'], /^tributary server: --metadata-url \(metadata_url\): 'mysql:\/\/\.\.\.' is not a PostgreSQL URL/],
      [['--wal-fsync', 'sometimes'], /^tributary server: --wal-fsync \(wal_fsync\): 'sometimes' is not one of always/],
      // Numbers as typed, in the setting's range (CLI11 alone read 0x10 as 16, and -1 as
      // 4294967295 for an unsigned setting).
      [['--http-port', '0x10'], /^tributary server: --http-port: '0x10' is not a whole number in 0\.\.65535/],
      [['--max-payload-bytes', '-1'], /^tributary server: --max-payload-bytes: -1 is not in 1024\.\.268435456/],
      [['--stream-retry-window-s', '86401'], /^tributary server: --stream-retry-window-s: 86401 is not in 0\.\.86400/],
    ];
    for (const [flags, expected] of cases) {
      const dataDir = path.join(makeTempDir('dirs-refused'), 'fresh');
      dirs.push(path.dirname(dataDir));
      const r = await startRefused(dataDir, flags);
      assert.equal(r.code, 2, describeRun(`server ${flags.join(' ')}`, r));
      assert.match(r.stderr, expected, describeRun(`server ${flags.join(' ')}`, r));
      assert.equal(fs.existsSync(dataDir), false, `server ${flags.join(' ')} made ${dataDir}: ${fs.existsSync(dataDir) && fs.readdirSync(dataDir)}`);
    }
    // From a config file, the message names the key.
    const configDir = makeTempDir('dirs-config');
    dirs.push(configDir);
    fs.writeFileSync(path.join(configDir, 'c.json'), JSON.stringify({ log_level: 'loud' }));
    const r = await run(BIN, ['server', '--config', path.join(configDir, 'c.json'), '--data-dir', path.join(configDir, 'd')],
                        { timeoutMs: 15000 });
    assert.match(r.stderr, /^tributary server: log_level must be one of/, describeRun('server --config', r));
    assert.equal(fs.existsSync(path.join(configDir, 'd')), false);
  });

  test('a second server on a data directory in use is refused, naming the directory and the holder', async () => {
    const first = await Server.start({ tag: 'dirs-one' });
    servers.push(first);
    const r = await startRefused(first.dataDir);
    assert.equal(r.code, 1, describeRun('second server', r));
    assert.match(r.stderr, new RegExp(`data directory '${first.dataDir}' is in use by another process ` +
                                      `\\(pid ${first.child.pid}\\)`), describeRun('second server', r));
    // The first one is untouched and still answers.
    assert.equal(await healthy(first), 200);
    assert.equal(JSON.parse(fs.readFileSync(path.join(first.dataDir, 'server.json'), 'utf8')).pid, first.child.pid);
    // Once it is gone (even killed), the directory is free again.
    await first.stop({ signal: 'SIGKILL' });
    await first.launch();
    assert.equal(await healthy(first), 200);
  });

  test('--wal-dir keeps the logs elsewhere, recovers from them after SIGKILL, and is not shared', async () => {
    const walDir = makeTempDir('dirs-wal');
    dirs.push(walDir);
    // A long buffer interval: the record stays in the log until the flush after the restart.
    const server = await Server.start({ tag: 'dirs-two', args: ['--wal-dir', walDir] });
    servers.push(server);
    const cli = async (args) => {
      const r = await server.cli(args);
      assert.equal(r.code, 0, `${describeRun(args.join(' '), r)}\n${server.tail(30)}`);
      return r;
    };
    await cli(['stream', 'create', 'elsewhere', '--bucket', 'wal-elsewhere', '--buffer-interval-s', '900']);
    await cli(['stream', 'put', 'elsewhere', '--data', '{"n":1}\n', '--data', '{"n":2}\n']);
    const segments = fs.readdirSync(path.join(walDir, 'elsewhere')).filter((f) => f.endsWith('.wal'));
    assert.ok(segments.length > 0, `no WAL segment under ${walDir}/elsewhere`);
    assert.ok(!fs.existsSync(path.join(server.dataDir, 'wal', 'elsewhere')),
              'the stream also has a log under the data directory');

    const other = makeTempDir('dirs-three');
    dirs.push(other);
    const r = await startRefused(other, ['--wal-dir', walDir]);
    assert.equal(r.code, 1, describeRun('server sharing the WAL directory', r));
    assert.match(r.stderr, new RegExp(`WAL directory '${walDir}' is in use by another process ` +
                                      `\\(pid ${server.child.pid}\\)`), describeRun('server sharing the WAL directory', r));

    await server.stop({ signal: 'SIGKILL' });
    await server.launch();
    assert.match(server.logs, /stream recovered stream=elsewhere records=2/);
    await cli(['stream', 'flush', 'elsewhere']);
    const lake = await waitForLake(server, 'wal-elsewhere', (l) => l.records.length >= 2, { what: 'the two put records' });
    assert.deepEqual(lake.records, ['{"n":1}', '{"n":2}']);
  });
});
