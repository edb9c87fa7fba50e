// The rules' get_thing_shadow() against the real Device Shadow service: shadows changed by
// applications over HTTP (the AWS SDK's IoT Data Plane client, `@aws-sdk/client-iot-data-plane`,
// SigV4 with the admin token as secret) and over MQTT (`$aws/things/<thing>/shadow/update`),
// read by rules on messages Node's `mqtt` publishes, their output heard by a subscriber.
// A threshold rule comparing each reading with the thing's desired limit alerts only above
// it and follows the limit as soon as a change is accepted; a thing without a shadow, and a
// deleted shadow, are Undefined (no alert, the field left out, no rule error); the
// three-argument form reads the named shadow, not the classic one; the whole document is
// GetThingShadow's (state with its delta, metadata, version); a literal argument that is not
// a thing name is refused when the rule is created, through /v1/rules, the CLI and the AWS
// SDK's IoT client (`@aws-sdk/client-iot`), naming get_thing_shadow.
'use strict';

const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const D = require('@aws-sdk/client-iot-data-plane');
const I = require('@aws-sdk/client-iot');
const { Server, makeTempDir, sleep } = require('./harness');
const { rejectsAws, shadowCalls } = require('./aws');
const { adminOptions, connect, subscribe, publish, waitMessages, end } = require('./clients');

const ROLE = 'arn:aws:iam::000000000000:role/shadow-reader';
const SHADOW = `get_thing_shadow(topic(2), '${ROLE}')`;
// How long a message that must not come is waited for, once a later one has arrived.
const SETTLE_MS = 400;

