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

module.exports = { rejectsAws, shadowCalls };
