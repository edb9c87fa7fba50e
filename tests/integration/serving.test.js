// Model serving through the real binaries: two tiny DeepAR models trained with
// `tributary train`, served by `tributary-forecast serve` workers behind an endpoint
// with two production variants, invoked over HTTP with SageMaker DeepAR's request;
// a blue/green canary update under load that must drop nothing; an update to a model
// that fails every request, rolled back by its ErrorRate alarm; A/B weights; metrics;
// data capture of requests and answers into the lake (read back with DuckDB); and the
// endpoint back in service after a server restart (src/serving/README.md).
'use strict';

const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const http = require('node:http');
const path = require('node:path');
const duckdb = require('@duckdb/node-api');
const { BIN, Server, run, describeRun, makeTempDir, sleep } = require('./harness');

const PREDICTION_LENGTH = 24;
const FAILING_MODEL = path.join(__dirname, 'serving_failing_model.js');

// Hourly series: a daily cycle, a level per series, noise; deterministic.
function syntheticSeries(count, length, seed) {
  let state = seed >>> 0;
  const random = () => {
    state = (state * 1664525 + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
  const series = [];
  for (let s = 0; s < count; s++) {
    const level = 10 + 5 * s;
    const target = [];
    for (let t = 0; t < length; t++) {
      target.push(Number((level + 4 * Math.sin((2 * Math.PI * t) / 24) + random() - 0.5).toFixed(3)));
    }
    series.push({ start: '2024-01-01 00:00:00', target });
  }
  return series;
}

// The reference's DeepAR request: instances with start and target, and a configuration.
function deepArRequest(instances, numSamples = 100) {
  return {
    instances,
    configuration: { num_samples: numSamples, output_types: ['mean', 'quantiles', 'samples'],
                     quantiles: ['0.1', '0.5', '0.9'] },
  };
}

// Checks one prediction of deepArRequest's shape; returns nothing, throws on a mismatch.
function checkPrediction(p, numSamples, what) {
  assert.equal(p.mean.length, PREDICTION_LENGTH, `${what}: mean length`);
  assert.deepEqual(Object.keys(p.quantiles).sort(), ['0.1', '0.5', '0.9'], `${what}: quantile keys`);
  for (const q of ['0.1', '0.5', '0.9']) assert.equal(p.quantiles[q].length, PREDICTION_LENGTH, `${what}: quantile ${q}`);
  assert.equal(p.samples.length, numSamples, `${what}: samples`);
  for (const s of p.samples) assert.equal(s.length, PREDICTION_LENGTH, `${what}: sample length`);
  for (let t = 0; t < PREDICTION_LENGTH; t++) {
    const [q1, q5, q9] = ['0.1', '0.5', '0.9'].map((q) => p.quantiles[q][t]);
    assert.ok(q1 <= q5 && q5 <= q9, `${what}: step ${t}: quantiles not ordered: ${q1} ${q5} ${q9}`);
    const column = p.samples.map((s) => s[t]);
    const lo = Math.min(...column);
    const hi = Math.max(...column);
    assert.ok(Number.isFinite(p.mean[t]) && p.mean[t] >= lo && p.mean[t] <= hi,
              `${what}: step ${t}: mean ${p.mean[t]} outside the samples [${lo}, ${hi}]`);
  }
}

describe('model serving: endpoints, variants, deployments', { timeout: 280000 }, () => {
  let server;
  const dir = makeTempDir('serving-models');
  const agent = new http.Agent({ keepAlive: true, maxSockets: 16 });
  const series = syntheticSeries(4, 24 * 12, 7);
  const request = deepArRequest(series.slice(0, 2).map((s) => ({ start: s.start, target: s.target.slice(-96) })));
  const lightRequest = JSON.stringify(deepArRequest([{ start: series[0].start, target: series[0].target.slice(-72) }], 10));

  const cli = async (args, { timeoutMs = 60000 } = {}) => {
    const r = await server.cli(args, { timeoutMs });
    assert.equal(r.code, 0, `${describeRun(args.join(' '), r)}\n${server.tail(40)}`);
    return r;
  };
  const cliJson = async (args) => JSON.parse((await cli([...args, '--json'])).stdout);

  // One HTTP request to the server; resolves {status, headers, body} (never rejects on status).
  const call = (method, urlPath, { body, headers = {}, auth = true } = {}) => new Promise((resolve, reject) => {
    const data = body === undefined ? undefined : Buffer.from(typeof body === 'string' ? body : JSON.stringify(body));
    const req = http.request({
      host: '127.0.0.1', port: server.httpPort, path: urlPath, method, agent,
      headers: {
        ...(auth ? { Authorization: `Bearer ${server.token}` } : {}),
        ...(data ? { 'Content-Type': 'application/json', 'Content-Length': data.length } : {}),
        ...headers,
      },
    }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks).toString() }));
      res.on('error', reject);
    });
    req.setTimeout(60000, () => req.destroy(new Error(`${method} ${urlPath}: no answer within 60 s`)));
    req.on('error', reject);
    if (data) req.write(data);
    req.end();
  });
  const invoke = (endpoint, body, headers = {}) =>
    call('POST', `/endpoints/${endpoint}/invocations`, { body, headers });
  const variantOf = (r) => r.headers['x-amzn-invoked-production-variant'];
  const describeEndpoint = async (name) => {
    const r = await call('GET', `/v1/endpoints/${name}`);
    assert.equal(r.status, 200, `GET /v1/endpoints/${name}: ${r.status} ${r.body}`);
    return JSON.parse(r.body);
  };
  const waitInService = async (name, timeoutMs = 60000) => {
    const deadline = Date.now() + timeoutMs;
    let last;
    while (Date.now() < deadline) {
      const r = await call('GET', `/v1/endpoints/${name}`);
      if (r.status === 200) {
        last = JSON.parse(r.body);
        if (last.EndpointStatus === 'InService') return last;
        assert.notEqual(last.EndpointStatus, 'Failed', `endpoint ${name} failed: ${r.body}\n${server.tail(40)}`);
      }
      await sleep(200);
    }
    assert.fail(`endpoint ${name} not InService within ${timeoutMs} ms: ${JSON.stringify(last)}\n${server.tail(40)}`);
  };
  // Deleting an endpoint is asynchronous (it is Deleting while its workers stop), as in SageMaker.
  const deleteEndpoint = async (name, timeoutMs = 30000) => {
    await cli(['endpoint', 'delete', name]);
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if ((await call('GET', `/v1/endpoints/${name}`)).status === 404) return;
      await sleep(200);
    }
    assert.fail(`endpoint ${name} still listed ${timeoutMs} ms after delete\n${server.tail(40)}`);
  };

  // Invokes `endpoint` from `clients` concurrent loops until stop(); counts answers by
  // status and variant and keeps the failures.
  const startLoad = (endpoint, clients = 4) => {
    const stats = { total: 0, ok: 0, byVariant: {}, failures: [] };
    let stopping = false;
    const loops = Array.from({ length: clients }, async () => {
      while (!stopping) {
        let r;
        try {
          r = await invoke(endpoint, lightRequest);
        } catch (e) {
          r = { status: 0, headers: {}, body: String(e) };
        }
        stats.total += 1;
        const v = variantOf(r) || '-';
        stats.byVariant[v] = (stats.byVariant[v] || 0) + 1;
        if (r.status >= 200 && r.status < 300) {
          stats.ok += 1;
        } else {
          stats.failures.push({ status: r.status, variant: v, body: r.body.slice(0, 300), at: Date.now() });
        }
      }
    });
    return { stats, stop: async () => { stopping = true; await Promise.all(loops); return stats; } };
  };

  const train = async (name, seed, epochs) => {
    const data = path.join(dir, `${name}-train.jsonl`);
    fs.writeFileSync(data, syntheticSeries(4, 24 * 12, seed).map((s) => JSON.stringify(s)).join('\n') + '\n');
    const hp = path.join(dir, `${name}-hp.json`);
    fs.writeFileSync(hp, JSON.stringify({ time_freq: 'H', prediction_length: PREDICTION_LENGTH, context_length: 48,
                                          epochs, num_cells: 8, num_layers: 1, mini_batch_size: 16 }));
    const out = path.join(dir, name);
    const r = await run(BIN, ['train', '--train', data, '--hyperparameters', hp, '--output', out,
                              '--seed', String(seed)], { timeoutMs: 120000 });
    assert.equal(r.code, 0, describeRun(`train ${name}`, r));
    return out;
  };

  before(async () => {
    server = await Server.start({ tag: 'serving' });
  });
  after(async () => {
    agent.destroy();
    if (server) await server.dispose();
  });

  test('models and endpoint configs are registered through the CLI', async () => {
    const m1 = await train('m1', 1, 2);
    const m2 = await train('m2', 2, 3);
    // A relative artifact path is made absolute by the CLI.
    const rel = path.relative(process.cwd(), m1);
    await cli(['model', 'create', 'm1', '--artifact', rel]);
    await cli(['model', 'create', 'm2', '--artifact', m2]);
    await cli(['model', 'create', 'bad', '--command', `${process.execPath} ${FAILING_MODEL}`]);
    const m1Doc = await cliJson(['model', 'describe', 'm1']);
    assert.equal(m1Doc.Artifact, m1);
    assert.match((await cli(['model', 'list'])).stdout, /\bm2\b[\s\S]*\bbad\b|\bbad\b[\s\S]*\bm2\b/);

    await cli(['endpoint-config', 'create', 'c1', '--variant', 'name=blue,model=m1,weight=1,instances=1',
               '--variant', 'name=green,model=m2,weight=1,instances=1']);
    await cli(['endpoint-config', 'create', 'c2', '--variant', 'name=v2,model=m2,instances=2']);
    await cli(['endpoint-config', 'create', 'c3', '--variant', 'name=bad,model=bad,instances=1']);
    const c1 = await cliJson(['endpoint-config', 'describe', 'c1']);
    assert.deepEqual(c1.ProductionVariants.map((v) => [v.VariantName, v.ModelName, v.InitialVariantWeight]),
                     [['blue', 'm1', 1], ['green', 'm2', 1]]);

    // Bad variant specs are refused by the CLI, naming the bad key=value.
    let r = await server.cli(['endpoint-config', 'create', 'x', '--variant', 'name=a,model=m1,weight=heavy']);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /weight=heavy/);
    r = await server.cli(['endpoint-config', 'create', 'x', '--variant', 'name=a,model=m1,colour=red']);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /colour=red/);
    // A model in use cannot be deleted.
    r = await server.cli(['model', 'delete', 'm1']);
    assert.notEqual(r.code, 0, describeRun('model delete m1 (in use by c1)', r));
  });

  test('an endpoint with two variants serves DeepAR forecasts', async () => {
    const created = await cli(['endpoint', 'create', 'ep', '--config', 'c1', '--wait', '--timeout-s', '90'],
                              { timeoutMs: 100000 });
    assert.match(created.stdout, /InService/);

    const seen = {};
    for (let i = 0; i < 16; i++) {
      const r = await invoke('ep', request);
      assert.equal(r.status, 200, `invocation ${i}: ${r.status} ${r.body}\n${server.tail(30)}`);
      const answer = JSON.parse(r.body);
      assert.equal(answer.predictions.length, 2);
      answer.predictions.forEach((p, k) => checkPrediction(p, 100, `invocation ${i} prediction ${k}`));
      seen[variantOf(r)] = (seen[variantOf(r)] || 0) + 1;
    }
    assert.deepEqual(Object.keys(seen).sort(), ['blue', 'green'], `variants served: ${JSON.stringify(seen)}`);

    for (const v of ['blue', 'green']) {
      for (let i = 0; i < 4; i++) {
        const r = await invoke('ep', lightRequest, { 'X-Amzn-SageMaker-Target-Variant': v });
        assert.equal(r.status, 200, r.body);
        assert.equal(variantOf(r), v);
      }
    }

    // JSON Lines: one instance per line, the configuration in a header.
    const lines = series.slice(0, 3).map((s) => JSON.stringify({ start: s.start, target: s.target.slice(-60) })).join('\n');
    const jl = await invoke('ep', lines, {
      'Content-Type': 'application/jsonlines',
      'X-Tributary-Inference-Config': JSON.stringify(request.configuration),
    });
    assert.equal(jl.status, 200, jl.body);
    const predictions = jl.body.trim().split('\n').map((l) => JSON.parse(l));
    assert.equal(predictions.length, 3);
    predictions.forEach((p, k) => checkPrediction(p, 100, `JSON Lines prediction ${k}`));

    // The CLI: the answer on stdout, the variant on stderr.
    const body = path.join(dir, 'request.json');
    fs.writeFileSync(body, JSON.stringify(request));
    const out = await cli(['endpoint', 'invoke', 'ep', '--body', body, '--variant', 'green']);
    assert.match(out.stderr, /green/);
    checkPrediction(JSON.parse(out.stdout).predictions[0], 100, 'endpoint invoke');
  });

  test('bad invocations are refused with 4xx', async () => {
    let r = await invoke('nope', request);
    assert.equal(r.status, 404, r.body);
    r = await invoke('ep', '{"instances": [');
    assert.equal(r.status, 400, r.body);
    r = await invoke('ep', deepArRequest([{ start: '2024-01-01 00:00:00', target: [] }]));
    assert.equal(r.status, 400, r.body);
    assert.match(r.body, /target/);
    r = await invoke('ep', deepArRequest([{ start: '2024-01-01 00:00:00', target: series[0].target }], 0));
    assert.equal(r.status, 400, r.body);
    assert.match(r.body, /num_samples/);
    r = await invoke('ep', lightRequest, { 'X-Amzn-SageMaker-Target-Variant': 'purple' });
    assert.equal(r.status, 400, r.body);  // SageMaker's ValidationError

    const file = path.join(dir, 'bad.json');
    fs.writeFileSync(file, '{"instances": [');
    const cliRun = await server.cli(['endpoint', 'invoke', 'ep', '--body', file]);
    assert.equal(cliRun.code, 1, describeRun('endpoint invoke (malformed)', cliRun));
    // One line, the error: no "invoked variant" as if it had answered.
    assert.match(cliRun.stderr, /^tributary endpoint invoke: (variant \S+ answered )?HTTP 400: .*\n$/);
    assert.doesNotMatch(cliRun.stderr, /invoked variant/);
  });

  test('an endpoint still starting answers 503 with Retry-After', async () => {
    // A model whose worker says it is ready only after 3 s: the endpoint is Creating until
    // then (the worker protocol of src/serving/README.md; it is never sent a request).
    const lateModel = path.join(dir, 'late_model.js');
    fs.writeFileSync(lateModel, `setTimeout(() => process.stdout.write(
      JSON.stringify({ ready: true, info: { model: 'late' }, length: 0 }) + '\\n'), 3000);
      process.stdin.resume();\n`);
    await cli(['model', 'create', 'late', '--command', `${process.execPath} ${lateModel}`]);
    await cli(['endpoint-config', 'create', 'c-late', '--variant', 'name=v,model=late,instances=1']);
    await cli(['endpoint', 'create', 'starting', '--config', 'c-late']);
    const r = await invoke('starting', lightRequest);
    assert.equal(r.status, 503, r.body);
    assert.match(JSON.parse(r.body).error.message, /is Creating/, r.body);
    assert.equal(r.headers['retry-after'], '5', JSON.stringify(r.headers));
    await waitInService('starting');
    await deleteEndpoint('starting');
    await cli(['endpoint-config', 'delete', 'c-late']);
    await cli(['model', 'delete', 'late']);
  });

  test('A/B: update-weights shifts the split without a redeploy', async () => {
    await cli(['endpoint', 'update-weights', 'ep', '--variant', 'blue=0.9', '--variant', 'green=0.1']);
    const e = await waitInService('ep');
    const weights = Object.fromEntries(e.ProductionVariants.map((v) => [v.VariantName, v.CurrentWeight]));
    assert.deepEqual(weights, { blue: 0.9, green: 0.1 });
    const counts = { blue: 0, green: 0 };
    const total = 200;
    let sent = 0;
    await Promise.all(Array.from({ length: 4 }, async () => {
      while (sent < total) {
        sent += 1;
        const r = await invoke('ep', lightRequest);
        assert.equal(r.status, 200, r.body);
        counts[variantOf(r)] += 1;
      }
    }));
    const n = counts.blue + counts.green;
    assert.ok(counts.blue > 0.7 * n, `blue (weight 0.9) served ${counts.blue} of ${n}: ${JSON.stringify(counts)}`);
    assert.ok(counts.green > 0, `green (weight 0.1) served nothing of ${n}`);
  });

  test('a canary blue/green update under load drops no request', async () => {
    const load = startLoad('ep');
    await sleep(500);
    const update = await cli(['endpoint', 'update', 'ep', '--config', 'c2', '--traffic', 'canary',
                              '--canary-percent', '50', '--wait-s', '2', '--termination-wait-s', '1', '--wait',
                              '--timeout-s', '90'], { timeoutMs: 100000 });
    await sleep(500);
    const stats = await load.stop();
    assert.match(update.stderr, /Updating/, describeRun('endpoint update (stderr shows the transitions)', update));
    assert.deepEqual(stats.failures, [], `non-2xx answers during the update: ${JSON.stringify(stats)}`);
    assert.ok(stats.total > 20, `the load loop sent only ${stats.total} requests`);
    assert.ok(stats.byVariant.v2 > 0, `no request reached the new variant: ${JSON.stringify(stats.byVariant)}`);

    const e = await describeEndpoint('ep');
    assert.equal(e.EndpointStatus, 'InService');
    assert.equal(e.EndpointConfigName, 'c2');
    assert.deepEqual(e.ProductionVariants.map((v) => v.VariantName), ['v2']);
    assert.equal(e.ProductionVariants[0].CurrentInstanceCount, 2);
    for (let i = 0; i < 5; i++) assert.equal(variantOf(await invoke('ep', lightRequest)), 'v2');
  });

  test('an update to a failing model is rolled back by its ErrorRate alarm', async () => {
    const load = startLoad('ep');
    await sleep(500);
    const update = await server.cli(['endpoint', 'update', 'ep', '--config', 'c3', '--traffic', 'canary',
                                     '--canary-percent', '25', '--wait-s', '5', '--rollback-max-error-rate', '0.05',
                                     '--wait', '--timeout-s', '90'], { timeoutMs: 100000 });
    assert.equal(update.code, 1, `${describeRun('endpoint update to c3 (must fail: rolled back)', update)}\n${server.tail(40)}`);
    assert.match(update.stderr, /c3/);
    const during = await load.stop();

    const e = await describeEndpoint('ep');
    assert.equal(e.EndpointStatus, 'InService', JSON.stringify(e));
    assert.equal(e.EndpointConfigName, 'c2', JSON.stringify(e));
    assert.match(e.FailureReason || '', /roll|alarm/i, `FailureReason: ${e.FailureReason}`);
    assert.deepEqual(e.ProductionVariants.map((v) => v.VariantName), ['v2']);

    // While the old fleet is up, a request the new fleet fails is answered by the old
    // one (src/serving/endpoint_manager.h): clients see no failure from a bad rollout,
    // yet the failures count against the new fleet's alarm, which is what rolled it back.
    assert.deepEqual(during.failures, [], `non-2xx answers during the failed rollout: ${JSON.stringify(during)}`);
    assert.ok(during.total > 10, `the load loop sent only ${during.total} requests`);
    assert.match(e.FailureReason, /ErrorRate/);
    const metrics = await call('GET', '/metrics', { auth: false });
    const badErrors = metrics.body.split('\n').find((l) => l.startsWith('tributary_endpoint_invocation_5xx_total{') &&
                                                           l.includes('endpoint="ep"') && l.includes('variant="bad"'));
    assert.ok(badErrors && Number(badErrors.trim().split(/\s+/).pop()) > 0,
              `the failing variant's 5xx are not counted in /metrics: ${badErrors}`);

    // After the rollback every request succeeds on the old fleet.
    const afterLoad = startLoad('ep');
    await sleep(1500);
    const afterStats = await afterLoad.stop();
    assert.deepEqual(afterStats.failures, [], `failures after the rollback: ${JSON.stringify(afterStats)}`);
    assert.deepEqual(Object.keys(afterStats.byVariant), ['v2']);
  });

  test('metrics: per-variant counters in describe and /metrics', async () => {
    const e = await cliJson(['endpoint', 'describe', 'ep']);
    const m = e.ProductionVariants[0].Metrics;
    assert.ok(m.Invocations > 0, JSON.stringify(m));
    for (const key of ['Invocation4XXErrors', 'Invocation5XXErrors', 'ModelLatencyP50Ms', 'ModelLatencyP99Ms',
                       'OverheadLatencyP50Ms', 'OverheadLatencyP99Ms']) {
      assert.equal(typeof m[key], 'number', `Metrics.${key}: ${JSON.stringify(m)}`);
    }
    const text = (await cli(['endpoint', 'describe', 'ep'])).stdout;
    assert.match(text, /INVOCATIONS/);

    const metrics = await call('GET', '/metrics', { auth: false });
    assert.equal(metrics.status, 200);
    const line = metrics.body.split('\n').find((l) => l.startsWith('tributary_endpoint_invocations_total{') &&
                                                      l.includes('endpoint="ep"') && l.includes('variant="v2"'));
    assert.ok(line && Number(line.trim().split(/\s+/).pop()) > 0,
              `no per-variant invocation counter for ep/v2 in /metrics:\n` +
              metrics.body.split('\n').filter((l) => /invocation|endpoint/i.test(l)).slice(0, 40).join('\n'));
  });

  test('batch transform writes one forecast line per series of every lake object', async () => {
    // The local lake is <data-dir>/lake/<bucket>/: put two JSON Lines objects there.
    const inDir = path.join(server.dataDir, 'lake', 'forecasts', 'in', 'day=1');
    fs.mkdirSync(inDir, { recursive: true });
    const lines = series.map((s) => JSON.stringify({ start: s.start, target: s.target.slice(-72) }));
    fs.writeFileSync(path.join(inDir, 'a.jsonl'), lines.slice(0, 3).join('\n') + '\n');
    fs.writeFileSync(path.join(inDir, 'b.jsonl'), lines.slice(3).join('\n') + '\n');
    await cli(['transform', 'create', 't1', '--model', 'm1', '--input', 'forecasts/in/', '--output',
               'forecasts/out/', '--wait'], { timeoutMs: 120000 });
    const job = await cliJson(['transform', 'describe', 't1']);
    assert.equal(job.TransformJobStatus, 'Completed', JSON.stringify(job));
    assert.equal(job.RecordsProcessed, 4);
    const outDir = path.join(server.dataDir, 'lake', 'forecasts', 'out', 'day=1');
    const a = fs.readFileSync(path.join(outDir, 'a.jsonl.out'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    const b = fs.readFileSync(path.join(outDir, 'b.jsonl.out'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    assert.equal(a.length, 3);
    assert.equal(b.length, 1);
    for (const p of [...a, ...b]) assert.equal(p.mean.length, PREDICTION_LENGTH);
    // An ended job is not stopped: the CLI says why (a running one: sagemaker_transform_api).
    const stop = await server.cli(['transform', 'stop', 't1']);
    assert.notEqual(stop.code, 0, describeRun('transform stop t1', stop));
    assert.match(stop.stderr, /transform job 't1' is Completed, not in progress/);

    // A model that fails every batch fails the job, naming the object and its lines.
    const r = await server.cli(['transform', 'create', 't2', '--model', 'bad', '--input', 'forecasts/in/',
                                '--output', 'forecasts/bad/', '--wait'], { timeoutMs: 120000 });
    assert.notEqual(r.code, 0, describeRun('transform create t2 --wait', r));
    const failed = await cliJson(['transform', 'describe', 't2']);
    assert.equal(failed.TransformJobStatus, 'Failed');
    assert.match(failed.FailureReason, /in\/day=1\/a\.jsonl lines \d+\.\.\d+: the model answered 500/);
  });

  test('a multi-model endpoint loads the DeepAR model each request names', async () => {
    const root = path.join(dir, 'many');
    fs.mkdirSync(root, { recursive: true });
    for (const name of ['m1', 'm2']) fs.cpSync(path.join(dir, name), path.join(root, name), { recursive: true });
    await cli(['model', 'create', 'many', '--artifact', root, '--multi-model']);
    await cli(['endpoint-config', 'create', 'mmc', '--variant', 'name=all,model=many,weight=1,instances=1']);
    await cli(['endpoint', 'create', 'mm', '--config', 'mmc', '--wait']);
    for (const target of ['m1', 'm2', 'm1']) {
      const r = await invoke('mm', request, { 'X-Amzn-SageMaker-Target-Model': target });
      assert.equal(r.status, 200, `${target}: ${r.body}`);
      JSON.parse(r.body).predictions.forEach((p, k) => checkPrediction(p, 100, `${target} prediction ${k}`));
    }
    assert.equal((await invoke('mm', request)).status, 400);  // no target model
    assert.equal((await invoke('mm', request, { 'X-Amzn-SageMaker-Target-Model': 'm9' })).status, 404);
    const loaded = (await describeEndpoint('mm')).ProductionVariants[0].MultiModel;
    assert.deepEqual(loaded.LoadedModels.map((m) => m.ModelName).sort(), ['m1', 'm2']);
    await deleteEndpoint('mm');
  });

  // Every line of the capture objects under <lake>/<bucket>/<prefix>, read by DuckDB.
  const capturedLines = async (bucketDir) => {
    if (!fs.existsSync(bucketDir)) return [];
    const inst = await duckdb.DuckDBInstance.create(':memory:');
    const con = await inst.connect();
    const result = await con.runAndReadAll(
      `SELECT json(captureData) AS data, eventMetadata.inferenceId AS id, eventVersion, filename
       FROM read_json('${bucketDir}/**/*.jsonl', format = 'newline_delimited', filename = true)`);
    return result.getRows().map(([data, id, version, file]) => ({ data: JSON.parse(data), id, version, file }));
  };

  test('data capture: sampled requests and answers land in the lake, readable by DuckDB', async () => {
    // Bad capture options are refused before anything is created.
    let r = await server.cli(['endpoint-config', 'create', 'x', '--variant', 'name=a,model=m1',
                              '--data-capture', 'ftp://lake/capture/']);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /--data-capture: lake path 'ftp:\/\/lake\/capture\/': scheme 'ftp' is not s3:\/\//);
    r = await server.cli(['endpoint-config', 'create', 'x', '--variant', 'name=a,model=m1', '--capture-percent', '50']);
    assert.notEqual(r.code, 0, 'a capture option without --data-capture');

    await cli(['endpoint-config', 'create', 'capc', '--variant', 'name=blue,model=m1',
               '--data-capture', 's3://capture-lake/capture/', '--capture-percent', '100', '--capture-flush-s', '1']);
    const c = await cliJson(['endpoint-config', 'describe', 'capc']);
    assert.equal(c.DataCaptureConfig.DestinationS3Uri, 's3://capture-lake/capture/');
    assert.equal(c.DataCaptureConfig.CaptureOptions[0].CaptureMode, 'InputAndOutput');
    // The CLI's default share is SageMaker's SDK's, 20 %.
    await cli(['endpoint-config', 'create', 'capd', '--variant', 'name=a,model=m1', '--data-capture', 's3://capture-lake/d/']);
    assert.equal((await cliJson(['endpoint-config', 'describe', 'capd'])).DataCaptureConfig.InitialSamplingPercentage, 20);
    await cli(['endpoint', 'create', 'cap', '--config', 'capc', '--wait', '--timeout-s', '90'], { timeoutMs: 100000 });

    const sent = new Map();  // inference id -> [request, answer]
    for (let i = 0; i < 8; i++) {
      const body = JSON.stringify(deepArRequest([{ start: series[i % 4].start, target: series[i % 4].target.slice(-72 + i) }], 10));
      const answer = await invoke('cap', body, { 'X-Amzn-SageMaker-Inference-Id': `req-${i}` });
      assert.equal(answer.status, 200, answer.body);
      sent.set(`req-${i}`, [body, answer.body]);
    }
    assert.equal((await invoke('cap', '{"instances": 3}')).status, 400);  // refused: not captured
    r = await invoke('cap', lightRequest, { 'X-Amzn-SageMaker-Inference-Id': 'x'.repeat(65) });
    assert.equal(r.status, 400);
    assert.match(r.body, /Inference-Id/);

    const bucketDir = path.join(server.dataDir, 'lake', 'capture-lake');
    let lines = [];
    const deadline = Date.now() + 20000;
    while (Date.now() < deadline && lines.length < sent.size) {
      await sleep(300);
      lines = await capturedLines(bucketDir);
    }
    assert.equal(lines.length, sent.size, `captured lines: ${JSON.stringify(lines.map((l) => l.id))}`);
    for (const line of lines) {
      assert.match(line.file, /capture\/cap\/blue\/\d{4}\/\d{2}\/\d{2}\/\d{2}\/\d{2}-\d{2}-\d{3}-[0-9a-f-]{36}\.jsonl$/);
      assert.equal(line.version, '0');
      const [body, answer] = sent.get(line.id);
      const input = line.data.endpointInput;
      assert.deepEqual([input.mode, input.encoding, input.observedContentType], ['INPUT', 'JSON', 'application/json']);
      assert.equal(input.data, body);
      assert.equal(line.data.endpointOutput.data, answer);
      assert.equal(JSON.parse(line.data.endpointOutput.data).predictions.length, 1);
      sent.delete(line.id);
    }
    const e = await describeEndpoint('cap');
    assert.equal(e.DataCaptureConfig.CaptureStatus, 'Started');
    assert.equal(e.ProductionVariants[0].Metrics.CapturedInvocations, 8);
    const metrics = await call('GET', '/metrics');
    assert.match(metrics.body, /tributary_capture_records_total 8\b/);

    // The crawler makes a table of them, as of any JSON Lines in the lake.
    await cli(['crawler', 'create', 'captured', '--source', 's3://capture-lake/capture/cap/blue/',
               '--database', 'ml', '--table', 'captured']);
    assert.match((await cli(['crawler', 'run', 'captured'])).stdout, /records: 8 added, 0 bad/);
    const table = await cliJson(['catalog', 'describe', 'ml.captured']);
    const types = Object.fromEntries(table.columns.map((col) => [col.name, col.type]));
    assert.match(types.captureData, /^struct<endpointInput:struct<.*data:string.*>,endpointOutput:struct<.*>>$/);
    assert.match(types.eventMetadata, /eventId:string/);
    assert.equal(types.eventVersion, 'string');
    assert.deepEqual(table.partition_keys.map((k) => k.name), ['year', 'month', 'day', 'hour']);

    // Captured lines still buffered when the server stops are written on the way out
    // (checked after the restart below).
    await cli(['endpoint-config', 'create', 'capslow', '--variant', 'name=slow,model=m1',
               '--data-capture', 's3://capture-lake/held/', '--capture-percent', '100', '--capture-flush-s', '900',
               '--capture-mode', 'input']);
    await cli(['endpoint', 'create', 'caps', '--config', 'capslow', '--wait', '--timeout-s', '90'], { timeoutMs: 100000 });
    for (let i = 0; i < 3; i++) assert.equal((await invoke('caps', lightRequest)).status, 200);
    assert.equal(fs.existsSync(path.join(bucketDir, 'held')), false, 'written before its interval');
    await deleteEndpoint('cap');
  });

  test('the endpoint is back in service after a restart', async () => {
    await server.restart();
    // What endpoint caps captured before the stop is in the lake (input only).
    const held = (await capturedLines(path.join(server.dataDir, 'lake', 'capture-lake'))).filter((l) => l.file.includes('/held/caps/slow/'));
    assert.equal(held.length, 3, `${JSON.stringify(held)}\n${server.tail(30)}`);
    for (const l of held) {
      assert.equal(l.data.endpointInput.data, lightRequest);
      assert.ok(l.data.endpointOutput == null, JSON.stringify(l.data));
    }
    const e = await waitInService('ep', 60000);
    assert.equal(e.EndpointConfigName, 'c2');
    const r = await invoke('ep', request);
    assert.equal(r.status, 200, `${r.body}\n${server.tail(30)}`);
    assert.equal(variantOf(r), 'v2');
    JSON.parse(r.body).predictions.forEach((p, k) => checkPrediction(p, 100, `after restart, prediction ${k}`));
    const models = (await cli(['model', 'list'])).stdout;
    assert.match(models, /\bm1\b/);
    const list = (await cli(['endpoint', 'list'])).stdout;
    assert.match(list, /ep\s+InService\s+c2/);

    await deleteEndpoint('ep');
    await waitInService('caps');
    await deleteEndpoint('caps');
  });
});
