// The web console (web/, served at /console/) in Chromium against a real server: how
// its files are served (security headers, no token needed for them, nothing outside
// web/ reachable), signing in and out (the token only in the tab's sessionStorage),
// and the device and ingest pages: the overview's live counters, a thing created from
// the console whose downloaded kit connects over mTLS and whose attributes are edited
// there, a rule created and disabled from the console counting real MQTT messages, live
// messages watched from the console, a delivery stream created, fed and flushed from the
// console into the lake; the
// deployment's servers (one killed, one stopped) listed and forgotten. Names a device
// chose are shown as text, never markup.
'use strict';

const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const http = require('node:http');
const path = require('node:path');
const { Server, makeTempDir, removeTempDir, run } = require('./harness');
const { adminOptions, connect, connectRefused, publish, end } = require('./clients');
const { serverArgs, launchBrowser, openConsole, assertNoProblems, tableRows, eventually } = require('./browser');
const { NatsServer } = require('./nats');

function rawGet(server, urlPath, headers = {}) {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port: server.httpPort, path: urlPath, headers }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, text: Buffer.concat(chunks).toString() }));
    });
    req.setTimeout(5000, () => req.destroy(new Error(`GET ${urlPath}: no answer`)));
    req.on('error', reject);
  });
}

describe('console: serving, sign-in, devices and ingest', () => {
  let server;
  let browser;
  let nats;
  const downloads = makeTempDir('console-downloads');

  before(async () => {
    // Bridged to a nats-server (as one server of several would be): the overview says so.
    nats = await NatsServer.start();
    server = await Server.start({ args: [...serverArgs(), '--broker-nats-url', nats.url], tag: 'console-core' });
    browser = await launchBrowser();
  });
  after(async () => {
    if (browser) await browser.close();
    if (server) await server.dispose();
    if (nats) await nats.stop();
    removeTempDir(downloads);
  });

  test('the files are served without a token, with security headers; the API still needs one', async () => {
    const root = await rawGet(server, '/');
    assert.equal(root.status, 302);
    assert.equal(root.headers.location, '/console/');
    const index = await rawGet(server, '/console/');
    assert.equal(index.status, 200);
    assert.match(index.headers['content-type'], /^text\/html/);
    assert.match(index.text, /<script type="module" src="js\/main.js">/);
    const csp = index.headers['content-security-policy'];
    assert.match(csp, /script-src 'self'/);
    assert.match(csp, /frame-ancestors 'none'/);
    assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/);
    assert.equal(index.headers['x-content-type-options'], 'nosniff');
    const js = await rawGet(server, '/console/js/api.js');
    assert.equal(js.status, 200);
    assert.match(js.headers['content-type'], /^text\/javascript/);
    const again = await rawGet(server, '/console/js/api.js', { 'If-None-Match': js.headers.etag });
    assert.equal(again.status, 304);
    for (const p of ['/console/../admin.token', '/console/%2e%2e/admin.token', '/console/js/nothing.js']) {
      const r = await rawGet(server, p);
      assert.equal(r.status, 404, p);
      assert.doesNotMatch(r.text, new RegExp(server.token), p);
    }
    assert.equal((await rawGet(server, '/v1/things')).status, 401);
  });

  test('a wrong token is refused; the right one opens the overview and stays in sessionStorage only', async () => {
    const { page, context, problems } = await openConsole(browser, server, { signIn: false });
    await page.fill('#token', 'not-the-token');
    await page.click('[data-testid=signin] button[type=submit]');
    await page.waitForSelector('[data-testid=signin] .error');
    assert.match(await page.textContent('[data-testid=signin] .error'), /refused this token/);
    await page.fill('#token', server.token);
    await page.click('[data-testid=signin] button[type=submit]');
    await page.waitForSelector('[data-testid=broker-stats]');
    const storage = await page.evaluate(() => ({
      session: sessionStorage.getItem('tributary.token'), local: JSON.stringify(localStorage), url: location.href,
    }));
    assert.equal(storage.session, server.token);
    assert.equal(storage.local, '{}');
    assert.doesNotMatch(storage.url, new RegExp(server.token));
    await page.click('[data-testid=signout]');
    await page.waitForSelector('[data-testid=signin]');
    assert.equal(await page.evaluate(() => sessionStorage.getItem('tributary.token')), null);
    // The wrong token's 401 is the one HTTP error expected here.
    assertNoProblems(problems, { allowHttpErrors: true });
    await context.close();
  });

  test('things: created from the console, its downloaded kit connects over mTLS; deactivation shows', async () => {
    const { page, context, problems } = await openConsole(browser, server, { hash: '#/things' });
    await page.click('button[data-testid=create-thing]');
    await page.fill('dialog #f-name', 'console-sensor');
    await page.fill('dialog #f-attributes', '{"site": "<img src=x onerror=alert(1)>"}');
    await page.click('dialog button[type=submit]');
    await page.waitForSelector('[data-testid=kit-command]');
    const files = {};
    for (const name of ['device.crt', 'device.key', 'ca.crt', 'endpoint.json']) {
      const [download] = await Promise.all([page.waitForEvent('download'), page.click(`[data-testid="kit-${name}"]`)]);
      assert.equal(download.suggestedFilename(), name);
      const file = path.join(downloads, name);
      await download.saveAs(file);
      files[name] = fs.readFileSync(file, 'utf8');
    }
    assert.match(files['device.key'], /BEGIN PRIVATE KEY/);
    const endpoint = JSON.parse(files['endpoint.json']);
    assert.equal(endpoint.mqtt_tls_port, server.tlsPort);
    assert.equal(endpoint.client_id, 'console-sensor');
    const verify = await run('openssl', ['verify', '-CAfile', path.join(downloads, 'ca.crt'), path.join(downloads, 'device.crt')]);
    assert.equal(verify.code, 0, verify.stderr);
    // The kit is good for a real device connection.
    const device = await connect({
      host: '127.0.0.1', protocol: 'mqtts', port: endpoint.mqtt_tls_port, servername: 'localhost',
      ca: files['ca.crt'], cert: files['device.crt'], key: files['device.key'], rejectUnauthorized: true,
      clientId: endpoint.client_id, protocolVersion: 5, reconnectPeriod: 0, connectTimeout: 5000,
    }, { what: 'the console-made kit connecting' });
    const acked = await publish(device, endpoint.topic, '{"pm25": 3}');
    assert.ok(!acked.err, String(acked.err));
    const deviceOptions = { ...device.options };

    await page.click('.crumbs a[href="#/things"]');
    await page.waitForSelector('table[data-testid=things]');
    const rows = await tableRows(page, 'things');
    const row = rows.find((r) => r[0] === 'console-sensor');
    assert.ok(row, JSON.stringify(rows));
    assert.equal(row[1], 'active');
    // The attribute is text on the page, not an element.
    assert.match(row[2], /<img src=x onerror=alert\(1\)>/);
    assert.equal(await page.$$eval('table[data-testid=things] img', (x) => x.length), 0);

    await page.click('text=console-sensor');
    await page.waitForSelector('table[data-testid=certificates]');
    // Its attributes edited as JSON: a bad object is refused in the dialog, a good one replaces them.
    await page.click('button[data-testid=edit-attributes]');
    await page.fill('dialog #f-attributes', '{"site": ');
    await page.click('dialog button[type=submit]');
    await page.waitForSelector('dialog .error:not([hidden])');
    assert.match(await page.textContent('dialog .error'), /Attributes is not valid JSON/);
    await page.fill('dialog #f-attributes', '{"site": "Sants", "floor": "2"}');
    await page.click('dialog button[type=submit]');
    await eventually(async () => (await page.textContent('main')).includes('"floor":"2"'), 'the new attributes shown');
    assert.deepEqual((await server.api('GET', '/v1/things/console-sensor')).json.attributes, { site: 'Sants', floor: '2' });
    // Revoking the kit's certificate from the page closes the device's connection, and the
    // certificate no longer connects; revoked is final.
    const fingerprint = (await server.api('GET', '/v1/things/console-sensor')).json.certificates[0].fingerprint;
    const closed = new Promise((resolve) => device.once('close', resolve));
    await page.click(`[data-testid="cert-${fingerprint.slice(0, 8)}-revoke"]`);
    await eventually(async () => (await tableRows(page, 'certificates'))[0]?.[1] === 'revoked', 'the certificate shown revoked');
    await Promise.race([closed, new Promise((_, reject) => setTimeout(() => reject(new Error('the device stayed connected')), 5000))]);
    await end(device);
    const refused = await connectRefused({ ...deviceOptions, reconnectPeriod: 0 }, { what: 'the revoked certificate connecting' });
    assert.equal(refused.connackCode, 0x87, 'Not authorized for a revoked certificate');
    const again = await server.api('PUT', `/v1/certificates/${fingerprint}`, { status: 'active' });
    assert.equal(again.status, 409, again.text);
    assert.match(again.json.error.message, /revoked certificate cannot be reactivated/);
    await page.click('[data-testid=deactivate]');
    await page.waitForSelector('[data-testid=activate]');
    const described = await server.api('GET', '/v1/things/console-sensor');
    assert.equal(described.json.active, false);
    assertNoProblems(problems);
    await context.close();
  });

  test('rules: a bad statement is refused in the dialog; a rule made here counts real messages and is disabled here', async () => {
    const { page, context, problems } = await openConsole(browser, server, { hash: '#/rules' });
    const created = await server.api('POST', '/v1/streams', { name: 'console-pm', bucket: 'console-lake', buffer_interval_s: 1 });
    assert.equal(created.status, 201, created.text);
    await page.click('button[data-testid=create-rule]');
    await page.fill('dialog #f-name', 'console_rule');
    const payload = (sql) => JSON.stringify({ topicRulePayload: { sql, awsIotSqlVersion: '2016-03-23',
      actions: [{ firehose: { deliveryStreamName: 'console-pm', separator: '\n' } }] } });
    await page.fill('dialog #f-payload', payload("SELECT * FROM 'console/+' WHERE"));
    await page.click('dialog button[type=submit]');
    await page.waitForSelector('dialog .error:not([hidden])');
    assert.match(await page.textContent('dialog .error'), /position|column|offset|expected/i);
    await page.fill('dialog #f-payload', payload("SELECT *, topic(2) AS device FROM 'console/+'"));
    await page.click('dialog button[type=submit]');
    await page.waitForSelector('[data-testid=rule-sql]');
    assert.equal(await page.textContent('[data-testid=rule-sql]'), "SELECT *, topic(2) AS device FROM 'console/+'");

    const client = await connect(adminOptions(server), { what: 'admin publisher' });
    for (let i = 0; i < 5; i += 1) await publish(client, `console/dev-${i}`, JSON.stringify({ pm25: i }));
    await end(client);
    await eventually(async () => /Matched5(?!\d)/.test((await page.textContent('[data-testid=rule-metrics]')).replace(/\s+/g, '')),
      'the rule page to count 5 matched messages', { timeoutMs: 8000 });

    // Tried on a message from the page: the output and the record, and nothing counted.
    await page.click('button[data-testid=try-rule]');
    assert.equal(await page.inputValue('dialog #f-topic'), 'console/test');
    await page.fill('dialog #f-payload', '{"pm25": 42}');
    await page.click('dialog button[type=submit]');
    await page.waitForSelector('[data-testid=rule-trial]');
    const trial = JSON.parse(await page.textContent('[data-testid=rule-trial]'));
    assert.equal(trial.output, '{"pm25":42,"device":"test"}');
    assert.deepEqual(trial.actions, [{ firehose: { deliveryStreamName: 'console-pm', record: '{"pm25":42,"device":"test"}\n' } }]);
    assert.equal((await server.api('GET', '/v1/rules/console_rule')).json.metrics.matched, 5);

    await page.click('[data-testid=disable]');
    await page.waitForSelector('[data-testid=enable]');
    assert.equal((await server.api('GET', '/v1/rules/console_rule')).json.ruleDisabled, true);
    await page.goto(`http://127.0.0.1:${server.httpPort}/console/#/rules`);
    await page.waitForSelector('table[data-testid=rules]');
    const row = (await tableRows(page, 'rules')).find((r) => r[0] === 'console_rule');
    assert.deepEqual([row[1], row[3], row[4]], ['disabled', 'firehose → console-pm', '5']);
    assertNoProblems(problems, { allowHttpErrors: true });  // the refused statement's 400
    await context.close();
  });

  test('live messages: a watch from the page shows what devices publish, as text, and ends when the page is left', async () => {
    const { page, context, problems } = await openConsole(browser, server, { hash: `#/live?filter=${encodeURIComponent('live/#')}` });
    await page.waitForSelector('text=Watching live/#');
    const client = await connect(adminOptions(server, { clientId: 'live-publisher' }), { what: 'admin publisher' });
    await publish(client, 'live/a', '{"pm25": 7, "note": "<b>bold</b>"}');
    await publish(client, 'other/x', 'not watched');
    await publish(client, 'live/bin', Buffer.from([0xff, 0x00, 0x01]));
    await end(client);
    const rows = await eventually(async () => {
      const r = await tableRows(page, 'live-messages');
      return r.length === 2 ? r : null;
    }, 'two messages on the live page');
    // Newest first: received, topic, client, QoS, payload.
    assert.deepEqual(rows.map((r) => [r[1], r[2], r[3]]), [['live/bin', 'live-publisher', '1'], ['live/a', 'live-publisher', '1']]);
    assert.match(rows[0][4], /binary, 3 B, base64\) \/wAB/);
    assert.match(rows[1][4], /"note": "<b>bold<\/b>"/);
    assert.equal(await page.$$eval('table[data-testid=live-messages] b', (x) => x.length), 0);
    assert.equal((await server.api('GET', '/v1/live/watches')).json.watches.length, 1);

    // A test message from the page goes through the rules, then to subscribers and watchers.
    const rule = await server.api('POST', '/v1/rules/live_rule', { topicRulePayload: {
      sql: "SELECT * FROM 'live/+' WHERE clientid() = 'n/a' AND principal() = 'admin' AND isUndefined(traceid())",
      awsIotSqlVersion: '2016-03-23',
      actions: [{ republish: { topic: 'live-copy/${topic(2)}', qos: 0 } }] } });
    assert.equal(rule.status, 201, rule.text);
    const subscriber = await connect(adminOptions(server, { clientId: 'live-subscriber' }), { what: 'admin subscriber' });
    const got = [];
    subscriber.on('message', (topic, payload) => got.push(`${topic} ${payload}`));
    await new Promise((resolve, reject) => subscriber.subscribe(['live/#', 'live-copy/#'], { qos: 1 }, (e) => (e ? reject(e) : resolve())));
    await page.fill('#pub-topic', 'live/from-console');
    await page.fill('#pub-payload', '{"pm25": 99}');
    await page.click('[data-testid=publish]');
    await page.waitForSelector('[data-testid=publish-result] .note');
    assert.match(await page.textContent('[data-testid=publish-result]'), /Published to live\/from-console \(QoS 1\); the rules took it: accepted/);
    await eventually(async () => got.length === 2, 'the message and the rule\'s republished copy at the subscriber');
    // The rule's SELECT * re-serialises the payload; the broker delivers the original bytes.
    assert.deepEqual(got.sort(), ['live-copy/from-console {"pm25":99}', 'live/from-console {"pm25": 99}']);
    await end(subscriber);
    assert.equal((await server.api('GET', '/v1/rules/live_rule')).json.metrics.matched, 1);
    assert.equal((await server.api('DELETE', '/v1/rules/live_rule')).status, 200);
    const shown = await eventually(async () => {
      const r = await tableRows(page, 'live-messages');
      return r.length === 3 ? r : null;
    }, 'the console\'s own message on the live page');
    assert.deepEqual([shown[0][1], shown[0][2]], ['live/from-console', '(HTTP publish)']);
    await page.fill('#pub-topic', 'live/#');
    await page.click('[data-testid=publish]');
    await page.waitForSelector('[data-testid=publish-result] .error');
    assert.match(await page.textContent('[data-testid=publish-result]'), /'live\/#' is not a topic one may publish to/);

    await page.click('nav a[data-route="/rules"]');
    await eventually(async () => (await server.api('GET', '/v1/live/watches')).json.watches.length === 0,
      'the watch to be deleted once the page was left');
    const bad = await server.api('POST', '/v1/live/watches', { filter: 'a/#/b' });
    assert.equal(bad.status, 400);
    assert.match(bad.json.error.message, /'a\/#\/b' is not a valid MQTT topic filter/);
    assertNoProblems(problems, { allowHttpErrors: true });  // the refused topic's 400
    await context.close();
  });

  test('streams: created, fed and flushed from the console; the record lands in the lake', async () => {
    const { page, context, problems } = await openConsole(browser, server, { hash: '#/streams' });
    await page.click('button[data-testid=create-stream]');
    await page.fill('dialog #f-name', 'console-direct');
    await page.fill('dialog #f-bucket', 'console-direct-lake');
    await page.fill('dialog #f-prefix', 'direct/');
    await page.selectOption('dialog #f-compression', 'none');
    await page.fill('dialog #f-time_zone', 'Asia/Tokyo');
    await page.fill('dialog #f-file_extension', '.jsonl');
    await page.fill('dialog #f-backup_bucket', 'console-backup');
    await page.fill('dialog #f-backup_prefix', 'copies/');
    await page.selectOption('dialog #f-deaggregation', 'delimited');
    await page.fill('dialog #f-deaggregation_delimiter', '||');
    await page.click('dialog button[type=submit]');
    await page.waitForSelector('[data-testid=stream-config]');
    assert.match(await page.textContent('[data-testid=stream-config]'), /s3:\/\/console-direct-lake\/direct\//);
    assert.match(await page.textContent('[data-testid=stream-config]'),
                 /every record as put to s3:\/\/console-backup\/copies\/ \(none\)/);
    assert.match(await page.textContent('[data-testid=stream-config]'), /pieces between \|\|, a record each/);
    assert.deepEqual((await server.api('GET', '/v1/streams/console-direct')).json.config.deaggregation,
                     { type: 'delimited', delimiter: '||' });
    assert.match(await page.textContent('[data-testid=stream-config]'), /Asia\/Tokyo/);
    await page.click('[data-testid=put-record]');
    await page.fill('dialog #f-data', '{"device": "console", "pm25": 42.5}');
    await page.click('dialog button[type=submit]');
    await page.waitForSelector('text=is in the stream\'s log');
    await page.click('[data-testid=flush]');
    await page.waitForSelector('text=Flushed');
    const listing = await eventually(async () => {
      const r = await server.api('GET', '/v1/lake/buckets/console-direct-lake/objects?prefix=direct/');
      return r.status === 200 && r.json.objects.length === 1 ? r.json : null;
    }, 'the record as an object in the lake');
    assert.ok(listing.objects[0].key.endsWith('.jsonl'), listing.objects[0].key);
    const object = await server.api('GET', `/v1/lake/buckets/console-direct-lake/object?key=${encodeURIComponent(listing.objects[0].key)}`);
    assert.equal(object.text, '{"device": "console", "pm25": 42.5}');
    // The source record backup holds the same record.
    const copies = await eventually(async () => {
      const r = await server.api('GET', '/v1/lake/buckets/console-backup/objects?prefix=copies/');
      return r.status === 200 && r.json.objects.length === 1 ? r.json.objects : null;
    }, 'the record in the backup bucket');
    const copy = await server.api('GET', `/v1/lake/buckets/console-backup/object?key=${encodeURIComponent(copies[0].key)}`);
    assert.equal(copy.text, '{"device": "console", "pm25": 42.5}');
    await eventually(async () => /Recordsdelivered1(?!\d)/.test((await page.textContent('[data-testid=stream-out]')).replace(/\s+/g, '')),
      'the stream page to show one record delivered');

    // The lake API pages: a second object, listed one entry at a time.
    const put = await server.api('POST', '/v1/streams/console-direct/records',
      { Record: { Data: Buffer.from('{"device": "console", "pm25": 43}').toString('base64') } });
    assert.equal(put.status, 200, put.text);
    assert.equal((await server.api('POST', '/v1/streams/console-direct/flush', {})).status, 200);
    const all = await eventually(async () => {
      const r = await server.api('GET', '/v1/lake/buckets/console-direct-lake/objects?prefix=direct/');
      return r.json.objects.length === 2 ? r.json.objects.map((o) => o.key) : null;
    }, 'a second object in the lake');
    const first = await server.api('GET', '/v1/lake/buckets/console-direct-lake/objects?prefix=direct/&max_keys=1');
    assert.deepEqual([first.json.objects.map((o) => o.key), first.json.truncated, first.json.next_start_after],
      [[all[0]], true, all[0]]);
    const second = await server.api('GET', `/v1/lake/buckets/console-direct-lake/objects?prefix=direct/&max_keys=1&start_after=${encodeURIComponent(all[0])}`);
    assert.deepEqual([second.json.objects.map((o) => o.key), second.json.truncated], [[all[1]], false]);
    const folders = await server.api('GET', '/v1/lake/buckets/console-direct-lake/objects?delimiter=/');
    assert.deepEqual([folders.json.common_prefixes, folders.json.objects], [['direct/'], []]);
    const part = await server.api('GET', `/v1/lake/buckets/console-direct-lake/object?key=${encodeURIComponent(all[1])}&offset=12&length=7`);
    assert.deepEqual([part.text, part.headers['x-object-size']], ['console', '33']);
    const missing = await server.api('GET', '/v1/lake/buckets/no-such-bucket/objects');
    assert.equal(missing.status, 404);
    assert.match(missing.json.error.message, /no bucket 'no-such-bucket'/);
    const buckets = (await server.api('GET', '/v1/lake/buckets')).json.buckets.map((b) => b.name);
    assert.deepEqual(buckets, ['console-backup', 'console-direct-lake', 'console-lake']);  // browsing made no bucket
    assert.equal((await server.api('GET', '/v1/lake/buckets/console-lake/objects?max_keys=0')).status, 400);

    // The overview counts what exists and what the broker carried, and says what needs a
    // look: nothing yet, then a rule that fails on a message (SELECT *, ... of a binary payload).
    await page.click('nav a[data-route="/"]');
    await page.waitForSelector('[data-testid=count-streams]');
    assert.match(await page.textContent('[data-testid=attention]'), /Nothing needs attention/);
    // And where the server keeps things (GET /v1/server): the SQLite file, the local lake.
    await page.waitForSelector('[data-testid=storage-metadata]');
    assert.equal(await page.textContent('[data-testid=storage-metadata]'),
                 `SQLite ${path.join(server.dataDir, 'metadata.db')}`);
    assert.equal(await page.textContent('[data-testid=storage-lake]'), `local ${path.join(server.dataDir, 'lake')}`);
    assert.match(await page.textContent('[data-testid=storage-wal]'), /\/wal \(fsync always\)/);
    // The NATS bridge (GET /v1/broker): connected, and the filters this server wants.
    const bridged = await server.api('GET', '/v1/broker');
    assert.equal(bridged.json.bridge.connected, true, bridged.text);
    assert.equal(bridged.json.bridge.server, nats.url.replace('nats://', ''));
    assert.match(await page.textContent('[data-testid=bridge]'),
                 new RegExp(`^connected to ${bridged.json.bridge.server} · \\d+ filters wanted here$`));
    const failing = await server.api('POST', '/v1/rules/attn_rule', { topicRulePayload: {
      sql: "SELECT *, topic(2) AS device FROM 'attn/+'", awsIotSqlVersion: '2016-03-23',
      actions: [{ republish: { topic: 'attn-copy/x', qos: 0 } }] } });
    assert.equal(failing.status, 201, failing.text);
    const client = await connect(adminOptions(server), { what: 'publisher of a binary payload' });
    await publish(client, 'attn/dev', Buffer.from([0xff, 0xfe, 0x00]));
    await end(client);
    const item = await eventually(async () => {
      const t = await page.textContent('[data-testid=attention]');
      return /Rule attn_rule: 1 errors/.test(t) ? t : null;
    }, 'the failing rule under Needs attention');
    assert.doesNotMatch(item, /Nothing needs attention/);
    await page.click('[data-testid=attention] a');
    await page.waitForSelector('[data-testid=rule-metrics]');
    assert.match((await page.textContent('[data-testid=rule-metrics]')).replace(/\s+/g, ''), /Errors\(SQLorpayload\)1/);
    assert.equal((await server.api('DELETE', '/v1/rules/attn_rule')).status, 200);
    await page.click('nav a[data-route="/"]');
    await page.waitForSelector('[data-testid=count-streams]');
    assert.equal(await page.textContent('[data-testid=count-streams]'), '2');
    assert.equal(await page.textContent('[data-testid=count-rules]'), '1');
    assert.equal(await page.textContent('[data-testid=count-things]'), '1');
    const received = Number((await page.textContent('[data-testid=messages-received]')).replace(/,/g, ''));
    assert.ok(received >= 6, `messages received ${received}`);
    assertNoProblems(problems);
    await context.close();
  });
});

