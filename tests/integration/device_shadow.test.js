// AWS IoT's Device Shadow service with real clients on both sides: devices over MQTT with
// their connection kits (Node's `mqtt` over mTLS, and aws-iot-device-sdk's classic
// `thingShadow` client, whose clientToken matching and version tracking must work against
// it), applications over HTTP with the AWS SDK's IoT Data Plane client
// (`@aws-sdk/client-iot-data-plane`, SigV4 for service iotdata with the admin token as
// secret). The classic flow (desired set by the application, exactly the differing fields
// heard on update/delta, reported over MQTT, update/documents with previous and current,
// the document with its delta read back over HTTP and MQTT); named shadows on their own
// topics and ListNamedShadowsForThing in order, paged; the document rules (null removes a
// member and its metadata, objects merge, arrays replace) and refusals with AWS's codes
// (409 version conflict, 400 bad JSON or state.delta, 413 a state over 8 KiB, 404 missing
// shadows) over both protocols; delete (the version returned and published, then 404, a
// new shadow after); a rule on $aws/things/+/shadow/update; missing or wrong credentials
// and another thing's device refused; shadows surviving a restart; a rule on
// .../update/accepted sees the service's answers to updates made over MQTT and HTTP.
//
// The devices use the default policy, which lets a thing use its own shadows' topics.
'use strict';

const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const D = require('@aws-sdk/client-iot-data-plane');
const awsIot = require('aws-iot-device-sdk');
const { Server, thingName, makeTempDir, sleep, withTimeout } = require('./harness');
const { rejectsAws, shadowCalls } = require('./aws');
const { thingOptions, adminOptions, connect, subscribe, publish, waitMessages, end } = require('./clients');

// The answer topics a device subscribes to, after "$aws/things/<thing>/shadow/[name/<n>/]".
const ANSWERS = ['get/accepted', 'get/rejected', 'update/accepted', 'update/rejected', 'update/delta',
                 'update/documents', 'delete/accepted', 'delete/rejected'];

const prefixOf = (thing, shadow = '') => `$aws/things/${thing}/shadow/${shadow ? `name/${shadow}/` : ''}`;
const enc = (doc) => new TextEncoder().encode(typeof doc === 'string' ? doc : JSON.stringify(doc));
const parsed = (m) => JSON.parse(m.payload);

// A shadow timestamp: whole epoch seconds, within a few seconds of now.
function nearNow(ts, what) {
  assert.ok(Number.isInteger(ts), `${what}: timestamp ${JSON.stringify(ts)} is not an integer`);
  const now = Date.now() / 1000;
  assert.ok(Math.abs(ts - now) < 10, `${what}: timestamp ${ts} is not near now (${Math.round(now)})`);
}

