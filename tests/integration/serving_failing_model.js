// A model that loads and then fails every request: a `Command` model for the serving
// test's rollback case. It answers each request with status 500 and its id
// (worker_protocol.js). Run: node serving_failing_model.js
'use strict';

const { serveModel } = require('./worker_protocol');

const error = 'serving_failing_model fails every request by design';
serveModel('serving_failing_model', () => ({
  status: 500, content_type: 'application/json', error, body: JSON.stringify({ error }),
}));
