// Delivery streams that convert records to Parquet, as Firehose's
// DataFormatConversionConfiguration, driven by the AWS SDK's own clients
// (`@aws-sdk/client-glue` for the table, `@aws-sdk/client-firehose` for the stream; SigV4
// with access key id 'admin' and the admin token as the secret) and by the CLI: a Glue
// table made with CreateTable is the schema of a stream created with conversion, which
// DescribeDeliveryStream reads back with every default filled in (and /v1/streams as
// format_conversion). One PutRecordBatch of good records (keys in another case, an
// epoch-millisecond and an offset timestamp, a date, a decimal, a nested struct and an array, a key that is
// no column, a record missing columns) with a record that is not JSON and one whose value
// does not fit its column becomes exactly one Parquet object (no extension) that DuckDB
// (`@duckdb/node-api`) reads with the table's columns and types, SNAPPY pages, and exactly
// one error object under err/format-conversion-failed/ whose JSON lines carry Firehose's
// fields and the two bad records as put; a crawler over those objects catalogs a Parquet
// table with their columns (read from the footers), and over a DuckDB-written object
// (put with `@aws-sdk/client-s3`) catalogs its DECIMAL columns as decimal(p,s). Refusals by AWS's names: OrcSerDe, a table that
// does not exist (create and update), CompressionFormat GZIP beside conversion, Enabled
// without SchemaConfiguration; nothing made or changed. UpdateDestination with Enabled
// false keeps the configuration (described back disabled) and later records land as the
// JSON put. The CLI: `stream create --parquet-table DB.TABLE --parquet-compression gzip`,
// `stream describe --json` (format_conversion), `stream put` read back by DuckDB (GZIP
// pages), `stream update --parquet-table ""` to stop converting.
'use strict';

const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const F = require('@aws-sdk/client-firehose');
const G = require('@aws-sdk/client-glue');
const S3 = require('@aws-sdk/client-s3');
const duckdb = require('@duckdb/node-api');
const { Server } = require('./harness');
const { rejectsAws } = require('./aws');
const { lakeRecords, waitForLake, firehoseKeyPattern, objectText } = require('./lake');

const ROLE = 'arn:aws:iam::000000000000:role/firehose';
const DESTINATION_ID = 'destinationId-000000000001';
const BUCKET = 'parquet-lake';
const STREAM = 'readings-parquet';
const RECORD_ID = /^[0-9a-f]{32}$/;
const HOUR = '\\d{4}/\\d{2}/\\d{2}/\\d{2}/';  // appended to a prefix with no timestamp

// The Glue table whose columns the Parquet files have, one of each type served.
const COLUMNS = [
  { Name: 'device', Type: 'string' },
  { Name: 'seq', Type: 'bigint' },
  { Name: 'temp', Type: 'double' },
  { Name: 'ok', Type: 'boolean' },
  { Name: 'level', Type: 'int' },
  { Name: 'ts', Type: 'timestamp' },
  { Name: 'day', Type: 'date' },
  { Name: 'price', Type: 'decimal(8,3)' },
  { Name: 'meta', Type: 'struct<a:int,b:string>' },
  { Name: 'tags', Type: 'array<string>' },
];
// What DuckDB's DESCRIBE says of them.
const DUCK_TYPES = [
  ['device', 'VARCHAR'], ['seq', 'BIGINT'], ['temp', 'DOUBLE'], ['ok', 'BOOLEAN'], ['level', 'INTEGER'],
  ['ts', 'TIMESTAMP WITH TIME ZONE'], ['day', 'DATE'], ['price', 'DECIMAL(8,3)'],
  ['meta', 'STRUCT(a INTEGER, b VARCHAR)'], ['tags', 'VARCHAR[]'],
];

// DataFormatConversionConfiguration over iot.<table> with Firehose's defaults left out.
function conversion(table = 'readings') {
  return {
    SchemaConfiguration: { DatabaseName: 'iot', TableName: table, RoleARN: ROLE },
    InputFormatConfiguration: { Deserializer: { OpenXJsonSerDe: {} } },
    OutputFormatConfiguration: { Serializer: { ParquetSerDe: {} } },
  };
}

