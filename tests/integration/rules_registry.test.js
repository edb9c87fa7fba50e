// The rules' get_registry_data('DescribeThing', ...) against the real device registry:
// things made with attributes by the CLI (`thing create --attribute`), readings published
// by Node's `mqtt`, enriched by a rule with their thing's attributes and heard by a
// subscriber. `thing update` merges (`--attribute`, `--remove-attribute`) or replaces
// (`--replace`) the attributes, and the very next reading carries them; a thing not in the
// registry leaves the fields out; the whole answer is DescribeThing's (thingName,
// thingArn, attributes); the WHERE clause can filter on an attribute. PATCH /v1/things
// refusals and the CLI's name what is wrong; ListThingGroupsForThing is refused when the
// rule is created; accountid() is the account of the server's ARNs. The AWS SDK's IoT
// client (`@aws-sdk/client-iot`, SigV4 for service iot on /things, beside the data
// plane's shadows there) describes, lists (by attribute, in pages) and updates things,
// and the rule reads what UpdateThing set; what the registry does not keep (thing types,
// versions) and CreateThing are refused by name, and a registry call signed for the data
// plane (iotdata) is not served.
'use strict';

const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const aws4 = require('aws4');
const I = require('@aws-sdk/client-iot');
const D = require('@aws-sdk/client-iot-data-plane');
const { Server, makeTempDir } = require('./harness');
const { rejectsAws } = require('./aws');
const { adminOptions, connect, subscribe, publish, waitMessages, end } = require('./clients');

const ROLE = 'arn:aws:iam::000000000000:role/registry-reader';
const THING = `get_registry_data('DescribeThing', topic(2), '${ROLE}')`;

