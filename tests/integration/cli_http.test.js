// The CLI and the HTTP API of a running server: help and flag errors, the
// unauthenticated endpoints (/healthz, /metrics), the bearer token, and a thing's
// life cycle (create, list, describe, deactivate, activate, delete) through the CLI
// with --json output checked against the API and the connection kit on disk.
'use strict';

const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');
const { BIN, Server, run, describeRun, thingName, makeTempDir, removeTempDir } = require('./harness');

// Parses a command's --json stdout, failing with the command's output if it is not JSON.
function parseJson(what, r) {
  assert.equal(r.code, 0, describeRun(what, r));
  try {
    return JSON.parse(r.stdout);
  } catch (e) {
    assert.fail(`${what}: stdout is not JSON (${e.message})\n${describeRun(what, r)}`);
  }
}

// `thing list --json` may print an array or {things: [...]}; returns the names.
function thingNames(listJson) {
  const items = Array.isArray(listJson) ? listJson : listJson.things;
  assert.ok(Array.isArray(items), `thing list --json: no array of things in ${JSON.stringify(listJson)}`);
  return items.map((t) => t.name);
}

// A thing's active flag from `describe --json`, whichever of the usual shapes it uses.
function isActive(thing) {
  const t = thing.thing || thing;
  if (typeof t.active === 'boolean') return t.active;
  const status = String(t.status ?? t.state ?? '').toLowerCase();
  assert.ok(status, `thing describe --json has neither "active" nor "status": ${JSON.stringify(thing)}`);
  return status === 'active' || status === 'enabled';
}

