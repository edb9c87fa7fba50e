// AWS IoT's topic rule API on /rules (REST-JSON), driven by the AWS SDK's own IoT client
// (`@aws-sdk/client-iot`) with an endpoint override and SigV4 (access key id 'admin', the
// admin token as the secret): the reference's pipeline set up with AWS's clients alone (a
// delivery stream from `@aws-sdk/client-firehose`, the reference rule from the IoT client)
// carries a device's QoS 1 readings into the lake exactly, each once, with the device's
// name the rule selected; GetTopicRule reads back what was created, as /v1/rules does;
// ListTopicRules pages in name order and filters by exact FROM filter and by state;
// Disable/Enable stop and restart the routing, ReplaceTopicRule changes what lands,
// DeleteTopicRule removes the rule; and the AWS-shaped errors the SDK surfaces by name,
// with missing authentication and the bearer token checked with plain fetch, and a query
// name given twice signed by `aws4`.
'use strict';

const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const F = require('@aws-sdk/client-firehose');
const I = require('@aws-sdk/client-iot');
const aws4 = require('aws4');
const { Server, thingName, pollutionPayload } = require('./harness');
const { rejectsAws } = require('./aws');
const { thingOptions, connect, publish, end } = require('./clients');
const { lakeRecords, waitForLake, firehoseKeyPattern } = require('./lake');

const ROLE = 'arn:aws:iam::000000000000:role/iot-rules';
const ARN_PREFIX = 'arn:aws:iot:local:000000000000:rule/';
const REFERENCE_SQL = "SELECT *, topic(2) AS device FROM 'devices/+/pollution'";
const READINGS = 50;

// A plain S3 destination into `bucket`, delivered as soon as records arrive (0 s) or
// held for 15 minutes unless flushed (900 s).
function deliveryStream(name, bucket, intervalSeconds) {
  return {
    DeliveryStreamName: name,
    DeliveryStreamType: 'DirectPut',
    S3DestinationConfiguration: {
      RoleARN: ROLE, BucketARN: `arn:aws:s3:::${bucket}`,
      BufferingHints: { SizeInMBs: 1, IntervalInSeconds: intervalSeconds },
    },
  };
}

// A TopicRulePayload: `sql` with one firehose action into `stream`.
function firehoseRule(sql, stream, extra = {}) {
  return {
    sql, ruleDisabled: false, awsIotSqlVersion: '2016-03-23',
    actions: [{ firehose: { deliveryStreamName: stream, roleArn: ROLE, separator: '\n' } }],
    ...extra,
  };
}

// A TopicRulePayload that routes nowhere a test looks (republish under listed/).
function quietRule(filter, ruleDisabled = false) {
  return { sql: `SELECT * FROM '${filter}'`, ruleDisabled, actions: [{ republish: { topic: 'listed/out', qos: 0 } }] };
}