describe("rules' get_thing_shadow()", { timeout: 50000 }, () => {
  let server;
  let data;  // IoTDataPlaneClient
  let iot;   // IoTClient
  let pub;   // admin MQTT client publishing readings and shadow updates
  let sub;   // admin MQTT client hearing the rules' republishes and the shadow's answers
  const dir = makeTempDir('rules-shadow-files');

  const { update, get, del } = shadowCalls(() => data);

  // A rule through /v1/rules, asserting it was created.
  const createRule = async (name, sql, topic) => {
    const r = await server.api('POST', `/v1/rules/${name}`, { topicRulePayload: {
      sql, ruleDisabled: false, awsIotSqlVersion: '2016-03-23', actions: [{ republish: { topic, qos: 1 } }] } });
    assert.equal(r.status, 201, `create rule ${name}: ${r.text}`);
  };
  // QoS 1 publish by the admin client; once PUBACK is back the rules have taken it.
  const send = async (topic, doc) => {
    const { err, packet } = await publish(pub, topic, JSON.stringify(doc), { qos: 1 });
    assert.ifError(err);
    assert.ok(!packet?.reasonCode, `PUBACK reason code ${packet?.reasonCode} for ${topic}`);
  };
  const reading = (thing, temp) => send(`sensors/${thing}/temp`, { temp });
  // What the subscriber got on `topic` since index `from`, parsed.
  const heard = (topic, from = 0) =>
    sub.received.slice(from).filter((m) => m.topic === topic).map((m) => JSON.parse(m.payload));
  // Waits for n messages on `topic` since index `from`; returns them parsed.
  const waitFor = async (topic, n, from, what) =>
    (await waitMessages(sub, n, { filter: (m) => m.topic === topic && sub.received.indexOf(m) >= from,
                                  what: `${what} on ${topic}` })).map((m) => JSON.parse(m.payload));
  const metrics = async (name) => {
    const r = await server.api('GET', `/v1/rules/${name}`);
    assert.equal(r.status, 200, r.text);
    return r.json.metrics;
  };

  before(async () => {
    server = await Server.start({ tag: 'rules-shadow' });
    const credentials = { accessKeyId: 'admin', secretAccessKey: server.token };
    data = new D.IoTDataPlaneClient({ endpoint: server.endpoint, region: 'us-east-1', credentials, maxAttempts: 1 });
    iot = new I.IoTClient({ endpoint: server.endpoint, region: 'us-east-1', credentials, maxAttempts: 1 });
    pub = await connect(adminOptions(server), { what: 'admin publisher' });
    sub = await connect(adminOptions(server), { what: 'admin subscriber' });
    const topics = ['alerts/#', 'seen/#', 'named-out/#', 'whole-out/#', '$aws/things/+/shadow/update/accepted'];
    const granted = await subscribe(sub, topics, { qos: 1 });
    assert.deepEqual(granted.map((g) => g.qos), topics.map(() => 1), `SUBACK ${JSON.stringify(granted)}`);

    // The threshold rule, as a user writes it, through the CLI.
    const file = path.join(dir, 'limits.json');
    fs.writeFileSync(file, JSON.stringify({ topicRulePayload: {
      sql: `SELECT temp, ${SHADOW}.state.desired.limit AS lim FROM 'sensors/+/temp' ` +
           `WHERE temp > ${SHADOW}.state.desired.limit`,
      ruleDisabled: false, awsIotSqlVersion: '2016-03-23',
      actions: [{ republish: { topic: 'alerts/${topic(2)}', qos: 1 } }],
    } }));
    await server.cliOk(['rule', 'create', 'limits', '--payload', file]);
    // Every reading, with the shadow as the rule saw it: proves a message was evaluated,
    // and shows the field left out when the shadow is Undefined.
    await createRule('seen', `SELECT temp, topic(2) AS thing, ${SHADOW} AS s FROM 'sensors/+/temp'`,
                     'seen/${topic(2)}');
  });
  after(async () => {
    await end(pub);
    await end(sub);
    if (data) data.destroy();
    if (iot) iot.destroy();
    if (server) await server.dispose();
  });

  test('a threshold from the desired state: alerts above it only, a changed limit seen by the next message', async () => {
    const first = await update('pump-1', { state: { desired: { limit: 50 }, reported: { temp: 20 } } });
    const from = sub.received.length;
    await reading('pump-1', 40);
    await reading('pump-1', 60);
    const [alert] = await waitFor('alerts/pump-1', 1, from, 'the alert for temp 60');
    assert.deepEqual(alert, { temp: 60, lim: 50 });
    const seen = await waitFor('seen/pump-1', 2, from, 'both readings');
    assert.deepEqual(seen.map((m) => [m.temp, m.s?.state?.desired?.limit, m.s?.version]),
                     [[40, 50, first.version], [60, 50, first.version]], JSON.stringify(seen));
    await sleep(SETTLE_MS);
    assert.deepEqual(heard('alerts/pump-1', from), [{ temp: 60, lim: 50 }], 'temp 40 is not above 50');

    // The limit raised over MQTT, as a device or an application on the broker would.
    const accepted = '$aws/things/pump-1/shadow/update/accepted';
    const before70 = sub.received.length;
    await send('$aws/things/pump-1/shadow/update', { state: { desired: { limit: 70 } }, clientToken: 'raise-70' });
    const [ack] = await waitFor(accepted, 1, before70, 'the update to 70 accepted');
    assert.equal(ack.clientToken, 'raise-70');
    assert.equal(ack.version, first.version + 1);
    const after70 = sub.received.length;
    await reading('pump-1', 60);
    await reading('pump-1', 80);
    const [alert80] = await waitFor('alerts/pump-1', 1, after70, 'the alert for temp 80');
    assert.deepEqual(alert80, { temp: 80, lim: 70 });
    const seen70 = await waitFor('seen/pump-1', 2, after70, 'both readings after the update');
    assert.deepEqual(seen70.map((m) => [m.temp, m.s?.state?.desired?.limit, m.s?.version]),
                     [[60, 70, ack.version], [80, 70, ack.version]], JSON.stringify(seen70));
    await sleep(SETTLE_MS);
    assert.deepEqual(heard('alerts/pump-1', after70), [{ temp: 80, lim: 70 }],
                     'temp 60 alerted after the limit became 70 (the old limit was read)');

    // And lowered over HTTP: the very next reading is judged by it.
    await update('pump-1', { state: { desired: { limit: 10 } } });
    const after10 = sub.received.length;
    await reading('pump-1', 11);
    const [alert11] = await waitFor('alerts/pump-1', 1, after10, 'the alert for temp 11');
    assert.deepEqual(alert11, { temp: 11, lim: 10 });

    // A rule trial (`tributary rule test`) reads the same shadow as the live rule.
    const trial = await server.api('POST', '/v1/rules/limits/test',
                                   { topic: 'sensors/pump-1/temp', payload: JSON.stringify({ temp: 60 }) });
    assert.equal(trial.status, 200, trial.text);
    assert.equal(trial.json.selected, true, trial.text);
    assert.deepEqual(JSON.parse(trial.json.output), { temp: 60, lim: 10 }, trial.text);
    await update('pump-1', { state: { desired: { limit: 70 } } });
  });

  test('a thing with no shadow: no alert, the field left out, no rule error', async () => {
    await assert.rejects(get('pump-2'), (e) => e.name === 'ResourceNotFoundException', 'pump-2 has a shadow');
    const errorsBefore = (await metrics('limits')).errors;
    const from = sub.received.length;
    await reading('pump-2', 1000);
    const [seen] = await waitFor('seen/pump-2', 1, from, 'the reading');
    assert.deepEqual(seen, { temp: 1000, thing: 'pump-2' }, 'an Undefined shadow must leave the field out');
    // A later reading of pump-1 that does alert: the rule is running, pump-2's was judged.
    await reading('pump-1', 99);
    await waitFor('alerts/pump-1', 1, from, "pump-1's alert after pump-2's reading");
    await sleep(SETTLE_MS);
    assert.deepEqual(heard('alerts/pump-2', from), [], 'temp > Undefined must not be true');
    const m = await metrics('limits');
    assert.equal(m.errors, errorsBefore, `an Undefined shadow is not an error: ${JSON.stringify(m)}`);
  });

  test("the three-argument form reads the named shadow, not the classic one", async () => {
    await update('pump-1', { state: { desired: { limit: 5, mode: 'eco' } } }, 'config');
    await update('pump-1', { state: { desired: { limit: 6 } } }, 'config');
    const classic = await get('pump-1');
    const named = await get('pump-1', 'config');
    assert.notEqual(classic.state.desired.limit, named.state.desired.limit);
    assert.notEqual(classic.version, named.version, 'pick versions that tell the shadows apart');
    await createRule('named',
      `SELECT get_thing_shadow(topic(2), 'config', '${ROLE}').state.desired AS named, ` +
      `get_thing_shadow(topic(2), 'config', '${ROLE}').version AS named_version, ` +
      `get_thing_shadow(topic(2), '${ROLE}').state.desired.limit AS classic_limit, ` +
      `get_thing_shadow(topic(2), 'other', '${ROLE}') AS other FROM 'named/+/in'`,
      'named-out/${topic(2)}');
    const from = sub.received.length;
    await send('named/pump-1/in', {});
    await send('named/pump-2/in', {});
    const [got] = await waitFor('named-out/pump-1', 1, from, 'the named shadow read');
    assert.deepEqual(got, { named: { limit: 6, mode: 'eco' }, named_version: named.version,
                            classic_limit: classic.state.desired.limit });
    const [none] = await waitFor('named-out/pump-2', 1, from, 'a thing without the named shadow');
    assert.deepEqual(none, {});
  });

  test('the whole document is GetThingShadow\'s: state with desired, reported and delta, metadata, version', async () => {
    await update('pump-1', { state: { desired: { limit: 70 }, reported: { temp: 64, limit: 50 } } });
    const doc = await get('pump-1');
    assert.ok(doc.state.delta, `the shadow should have an open delta: ${JSON.stringify(doc)}`);
    await createRule('whole', `SELECT get_thing_shadow('pump-1', '${ROLE}') AS shadow FROM 'whole/+/in'`,
                     'whole-out/${topic(2)}');
    const from = sub.received.length;
    await send('whole/any/in', { x: 1 });
    const [{ shadow }] = await waitFor('whole-out/any', 1, from, 'the whole shadow');
    assert.deepEqual(Object.keys(shadow).sort(), ['metadata', 'state', 'timestamp', 'version'], JSON.stringify(shadow));
    assert.equal(typeof shadow.version, 'number');
    assert.equal(shadow.version, doc.version);
    assert.deepEqual(shadow.state, doc.state);
    assert.deepEqual(shadow.state.desired, { limit: 70 });
    assert.deepEqual(shadow.state.reported, { temp: 64, limit: 50 });
    assert.deepEqual(shadow.state.delta, { limit: 70 });
    assert.deepEqual(shadow.metadata, doc.metadata);
    assert.ok(Number.isInteger(shadow.metadata.desired.limit.timestamp), JSON.stringify(shadow.metadata));
    assert.ok(Number.isInteger(shadow.timestamp) && Math.abs(shadow.timestamp - Date.now() / 1000) < 10,
              `timestamp ${shadow.timestamp} is not epoch seconds near now`);
  });

  test('a deleted shadow is Undefined to the next message; made again, it is read again', async () => {
    const made = await update('valve-1', { state: { desired: { limit: 10 } } });
    const from = sub.received.length;
    await reading('valve-1', 20);
    assert.deepEqual((await waitFor('alerts/valve-1', 1, from, 'the alert before the delete'))[0], { temp: 20, lim: 10 });

    const deleted = await del('valve-1');
    assert.equal(deleted.version, made.version);
    const afterDelete = sub.received.length;
    await reading('valve-1', 20);
    const [seen] = await waitFor('seen/valve-1', 1, afterDelete, 'the reading after the delete');
    assert.deepEqual(seen, { temp: 20, thing: 'valve-1' }, 'a deleted shadow was still read');
    await reading('pump-1', 99);
    await waitFor('alerts/pump-1', 1, afterDelete, "pump-1's alert after valve-1's reading");
    await sleep(SETTLE_MS);
    assert.deepEqual(heard('alerts/valve-1', afterDelete), [], 'a deleted shadow still set the limit');

    const again = await update('valve-1', { state: { desired: { limit: 30 } } });
    assert.equal(again.version, made.version + 1);
    const afterAgain = sub.received.length;
    await reading('valve-1', 40);
    assert.deepEqual((await waitFor('alerts/valve-1', 1, afterAgain, 'the alert after the shadow is made again'))[0],
                     { temp: 40, lim: 30 });
    const [seenAgain] = await waitFor('seen/valve-1', 1, afterAgain, 'the reading after the shadow is made again');
    assert.equal(seenAgain.s?.version, again.version, JSON.stringify(seenAgain));
  });

  test("a republish to $$aws/things/<thing>/shadow/update updates the thing's shadow", async () => {
    await createRule('desired_from_app', "SELECT {'state': {'desired': {'rate_s': rate}}} AS doc " +
      "FROM 'apps/+/rate'", '$$aws/things/${topic(2)}/shadow/update');
    // The select list makes {"doc": {...}}: the shadow refuses it (no state), on .../rejected;
    // a rule whose output is the document itself is carried out.
    await createRule('desired_value', "SELECT VALUE {'state': {'desired': {'rate_s': rate}}} " +
      "FROM 'apps/+/rate2'", '$$aws/things/${topic(2)}/shadow/update');
    const from = sub.received.length;
    await send('apps/pump-9/rate2', { rate: 30 });
    const [accepted] = await waitFor('$aws/things/pump-9/shadow/update/accepted', 1, from, 'the accepted update');
    assert.equal(accepted.state.desired.rate_s, 30);
    const doc = await get('pump-9');
    assert.equal(doc.state.desired.rate_s, 30);
    assert.equal(doc.version, 1);
    // What the first rule sends is refused by the shadow, as a device's would be.
    await send('apps/pump-9/rate', { rate: 40 });
    await sleep(SETTLE_MS);
    assert.equal((await get('pump-9')).version, 1, 'a refused request changed the shadow');
  });

  test("a message's data cannot name a reserved topic: no shadow of another thing is reached", async () => {
    const r = await server.api('POST', '/v1/rules/inject_raw', { topicRulePayload: {
      sql: "SELECT state FROM 'inject/+'", ruleDisabled: false, awsIotSqlVersion: '2016-03-23',
      actions: [{ republish: { topic: '${dest}', qos: 1 } }] } });
    assert.equal(r.status, 201, r.text);
    for (const dest of ['$aws/things/victim/shadow/update', '$$aws/things/victim/shadow/update']) {
      await send('inject/q', { dest, state: { reported: { owned: true } } });
    }
    await sleep(SETTLE_MS);
    await assert.rejects(get('victim'), (e) => e.name === 'ResourceNotFoundException', 'the victim has a shadow');
    assert.equal((await metrics('inject_raw')).actionFailures, 2);
    // A literal single '$' is refused when the rule is created, naming the '$$' spelling.
    const literal = await server.api('POST', '/v1/rules/literal_dollar', { topicRulePayload: {
      sql: "SELECT * FROM 'x'", actions: [{ republish: { topic: '$aws/things/t/shadow/update' } }] } });
    assert.equal(literal.status, 400, literal.text);
    assert.match(literal.text, /write '\$\$aws\/things\/t\/shadow\/update'/);
    for (const name of ['inject_raw']) assert.equal((await server.api('DELETE', `/v1/rules/${name}`)).status, 200);
  });

  test('republished messages reach other rules; a rule looping through a shadow stops after 8 hops', async () => {
    await subscribe(sub, 'chain/#', { qos: 1 });
    await createRule('chain_a', "SELECT * FROM 'chain/in'", 'chain/mid');
    const b = await server.api('POST', '/v1/rules/chain_b', { topicRulePayload: {
      sql: "SELECT *, 'B' AS via FROM 'chain/mid'", actions: [{ republish: { topic: 'chain/out', qos: 1 } }] } });
    assert.equal(b.status, 201, b.text);
    const from = sub.received.length;
    await send('chain/in', { x: 1 });
    assert.deepEqual((await waitFor('chain/out', 1, from, 'the second rule\'s output'))[0], { x: 1, via: 'B' });

    // Each accepted update of 'lt' asks for another: without a bound it spins for ever.
    await createRule('loop_lt', "SELECT VALUE {'state': {'reported': {'n': state.reported.n + 1}}} " +
      "FROM '$aws/things/lt/shadow/update/accepted'", '$$aws/things/lt/shadow/update');
    await update('lt', { state: { reported: { n: 1 } } });
    let doc;
    for (let i = 0; i < 40; ++i) {
      await sleep(100);
      doc = await get('lt');
      if (doc.version >= 10) break;
    }
    await sleep(SETTLE_MS * 2);
    doc = await get('lt');
    // The device's update and 9 from the rule: its 9th republish is 9 hops deep, past 8.
    assert.equal(doc.version, 10, JSON.stringify(doc));
    assert.equal(doc.state.reported.n, 10);
    const m = await server.api('GET', '/metrics');
    assert.match(m.text, /^tributary_rules_loop_dropped_total [1-9]/m);
    for (const name of ['loop_lt', 'chain_a', 'chain_b']) {
      assert.equal((await server.api('DELETE', `/v1/rules/${name}`)).status, 200);
    }
  });

  test('a literal argument that is not a thing name is refused when the rule is created', async () => {
    const bad = `SELECT temp, get_thing_shadow('not a thing!', '${ROLE}') AS s FROM 'sensors/+/temp'`;
    const payload = (sql) => ({ sql, ruleDisabled: false, awsIotSqlVersion: '2016-03-23',
                                actions: [{ republish: { topic: 'alerts/never', qos: 1 } }] });

    const r = await server.api('POST', '/v1/rules/bad_shadow', { topicRulePayload: payload(bad) });
    assert.equal(r.status, 400, r.text);
    assert.match(r.json?.error?.message, /get_thing_shadow/, r.text);
    assert.match(r.json.error.message, /not a thing!/, r.text);

    const file = path.join(dir, 'bad.json');
    fs.writeFileSync(file, JSON.stringify({ topicRulePayload: payload(bad) }));
    const cli = await server.cli(['rule', 'create', 'bad_shadow', '--payload', file]);
    assert.notEqual(cli.code, 0, `the CLI created it: ${cli.stdout}`);
    assert.match(cli.stderr, /get_thing_shadow/, cli.stderr);

    await rejectsAws(iot.send(new I.CreateTopicRuleCommand({ ruleName: 'bad_shadow', topicRulePayload: payload(bad) })),
                     'SqlParseException', 400, /get_thing_shadow.*not a thing!/, 'CreateTopicRule');

    // Other literals that can never name a thing, and a wrong number of arguments.
    const refused = {
      [`get_thing_shadow('${'t'.repeat(129)}', 'arn')`]: /get_thing_shadow/,
      "get_thing_shadow('', 'arn')": /get_thing_shadow/,
      "get_thing_shadow(42, 'arn')": /get_thing_shadow/,
      "get_thing_shadow('pump-1')": /get_thing_shadow.*argument/,
      "get_thing_shadow('pump-1', 'bad name!', 'arn')": /get_thing_shadow.*bad name!.*not a shadow name/,
    };
    for (const [call, message] of Object.entries(refused)) {
      const x = await server.api('POST', '/v1/rules/bad_shadow',
                                 { topicRulePayload: payload(`SELECT ${call} AS s FROM 'sensors/+/temp'`) });
      assert.equal(x.status, 400, `${call}: ${x.text}`);
      assert.match(x.json?.error?.message, message, `${call}: ${x.text}`);
    }
    assert.equal((await server.api('GET', '/v1/rules/bad_shadow')).status, 404, 'a refused rule was kept');

    // The longest thing name is taken.
    const longest = await server.api('POST', '/v1/rules/long_name', { topicRulePayload:
      payload(`SELECT get_thing_shadow('${'t'.repeat(128)}', 'arn') AS s FROM 'nowhere/+'`) });
    assert.equal(longest.status, 201, longest.text);
    assert.equal((await server.api('DELETE', '/v1/rules/long_name')).status, 200);
  });
});
