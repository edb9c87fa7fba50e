// Firehose's own API on POST / (AWS JSON 1.1, X-Amz-Target Firehose_20150804.*), driven by
// the AWS SDK's own Firehose client (`@aws-sdk/client-firehose`) with an endpoint override
// and SigV4 (access key id 'admin', the admin token as the secret): a stream created with
// dynamic partitioning and gzip reads back the same through DescribeDeliveryStream and the
// native /v1/streams API; PutRecord and PutRecordBatch records land in the lake exactly,
// each once, under their partition key (a record without the key under the error prefix);
// ListDeliveryStreams pages in name order; UpdateDestination and DeleteDeliveryStream; and
// the AWS-shaped errors the SDK surfaces by name, with the bearer token and missing or
// foreign authentication checked with plain fetch; an AppendDelimiterToRecord processor
// (and the CLI's --record-delimiter) writing its delimiter after every record.
'use strict';

const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const net = require('node:net');
const F = require('@aws-sdk/client-firehose');
const aws4 = require('aws4');
const { Server } = require('./harness');
const { rejectsAws } = require('./aws');
const { lakeRecords, waitForLake, firehoseKeyPattern, objectText } = require('./lake');

const DESTINATION_ID = 'destinationId-000000000001';
const ROLE = 'arn:aws:iam::000000000000:role/firehose';
const RECORD_ID = /^[0-9a-f]{32}$/;

// The reference's partitioned stream: raw/<device>/, records without a device under err/.
function partitionedStream(name, bucket) {
  return {
    DeliveryStreamName: name,
    DeliveryStreamType: 'DirectPut',
    ExtendedS3DestinationConfiguration: {
      RoleARN: ROLE,
      BucketARN: `arn:aws:s3:::${bucket}`,
      Prefix: 'raw/!{partitionKeyFromQuery:device}/',
      ErrorOutputPrefix: 'err/!{firehose:error-output-type}/',
      BufferingHints: { SizeInMBs: 1, IntervalInSeconds: 0 },
      CompressionFormat: 'GZIP',
      DynamicPartitioningConfiguration: { Enabled: true },
      ProcessingConfiguration: {
        Enabled: true,
        Processors: [{
          Type: 'MetadataExtraction',
          Parameters: [{ ParameterName: 'MetadataExtractionQuery', ParameterValue: '{device: .device}' },
                       { ParameterName: 'JsonParsingEngine', ParameterValue: 'JQ-1.6' }],
        }],
      },
    },
  };
}

// A plain stream: uncompressed, no partitioning, a 15-minute buffer.
function plainStream(name, bucket, prefix = 'in/') {
  return {
    DeliveryStreamName: name,
    S3DestinationConfiguration: {
      RoleARN: ROLE, BucketARN: `arn:aws:s3:::${bucket}`, Prefix: prefix,
      BufferingHints: { SizeInMBs: 1, IntervalInSeconds: 900 },
    },
  };
}

// A stream whose records get `delimiter` appended: no Parameters for Firehose's default "\n".
function appendDelimiter(delimiter) {
  const processor = { Type: 'AppendDelimiterToRecord' };
  if (delimiter !== undefined) processor.Parameters = [{ ParameterName: 'Delimiter', ParameterValue: delimiter }];
  return processor;
}

// The objects' text (gunzipped) in the order of their records' `seq`, each object's first
// record the bytes before its first `delimiter`.
function textInSeqOrder(objects, delimiter) {
  const texts = objects.map(objectText);
  const firstSeq = (text) => JSON.parse(text.slice(0, text.indexOf(delimiter))).seq;
  return texts.sort((a, b) => firstSeq(a) - firstSeq(b)).join('');
}