describe('AWS IoT topic rule API through the AWS SDK', { timeout: 90000 }, () => {
  let server;
  let iot;
  let firehose;
  let kit;
  let device;
  let created;  // {before, after}: Date.now() around the reference rule's CreateTopicRule
  const iotWith = (credentials) => new I.IoTClient({
    endpoint: server.endpoint, region: 'us-east-1', credentials, maxAttempts: 1,
  });
  const send = (command) => iot.send(command);
  const getRule = (ruleName) => send(new I.GetTopicRuleCommand({ ruleName }));
  const createRule = (ruleName, topicRulePayload) =>
    send(new I.CreateTopicRuleCommand({ ruleName, topicRulePayload }));
  // ListTopicRules's names through every page: [{names, next}] (next: is there a nextToken).
  const listPages = async (query) => {
    const pages = [];
    for (let nextToken; ;) {
      const page = await send(new I.ListTopicRulesCommand({ ...query, nextToken }));
      pages.push({ names: page.rules.map((r) => r.ruleName), next: page.nextToken !== undefined });
      if (page.nextToken === undefined) return pages;
      assert.ok(pages.length < 100, `ListTopicRules never ends: ${JSON.stringify(pages.slice(0, 5))}`);
      assert.equal(page.nextToken, page.rules.at(-1)?.ruleName, 'nextToken is not the page\'s last name');
      nextToken = page.nextToken;
    }
  };
  const listNames = async (query = {}) => (await listPages(query)).flatMap((p) => p.names);
  const flush = async (stream) => {
    const r = await server.api('POST', `/v1/streams/${stream}/flush`);
    assert.equal(r.status, 200, r.text);
  };
  // Publishes {seq, ...} at QoS 1 on the thing's `devices/<thing>/<leaf>` and asserts the PUBACK.
  const publishSeq = async (leaf, seq, fields = {}) => {
    const { err, packet } = await publish(device, `devices/${kit.thing}/${leaf}`, JSON.stringify({ seq, ...fields }),
                                          { qos: 1 });
    assert.ifError(err);
    assert.ok(!packet?.reasonCode, `PUBACK reason code ${packet?.reasonCode} for seq ${seq}`);
  };
  // The records of `bucket`, parsed, in seq order.
  const landed = (bucket) => lakeRecords(server, bucket).records.map((r) => JSON.parse(r)).sort((a, b) => a.seq - b.seq);
  // Flushes `stream` and waits until a record with `seq` is in `bucket`; returns landed().
  const flushUntil = async (stream, bucket, seq) => {
    await flush(stream);
    await waitForLake(server, bucket, (l) => l.records.some((r) => JSON.parse(r).seq === seq),
                      { what: `the record with seq ${seq} in bucket ${bucket}` });
    return landed(bucket);
  };

  before(async () => {
    server = await Server.start({ tag: 'iot-rules-api' });
    const credentials = { accessKeyId: 'admin', secretAccessKey: server.token };
    iot = iotWith(credentials);
    firehose = new F.FirehoseClient({ endpoint: server.endpoint, region: 'us-east-1', credentials, maxAttempts: 1 });
    kit = await server.createThing(thingName('iot-rules'));
    device = await connect(thingOptions(server, kit));
  });
  after(async () => {
    await end(device);
    if (iot) iot.destroy();
    if (firehose) firehose.destroy();
    if (server) await server.dispose();
  });

  test("the reference's pipeline from AWS's clients: a device's QoS 1 readings land exactly once", async () => {
    await firehose.send(new F.CreateDeliveryStreamCommand(deliveryStream('pollution', 'iot-data', 0)));
    created = { before: Date.now() };
    const answer = await createRule('sdk_rule', firehoseRule(REFERENCE_SQL, 'pollution'));
    created.after = Date.now();
    assert.equal(answer.$metadata.httpStatusCode, 200);

    const sent = [];
    for (let seq = 0; seq < READINGS; seq++) {
      const payload = pollutionPayload(seq);
      const { err } = await publish(device, kit.topic, payload, { qos: 1 });
      assert.ifError(err);
      sent.push(JSON.parse(payload));
    }
    const lake = await waitForLake(server, 'iot-data', (l) => l.records.length >= READINGS,
                                   { what: `${READINGS} records in bucket iot-data` });
    for (const o of lake.objects) assert.match(o.key, firehoseKeyPattern('pollution'));
    // Nothing more after a flush: each reading once.
    await flush('pollution');
    const records = landed('iot-data');
    assert.equal(records.length, READINGS, `the lake holds ${records.length} records, ${READINGS} were published`);
    assert.deepEqual(records, sent.map((p) => ({ ...p, device: kit.thing })));
    const stats = (await server.api('GET', '/v1/streams/pollution')).json.stats;
    assert.equal(stats.records_in, READINGS, JSON.stringify(stats));
  });

  test('GetTopicRule returns the rule as created, and /v1/rules has the same', async () => {
    const got = await getRule('sdk_rule');
    assert.equal(got.ruleArn, `${ARN_PREFIX}sdk_rule`);
    const rule = got.rule;
    assert.equal(rule.ruleName, 'sdk_rule');
    assert.equal(rule.sql, REFERENCE_SQL);
    assert.equal(rule.ruleDisabled, false);
    assert.equal(rule.awsIotSqlVersion, '2016-03-23');
    assert.equal(rule.actions.length, 1, JSON.stringify(rule.actions));
    assert.equal(rule.actions[0].firehose.deliveryStreamName, 'pollution');
    assert.equal(rule.actions[0].firehose.separator, '\n');
    assert.equal(rule.errorAction, undefined, 'an errorAction appeared');
    assert.equal(rule.description, undefined, 'a description appeared');
    assert.ok(rule.createdAt instanceof Date, `createdAt: ${rule.createdAt}`);
    assert.ok(rule.createdAt.getTime() >= created.before - 1000 && rule.createdAt.getTime() <= created.after + 1000,
              `createdAt ${rule.createdAt.toISOString()} is not the time of the create`);

    const native = await server.api('GET', '/v1/rules/sdk_rule');
    assert.equal(native.status, 200, native.text);
    assert.equal(native.json.ruleName, 'sdk_rule');
    assert.equal(native.json.sql, REFERENCE_SQL);
    assert.equal(native.json.ruleDisabled, false);
    assert.equal(native.json.createdAt, rule.createdAt.toISOString());
    assert.equal(native.json.metrics.matched, READINGS, JSON.stringify(native.json.metrics));

    // A description and an errorAction come back as given.
    await createRule('described', firehoseRule("SELECT seq FROM 'described/+'", 'pollution', {
      description: 'readings with a fallback', errorAction: { republish: { topic: 'errors/described', qos: 1 } },
    }));
    const described = (await getRule('described')).rule;
    assert.equal(described.description, 'readings with a fallback');
    assert.deepEqual(described.errorAction, { republish: { topic: 'errors/described', qos: 1 } });
    await send(new I.DeleteTopicRuleCommand({ ruleName: 'described' }));
  });

  test('ListTopicRules pages in name order, filters by exact FROM filter and by state', async () => {
    await createRule('list_c', quietRule('devices/#'));
    await createRule('list_a', quietRule('devices/+/pollution'));
    await createRule('list_b', quietRule('other/+/pollution', true));
    const all = ['list_a', 'list_b', 'list_c', 'sdk_rule'];

    const one = await send(new I.ListTopicRulesCommand({}));
    assert.equal(one.nextToken, undefined);
    assert.deepEqual(one.rules.map((r) => r.ruleName), all);
    const reference = one.rules.find((r) => r.ruleName === 'sdk_rule');
    assert.equal(reference.ruleArn, `${ARN_PREFIX}sdk_rule`);
    assert.equal(reference.topicPattern, 'devices/+/pollution');
    assert.equal(reference.ruleDisabled, false);
    assert.ok(reference.createdAt instanceof Date, `createdAt: ${reference.createdAt}`);
    assert.equal(reference.createdAt.getTime(), (await getRule('sdk_rule')).rule.createdAt.getTime());
    assert.equal(one.rules.find((r) => r.ruleName === 'list_b').ruleDisabled, true);
    assert.equal(one.rules.find((r) => r.ruleName === 'list_c').topicPattern, 'devices/#');
    const native = (await server.api('GET', '/v1/rules')).json.rules.map((r) => r.ruleName);
    assert.deepEqual([...native].sort(), all);

    // A last page that is exactly full has no nextToken.
    assert.deepEqual(await listPages({ maxResults: 2 }), [{ names: ['list_a', 'list_b'], next: true },
                                                         { names: ['list_c', 'sdk_rule'], next: false }]);
    assert.deepEqual(await listPages({ maxResults: 3 }), [{ names: ['list_a', 'list_b', 'list_c'], next: true },
                                                         { names: ['sdk_rule'], next: false }]);

    // The exact FROM filter: 'devices/#' is not 'devices/+/pollution', though it covers it.
    assert.deepEqual(await listNames({ topic: 'devices/+/pollution' }), ['list_a', 'sdk_rule']);
    assert.deepEqual(await listPages({ topic: 'devices/+/pollution', maxResults: 1 }),
                     [{ names: ['list_a'], next: true }, { names: ['sdk_rule'], next: false }]);
    assert.deepEqual(await listNames({ topic: 'devices/#' }), ['list_c']);
    assert.deepEqual(await listNames({ topic: 'devices/+' }), []);

    await send(new I.DisableTopicRuleCommand({ ruleName: 'list_c' }));
    assert.deepEqual(await listNames({ ruleDisabled: true }), ['list_b', 'list_c']);
    assert.deepEqual(await listNames({ ruleDisabled: false }), ['list_a', 'sdk_rule']);
    assert.deepEqual(await listPages({ ruleDisabled: true, maxResults: 1 }),
                     [{ names: ['list_b'], next: true }, { names: ['list_c'], next: false }]);
    assert.deepEqual(await listNames({ ruleDisabled: true, topic: 'devices/#' }), ['list_c']);
    await send(new I.EnableTopicRuleCommand({ ruleName: 'list_c' }));
    assert.deepEqual(await listNames({ ruleDisabled: true }), ['list_b']);
  });

  test('Disable stops the routing, Enable restarts it, Replace changes what lands, Delete removes the rule', async () => {
    // Held for 15 minutes: only a flush delivers, so what is in the lake is what the stream got.
    await firehose.send(new F.CreateDeliveryStreamCommand(deliveryStream('status', 'status-lake', 900)));
    const statusSql = "SELECT seq, topic(2) AS device FROM 'devices/+/status'";
    await createRule('toggle_rule', firehoseRule(statusSql, 'status'));
    await publishSeq('status', 1);
    assert.deepEqual(await flushUntil('status', 'status-lake', 1), [{ seq: 1, device: kit.thing }]);

    await send(new I.DisableTopicRuleCommand({ ruleName: 'toggle_rule' }));
    assert.equal((await getRule('toggle_rule')).rule.ruleDisabled, true);
    assert.equal((await server.api('GET', '/v1/rules/toggle_rule')).json.ruleDisabled, true);
    await publishSeq('status', 2);
    await flush('status');
    await send(new I.EnableTopicRuleCommand({ ruleName: 'toggle_rule' }));
    assert.equal((await getRule('toggle_rule')).rule.ruleDisabled, false);
    await publishSeq('status', 3);
    // Published after seq 2 on the same connection into the same stream: had seq 2 been
    // routed, it would be in the lake by now.
    assert.deepEqual(await flushUntil('status', 'status-lake', 3),
                     [{ seq: 1, device: kit.thing }, { seq: 3, device: kit.thing }],
                     'a message published while the rule was disabled reached the lake');
    assert.equal((await server.api('GET', '/v1/streams/status')).json.stats.records_in, 2);

    const createdAt = (await getRule('toggle_rule')).rule.createdAt.getTime();
    const replacedSql = "SELECT seq, topic(2) AS thing, 'v2' AS version FROM 'devices/+/status' WHERE seq >= 10";
    await send(new I.ReplaceTopicRuleCommand({ ruleName: 'toggle_rule', topicRulePayload: firehoseRule(replacedSql, 'status') }));
    const replaced = (await getRule('toggle_rule')).rule;
    assert.equal(replaced.sql, replacedSql);
    assert.equal(replaced.createdAt.getTime(), createdAt, 'ReplaceTopicRule changed createdAt');
    assert.equal((await server.api('GET', '/v1/rules/toggle_rule')).json.sql, replacedSql);
    await publishSeq('status', 4);
    await publishSeq('status', 10);
    assert.deepEqual(await flushUntil('status', 'status-lake', 10),
                     [{ seq: 1, device: kit.thing }, { seq: 3, device: kit.thing }, { seq: 10, thing: kit.thing, version: 'v2' }],
                     'the replaced rule did not decide what landed');

    await send(new I.DeleteTopicRuleCommand({ ruleName: 'toggle_rule' }));
    await rejectsAws(getRule('toggle_rule'), 'ResourceNotFoundException', 404, /toggle_rule/);
    assert.equal((await server.api('GET', '/v1/rules/toggle_rule')).status, 404);
    assert.ok(!(await listNames()).includes('toggle_rule'), 'a deleted rule is still listed');
    await publishSeq('status', 11);
    // The name is free again; the new rule's first record follows seq 11.
    await createRule('toggle_rule', firehoseRule("SELECT seq, 'again' AS rule FROM 'devices/+/status'", 'status'));
    await publishSeq('status', 12);
    const after = await flushUntil('status', 'status-lake', 12);
    assert.deepEqual(after.map((r) => r.seq), [1, 3, 10, 12], 'a message published after the delete was routed');
    assert.deepEqual(after.at(-1), { seq: 12, rule: 'again' });
    await send(new I.DeleteTopicRuleCommand({ ruleName: 'toggle_rule' }));
  });

  test('errors come back as the SDK names them, and change nothing', async () => {
    await rejectsAws(createRule('bad_sql', firehoseRule("SELECT FROM 'a'", 'pollution')),
                     'SqlParseException', 400, /column \d+/);
    await rejectsAws(createRule('bad_action', { ...quietRule('a/b'), actions: [{ lambda: { functionArn: 'arn:aws:lambda:x' } }] }),
                     'InvalidRequestException', 400, /lambda/, 'an action of an unknown type');
    await rejectsAws(createRule('bad-name', quietRule('a/b')), 'InvalidRequestException', 400, /bad-name/,
                     'a rule name with a dash');
    await rejectsAws(createRule('no_sql', { actions: [] }), 'InvalidRequestException', 400, /sql is required/,
                     'a payload without sql');
    for (const name of ['bad_sql', 'bad_action', 'no_sql']) {
      await rejectsAws(getRule(name), 'ResourceNotFoundException', 404, undefined, `${name} after a refused create`);
    }

    await rejectsAws(createRule('sdk_rule', quietRule('elsewhere/#')), 'ResourceAlreadyExistsException', 409, /sdk_rule/);
    const kept = (await getRule('sdk_rule')).rule;
    assert.equal(kept.sql, REFERENCE_SQL, 'a refused create changed the existing rule');
    assert.equal(kept.actions[0].firehose.deliveryStreamName, 'pollution');

    for (const [what, call] of [
      ['GetTopicRule', () => getRule('no_such_rule')],
      ['EnableTopicRule', () => send(new I.EnableTopicRuleCommand({ ruleName: 'no_such_rule' }))],
      ['DisableTopicRule', () => send(new I.DisableTopicRuleCommand({ ruleName: 'no_such_rule' }))],
      ['DeleteTopicRule', () => send(new I.DeleteTopicRuleCommand({ ruleName: 'no_such_rule' }))],
      ['ReplaceTopicRule', () => send(new I.ReplaceTopicRuleCommand({ ruleName: 'no_such_rule', topicRulePayload: quietRule('a/b') }))],
    ]) {
      await rejectsAws(call(), 'ResourceNotFoundException', 404, /no_such_rule/, `${what} of a missing rule`);
    }
    await rejectsAws(getRule('no_such_rule'), 'ResourceNotFoundException', 404, undefined, 'a replace created the rule');

    // Refused signatures do nothing.
    const wrongSecret = iotWith({ accessKeyId: 'admin', secretAccessKey: `${server.token}x` });
    const stranger = iotWith({ accessKeyId: 'someone', secretAccessKey: server.token });
    try {
      await rejectsAws(wrongSecret.send(new I.CreateTopicRuleCommand({ ruleName: 'sneaky', topicRulePayload: quietRule('a/b') })),
                       'InvalidSignatureException', 403);
      await rejectsAws(wrongSecret.send(new I.DeleteTopicRuleCommand({ ruleName: 'sdk_rule' })), 'InvalidSignatureException', 403);
      await rejectsAws(stranger.send(new I.CreateTopicRuleCommand({ ruleName: 'sneaky', topicRulePayload: quietRule('a/b') })),
                       'UnrecognizedClientException', 403, /someone/);
      await rejectsAws(stranger.send(new I.ListTopicRulesCommand({})), 'UnrecognizedClientException', 403);
    } finally {
      wrongSecret.destroy();
      stranger.destroy();
    }
    await rejectsAws(getRule('sneaky'), 'ResourceNotFoundException', 404);
    assert.equal((await getRule('sdk_rule')).rule.sql, REFERENCE_SQL, 'a refused delete removed the rule');
  });

  test('GET /rules without the SDK: no Authorization, a wrong and the right bearer token; a query name given twice', async () => {
    const get = (headers) => fetch(`${server.endpoint}/rules`, { headers, signal: AbortSignal.timeout(5000) });
    const unsigned = await get({});
    const unsignedBody = await unsigned.json();
    assert.equal(unsigned.status, 403, JSON.stringify(unsignedBody));
    assert.equal(unsigned.headers.get('x-amzn-errortype'), 'MissingAuthenticationTokenException');
    assert.equal(unsignedBody.__type, 'MissingAuthenticationTokenException');
    assert.equal(typeof unsignedBody.message, 'string');

    const wrong = await get({ Authorization: 'Bearer not-the-token' });
    const wrongBody = await wrong.json();
    assert.equal(wrong.status, 403, JSON.stringify(wrongBody));
    assert.equal(wrong.headers.get('x-amzn-errortype'), 'UnrecognizedClientException');

    const listed = await get({ Authorization: `Bearer ${server.token}` });
    const listedText = await listed.text();
    assert.equal(listed.status, 200, listedText);
    assert.match(listed.headers.get('content-type'), /^application\/json/);
    const body = JSON.parse(listedText);
    assert.deepEqual(body.rules.map((r) => r.ruleName), ['list_a', 'list_b', 'list_c', 'sdk_rule']);
    assert.equal(body.nextToken, undefined);

    // A query name given twice, signed by `aws4` as SigV4 signs it (both values, sorted):
    // taken. Signed over one of its values only: refused.
    const url = new URL(server.endpoint);
    const signedGet = (signedPath, sentPath) => {
      const signed = aws4.sign({ host: url.host, path: signedPath, service: 'iot', region: 'us-east-1', method: 'GET' },
                               { accessKeyId: 'admin', secretAccessKey: server.token });
      return fetch(`${server.endpoint}${sentPath}`, {
        headers: { authorization: signed.headers.Authorization, 'x-amz-date': signed.headers['X-Amz-Date'] },
        signal: AbortSignal.timeout(5000),
      });
    };
    const twice = '/rules?ruleDisabled=false&topic=devices%2F%23&ruleDisabled=true';
    const taken = await signedGet(twice, twice);
    const takenText = await taken.text();
    assert.equal(taken.status, 200, takenText);
    assert.ok(Array.isArray(JSON.parse(takenText).rules), takenText);
    const partly = await signedGet('/rules?ruleDisabled=true&topic=devices%2F%23', twice);
    assert.equal(partly.status, 403);
    assert.equal(partly.headers.get('x-amzn-errortype'), 'InvalidSignatureException');
  });
});
