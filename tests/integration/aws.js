// Shared by the tests that drive Tributary with AWS's own SDK clients.
'use strict';

const assert = require('node:assert/strict');

// Asserts that `promise` rejects with the SDK's error of AWS type `name` and HTTP `status`
// (a number, or a predicate of it), and a message matching `message` when given; `what`
// names the call in the failure message.
async function rejectsAws(promise, name, status, message, what = name) {
  await assert.rejects(promise, (e) => {
    assert.equal(e.name, name, `${what}: expected ${name}, got ${e.name}: ${e.message}`);
    const got = e.$metadata?.httpStatusCode;
    if (typeof status === 'function') {
      assert.ok(status(got), `${what}: ${e.name} with HTTP status ${got}: ${e.message}`);
    } else {
      assert.equal(got, status, `${what}: ${e.name}: ${e.message}`);
    }
    if (message) assert.match(e.message, message, what);
    return true;
  }, `${what}: expected ${name}, but the call succeeded`);
}

// UpdateThingShadow, GetThingShadow and DeleteThingShadow through the IoT Data Plane
// client `client()` gives (@aws-sdk/client-iot-data-plane), documents in and out as
// objects (a string goes as it is).
function shadowCalls(client) {
  const D = require('@aws-sdk/client-iot-data-plane');
  const enc = (doc) => new TextEncoder().encode(typeof doc === 'string' ? doc : JSON.stringify(doc));
  const dec = (payload) => JSON.parse(Buffer.from(payload).toString('utf8'));
  return {
    update: async (thingName, doc, shadowName) =>
      dec((await client().send(new D.UpdateThingShadowCommand({ thingName, shadowName, payload: enc(doc) }))).payload),
    get: async (thingName, shadowName) =>
      dec((await client().send(new D.GetThingShadowCommand({ thingName, shadowName }))).payload),
    del: async (thingName, shadowName) =>
      dec((await client().send(new D.DeleteThingShadowCommand({ thingName, shadowName }))).payload),
  };
}

// Polls Glue's GetCrawler through `getCrawler(name)` until the crawler is READY with a
// LastCrawl of a run started at or after `since` (ms; `slackMs` earlier for the server's
// clock reading before the test's); returns {crawler, states} (every State seen, in
// order). `context()` adds to the failure message (the server's log).
async function waitCrawled(getCrawler, name, since, { timeoutMs = 30000, slackMs = 0, context = () => '' } = {}) {
  const deadline = Date.now() + timeoutMs;
  const states = [];
  for (;;) {
    const expired = Date.now() > deadline;
    const crawler = await getCrawler(name);
    if (states.at(-1) !== crawler.State) states.push(crawler.State);
    if (crawler.State === 'READY' && crawler.LastCrawl && crawler.LastCrawl.StartTime.getTime() >= since - slackMs) {
      return { crawler, states };
    }
    if (expired) {
      throw new Error(`crawler ${name} not READY after a run within ${timeoutMs} ms: ${JSON.stringify(crawler)}\n${context()}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

module.exports = { rejectsAws, shadowCalls, waitCrawled };