describe('Firehose API through the AWS SDK', { timeout: 90000 }, () => {
  let server;
  let firehose;
  const clientWith = (credentials) => new F.FirehoseClient({
    endpoint: server.endpoint, region: 'us-east-1', credentials, maxAttempts: 1,
  });
  const send = (command) => firehose.send(command);
  const describeStream = async (name) =>
    (await send(new F.DescribeDeliveryStreamCommand({ DeliveryStreamName: name }))).DeliveryStreamDescription;
  // ListDeliveryStreams through every page of `limit` names: [{names, more}].
  const listPages = async (limit, start) => {
    const pages = [];
    for (let after = start; ;) {
      const page = await send(new F.ListDeliveryStreamsCommand({ Limit: limit, ExclusiveStartDeliveryStreamName: after }));
      pages.push({ names: page.DeliveryStreamNames, more: page.HasMoreDeliveryStreams });
      if (!page.HasMoreDeliveryStreams) return pages;
      assert.ok(pages.length < 100, `ListDeliveryStreams never says the last page: ${JSON.stringify(pages.slice(0, 5))}`);
      after = page.DeliveryStreamNames.at(-1);
    }
  };
  // POST / as the SDK would, with `headers` instead of a signature.
  const postRoot = (target, headers, body = '{}') => fetch(`${server.endpoint}/`, {
    method: 'POST',
    headers: { 'X-Amz-Target': target, 'Content-Type': 'application/x-amz-json-1.1', ...headers },
    body,
    signal: AbortSignal.timeout(5000),
  });
  const bearer = () => ({ Authorization: `Bearer ${server.token}` });

  before(async () => {
    server = await Server.start({ tag: 'firehose-api' });
    firehose = clientWith({ accessKeyId: 'admin', secretAccessKey: server.token });
  });
  after(async () => {
    if (firehose) firehose.destroy();
    if (server) await server.dispose();
  });

  test('a stream created with the SDK describes as created, here and in /v1/streams', async () => {
    const before = Date.now();
    const created = await send(new F.CreateDeliveryStreamCommand(partitionedStream('telemetry', 'sdk-lake')));
    assert.equal(created.DeliveryStreamARN, 'arn:aws:firehose:local:000000000000:deliverystream/telemetry');

    const d = await describeStream('telemetry');
    assert.equal(d.DeliveryStreamName, 'telemetry');
    assert.equal(d.DeliveryStreamARN, created.DeliveryStreamARN);
    assert.equal(d.DeliveryStreamStatus, 'ACTIVE');
    assert.equal(d.DeliveryStreamType, 'DirectPut');
    assert.equal(d.VersionId, '1');
    assert.equal(d.HasMoreDestinations, false);
    assert.ok(d.CreateTimestamp instanceof Date, `CreateTimestamp: ${d.CreateTimestamp}`);
    assert.ok(d.CreateTimestamp.getTime() >= before - 1000 && d.CreateTimestamp.getTime() <= Date.now() + 1000,
              `CreateTimestamp ${d.CreateTimestamp.toISOString()} is not the time of the create`);
    assert.equal(d.Destinations.length, 1);
    assert.equal(d.Destinations[0].DestinationId, DESTINATION_ID);
    const s3 = d.Destinations[0].ExtendedS3DestinationDescription;
    const asked = partitionedStream('telemetry', 'sdk-lake').ExtendedS3DestinationConfiguration;
    assert.equal(s3.BucketARN, 'arn:aws:s3:::sdk-lake');
    assert.equal(s3.Prefix, asked.Prefix);
    assert.equal(s3.ErrorOutputPrefix, asked.ErrorOutputPrefix);
    assert.deepEqual(s3.BufferingHints, { SizeInMBs: 1, IntervalInSeconds: 0 });
    assert.equal(s3.CompressionFormat, 'GZIP');
    assert.deepEqual(s3.DynamicPartitioningConfiguration, { Enabled: true });
    assert.deepEqual(s3.ProcessingConfiguration, asked.ProcessingConfiguration);

    const native = await server.api('GET', '/v1/streams/telemetry');
    assert.equal(native.status, 200, native.text);
    const config = native.json.config;
    assert.equal(config.bucket, 'sdk-lake');
    assert.equal(config.prefix, 'raw/!{partitionKeyFromQuery:device}/');
    assert.equal(config.error_prefix, 'err/!{firehose:error-output-type}/');
    assert.equal(config.compression, 'gzip');
    assert.equal(config.partition_query, '{device: .device}');
    assert.equal(config.buffer_size_mib, 1);
    assert.equal(config.buffer_interval_s, 0);
    assert.equal(native.json.created_ms, d.CreateTimestamp.getTime());
  });

  test('PutRecord and PutRecordBatch land in the lake exactly, gzipped, under their partition key', async () => {
    const devices = ['meter-1', 'meter-2', 'meter-3'];
    const sent = new Map(devices.map((device) => [device, []]));
    const recordIds = [];
    // Three batches of 100, then three single records.
    for (let batch = 0; batch < 3; batch++) {
      const records = [];
      for (let i = 0; i < 100; i++) {
        const seq = batch * 100 + i;
        const device = devices[seq % devices.length];
        const line = JSON.stringify({ device, seq, value: (seq * 7) % 23 });
        sent.get(device).push(line);
        records.push({ Data: Buffer.from(`${line}\n`) });
      }
      const r = await send(new F.PutRecordBatchCommand({ DeliveryStreamName: 'telemetry', Records: records }));
      assert.equal(r.FailedPutCount, 0, JSON.stringify(r.RequestResponses.filter((x) => x.ErrorCode)));
      assert.equal(r.Encrypted, false);
      assert.equal(r.RequestResponses.length, records.length);
      for (const response of r.RequestResponses) recordIds.push(response.RecordId);
    }
    for (const [i, device] of devices.entries()) {
      const line = JSON.stringify({ device, seq: 300 + i, single: true });
      sent.get(device).push(line);
      const r = await send(new F.PutRecordCommand({ DeliveryStreamName: 'telemetry', Record: { Data: Buffer.from(`${line}\n`) } }));
      assert.equal(r.Encrypted, false);
      recordIds.push(r.RecordId);
    }
    // No device: its partition key cannot be taken, so it goes under the error prefix.
    const orphan = `${JSON.stringify({ seq: 400, note: 'no device' })}\n`;
    const orphanPut = await send(new F.PutRecordCommand({ DeliveryStreamName: 'telemetry', Record: { Data: Buffer.from(orphan) } }));
    recordIds.push(orphanPut.RecordId);

    for (const id of recordIds) assert.match(id, RECORD_ID);
    assert.equal(new Set(recordIds).size, recordIds.length, 'RecordIds repeat');
    assert.equal(recordIds.length, 304);

    const flushed = await server.api('POST', '/v1/streams/telemetry/flush');
    assert.equal(flushed.status, 200, flushed.text);
    const lake = await waitForLake(server, 'sdk-lake', (l) => l.records.length >= 304,
                                   { what: '304 records in bucket sdk-lake' });
    assert.equal(lake.records.length, 304, 'the lake holds more records than were put');
    for (const o of lake.objects) {
      assert.match(o.key, /^(raw\/meter-[123]\/|err\/partitioning-failed\/)/, `object outside the prefixes: ${o.key}`);
      assert.deepEqual([...o.data.subarray(0, 2)], [0x1f, 0x8b], `${o.key} is not gzip`);
    }
    for (const device of devices) {
      const mine = lakeRecords(server, 'sdk-lake', `raw/${device}/`);
      for (const o of mine.objects) assert.match(o.key, firehoseKeyPattern('telemetry', `raw/${device}/`, '\\.gz'));
      assert.deepEqual([...mine.records].sort(), [...sent.get(device)].sort(), `records under raw/${device}/`);
    }
    const failed = lakeRecords(server, 'sdk-lake', 'err/partitioning-failed/').records.map((r) => JSON.parse(r));
    assert.equal(failed.length, 1, JSON.stringify(failed));
    assert.equal(Buffer.from(failed[0].rawData, 'base64').toString(), orphan);
    assert.equal(failed[0].recordId, orphanPut.RecordId);
    assert.equal(failed[0].errorCode, 'DynamicPartitioning.MetadataExtractionFailed');

    const stats = (await server.api('GET', '/v1/streams/telemetry')).json.stats;
    assert.equal(stats.records_in, 304, JSON.stringify(stats));
    assert.equal(stats.records_to_error_prefix, 1, JSON.stringify(stats));
  });

  test('ListDeliveryStreams pages in name order with Limit and ExclusiveStartDeliveryStreamName', async () => {
    for (const name of ['list-d', 'list-b', 'list-a', 'list-c']) {
      await send(new F.CreateDeliveryStreamCommand(plainStream(name, 'listed')));
    }
    const all = await send(new F.ListDeliveryStreamsCommand({ Limit: 10000 }));
    assert.equal(all.HasMoreDeliveryStreams, false);
    const nativeNames = (await server.api('GET', '/v1/streams')).json.streams.map((s) => s.config.name);
    assert.deepEqual(all.DeliveryStreamNames, [...nativeNames].sort());
    assert.deepEqual(all.DeliveryStreamNames, ['list-a', 'list-b', 'list-c', 'list-d', 'telemetry']);

    const pages = await listPages(2);
    assert.deepEqual(pages, [{ names: ['list-a', 'list-b'], more: true },
                             { names: ['list-c', 'list-d'], more: true },
                             { names: ['telemetry'], more: false }]);
    // A page that ends exactly at the last name says there is no more.
    assert.deepEqual(await listPages(2, 'list-c'), [{ names: ['list-d', 'telemetry'], more: false }]);
    // The start need not be a stream's name.
    assert.deepEqual(await listPages(3, 'list-b0'), [{ names: ['list-c', 'list-d', 'telemetry'], more: false }]);
    assert.deepEqual(await listPages(1, 'telemetry'), [{ names: [], more: false }]);
    // Ten by default.
    assert.deepEqual((await send(new F.ListDeliveryStreamsCommand({}))).DeliveryStreamNames, all.DeliveryStreamNames);
  });

  test('UpdateDestination changes what is described and delivered; DeleteDeliveryStream removes the stream', async () => {
    await send(new F.CreateDeliveryStreamCommand(plainStream('moving', 'moving-lake', 'old/')));
    await send(new F.PutRecordCommand({ DeliveryStreamName: 'moving', Record: { Data: Buffer.from('before\n') } }));
    await send(new F.UpdateDestinationCommand({
      DeliveryStreamName: 'moving', CurrentDeliveryStreamVersionId: '1', DestinationId: DESTINATION_ID,
      ExtendedS3DestinationUpdate: { BufferingHints: { SizeInMBs: 2, IntervalInSeconds: 60 }, Prefix: 'new/' },
    }));
    const s3 = (await describeStream('moving')).Destinations[0].ExtendedS3DestinationDescription;
    assert.deepEqual(s3.BufferingHints, { SizeInMBs: 2, IntervalInSeconds: 60 });
    assert.equal(s3.Prefix, 'new/');
    assert.equal(s3.BucketARN, 'arn:aws:s3:::moving-lake', 'not in the update: kept');
    assert.equal(s3.CompressionFormat, 'UNCOMPRESSED', 'not in the update: kept');
    const config = (await server.api('GET', '/v1/streams/moving')).json.config;
    assert.equal(config.prefix, 'new/');
    assert.equal(config.buffer_interval_s, 60);

    // What was buffered keeps the old prefix; what is put after the update takes the new.
    await send(new F.PutRecordCommand({ DeliveryStreamName: 'moving', Record: { Data: Buffer.from('after\n') } }));
    assert.equal((await server.api('POST', '/v1/streams/moving/flush')).status, 200);
    await waitForLake(server, 'moving-lake', (l) => l.records.length >= 2, { what: 'the records before and after the update' });
    assert.deepEqual(lakeRecords(server, 'moving-lake', 'old/').records, ['before']);
    assert.deepEqual(lakeRecords(server, 'moving-lake', 'new/').records, ['after']);

    await send(new F.DeleteDeliveryStreamCommand({ DeliveryStreamName: 'moving' }));
    await rejectsAws(describeStream('moving'), 'ResourceNotFoundException', 400, /moving/);
    assert.equal((await server.api('GET', '/v1/streams/moving')).status, 404);
    // A batch to a stream that is gone is refused whole, whether or not a record decodes.
    for (const Data of ['eQ==', '!!!!']) {
      assert.equal((await server.api('POST', '/v1/streams/moving/records/batch', { Records: [{ Data }] })).status, 404, Data);
    }
    assert.ok(!(await send(new F.ListDeliveryStreamsCommand({ Limit: 10000 }))).DeliveryStreamNames.includes('moving'));
    await rejectsAws(send(new F.UpdateDestinationCommand({
      DeliveryStreamName: 'moving', CurrentDeliveryStreamVersionId: '1', DestinationId: DESTINATION_ID,
      ExtendedS3DestinationUpdate: { Prefix: 'newer/' },
    })), 'ResourceNotFoundException', 400);
    await rejectsAws(send(new F.DeleteDeliveryStreamCommand({ DeliveryStreamName: 'moving' })), 'ResourceNotFoundException', 400);
  });

  test('errors come back as the SDK names them', async () => {
    await rejectsAws(send(new F.PutRecordCommand({ DeliveryStreamName: 'nowhere', Record: { Data: Buffer.from('x\n') } })),
                     'ResourceNotFoundException', 400, /nowhere/);
    await rejectsAws(send(new F.PutRecordBatchCommand({ DeliveryStreamName: 'nowhere', Records: [{ Data: Buffer.from('x\n') }] })),
                     'ResourceNotFoundException', 400, /nowhere/);

    const refused = [
      ['CompressionFormat LZ4', (r) => { r.ExtendedS3DestinationConfiguration.CompressionFormat = 'LZ4'; }, /CompressionFormat/],
      ['a BucketARN that is not arn:aws:s3:::<bucket>',
       (r) => { r.ExtendedS3DestinationConfiguration.BucketARN = 'arn:aws:s3:us-east-1::bad-arn'; }, /BucketARN/],
      ['DeliveryStreamType KinesisStreamAsSource', (r) => { r.DeliveryStreamType = 'KinesisStreamAsSource'; }, /DeliveryStreamType/],
      ['a Prefix that makes keys starting with /',
       (r) => { r.ExtendedS3DestinationConfiguration.Prefix = '/raw/!{partitionKeyFromQuery:device}/'; },
       /ExtendedS3DestinationConfiguration\.Prefix: '\/raw\/!\{partitionKeyFromQuery:device\}\/' makes keys the lake refuses: object key '\/raw\/value\/.*' starts with '\/'/],
      ['an ErrorOutputPrefix with an empty segment',
       (r) => { r.ExtendedS3DestinationConfiguration.ErrorOutputPrefix = 'errors//!{firehose:error-output-type}/'; },
       /ErrorOutputPrefix: .* has an empty segment/],
    ];
    for (const [what, change, message] of refused) {
      const request = partitionedStream('refused', 'refused-lake');
      change(request);
      await rejectsAws(send(new F.CreateDeliveryStreamCommand(request)), 'InvalidArgumentException', 400, message, what);
      await rejectsAws(describeStream('refused'), 'ResourceNotFoundException', 400, /refused/,
                       `the stream after a create with ${what}`);
    }

    await rejectsAws(send(new F.CreateDeliveryStreamCommand(plainStream('telemetry', 'other-lake'))),
                     'ResourceInUseException', 400, /telemetry/);
    assert.equal((await describeStream('telemetry')).Destinations[0].ExtendedS3DestinationDescription.BucketARN,
                 'arn:aws:s3:::sdk-lake', 'a refused create changed the existing stream');

    // Refused signatures do nothing.
    const wrongSecret = clientWith({ accessKeyId: 'admin', secretAccessKey: `${server.token}x` });
    const stranger = clientWith({ accessKeyId: 'someone', secretAccessKey: server.token });
    try {
      await rejectsAws(wrongSecret.send(new F.CreateDeliveryStreamCommand(plainStream('sneaky', 'sneaky-lake'))),
                       'InvalidSignatureException', 403);
      await rejectsAws(stranger.send(new F.CreateDeliveryStreamCommand(plainStream('sneaky', 'sneaky-lake'))),
                       'UnrecognizedClientException', 403, /someone/);
      await rejectsAws(stranger.send(new F.ListDeliveryStreamsCommand({})), 'UnrecognizedClientException', 403);
    } finally {
      wrongSecret.destroy();
      stranger.destroy();
    }
    await rejectsAws(describeStream('sneaky'), 'ResourceNotFoundException', 400);
  });

  test('POST / without the SDK: no Authorization, the bearer token, another service', async () => {
    const unsigned = await postRoot('Firehose_20150804.ListDeliveryStreams', {});
    const unsignedBody = await unsigned.json();
    assert.equal(unsigned.status, 403, JSON.stringify(unsignedBody));
    assert.equal(unsigned.headers.get('x-amzn-errortype'), 'MissingAuthenticationTokenException');
    assert.equal(unsignedBody.__type, 'MissingAuthenticationTokenException');
    assert.equal(typeof unsignedBody.message, 'string');

    const wrongToken = await postRoot('Firehose_20150804.ListDeliveryStreams', { Authorization: 'Bearer not-the-token' });
    const wrongTokenBody = await wrongToken.json();
    assert.equal(wrongToken.status, 403, JSON.stringify(wrongTokenBody));
    assert.equal(wrongTokenBody.__type, 'UnrecognizedClientException');
    assert.match(wrongTokenBody.message, /wrong bearer token/);

    const listed = await postRoot('Firehose_20150804.ListDeliveryStreams', bearer());
    const listedText = await listed.text();
    assert.equal(listed.status, 200, listedText);
    assert.match(listed.headers.get('content-type'), /^application\/x-amz-json-1\.1/);
    assert.deepEqual(JSON.parse(listedText), {
      DeliveryStreamNames: ['list-a', 'list-b', 'list-c', 'list-d', 'telemetry'], HasMoreDeliveryStreams: false,
    });

    // A record put with the bearer token lands as the SDK's do.
    const data = Buffer.from('{"device":"meter-9","via":"bearer"}\n').toString('base64');
    const put = await postRoot('Firehose_20150804.PutRecord', bearer(),
                               JSON.stringify({ DeliveryStreamName: 'list-a', Record: { Data: data } }));
    const putText = await put.text();
    assert.equal(put.status, 200, putText);
    assert.match(JSON.parse(putText).RecordId, RECORD_ID);
    assert.equal((await server.api('POST', '/v1/streams/list-a/flush')).status, 200);
    const lake = await waitForLake(server, 'listed', (l) => l.records.length >= 1, { what: 'the record put with the bearer token' });
    assert.deepEqual(lake.records, ['{"device":"meter-9","via":"bearer"}']);

    for (const headers of [bearer(), {}]) {
      const other = await postRoot('Kinesis_20131202.PutRecord', headers);
      const otherText = await other.text();
      assert.equal(other.status, 400, otherText);
      assert.equal(other.headers.get('x-amzn-errortype'), 'UnknownOperationException');
      assert.equal(JSON.parse(otherText).__type, 'UnknownOperationException');
    }
    const unknown = await postRoot('Firehose_20150804.StartDeliveryStreamEncryption', bearer(),
                                   JSON.stringify({ DeliveryStreamName: 'telemetry' }));
    assert.equal(unknown.status, 400, await unknown.text());
    assert.equal(unknown.headers.get('x-amzn-errortype'), 'UnknownOperationException');
  });

  // Last: the tests above list every stream by name.
  // The server holds a signed request's body before it can check the signature (which
  // covers it), within a budget: whoever has no credentials must not take that budget.
  test('a request without good credentials is refused on its header, before its body', async () => {
    const url = new URL(server.endpoint);
    const data = Buffer.from('{"device":"meter-1","via":"header-check"}\n').toString('base64');
    const body = JSON.stringify({ DeliveryStreamName: 'list-b', Record: { Data: data } });
    const target = 'Firehose_20150804.PutRecord';
    const signed = (credentials, date) => {
      const opts = {
        host: url.host, path: '/', method: 'POST', service: 'firehose', region: 'us-east-1', body,
        headers: { 'X-Amz-Target': target, 'Content-Type': 'application/x-amz-json-1.1',
                   ...(date ? { 'X-Amz-Date': date } : {}) },
      };
      return aws4.sign(opts, credentials).headers;
    };
    const good = { accessKeyId: 'admin', secretAccessKey: server.token };
    const hourAgo = new Date(Date.now() - 3600e3).toISOString().replace(/[-:]|\.\d{3}/g, '');
    // Sends the header announcing `length` body bytes and waits up to `ms` for an answer;
    // then sends `bodyText` (if any) and waits for the answer to it.
    const headerFirst = (headers, length, ms, bodyText) => new Promise((resolve, reject) => {
      const socket = net.connect(Number(url.port), url.hostname);
      let received = '';
      let sentBody = false;
      const done = (early) => { socket.destroy(); resolve({ early, text: received }); };
      const timer = setTimeout(() => {
        if (bodyText === undefined || received) return done(received !== '');
        sentBody = true;
        socket.write(bodyText);
      }, ms);
      const overall = setTimeout(() => { socket.destroy(); reject(new Error(`no answer: ${received}`)); }, ms + 10000);
      socket.on('data', (d) => {
        received += d;
        if (/\r\n\r\n/.test(received) && (!/content-length: (\d+)/i.test(received) ||
            received.split('\r\n\r\n')[1].length >= Number(/content-length: (\d+)/i.exec(received)[1]))) {
          clearTimeout(timer);
          clearTimeout(overall);
          done(!sentBody);
        }
      });
      socket.on('error', reject);
      const lines = [`POST / HTTP/1.1`, `Host: ${url.host}`, `Content-Length: ${length}`,
                     ...Object.entries(headers).filter(([k]) => !/^(host|content-length)$/i.test(k)).map(([k, v]) => `${k}: ${v}`)];
      socket.write(`${lines.join('\r\n')}\r\n\r\n`);
    });
    const big = 16 * 1024 * 1024;
    const cases = [
      ['no credentials', { 'X-Amz-Target': target, 'Content-Type': 'application/x-amz-json-1.1' }, /403 [\s\S]*MissingAuthenticationTokenException/],
      ['another access key id', signed({ accessKeyId: 'AKIDOTHER', secretAccessKey: 'x' }), /403 [\s\S]*UnrecognizedClientException/],
      ['a date an hour old', signed(good, hourAgo), /403 [\s\S]*InvalidSignatureException/],
    ];
    for (const [what, headers, expected] of cases) {
      const answer = await headerFirst(headers, big, 3000);
      assert.ok(answer.early, `${what}: no answer before the body`);
      assert.match(answer.text, expected, what);
    }
    // Signed with the secret: the header alone cannot show it (the signature covers the
    // body), so the server waits for the body, then takes the record.
    const answer = await headerFirst(signed(good), Buffer.byteLength(body), 700, body);
    assert.equal(answer.early, false, `answered before its body: ${answer.text}`);
    assert.match(answer.text, /^HTTP\/1\.1 200 /, answer.text);
    assert.match(answer.text, /"RecordId"/);
  });

  test('AppendDelimiterToRecord writes its delimiter after every record; --record-delimiter on the CLI', async () => {
    const textLength = (objects) => objects.reduce((n, o) => n + objectText(o).length, 0);
    const processing = (s3) => s3.ProcessingConfiguration;

    // "\n" by default, after records put without one, delivered by a 1 s buffer interval.
    await send(new F.CreateDeliveryStreamCommand({
      DeliveryStreamName: 'delimited',
      ExtendedS3DestinationConfiguration: {
        RoleARN: ROLE, BucketARN: 'arn:aws:s3:::delimited-lake', Prefix: 'lines/',
        BufferingHints: { SizeInMBs: 1, IntervalInSeconds: 1 },
        ProcessingConfiguration: { Enabled: true, Processors: [appendDelimiter()] },
      },
    }));
    let s3 = (await describeStream('delimited')).Destinations[0].ExtendedS3DestinationDescription;
    assert.deepEqual(processing(s3), { Enabled: true, Processors: [{ Type: 'AppendDelimiterToRecord', Parameters: [] }] });
    assert.equal((await server.api('GET', '/v1/streams/delimited')).json.config.record_delimiter, '\n');

    const lines = Array.from({ length: 40 }, (_, seq) => JSON.stringify({ seq, value: (seq * 5) % 11 }));
    const put = await send(new F.PutRecordBatchCommand({
      DeliveryStreamName: 'delimited', Records: lines.map((line) => ({ Data: Buffer.from(line) })),
    }));
    assert.equal(put.FailedPutCount, 0, JSON.stringify(put.RequestResponses.filter((x) => x.ErrorCode)));
    const delimited = lines.map((line) => `${line}\n`).join('');
    const first = await waitForLake(server, 'delimited-lake', (l) => textLength(l.objects) >= delimited.length,
                                    { what: 'the delimited records (no flush: the 1 s interval)' });
    for (const o of first.objects) assert.match(o.key, firehoseKeyPattern('delimited', 'lines/\\d{4}/\\d{2}/\\d{2}/\\d{2}/'));
    assert.equal(textInSeqOrder(first.objects, '\n'), delimited, 'each record followed by "\\n", nothing else');

    // Processing turned off (the processor still listed): later records are stored as put.
    await send(new F.UpdateDestinationCommand({
      DeliveryStreamName: 'delimited', CurrentDeliveryStreamVersionId: '1', DestinationId: DESTINATION_ID,
      ExtendedS3DestinationUpdate: { ProcessingConfiguration: { Enabled: false, Processors: [appendDelimiter()] } },
    }));
    s3 = (await describeStream('delimited')).Destinations[0].ExtendedS3DestinationDescription;
    assert.deepEqual(processing(s3), { Enabled: false, Processors: [] });
    assert.equal((await server.api('GET', '/v1/streams/delimited')).json.config.record_delimiter, '');
    const later = [
      `${JSON.stringify({ seq: 100, own: 'newline' })}\n`,
      `${JSON.stringify({ seq: 101, own: 'crlf' })}\r\n`,
      `${JSON.stringify({ seq: 102, own: 'newline' })}\n`,
    ];
    const laterPut = await send(new F.PutRecordBatchCommand({
      DeliveryStreamName: 'delimited', Records: later.map((r) => ({ Data: Buffer.from(r) })),
    }));
    assert.equal(laterPut.FailedPutCount, 0);
    const firstKeys = new Set(first.objects.map((o) => o.key));
    const all = await waitForLake(server, 'delimited-lake',
                                  (l) => textLength(l.objects) >= delimited.length + later.join('').length,
                                  { what: 'the records put after the update' });
    const newer = all.objects.filter((o) => !firstKeys.has(o.key));
    assert.ok(newer.length >= 1, 'no object after the update');
    assert.equal(textInSeqOrder(newer, '\n'), later.join(''), 'records after the update are stored as put');

    // Delimiter ';' beside MetadataExtraction: per-device objects (gzipped), each record followed by ';'.
    const request = partitionedStream('delimited-devices', 'delimited-devices-lake');
    const dest = request.ExtendedS3DestinationConfiguration;
    dest.BufferingHints = { SizeInMBs: 1, IntervalInSeconds: 1 };
    dest.ProcessingConfiguration.Processors.push(appendDelimiter(';'));
    await send(new F.CreateDeliveryStreamCommand(request));
    s3 = (await describeStream('delimited-devices')).Destinations[0].ExtendedS3DestinationDescription;
    assert.deepEqual(processing(s3), dest.ProcessingConfiguration);
    assert.equal((await server.api('GET', '/v1/streams/delimited-devices')).json.config.record_delimiter, ';');

    const devices = ['meter-1', 'meter-2', 'meter-3'];
    const byDevice = new Map(devices.map((d) => [d, []]));
    const records = [];
    for (let seq = 0; seq < 30; seq++) {
      const device = devices[seq % devices.length];
      const line = JSON.stringify({ device, seq });
      byDevice.get(device).push(line);
      records.push({ Data: Buffer.from(line) });
    }
    const orphan = JSON.stringify({ seq: 99, note: 'no device' });
    records.push({ Data: Buffer.from(orphan) });
    const devicesPut = await send(new F.PutRecordBatchCommand({ DeliveryStreamName: 'delimited-devices', Records: records }));
    assert.equal(devicesPut.FailedPutCount, 0);
    const expected = new Map(devices.map((d) => [d, byDevice.get(d).map((line) => `${line};`).join('')]));
    const under = (objects, prefix) => objects.filter((o) => o.key.startsWith(prefix));
    const partitioned = await waitForLake(server, 'delimited-devices-lake', (l) =>
      devices.every((d) => textLength(under(l.objects, `raw/${d}/`)) >= expected.get(d).length) &&
      under(l.objects, 'err/').length > 0, { what: 'every device\'s records and the one without a device' });
    for (const o of partitioned.objects) {
      assert.match(o.key, /^(raw\/meter-[123]\/|err\/partitioning-failed\/)/, `object outside the prefixes: ${o.key}`);
      assert.deepEqual([...o.data.subarray(0, 2)], [0x1f, 0x8b], `${o.key} is not gzip`);
    }
    for (const d of devices) {
      const mine = under(partitioned.objects, `raw/${d}/`);
      for (const o of mine) assert.match(o.key, firehoseKeyPattern('delimited-devices', `raw/${d}/`, '\\.gz'));
      assert.equal(textInSeqOrder(mine, ';'), expected.get(d), `raw/${d}/: each record followed by ';'`);
    }
    // The record without a device: the error line as ever, its rawData the record as put.
    const failed = lakeRecords(server, 'delimited-devices-lake', 'err/').records.map((r) => JSON.parse(r));
    assert.equal(failed.length, 1, JSON.stringify(failed));
    assert.equal(Buffer.from(failed[0].rawData, 'base64').toString(), orphan);

    // Refused, naming the field; nothing made or changed.
    const withProcessors = (name, processors) => {
      const r = partitionedStream(name, 'refused-lake');
      r.ExtendedS3DestinationConfiguration.ProcessingConfiguration.Processors.push(...processors);
      return r;
    };
    await rejectsAws(send(new F.CreateDeliveryStreamCommand(withProcessors('delimiter-refused', [{
      Type: 'AppendDelimiterToRecord',
      Parameters: [{ ParameterName: 'Delimiter', ParameterValue: ';' }, { ParameterName: 'Colour', ParameterValue: 'x' }],
    }]))), 'InvalidArgumentException', 400,
    /ExtendedS3DestinationConfiguration\.ProcessingConfiguration\.Processors\[1\]\.Parameters\[1\]\.ParameterName.*Colour/,
    'a Colour parameter');
    await rejectsAws(send(new F.CreateDeliveryStreamCommand(withProcessors('delimiter-refused', [appendDelimiter('x'.repeat(17))]))),
                     'InvalidArgumentException', 400, /Processors\[1\]\.Parameters\[0\]\.ParameterValue.*17/, 'a 17-byte Delimiter');
    await rejectsAws(describeStream('delimiter-refused'), 'ResourceNotFoundException', 400, /delimiter-refused/);
    await rejectsAws(send(new F.UpdateDestinationCommand({
      DeliveryStreamName: 'delimited-devices', CurrentDeliveryStreamVersionId: '1', DestinationId: DESTINATION_ID,
      ExtendedS3DestinationUpdate: { ProcessingConfiguration: { Enabled: true, Processors: [appendDelimiter('x'.repeat(17))] } },
    })), 'InvalidArgumentException', 400, /ExtendedS3DestinationUpdate\.ProcessingConfiguration\.Processors\[0\]\.Parameters\[0\]\.ParameterValue/,
    'a 17-byte Delimiter in an update');
    assert.equal((await server.api('GET', '/v1/streams/delimited-devices')).json.config.record_delimiter, ';',
                 'a refused update changed the delimiter');
    // 16 bytes are taken.
    const sixteen = `\r\n${'-'.repeat(12)}\r\n`;
    await send(new F.CreateDeliveryStreamCommand(withProcessors('delimited-16', [appendDelimiter(sixteen)])));
    s3 = (await describeStream('delimited-16')).Destinations[0].ExtendedS3DestinationDescription;
    assert.deepEqual(processing(s3).Processors[1], appendDelimiter(sixteen));

    // The CLI reads backslash escapes; "" for none.
    await server.cliOk(['stream', 'create', 's3', '--bucket', 'cli-delimited', '--prefix', 'cli/', '--record-delimiter', '\\n']);
    const cliConfig = async () => JSON.parse((await server.cliOk(['stream', 'describe', 's3', '--json'])).stdout).config;
    assert.equal((await cliConfig()).record_delimiter, '\n');
    // Read by a person: written as the flag takes it, on its own line.
    const cliDelimiter = async () => (await server.cliOk(['stream', 'describe', 's3'])).stdout.match(/^record_delimiter: *(.*)$/m)[1];
    assert.equal(await cliDelimiter(), '\\n');
    s3 = (await describeStream('s3')).Destinations[0].ExtendedS3DestinationDescription;
    assert.deepEqual(processing(s3), { Enabled: true, Processors: [{ Type: 'AppendDelimiterToRecord', Parameters: [] }] });
    await server.cliOk(['stream', 'update', 's3', '--record-delimiter', '\\t|\\\\']);
    assert.equal((await cliConfig()).record_delimiter, '\t|\\');
    assert.equal(await cliDelimiter(), '\\t|\\\\');
    await server.cliOk(['stream', 'update', 's3', '--record-delimiter', '']);
    assert.equal((await cliConfig()).record_delimiter, '');
    assert.equal(await cliDelimiter(), 'none (records stored as put)');
    // Refused before anything changes: a prefix whose keys the lake cannot store, and a
    // Parquet compression without a table to convert by.
    const refusedCli = [
      [['stream', 'update', 's3', '--prefix', 'cli/../up/'], /prefix: 'cli\/\.\.\/up\/' makes keys the lake refuses: .* has a '\.\.' segment/],
      [['stream', 'create', 's4', '--bucket', 'cli-delimited', '--prefix', 'a//b/'], /has an empty segment/],
      [['stream', 'create', 's4', '--bucket', 'cli-delimited', '--parquet-compression', 'gzip'], /--parquet-compression requires --parquet-table/],
      [['stream', 'update', 's3', '--parquet-compression', 'gzip'], /--parquet-compression requires --parquet-table/],
    ];
    for (const [args, message] of refusedCli) {
      const r = await server.cli(args);
      assert.notEqual(r.code, 0, `${args.join(' ')} was accepted`);
      assert.match(r.stderr + r.stdout, message, args.join(' '));
    }
    assert.equal((await cliConfig()).prefix, 'cli/');
    assert.equal((await server.cli(['stream', 'describe', 's4'])).code === 0, false, 'a refused create made s4');
    s3 = (await describeStream('s3')).Destinations[0].ExtendedS3DestinationDescription;
    assert.deepEqual(processing(s3), { Enabled: false, Processors: [] });
  });
});
