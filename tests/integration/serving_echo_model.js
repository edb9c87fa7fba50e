// A model that echoes every request: a `Command` model for the SageMaker Runtime test. It
// answers each request with status 200 and {"echo": <the request body as text>,
// "content_type": ..., "accept": ...} from the request's header (worker_protocol.js).
// Run: node serving_echo_model.js
'use strict';

const { serveModel } = require('./worker_protocol');

serveModel('serving_echo_model', (header, body) => ({
  status: 200,
  content_type: 'application/json',
  body: JSON.stringify({ echo: body, content_type: header.content_type, accept: header.accept }),
}));