describe("rules' get_registry_data()", { timeout: 60000 }, () => {
  let server;
  let pub;
  let sub;
  const dir = makeTempDir('rules-registry-files');

  const send = async (topic, doc) => {
    const { err, packet } = await publish(pub, topic, JSON.stringify(doc), { qos: 1 });
    assert.ifError(err);
    assert.ok(!packet?.reasonCode, `PUBACK reason code ${packet?.reasonCode} for ${topic}`);
  };
  // Publishes a reading of `thing` and waits for the enriched record the rule republishes.
  const enriched = async (thing, pm) => {
    const from = sub.received.length;
    await send(`sensors/${thing}/pm`, { pm });
    const [m] = await waitMessages(sub, 1, {
      filter: (x) => x.topic === `enriched/${thing}` && sub.received.indexOf(x) >= from,
      what: `the enriched reading of ${thing}`,
    });
    return JSON.parse(m.payload);
  };
  const createRule = async (name, sql, topic) => {
    const file = path.join(dir, `${name}.json`);
    fs.writeFileSync(file, JSON.stringify({ topicRulePayload: {
      sql, ruleDisabled: false, awsIotSqlVersion: '2016-03-23', actions: [{ republish: { topic, qos: 1 } }],
    } }));
    return server.cli(['rule', 'create', name, '--payload', file]);
  };

  before(async () => {
    server = await Server.start({ tag: 'rules-registry' });
    pub = await connect(adminOptions(server), { what: 'admin publisher' });
    sub = await connect(adminOptions(server), { what: 'admin subscriber' });
    const granted = await subscribe(sub, ['enriched/#', 'north/#'], { qos: 1 });
    assert.deepEqual(granted.map((g) => g.qos), [1, 1]);
    await server.cliOk(['thing', 'create', 'site-7', '--attribute', 'site=Gracia', '--attribute', 'floor=3',
                        '--out', path.join(dir, 'site-7-kit')]);
    await server.cliOk(['thing', 'create', 'site-9', '--attribute', 'site=Sarria', '--attribute', 'zone=north',
                        '--out', path.join(dir, 'site-9-kit')]);
    const made = await createRule('enrich',
      `SELECT pm, ${THING}.attributes.site AS site, ${THING}.attributes.floor AS floor, ` +
      `${THING}.thingArn AS arn, accountid() AS account FROM 'sensors/+/pm'`, 'enriched/${topic(2)}');
    assert.equal(made.code, 0, made.stderr);
    const north = await createRule('north', `SELECT pm, topic(2) AS thing FROM 'sensors/+/pm' ` +
                                   `WHERE ${THING}.attributes.zone = 'north'`, 'north/${topic(2)}');
    assert.equal(north.code, 0, north.stderr);
  });
  after(async () => {
    await end(pub);
    await end(sub);
    if (server) await server.dispose();
  });

  test('readings carry their thing\'s attributes, and an update shows in the next one', async () => {
    assert.deepEqual(await enriched('site-7', 12), {
      pm: 12, site: 'Gracia', floor: '3', arn: 'arn:aws:iot:local:000000000000:thing/site-7', account: '000000000000',
    });

    await server.cliOk(['thing', 'update', 'site-7', '--attribute', 'site=Sants', '--remove-attribute', 'floor']);
    const described = await server.api('GET', '/v1/things/site-7');
    assert.deepEqual(described.json.attributes, { site: 'Sants' });
    assert.deepEqual(await enriched('site-7', 13), {
      pm: 13, site: 'Sants', arn: 'arn:aws:iot:local:000000000000:thing/site-7', account: '000000000000',
    });

    await server.cliOk(['thing', 'update', 'site-7', '--attribute', 'floor=5', '--replace']);
    assert.deepEqual(await enriched('site-7', 14), {
      pm: 14, floor: '5', arn: 'arn:aws:iot:local:000000000000:thing/site-7', account: '000000000000',
    });

    // Over HTTP: merged by default, null removes; "merge": false replaces.
    let r = await server.api('PATCH', '/v1/things/site-7', { attributes: { site: 'Horta', floor: null } });
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.json.attributes, { site: 'Horta' });
    assert.deepEqual((await enriched('site-7', 15)).site, 'Horta');

    // A thing the registry does not have: the fields are left out, the rule does not fail.
    assert.deepEqual(await enriched('site-0', 16), { pm: 16, account: '000000000000' });
    const rule = await server.api('GET', '/v1/rules/enrich');
    assert.equal(rule.json.metrics.errors, 0, JSON.stringify(rule.json.metrics));
  });

  test('WHERE filters on an attribute', async () => {
    const from = sub.received.length;
    await send('sensors/site-7/pm', { pm: 1 });   // no zone
    await send('sensors/site-9/pm', { pm: 2 });   // zone north
    await enriched('site-7', 3);                  // later than both: the rules have run on them
    const north = sub.received.slice(from).filter((m) => m.topic.startsWith('north/')).map((m) => JSON.parse(m.payload));
    assert.deepEqual(north, [{ pm: 2, thing: 'site-9' }]);
  });

  test("AWS IoT's DescribeThing, ListThings and UpdateThing through the AWS SDK", async () => {
    const credentials = { accessKeyId: 'admin', secretAccessKey: server.token };
    const iot = new I.IoTClient({ endpoint: server.endpoint, region: 'us-east-1', credentials, maxAttempts: 1 });
    const data = new D.IoTDataPlaneClient({ endpoint: server.endpoint, region: 'us-east-1', credentials, maxAttempts: 1 });
    try {
      const d = await iot.send(new I.DescribeThingCommand({ thingName: 'site-9' }));
      assert.equal(d.thingName, 'site-9');
      assert.equal(d.thingArn, 'arn:aws:iot:local:000000000000:thing/site-9');
      assert.equal(d.defaultClientId, 'site-9');
      assert.deepEqual(d.attributes, { site: 'Sarria', zone: 'north' });

      await iot.send(new I.UpdateThingCommand({ thingName: 'site-9',
                                                attributePayload: { attributes: { site: 'Les Corts', zone: '' }, merge: true } }));
      assert.deepEqual((await iot.send(new I.DescribeThingCommand({ thingName: 'site-9' }))).attributes, { site: 'Les Corts' });
      assert.deepEqual((await enriched('site-9', 21)).site, 'Les Corts');
      await iot.send(new I.UpdateThingCommand({ thingName: 'site-9', attributePayload: { attributes: { zone: 'north' } } }));
      assert.deepEqual((await iot.send(new I.DescribeThingCommand({ thingName: 'site-9' }))).attributes, { zone: 'north' });

      const all = await iot.send(new I.ListThingsCommand({}));
      assert.deepEqual(all.things.map((t) => t.thingName), ['site-7', 'site-9']);
      const north = await iot.send(new I.ListThingsCommand({ attributeName: 'zone', attributeValue: 'north' }));
      assert.deepEqual(north.things.map((t) => [t.thingName, t.attributes]), [['site-9', { zone: 'north' }]]);
      const first = await iot.send(new I.ListThingsCommand({ maxResults: 1 }));
      assert.deepEqual(first.things.map((t) => t.thingName), ['site-7']);
      const second = await iot.send(new I.ListThingsCommand({ maxResults: 1, nextToken: first.nextToken }));
      assert.deepEqual(second.things.map((t) => t.thingName), ['site-9']);
      assert.equal(second.nextToken, undefined);

      // The data plane's shadows under /things still answer, signed for iotdata; the
      // registry's calls are not reached with a signature for iotdata.
      await rejectsAws(data.send(new D.GetThingShadowCommand({ thingName: 'site-9' })), 'ResourceNotFoundException', 404);
      const url = new URL(server.endpoint);
      const signed = aws4.sign({ host: url.host, path: '/things/site-9', service: 'iotdata', region: 'us-east-1', method: 'GET' },
                               credentials);
      const r = await fetch(`${server.endpoint}/things/site-9`, { headers: { authorization: signed.headers.Authorization,
        'x-amz-date': signed.headers['X-Amz-Date'] }, signal: AbortSignal.timeout(10000) });
      assert.equal(r.status, 404);
      assert.match(await r.text(), /sign it for service iot/);

      await rejectsAws(iot.send(new I.DescribeThingCommand({ thingName: 'nobody' })), 'ResourceNotFoundException', 404);
      await rejectsAws(iot.send(new I.UpdateThingCommand({ thingName: 'site-9', thingTypeName: 'sensor' })),
                       'InvalidRequestException', 400, /no thing types/);
      await rejectsAws(iot.send(new I.UpdateThingCommand({ thingName: 'site-9', expectedVersion: 3 })),
                       'InvalidRequestException', 400, /no versions/);
      await rejectsAws(iot.send(new I.CreateThingCommand({ thingName: 'site-10' })), 'InvalidRequestException', 400,
                       /CreateThing is not served here.*tributary thing create/);
      assert.equal((await server.api('GET', '/v1/things/site-10')).status, 404);
    } finally {
      iot.destroy();
      data.destroy();
    }
  });

  test('refusals name what is wrong', async () => {
    const groups = await createRule('groups', `SELECT get_registry_data('ListThingGroupsForThing', topic(2), 'r') ` +
                                    `AS g FROM 'sensors/+/pm'`, 'groups/out');
    assert.notEqual(groups.code, 0);
    assert.match(groups.stderr, /get_registry_data\(\).*the registry has no thing groups/);

    let r = await server.api('PATCH', '/v1/things/site-7', { attributes: 'site=x' });
    assert.equal(r.status, 400);
    assert.match(r.text, /object field 'attributes'/);
    r = await server.api('PATCH', '/v1/things/site-7', { attributes: {}, merge: 'yes' });
    assert.equal(r.status, 400);
    assert.match(r.text, /'merge' must be true or false/);
    r = await server.api('PATCH', '/v1/things/site-7', { attributes: {}, attribute: {} });
    assert.equal(r.status, 400);
    assert.match(r.text, /unknown field 'attribute'/);
    r = await server.api('PATCH', '/v1/things/nobody', { attributes: { a: '1' } });
    assert.equal(r.status, 404);
    r = await server.api('PATCH', '/v1/things/site-7', { attributes: { big: 'x'.repeat(9000) } });
    assert.equal(r.status, 400);
    assert.match(r.text, /the limit is 8192/);

    const noValue = await server.cli(['thing', 'update', 'site-7', '--attribute', 'site']);
    assert.notEqual(noValue.code, 0);
    assert.match(noValue.stderr, /--attribute 'site': must be KEY=VALUE/);
    const nothing = await server.cli(['thing', 'update', 'site-7']);
    assert.notEqual(nothing.code, 0);
    assert.match(nothing.stderr, /nothing to change/);
    const badCreate = await server.cli(['thing', 'create', 'site-8', '--attribute', '=x', '--out', path.join(dir, 'k8')]);
    assert.notEqual(badCreate.code, 0);
    assert.match(badCreate.stderr, /--attribute '=x': must be KEY=VALUE/);
    assert.equal((await server.api('GET', '/v1/things/site-8')).status, 404, 'nothing was registered');
    assert.deepEqual((await server.api('GET', '/v1/things/site-7')).json.attributes, { site: 'Horta' });
  });
});