describe('console: off', () => {
  test('--no-console serves no console', async () => {
    const server = await Server.start({ args: ['--no-console'], tag: 'console-off' });
    try {
      const r = await rawGet(server, '/console/');
      assert.notEqual(r.status, 200);
      assert.doesNotMatch(r.text, /<script/);
      assert.equal((await server.api('GET', '/v1/broker')).json.bridge, null, 'a server without --broker-nats-url bridges');
      // The flag's variable outlives parsing: the process exits cleanly (it once wrote
      // into freed memory and crashed on the way out).
      const stopped = await server.stop();
      assert.deepEqual([stopped.code, stopped.signal], [0, null], server.tail(20));
    } finally {
      await server.dispose();
    }
  });
});

describe('live topics: a server stopping while a poll waits', () => {
  test('SIGTERM answers the waiting poll and the server exits 0 at once', async () => {
    const server = await Server.start({ tag: 'live-stop' });
    try {
      const watch = await server.api('POST', '/v1/live/watches', { filter: '#' });
      assert.equal(watch.status, 201, watch.text);
      const waiting = server.api('GET', `/v1/live/watches/${watch.json.id}/messages?after=0&wait_ms=25000`)
        .then((r) => r.status, (e) => `connection: ${e.code || e.message}`);
      await new Promise((r) => setTimeout(r, 300));  // the poll is parked
      const started = Date.now();
      const stopped = await server.stop({ signal: 'SIGTERM', timeoutMs: 10000 });
      assert.deepEqual([stopped.code, stopped.hung], [0, undefined], server.tail());
      const answer = await waiting;
      assert.ok(answer === 503 || String(answer).startsWith('connection'), `the poll ended with ${answer}`);
      assert.ok(Date.now() - started < 8000, `stopping took ${Date.now() - started} ms`);
    } finally {
      await server.dispose();
    }
  });
});

