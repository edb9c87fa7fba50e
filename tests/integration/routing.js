// Setting up the path a device's reading takes into the lake, for tests that need it: a
// delivery stream and the reference's rule (`SELECT * FROM '<filter>'`, firehose action)
// pointed at it, created through the CLI against a running server.
'use strict';

const fs = require('node:fs');
const path = require('node:path');

// Creates stream `stream` into `bucket` (with `streamArgs`, e.g. a buffer interval) and
// rule `rule` sending every message on `filter` to it; the rule's JSON goes to `dir`.
async function createRoutedStream(server, dir, { stream, bucket, filter, rule, streamArgs = [] }) {
  await server.cliOk(['stream', 'create', stream, '--bucket', bucket, ...streamArgs]);
  const ruleFile = path.join(dir, `${rule}.json`);
  fs.writeFileSync(ruleFile, JSON.stringify({
    topicRulePayload: {
      sql: `SELECT * FROM '${filter}'`, ruleDisabled: false, awsIotSqlVersion: '2016-03-23',
      actions: [{ firehose: { deliveryStreamName: stream, separator: '\n' } }],
    },
  }));
  await server.cliOk(['rule', 'create', rule, '--payload', ruleFile]);
}

module.exports = { createRoutedStream };