describe('tributary CLI and HTTP API', { timeout: 100000 }, () => {
  let server;
  const api = (p, headers = {}) => fetch(`${server.endpoint}${p}`, { headers, signal: AbortSignal.timeout(5000) });
  const auth = () => ({ Authorization: `Bearer ${server.token}` });

  before(async () => { server = await Server.start({ tag: 'cli' }); });
  after(async () => { if (server) await server.dispose(); });

  test('server.json describes the running server', () => {
    const info = server.info;
    assert.equal(info.pid, server.child.pid);
    for (const key of ['http_port', 'mqtt_tls_port', 'mqtt_ws_port']) {
      assert.ok(Number.isInteger(info[key]) && info[key] > 0, `server.json ${key} = ${info[key]} with port 0 requested`);
    }
    assert.equal(info.mqtt_port, -1, 'plain MQTT is not off by default');
    assert.equal(info.endpoint, `http://127.0.0.1:${info.http_port}`);
    assert.ok(!Number.isNaN(Date.parse(info.started_at)), `started_at "${info.started_at}" is not a date`);
    assert.ok(fs.statSync(path.join(server.dataDir, 'admin.token')).size > 0, 'admin.token is empty');
    assert.ok(fs.statSync(server.caPath).size > 0, 'pki/ca.crt is empty');
  });

  test('SIGINT stops a server gracefully with exit code 0', async () => {
    const other = await Server.start({ tag: 'sigint' });
    try {
      const r = await other.stop({ signal: 'SIGINT' });
      assert.deepEqual({ code: r.code, hung: Boolean(r.hung) }, { code: 0, hung: false },
                       `SIGINT: ${JSON.stringify(r)}\n${other.tail(20)}`);
    } finally {
      await other.dispose();
    }
  });

  test('--help works for every command', async () => {
    const commands = [[], ['server'], ['thing'], ['thing', 'create'], ['thing', 'list'], ['thing', 'describe'],
                      ['thing', 'deactivate'], ['thing', 'activate'], ['thing', 'delete']];
    for (const cmd of commands) {
      const r = await run(BIN, [...cmd, '--help'], { timeoutMs: 10000 });
      const what = `tributary ${cmd.join(' ')} --help`;
      assert.equal(r.code, 0, describeRun(what, r));
      assert.match(r.stdout, /usage/i, `${what} prints no usage\n${describeRun(what, r)}`);
      if (cmd.length) assert.ok(r.stdout.includes(cmd[cmd.length - 1]), `${what} does not name the command`);
    }
    const serverHelp = await run(BIN, ['server', '--help']);
    for (const flag of ['--data-dir', '--http-port', '--mqtt-tls-port', '--mqtt-ws-port', '--mqtt-port',
                        '--allow-anonymous', '--bind', '--log-level', '--max-payload-bytes']) {
      assert.ok(serverHelp.stdout.includes(flag), `server --help does not list ${flag}`);
    }
  });

  test('an unknown flag exits non-zero and names the flag', async () => {
    const cases = [[['server', '--no-such-flag'], '--no-such-flag'], [['thing', 'list', '--bogus-option'], '--bogus-option'],
                   [['server', '--http-port', 'eighty'], 'eighty'], [['thing', 'create'], 'name']];
    for (const [args, named] of cases) {
      const r = await run(BIN, args, { timeoutMs: 10000 });
      const what = `tributary ${args.join(' ')}`;
      assert.notEqual(r.code, 0, describeRun(what, r));
      assert.ok((r.stderr + r.stdout).includes(named), `${what}: message does not name "${named}"\n${describeRun(what, r)}`);
    }
  });

  test('an unknown command exits non-zero and names the command', async () => {
    const r = await run(BIN, ['no-such-command'], { timeoutMs: 10000 });
    assert.notEqual(r.code, 0, describeRun('tributary no-such-command', r));
    assert.ok((r.stderr + r.stdout).includes('no-such-command'),
              `the message does not name the unknown command\n${describeRun('tributary no-such-command', r)}`);
  });

  test('a parse error is one line naming the command and the word at fault', async () => {
    const cases = [
      [['thing', 'creat', 'x'], /^tributary thing: unknown command 'creat' \(did you mean 'create'\? commands: create, .*list.*; see tributary thing --help\)\n$/],
      [['server', '--http-prot', '5'], /^tributary server: unknown option '--http-prot' \(did you mean '--http-port'\? see tributary server --help\)\n$/],
      [['thing'], /^tributary thing: name a command: create, .*\(see tributary thing --help\)\n$/],
      [['thing', 'describe'], /^tributary thing describe: .*name.*\(see tributary thing describe --help\)\n$/],
      [['thing', 'list', 'extra'], /^tributary thing list: unexpected argument 'extra' \(see tributary thing list --help\)\n$/],
    ];
    for (const [args, expected] of cases) {
      const r = await run(BIN, args, { timeoutMs: 10000 });
      assert.equal(r.code, 2, describeRun(`tributary ${args.join(' ')}`, r));
      assert.match(r.stderr, expected, describeRun(`tributary ${args.join(' ')}`, r));
    }
    const help = await run(BIN, ['thing', '--help'], { timeoutMs: 10000 });
    assert.equal(help.code, 0, describeRun('tributary thing --help', help));
    assert.match(help.stdout, /update-certificate/);
  });

  test('/healthz and /metrics answer without a token', async () => {
    const health = await api('/healthz');
    assert.equal(health.status, 200, `/healthz status ${health.status}: ${await health.text()}`);
    const metrics = await api('/metrics');
    const text = await metrics.text();
    assert.equal(metrics.status, 200, `/metrics status ${metrics.status}: ${text}`);
    assert.match(text, /^# TYPE tributary_mqtt_\w+ (counter|gauge|histogram|summary)$/m,
                 `/metrics has no tributary_mqtt_* metric with a # TYPE line:\n${text.slice(0, 2000)}`);
    assert.match(text, /^tributary_mqtt_\w+(\{[^}]*\})? [0-9.eE+-]+$/m, 'no tributary_mqtt_* sample line');
  });

  test('the API refuses a missing or wrong token with 401 and accepts the admin token', async () => {
    const none = await api('/v1/things');
    assert.equal(none.status, 401, `GET /v1/things without a token: ${none.status} ${await none.text()}`);
    const wrong = await api('/v1/things', { Authorization: 'Bearer not-the-token' });
    assert.equal(wrong.status, 401, `GET /v1/things with a wrong token: ${wrong.status}`);
    const ok = await api('/v1/things', auth());
    const body = await ok.text();
    assert.equal(ok.status, 200, `GET /v1/things with the token: ${ok.status} ${body}`);
    JSON.parse(body);
  });

  test('a request body that is not JSON, or gives a key twice, is a 400 naming the problem, not a 500', async () => {
    const post = (body) => fetch(`${server.endpoint}/v1/streams`, {
      method: 'POST', headers: { ...auth(), 'Content-Type': 'application/json' }, body,
      signal: AbortSignal.timeout(5000),
    });
    for (const [body, want] of [['{"name": ', /the request body is not valid JSON: column 10: syntax error/],
                                ['{"name": "s", "buffer_size_mib": 1e99999}', /not valid JSON: .*number overflow/],
                                ['{"name": "twice-1", "bucket": "twice-lake", "name": "twice-2"}', /^the request body gives name twice; keep one$/],
                                ['{"name": "twice-3", "bucket": "twice-lake", "backup": {"bucket": "twice-a", "bucket": "twice-b"}}',
                                 /^the request body gives backup\.bucket twice; keep one$/]]) {
      const r = await post(body);
      const text = await r.text();
      assert.equal(r.status, 400, `${body} -> ${r.status} ${text}`);
      assert.match(JSON.parse(text).error.message, want, text);
    }
  });

  test('thing create writes a complete connection kit', async (t) => {
    const name = thingName('kit');
    const outDir = makeTempDir('kit');
    t.after(() => removeTempDir(outDir));
    const kitDir = path.join(outDir, 'kit');
    const r = await server.cli(['thing', 'create', name, '--out', kitDir]);
    assert.equal(r.code, 0, describeRun('thing create', r));
    for (const f of ['device.crt', 'device.key', 'ca.crt', 'endpoint.json', 'publish.sh', 'device.js', 'package.json', 'README.md']) {
      assert.ok(fs.existsSync(path.join(kitDir, f)), `kit ${kitDir} lacks ${f}`);
    }
    const ep = JSON.parse(fs.readFileSync(path.join(kitDir, 'endpoint.json'), 'utf8'));
    assert.equal(ep.thing, name);
    assert.equal(ep.client_id, name);
    assert.equal(ep.topic, `devices/${name}/pollution`);
    assert.equal(ep.mqtt_tls_port, server.tlsPort, 'endpoint.json mqtt_tls_port differs from server.json');
    assert.equal(ep.mqtt_ws_port, server.wsPort, 'endpoint.json mqtt_ws_port differs from server.json');
    assert.equal(ep.http_port, server.httpPort, 'endpoint.json http_port differs from server.json');
    assert.ok(typeof ep.host === 'string' && ep.host.length > 0, 'endpoint.json host is empty');

    const ca = new crypto.X509Certificate(fs.readFileSync(path.join(kitDir, 'ca.crt')));
    const serverCa = new crypto.X509Certificate(server.ca);
    assert.equal(ca.fingerprint256, serverCa.fingerprint256, 'kit ca.crt is not the server CA');
    const cert = new crypto.X509Certificate(fs.readFileSync(path.join(kitDir, 'device.crt')));
    assert.ok(cert.verify(ca.publicKey), 'device.crt is not signed by the CA');
    assert.ok(cert.checkIssued(ca), 'device.crt issuer is not the CA subject');
    assert.ok(cert.subject.includes(name), `device.crt subject "${cert.subject}" does not name the thing`);
    const key = crypto.createPrivateKey(fs.readFileSync(path.join(kitDir, 'device.key')));
    assert.ok(cert.checkPrivateKey(key), 'device.key does not match device.crt');
    assert.ok(new Date(cert.validTo) > new Date(), 'device.crt is already expired');
  });

  test('thing list, describe, deactivate, activate and delete with --json', async () => {
    const name = thingName('life');
    const kitDir = path.join(makeTempDir('life'), 'kit');
    const created = parseJson('thing create --json',
                              await server.cli(['thing', 'create', name, '--out', kitDir, '--json']));
    assert.ok(JSON.stringify(created).includes(name), `thing create --json does not name the thing: ${JSON.stringify(created)}`);
    assert.doesNotMatch(JSON.stringify(created), /PRIVATE KEY/, 'thing create --json prints the private key');
    assert.ok(fs.existsSync(path.join(kitDir, 'device.key')), 'thing create --json wrote no kit');

    const list = parseJson('thing list --json', await server.cli(['thing', 'list', '--json']));
    assert.ok(thingNames(list).includes(name), `thing list --json lacks ${name}: ${JSON.stringify(list)}`);
    const human = await server.cli(['thing', 'list']);
    assert.equal(human.code, 0, describeRun('thing list', human));
    assert.ok(human.stdout.includes(name), `thing list (human) lacks ${name}:\n${human.stdout}`);

    const desc = parseJson('thing describe --json', await server.cli(['thing', 'describe', name, '--json']));
    assert.equal((desc.thing || desc).name, name);
    assert.equal(isActive(desc), true, `a new thing is not active: ${JSON.stringify(desc)}`);

    const viaApi = await api('/v1/things', auth());
    const apiNames = thingNames(await viaApi.json());
    assert.ok(apiNames.includes(name), `GET /v1/things lacks ${name}: ${apiNames}`);

    const deact = parseJson('thing deactivate --json', await server.cli(['thing', 'deactivate', name, '--json']));
    assert.equal(isActive(deact), false, `thing deactivate --json: ${JSON.stringify(deact)}`);
    let r;
    let d = parseJson('describe after deactivate', await server.cli(['thing', 'describe', name, '--json']));
    assert.equal(isActive(d), false, `deactivated thing still active: ${JSON.stringify(d)}`);

    r = await server.cli(['thing', 'activate', name]);
    assert.equal(r.code, 0, describeRun('thing activate', r));
    d = parseJson('describe after activate', await server.cli(['thing', 'describe', name, '--json']));
    assert.equal(isActive(d), true, `activated thing not active: ${JSON.stringify(d)}`);

    // One certificate off and on again; a bad status is refused by the CLI itself.
    const fp = d.certificates[0].fingerprint;
    r = await server.cli(['thing', 'update-certificate', fp, '--status', 'inactive']);
    assert.equal(r.code, 0, describeRun('thing update-certificate', r));
    assert.match(r.stdout, new RegExp(`certificate ${fp.slice(0, 16)} is inactive`));
    d = parseJson('describe after update-certificate', await server.cli(['thing', 'describe', name, '--json']));
    assert.equal(d.certificates[0].status, 'inactive');
    // What `thing describe` shows (16 digits), or any unique prefix of 8 or more, names it too.
    r = await server.cli(['thing', 'describe', name]);
    assert.ok(r.stdout.includes(fp.slice(0, 16)), describeRun('thing describe', r));
    r = await server.cli(['thing', 'update-certificate', fp.slice(0, 16), '--status', 'active']);
    assert.equal(r.code, 0, describeRun('thing update-certificate <16 digits>', r));
    d = parseJson('describe after update-certificate', await server.cli(['thing', 'describe', name, '--json']));
    assert.equal(d.certificates[0].status, 'active');
    const answer = await fetch(`${server.endpoint}/v1/certificates/${fp.slice(0, 8).toUpperCase()}`,
                               { method: 'PUT', headers: { ...auth(), 'Content-Type': 'application/json' },
                                 body: JSON.stringify({ status: 'active' }), signal: AbortSignal.timeout(5000) });
    assert.equal(answer.status, 200);
    assert.equal((await answer.json()).fingerprint, fp);
    r = await server.cli(['thing', 'update-certificate', fp.slice(0, 7), '--status', 'active']);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /at least 8 of its first hex digits/);
    r = await server.cli(['thing', 'update-certificate', fp, '--status', 'lost']);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /lost/);
    r = await server.cli(['thing', 'update-certificate', 'f'.repeat(64), '--status', 'revoked']);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /no certificate has fingerprint f{64}/);

    r = await server.cli(['thing', 'delete', name]);
    assert.equal(r.code, 0, describeRun('thing delete', r));
    r = await server.cli(['thing', 'describe', name, '--json']);
    assert.notEqual(r.code, 0, `describe of a deleted thing succeeded:\n${describeRun('describe', r)}`);
    assert.ok(r.stderr.includes(name), `error for a deleted thing does not name it: ${r.stderr}`);
    const remaining = parseJson('thing list --json after delete', await server.cli(['thing', 'list', '--json']));
    assert.ok(!thingNames(remaining).includes(name), `deleted thing ${name} still listed`);
  });

  test('commands built from flags name the flag at fault; monitor create --spec, the field of the file', async () => {
    const hp = path.join(makeTempDir('hyperparameters'), 'hp.json');
    fs.writeFileSync(hp, JSON.stringify({ epochs: '5', prediction_length: '3', context_length: '3', time_freq: 'H' }));
    let t = await server.cli(['training-job', 'create', 'j-bad', '--train', 'lake-b/x/', '--test', 'Bad_B/x/',
      '--hyperparameters', hp]);
    assert.notEqual(t.code, 0, describeRun('training-job create --test Bad_B/x/', t));
    assert.match(t.stderr, /^tributary training-job create: --test: lake path 'Bad_B\/x\/'/m);
    t = await server.cli(['training-job', 'create', 'j-bad', '--train', 'lake-b/x/', '--hyperparameters', hp,
      '--output-path', 'bad path/']);
    assert.match(t.stderr, /^tributary training-job create: --output-path: lake path 'bad path\/'/m);
    t = await server.cli(['model', 'create', 'm-bad', '--artifact', path.join(makeTempDir('no-model'), 'absent')]);
    assert.notEqual(t.code, 0, describeRun('model create --artifact absent', t));
    assert.match(t.stderr, /^tributary model create: --artifact: '.*absent' is not a directory/m);
    await server.cliOk(['model', 'create', 'm-cat', '--command', 'cat']);
    t = await server.cli(['endpoint-config', 'create', 'c-bad', '--variant', 'name=a,model=m-cat',
      '--variant', 'name=b,model=m-cat,instances=99']);
    assert.notEqual(t.code, 0, describeRun('endpoint-config create instances=99', t));
    assert.match(t.stderr, /^tributary endpoint-config create: --variant 'name=b,model=m-cat,instances=99': instances: must be 1\.\.16, got 99/m);
    t = await server.cli(['endpoint-config', 'create', 'c-bad', '--variant', 'name=a,model=m-cat', '--data-capture', 'Bad_B/x/']);
    assert.match(t.stderr, /^tributary endpoint-config create: --data-capture: lake path 'Bad_B\/x\/'/m);

    const flags = ['monitor', 'create', 'm-bad', '--endpoint-name', 'no-endpoint', '--table', 't', '--target', 'pm',
      '--prediction-length', '24'];
    let r = await server.cli([...flags, '--interval-s', '5']);
    assert.notEqual(r.code, 0, describeRun('monitor create --interval-s 5', r));
    assert.match(r.stderr, /^tributary monitor create: --interval-s: must be 0 \(on demand only\) or 60\.\.86400/m);
    r = await server.cli([...flags, '--metric', 'test:foo']);
    assert.match(r.stderr, /--metric: 'test:foo' is not one of test:RMSE/);
    r = await server.cli(flags);
    assert.match(r.stderr, /--endpoint-name: endpoint 'no-endpoint' does not exist/);
    const spec = path.join(makeTempDir('monitor-spec'), 'spec.json');
    fs.writeFileSync(spec, JSON.stringify({
      EndpointName: 'no-endpoint', ScheduleIntervalSeconds: 5,
      Data: { table: 't', target: 'pm', prediction_length: 24 },
    }));
    r = await server.cli(['monitor', 'create', 'm-bad', '--spec', spec]);
    assert.notEqual(r.code, 0, describeRun('monitor create --spec', r));
    assert.match(r.stderr, /^tributary monitor create: ScheduleIntervalSeconds: must be 0 \(on demand only\) or 60\.\.86400/m);
  });

  test('creating a thing twice fails with a clear message', async () => {
    const name = thingName('twice');
    await server.createThing(name);
    const r = await server.cli(['thing', 'create', name, '--out', path.join(server.dataDir, 'second-kit')]);
    assert.notEqual(r.code, 0, `second thing create succeeded:\n${describeRun('thing create', r)}`);
    assert.ok(r.stderr.includes(name), `error does not name the thing: ${r.stderr}`);
    assert.match(r.stderr, /exist|already|duplicate/i, `error does not say the thing exists: ${r.stderr}`);
    assert.equal(r.stderr.trim().split('\n').length, 1, `error is not one line: ${r.stderr}`);
  });

  test('an invalid thing name is rejected naming the problem', async () => {
    for (const bad of ['bad/name', 'has space', 'wild+card', 'hash#', '']) {
      const r = await server.cli(['thing', 'create', bad, '--out', path.join(server.dataDir, 'bad-kit')]);
      const what = `thing create "${bad}"`;
      assert.notEqual(r.code, 0, `${what} succeeded:\n${describeRun(what, r)}`);
      assert.match(r.stderr, /name/i, `${what}: error does not mention the name: ${r.stderr}`);
      if (bad) assert.ok(r.stderr.includes(bad), `${what}: error does not quote the bad name: ${r.stderr}`);
    }
    const list = parseJson('thing list --json', await server.cli(['thing', 'list', '--json']));
    for (const n of thingNames(list)) assert.doesNotMatch(n, /[/ +#]/, `invalid thing ${n} was registered`);
  });

  test('a stream with a time zone writes its keys on that clock; a bad zone is refused', async () => {
    const bad = await server.cli(['stream', 'create', 'tz-bad', '--bucket', 'tz-bucket', '--time-zone', 'Mars/Base']);
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /--time-zone: .*Mars\/Base/);
    await server.cliOk(['stream', 'create', 'tz-tokyo', '--bucket', 'tz-bucket', '--prefix', 'jst/',
      '--time-zone', 'Asia/Tokyo']);
    const described = parseJson('stream describe', await server.cli(['stream', 'describe', 'tz-tokyo', '--json']));
    assert.equal(described.config.time_zone, 'Asia/Tokyo');
    const before = Date.now();
    await server.cliOk(['stream', 'put', 'tz-tokyo', '--data', '{"i": 1}']);
    await server.cliOk(['stream', 'flush', 'tz-tokyo']);
    const after = Date.now();
    let objects = [];
    for (let i = 0; i < 100 && objects.length === 0; i += 1) {
      objects = parseJson('lake ls', await server.cli(['lake', 'ls', 's3://tz-bucket/jst/', '--recursive', '--json'])).objects;
      if (objects.length === 0) await new Promise((r) => setTimeout(r, 100));
    }
    assert.equal(objects.length, 1);
    // jst/YYYY/MM/DD/HH/tz-tokyo-1-YYYY-MM-DD-HH-mm-ss-<uuid>, nine hours ahead of UTC.
    const jst = (ms) => {
      const d = new Date(ms + 9 * 3600 * 1000);
      const p = (n) => String(n).padStart(2, '0');
      return `${d.getUTCFullYear()}/${p(d.getUTCMonth() + 1)}/${p(d.getUTCDate())}/${p(d.getUTCHours())}/`;
    };
    const folder = objects[0].key.slice('jst/'.length, 'jst/'.length + 14);
    assert.ok([jst(before), jst(after)].includes(folder), `${objects[0].key} is not on Tokyo's clock`);
    const name = objects[0].key.split('/').pop();
    assert.ok(name.startsWith(`tz-tokyo-1-${folder.slice(0, 13).replaceAll('/', '-')}`), name);
    // A file extension set later names the next objects; a bad one is refused.
    const badExt = await server.cli(['stream', 'update', 'tz-tokyo', '--file-extension', 'jsonl']);
    assert.notEqual(badExt.code, 0);
    assert.match(badExt.stderr, /--file-extension: 'jsonl' must start with '\.'/);
    await server.cliOk(['stream', 'update', 'tz-tokyo', '--file-extension', '.jsonl']);
    await server.cliOk(['stream', 'put', 'tz-tokyo', '--data', '{"i": 2}']);
    await server.cliOk(['stream', 'flush', 'tz-tokyo']);
    for (let i = 0; i < 100 && objects.length < 2; i += 1) {
      objects = parseJson('lake ls', await server.cli(['lake', 'ls', 's3://tz-bucket/jst/', '--recursive', '--json'])).objects;
      if (objects.length < 2) await new Promise((r) => setTimeout(r, 100));
    }
    assert.equal(objects.filter((o) => o.key.endsWith('.jsonl')).length, 1, JSON.stringify(objects));
  });

  test('a partition query places the prefix\'s keys in nested fields, as Firehose\'s', async () => {
    const bad = await server.cli(['stream', 'create', 'pq-bad', '--bucket', 'pq-bucket',
      '--prefix', 'site=!{partitionKeyFromQuery:site}/', '--partition-query', '{site: .loc.site | test("n")}']);
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /--partition-query: unknown filter 'test' \(supported: strftime/);
    const unknown = await server.cli(['stream', 'create', 'pq-bad', '--bucket', 'pq-bucket',
      '--prefix', 'd=!{partitionKeyFromQuery:device}/', '--partition-query', '{site: .loc.site}']);
    assert.notEqual(unknown.code, 0);
    // The query's key is not the prefix's name: the key it does not use is named.
    assert.match(unknown.stderr, /--partition-query: key site is not used by --prefix \(its partitionKeyFromQuery names: device\)/);
    await server.cliOk(['stream', 'create', 'pq', '--bucket', 'pq-bucket',
      '--prefix', 'site=!{partitionKeyFromQuery:site}/dev=!{partitionKeyFromQuery:device}/',
      '--partition-query', '{device: .device.id, site: .loc.site}']);
    await server.cliOk(['stream', 'put', 'pq', '--data', '{"loc": {"site": "north"}, "device": {"id": "s-7"}, "v": 1}']);
    await server.cliOk(['stream', 'put', 'pq', '--data', '{"loc": {}, "device": {"id": "s-8"}}']);
    await server.cliOk(['stream', 'flush', 'pq']);
    let objects = [];
    for (let i = 0; i < 100 && objects.length < 2; i += 1) {
      objects = parseJson('lake ls', await server.cli(['lake', 'ls', 's3://pq-bucket/', '--recursive', '--json'])).objects;
      if (objects.length < 2) await new Promise((r) => setTimeout(r, 100));
    }
    const keys = objects.map((o) => o.key).sort();
    assert.equal(keys.length, 2, JSON.stringify(keys));
    assert.ok(keys.some((k) => k.startsWith('site=north/dev=s-7/pq-1-')), JSON.stringify(keys));
    // The record without loc.site goes to the error prefix, saying which key was missing.
    const failed = keys.find((k) => k.startsWith('partitioning-failed/'));
    assert.ok(failed, JSON.stringify(keys));
    const line = JSON.parse((await server.cliOk(['lake', 'cat', `s3://pq-bucket/${failed}`])).stdout.trim());
    assert.match(line.errorMessage, /key 'site' \(\.loc\.site\) is missing/);

    // By the record's own time (jq's strftime, as Firehose's examples): a reading sent late
    // lands under the day it was taken, not the day it arrived.
    await server.cliOk(['stream', 'create', 'pq-time', '--bucket', 'pq-time-bucket',
      '--prefix', 'day=!{partitionKeyFromQuery:day}/site=!{partitionKeyFromQuery:site}/',
      '--partition-query', '{day: .ts_ms / 1000 | strftime("%Y-%m-%d"), site: .site | ascii_downcase}']);
    await server.cliOk(['stream', 'put', 'pq-time', '--data', '{"ts_ms": 1700000000000, "site": "North", "v": 1}']);
    await server.cliOk(['stream', 'flush', 'pq-time']);
    const timed = parseJson('lake ls', await server.cli(['lake', 'ls', 's3://pq-time-bucket/', '--recursive', '--json'])).objects;
    assert.equal(timed.length, 1, JSON.stringify(timed));
    assert.match(timed[0].key, /^day=2023-11-14\/site=north\/pq-time-1-/);

    // A put that holds several records (Firehose's RecordDeAggregation, JSON): each lands
    // under its own device; one that does not split is kept whole.
    await server.cliOk(['stream', 'create', 'pq-batch', '--bucket', 'pq-batch-bucket',
      '--prefix', 'd=!{partitionKeyFromQuery:device}/', '--record-delimiter', '\\n', '--deaggregate', 'json']);
    const described = JSON.parse((await server.cliOk(['stream', 'describe', 'pq-batch', '--json'])).stdout);
    assert.deepEqual(described.config.deaggregation, { type: 'json' });
    await server.cliOk(['stream', 'put', 'pq-batch', '--data', '{"device": "x", "v": 1}{"device": "y", "v": 2}\n{"device": "x", "v": 3}']);
    await server.cliOk(['stream', 'flush', 'pq-batch']);
    const split = parseJson('lake ls', await server.cli(['lake', 'ls', 's3://pq-batch-bucket/', '--recursive', '--json'])).objects;
    const texts = {};
    for (const o of split) {
      texts[o.key.split('/')[0]] = (await server.cliOk(['lake', 'cat', `s3://pq-batch-bucket/${o.key}`])).stdout;
    }
    assert.deepEqual(texts, { 'd=x': '{"device": "x", "v": 1}\n{"device": "x", "v": 3}\n', 'd=y': '{"device": "y", "v": 2}\n' });
    const badType = await server.cli(['stream', 'create', 'pq-bad2', '--bucket', 'pq-batch-bucket', '--deaggregate', 'kpl']);
    assert.notEqual(badType.code, 0);
    assert.match(badType.stderr, /--deaggregate: 'kpl' is not one of json, delimited, none/);
  });

  test('an object the local lake refuses goes to the error prefix at once; the stream\'s other records are delivered', async () => {
    // A partition value longer than a folder name may be: its object's key is refused.
    // Retried, it would hold the stream's delivery for the 300 s retry window.
    const long = 'd'.repeat(300);
    await server.cliOk(['stream', 'create', 'long', '--bucket', 'long-bucket',
      '--prefix', 'dev=!{partitionKeyFromQuery:device}/']);
    await server.cliOk(['stream', 'put', 'long', '--data', JSON.stringify({ device: long, v: 1 }),
      '--data', JSON.stringify({ device: 'ok', v: 2 })]);
    const started = Date.now();
    await server.cliOk(['stream', 'flush', 'long']);
    assert.ok(Date.now() - started < 10000, `flush took ${Date.now() - started} ms`);
    const objects = parseJson('lake ls', await server.cli(['lake', 'ls', 's3://long-bucket/', '--recursive', '--json'])).objects;
    const keys = objects.map((o) => o.key).sort();
    assert.equal(keys.length, 2, JSON.stringify(keys));
    assert.ok(keys.some((k) => k.startsWith('dev=ok/long-1-')), JSON.stringify(keys));
    const failed = keys.find((k) => k.startsWith('delivery-failed/'));
    assert.ok(failed, JSON.stringify(keys));
    assert.equal((await server.cliOk(['lake', 'cat', `s3://long-bucket/${failed}`])).stdout,
                 JSON.stringify({ device: long, v: 1 }));
    const described = parseJson('stream describe', await server.cli(['stream', 'describe', 'long', '--json']));
    assert.equal(described.stats.records_to_error_prefix, 1);
    assert.match(described.stats.last_error, /has a segment longer than 255 bytes/);
  });

  test('lake buckets, ls and cat show what a stream delivered, page by page and by range', async () => {
    await server.cliOk(['stream', 'create', 'cli-lake', '--bucket', 'cli-bucket', '--prefix', 'in/']);
    // Three flushes, three objects (under in/YYYY/MM/DD/HH/, as Firehose puts them); one of
    // them larger than a piece `lake cat` reads at once (4 MiB).
    const big = 'x'.repeat(1000);
    const bigRecords = Array.from({ length: 4300 }, (_, i) => `{"i": ${i}, "pad": "${big}"}`);
    await server.cliOk(['stream', 'put', 'cli-lake', '--data', '{"i": 1}']);
    await server.cliOk(['stream', 'flush', 'cli-lake']);
    await server.cliOk(['stream', 'put', 'cli-lake', '--data', '{"i": 2}']);
    await server.cliOk(['stream', 'flush', 'cli-lake']);
    const file = path.join(server.dataDir, 'big.jsonl');
    fs.writeFileSync(file, `${bigRecords.join('\n')}\n`);
    await server.cliOk(['stream', 'put', 'cli-lake', '--file', file], { timeoutMs: 60000 });
    await server.cliOk(['stream', 'flush', 'cli-lake']);
    let objects;
    for (let i = 0; i < 100; i += 1) {
      objects = parseJson('lake ls', await server.cli(['lake', 'ls', 's3://cli-bucket/in/', '--recursive', '--json'])).objects;
      if (objects.length === 3) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.equal(objects.length, 3);
    const buckets = await server.cliOk(['lake', 'buckets']);
    assert.match(buckets.stdout, /s3:\/\/cli-bucket\//);
    const top = await server.cliOk(['lake', 'ls', 's3://cli-bucket/']);
    assert.match(top.stdout, /PRE\s+in\//);
    // --max-keys 2 stops after two.
    const two = parseJson('lake ls --max-keys', await server.cli(['lake', 'ls', 's3://cli-bucket/in/', '--recursive', '--max-keys', '2', '--json']));
    assert.deepEqual(two.objects.map((o) => o.key), objects.slice(0, 2).map((o) => o.key));
    const sizes = objects.map((o) => o.size).sort((a, b) => a - b);
    const bigObject = objects.find((o) => o.size === sizes[2]);
    assert.ok(bigObject.size > 4 * 1024 * 1024, `the big object is ${bigObject.size} bytes`);
    const cat = await server.cliOk(['lake', 'cat', `s3://cli-bucket/${bigObject.key}`], { timeoutMs: 60000 });
    assert.equal(cat.stdout.length, bigObject.size, 'lake cat gave other than the whole object');
    assert.ok(cat.stdout.trimEnd() === bigRecords.join('\n'), 'lake cat gave other bytes than the records put');
    const part = await server.cliOk(['lake', 'cat', `s3://cli-bucket/${objects[0].key}`, '--offset', '1', '--length', '3']);
    assert.equal(part.stdout, '"i"');
    const missing = await server.cli(['lake', 'cat', 's3://cli-bucket/in/nothing']);
    assert.notEqual(missing.code, 0);
    assert.match(missing.stderr, /in\/nothing/);
    const noBucket = await server.cli(['lake', 'ls', 's3://no-such-bucket/']);
    assert.notEqual(noBucket.code, 0);
    assert.match(noBucket.stderr, /no bucket 'no-such-bucket'/);
  });
});

// `tributary parquet` on a file DuckDB wrote (a fixture of the Parquet suite).
describe('tributary parquet', { timeout: 30000 }, () => {
  const fixture = path.resolve(__dirname, '../parquet/fuzz_corpus/duckdb_gzip.parquet');

  test('schema and cat read a DuckDB file', async () => {
    const schema = await run(BIN, ['parquet', 'schema', fixture], { timeoutMs: 10000 });
    assert.equal(schema.code, 0, describeRun('parquet schema', schema));
    assert.match(schema.stdout, /rows: 20/);
    assert.match(schema.stdout, /id: int64/);
    const cat = await run(BIN, ['parquet', 'cat', fixture, '--limit', '3'], { timeoutMs: 10000 });
    assert.equal(cat.code, 0, describeRun('parquet cat', cat));
    const rows = cat.stdout.trim().split('\n').map((line) => JSON.parse(line));
    assert.deepEqual(rows.map((r) => r.id), [0, 1, 2]);
    assert.equal(rows[1].s, 's1');
  });

  test('a file that is not Parquet is an error naming the file', async () => {
    const r = await run(BIN, ['parquet', 'cat', __filename], { timeoutMs: 10000 });
    assert.notEqual(r.code, 0, describeRun('parquet cat', r));
    assert.ok(r.stderr.includes(__filename), describeRun('parquet cat', r));
  });
});
