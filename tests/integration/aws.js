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

module.exports = { rejectsAws };