// What DescribeDeliveryStream answers for conversion(): every default filled in.
function described(enabled = true) {
  return {
    Enabled: enabled,
    SchemaConfiguration: { DatabaseName: 'iot', TableName: 'readings', RoleARN: ROLE, VersionId: 'LATEST' },
    InputFormatConfiguration: {
      Deserializer: { OpenXJsonSerDe: { ConvertDotsInJsonKeysToUnderscores: false, CaseInsensitive: true } },
    },
    OutputFormatConfiguration: {
      Serializer: {
        ParquetSerDe: {
          BlockSizeBytes: 268435456, PageSizeBytes: 1048576, Compression: 'SNAPPY',
          EnableDictionaryCompression: true, MaxPaddingBytes: 0, WriterVersion: 'V1',
        },
      },
    },
  };
}

// A stream into BUCKET under `prefix`, buffering 0 s, errors under
// err/<error-output-type>/, converting with `dataFormat`.
function convertingStream(name, dataFormat, more = {}) {
  return {
    DeliveryStreamName: name,
    DeliveryStreamType: 'DirectPut',
    ExtendedS3DestinationConfiguration: {
      RoleARN: ROLE,
      BucketARN: `arn:aws:s3:::${BUCKET}`,
      Prefix: 'parquet/',
      ErrorOutputPrefix: 'err/!{firehose:error-output-type}/',
      BufferingHints: { SizeInMBs: 64, IntervalInSeconds: 0 },
      DataFormatConversionConfiguration: dataFormat,
      ...more,
    },
  };
}

// DuckDB on one Parquet file: {rows (objects, BIGINTs as numbers), types ([name, type] in
// order), codecs (the column chunks' compression, each once)}.
async function readParquet(file, select) {
  const inst = await duckdb.DuckDBInstance.create(':memory:');
  const con = await inst.connect();
  try {
    const source = `read_parquet('${file}')`;
    const result = await con.runAndReadAll(`SELECT ${select} FROM ${source} ORDER BY seq`);
    const names = result.columnNames();
    const rows = result.getRows().map((row) =>
      Object.fromEntries(row.map((v, i) => [names[i], typeof v === 'bigint' ? Number(v) : v])));
    const types = (await con.runAndReadAll(`SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM ${source})`)).getRows();
    const codecs = (await con.runAndReadAll(
      `SELECT DISTINCT compression FROM parquet_metadata('${file}') ORDER BY compression`)).getRows().map((r) => r[0]);
    return { rows, types, codecs };
  } finally {
    con.closeSync();
    inst.closeSync();
  }
}

const SELECT = 'device, seq, temp, ok, level, epoch_ms(ts) AS ts_ms, CAST(day AS VARCHAR) AS day, ' +
               'CAST(price AS VARCHAR) AS price, to_json(meta)::VARCHAR AS meta, ' +
               'to_json(tags)::VARCHAR AS tags';