describe('console: the deployment\'s servers', () => {
  test('a server lists itself, one killed (unresponsive, under Needs attention) and one stopped, and forgets them', { timeout: 90000 }, async () => {
    // The same data directory under a new id (its server.id removed) is another server of
    // the deployment to the metadata database: the first is killed (it stops reporting),
    // the second stops gracefully (it says so).
    const server = await Server.start({ args: serverArgs(), tag: 'console-servers' });
    const idOf = () => fs.readFileSync(path.join(server.dataDir, 'server.id'), 'utf8').trim();
    const newId = async (signal) => {
      const stopped = await server.stop({ signal });
      if (signal === 'SIGTERM') assert.deepEqual([stopped.code, stopped.signal], [0, null], server.tail(20));
      fs.rmSync(path.join(server.dataDir, 'server.id'));
      await server.launch();
      return idOf();
    };
    let browser;
    try {
      const killedId = idOf();
      const first = await server.api('GET', '/v1/servers');
      assert.equal(first.status, 200, first.text);
      assert.deepEqual(first.json.servers.map((s) => [s.id, s.self, s.status, s.role]), [[killedId, true, 'running', 'all']]);
      assert.equal(first.json.servers[0].listeners.http_port, server.httpPort);
      assert.equal(first.json.servers[0].listeners.mqtt_tls_port, server.tlsPort);
      assert.equal(first.json.servers[0].stopped_at, null);
      const refused = await server.api('DELETE', `/v1/servers/${killedId}`);
      assert.equal(refused.status, 409, refused.text);
      assert.match(refused.json.error.message, /is this server: it cannot forget itself/);

      const stoppedId = await newId('SIGKILL');
      // Reports every 5 s: unresponsive three reports after its last one.
      await eventually(async () => {
        const r = await server.api('GET', '/v1/servers');
        return r.json.servers.find((s) => s.id === killedId)?.status === 'unresponsive' ? true : null;
      }, 'the killed server listed as unresponsive', { timeoutMs: 30000 });

      browser = await launchBrowser();
      const { page, context, problems } = await openConsole(browser, server);
      await page.waitForSelector('[data-testid=count-servers]');
      assert.equal(await page.textContent('[data-testid=count-servers]'), '2');
      const item = await eventually(async () => {
        const t = await page.textContent('[data-testid=attention]');
        return t.includes(`Server ${killedId.slice(0, 8)} (all, localhost) is unresponsive`) ? t : null;
      }, 'the unresponsive server under Needs attention');
      assert.match(item, /its last report was \d+ s ago/);
      await page.click('[data-testid=attention] a');
      await page.waitForSelector('table[data-testid=servers]');
      assert.match(await page.textContent('[data-testid=servers-summary]'), /^2 servers: 1 running, 1 unresponsive, 0 stopped\./);
      let rows = await tableRows(page, 'servers');
      assert.equal(rows.length, 2);
      assert.deepEqual(rows[0].slice(0, 3), [`${stoppedId.slice(0, 8)} (this one)`, 'all', 'running']);
      assert.equal(rows[0][3], `localhost · MQTTS ${server.tlsPort} · WS ${server.wsPort} · HTTP ${server.httpPort} · HTTPS ${server.httpsPort}`);
      assert.equal(rows[0][5], '0.1.0');
      assert.equal(rows[0][11], '—', 'no NATS bridge');
      assert.equal(rows[0][12], '', 'no Forget button for this server');
      assert.deepEqual(rows[1].slice(0, 3), [killedId.slice(0, 8), 'all', 'unresponsive']);
      await page.click(`table[data-testid=servers] tr[data-key="${killedId}"] [data-testid=forget-server]`);
      await eventually(async () => ((await tableRows(page, 'servers')).length === 1 ? true : null),
                       'the forgotten server gone from the table');
      assertNoProblems(problems);
      await context.close();

      const lastId = await newId('SIGTERM');
      const both = await server.api('GET', '/v1/servers');
      assert.deepEqual(both.json.servers.map((s) => [s.id, s.self, s.status]),
                       [[lastId, true, 'running'], [stoppedId, false, 'stopped']]);
      assert.match(both.json.servers[1].stopped_at, /^\d{4}-\d\d-\d\dT/);
      const cli = await server.cliOk(['servers', 'list']);
      assert.match(cli.stdout, new RegExp(`${lastId} \\*\\s+all\\s+running`));
      assert.match(cli.stdout, new RegExp(`${stoppedId}\\s+all\\s+stopped`));
      await server.cliOk(['servers', 'forget', stoppedId]);
      assert.deepEqual((await server.api('GET', '/v1/servers')).json.servers.map((s) => s.id), [lastId]);
      const unknown = await server.cli(['servers', 'forget', stoppedId]);
      assert.notEqual(unknown.code, 0);
      assert.match(unknown.stderr, new RegExp(`no server ${stoppedId} in this deployment's list`));
    } finally {
      if (browser) await browser.close();
      await server.dispose();
    }
  });
});