describe('Device Shadow service', { timeout: 110000 }, () => {
  let server;
  let data;  // IoTDataPlaneClient
  const clients = [];
  const shadowClients = [];  // aws-iot-device-sdk thingShadow clients
  const dir = makeTempDir('shadow-files');

  const dataClient = (credentials = { accessKeyId: 'admin', secretAccessKey: server.token }) =>
    new D.IoTDataPlaneClient({ endpoint: server.endpoint, region: 'us-east-1', credentials, maxAttempts: 1 });
  const { update, get, del } = shadowCalls(() => data);
  const listNamed = (thingName, extra = {}) =>
    data.send(new D.ListNamedShadowsForThingCommand({ thingName, ...extra }));

  // A thing with its kit, under the default policy (its own shadows' topics allowed).
  const shadowThing = (prefix) => server.createThing(thingName(prefix));
  // The thing connected over MQTT 5 with its kit, subscribed to the answers of `shadows`
  // ('' is the classic shadow).
  const shadowDevice = async (kit, shadows = ['']) => {
    const dev = await connect(thingOptions(server, kit), { what: `${kit.thing} connect` });
    clients.push(dev);
    const topics = shadows.flatMap((s) => ANSWERS.map((a) => prefixOf(kit.thing, s) + a));
    const granted = await subscribe(dev, topics, { qos: 1 });
    assert.deepEqual(granted.map((g) => g.qos), topics.map(() => 1),
                     `SUBACK for ${kit.thing}'s shadow topics: ${JSON.stringify(granted.map((g) => g.qos))}`);
    return dev;
  };
  // The first message `dev` received since index `from` that `filter` takes.
  const next = async (dev, from, filter, what, timeoutMs = 8000) => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const m = dev.received.slice(from).find(filter);
      if (m) return m;
      if (Date.now() > deadline) {
        const got = JSON.stringify(dev.received.slice(from).map((x) => [x.topic, x.payload]));
        throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; since then the device got ${got}\n` +
                        server.tail(20));
      }
      await sleep(20);
    }
  };
  const on = (topic, token) => (m) => m.topic === topic && (token === undefined || parsed(m).clientToken === token);
  // A request over MQTT (QoS 1, PUBACK checked): `body` an object (its clientToken matches
  // the answer) or raw text; resolves with {status: 'accepted' | 'rejected', body}.
  const ask = async (dev, thing, operation, body, { shadow = '' } = {}) => {
    const prefix = prefixOf(thing, shadow) + operation;
    const token = typeof body === 'object' ? body.clientToken : undefined;
    const from = dev.received.length;
    const payload = typeof body === 'string' ? body : JSON.stringify(body);
    const { err, packet } = await publish(dev, prefix, payload, { qos: 1 });
    assert.ifError(err);
    assert.ok(!packet?.reasonCode, `PUBACK reason code ${packet?.reasonCode} for ${prefix}`);
    const m = await next(dev, from, (x) => on(`${prefix}/accepted`, token)(x) || on(`${prefix}/rejected`, token)(x),
                         `the answer to ${prefix} (clientToken ${token})`);
    return { status: m.topic.endsWith('/accepted') ? 'accepted' : 'rejected', body: parsed(m) };
  };
  const rejected = (answer, code, message, token, what) => {
    assert.equal(answer.status, 'rejected', `${what}: ${JSON.stringify(answer.body)}`);
    assert.equal(answer.body.code, code, `${what}: ${JSON.stringify(answer.body)}`);
    assert.match(answer.body.message, message, what);
    assert.equal(answer.body.clientToken, token, `${what}: clientToken`);
    nearNow(answer.body.timestamp, `${what}: timestamp`);
  };

  before(async () => {
    server = await Server.start({ tag: 'shadow' });
    data = dataClient();
  });
  after(async () => {
    for (const s of shadowClients) {
      await withTimeout(new Promise((resolve) => s.end(true, resolve)), 3000, 'thingShadow end').catch(() => {});
    }
    for (const c of clients) await end(c);
    if (data) data.destroy();
    if (server) await server.dispose();
  });

  test('classic shadow: desired over HTTP, the delta to the device, reported over MQTT, documents, get', async () => {
    const kit = await shadowThing('lamp');
    const thing = kit.thing;
    const p = prefixOf(thing);
    const dev = await shadowDevice(kit);

    // The device reports what it is at start-up: the shadow is made, at version 1.
    const initial = { power: 'off', brightness: 40, color: { r: 0, g: 0, b: 255 } };
    const boot = await ask(dev, thing, 'update', { state: { reported: initial }, clientToken: 'boot-1' });
    assert.equal(boot.status, 'accepted', JSON.stringify(boot.body));
    assert.equal(boot.body.version, 1);
    assert.equal(boot.body.clientToken, 'boot-1');
    assert.deepEqual(boot.body.state, { reported: initial });
    nearNow(boot.body.metadata.reported.color.b.timestamp, 'update/accepted metadata');
    const created = parsed(await next(dev, 0, on(`${p}update/documents`, 'boot-1'), 'update/documents of version 1'));
    assert.equal(created.current.version, 1);
    assert.deepEqual(created.current.state, { reported: initial });

    // The application asks for power on and another colour.
    const from = dev.received.length;
    const desired = { power: 'on', brightness: 40, color: { r: 255, g: 0, b: 255 } };
    const answer = await update(thing, { state: { desired }, clientToken: 'app-1' });
    assert.equal(answer.version, 2, JSON.stringify(answer));
    assert.equal(answer.clientToken, 'app-1');
    assert.deepEqual(answer.state, { desired });
    nearNow(answer.timestamp, 'UpdateThingShadow timestamp');
    nearNow(answer.metadata.desired.power.timestamp, 'UpdateThingShadow metadata.desired.power');
    nearNow(answer.metadata.desired.color.r.timestamp, 'UpdateThingShadow metadata.desired.color.r');

    // The device hears exactly what differs from what it reported, at the new version.
    const delta = parsed(await next(dev, from, on(`${p}update/delta`), 'update/delta'));
    assert.deepEqual(delta.state, { power: 'on', color: { r: 255 } }, `delta ${JSON.stringify(delta)}`);
    assert.equal(delta.version, 2);
    assert.deepEqual(Object.keys(delta.metadata).sort(), ['color', 'power'], `delta metadata ${JSON.stringify(delta)}`);
    nearNow(delta.metadata.power.timestamp, 'delta metadata.power');
    nearNow(delta.timestamp, 'delta timestamp');
    // ...and the HTTP update's update/accepted, as AWS IoT publishes it.
    const heard = parsed(await next(dev, from, on(`${p}update/accepted`, 'app-1'), "the HTTP update's update/accepted"));
    assert.deepEqual(heard.state, { desired });
    assert.equal(heard.version, 2);

    // The device turns on (the colour not yet) and reports it.
    const rep = await ask(dev, thing, 'update', { state: { reported: { power: 'on' } }, clientToken: 'dev-2' });
    assert.equal(rep.status, 'accepted', JSON.stringify(rep.body));
    assert.equal(rep.body.version, 3);
    assert.equal(rep.body.clientToken, 'dev-2');
    assert.deepEqual(rep.body.state, { reported: { power: 'on' } });
    assert.deepEqual(Object.keys(rep.body.metadata), ['reported']);
    assert.deepEqual(Object.keys(rep.body.metadata.reported), ['power']);
    nearNow(rep.body.timestamp, 'update/accepted timestamp');

    const docs = parsed(await next(dev, from, on(`${p}update/documents`, 'dev-2'), 'update/documents of version 3'));
    assert.equal(docs.previous.version, 2);
    assert.equal(docs.current.version, 3);
    const reported = { ...initial, power: 'on' };
    assert.deepEqual(docs.previous.state, { desired, reported: initial });
    assert.deepEqual(docs.current.state, { desired, reported });
    nearNow(docs.current.metadata.reported.power.timestamp, 'documents current metadata');
    nearNow(docs.previous.metadata.desired.color.g.timestamp, 'documents previous metadata');
    nearNow(docs.timestamp, 'documents timestamp');

    // The application reads it: desired, reported, and the delta of what still differs.
    const doc = await get(thing);
    assert.deepEqual(doc.state, { desired, reported, delta: { color: { r: 255 } } }, JSON.stringify(doc));
    assert.equal(doc.version, 3);
    assert.deepEqual(Object.keys(doc.metadata).sort(), ['desired', 'reported']);
    for (const section of ['desired', 'reported']) {
      assert.deepEqual(Object.keys(doc.metadata[section]).sort(), ['brightness', 'color', 'power'], `metadata.${section}`);
      nearNow(doc.metadata[section].power.timestamp, `metadata.${section}.power`);
      nearNow(doc.metadata[section].color.r.timestamp, `metadata.${section}.color.r`);
    }
    assert.ok(doc.metadata.reported.power.timestamp >= doc.metadata.reported.brightness.timestamp);
    nearNow(doc.timestamp, 'GetThingShadow timestamp');

    // The device's get answers the same document.
    const got = await ask(dev, thing, 'get', { clientToken: 'dev-get' });
    assert.equal(got.status, 'accepted', JSON.stringify(got.body));
    assert.equal(got.body.clientToken, 'dev-get');
    assert.deepEqual({ state: got.body.state, metadata: got.body.metadata, version: got.body.version },
                     { state: doc.state, metadata: doc.metadata, version: doc.version });
  });

  test("aws-iot-device-sdk's thingShadow: register, accepted updates, a delta, the version tracked", async () => {
    const kit = await shadowThing('sdkshadow');
    const thing = kit.thing;
    const shadows = awsIot.thingShadow({
      keyPath: kit.keyPath, certPath: kit.certPath, caPath: kit.caPath, clientId: thing,
      host: 'localhost', port: server.tlsPort, protocol: 'mqtts', keepalive: 30, baseReconnectTimeMs: 1000,
    }, { operationTimeout: 8000 });
    shadowClients.push(shadows);
    const events = [];
    for (const e of ['connect', 'close', 'reconnect', 'offline']) shadows.on(e, () => events.push(e));
    shadows.on('error', (err) => events.push(`error: ${err.message}`));
    const statuses = [];
    const deltas = [];
    const foreign = [];
    const timeouts = [];
    shadows.on('status', (name, stat, clientToken, stateObject) => {
      statuses.push({ name, stat, clientToken, stateObject });
    });
    shadows.on('delta', (name, stateObject) => deltas.push({ name, stateObject }));
    shadows.on('foreignStateChange', (name, operation, stateObject) => foreign.push({ name, operation, stateObject }));
    shadows.on('timeout', (name, clientToken) => timeouts.push({ name, clientToken }));
    const sent = [];  // the SDK's own update requests
    shadows.on('packetsend', (packet) => {
      if (packet.cmd === 'publish' && packet.topic === `${prefixOf(thing)}update`) {
        sent.push(JSON.parse(packet.payload.toString()));
      }
    });
    const until = async (fn, what) => {
      const deadline = Date.now() + 8000;
      for (;;) {
        const v = fn();
        if (v) return v;
        if (Date.now() > deadline) {
          throw new Error(`timed out waiting for ${what}; statuses ${JSON.stringify(statuses)}, deltas ` +
                          `${JSON.stringify(deltas)}, timeouts ${JSON.stringify(timeouts)}, events ${events.join(', ')}`);
        }
        await sleep(20);
      }
    };
    const status = (token, what) => until(() => statuses.find((s) => s.clientToken === token), what);

    await withTimeout(new Promise((resolve) => shadows.once('connect', resolve)), 10000, 'thingShadow connect')
      .catch((e) => { throw new Error(`${e.message}; events: ${events.join(', ')}\n${server.tail(30)}`); });
    await withTimeout(new Promise((resolve, reject) => {
      shadows.register(thing, { persistentSubscribe: true }, (err, failed) => {
        if (err || failed) reject(new Error(`register: ${err} ${JSON.stringify(failed)}`));
        else resolve();
      });
    }), 8000, 'thingShadow register');

    const t1 = shadows.update(thing, { state: { reported: { mode: 'eco', fan: 1 } } });
    assert.ok(t1, 'the SDK refused to start an update');
    const s1 = await status(t1, 'the first update\'s status');
    assert.equal(s1.stat, 'accepted', JSON.stringify(s1));
    assert.equal(s1.stateObject.version, 1);
    assert.deepEqual(s1.stateObject.state, { reported: { mode: 'eco', fan: 1 } });

    // The application's desired state reaches the SDK as a delta event.
    await update(thing, { state: { desired: { mode: 'boost', fan: 1 } } });
    const d = await until(() => deltas.find((x) => x.name === thing), 'a delta event');
    assert.deepEqual(d.stateObject.state, { mode: 'boost' });
    assert.equal(d.stateObject.version, 2);
    const f = await until(() => foreign.find((x) => x.operation === 'update'),
                          "the application's update as foreignStateChange");
    assert.equal(f.stateObject.version, 2);

    // The SDK sends the version it tracked with its next update, and the service takes it.
    const t2 = shadows.update(thing, { state: { reported: { mode: 'boost' } } });
    assert.ok(t2, 'the SDK refused to start the second update');
    const s2 = await status(t2, 'the second update\'s status');
    assert.equal(s2.stat, 'accepted', JSON.stringify(s2));
    assert.equal(s2.stateObject.version, 3);
    assert.deepEqual(sent.map((r) => r.version), [undefined, 2], `the SDK's requests: ${JSON.stringify(sent)}`);
    assert.deepEqual(sent.map((r) => r.clientToken), [t1, t2]);

    const t3 = shadows.get(thing);
    const s3 = await status(t3, 'the get\'s status');
    assert.equal(s3.stat, 'accepted', JSON.stringify(s3));
    assert.deepEqual(s3.stateObject.state, { desired: { mode: 'boost', fan: 1 }, reported: { mode: 'boost', fan: 1 } });
    assert.equal(s3.stateObject.version, 3);

    // Another client moves the shadow on: the SDK takes the new version from the delta and
    // its next update names it.
    await update(thing, { state: { desired: { fan: 2 } }, version: 3 });
    await until(() => deltas.find((x) => x.stateObject.version === 4), 'the delta of version 4');
    const t4 = shadows.update(thing, { state: { reported: { fan: 2 } } });
    const s4 = await status(t4, 'the third update\'s status');
    assert.equal(s4.stat, 'accepted', `an update at the tracked version 4 was refused: ${JSON.stringify(s4)}`);
    assert.equal(s4.stateObject.version, 5);
    assert.equal(sent.at(-1).version, 4);
    assert.deepEqual(timeouts, []);
    assert.deepEqual(events, ['connect'], 'the SDK connection was not stable');
    shadows.unregister(thing);
    await withTimeout(new Promise((resolve) => shadows.end(false, resolve)), 3000, 'thingShadow end');
    shadowClients.splice(shadowClients.indexOf(shadows), 1);
  });

  test('named shadows: their own topics, ListNamedShadowsForThing in order and paged, the classic apart', async () => {
    const kit = await shadowThing('multi');
    const thing = kit.thing;
    const dev = await shadowDevice(kit, ['', 'config', 'firmware']);
    const from = dev.received.length;

    // The application asks for a firmware over HTTP: the firmware shadow's own topics carry it.
    const fw = await update(thing, { state: { desired: { fw: '1.2.0' } }, clientToken: 'fw-1' }, 'firmware');
    assert.equal(fw.version, 1, JSON.stringify(fw));
    const fwDelta = parsed(await next(dev, from, on(`${prefixOf(thing, 'firmware')}update/delta`),
                                      "firmware's update/delta"));
    assert.deepEqual(fwDelta.state, { fw: '1.2.0' });
    assert.equal(fwDelta.version, 1);
    await next(dev, from, on(`${prefixOf(thing, 'firmware')}update/accepted`, 'fw-1'), "firmware's update/accepted");

    // The device reports its configuration over MQTT.
    const cfg = await ask(dev, thing, 'update', { state: { reported: { interval: 30 } }, clientToken: 'cfg-1' },
                          { shadow: 'config' });
    assert.equal(cfg.status, 'accepted', JSON.stringify(cfg.body));
    assert.equal(cfg.body.version, 1);
    await update(thing, { state: { reported: { armed: false } } }, 'alarm');
    await update(thing, { state: { reported: { online: true } }, clientToken: 'classic-1' });
    await next(dev, from, on(`${prefixOf(thing)}update/documents`, 'classic-1'), "the classic shadow's update/documents");

    // The classic shadow's topics carried only the classic shadow's update.
    const classic = dev.received.slice(from).filter((m) => m.topic.startsWith(prefixOf(thing)) &&
                                                             !m.topic.startsWith(`${prefixOf(thing)}name/`));
    assert.deepEqual(classic.map((m) => [m.topic, parsed(m).clientToken]),
                     [[`${prefixOf(thing)}update/accepted`, 'classic-1'],
                      [`${prefixOf(thing)}update/documents`, 'classic-1']]);
    assert.equal(dev.received.slice(from).filter((m) => m.topic.startsWith(prefixOf(thing, 'config'))).length, 2,
                 'config: update/accepted and update/documents');

    // Listed in name order, the classic shadow not among them; paged one at a time.
    const all = await listNamed(thing);
    assert.deepEqual(all.results, ['alarm', 'config', 'firmware']);
    assert.equal(all.nextToken, undefined);
    nearNow(all.timestamp, 'ListNamedShadowsForThing timestamp');
    const pages = [];
    for (let nextToken; ;) {
      const page = await listNamed(thing, { pageSize: 1, nextToken });
      pages.push(page.results);
      if (page.nextToken === undefined) break;
      assert.ok(pages.length < 10, `ListNamedShadowsForThing never ends: ${JSON.stringify(pages)}`);
      nextToken = page.nextToken;
    }
    assert.deepEqual(pages, [['alarm'], ['config'], ['firmware']]);
    const two = await listNamed(thing, { pageSize: 2 });
    assert.deepEqual(two.results, ['alarm', 'config']);
    assert.equal(typeof two.nextToken, 'string');
    assert.deepEqual((await listNamed(thing, { pageSize: 2, nextToken: two.nextToken })).results, ['firmware']);
    assert.deepEqual((await listNamed(thingName('noshadows'))).results, []);

    // Each shadow reads back as its own document, over HTTP and MQTT.
    const config = await get(thing, 'config');
    assert.deepEqual(config.state, { reported: { interval: 30 } });
    assert.equal(config.version, 1);
    const configGet = await ask(dev, thing, 'get', { clientToken: 'cfg-get' }, { shadow: 'config' });
    assert.equal(configGet.status, 'accepted', JSON.stringify(configGet.body));
    assert.deepEqual(configGet.body.state, config.state);
    assert.deepEqual((await get(thing, 'firmware')).state, { desired: { fw: '1.2.0' }, delta: { fw: '1.2.0' } });
    const own = await get(thing);
    assert.deepEqual(own.state, { reported: { online: true } });
    assert.equal(own.version, 1);
  });

  test('document rules and refusals: null, merges, arrays, versions, bad JSON, state.delta, 8 KiB, missing', async () => {
    const kit = await shadowThing('rules');
    const thing = kit.thing;
    const dev = await shadowDevice(kit, ['', 'nosuch']);

    await update(thing, { state: { reported: { a: 1, nested: { c: 2, d: 3 }, list: [1, 2, 3], keep: 'x' } } });
    // null removes a key (and its metadata), objects merge, arrays replace.
    const second = await update(thing, { state: { reported: { a: null, nested: { d: 4, e: 5 }, list: [9] } } });
    assert.equal(second.version, 2);
    let doc = await get(thing);
    assert.deepEqual(doc.state, { reported: { nested: { c: 2, d: 4, e: 5 }, list: [9], keep: 'x' } });
    assert.deepEqual(Object.keys(doc.metadata.reported).sort(), ['keep', 'list', 'nested'], JSON.stringify(doc.metadata));
    assert.deepEqual(Object.keys(doc.metadata.reported.nested).sort(), ['c', 'd', 'e']);
    nearNow(doc.metadata.reported.nested.e.timestamp, 'metadata of a merged member');
    await update(thing, { state: { reported: { nested: { c: null } } } });
    doc = await get(thing);
    assert.deepEqual(doc.state.reported.nested, { d: 4, e: 5 });
    assert.deepEqual(Object.keys(doc.metadata.reported.nested).sort(), ['d', 'e']);
    // desired: null removes the whole section, its delta and metadata with it.
    await update(thing, { state: { desired: { want: 1 } } });
    assert.deepEqual((await get(thing)).state.delta, { want: 1 });
    const cleared = await update(thing, { state: { desired: null } });
    assert.equal(cleared.version, 5);
    doc = await get(thing);
    assert.deepEqual(doc.state, { reported: { nested: { d: 4, e: 5 }, list: [9], keep: 'x' } });
    assert.deepEqual(Object.keys(doc.metadata), ['reported']);

    // A version that is not the shadow's: 409 over HTTP and MQTT, nothing changed.
    await rejectsAws(update(thing, { state: { reported: { keep: 'y' } }, version: 2 }), 'ConflictException', 409,
                     /version/i, 'UpdateThingShadow at a stale version');
    const stale = await ask(dev, thing, 'update',
                            { state: { reported: { keep: 'z' } }, version: 4, clientToken: 'stale-1' });
    rejected(stale, 409, /Version conflict/i, 'stale-1', 'MQTT update at a stale version');
    doc = await get(thing);
    assert.equal(doc.version, 5);
    assert.equal(doc.state.reported.keep, 'x');
    const current = await ask(dev, thing, 'update',
                              { state: { reported: { keep: 'v' } }, version: 5, clientToken: 'v5' });
    assert.equal(current.status, 'accepted', JSON.stringify(current.body));
    assert.equal(current.body.version, 6);

    // Not JSON: 400.
    const before = dev.received.length;
    const badJson = await ask(dev, thing, 'update', '{"state": {"reported": ');
    rejected(badJson, 400, /invalid json/i, undefined, 'MQTT update that is not JSON');
    await rejectsAws(update(thing, '{"state": '), 'InvalidRequestException', 400, /json/i, 'UpdateThingShadow not JSON');
    // state.delta is computed, never set: 400.
    const withDelta = await ask(dev, thing, 'update', { state: { delta: { a: 1 } }, clientToken: 'delta-1' });
    rejected(withDelta, 400, /delta/, 'delta-1', 'MQTT update of state.delta');
    await rejectsAws(update(thing, { state: { delta: { a: 1 } } }), 'InvalidRequestException', 400, /delta/,
                     'UpdateThingShadow of state.delta');
    // A state over 8 KiB: 413; under it, taken.
    const big = await ask(dev, thing, 'update',
                          { state: { reported: { blob: 'y'.repeat(9000) } }, clientToken: 'big-1' });
    rejected(big, 413, /size|large|exceed/i, 'big-1', 'MQTT update over 8 KiB');
    await rejectsAws(update(thing, { state: { reported: { blob: 'x'.repeat(9000) } } }), 'RequestEntityTooLargeException',
                     413, undefined, 'UpdateThingShadow over 8 KiB');
    assert.equal((await update(thing, { state: { reported: { blob: 'w'.repeat(7000) } } }, 'roomy')).version, 1);
    doc = await get(thing);
    assert.equal(doc.version, 6, 'a refused update changed the version');
    assert.equal(doc.state.reported.blob, undefined);
    assert.equal(dev.received.slice(before).filter((m) => m.topic.endsWith('/update/accepted')).length, 0,
                 'a refused update was published as accepted');

    // Missing shadows: 404.
    const missing = 'ResourceNotFoundException';
    await rejectsAws(get(thing, 'nosuch'), missing, 404, /nosuch/, 'GetThingShadow of a missing shadow');
    await rejectsAws(get(thingName('nothing')), missing, 404, /No shadow exists/, 'GetThingShadow of a thing with none');
    await rejectsAws(del(thing, 'nosuch'), missing, 404, /nosuch/, 'DeleteThingShadow of a missing shadow');
    rejected(await ask(dev, thing, 'get', { clientToken: 'get-404' }, { shadow: 'nosuch' }), 404, /No shadow exists/,
             'get-404', 'MQTT get of a missing shadow');
    rejected(await ask(dev, thing, 'delete', { clientToken: 'del-404' }, { shadow: 'nosuch' }), 404, /No shadow exists/,
             'del-404', 'MQTT delete of a missing shadow');
  });

  test('delete: the version returned and published, then 404, and an update starts a new shadow', async () => {
    const kit = await shadowThing('del');
    const thing = kit.thing;
    const p = prefixOf(thing);
    const dev = await shadowDevice(kit, ['', 'extra']);
    for (const n of [1, 2, 3]) await update(thing, { state: { reported: { n, [`k${n}`]: true } } });

    const from = dev.received.length;
    const out = await del(thing);
    assert.equal(out.version, 3, JSON.stringify(out));
    nearNow(out.timestamp, 'DeleteThingShadow timestamp');
    const heard = parsed(await next(dev, from, on(`${p}delete/accepted`), 'delete/accepted'));
    assert.equal(heard.version, 3);
    await rejectsAws(get(thing), 'ResourceNotFoundException', 404, undefined, 'GetThingShadow after delete');
    rejected(await ask(dev, thing, 'get', { clientToken: 'after-del' }), 404, /No shadow exists/, 'after-del',
             'MQTT get after delete');

    const again = await update(thing, { state: { reported: { n: 4 } } });
    // As AWS IoT keeps it: a shadow made again continues from the deleted one's version.
    assert.equal(again.version, 4, `the first update after a delete: ${JSON.stringify(again)}`);
    const doc = await get(thing);
    assert.deepEqual(doc.state, { reported: { n: 4 } }, 'the deleted document\'s members came back');
    assert.deepEqual(Object.keys(doc.metadata.reported), ['n']);

    // A device deletes a named shadow over MQTT.
    const made = await ask(dev, thing, 'update', { state: { reported: { k: 1 } }, clientToken: 'x-1' },
                           { shadow: 'extra' });
    assert.equal(made.status, 'accepted', JSON.stringify(made.body));
    assert.deepEqual((await listNamed(thing)).results, ['extra']);
    const gone = await ask(dev, thing, 'delete', { clientToken: 'x-del' }, { shadow: 'extra' });
    assert.equal(gone.status, 'accepted', JSON.stringify(gone.body));
    assert.equal(gone.body.version, 1);
    assert.equal(gone.body.clientToken, 'x-del');
    assert.deepEqual((await listNamed(thing)).results, []);
    assert.equal((await get(thing)).version, 4, 'deleting a named shadow touched the classic one');
    // The CLI reads and changes the same shadows.
    const viaCli = JSON.parse((await server.cliOk(['shadow', 'get', thing])).stdout);
    assert.deepEqual(viaCli.state, { reported: { n: 4 } });
    assert.equal(viaCli.version, 4);
    await server.cliOk(['shadow', 'update', thing, '--desired', '{"n": 5}']);
    assert.deepEqual((await get(thing)).state.delta, { n: 5 }, 'shadow update by the CLI');
    const missing = await server.cli(['shadow', 'get', `${thing}-none`]);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /No shadow exists with name/);
  });

  test('a rule on $aws/things/+/shadow/update sees what devices send', async () => {
    const kit = await shadowThing('ruled');
    const thing = kit.thing;
    const dev = await shadowDevice(kit);
    const ruleFile = path.join(dir, 'shadow-rule.json');
    fs.writeFileSync(ruleFile, JSON.stringify({
      topicRulePayload: {
        sql: "SELECT state.reported.temp AS temp, topic(3) AS thing FROM '$aws/things/+/shadow/update'",
        ruleDisabled: false, awsIotSqlVersion: '2016-03-23',
        actions: [{ republish: { topic: 'seen/shadow/${topic(3)}', qos: 1 } }],
      },
    }));
    await server.cliOk(['rule', 'create', 'shadow_seen', '--payload', ruleFile]);
    const admin = await connect(adminOptions(server), { what: 'admin subscriber' });
    clients.push(admin);
    await subscribe(admin, 'seen/shadow/#', { qos: 1 });

    const r = await ask(dev, thing, 'update', { state: { reported: { temp: 21.5 } }, clientToken: 'rule-1' });
    assert.equal(r.status, 'accepted', JSON.stringify(r.body));
    const [m] = await waitMessages(admin, 1, { what: `the rule's republish to seen/shadow/${thing}` });
    assert.equal(m.topic, `seen/shadow/${thing}`);
    assert.deepEqual(JSON.parse(m.payload), { temp: 21.5, thing });
  });

  // AWS IoT's rules see what the Device Shadow service publishes (a rule on
  // $aws/things/+/shadow/update/accepted or .../update/documents is AWS's usual way to follow
  // every change, whoever made it).
  test('a rule on $aws/things/+/shadow/update/accepted sees accepted updates, over MQTT and HTTP', async () => {
    const kit = await shadowThing('accrule');
    const thing = kit.thing;
    const dev = await shadowDevice(kit);
    const ruleFile = path.join(dir, 'shadow-accepted-rule.json');
    fs.writeFileSync(ruleFile, JSON.stringify({
      topicRulePayload: {
        sql: "SELECT version, topic(3) AS thing FROM '$aws/things/+/shadow/update/accepted'",
        ruleDisabled: false, awsIotSqlVersion: '2016-03-23',
        actions: [{ republish: { topic: 'seen/accepted/${topic(3)}', qos: 1 } }],
      },
    }));
    await server.cliOk(['rule', 'create', 'shadow_accepted', '--payload', ruleFile]);
    const admin = await connect(adminOptions(server), { what: 'admin subscriber' });
    clients.push(admin);
    await subscribe(admin, 'seen/accepted/#', { qos: 1 });

    const own = await ask(dev, thing, 'update', { state: { reported: { x: 1 } }, clientToken: 'acc-1' });
    assert.equal(own.status, 'accepted', JSON.stringify(own.body));
    assert.equal((await update(thing, { state: { desired: { x: 2 } } })).version, 2);
    const got = await waitMessages(admin, 2, { timeoutMs: 3000,
                                               what: `the rule's republishes to seen/accepted/${thing}` });
    assert.deepEqual(got.map((m) => JSON.parse(m.payload)).sort((a, b) => a.version - b.version),
                     [{ version: 1, thing }, { version: 2, thing }]);
  });

  // AWS IoT's HTTPS publish (the data plane's Publish) is a device's PUBLISH: subscribers
  // get it, retained ones later, the rules and device shadows see it.
  test('HTTPS publish: subscribers, retained messages, a shadow update, refusals', async () => {
    const admin = await connect(adminOptions(server), { what: 'admin subscriber' });
    clients.push(admin);
    await subscribe(admin, 'https/#', { qos: 1 });
    const out = await data.send(new D.PublishCommand({ topic: 'https/t1/pm', qos: 1, payload: enc({ pm: 7 }) }));
    assert.equal(out.$metadata.httpStatusCode, 200);
    const [m] = await waitMessages(admin, 1, { what: 'the HTTPS publish', filter: (x) => x.topic === 'https/t1/pm' });
    assert.deepEqual(JSON.parse(m.payload), { pm: 7 });
    await data.send(new D.PublishCommand({ topic: 'https/kept', qos: 0, retain: true, payload: enc('last') }));
    const late = await connect(adminOptions(server), { what: 'late subscriber' });
    clients.push(late);
    await subscribe(late, 'https/kept', { qos: 1 });
    const [kept] = await waitMessages(late, 1, { what: 'the retained message' });
    assert.equal(kept.payload.toString(), 'last');

    // To a device shadow: the service answers as to a device.
    const thing = thingName('published');
    await data.send(new D.PublishCommand({ topic: `$aws/things/${thing}/shadow/update`, qos: 1,
                                           payload: enc({ state: { desired: { on: true } } }) }));
    const deadline = Date.now() + 5000;
    let doc;
    while (!doc) {
      doc = await get(thing).catch((e) => { if (Date.now() > deadline) throw e; return undefined; });
      if (!doc) await sleep(50);
    }
    assert.deepEqual(doc.state.desired, { on: true });

    // Refused: the server's own '$' topics, wildcards, a QoS past 1 (nothing delivered).
    const before = admin.received.length;
    await rejectsAws(data.send(new D.PublishCommand({ topic: '$SYS/x', payload: enc('x') })), 'UnauthorizedException', 403,
                     /server's/, '$SYS');
    await rejectsAws(data.send(new D.PublishCommand({ topic: 'https/+/x', payload: enc('x') })), 'InvalidRequestException',
                     400, /not one a message may be published to/, 'a wildcard');
    const qos2 = await fetch(`${server.endpoint}/topics/https%2Fq?qos=2`, {
      method: 'POST', body: 'x', headers: { Authorization: `Bearer ${server.token}` }, signal: AbortSignal.timeout(5000),
    });
    assert.equal(qos2.status, 400, await qos2.text());
    const anonymous = await fetch(`${server.endpoint}/topics/https%2Fanon`, {
      method: 'POST', body: 'x', signal: AbortSignal.timeout(5000),
    });
    assert.equal(anonymous.status, 403);
    await sleep(200);
    assert.equal(admin.received.length, before, 'a refused publish was delivered');
  });

  test('authorization: no credentials, a wrong token, secret or key, another thing\'s device are refused', async () => {
    const thing = thingName('guarded');
    const hidden = { code: 'hidden-4711' };
    await update(thing, { state: { reported: hidden } });
    const url = `${server.endpoint}/things/${thing}/shadow`;
    const fetchShadow = (headers, method = 'GET') => fetch(url, { method, headers, signal: AbortSignal.timeout(5000) });

    const none = await fetchShadow({});
    const noneText = await none.text();
    assert.ok([401, 403].includes(none.status), `GET without credentials: ${none.status} ${noneText}`);
    assert.equal(none.headers.get('x-amzn-errortype'), 'MissingAuthenticationTokenException');
    assert.doesNotMatch(noneText, /hidden-4711/);
    const wrong = await fetchShadow({ Authorization: 'Bearer not-the-token' });
    const wrongText = await wrong.text();
    assert.ok([401, 403].includes(wrong.status), `GET with a wrong bearer token: ${wrong.status} ${wrongText}`);
    assert.doesNotMatch(wrongText, /hidden-4711/);
    const removal = await fetchShadow({}, 'DELETE');
    assert.ok([401, 403].includes(removal.status), `DELETE without credentials: ${removal.status}`);
    const list = await fetch(`${server.endpoint}/api/things/shadow/ListNamedShadowsForThing/${thing}`,
                             { signal: AbortSignal.timeout(5000) });
    assert.ok([401, 403].includes(list.status), `ListNamedShadowsForThing without credentials: ${list.status}`);
    const bearer = await fetchShadow({ Authorization: `Bearer ${server.token}` });
    const bearerText = await bearer.text();
    assert.equal(bearer.status, 200, bearerText);
    assert.deepEqual(JSON.parse(bearerText).state, { reported: hidden });

    const wrongSecret = dataClient({ accessKeyId: 'admin', secretAccessKey: `${server.token}x` });
    const stranger = dataClient({ accessKeyId: 'someone', secretAccessKey: server.token });
    try {
      const payload = enc({ state: { reported: { code: 'x' } } });
      for (const command of [new D.GetThingShadowCommand({ thingName: thing }),
                             new D.UpdateThingShadowCommand({ thingName: thing, payload }),
                             new D.DeleteThingShadowCommand({ thingName: thing }),
                             new D.ListNamedShadowsForThingCommand({ thingName: thing })]) {
        await rejectsAws(wrongSecret.send(command), 'InvalidSignatureException', 403, undefined,
                         `${command.constructor.name} with a wrong secret`);
      }
      await rejectsAws(stranger.send(new D.GetThingShadowCommand({ thingName: thing })), 'UnrecognizedClientException', 403,
                       /someone/, 'GetThingShadow with an unknown access key id');
    } finally {
      wrongSecret.destroy();
      stranger.destroy();
    }

    // A device's policy names its own shadow topics only: another thing's are refused (0x87).
    const kit = await shadowThing('intruder');
    const dev = await connect(thingOptions(server, kit), { what: 'intruder connect' });
    clients.push(dev);
    assert.deepEqual((await subscribe(dev, `${prefixOf(thing)}update/delta`, { qos: 1 })).map((g) => g.qos), [0x87]);
    const denied = await publish(dev, `${prefixOf(thing)}update`, JSON.stringify({ state: { reported: { code: 'x' } } }),
                                 { qos: 1 });
    assert.equal(denied.err?.code ?? denied.packet?.reasonCode, 0x87, `publish to another thing's shadow: ${denied.err}`);
    const denied2 = await publish(dev, `${prefixOf(thing)}delete`, '', { qos: 1 });
    assert.equal(denied2.err?.code ?? denied2.packet?.reasonCode, 0x87, `delete of another thing's shadow: ${denied2.err}`);
    await sleep(300);  // a request that got through would have been carried out by now

    const doc = await get(thing);
    assert.equal(doc.version, 1, 'a refused request changed the shadow');
    assert.deepEqual(doc.state, { reported: hidden });
  });

  test('shadows survive a restart with their versions', async () => {
    const kit = await shadowThing('kept');
    const thing = kit.thing;
    await update(thing, { state: { desired: { level: 3 } } });
    await update(thing, { state: { reported: { level: 2 } } });
    await update(thing, { state: { reported: { cal: [1, 2] } } }, 'calibration');
    const classicBefore = await get(thing);
    const namedBefore = await get(thing, 'calibration');
    assert.equal(classicBefore.version, 2);

    await server.restart();
    data.destroy();
    data = dataClient();  // the ports changed

    const classicAfter = await get(thing);
    assert.deepEqual({ state: classicAfter.state, metadata: classicAfter.metadata, version: classicAfter.version },
                     { state: classicBefore.state, metadata: classicBefore.metadata, version: 2 });
    assert.deepEqual(classicAfter.state.delta, { level: 3 });
    const namedAfter = await get(thing, 'calibration');
    assert.deepEqual({ state: namedAfter.state, version: namedAfter.version }, { state: namedBefore.state, version: 1 });
    assert.deepEqual((await listNamed(thing)).results, ['calibration']);

    // A device connecting after the restart reads the same document, and updates go on from it.
    const dev = await shadowDevice(kit);
    const got = await ask(dev, thing, 'get', { clientToken: 'after-restart' });
    assert.equal(got.status, 'accepted', JSON.stringify(got.body));
    assert.equal(got.body.version, 2);
    assert.deepEqual(got.body.state, classicBefore.state);
    const next3 = await ask(dev, thing, 'update', { state: { reported: { level: 3 } }, version: 2, clientToken: 'v2' });
    assert.equal(next3.status, 'accepted', JSON.stringify(next3.body));
    assert.equal(next3.body.version, 3);
    assert.equal((await get(thing)).state.delta, undefined);
  });
});
