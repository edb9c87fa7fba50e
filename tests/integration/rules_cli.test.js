// Topic rules through the real binary: `tributary rule ...` over the HTTP API, a rule
// with a republish action run on messages a thing publishes with mosquitto_pub, the
// rule surviving a restart, enable/disable, an error action, an s3 action writing one
// object per message into the lake, an http action POSTing to an https endpoint (a Node
// https server with a certificate from a throwaway CA given to --rule-http-ca-file),
// `rule test` showing what a rule would do without doing it, a rule reading the sender's
// address, MQTT 5 properties, times and regular expressions, and clear errors for bad
// SQL and unknown rules.
'use strict';

const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const fs = require('node:fs');
const https = require('node:https');
const path = require('node:path');
const { Server, describeRun, thingName, pollutionPayload, makeTempDir, run, sleep } = require('./harness');
const { mosqArgs, mosquittoPub, MosquittoSub } = require('./clients');
const { listObjects } = require('./lake');
const { makeCertificates } = require('./nats');

describe('topic rules', { timeout: 90000 }, () => {
  let server;
  const subs = [];
  const dir = makeTempDir('rules-payloads');
  const writePayload = (name, doc) => {
    const file = path.join(dir, `${name}.json`);
    fs.writeFileSync(file, JSON.stringify(doc));
    return file;
  };
  const cli = async (args, what) => {
    const r = await server.cli(args);
    assert.equal(r.code, 0, `${describeRun(what || args.join(' '), r)}\n${server.tail(30)}`);
    return r;
  };

  // An https endpoint for http actions: answers each POST with `status` and keeps it.
  const certs = makeCertificates(makeTempDir('rules-tls'));
  const hook = { status: 200, requests: [], waiters: [] };
  const hookServer = https.createServer({ cert: fs.readFileSync(certs.cert), key: fs.readFileSync(certs.key) },
    (req, res) => {
      let body = '';
      req.on('data', (c) => { body += c; });
      req.on('end', () => {
        hook.requests.push({ method: req.method, url: req.url, headers: req.headers, body });
        res.writeHead(hook.status).end(hook.status === 200 ? '' : 'hook is down');
        for (const w of hook.waiters.splice(0)) w();
      });
    });
  const hookRequests = async (n) => {
    const deadline = Date.now() + 15000;
    while (hook.requests.length < n && Date.now() < deadline) {
      await new Promise((resolve) => { hook.waiters.push(resolve); setTimeout(resolve, 200); });
    }
    assert.ok(hook.requests.length >= n, `${hook.requests.length} of ${n} requests arrived`);
    return hook.requests.slice(0, n);
  };

  before(async () => {
    await new Promise((resolve) => hookServer.listen(0, '127.0.0.1', resolve));
    server = await Server.start({ tag: 'rules', args: ['--rule-http-ca-file', certs.ca] });
  });
  after(async () => {
    for (const s of subs) await s.stop('SIGKILL');
    if (server) await server.dispose();
    hookServer.close();
  });

  test('a republish rule runs on what a thing publishes, across a restart, and can be disabled', async () => {
    const kit = await server.createThing(thingName('rule'));
    const file = writePayload('alerts', {
      topicRulePayload: {
        sql: "SELECT ozone, topic(2) AS device, ozone * 2 AS doubled FROM 'devices/+/pollution' WHERE ozone >= 0",
        ruleDisabled: false,
        awsIotSqlVersion: '2016-03-23',
        actions: [{ republish: { topic: 'alerts/${topic(2)}', qos: 1 } }],
      },
    });
    await cli(['rule', 'create', 'alerts', '--payload', file]);
    const list = await cli(['rule', 'list', '--json']);
    const rules = JSON.parse(list.stdout).rules;
    assert.equal(rules.length, 1);
    assert.equal(rules[0].ruleName, 'alerts');
    assert.equal(rules[0].actions[0].republish.topic, 'alerts/${topic(2)}');

    const expectRepublish = async (what) => {
      const sub = new MosquittoSub([...mosqArgs(server, { admin: true, version: 'mqttv5' }), '-q', '1', '-t', 'alerts/#']);
      subs.push(sub);
      assert.deepEqual(await sub.subscribed(), [1]);
      const payload = JSON.parse(pollutionPayload(1));
      const r = await mosquittoPub([...mosqArgs(server, { kit, version: 'mqttv5' }), '-q', '1', '-t', kit.topic,
                                   '-m', JSON.stringify(payload)]);
      assert.equal(r.code, 0, describeRun('mosquitto_pub', r));
      const [m] = await sub.waitMessages(1);
      assert.equal(m.topic, `alerts/${kit.thing}`, what);
      assert.deepEqual(JSON.parse(m.payload), { ozone: payload.ozone, device: kit.thing, doubled: payload.ozone * 2 }, what);
      await sub.stop('SIGKILL');
    };
    await expectRepublish('before restart');
    await server.restart();
    await expectRepublish('after restart');

    const described = JSON.parse((await cli(['rule', 'describe', 'alerts', '--json'])).stdout);
    assert.ok(described.metrics.matched >= 1, JSON.stringify(described));

    await cli(['rule', 'disable', 'alerts']);
    const sub = new MosquittoSub([...mosqArgs(server, { admin: true, version: 'mqttv5' }), '-q', '1', '-t', 'alerts/#']);
    subs.push(sub);
    await sub.subscribed();
    const r = await mosquittoPub([...mosqArgs(server, { kit, version: 'mqttv5' }), '-q', '1', '-t', kit.topic, '-m', pollutionPayload(2)]);
    assert.equal(r.code, 0);
    await sleep(700);
    assert.equal(sub.messages().length, 0, `a disabled rule republished\n${sub.describe()}`);
    await cli(['rule', 'enable', 'alerts']);
    await cli(['rule', 'delete', 'alerts']);
    assert.equal(JSON.parse((await cli(['rule', 'list', '--json'])).stdout).rules.length, 0);
  });

  test('a message a rule fails on goes to its error action', async () => {
    const kit = await server.createThing(thingName('err'));
    const file = writePayload('strict', {
      topicRulePayload: {
        sql: "SELECT *, 1 AS one FROM 'devices/+/raw'",
        actions: [{ republish: { topic: 'never/${topic(2)}' } }],
        errorAction: { republish: { topic: 'errors/${topic(2)}', qos: 1 } },
      },
    });
    await cli(['rule', 'create', 'strict', '--payload', file]);
    const sub = new MosquittoSub([...mosqArgs(server, { admin: true, version: 'mqttv5' }), '-q', '1', '-t', 'errors/#']);
    subs.push(sub);
    await sub.subscribed();
    const r = await mosquittoPub([...mosqArgs(server, { kit, version: 'mqttv5' }), '-q', '1',
                                 '-t', `devices/${kit.thing}/raw`, '-m', 'not json']);
    assert.equal(r.code, 0, describeRun('mosquitto_pub', r));
    const [m] = await sub.waitMessages(1);
    const doc = JSON.parse(m.payload);
    assert.equal(m.topic, `errors/${kit.thing}`);
    assert.equal(doc.ruleName, 'strict');
    assert.equal(Buffer.from(doc.base64OriginalPayload, 'base64').toString(), 'not json');
    assert.match(doc.failures[0].errorMessage, /JSON object|not an object|object/i);
  });

  test('an s3 action stores each message as an object at its rendered key', async () => {
    const kit = await server.createThing(thingName('cam'));
    const file = writePayload('frames', {
      topicRulePayload: {
        sql: "SELECT *, topic(2) AS device FROM 'devices/+/frame'",
        actions: [{ s3: { bucketName: 'frames', key: '${topic(2)}/${seq}.json', cannedAcl: 'private' } }],
        errorAction: { republish: { topic: 'errors/${topic(2)}', qos: 1 } },
      },
    });
    await cli(['rule', 'create', 'frames', '--payload', file]);
    const described = JSON.parse((await cli(['rule', 'describe', 'frames', '--json'])).stdout);
    assert.deepEqual(described.actions[0].s3, { bucketName: 'frames', key: '${topic(2)}/${seq}.json', cannedAcl: 'private' });

    const errors = new MosquittoSub([...mosqArgs(server, { admin: true, version: 'mqttv5' }), '-q', '1', '-t', 'errors/#']);
    subs.push(errors);
    await errors.subscribed();
    // QoS 1: mosquitto_pub returns once the PUBACK is in, which comes once the object is.
    for (const seq of [1, 2, 3]) {
      const r = await mosquittoPub([...mosqArgs(server, { kit, version: 'mqttv5' }), '-q', '1',
                                   '-t', `devices/${kit.thing}/frame`, '-m', JSON.stringify({ seq, w: 640 })]);
      assert.equal(r.code, 0, describeRun('mosquitto_pub', r));
    }
    const objects = listObjects(path.join(server.dataDir, 'lake', 'frames'));
    assert.deepEqual(objects.map((o) => o.key), [1, 2, 3].map((n) => `${kit.thing}/${n}.json`));
    assert.deepEqual(JSON.parse(objects[1].data.toString()), { seq: 2, w: 640, device: kit.thing });

    // A key that walks out of the bucket is refused: the error action says why.
    const r = await mosquittoPub([...mosqArgs(server, { kit, version: 'mqttv5' }), '-q', '1',
                                 '-t', `devices/${kit.thing}/frame`, '-m', JSON.stringify({ seq: '../..' })]);
    assert.equal(r.code, 0, describeRun('mosquitto_pub', r));
    const [m] = await errors.waitMessages(1);
    const doc = JSON.parse(m.payload);
    assert.equal(doc.failures[0].failedAction, 'S3Action');
    assert.match(doc.failures[0].errorMessage, /rendered an unusable key: .*'\.\.'/);
    assert.equal(listObjects(path.join(server.dataDir, 'lake', 'frames')).length, 3);

    const bad = writePayload('bad-bucket', {
      topicRulePayload: { sql: "SELECT * FROM 'a/b'", actions: [{ s3: { bucketName: 'No_Such', key: 'k' } }] },
    });
    const refused = await server.cli(['rule', 'create', 'bad_bucket', '--payload', bad]);
    assert.notEqual(refused.code, 0);
    assert.match(refused.stderr, /actions\[0\]\.s3\.bucketName: bucket name 'No_Such'/);
  });

  test('an http action POSTs the output over verified TLS, and a failing endpoint reaches the error action', async () => {
    const kit = await server.createThing(thingName('hook'));
    const port = hookServer.address().port;
    const file = writePayload('hook', {
      topicRulePayload: {
        sql: "SELECT level, topic(2) AS device FROM 'devices/+/alarm'",
        actions: [{ http: { url: `https://127.0.0.1:${port}/alarm/\${topic(2)}?at=\${timestamp()}`,
                            headers: [{ key: 'X-Device', value: '${clientid()}' },
                                      { key: 'Authorization', value: 'Bearer t0ken' }] } }],
        errorAction: { republish: { topic: 'hook-errors/${topic(2)}', qos: 1 } },
      },
    });
    await cli(['rule', 'create', 'hook', '--payload', file]);
    const errors = new MosquittoSub([...mosqArgs(server, { admin: true, version: 'mqttv5' }), '-q', '1', '-t', 'hook-errors/#']);
    subs.push(errors);
    await errors.subscribed();

    const publish = async (doc) => {
      const r = await mosquittoPub([...mosqArgs(server, { kit, version: 'mqttv5' }), '-q', '1',
                                   '-t', `devices/${kit.thing}/alarm`, '-m', JSON.stringify(doc)]);
      assert.equal(r.code, 0, describeRun('mosquitto_pub', r));
    };
    await publish({ level: 4, other: 'x' });
    const [req] = await hookRequests(1);
    assert.equal(req.method, 'POST');
    assert.match(req.url, new RegExp(`^/alarm/${kit.thing}\\?at=\\d{13}$`));
    assert.equal(req.headers['x-device'], kit.thing);
    assert.equal(req.headers.authorization, 'Bearer t0ken');
    assert.equal(req.headers['content-type'], 'application/json');
    assert.deepEqual(JSON.parse(req.body), { level: 4, device: kit.thing });

    // 500 every time: tried three times, then the error action says what it answered.
    hook.status = 500;
    await publish({ level: 9 });
    const [m] = await errors.waitMessages(1);
    assert.equal(m.topic, `hook-errors/${kit.thing}`);
    const doc = JSON.parse(m.payload);
    assert.equal(doc.failures[0].failedAction, 'HttpAction');
    assert.match(doc.failures[0].errorMessage, /answered 500: hook is down \(after 3 attempts\)/);
    assert.equal(Buffer.from(doc.base64OriginalPayload, 'base64').toString(), JSON.stringify({ level: 9 }));
    assert.equal(hook.requests.length, 4);
    hook.status = 200;
    // A request is counted until its failure is handed on: that may still be returning.
    let metrics = '';
    for (let i = 0; i < 50; i++) {
      metrics = await (await fetch(`http://127.0.0.1:${server.httpPort}/metrics`)).text();
      if (/^tributary_rule_http_requests_queued 0$/m.test(metrics)) break;
      await sleep(100);
    }
    assert.match(metrics, /^tributary_rule_http_requests_queued 0$/m);
    assert.match(metrics, /^tributary_rule_action_failures_total\{rule="hook"\} 1$/m);
  });

  test('a republish action sets the MQTT 5 properties of its headers', async () => {
    const kit = await server.createThing(thingName('req'));
    const file = writePayload('reply', {
      topicRulePayload: {
        sql: "SELECT * FROM 'devices/+/req'",
        actions: [{ republish: { topic: 'replies/${topic(2)}', qos: 1, headers: {
          payloadFormatIndicator: 'UTF8_DATA', contentType: 'application/json',
          responseTopic: 'devices/${topic(2)}/resp', correlationData: "${encode(id, 'base64')}",
          messageExpiry: '${ttl}', userProperties: [{ key: 'device', value: '${topic(2)}' }] } } }],
      },
    });
    await cli(['rule', 'create', 'reply', '--payload', file]);
    const sub = new MosquittoSub([...mosqArgs(server, { admin: true, version: 'mqttv5' }), '-q', '1', '-t', 'replies/#'],
                                 { properties: true });
    subs.push(sub);
    await sub.subscribed();
    const r = await mosquittoPub([...mosqArgs(server, { kit, version: 'mqttv5' }), '-q', '1',
                                 '-t', `devices/${kit.thing}/req`, '-m', JSON.stringify({ id: 'req-7', ttl: 60 })]);
    assert.equal(r.code, 0, describeRun('mosquitto_pub', r));
    const [m] = await sub.waitMessages(1);
    assert.equal(m.topic, `replies/${kit.thing}`);
    assert.equal(m.contentType, 'application/json');
    assert.equal(m.responseTopic, `devices/${kit.thing}/resp`);
    assert.equal(m.correlationData, 'req-7');
    assert.equal(m.payloadFormat, '1');
    assert.ok(Number(m.messageExpiry) > 55 && Number(m.messageExpiry) <= 60, m.messageExpiry);
    assert.match(m.userProperties, new RegExp(`device:${kit.thing}`));
    assert.deepEqual(JSON.parse(m.payload), { id: 'req-7', ttl: 60 });
  });

  test('a rule reads the sender\'s address, its MQTT 5 properties, times and regular expressions', async () => {
    const kit = await server.createThing(thingName('props'));
    const sql = "SELECT sourceip() AS ip, principal() AS who, clientid() AS client, traceid() AS trace, " +
      "get_user_properties('site') AS sites, " +
      "get_mqtt_property('content_type') AS ct, regexp_replace(serial, '[0-9]', '#') AS masked, " +
      "regexp_matches(serial, '^SN-') AS is_serial, time_to_epoch(at, 'yyyy-MM-dd HH:mm:ss z') AS t " +
      "FROM 'devices/+/props'";
    const file = writePayload('props', {
      topicRulePayload: { sql, actions: [{ republish: { topic: 'props/${topic(2)}/${traceid()}', qos: 1 } }] },
    });
    await cli(['rule', 'create', 'props', '--payload', file]);
    const sub = new MosquittoSub([...mosqArgs(server, { admin: true, version: 'mqttv5' }), '-q', '1', '-t', 'props/#']);
    subs.push(sub);
    await sub.subscribed();
    const r = await mosquittoPub([...mosqArgs(server, { kit, version: 'mqttv5' }), '-q', '1',
      '-D', 'publish', 'user-property', 'site', 'lyon', '-D', 'publish', 'user-property', 'line', '3',
      '-D', 'publish', 'user-property', 'site', 'paris', '-D', 'publish', 'content-type', 'application/json',
      '-t', `devices/${kit.thing}/props`,
      '-m', JSON.stringify({ serial: 'SN-4711', at: '2026-07-01 12:00:00 Europe/Paris' })]);
    assert.equal(r.code, 0, describeRun('mosquitto_pub', r));
    const [m] = await sub.waitMessages(1);
    const out = JSON.parse(m.payload);
    // principal(): the device certificate's SHA-256 thumbprint (AWS's certificate id);
    // traceid(): the message's UUID, the same in the output and the topic.
    const thumbprint = new crypto.X509Certificate(kit.cert).fingerprint256.replace(/:/g, '').toLowerCase();
    assert.match(out.trace || '', /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/, m.payload);
    assert.equal(m.topic, `props/${kit.thing}/${out.trace}`);
    assert.deepEqual(out, {
      ip: '127.0.0.1', who: thumbprint, client: kit.thing, trace: out.trace, sites: ['lyon', 'paris'],
      ct: 'application/json', masked: 'SN-####', is_serial: true, t: Date.UTC(2026, 6, 1, 10, 0, 0) });

    // The same through `rule test`, with the address and properties given as flags.
    const t = await cli(['rule', 'test', 'props', '--topic', 'devices/d9/props',
      '--message', '{"serial":"X1","at":"2026-01-15 12:00:00 Europe/Paris"}', '--source-ip', '192.0.2.7',
      '--principal', 'ab12', '--client-id', 'd9', '--user-property', 'site=nantes', '--content-type', 'text/plain']);
    const tried = JSON.parse(JSON.parse(t.stdout).output);
    assert.match(tried.trace || '', /^[0-9a-f-]{36}$/, t.stdout);
    assert.equal(JSON.parse(t.stdout).actions[0].republish.topic, `props/d9/${tried.trace}`);
    assert.deepEqual(tried, {
      ip: '192.0.2.7', who: 'ab12', client: 'd9', trace: tried.trace, sites: ['nantes'], ct: 'text/plain',
      masked: 'X#', is_serial: false, t: Date.UTC(2026, 0, 15, 11, 0, 0) });

    // A pattern RE2 cannot compile is refused with the rule, saying where.
    const bad = writePayload('props-bad', { topicRulePayload: {
      sql: "SELECT regexp_matches(serial, '(a)\\\\1') AS m FROM 'devices/+/props'", actions: [] } });
    const refused = await server.cli(['rule', 'create', 'props_bad', '--payload', bad]);
    assert.notEqual(refused.code, 0);
    assert.match(refused.stderr, /column 31: regexp_matches\(\): the pattern does not compile/);
  });

  test('SET variables feed SELECT, WHERE and the republish topic, one value per message', async () => {
    const kit = await server.createThing(thingName('setvars'));
    const sql = 'SET @c = round((temp_f - 32) * 5 / 9), @id = newuuid(), @site = lower(site) ' +
      "SELECT @c AS celsius, @id AS id FROM 'devices/+/env' WHERE @c > 20";
    const file = writePayload('setvars', {
      topicRulePayload: { sql, actions: [{ republish: { topic: 'env/${@site}/${@id}', qos: 1 } }] },
    });
    await cli(['rule', 'create', 'setvars', '--payload', file]);
    const sub = new MosquittoSub([...mosqArgs(server, { admin: true }), '-q', '1', '-t', 'env/#']);
    subs.push(sub);
    await sub.subscribed();
    for (const temp_f of [50, 95]) {  // 10 C is filtered out by WHERE, 35 C goes through
      const r = await mosquittoPub([...mosqArgs(server, { kit }), '-q', '1', '-t', `devices/${kit.thing}/env`,
        '-m', JSON.stringify({ temp_f, site: 'NORTH' })]);
      assert.equal(r.code, 0, describeRun('mosquitto_pub', r));
    }
    const [m] = await sub.waitMessages(1);
    const out = JSON.parse(m.payload);
    assert.equal(out.celsius, 35);
    assert.match(out.id, /^[0-9a-f-]{36}$/);
    assert.equal(m.topic, `env/north/${out.id}`, 'the topic template saw the id the output holds');

    // `rule test` lists each variable's value.
    const t = JSON.parse((await cli(['rule', 'test', 'setvars', '--topic', 'devices/d9/env',
      '--message', '{"temp_f":212,"site":"South"}'])).stdout);
    assert.equal(t.variables.c, 100);
    assert.equal(t.variables.site, 'south');
    assert.equal(t.actions[0].republish.topic, `env/south/${t.variables.id}`);
  });

  test('rule test shows the output and each action\'s destination, and does nothing', async () => {
    const file = writePayload('dry', {
      topicRulePayload: {
        sql: "SELECT level, topic(2) AS device FROM 'devices/+/dry' WHERE level > 1",
        actions: [{ s3: { bucketName: 'dry-run', key: '${topic(2)}/${level}.json' } },
                  { republish: { topic: 'dry/${topic(2)}' } }],
      },
    });
    await cli(['rule', 'create', 'dry', '--payload', file]);
    const r = await cli(['rule', 'test', 'dry', '--topic', 'devices/d7/dry', '--message', '{"level":3}',
                         '--client-id', 'd7']);
    const t = JSON.parse(r.stdout);
    assert.equal(t.matches, true);
    assert.equal(t.selected, true);
    assert.equal(t.output, '{"level":3,"device":"d7"}');
    assert.deepEqual(t.actions[0].s3, { bucketName: 'dry-run', key: 'd7/3.json', body: t.output });
    assert.equal(t.actions[1].republish.topic, 'dry/d7');
    assert.deepEqual(listObjects(path.join(server.dataDir, 'lake', 'dry-run')), [], 'a test stored an object');
    // An unsaved definition, and a WHERE that does not hold.
    const other = writePayload('dry2', { topicRulePayload: {
      sql: "SELECT * FROM 'devices/+/dry' WHERE level > 10", actions: [{ republish: { topic: 'x' } }] } });
    const r2 = await cli(['rule', 'test', 'dry', '--topic', 'devices/d7/dry', '--message', '{"level":3}',
                          '--payload', other]);
    assert.deepEqual(JSON.parse(r2.stdout).selected, false);
    const bad = await server.cli(['rule', 'test', 'dry', '--topic', 'devices/+/dry']);
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /topic: must be a topic name/);
  });

  test('bad SQL, a taken name and an unknown rule get clear errors', async () => {
    const bad = writePayload('bad', { topicRulePayload: { sql: "SELECT ozone FROM WHERE", actions: [] } });
    let r = await server.cli(['rule', 'create', 'bad', '--payload', bad]);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /tributary rule create: .*column \d+/);
    const ok = writePayload('ok', { topicRulePayload: { sql: "SELECT * FROM 'a/b'", actions: [] } });
    await cli(['rule', 'create', 'taken', '--payload', ok]);
    r = await server.cli(['rule', 'create', 'taken', '--payload', ok]);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /already exists/);
    r = await server.cli(['rule', 'describe', 'nope']);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /rule 'nope' does not exist/);
    r = await server.cli(['rule', 'create', 'x', '--payload', path.join(dir, 'missing.json')]);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /missing\.json/);
    // A payload file that is not JSON: where it stops being JSON.
    const broken = path.join(dir, 'broken.json');
    fs.writeFileSync(broken, '{"topicRulePayload": {\n  "sql": "SELECT * FROM \'a/b\'",\n  "actions": [}\n}\n');
    r = await server.cli(['rule', 'create', 'broken', '--payload', broken]);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /broken\.json' is not valid JSON: line 3, column 15: syntax error while parsing value/, r.stderr);
    // A definition with its fields at the top: errors name them where they are.
    const top = writePayload('top', { sql: "SELECT * FROM 'a/b'", actions: [{ republish: { topic: 'x/${@nov}' } }] });
    r = await server.cli(['rule', 'create', 'top', '--payload', top]);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /: actions\[0\]\.republish\.topic: .*@nov/, r.stderr);
  });

  test('a rule whose SELECT never outputs the field its stream partitions by is warned about', async () => {
    await cli(['stream', 'create', 'by_x', '--bucket', 'parts', '--prefix', 'x=!{partitionKeyFromQuery:x}/',
               '--error-prefix', 'failed/']);
    const warned = async (sql) => {
      const file = writePayload('part', { topicRulePayload: { sql, actions: [{ firehose: { deliveryStreamName: 'by_x' } }] } });
      const r = await cli(['rule', 'create', 'part', '--payload', file]);
      await cli(['rule', 'delete', 'part']);
      return r.stderr;
    };
    assert.match(await warned("SELECT a FROM 'px/1'"),
      /^tributary rule create: warning: actions\[0\]\.firehose: delivery stream 'by_x' partitions its objects by the record's field 'x' \(!\{partitionKeyFromQuery:x\}\), which this rule's SELECT does not output; its records go to the stream's error prefix$/m);
    assert.equal(await warned("SELECT a, b AS x FROM 'px/1'"), '');
    assert.equal(await warned("SELECT * FROM 'px/1'"), '', 'a SELECT * may output it');
    await cli(['stream', 'delete', 'by_x']);
  });

  test('a rule read back is sent again as it is; a stored rule that no longer compiles says why', async () => {
    const file = writePayload('again', { topicRulePayload: {
      sql: "SELECT ozone FROM 'again/+'", description: 'round trip', ruleDisabled: true,
      actions: [{ republish: { topic: 'out/${topic(2)}', qos: 1, roleArn: 'arn:aws:iam::1:role/r' } }] } });
    await cli(['rule', 'create', 'again', '--payload', file]);
    const read = (await cli(['rule', 'describe', 'again', '--json'])).stdout;
    const readFile = path.join(dir, 'again-read.json');
    fs.writeFileSync(readFile, read);
    await cli(['rule', 'replace', 'again', '--payload', readFile], 'rule replace with what rule describe --json gave');
    const again = JSON.parse((await cli(['rule', 'describe', 'again', '--json'])).stdout);
    const before = JSON.parse(read);
    for (const key of ['sql', 'description', 'ruleDisabled', 'actions', 'createdAt']) {
      assert.deepEqual(again[key], before[key], key);
    }

    // Stored by a server that checked less: shown, disabled, with why.
    assert.equal((await server.stop()).code, 0);
    const stored = JSON.stringify({ sql: 'SELECT * FORM x', actions: [] });
    const r = await run('sqlite3', ['-batch', path.join(server.dataDir, 'metadata.db'),
      `UPDATE rules SET payload = '${stored}', disabled = 0 WHERE name = 'again'`], { timeoutMs: 15000 });
    assert.equal(r.code, 0, describeRun('sqlite3', r));
    await server.launch();
    const list = (await cli(['rule', 'list'])).stdout;
    assert.match(list, /^again\s+disabled \(error\)\s+SELECT \* FORM x/m, list);
    const described = (await cli(['rule', 'describe', 'again'])).stdout;
    assert.match(described, /^state: +disabled\nerror: +the stored rule does not compile: sql: column \d+/m, described);
    await cli(['rule', 'delete', 'again']);
  });
});
