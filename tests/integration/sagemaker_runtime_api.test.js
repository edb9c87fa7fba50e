// SageMaker Runtime's InvokeEndpoint on POST /endpoints/{name}/invocations, driven by the
// AWS SDK's own client (`@aws-sdk/client-sagemaker-runtime`) with an endpoint override and
// SigV4 (access key id 'admin', the admin token as the secret). No training: the endpoints
// serve `Command` models that speak the worker protocol (src/serving/README.md), one that
// echoes each request (serving_echo_model.js) and one that fails each
// (serving_failing_model.js). InvokeEndpoint returns the model's answer and the variant
// that gave it, TargetVariant pins each of two variants; the errors the SDK raises by name
// (no such endpoint, a model's error, no such variant, a wrong secret or access key id);
// and, with plain fetch, no Authorization, the bearer token and a wrong bearer token.
'use strict';

const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const S = require('@aws-sdk/client-sagemaker-runtime');
const { Server, describeRun } = require('./harness');
const { rejectsAws } = require('./aws');

const ECHO_MODEL = path.join(__dirname, 'serving_echo_model.js');
const FAILING_MODEL = path.join(__dirname, 'serving_failing_model.js');

describe('SageMaker Runtime InvokeEndpoint through the AWS SDK', { timeout: 90000 }, () => {
  let server;
  let runtime;
  const clients = [];
  const runtimeWith = (credentials) => {
    const client = new S.SageMakerRuntimeClient({
      endpoint: server.endpoint, region: 'us-east-1', credentials, maxAttempts: 1,
    });
    clients.push(client);
    return client;
  };
  const cli = async (args, { timeoutMs = 40000 } = {}) => {
    const r = await server.cli(args, { timeoutMs });
    assert.equal(r.code, 0, `${describeRun(args.join(' '), r)}\n${server.tail(40)}`);
    return r;
  };
  const invoke = (client, input) =>
    client.send(new S.InvokeEndpointCommand({ ContentType: 'application/json', ...input }));
  // The echo model's answer in an InvokeEndpoint output, parsed.
  const echoOf = (output) => JSON.parse(new TextDecoder().decode(output.Body));
  const url = (endpoint) => `${server.endpoint}/endpoints/${endpoint}/invocations`;
  const post = (endpoint, body, headers = {}) => fetch(url(endpoint), {
    method: 'POST', body, headers: { 'Content-Type': 'application/json', ...headers },
    signal: AbortSignal.timeout(10000),
  });

  before(async () => {
    server = await Server.start({ tag: 'sagemaker-runtime' });
    runtime = runtimeWith({ accessKeyId: 'admin', secretAccessKey: server.token });
    await cli(['model', 'create', 'echo', '--command', `${process.execPath} ${ECHO_MODEL}`]);
    await cli(['model', 'create', 'bad', '--command', `${process.execPath} ${FAILING_MODEL}`]);
    await cli(['endpoint-config', 'create', 'one', '--variant', 'name=solo,model=echo,instances=1']);
    await cli(['endpoint-config', 'create', 'two', '--variant', 'name=blue,model=echo,weight=1,instances=1',
               '--variant', 'name=green,model=echo,weight=1,instances=1']);
    await cli(['endpoint-config', 'create', 'failing', '--variant', 'name=broken,model=bad,instances=1']);
    await Promise.all([['echo-one', 'one'], ['echo-two', 'two'], ['failing', 'failing']].map(async ([name, config]) => {
      const created = await cli(['endpoint', 'create', name, '--config', config, '--wait', '--timeout-s', '30']);
      assert.match(created.stdout, /InService/, `endpoint ${name}: ${created.stdout}`);
    }));
  });
  after(async () => {
    for (const client of clients) client.destroy();
    if (server) await server.dispose();
  });

  test('InvokeEndpoint returns the model\'s answer and the variant that gave it', async () => {
    const body = JSON.stringify({ instances: [{ start: '2024-01-01 00:00:00', target: [1, 2.5, 3] }] });
    const output = await invoke(runtime, { EndpointName: 'echo-one', Body: new TextEncoder().encode(body) });
    assert.equal(output.$metadata.httpStatusCode, 200);
    assert.equal(output.InvokedProductionVariant, 'solo');
    assert.equal(output.ContentType, 'application/json');
    const echo = echoOf(output);
    assert.equal(echo.echo, body, 'the model did not get the body the SDK sent');
    assert.equal(echo.content_type, 'application/json');

    // A body given as a string is sent the same; ContentType and Accept reach the model.
    const lines = '{"a":1}\n{"a":2}';
    const jsonl = await invoke(runtime, { EndpointName: 'echo-one', Body: lines, ContentType: 'application/jsonlines',
                                          Accept: 'application/json' });
    assert.equal(jsonl.InvokedProductionVariant, 'solo');
    assert.deepEqual(echoOf(jsonl), { echo: lines, content_type: 'application/jsonlines', accept: 'application/json' });
  });

  test('TargetVariant picks each of two variants, every time', async () => {
    const seen = {};
    for (let i = 0; i < 12; i++) {
      const output = await invoke(runtime, { EndpointName: 'echo-two', Body: JSON.stringify({ i }) });
      assert.equal(echoOf(output).echo, JSON.stringify({ i }));
      seen[output.InvokedProductionVariant] = (seen[output.InvokedProductionVariant] || 0) + 1;
    }
    for (const name of Object.keys(seen)) assert.ok(['blue', 'green'].includes(name), `unknown variant: ${JSON.stringify(seen)}`);

    for (const variant of ['blue', 'green', 'blue', 'green']) {
      for (let i = 0; i < 5; i++) {
        const body = JSON.stringify({ variant, i });
        const output = await invoke(runtime, { EndpointName: 'echo-two', TargetVariant: variant, Body: body });
        assert.equal(output.InvokedProductionVariant, variant, `TargetVariant ${variant}, call ${i}`);
        assert.equal(echoOf(output).echo, body);
      }
    }
  });

  test('errors by name: no endpoint, a model\'s error, no variant, wrong secret or key', async () => {
    const body = '{"instances": []}';
    await rejectsAws(invoke(runtime, { EndpointName: 'no-such-endpoint', Body: body }), 'ValidationError', 404,
                     /no-such-endpoint/, 'an endpoint that does not exist');
    await rejectsAws(invoke(runtime, { EndpointName: 'failing', Body: body }), 'ModelError', 500,
                     undefined, 'an endpoint whose model fails');
    await rejectsAws(invoke(runtime, { EndpointName: 'echo-two', TargetVariant: 'purple', Body: body }),
                     'ValidationError', (s) => s >= 400 && s < 500, /purple/, 'a TargetVariant that does not exist');
    await rejectsAws(invoke(runtime, { EndpointName: 'echo-one', TargetModel: 'model.tar.gz', Body: body }),
                     'ValidationError', 400, undefined, 'a TargetModel on an endpoint that is not multi-model');
    await rejectsAws(invoke(runtime, { EndpointName: 'echo-one', InferenceId: 'x'.repeat(65), Body: body }),
                     'ValidationError', 400, /Inference-Id/, 'an InferenceId of 65 characters');

    const wrongSecret = runtimeWith({ accessKeyId: 'admin', secretAccessKey: `${server.token}x` });
    await rejectsAws(invoke(wrongSecret, { EndpointName: 'echo-one', Body: body }), 'InvalidSignatureException', 403,
                     /does not match/, 'a wrong secret');
    const someone = runtimeWith({ accessKeyId: 'someone', secretAccessKey: server.token });
    await rejectsAws(invoke(someone, { EndpointName: 'echo-one', Body: body }), 'UnrecognizedClientException', 403,
                     /someone/, 'another access key id');

    // The endpoints still serve after the refusals.
    const output = await invoke(runtime, { EndpointName: 'echo-one', Body: body });
    assert.equal(echoOf(output).echo, body);
  });

  test('plain HTTP: no Authorization is refused, the bearer token works, a wrong one is refused', async () => {
    const body = '{"plain": true}';
    const unsigned = await post('echo-one', body);
    assert.equal(unsigned.status, 403);
    assert.equal(unsigned.headers.get('x-amzn-errortype'), 'MissingAuthenticationTokenException');
    assert.equal((await unsigned.json()).__type, 'MissingAuthenticationTokenException');

    const bearer = await post('echo-one', body, { Authorization: `Bearer ${server.token}` });
    const text = await bearer.text();
    assert.equal(bearer.status, 200, text);
    assert.equal(bearer.headers.get('x-amzn-invoked-production-variant'), 'solo');
    assert.equal(JSON.parse(text).echo, body);

    const wrong = await post('echo-one', body, { Authorization: 'Bearer not-the-token' });
    assert.equal(wrong.status, 403);
    assert.equal(wrong.headers.get('x-amzn-errortype'), 'UnrecognizedClientException');
    assert.equal((await wrong.json()).__type, 'UnrecognizedClientException');
  });
});
