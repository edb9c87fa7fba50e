// What the CLI and the HTTP API say about a mistake, through the real binary: a rule whose
// firehose action names a stream that does not exist (the warning on create and replace,
// the failure a trial lists, the error document and the server's warn line at run time),
// a stream deleted while an enabled rule still sends to it, a partition query with a key
// the prefix does not use, refusals naming the flag typed (--backup-compression,
// --partition-query against --prefix), files that cannot be read (a directory, an empty
// file, a path that does not exist), `rule describe` showing the SQL version, repeatable
// flags taking each value as typed (a JSON array as one --data record), and numbers out of
// their flag's range refused naming the flag and the range (lake cat's --offset and
// --length, lake ls --max-keys, lake lifecycle put --days, the model hosting commands'
// counts and times, their decimal flags, monitor create's --baseline and --threshold,
// parquet cat --limit, train/predict's threads, seeds and samples, tributary-parquet's
// sizes; monitor create --baseline 0 sent, and refused by the server), and the lake API's
// 416 for an offset past an object's end.
'use strict';

const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { BIN, Server, run, describeRun, makeTempDir, eventually } = require('./harness');
const { waitForLake } = require('./lake');

describe('what the CLI says about mistakes', { timeout: 60000 }, () => {
  let server;
  const dir = makeTempDir('cli-mistakes');
  const writePayload = (name, doc) => {
    const file = path.join(dir, `${name}.json`);
    fs.writeFileSync(file, JSON.stringify(doc));
    return file;
  };
  const refused = async (args) => {
    const r = await server.cli(args);
    assert.notEqual(r.code, 0, describeRun(args.join(' '), r));
    return r.stderr;
  };

  before(async () => {
    server = await Server.start({ tag: 'mistakes' });
  });
  after(async () => {
    if (server) await server.dispose();
  });

  test('a firehose action to a stream that does not exist: warned, tried, reported once, logged', async () => {
    const file = writePayload('nosuch', {
      topicRulePayload: {
        sql: "SELECT * FROM 'devices/+/nosuch'",
        actions: [{ firehose: { deliveryStreamName: 'nosuch', separator: '\n' } }],
        errorAction: { republish: { topic: 'errors/${topic(2)}' } },
      },
    });
    // Stored (AWS IoT does not check either), with a warning naming the stream.
    let r = await server.cliOk(['rule', 'create', 'to_nosuch', '--payload', file]);
    assert.match(r.stderr, /^tributary rule create: warning: actions\[0\]\.firehose: delivery stream 'nosuch' does not exist; until it is created, the rule's messages go to its error action$/m);
    assert.equal(r.stdout.trim(), 'created rule to_nosuch');
    r = await server.cliOk(['rule', 'replace', 'to_nosuch', '--payload', file]);
    assert.match(r.stderr, /tributary rule replace: warning: actions\[0\]\.firehose: delivery stream 'nosuch' does not exist/);
    // The API's answer carries them; AWS's CreateTopicRule shape is left alone.
    const api = await server.api('PUT', '/v1/rules/to_nosuch', JSON.parse(fs.readFileSync(file)));
    assert.equal(api.status, 200, api.text);
    assert.equal(api.json.warnings.length, 1, api.text);

    // The trial lists the failure that would go to the error action.
    r = await server.cliOk(['rule', 'test', 'to_nosuch', '--topic', 'devices/d1/nosuch', '--message', '{"a":1}']);
    const trial = JSON.parse(r.stdout);
    assert.deepEqual(trial.failures, [{ failedAction: 'FirehoseAction', errorMessage: "delivery stream 'nosuch' does not exist" }]);
    assert.deepEqual(trial.actions, []);
    assert.equal(trial.errorAction.republish.topic, 'errors/d1');

    // At run time: the error document says the stream's error once; the server logs it at warn.
    const watch = await server.api('POST', '/v1/live/watches', { filter: 'errors/#' });
    assert.equal(watch.status, 201, watch.text);
    const pub = await server.api('POST', '/v1/live/publish', { topic: 'devices/d1/nosuch', payload: '{"a":1}', qos: 1 });
    assert.equal(pub.status, 200, pub.text);
    const got = await server.api('GET', `/v1/live/watches/${watch.json.id}/messages?after=0&wait_ms=5000`);
    assert.equal(got.json.messages.length, 1, got.text);
    const doc = JSON.parse(got.json.messages[0].payload);
    assert.equal(doc.failures[0].errorMessage, "delivery stream 'nosuch' does not exist", got.text);
    await eventually(() => /level=warn(ing)? .*rule=to_nosuch FirehoseAction on nosuch failed: delivery stream 'nosuch' does not exist/.test(server.logs),
      `no warn line for the rule\n${server.tail(20)}`);
  });

  test('deleting a stream an enabled rule still sends to is warned about, naming the rule', async () => {
    await server.cliOk(['stream', 'create', 'doomed', '--bucket', 'doomed-bucket']);
    const file = writePayload('doomed', {
      topicRulePayload: { sql: "SELECT * FROM 'd/doomed'", actions: [{ firehose: { deliveryStreamName: 'doomed' } }] },
    });
    const created = await server.cliOk(['rule', 'create', 'to_doomed', '--payload', file]);
    assert.equal(created.stderr, '', 'the stream exists: no warning');
    await server.cliOk(['rule', 'create', 'to_doomed_off', '--payload', writePayload('doomed_off', {
      topicRulePayload: { sql: "SELECT * FROM 'd/doomed'", ruleDisabled: true,
                          actions: [{ firehose: { deliveryStreamName: 'doomed' } }] },
    })]);
    const r = await server.cliOk(['stream', 'delete', 'doomed']);
    assert.equal(r.stdout.trim(), 'deleted stream doomed');
    assert.match(r.stderr, /^tributary stream delete: warning: enabled rules still send to delivery stream 'doomed': to_doomed; /m);
    assert.doesNotMatch(r.stderr, /to_doomed_off/);
  });

  test('a partition query whose key the prefix does not use is refused, naming the flag and the key', async () => {
    let stderr = await refused(['stream', 'create', 'pq3', '--bucket', 'b', '--partition-query', '{d: .a}']);
    assert.match(stderr, /tributary stream create: --partition-query: key d is not used by --prefix \(it uses no partitionKeyFromQuery\)/);
    const api = await server.api('POST', '/v1/streams', { name: 'pq3', bucket: 'bucket-pq3', partition_query: '{d: .a}' });
    assert.equal(api.status, 400);
    assert.match(api.json.error.message, /^partition_query: key d is not used by `prefix`/);
    // An update giving a query for another key than the prefix uses blames the query, and
    // names the prefix by its flag.
    await server.cliOk(['stream', 'create', 's7', '--bucket', 'bucket-s7', '--prefix', 'dev=!{partitionKeyFromQuery:dev}/']);
    stderr = await refused(['stream', 'update', 's7', '--partition-query', '{site: .site}']);
    assert.match(stderr, /^tributary stream update: --partition-query: key site is not used by --prefix \(its partitionKeyFromQuery names: dev\)/m);
    assert.doesNotMatch(stderr, /partition_query|`/);
    // A prefix naming a key the query lacks names the query by its flag.
    stderr = await refused(['stream', 'create', 's8', '--bucket', 'bucket-s8',
      '--prefix', 'dev=!{partitionKeyFromQuery:dev}/site=!{partitionKeyFromQuery:site}/', '--partition-query', '{site: .site}']);
    assert.match(stderr, /--prefix: partitionKeyFromQuery:dev is not a key of --partition-query \(its keys: site\)/);
  });

  test('a refusal of a backup setting names its flag', async () => {
    const stderr = await refused(['stream', 'create', 's9', '--bucket', 'b1', '--backup-bucket', 'b2', '--backup-compression', 'lz4']);
    assert.match(stderr, /^tributary stream create: --backup-compression: 'lz4' is not one of none, gzip, zip, snappy, hadoop_snappy$/m);
  });

  test('a file that cannot be read says why', async () => {
    await server.cliOk(['stream', 'create', 'files', '--bucket', 'files-bucket']);
    let stderr = await refused(['stream', 'put', 'files', '--file', dir]);
    assert.match(stderr, new RegExp(`'${dir}' is a directory, not a file`));
    const empty = path.join(dir, 'empty.txt');
    fs.writeFileSync(empty, '');
    stderr = await refused(['stream', 'put', 'files', '--file', empty]);
    assert.match(stderr, /nothing to put: '.*empty\.txt' holds no records/);
    stderr = await refused(['stream', 'put', 'files', '--file', '/nonexistent']);
    assert.match(stderr, /cannot open '\/nonexistent': No such file or directory/);
    stderr = await refused(['rule', 'create', 'r', '--payload', dir]);
    assert.match(stderr, new RegExp(`tributary rule create: '${dir}' is a directory, not a file`));
  });

  // CLI11 split a value written [a,b] into a and b, took the word after [] (here --json) as
  // the value, and took the words after a value as more values.
  test('each --data is one record as typed, a JSON array too; each repeatable flag takes one word', async () => {
    await server.cliOk(['stream', 'create', 'arrays', '--bucket', 'arrays-lake', '--record-delimiter', '\\n']);
    let r = await server.cliOk(['stream', 'put', 'arrays', '--data', '[1,2]', '--data', 'plain', '--data', '[]',
                                '--data', '{"a":[1]}']);
    assert.equal(r.stdout.trim(), 'put 4 records into stream arrays (0 refused)');
    r = await server.cliOk(['stream', 'put', 'arrays', '--data', '[]', '--json']);
    assert.equal(JSON.parse(r.stdout).RequestResponses.length, 1, r.stdout);
    let stderr = await refused(['stream', 'put', 'arrays', '--data', 'a', 'b']);
    assert.match(stderr, /^tributary stream put: unexpected argument 'b'/m);
    stderr = await refused(['thing', 'create', 'two-words', '--attribute', 'site=x', 'floor=2',
                            '--out', path.join(dir, 'two-words-kit')]);
    assert.match(stderr, /^tributary thing create: unexpected argument 'floor=2'/m);
    await server.cliOk(['stream', 'flush', 'arrays']);
    const lake = await waitForLake(server, 'arrays-lake', (l) => l.records.length >= 5,
                                   { what: 'the records put with --data' });
    assert.deepEqual(lake.records, ['[1,2]', 'plain', '[]', '{"a":[1]}', '[]']);
  });

  // Unsigned flags took -1 as 18446744073709551615 (an empty range, so nothing printed),
  // --max-keys -3 listed everything, and an offset past the end printed nothing; all exited 0.
  test('lake cat and lake ls refuse numbers out of range, naming the flag and the range', async () => {
    await server.cliOk(['stream', 'create', 'ranges', '--bucket', 'ranges-lake']);
    await server.cliOk(['stream', 'put', 'ranges', '--data', 'abcdef']);
    await server.cliOk(['stream', 'flush', 'ranges']);
    const [object] = (await waitForLake(server, 'ranges-lake', (l) => l.objects.length >= 1,
                                        { what: 'the object to read' })).objects;
    assert.equal(object.data.toString(), 'abcdef');
    const uri = `s3://ranges-lake/${object.key}`;
    assert.equal((await server.cliOk(['lake', 'cat', uri, '--offset', '2', '--length', '3'])).stdout, 'cde');
    assert.equal((await server.cliOk(['lake', 'cat', uri, '--offset', '4', '--length', '18446744073709551'])).stdout, 'ef');
    assert.equal((await server.cliOk(['lake', 'cat', uri, '--offset', '6'])).stdout, '');
    const max = '9223372036854775807';
    for (const [args, why] of [
      [['--offset', '-1'], `--offset: -1 is not in 0..${max}`],
      [['--offset', '5', '--length', '-1'], `--length: -1 is not in 1..${max}`],
      [['--offset', '10', '--length', '18446744073709551615'], `--length: 18446744073709551615 is not in 1..${max}`],
      [['--length', '0'], `--length: 0 is not in 1..${max}`],
      [['--offset', '0x10'], `--offset: '0x10' is not a whole number in 0..${max}`],
      [['--offset', '7'], `--offset: 7 is not in 0..6 (${uri} holds 6 bytes)`],
    ]) {
      const stderr = await refused(['lake', 'cat', uri, ...args]);
      assert.ok(stderr.startsWith(`tributary lake cat: ${why}`), `${args.join(' ')}: ${stderr}`);
    }
    const ls = await refused(['lake', 'ls', 's3://ranges-lake/', '--recursive', '--max-keys', '-3']);
    assert.match(ls, /^tributary lake ls: --max-keys: -3 is not in 1\.\.2147483647/m);
  });

  // The API answered an offset past the end with 200 and no bytes; S3 answers 416 InvalidRange.
  test('the lake API refuses an offset past an object\'s end with 416, naming the offset and the size', async () => {
    await server.cliOk(['stream', 'create', 'past-end', '--bucket', 'past-end-lake']);
    await server.cliOk(['stream', 'put', 'past-end', '--data', 'abcdef']);
    await server.cliOk(['stream', 'flush', 'past-end']);
    const [object] = (await waitForLake(server, 'past-end-lake', (l) => l.objects.length >= 1,
                                        { what: 'the object to read' })).objects;
    assert.equal(object.data.toString(), 'abcdef');
    const read = (query) =>
      server.api('GET', `/v1/lake/buckets/past-end-lake/object?key=${encodeURIComponent(object.key)}${query}`);
    const past = await read('&offset=7&length=3');
    assert.equal(past.status, 416, past.text);
    assert.deepEqual(past.json, { error: { code: 'out_of_range', message:
      `offset 7 is past the end of s3://past-end-lake/${object.key}, which holds 6 bytes (offsets 0..6)` } });
    assert.deepEqual([past.headers['content-range'], past.headers['x-object-size']], ['bytes */6', '6']);
    // A range that starts inside the object and ends past it is cut at the end, as S3 does;
    // one that starts at the end has no bytes.
    const tail = await read('&offset=4&length=100');
    assert.deepEqual([tail.status, tail.text, tail.headers['x-range']], [200, 'ef', '4-6']);
    const end = await read('&offset=6');
    assert.deepEqual([end.status, end.text, end.headers['x-object-size']], [200, '', '6']);
  });

  test('lake lifecycle put says what is wrong with --days', async () => {
    for (const days of ['-5', '0', '365001']) {
      const stderr = await refused(['lake', 'lifecycle', 'put', 'iot-data', '--days', days]);
      assert.match(stderr, new RegExp(`^tributary lake lifecycle put: --days: ${days} is not in 1\\.\\.365000`, 'm'));
    }
    const stderr = await refused(['lake', 'lifecycle', 'put', 'iot-data', '--days', '1.5']);
    assert.match(stderr, /^tributary lake lifecycle put: --days: '1\.5' is not a whole number in 1\.\.365000/m);
  });

  // CLI11 read --buffer-size-mib 0x10 as 16 and 010 as 8, and sent them.
  test('stream create and update take their buffer hints as typed', async () => {
    for (const [args, why] of [
      [['stream', 'create', 's', '--bucket', 'b', '--buffer-size-mib', '0x10'],
       "tributary stream create: --buffer-size-mib: '0x10' is not a whole number in 1..128"],
      [['stream', 'create', 's', '--bucket', 'b', '--buffer-interval-s', '901'],
       'tributary stream create: --buffer-interval-s: 901 is not in 0..900'],
      [['stream', 'update', 's', '--buffer-size-mib', '0'],
       'tributary stream update: --buffer-size-mib: 0 is not in 1..128'],
      [['stream', 'update', 's', '--buffer-interval-s', '1e2'],
       "tributary stream update: --buffer-interval-s: '1e2' is not a whole number in 0..900"],
    ]) {
      const stderr = await refused(args);
      assert.ok(stderr.startsWith(why), `${args.join(' ')}: ${stderr}`);
    }
  });

  // CLI11's checks said "Value -1 not in range 0.000000 to 1797693...(309 digits).000000".
  test('the model hosting commands\' counts and times say their range', async () => {
    for (const [args, why] of [
      [['transform', 'create', 't', '--model', 'm', '--input', 'b/in', '--output', 'b/out', '--instances', '-1'],
       'tributary transform create: --instances: -1 is not in 1..2147483647'],
      [['endpoint-config', 'create', 'c', '--variant', 'name=v,model=m', '--data-capture', 's3://b/c/',
        '--capture-percent', '200'], 'tributary endpoint-config create: --capture-percent: 200 is not in 0..100'],
      [['endpoint', 'create', 'e', '--config', 'c', '--timeout-s', '0'],
       'tributary endpoint create: --timeout-s: 0 is not in 1..2147483647'],
      [['endpoint', 'update', 'e', '--config', 'c', '--traffic', 'canary', '--wait-s', '1.5'],
       "tributary endpoint update: --wait-s: '1.5' is not a whole number in 0..2147483647"],
    ]) {
      const stderr = await refused(args);
      assert.ok(stderr.startsWith(why), `${args.join(' ')}: ${stderr}`);
    }
  });

  // CLI11's checks said "Value 200 not in range 0 to 100" (and took 0 and 100, which the
  // server then refused naming CanarySize.Value); parquet cat --limit -5 printed every row.
  test('decimal flags and parquet cat --limit say their range', async () => {
    const update = ['endpoint', 'update', 'e', '--config', 'c'];
    const monitor = ['monitor', 'create', 'm', '--endpoint-name', 'e', '--table', 't', '--target', 'x',
                     '--prediction-length', '12'];
    for (const [args, why] of [
      [[...update, '--traffic', 'canary', '--canary-percent', '200'],
       'tributary endpoint update: --canary-percent: 200 is not in 1..99'],
      [[...update, '--traffic', 'canary', '--canary-percent', '0'],
       'tributary endpoint update: --canary-percent: 0 is not in 1..99'],
      [[...update, '--traffic', 'linear', '--linear-step-percent', 'half'],
       "tributary endpoint update: --linear-step-percent: 'half' is not a decimal number in 1..99"],
      [[...update, '--traffic', 'canary', '--rollback-max-error-rate', '1.5'],
       'tributary endpoint update: --rollback-max-error-rate: 1.5 is not in 0..1'],
      [[...update, '--traffic', 'canary', '--rollback-max-error-rate', 'nan'],
       "tributary endpoint update: --rollback-max-error-rate: 'nan' is not a decimal number in 0..1"],
      [[...update, '--traffic', 'canary', '--rollback-max-p99-ms', '0'],
       'tributary endpoint update: --rollback-max-p99-ms: 0 is not in 0.001..3600000'],
      [[...monitor, '--threshold', '0.5'],
       'tributary monitor create: --threshold: 0.5 is not in 1..'],
      [[...monitor, '--baseline', '-2'],
       'tributary monitor create: --baseline: -2 is not in 0..'],
      // --num-samples 0 was taken as "not given"; 0x18 was read as 24.
      [[...monitor, '--num-samples', '0'],
       'tributary monitor create: --num-samples: 0 is not in 1..1000'],
      // --interval-s -1 and --breaches 0 were taken as "not given" and the monitor made.
      [[...monitor, '--interval-s', '-1'],
       'tributary monitor create: --interval-s: -1 is not in 0..86400'],
      [[...monitor, '--breaches', '0'],
       'tributary monitor create: --breaches: 0 is not in 1..100'],
      [['monitor', 'create', 'm', '--endpoint-name', 'e', '--table', 't', '--target', 'x',
        '--prediction-length', '0x18'],
       "tributary monitor create: --prediction-length: '0x18' is not a whole number in 1..2147483647"],
      [['forecast', 'prepare', '--table', 't', '--target', 'x', '--out', 'o', '--prediction-length', '010',
        '--min-train-points', '0'],
       'tributary forecast prepare: --min-train-points: 0 is not in 1..2147483647'],
    ]) {
      const stderr = await refused(args);
      assert.ok(stderr.startsWith(why), `${args.join(' ')}: ${stderr}`);
    }
    const limit = await run(BIN, ['parquet', 'cat', 'x.parquet', '--limit', '-5'], { timeoutMs: 10000 });
    assert.equal(limit.code, 2, describeRun('parquet cat --limit -5', limit));
    assert.ok(limit.stderr.startsWith('tributary parquet cat: --limit: -5 is not in 0..9223372036854775807'),
              limit.stderr);
  });

  // train/predict/serve and tributary-parquet checked their numbers with CLI11 alone, which
  // read --seed -1 as 18446744073709551615; tributary-parquet took --row-group-rows 0 and
  // --limit -5 (every row).
  test('train, predict and tributary-parquet say their flags\' range', async () => {
    const train = ['train', '--train', 'x.jsonl', '--hyperparameters', 'h.json', '--output', 'm'];
    const predict = ['predict', '--model', 'm', '--input', 'x.jsonl', '--output', '-'];
    for (const [args, why] of [
      [[...train, '--threads', '0'], 'tributary train: --threads: 0 is not in 1..256'],
      [[...train, '--seed', '-1'], 'tributary train: --seed: -1 is not in 0..9223372036854775807'],
      [[...predict, '--num-samples', '100001'],
       'tributary predict: --num-samples: 100001 is not in 1..100000'],
      [[...predict, '--threads', 'two'],
       "tributary predict: --threads: 'two' is not a whole number in 1..256"],
    ]) {
      const r = await run(BIN, args, { timeoutMs: 10000 });
      assert.equal(r.code, 2, describeRun(args.join(' '), r));
      assert.ok(r.stderr.startsWith(why), `${args.join(' ')}: ${r.stderr}`);
    }
    const tool = path.join(path.dirname(BIN), 'src', 'parquet', 'tributary-parquet');
    const jsonl = path.join(dir, 'rows.jsonl');
    fs.writeFileSync(jsonl, '{"a":1}\n');
    for (const [args, why] of [
      [['from-jsonl', '--schema', 'a:int64', '--row-group-rows', '0', jsonl, path.join(dir, 'x.parquet')],
       '--row-group-rows: 0 is not in 1..9223372036854775807'],
      [['from-jsonl', '--schema', 'a:int64', '--page-size', '2147483648', jsonl, path.join(dir, 'x.parquet')],
       '--page-size: 2147483648 is not in 1..1073741824'],
      [['cat', path.join(dir, 'x.parquet'), '--limit', '-5'],
       '--limit: -5 is not in 0..9223372036854775807'],
    ]) {
      const r = await run(tool, args, { timeoutMs: 10000 });
      assert.notEqual(r.code, 0, describeRun(args.join(' '), r));
      assert.ok(r.stderr.includes(why), `${args.join(' ')}: ${r.stderr}`);
    }
    assert.ok(!fs.existsSync(path.join(dir, 'x.parquet')), 'a refused from-jsonl wrote nothing');
  });

  // --baseline 0 was taken as "not given": the monitor was created with its baseline
  // taken from elsewhere, or none. It is sent, and the server's refusal names the flag.
  test('monitor create --baseline 0 is refused, not ignored', async () => {
    const stderr = await refused(['monitor', 'create', 'zero', '--endpoint-name', 'e', '--table', 't',
                                  '--target', 'x', '--prediction-length', '12', '--baseline', '0']);
    assert.match(stderr, /--baseline/, stderr);
    assert.match(stderr, /above 0/, stderr);
    const listed = await server.cliOk(['monitor', 'list']);
    assert.doesNotMatch(listed.stdout, /zero/, 'no monitor was made');
  });

  test('rule describe shows the SQL version the rule runs as', async () => {
    await server.cliOk(['rule', 'create', 'versioned', '--payload', writePayload('versioned', {
      topicRulePayload: { sql: "SELECT * FROM 'v/x'", actions: [] },
    })]);
    const r = await server.cliOk(['rule', 'describe', 'versioned']);
    assert.match(r.stdout, /^sqlVersion: +2016-03-23$/m);
  });
});
