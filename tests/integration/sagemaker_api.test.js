// SageMaker's hosting control plane on POST / (AWS JSON 1.1, X-Amz-Target SageMaker.*),
// driven by the AWS SDK's own SageMaker client (`@aws-sdk/client-sagemaker`) with an
// endpoint override and SigV4 (access key id 'admin', the admin token as the secret), and
// invoked with `@aws-sdk/client-sagemaker-runtime`. No training: the models are `Command`
// models (src/serving/README.md) given as PrimaryContainer.Environment.TRIBUTARY_COMMAND,
// the echo model (serving_echo_model.js). The reference's deployment with the SDK alone:
// CreateModel twice, CreateEndpointConfig with a blue and a green variant, CreateEndpoint,
// the SDK's own waitUntilEndpointInService (which parses the times as epoch seconds);
// DescribeEndpoint (status, ARN, both variants and their weights, times as Dates);
// InvokeEndpoint answered by both variants; UpdateEndpointWeightsAndCapacities sending all
// traffic to green (every invocation then reports green); UpdateEndpoint to a one-variant
// config with a BlueGreenUpdatePolicy (Updating with a PendingDeploymentSummary, then
// InService on the new config, the old variants gone). DescribeModel / ListModels (sorted,
// paged one at a time with NextToken, NameContains), DescribeEndpointConfig /
// ListEndpointConfigs, ListEndpoints (StatusEquals, NameContains, SortBy, paging); /v1
// sees what the SDK made; the errors the SDK raises by name (ValidationException for a
// missing endpoint or model, a duplicate, a model without container or with two, a bad
// Mode or one that is no string, RetainAllVariantProperties that is no boolean,
// DesiredInstanceCount; ResourceInUse for a model a config uses, for an update while one
// runs and for deleting the config it rolls out; UnknownOperationException for an
// operation not served; a wrong secret); and DeleteEndpoint (gone from ListEndpoints),
// DeleteEndpointConfig, DeleteModel.
'use strict';

const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const SM = require('@aws-sdk/client-sagemaker');
const R = require('@aws-sdk/client-sagemaker-runtime');
const { Server, sleep } = require('./harness');
const { rejectsAws } = require('./aws');

const ECHO_MODEL = path.join(__dirname, 'serving_echo_model.js');
const ECHO_COMMAND = `${process.execPath} ${ECHO_MODEL}`;
const ROLE = 'arn:aws:iam::000000000000:role/tributary-ignores-this';

