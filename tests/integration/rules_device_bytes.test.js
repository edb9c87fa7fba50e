// Topic rules fed bytes that are not UTF-8 (a device's base64 decoded by the rule into ff fe
// 41), through the real binary with mosquitto_pub and mosquitto_sub: a republish topic
// rendered from them fails the rule, and its error action gets a valid JSON document
// quoting them as \xNN while the server goes on (the error document used to throw on the
// broker's thread and abort the server); `POST /v1/rules/{name}/test` answers the same
// failure instead of a 500. Republish headers (contentType, userProperties) rendered from
// such bytes send the message to the error action instead of to an MQTT 5 subscriber, which
// stays connected and gets the next message.
'use strict';

const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { Server, describeRun } = require('./harness');
const { mosqArgs, mosquittoPub, MosquittoSub } = require('./clients');

describe('rules and device bytes that are not UTF-8', { timeout: 60000 }, () => {
  let server;
  const subs = [];
  const admin = () => mosqArgs(server, { admin: true, version: 'mqttv5' });
  const startSub = async (args, options) => {
    const sub = new MosquittoSub([...admin(), '-q', '1', ...args], options);
    subs.push(sub);
    assert.deepEqual(await sub.subscribed(), [1], sub.describe());
    return sub;
  };
  const pub = async (topic, payload) => {
    const r = await mosquittoPub([...admin(), '-q', '1', '-t', topic, '-m', payload]);
    assert.equal(r.code, 0, `${describeRun(`mosquitto_pub ${topic}`, r)}\n${server.tail(30)}`);
  };
  const createRule = async (name, payload) => {
    const r = await server.api('POST', `/v1/rules/${name}`, payload);
    assert.equal(r.status, 201, `${r.text}\n${server.tail(30)}`);
  };
  const alive = async () => {
    const r = await server.api('GET', '/healthz');
    assert.equal(r.status, 200, `the server did not answer after the message\n${server.tail(40)}`);
  };

  before(async () => { server = await Server.start({ tag: 'rules-bytes' }); });
  after(async () => {
    for (const s of subs) await s.stop('SIGKILL');
    if (server) await server.dispose();
  });

  test('a republish topic rendered from bytes that are not UTF-8 goes to the error action', async () => {
    await createRule('c1', { topicRulePayload: {
      sql: "SELECT * FROM 'c1/+'",
      actions: [{ republish: { topic: "c1o/${decode(b,'base64')}" } }],
      errorAction: { republish: { topic: 'c1err' } },
    } });
    const errors = await startSub(['-t', 'c1err']);
    await pub('c1/a', '{"b":"//5B"}');
    const [m] = await errors.waitMessages(1);
    const doc = JSON.parse(m.payload);
    assert.equal(doc.ruleName, 'c1');
    assert.equal(doc.topic, 'c1/a');
    assert.equal(Buffer.from(doc.base64OriginalPayload, 'base64').toString(), '{"b":"//5B"}');
    assert.equal(doc.failures.length, 1, m.payload);
    assert.equal(doc.failures[0].failedAction, 'RepublishAction');
    assert.equal(doc.failures[0].failedResource, 'c1o/\\xff\\xfeA', 'failedResource is the topic as rendered');
    assert.match(doc.failures[0].errorMessage, /rendered 'c1o\/\\xff\\xfeA', which is not a valid topic name/);
    await alive();

    // The same message tried: the failure in a 200 answer.
    const t = await server.api('POST', '/v1/rules/c1/test', { topic: 'c1/a', payload: '{"b":"//5B"}' });
    assert.equal(t.status, 200, `${t.text}\n${server.tail(30)}`);
    assert.equal(t.json.failures[0].failedAction, 'RepublishAction');
    assert.match(t.json.failures[0].errorMessage, /c1o\/\\xff\\xfeA/);
    await alive();
  });

  test('republish headers rendered from bytes that are not UTF-8 go to the error action', async () => {
    await createRule('c2', { topicRulePayload: {
      sql: "SELECT n FROM 'c2/+'",
      actions: [{ republish: { topic: 'c2o/${topic(2)}', qos: 1, headers: {
        contentType: "${decode(ct,'base64')}",
        userProperties: [{ key: 'k', value: "${decode(v,'base64')}" }] } } }],
      errorAction: { republish: { topic: 'c2err' } },
    } });
    const out = await startSub(['-t', 'c2o/#'], { properties: true });
    const errors = await startSub(['-t', 'c2err']);
    const ok = Buffer.from('ok').toString('base64');
    const text = Buffer.from('text/plain').toString('base64');
    await pub('c2/a', JSON.stringify({ n: 1, ct: '//5B', v: ok }));
    await pub('c2/a', JSON.stringify({ n: 2, ct: text, v: '//5B' }));
    await pub('c2/a', JSON.stringify({ n: 3, ct: text, v: ok }));
    const failed = await errors.waitMessages(2);
    const messages = failed.map((m) => JSON.parse(m.payload).failures[0].errorMessage);
    assert.match(messages[0], /^republish contentType rendered '\\xff\\xfeA', which MQTT cannot carry/);
    assert.match(messages[1], /^republish userProperties\[0\]\.value rendered '\\xff\\xfeA'/);
    // The subscriber stayed connected: the valid message reaches it, and only that one.
    const [m] = await out.waitMessages(1);
    assert.deepEqual(JSON.parse(m.payload), { n: 3 });
    assert.equal(m.contentType, 'text/plain');
    assert.match(m.userProperties, /k:ok/);
    assert.equal(out.messages().length, 1, out.describe());
    assert.doesNotMatch(out.child.err, /disconnect|malformed|protocol error/i, out.describe());
    await alive();
  });
});