describe('Firehose record format conversion to Parquet', { timeout: 60000 }, () => {
  let server;
  let firehose;
  let glue;
  const send = (command) => firehose.send(command);
  const describeStream = async (name) =>
    (await send(new F.DescribeDeliveryStreamCommand({ DeliveryStreamName: name }))).DeliveryStreamDescription;
  const destination = async (name) => (await describeStream(name)).Destinations[0].ExtendedS3DestinationDescription;
  const lakeFile = (key, bucket = BUCKET) => path.join(server.dataDir, 'lake', bucket, key);
  const isParquet = (o) => o.data.length >= 8 && o.data.subarray(0, 4).toString() === 'PAR1' &&
                           o.data.subarray(-4).toString() === 'PAR1';
  const flush = async (name) => {
    const r = await server.api('POST', `/v1/streams/${name}/flush`);
    assert.equal(r.status, 200, r.text);
  };

  before(async () => {
    server = await Server.start({ tag: 'firehose-parquet' });
    const options = { endpoint: server.endpoint, region: 'us-east-1', maxAttempts: 1,
                      credentials: { accessKeyId: 'admin', secretAccessKey: server.token } };
    firehose = new F.FirehoseClient(options);
    glue = new G.GlueClient(options);
    await glue.send(new G.CreateDatabaseCommand({ DatabaseInput: { Name: 'iot' } }));
    await glue.send(new G.CreateTableCommand({ DatabaseName: 'iot', TableInput: {
      Name: 'readings',
      TableType: 'EXTERNAL_TABLE',
      Parameters: { classification: 'parquet' },
      StorageDescriptor: { Columns: COLUMNS, Location: `s3://${BUCKET}/parquet/` },
    } }));
  });
  after(async () => {
    if (firehose) firehose.destroy();
    if (glue) glue.destroy();
    if (server) await server.dispose();
  });

  test('a stream converting with a Glue table describes with every default, here and in /v1/streams', async () => {
    const table = (await glue.send(new G.GetTableCommand({ DatabaseName: 'iot', Name: 'readings' }))).Table;
    assert.deepEqual(table.StorageDescriptor.Columns.map(({ Name, Type }) => ({ Name, Type })), COLUMNS);

    const created = await send(new F.CreateDeliveryStreamCommand(convertingStream(STREAM, conversion())));
    assert.equal(created.DeliveryStreamARN, `arn:aws:firehose:local:000000000000:deliverystream/${STREAM}`);
    const s3 = await destination(STREAM);
    assert.deepEqual(s3.DataFormatConversionConfiguration, described());
    assert.equal(s3.CompressionFormat, 'UNCOMPRESSED');
    assert.equal(s3.Prefix, 'parquet/');
    assert.equal(s3.ErrorOutputPrefix, 'err/!{firehose:error-output-type}/');
    assert.deepEqual(s3.BufferingHints, { SizeInMBs: 64, IntervalInSeconds: 0 });

    const native = await server.api('GET', `/v1/streams/${STREAM}`);
    assert.equal(native.status, 200, native.text);
    const f = native.json.config.format_conversion;
    assert.ok(f, `no format_conversion in ${native.text}`);
    assert.equal(f.enabled, true);
    assert.equal(f.database, 'iot');
    assert.equal(f.table, 'readings');
    assert.equal(f.version_id, 'LATEST');
    assert.equal(f.deserializer, 'openx');
    assert.equal(f.compression, 'snappy');
    assert.equal(f.case_insensitive, true);
    assert.equal(f.convert_dots_to_underscores, false);
    assert.equal(f.block_size_bytes, 268435456);
    assert.equal(f.page_size_bytes, 1048576);

    // Given settings are described as given.
    const tuned = conversion();
    tuned.SchemaConfiguration.VersionId = '1';
    tuned.InputFormatConfiguration.Deserializer.OpenXJsonSerDe = {
      ConvertDotsInJsonKeysToUnderscores: true, CaseInsensitive: false, ColumnToJsonKeyMappings: { temp: 'temperature' },
    };
    tuned.OutputFormatConfiguration.Serializer.ParquetSerDe = {
      Compression: 'GZIP', BlockSizeBytes: 64 << 20, PageSizeBytes: 64 << 10, EnableDictionaryCompression: false,
      MaxPaddingBytes: 16, WriterVersion: 'V2',
    };
    await send(new F.CreateDeliveryStreamCommand(convertingStream('tuned', tuned)));
    const tunedDescribed = (await destination('tuned')).DataFormatConversionConfiguration;
    assert.deepEqual(tunedDescribed, { Enabled: true, ...tuned });
  });

  test('PutRecordBatch: one Parquet object of the good records, one error object of the two bad', async () => {
    const tsEpochMs = Date.UTC(2026, 11, 3, 10, 5, 0);
    const good = [
      // Keys in other cases; an ISO timestamp; a struct and an array (spaces in them); a key that is no column.
      // A decimal from a string (rounded half away from zero to the scale) and from an integer.
      '{"Device":"meter-1","SEQ":1,"Temp":21.5,"OK":true,"Level":3,"TS":"2026-12-03T10:00:00Z","Day":"2026-12-03",' +
        '"Price":"12.3455",' +
        '"Meta":{"a": 1, "b": "x"},"Tags":["hot", "dry"],"extra":"dropped"}',
      // Epoch milliseconds for the timestamp; a date-time for the date (its UTC day).
      JSON.stringify({ device: 'meter-2', seq: 2, temp: -4, ok: false, level: 0, ts: tsEpochMs,
                       day: '2026-12-03T23:30:00-02:00', price: -7 }),
      // Missing columns are null; an ISO timestamp with an offset.
      JSON.stringify({ device: 'meter-3', seq: 3, ts: '2026-12-03T11:10:00+01:00' }),
    ];
    const bad = [
      'not json at all',
      JSON.stringify({ device: 'meter-4', seq: 'high', temp: 1 }),
    ];
    // Bad records among the good, as one batch.
    const records = [good[0], bad[0], good[1], bad[1], good[2]];
    const putAt = Date.now();
    const put = await send(new F.PutRecordBatchCommand({
      DeliveryStreamName: STREAM, Records: records.map((r) => ({ Data: Buffer.from(r) })),
    }));
    assert.equal(put.FailedPutCount, 0, JSON.stringify(put.RequestResponses));
    const ids = put.RequestResponses.map((r) => r.RecordId);
    for (const id of ids) assert.match(id, RECORD_ID);
    const idOf = (record) => ids[records.indexOf(record)];

    await flush(STREAM);
    const lake = await waitForLake(server, BUCKET,
                                   (l) => l.objects.some((o) => o.key.startsWith('parquet/')) &&
                                          l.objects.some((o) => o.key.startsWith('err/')),
                                   { timeoutMs: 15000, what: 'the Parquet object and the error object' });
    const parquet = lake.objects.filter((o) => o.key.startsWith('parquet/'));
    const errors = lake.objects.filter((o) => o.key.startsWith('err/'));
    assert.equal(lake.objects.length, 2, `objects: ${lake.objects.map((o) => o.key).join(', ')}`);
    assert.equal(parquet.length, 1, `Parquet objects: ${parquet.map((o) => o.key).join(', ')}`);
    assert.equal(errors.length, 1, `error objects: ${errors.map((o) => o.key).join(', ')}`);
    assert.match(parquet[0].key, firehoseKeyPattern(STREAM, `parquet/${HOUR}`), 'no extension without FileExtension');
    assert.ok(isParquet(parquet[0]), `${parquet[0].key} is not a Parquet file`);
    assert.match(errors[0].key, firehoseKeyPattern(STREAM, 'err/format-conversion-failed/'));

    // DuckDB reads the good records by the table's columns and types.
    const { rows, types, codecs } = await readParquet(lakeFile(parquet[0].key), SELECT);
    assert.deepEqual(types, DUCK_TYPES);
    assert.deepEqual(rows, [
      { device: 'meter-1', seq: 1, temp: 21.5, ok: true, level: 3, ts_ms: Date.UTC(2026, 11, 3, 10, 0, 0),
        day: '2026-12-03', price: '12.346', meta: '{"a":1,"b":"x"}', tags: '["hot","dry"]' },
      { device: 'meter-2', seq: 2, temp: -4, ok: false, level: 0, ts_ms: tsEpochMs, day: '2026-12-04', price: '-7.000',
        meta: null, tags: null },
      { device: 'meter-3', seq: 3, temp: null, ok: null, level: null, ts_ms: Date.UTC(2026, 11, 3, 10, 10, 0),
        day: null, price: null, meta: null, tags: null },
    ]);
    assert.deepEqual(codecs, ['SNAPPY']);

    // The bad records, each a JSON line with Firehose's fields and the record as put.
    const lines = objectText(errors[0]).split('\n').filter((l) => l !== '').map((l) => JSON.parse(l));
    assert.equal(lines.length, 2, objectText(errors[0]));
    assert.deepEqual(lines.map((l) => Buffer.from(l.rawData, 'base64').toString()).sort(), [...bad].sort());
    for (const line of lines) {
      const raw = Buffer.from(line.rawData, 'base64').toString();
      assert.deepEqual(Object.keys(line).sort(), [
        'ErrorCode', 'ErrorMessage', 'arrivalTimestamp', 'attemptEndingTimestamp', 'attemptsMade', 'dataCatalogTable',
        'rawData', 'recordId', 'sequenceNumber', 'subSequenceNumber',
      ], JSON.stringify(line));
      assert.equal(line.attemptsMade, 1);
      assert.equal(line.ErrorCode, 'DataFormatConversion.MalformedData');
      assert.equal(typeof line.ErrorMessage, 'string');
      assert.ok(line.ErrorMessage.length > 0);
      assert.equal(typeof line.arrivalTimestamp, 'number');
      assert.ok(line.arrivalTimestamp >= putAt - 1000 && line.arrivalTimestamp <= Date.now() + 1000,
                `arrivalTimestamp ${line.arrivalTimestamp} is not the time of the put (${putAt})`);
      assert.ok(line.attemptEndingTimestamp >= line.arrivalTimestamp, JSON.stringify(line));
      assert.match(line.sequenceNumber, /^\d+$/);
      assert.equal(line.subSequenceNumber, 0);
      assert.equal(line.recordId, idOf(raw), `recordId of ${raw}`);
      assert.deepEqual(line.dataCatalogTable, {
        catalogId: '', databaseName: 'iot', tableName: 'readings', region: '', versionId: '1',
      });
    }
    const byRaw = Object.fromEntries(lines.map((l) => [Buffer.from(l.rawData, 'base64').toString(), l]));
    assert.match(byRaw[bad[0]].ErrorMessage, /JSON/);
    assert.match(byRaw[bad[1]].ErrorMessage, /seq/);
    assert.match(byRaw[bad[1]].ErrorMessage, /high/);
    assert.notEqual(byRaw[bad[0]].sequenceNumber, byRaw[bad[1]].sequenceNumber);
  });

  test('a crawler over the Parquet objects catalogs a Parquet table with their columns', async () => {
    // The objects of the test before: a crawler reads their schema from the Parquet footers.
    await server.cliOk(['crawler', 'create', 'landed', '--source', `s3://${BUCKET}/parquet/`,
                        '--database', 'iot', '--table', 'landed']);
    const run = await server.cliOk(['crawler', 'run', 'landed']);
    assert.match(run.stdout, /succeeded/, run.stdout);
    const table = (await glue.send(new G.GetTableCommand({ DatabaseName: 'iot', Name: 'landed' }))).Table;
    assert.equal(table.Parameters.classification, 'parquet', JSON.stringify(table.Parameters));
    assert.equal(table.Parameters.compressionType, 'snappy');
    assert.equal(table.Parameters.recordCount, '3', JSON.stringify(table.Parameters));
    // The stream's table's columns, struct and array too (nested Parquet columns).
    const written = Object.fromEntries(COLUMNS.map((c) => [c.Name, c.Type]));
    assert.deepEqual(Object.fromEntries(table.StorageDescriptor.Columns.map((c) => [c.Name, c.Type])), written);

    // A Parquet object another tool wrote (DuckDB), with DECIMAL columns: cataloged as the
    // decimals they are.
    const file = path.join(server.dataDir, 'duck.parquet');
    const inst = await duckdb.DuckDBInstance.create(':memory:');
    const con = await inst.connect();
    try {
      await con.run(`COPY (SELECT 'meter-1' AS device, 12.34::DECIMAL(4,2) AS price, 1.5::DECIMAL(12,3) AS total)
                     TO '${file}' (FORMAT parquet)`);
    } finally {
      con.closeSync();
      inst.closeSync();
    }
    const s3 = new S3.S3Client({ endpoint: server.endpoint, region: 'us-east-1', forcePathStyle: true, maxAttempts: 1,
                                 credentials: { accessKeyId: 'admin', secretAccessKey: server.token } });
    try {
      await s3.send(new S3.PutObjectCommand({ Bucket: BUCKET, Key: 'duck/d.parquet', Body: fs.readFileSync(file) }));
    } finally {
      s3.destroy();
    }
    await server.cliOk(['crawler', 'create', 'duck', '--source', `s3://${BUCKET}/duck/`, '--database', 'iot', '--table', 'duck']);
    assert.match((await server.cliOk(['crawler', 'run', 'duck'])).stdout, /succeeded/);
    const duck = (await glue.send(new G.GetTableCommand({ DatabaseName: 'iot', Name: 'duck' }))).Table;
    assert.deepEqual(duck.StorageDescriptor.Columns.map((c) => [c.Name, c.Type]),
                     [['device', 'string'], ['price', 'decimal(4,2)'], ['total', 'decimal(12,3)']]);
  });

  test('refused by AWS\'s names: OrcSerDe, a missing table, GZIP beside conversion, Enabled without a schema', async () => {
    const withOrc = conversion();
    withOrc.OutputFormatConfiguration = { Serializer: { OrcSerDe: {} } };
    const noSchema = conversion();
    delete noSchema.SchemaConfiguration;
    const refused = [
      ['OrcSerDe', convertingStream('refused', withOrc), 'InvalidArgumentException', /ORC is not supported/],
      ['a table that does not exist', convertingStream('refused', conversion('nowhere')),
       'ResourceNotFoundException',
       /^ExtendedS3DestinationConfiguration\.DataFormatConversionConfiguration: table 'iot\.nowhere' does not exist/],
      ['CompressionFormat GZIP with conversion', convertingStream('refused', conversion(), { CompressionFormat: 'GZIP' }),
       'InvalidArgumentException', /^ExtendedS3DestinationConfiguration\.CompressionFormat: must be none \(UNCOMPRESSED\)/],
      ['Enabled without SchemaConfiguration', convertingStream('refused', { Enabled: true, ...noSchema }),
       'InvalidArgumentException', /SchemaConfiguration/],
    ];
    for (const [what, request, name, message] of refused) {
      await rejectsAws(send(new F.CreateDeliveryStreamCommand(request)), name, 400, message, what);
      await rejectsAws(describeStream('refused'), 'ResourceNotFoundException', 400, /refused/,
                       `the stream after a create with ${what}`);
    }

    // An update to a missing table is refused too; the stream keeps its table.
    const d = await describeStream(STREAM);
    await rejectsAws(send(new F.UpdateDestinationCommand({
      DeliveryStreamName: STREAM, CurrentDeliveryStreamVersionId: d.VersionId, DestinationId: DESTINATION_ID,
      ExtendedS3DestinationUpdate: { DataFormatConversionConfiguration: conversion('nowhere') },
    })), 'ResourceNotFoundException', 400,
    /^ExtendedS3DestinationUpdate\.DataFormatConversionConfiguration: table 'iot\.nowhere'/, 'an update to a missing table');
    assert.deepEqual((await destination(STREAM)).DataFormatConversionConfiguration, described(),
                     'a refused update changed the conversion');
  });

  test('UpdateDestination with Enabled false keeps the configuration; later records land as put', async () => {
    const d = await describeStream(STREAM);
    await send(new F.UpdateDestinationCommand({
      DeliveryStreamName: STREAM, CurrentDeliveryStreamVersionId: d.VersionId, DestinationId: DESTINATION_ID,
      ExtendedS3DestinationUpdate: { DataFormatConversionConfiguration: { ...conversion(), Enabled: false } },
    }));
    assert.deepEqual((await destination(STREAM)).DataFormatConversionConfiguration, described(false));
    const native = (await server.api('GET', `/v1/streams/${STREAM}`)).json.config.format_conversion;
    assert.equal(native.enabled, false);
    assert.equal(native.table, 'readings');

    const before = new Set(lakeRecords(server, BUCKET).objects.map((o) => o.key));
    const record = `${JSON.stringify({ device: 'meter-5', seq: 'not a number now', plain: true })}\n`;
    await send(new F.PutRecordCommand({ DeliveryStreamName: STREAM, Record: { Data: Buffer.from(record) } }));
    await flush(STREAM);
    const lake = await waitForLake(server, BUCKET, (l) => l.objects.some((o) => !before.has(o.key)),
                                   { timeoutMs: 15000, what: 'the record put after conversion was disabled' });
    const fresh = lake.objects.filter((o) => !before.has(o.key));
    assert.equal(fresh.length, 1, `new objects: ${fresh.map((o) => o.key).join(', ')}`);
    assert.match(fresh[0].key, firehoseKeyPattern(STREAM, `parquet/${HOUR}`));
    assert.ok(!isParquet(fresh[0]), `${fresh[0].key} is Parquet with conversion disabled`);
    assert.equal(objectText(fresh[0]), record);

    // {"Enabled": true} alone turns it back on with the settings kept; {"Enabled": false}
    // alone off again, keeping them.
    for (const enabled of [true, false]) {
      const now = await describeStream(STREAM);
      await send(new F.UpdateDestinationCommand({
        DeliveryStreamName: STREAM, CurrentDeliveryStreamVersionId: now.VersionId, DestinationId: DESTINATION_ID,
        ExtendedS3DestinationUpdate: { DataFormatConversionConfiguration: { Enabled: enabled } },
      }));
      assert.deepEqual((await destination(STREAM)).DataFormatConversionConfiguration, described(enabled),
                       `after {Enabled: ${enabled}} alone`);
    }
  });

  test('S3BackupMode Enabled: every record as put, gzipped, in the backup bucket beside the Parquet', async () => {
    await send(new F.CreateDeliveryStreamCommand(convertingStream('backed-up', conversion(), {
      S3BackupMode: 'Enabled',
      S3BackupConfiguration: { RoleARN: ROLE, BucketARN: 'arn:aws:s3:::raw-backup', Prefix: 'source/',
                               CompressionFormat: 'GZIP' },
    })));
    const s3 = await destination('backed-up');
    assert.equal(s3.S3BackupMode, 'Enabled');
    assert.equal(s3.S3BackupDescription.BucketARN, 'arn:aws:s3:::raw-backup');
    assert.equal(s3.S3BackupDescription.Prefix, 'source/');
    assert.equal(s3.S3BackupDescription.CompressionFormat, 'GZIP');
    const records = [
      `${JSON.stringify({ device: 'b-1', seq: 1, temp: 20.5 })}\n`,
      `${JSON.stringify({ device: 'b-1', seq: 2, temp: 'not a number' })}\n`,  // fails conversion
      `${JSON.stringify({ device: 'b-2', seq: 3, temp: 21 })}\n`,
    ];
    const put = await send(new F.PutRecordBatchCommand({
      DeliveryStreamName: 'backed-up', Records: records.map((r) => ({ Data: Buffer.from(r) })) }));
    assert.equal(put.FailedPutCount, 0);
    await flush('backed-up');
    const backup = await waitForLake(server, 'raw-backup', (l) => l.objects.length >= 1,
                                     { timeoutMs: 15000, what: 'the backup object' });
    assert.equal(backup.objects.length, 1, backup.objects.map((o) => o.key).join(', '));
    const [copy] = backup.objects;
    assert.match(copy.key, firehoseKeyPattern('backed-up', `source/${HOUR}`, '\\.gz'));
    assert.equal(objectText(copy), records.join(''), 'every record as put, the one that did not convert too');
    // The Parquet holds the two that converted; the third went to the error prefix.
    const lake = await waitForLake(server, BUCKET,
                                   (l) => l.objects.some((o) => o.key.includes('/backed-up-1-') && isParquet(o)),
                                   { timeoutMs: 15000, what: 'the backed-up stream\'s Parquet object' });
    const parquet = lake.objects.filter((o) => o.key.includes('/backed-up-1-') && isParquet(o));
    assert.equal(parquet.length, 1);
    const { rows } = await readParquet(lakeFile(parquet[0].key), 'device, seq');
    assert.deepEqual(rows, [{ device: 'b-1', seq: 1 }, { device: 'b-2', seq: 3 }]);

    // Turned off by UpdateDestination: described Disabled, and later records are not copied.
    await send(new F.UpdateDestinationCommand({
      DeliveryStreamName: 'backed-up', CurrentDeliveryStreamVersionId: '1', DestinationId: 'destinationId-000000000001',
      ExtendedS3DestinationUpdate: { S3BackupMode: 'Disabled' } }));
    assert.equal((await destination('backed-up')).S3BackupMode, 'Disabled');
    assert.equal((await destination('backed-up')).S3BackupDescription, undefined);
    await send(new F.PutRecordCommand({ DeliveryStreamName: 'backed-up',
                                        Record: { Data: Buffer.from(`${JSON.stringify({ device: 'b-3', seq: 4 })}\n`) } }));
    await flush('backed-up');
    assert.equal((await lakeRecords(server, 'raw-backup')).objects.length, 1, 'a record copied after Disabled');

    // The CLI's flags, and what describe shows.
    await server.cliOk(['stream', 'update', 'backed-up', '--backup-bucket', 'raw-backup', '--backup-prefix', 'cli/']);
    assert.match((await server.cliOk(['stream', 'describe', 'backed-up'])).stdout,
                 /^backup: +s3:\/\/raw-backup\/cli\/ \(none\)$/m);
    const refused = await server.cli(['stream', 'update', 'backed-up', '--backup-bucket', 'raw-backup',
                                      '--backup-prefix', 'd/!{partitionKeyFromQuery:device}/']);
    assert.notEqual(refused.code, 0);
    assert.match(refused.stderr, /--backup-prefix: partitionKeyFromQuery at position 2 is only allowed in the prefix/);
  });

  test('the CLI: stream create --parquet-table, describe --json, put read by DuckDB, update --parquet-table ""', async () => {
    await server.cliOk(['stream', 'create', 'cli-parquet', '--bucket', 'cli-parquet-lake', '--prefix', 'cli/',
                        '--buffer-interval-s', '0', '--parquet-table', 'iot.readings', '--parquet-compression', 'gzip']);
    const describeCli = async () => JSON.parse((await server.cliOk(['stream', 'describe', 'cli-parquet', '--json'])).stdout);
    const f = (await describeCli()).config.format_conversion;
    assert.ok(f, 'no format_conversion in stream describe --json');
    assert.equal(f.enabled, true);
    assert.equal(f.database, 'iot');
    assert.equal(f.table, 'readings');
    assert.equal(f.compression, 'gzip');
    assert.equal(f.version_id, 'LATEST');
    // Without --json, the conversion in a line.
    const shown = (await server.cliOk(['stream', 'describe', 'cli-parquet'])).stdout;
    assert.match(shown, /^format: +parquet by table iot\.readings \(gzip\)$/m, shown);
    const s3 = await destination('cli-parquet');
    assert.equal(s3.DataFormatConversionConfiguration.Enabled, true);
    assert.equal(s3.DataFormatConversionConfiguration.OutputFormatConfiguration.Serializer.ParquetSerDe.Compression, 'GZIP');

    const record = JSON.stringify({ device: 'cli-1', seq: 7, temp: 0.25, ok: true, level: 2, ts: '2026-12-03T12:00:00.250Z' });
    await server.cliOk(['stream', 'put', 'cli-parquet', '--data', record]);
    await flush('cli-parquet');
    const lake = await waitForLake(server, 'cli-parquet-lake', (l) => l.objects.length >= 1,
                                   { timeoutMs: 15000, what: 'the Parquet object of the record put with the CLI' });
    assert.equal(lake.objects.length, 1, lake.objects.map((o) => o.key).join(', '));
    const [object] = lake.objects;
    assert.match(object.key, firehoseKeyPattern('cli-parquet', `cli/${HOUR}`));
    assert.ok(isParquet(object), `${object.key} is not a Parquet file`);
    const { rows, types, codecs } = await readParquet(lakeFile(object.key, 'cli-parquet-lake'), SELECT);
    assert.deepEqual(types, DUCK_TYPES);
    assert.deepEqual(rows, [{ device: 'cli-1', seq: 7, temp: 0.25, ok: true, level: 2,
                              ts_ms: Date.UTC(2026, 11, 3, 12, 0, 0, 250), day: null, price: null, meta: null,
                              tags: null }]);
    assert.deepEqual(codecs, ['GZIP']);

    // "" stops converting: the next record is stored as put.
    await server.cliOk(['stream', 'update', 'cli-parquet', '--parquet-table', '']);
    const after = (await describeCli()).config;
    assert.ok(!after.format_conversion || after.format_conversion.enabled === false,
              `still converting: ${JSON.stringify(after.format_conversion)}`);
    assert.match((await server.cliOk(['stream', 'describe', 'cli-parquet'])).stdout, /^format: +records as put$/m);
    const plain = `${JSON.stringify({ device: 'cli-2', seq: 8 })}\n`;
    await server.cliOk(['stream', 'put', 'cli-parquet', '--data', plain]);
    await flush('cli-parquet');
    const both = await waitForLake(server, 'cli-parquet-lake', (l) => l.objects.length >= 2,
                                   { timeoutMs: 15000, what: 'the record put once conversion stopped' });
    const fresh = both.objects.filter((o) => o.key !== object.key);
    assert.equal(fresh.length, 1, both.objects.map((o) => o.key).join(', '));
    assert.ok(!isParquet(fresh[0]), `${fresh[0].key} is Parquet after --parquet-table ""`);
    assert.equal(objectText(fresh[0]), plain);
  });
});