describe('SageMaker hosting control plane through the AWS SDK', { timeout: 90000 }, () => {
  let server;
  let sm;
  let runtime;
  let startedAt;  // a Date a little before anything was created
  const clients = [];
  const track = (client) => { clients.push(client); return client; };
  const config = (credentials) => ({ endpoint: server.endpoint, region: 'us-east-1', credentials, maxAttempts: 1 });
  const send = (command) => sm.send(command);
  const describeEndpoint = (name) => send(new SM.DescribeEndpointCommand({ EndpointName: name }));
  // The SDK's own waiter, with delays fit for a test (its defaults wait 30 s between polls).
  const waitInService = async (name) => {
    const result = await SM.waitUntilEndpointInService({ client: sm, maxWaitTime: 60, minDelay: 1, maxDelay: 2 },
                                                       { EndpointName: name });
    assert.equal(result.state, 'SUCCESS', `waiting for ${name}: ${JSON.stringify(result)}`);
    return result;
  };
  const echoModel = (name, extra = {}) => send(new SM.CreateModelCommand({
    ModelName: name, ExecutionRoleArn: ROLE,
    PrimaryContainer: { Image: 'tributary/echo:latest', Mode: 'SingleModel',
                        Environment: { TRIBUTARY_COMMAND: ECHO_COMMAND } },
    ...extra,
  }));
  const invoke = (input) =>
    runtime.send(new R.InvokeEndpointCommand({ ContentType: 'application/json', ...input }));
  const echoOf = (output) => JSON.parse(new TextDecoder().decode(output.Body));
  // Invokes `endpoint` `n` times; returns how many answers each variant gave.
  const invokeMany = async (endpoint, n) => {
    const seen = {};
    for (let i = 0; i < n; i++) {
      const body = JSON.stringify({ call: i });
      const output = await invoke({ EndpointName: endpoint, Body: body });
      assert.equal(echoOf(output).echo, body, `call ${i}: the model did not get the body sent`);
      seen[output.InvokedProductionVariant] = (seen[output.InvokedProductionVariant] || 0) + 1;
    }
    return seen;
  };
  // A time the SDK parsed: a Date between `startedAt` (less a second: times are rounded
  // down to the millisecond) and now, so seconds taken for milliseconds fail.
  const assertRecent = (date, what) => {
    assert.ok(date instanceof Date, `${what}: expected a Date, got ${typeof date} ${date}`);
    assert.ok(!Number.isNaN(date.getTime()), `${what}: an invalid Date`);
    assert.ok(date.getTime() >= startedAt.getTime() - 1000 && date.getTime() <= Date.now() + 1000,
              `${what}: ${date.toISOString()} is not between ${startedAt.toISOString()} and now`);
  };
  const byName = (variants) => Object.fromEntries((variants || []).map((v) => [v.VariantName, v]));
  const pages = async (makeCommand, key) => {
    const names = [];
    let token;
    let calls = 0;
    do {
      const page = await send(makeCommand(token));
      assert.ok(page[key].length <= 1, `${key}: MaxResults 1 gave ${page[key].length}`);
      names.push(...page[key].map((item) => item.ModelName || item.EndpointConfigName || item.EndpointName));
      token = page.NextToken;
      assert.ok(++calls <= 20, `${key}: paging does not end`);
    } while (token);
    return names;
  };

  before(async () => {
    server = await Server.start({ tag: 'sagemaker-api' });
    sm = track(new SM.SageMakerClient(config({ accessKeyId: 'admin', secretAccessKey: server.token })));
    runtime = track(new R.SageMakerRuntimeClient(config({ accessKeyId: 'admin', secretAccessKey: server.token })));
    startedAt = new Date();
  });
  after(async () => {
    for (const client of clients) client.destroy();
    if (server) await server.dispose();
  });

  test('the deployment with the SDK alone: models, a blue/green config, an endpoint, the waiter', async () => {
    for (const name of ['model-blue', 'model-green']) {
      const created = await echoModel(name);
      assert.equal(created.$metadata.httpStatusCode, 200);
      assert.match(created.ModelArn, new RegExp(`^arn:aws:sagemaker:[^:]*:[^:]*:model/${name}$`));
    }
    const ab = await send(new SM.CreateEndpointConfigCommand({
      EndpointConfigName: 'forecaster-ab',
      ProductionVariants: [
        { VariantName: 'blue', ModelName: 'model-blue', InitialVariantWeight: 0.5, InitialInstanceCount: 1,
          InstanceType: 'ml.m5.large' },
        { VariantName: 'green', ModelName: 'model-green', InitialVariantWeight: 0.5, InitialInstanceCount: 1,
          InstanceType: 'ml.m5.large' },
      ],
    }));
    assert.match(ab.EndpointConfigArn, /:endpoint-config\/forecaster-ab$/);

    // Two endpoints on the config, so that ListEndpoints has something to sort and page.
    for (const name of ['forecaster', 'backup']) {
      const created = await send(new SM.CreateEndpointCommand({ EndpointName: name, EndpointConfigName: 'forecaster-ab' }));
      assert.match(created.EndpointArn, new RegExp(`:endpoint/${name}$`));
      await sleep(20);  // apart in CreationTime (milliseconds), for ListEndpoints' sort
    }
    const right = await describeEndpoint('forecaster');
    assert.ok(['Creating', 'InService'].includes(right.EndpointStatus), `just created: ${right.EndpointStatus}`);
    await Promise.all(['forecaster', 'backup'].map(waitInService));

    const d = await describeEndpoint('forecaster');
    assert.equal(d.EndpointName, 'forecaster');
    assert.equal(d.EndpointStatus, 'InService', JSON.stringify(d));
    assert.equal(d.EndpointConfigName, 'forecaster-ab');
    assert.match(d.EndpointArn, /^arn:aws:sagemaker:[^:]*:[^:]*:endpoint\/forecaster$/);
    assertRecent(d.CreationTime, 'DescribeEndpoint CreationTime');
    assertRecent(d.LastModifiedTime, 'DescribeEndpoint LastModifiedTime');
    assert.ok(d.LastModifiedTime >= d.CreationTime, 'LastModifiedTime before CreationTime');
    assert.equal(d.FailureReason, undefined);
    assert.equal(d.PendingDeploymentSummary, undefined);
    const variants = byName(d.ProductionVariants);
    assert.deepEqual(Object.keys(variants).sort(), ['blue', 'green']);
    for (const v of Object.values(variants)) {
      assert.equal(v.CurrentWeight, 0.5, `${v.VariantName}: ${JSON.stringify(v)}`);
      assert.equal(v.DesiredWeight, 0.5, `${v.VariantName}: ${JSON.stringify(v)}`);
      assert.equal(v.CurrentInstanceCount, 1, `${v.VariantName}: ${JSON.stringify(v)}`);
    }
    assert.equal(variants.blue.CurrentWeight + variants.green.CurrentWeight, 1);
  });

  test('InvokeEndpoint through the runtime client: both variants answer', async () => {
    const seen = await invokeMany('forecaster', 40);
    assert.deepEqual(Object.keys(seen).sort(), ['blue', 'green'], `40 calls at 0.5/0.5: ${JSON.stringify(seen)}`);
  });

  test('UpdateEndpointWeightsAndCapacities sends all traffic to green', async () => {
    const updated = await send(new SM.UpdateEndpointWeightsAndCapacitiesCommand({
      EndpointName: 'forecaster',
      DesiredWeightsAndCapacities: [{ VariantName: 'blue', DesiredWeight: 0 }, { VariantName: 'green', DesiredWeight: 1 }],
    }));
    assert.match(updated.EndpointArn, /:endpoint\/forecaster$/);
    await waitInService('forecaster');  // SageMaker goes through Updating; either way it ends InService
    const variants = byName((await describeEndpoint('forecaster')).ProductionVariants);
    assert.equal(variants.blue.CurrentWeight, 0, JSON.stringify(variants.blue));
    assert.equal(variants.green.CurrentWeight, 1, JSON.stringify(variants.green));
    assert.deepEqual(await invokeMany('forecaster', 15), { green: 15 });
    // The other endpoint on the same config keeps its own weights.
    const backup = byName((await describeEndpoint('backup')).ProductionVariants);
    assert.equal(backup.blue.CurrentWeight, 0.5);

    await rejectsAws(send(new SM.UpdateEndpointWeightsAndCapacitiesCommand({
      EndpointName: 'forecaster', DesiredWeightsAndCapacities: [{ VariantName: 'blue', DesiredInstanceCount: 2 }],
    })), 'ValidationException', 400, /DesiredInstanceCount/, 'DesiredInstanceCount');
    await rejectsAws(send(new SM.UpdateEndpointWeightsAndCapacitiesCommand({
      EndpointName: 'forecaster', DesiredWeightsAndCapacities: [{ VariantName: 'purple', DesiredWeight: 1 }],
    })), 'ValidationException', 400, /purple/, 'a variant the endpoint does not have');
    // Refusals change nothing.
    assert.deepEqual(await invokeMany('forecaster', 5), { green: 5 });
  });

  test('UpdateEndpoint to a one-variant config, blue/green all at once', async () => {
    await send(new SM.CreateEndpointConfigCommand({
      EndpointConfigName: 'forecaster-green',
      ProductionVariants: [{ VariantName: 'green-only', ModelName: 'model-green', InitialInstanceCount: 1,
                             InitialVariantWeight: 1, InstanceType: 'ml.m5.large' }],
    }));
    const updated = await send(new SM.UpdateEndpointCommand({
      EndpointName: 'forecaster', EndpointConfigName: 'forecaster-green',
      DeploymentConfig: { BlueGreenUpdatePolicy: {
        TrafficRoutingConfiguration: { Type: 'ALL_AT_ONCE', WaitIntervalInSeconds: 0 },
        // Keeps the update running for 2 s after traffic moved, so it is seen Updating.
        TerminationWaitInSeconds: 2, MaximumExecutionTimeoutInSeconds: 600 } },
    }));
    assert.match(updated.EndpointArn, /:endpoint\/forecaster$/);

    const during = await describeEndpoint('forecaster');
    assert.equal(during.EndpointStatus, 'Updating', JSON.stringify(during));
    assert.equal(during.EndpointConfigName, 'forecaster-ab', 'EndpointConfigName changes only when the update ends');
    assert.ok(during.PendingDeploymentSummary, `no PendingDeploymentSummary while Updating: ${JSON.stringify(during)}`);
    assert.equal(during.PendingDeploymentSummary.EndpointConfigName, 'forecaster-green');
    assertRecent(during.PendingDeploymentSummary.StartTime, 'PendingDeploymentSummary.StartTime');
    // A second update while one runs is refused.
    await rejectsAws(send(new SM.UpdateEndpointCommand({ EndpointName: 'forecaster', EndpointConfigName: 'forecaster-ab' })),
                     'ResourceInUse', 400, /Updating/, 'an update while one runs');
    // The config being rolled out is in use, although the endpoint does not serve it yet.
    await rejectsAws(send(new SM.DeleteEndpointConfigCommand({ EndpointConfigName: 'forecaster-green' })),
                     'ResourceInUse', 400, /being rolled out to endpoint 'forecaster'/,
                     'DeleteEndpointConfig of the config an update is rolling out');

    await waitInService('forecaster');
    const d = await describeEndpoint('forecaster');
    assert.equal(d.EndpointStatus, 'InService');
    assert.equal(d.EndpointConfigName, 'forecaster-green');
    assert.equal(d.FailureReason, undefined, d.FailureReason);
    assert.equal(d.PendingDeploymentSummary, undefined, JSON.stringify(d.PendingDeploymentSummary));
    assert.deepEqual(d.ProductionVariants.map((v) => [v.VariantName, v.CurrentWeight]), [['green-only', 1]]);
    assert.equal(d.LastDeploymentConfig?.BlueGreenUpdatePolicy?.TrafficRoutingConfiguration?.Type, 'ALL_AT_ONCE',
                 JSON.stringify(d.LastDeploymentConfig));
    assert.equal(d.LastDeploymentConfig.BlueGreenUpdatePolicy.TerminationWaitInSeconds, 2);
    assert.ok(d.LastModifiedTime > during.LastModifiedTime, 'LastModifiedTime did not move');
    assert.deepEqual(await invokeMany('forecaster', 8), { 'green-only': 8 });

    await rejectsAws(send(new SM.UpdateEndpointCommand({ EndpointName: 'forecaster', EndpointConfigName: 'no-such-config' })),
                     'ValidationException', 400, /no-such-config/, 'an update to a missing config');
    await rejectsAws(send(new SM.UpdateEndpointCommand({
      EndpointName: 'forecaster', EndpointConfigName: 'forecaster-ab',
      DeploymentConfig: { BlueGreenUpdatePolicy: { TrafficRoutingConfiguration: { Type: 'SIDEWAYS' } } },
    })), 'ValidationException', 400, /SIDEWAYS/, 'an unknown traffic routing Type');
    await rejectsAws(send(new SM.UpdateEndpointCommand({
      EndpointName: 'forecaster', EndpointConfigName: 'forecaster-ab', RetainAllVariantProperties: 'yes',
    })), 'ValidationException', 400, /RetainAllVariantProperties: expected true or false, got "yes"/,
                     'RetainAllVariantProperties of the wrong type');
    assert.equal((await describeEndpoint('forecaster')).EndpointStatus, 'InService', 'a refused update changed the status');
  });

  test('models and configs read back: Describe, List sorted, paged and filtered', async () => {
    const model = await send(new SM.DescribeModelCommand({ ModelName: 'model-blue' }));
    assert.equal(model.ModelName, 'model-blue');
    assert.match(model.ModelArn, /:model\/model-blue$/);
    assert.equal(model.PrimaryContainer?.Environment?.TRIBUTARY_COMMAND, ECHO_COMMAND, JSON.stringify(model));
    assert.equal(model.PrimaryContainer.Mode, 'SingleModel');
    assertRecent(model.CreationTime, 'DescribeModel CreationTime');

    // A third model so that the three sort apart: created last, named first.
    await echoModel('alpha-model');
    const ascending = await send(new SM.ListModelsCommand({ SortBy: 'Name', SortOrder: 'Ascending' }));
    assert.deepEqual(ascending.Models.map((m) => m.ModelName), ['alpha-model', 'model-blue', 'model-green']);
    assert.equal(ascending.NextToken, undefined);
    for (const m of ascending.Models) {
      assert.match(m.ModelArn, new RegExp(`:model/${m.ModelName}$`));
      assertRecent(m.CreationTime, `ListModels ${m.ModelName} CreationTime`);
    }
    const descending = await send(new SM.ListModelsCommand({ SortBy: 'Name', SortOrder: 'Descending' }));
    assert.deepEqual(descending.Models.map((m) => m.ModelName), ['model-green', 'model-blue', 'alpha-model']);
    const newestFirst = await send(new SM.ListModelsCommand({}));  // CreationTime, Descending
    assert.equal(newestFirst.Models[0].ModelName, 'alpha-model');
    const paged = await pages((NextToken) => new SM.ListModelsCommand({ SortBy: 'Name', SortOrder: 'Ascending',
                                                                      MaxResults: 1, NextToken }), 'Models');
    assert.deepEqual(paged, ['alpha-model', 'model-blue', 'model-green']);
    const filtered = await send(new SM.ListModelsCommand({ NameContains: 'model-', SortBy: 'Name', SortOrder: 'Ascending' }));
    assert.deepEqual(filtered.Models.map((m) => m.ModelName), ['model-blue', 'model-green']);
    assert.deepEqual((await send(new SM.ListModelsCommand({ NameContains: 'nothing-like-it' }))).Models, []);

    const ab = await send(new SM.DescribeEndpointConfigCommand({ EndpointConfigName: 'forecaster-ab' }));
    assert.equal(ab.EndpointConfigName, 'forecaster-ab');
    assert.match(ab.EndpointConfigArn, /:endpoint-config\/forecaster-ab$/);
    assertRecent(ab.CreationTime, 'DescribeEndpointConfig CreationTime');
    assert.deepEqual(ab.ProductionVariants.map((v) => [v.VariantName, v.ModelName, v.InitialVariantWeight, v.InitialInstanceCount]),
                     [['blue', 'model-blue', 0.5, 1], ['green', 'model-green', 0.5, 1]]);
    const configs = await pages((NextToken) => new SM.ListEndpointConfigsCommand({
      SortBy: 'Name', SortOrder: 'Ascending', MaxResults: 1, NextToken }), 'EndpointConfigs');
    assert.deepEqual(configs, ['forecaster-ab', 'forecaster-green']);
    const green = await send(new SM.ListEndpointConfigsCommand({ NameContains: 'green' }));
    assert.deepEqual(green.EndpointConfigs.map((c) => c.EndpointConfigName), ['forecaster-green']);
    assert.match(green.EndpointConfigs[0].EndpointConfigArn, /:endpoint-config\/forecaster-green$/);
    assertRecent(green.EndpointConfigs[0].CreationTime, 'ListEndpointConfigs CreationTime');

    const endpoints = await send(new SM.ListEndpointsCommand({ SortBy: 'Name', SortOrder: 'Ascending' }));
    assert.deepEqual(endpoints.Endpoints.map((e) => [e.EndpointName, e.EndpointStatus]),
                     [['backup', 'InService'], ['forecaster', 'InService']]);
    for (const e of endpoints.Endpoints) {
      assert.match(e.EndpointArn, new RegExp(`:endpoint/${e.EndpointName}$`));
      assertRecent(e.CreationTime, `ListEndpoints ${e.EndpointName} CreationTime`);
      assertRecent(e.LastModifiedTime, `ListEndpoints ${e.EndpointName} LastModifiedTime`);
    }
    const oldestFirst = await send(new SM.ListEndpointsCommand({ SortBy: 'CreationTime', SortOrder: 'Ascending' }));
    assert.deepEqual(oldestFirst.Endpoints.map((e) => e.EndpointName), ['forecaster', 'backup']);
    const endpointPages = await pages((NextToken) => new SM.ListEndpointsCommand({
      SortBy: 'Name', SortOrder: 'Descending', MaxResults: 1, NextToken }), 'Endpoints');
    assert.deepEqual(endpointPages, ['forecaster', 'backup']);
    const fore = await send(new SM.ListEndpointsCommand({ NameContains: 'fore', StatusEquals: 'InService' }));
    assert.deepEqual(fore.Endpoints.map((e) => e.EndpointName), ['forecaster']);
    assert.deepEqual((await send(new SM.ListEndpointsCommand({ StatusEquals: 'Failed' }))).Endpoints, []);
    await rejectsAws(send(new SM.ListEndpointsCommand({ StatusEquals: 'Bogus' })), 'ValidationException', 400,
                     /StatusEquals 'Bogus'/, 'a status SageMaker has not');

    await rejectsAws(send(new SM.ListModelsCommand({ MaxResults: 0 })), 'ValidationException', 400, /MaxResults/,
                     'MaxResults 0');
    await rejectsAws(send(new SM.ListModelsCommand({ NextToken: 'not-a-token' })), 'ValidationException', 400,
                     /NextToken/, 'a NextToken this server did not give');
  });

  test('/v1 sees what the SDK made', async () => {
    const r = await server.api('GET', '/v1/endpoints/forecaster');
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.EndpointConfigName, 'forecaster-green');
    assert.equal(r.json.EndpointStatus, 'InService');
    assert.deepEqual(r.json.ProductionVariants.map((v) => [v.VariantName, v.ModelName]), [['green-only', 'model-green']]);
    const m = await server.api('GET', '/v1/models/model-blue');
    assert.equal(m.status, 200, m.text);
    assert.equal(m.json.Command, ECHO_COMMAND);
  });

  test('errors by name and status', async () => {
    await rejectsAws(describeEndpoint('no-such-endpoint'), 'ValidationException', 400, /no-such-endpoint/,
                     'DescribeEndpoint of a missing endpoint');
    await rejectsAws(send(new SM.DescribeModelCommand({ ModelName: 'no-such-model' })), 'ValidationException', 400,
                     /no-such-model/, 'DescribeModel of a missing model');
    await rejectsAws(send(new SM.DescribeEndpointConfigCommand({ EndpointConfigName: 'no-such-config' })),
                     'ValidationException', 400, /no-such-config/, 'DescribeEndpointConfig of a missing config');
    await rejectsAws(echoModel('model-blue'), 'ValidationException', 400, /already exists/, 'CreateModel of a taken name');
    await rejectsAws(send(new SM.CreateModelCommand({ ModelName: 'no-container', ExecutionRoleArn: ROLE })),
                     'ValidationException', 400, /PrimaryContainer/, 'CreateModel without a container');
    const container = { Environment: { TRIBUTARY_COMMAND: ECHO_COMMAND } };
    await rejectsAws(send(new SM.CreateModelCommand({ ModelName: 'pipeline', ExecutionRoleArn: ROLE,
                                                      Containers: [container, container] })),
                     'ValidationException', 400, /Containers/, 'CreateModel with two Containers');
    await rejectsAws(send(new SM.CreateModelCommand({ ModelName: 'nothing-to-run', ExecutionRoleArn: ROLE,
                                                      PrimaryContainer: { Image: 'x', Environment: { OTHER: '1' } } })),
                     'ValidationException', 400, /ModelDataUrl/, 'CreateModel with neither ModelDataUrl nor a command');
    await rejectsAws(echoModel('bad-mode', { PrimaryContainer: { ...container, Mode: 'Ensemble' } }),
                     'ValidationException', 400, /Ensemble/, 'CreateModel with an unknown Mode');
    await rejectsAws(echoModel('number-mode', { PrimaryContainer: { ...container, Mode: 5 } }),
                     'ValidationException', 400, /PrimaryContainer\.Mode: expected a string, got 5/,
                     'CreateModel with a Mode that is no string');
    await rejectsAws(send(new SM.CreateModelCommand({ ModelName: 'relative', ExecutionRoleArn: ROLE,
                                                      PrimaryContainer: { ModelDataUrl: 'models/relative' } })),
                     'ValidationException', 400, /absolute/, 'CreateModel with a relative ModelDataUrl');
    // One container given as Containers is taken as the PrimaryContainer.
    await send(new SM.CreateModelCommand({ ModelName: 'one-container', ExecutionRoleArn: ROLE, Containers: [container] }));
    const one = await send(new SM.DescribeModelCommand({ ModelName: 'one-container' }));
    assert.equal(one.PrimaryContainer?.Environment?.TRIBUTARY_COMMAND, ECHO_COMMAND, JSON.stringify(one));
    await send(new SM.DeleteModelCommand({ ModelName: 'one-container' }));
    await rejectsAws(send(new SM.DeleteModelCommand({ ModelName: 'model-blue' })), 'ResourceInUse', 400,
                     /forecaster-ab/, 'DeleteModel of a model a config uses');
    await rejectsAws(send(new SM.CreateEndpointConfigCommand({
      EndpointConfigName: 'orphan', ProductionVariants: [] })), 'ValidationException', 400, /ProductionVariants/,
                     'CreateEndpointConfig without variants');
    await rejectsAws(send(new SM.CreateEndpointCommand({ EndpointName: 'forecaster', EndpointConfigName: 'forecaster-ab' })),
                     'ValidationException', 400, /already exists/, 'CreateEndpoint of a taken name');
    await rejectsAws(send(new SM.DescribeHyperParameterTuningJobCommand({ HyperParameterTuningJobName: 'tuning' })),
                     'UnknownOperationException', 400, /DescribeHyperParameterTuningJob.*CreateTrainingJob/,
                     'an operation not served');

    const wrongSecret = track(new SM.SageMakerClient(config({ accessKeyId: 'admin', secretAccessKey: `${server.token}x` })));
    await rejectsAws(wrongSecret.send(new SM.ListModelsCommand({})), 'InvalidSignatureException', 403, undefined,
                     'a wrong secret');
    const someone = track(new SM.SageMakerClient(config({ accessKeyId: 'someone', secretAccessKey: server.token })));
    await rejectsAws(someone.send(new SM.DeleteModelCommand({ ModelName: 'alpha-model' })), 'UnrecognizedClientException',
                     403, /someone/, 'another access key id');

    // Nothing the refusals touched changed.
    const models = await send(new SM.ListModelsCommand({ SortBy: 'Name', SortOrder: 'Ascending' }));
    assert.deepEqual(models.Models.map((m) => m.ModelName), ['alpha-model', 'model-blue', 'model-green']);
    assert.equal((await describeEndpoint('forecaster')).EndpointConfigName, 'forecaster-green');
  });

  test('DeleteEndpoint, DeleteEndpointConfig, DeleteModel', async () => {
    for (const name of ['forecaster', 'backup']) {
      const deleted = await send(new SM.DeleteEndpointCommand({ EndpointName: name }));
      assert.equal(deleted.$metadata.httpStatusCode, 200);
    }
    let left;
    for (const deadline = Date.now() + 20000; ;) {
      left = (await send(new SM.ListEndpointsCommand({}))).Endpoints;
      if (left.length === 0 || Date.now() > deadline) break;
      for (const e of left) assert.equal(e.EndpointStatus, 'Deleting', `${e.EndpointName} while deleted`);
      await sleep(200);
    }
    assert.deepEqual(left.map((e) => e.EndpointName), [], 'endpoints still listed 20 s after DeleteEndpoint');
    await rejectsAws(describeEndpoint('forecaster'), 'ValidationException', 400, /forecaster/, 'a deleted endpoint');
    await rejectsAws(invoke({ EndpointName: 'forecaster', Body: '{}' }), 'ValidationError', 404, /forecaster/,
                     'invoking a deleted endpoint');

    for (const name of ['forecaster-ab', 'forecaster-green']) {
      await send(new SM.DeleteEndpointConfigCommand({ EndpointConfigName: name }));
      await rejectsAws(send(new SM.DescribeEndpointConfigCommand({ EndpointConfigName: name })), 'ValidationException',
                       400, new RegExp(name), `a deleted config ${name}`);
    }
    assert.deepEqual((await send(new SM.ListEndpointConfigsCommand({}))).EndpointConfigs, []);
    for (const name of ['model-blue', 'model-green', 'alpha-model']) {
      await send(new SM.DeleteModelCommand({ ModelName: name }));  // no config uses them now
      await rejectsAws(send(new SM.DescribeModelCommand({ ModelName: name })), 'ValidationException', 400,
                       new RegExp(name), `a deleted model ${name}`);
    }
    assert.deepEqual((await send(new SM.ListModelsCommand({}))).Models, []);
    await rejectsAws(send(new SM.DeleteModelCommand({ ModelName: 'model-blue' })), 'ValidationException', 400,
                     /model-blue/, 'deleting a model twice');
  });
});
