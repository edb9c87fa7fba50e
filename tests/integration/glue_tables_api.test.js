// Glue's operations that define tables by hand on POST / (AWS JSON 1.1, X-Amz-Target
// AWSGlue.<operation>): CreateTable, UpdateTable, DeleteTable, BatchDeleteTable, and the
// partitions of such a table (CreatePartition, BatchCreatePartition, DeletePartition,
// BatchDeletePartition, UpdatePartition, BatchUpdatePartition; a Hive location by default, per-partition
// errors), driven
// by the AWS SDK's own clients (`@aws-sdk/client-glue`, `@aws-sdk/client-s3`; SigV4 with
// access key id 'admin' and the admin token as the secret). A table defined over JSON
// Lines put with PutObject (no crawler) is what GetTable, /v1/catalog and an ETL job see:
// the job reads its objects by the hand-written schema into Parquet that DuckDB
// (`@duckdb/node-api`) reads back. UpdateTable with a new column makes version 2 (a stale VersionId is
// ConcurrentModificationException), a Description round-trips, and GetTable's own answer
// sent back (as Terraform does) is taken. The refusals by Glue's names, each naming the
// field: a table that exists (AlreadyExistsException), a missing database or table
// (EntityNotFoundException), a type that is not a Hive type, no columns, no location, a
// format not served (CSV), views, bucketed storage. Partition indexes: CreateTable's
// PartitionIndexes, CreatePartitionIndex, GetPartitionIndexes (keys with their types,
// ACTIVE), DeletePartitionIndex and their refusals (not a partition key, a name taken, a
// fourth index). DeleteTable and BatchDeleteTable (its per-table errors).
'use strict';

const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const G = require('@aws-sdk/client-glue');
const S3 = require('@aws-sdk/client-s3');
const duckdb = require('@duckdb/node-api');
const { Server, describeRun, makeTempDir } = require('./harness');
const { rejectsAws } = require('./aws');
const { tributaryS3 } = require('./s3');

const BUCKET = 'iot-data';
const READINGS = [
  { device: 'sensor-1', ozone: 41, pm10: 12.5, ts: '2026-12-03T10:00:00Z' },
  { device: 'sensor-2', ozone: 38, pm10: 9.25, ts: '2026-12-03T10:01:00Z' },
  { device: 'sensor-1', ozone: 44, pm10: 13.0, ts: '2026-12-03T10:02:00Z' },
];

describe('Glue CreateTable, UpdateTable, DeleteTable, BatchDeleteTable through the AWS SDK', { timeout: 90000 }, () => {
  let server;
  let glue;
  let s3;
  const send = (command) => glue.send(command);
  const getTable = async (name) => (await send(new G.GetTableCommand({ DatabaseName: 'iot', Name: name }))).Table;
  // A TableInput over `prefix` of BUCKET that CreateTable takes; `more` changes it.
  const tableInput = (name, more = {}, storage = {}) => ({
    Name: name,
    TableType: 'EXTERNAL_TABLE',
    Parameters: { classification: 'json' },
    StorageDescriptor: {
      Columns: [{ Name: 'device', Type: 'string' }, { Name: 'ozone', Type: 'bigint' }, { Name: 'pm10', Type: 'double' }],
      Location: `s3://${BUCKET}/manual/`,
      ...storage,
    },
    ...more,
  });

  before(async () => {
    server = await Server.start({ tag: 'glue-tables' });
    const options = { endpoint: server.endpoint, region: 'us-east-1', maxAttempts: 1,
                      credentials: { accessKeyId: 'admin', secretAccessKey: server.token } };
    glue = new G.GlueClient(options);
    s3 = tributaryS3(server);
    await s3.send(new S3.CreateBucketCommand({ Bucket: BUCKET }));
    await s3.send(new S3.PutObjectCommand({ Bucket: BUCKET, Key: 'manual/readings.json',
                                            Body: READINGS.map((r) => `${JSON.stringify(r)}\n`).join('') }));
    await send(new G.CreateDatabaseCommand({ DatabaseInput: { Name: 'iot' } }));
  });

  after(async () => {
    if (glue) glue.destroy();
    if (s3) s3.destroy();
    if (server) await server.dispose();
  });

  test('CreateTable over objects no crawler read: GetTable and /v1/catalog show it; an ETL job reads it into Parquet', async () => {
    await send(new G.CreateTableCommand({ DatabaseName: 'iot', TableInput: tableInput('manual', { Description: 'hand-made' }) }));
    const t = await getTable('manual');
    assert.deepEqual(t.StorageDescriptor.Columns.map((c) => [c.Name, c.Type]),
                     [['device', 'string'], ['ozone', 'bigint'], ['pm10', 'double']]);
    assert.equal(t.StorageDescriptor.Location, `s3://${BUCKET}/manual/`);
    assert.equal(t.StorageDescriptor.SerdeInfo.SerializationLibrary, 'org.openx.data.jsonserde.JsonSerDe');
    assert.equal(t.Parameters.classification, 'json');
    assert.equal(t.Description, 'hand-made');
    assert.equal(t.VersionId, '1');
    const catalog = await server.api('GET', '/v1/catalog/databases/iot/tables/manual');
    assert.equal(catalog.status, 200, catalog.text);
    assert.equal(catalog.json.location, `s3://${BUCKET}/manual/`, catalog.text);
    assert.deepEqual(catalog.json.versions.map((v) => [v.version, v.created_by]), [[1, 'glue:CreateTable']], catalog.text);

    // The table is an ETL job's source like a crawled one: its objects, by its schema.
    const dir = makeTempDir('glue-tables-job');
    const doc = path.join(dir, 'curate.yaml');
    fs.writeFileSync(doc, `source: {database: iot, table: manual}
transforms:
  - apply_mapping:
      - [device, string, device, string]
      - [ozone, bigint, ozone, double]
target: {path: ${BUCKET}/curated/, format: parquet, database: iot, table: curated}
`);
    const created = await server.cli(['job', 'create', 'curate', '--file', doc]);
    assert.equal(created.code, 0, describeRun('job create', created));
    const ran = await server.cli(['job', 'run', 'curate'], { timeoutMs: 60000 });
    assert.equal(ran.code, 0, describeRun('job run', ran));
    const curated = await getTable('curated');
    assert.equal(curated.Parameters.classification, 'parquet');
    assert.equal(curated.Parameters.recordCount, String(READINGS.length));
    // DuckDB reads the Parquet the job wrote: the hand-written types, ozone made a double.
    const inst = await duckdb.DuckDBInstance.create(':memory:');
    const con = await inst.connect();
    const result = await con.runAndReadAll(
      `SELECT device, ozone, typeof(ozone) AS t FROM read_parquet('${path.join(server.dataDir, 'lake', BUCKET, 'curated')}/**/*.parquet') ORDER BY ozone`);
    assert.deepEqual(result.getRows(), [['sensor-2', 38, 'DOUBLE'], ['sensor-1', 41, 'DOUBLE'], ['sensor-1', 44, 'DOUBLE']]);
  });

  test('UpdateTable: a new column makes version 2; a stale VersionId is refused; GetTable\'s answer sent back is taken; GetTableVersions and GetTableVersion', async () => {
    const before = await getTable('manual');
    const input = tableInput('manual', {}, {
      Columns: [...before.StorageDescriptor.Columns.map(({ Name, Type }) => ({ Name, Type })), { Name: 'ts', Type: 'timestamp' }],
    });
    await send(new G.UpdateTableCommand({ DatabaseName: 'iot', TableInput: input, VersionId: before.VersionId }));
    const after = await getTable('manual');
    assert.equal(after.VersionId, '2');
    assert.deepEqual(after.StorageDescriptor.Columns.map((c) => c.Name), ['device', 'ozone', 'pm10', 'ts']);
    await rejectsAws(send(new G.UpdateTableCommand({ DatabaseName: 'iot', TableInput: input, VersionId: '1' })),
                     'ConcurrentModificationException', 400, /VersionId 1 is not the table's current version \(2\)/);
    // A tool's read-modify-write: GetTable's own fields, the counts among its Parameters.
    const { Name, StorageDescriptor, PartitionKeys, TableType, Parameters } = after;
    await send(new G.UpdateTableCommand({ DatabaseName: 'iot', TableInput: {
      Name, StorageDescriptor, PartitionKeys, TableType, Parameters, Description: 'edited' } }));
    const again = await getTable('manual');
    assert.equal(again.VersionId, '2', 'the same schema is the same version');
    assert.equal(again.Description, 'edited');

    // The schema's history: newest first, each version's columns; paged; one by its id.
    const versions = await send(new G.GetTableVersionsCommand({ DatabaseName: 'iot', TableName: 'manual' }));
    assert.deepEqual(versions.TableVersions.map((v) => [v.VersionId, v.Table.StorageDescriptor.Columns.map((c) => c.Name)]),
                     [['2', ['device', 'ozone', 'pm10', 'ts']], ['1', ['device', 'ozone', 'pm10']]]);
    const first = await send(new G.GetTableVersionsCommand({ DatabaseName: 'iot', TableName: 'manual', MaxResults: 1 }));
    assert.deepEqual(first.TableVersions.map((v) => v.VersionId), ['2']);
    const rest = await send(new G.GetTableVersionsCommand({ DatabaseName: 'iot', TableName: 'manual', MaxResults: 1,
                                                             NextToken: first.NextToken }));
    assert.deepEqual(rest.TableVersions.map((v) => v.VersionId), ['1']);
    assert.equal(rest.NextToken, undefined);
    const one = await send(new G.GetTableVersionCommand({ DatabaseName: 'iot', TableName: 'manual', VersionId: '1' }));
    assert.equal(one.TableVersion.Table.StorageDescriptor.Columns.length, 3);
    const current = await send(new G.GetTableVersionCommand({ DatabaseName: 'iot', TableName: 'manual' }));
    assert.equal(current.TableVersion.VersionId, '2');
    await rejectsAws(send(new G.GetTableVersionCommand({ DatabaseName: 'iot', TableName: 'manual', VersionId: '9' })),
                     'EntityNotFoundException', 400);
  });

  test('refusals by Glue\'s names, each naming the field', async () => {
    await rejectsAws(send(new G.CreateTableCommand({ DatabaseName: 'iot', TableInput: tableInput('manual') })),
                     'AlreadyExistsException', 400, /iot\.manual exists/);
    await rejectsAws(send(new G.CreateTableCommand({ DatabaseName: 'nowhere', TableInput: tableInput('t') })),
                     'EntityNotFoundException', 400, /nowhere/);
    await rejectsAws(send(new G.UpdateTableCommand({ DatabaseName: 'iot', TableInput: tableInput('absent') })),
                     'EntityNotFoundException', 400, /absent/);
    const refused = [
      [tableInput('t', {}, { Columns: [{ Name: 'x', Type: 'varchar2' }] }), /varchar2/],
      [tableInput('t', {}, { Columns: [] }), /StorageDescriptor\.Columns: required/],
      [tableInput('t', {}, { Location: undefined }), /StorageDescriptor\.Location: required/],
      [tableInput('t', {}, { Location: 'hdfs://namenode/x/' }), /StorageDescriptor\.Location.*scheme 'hdfs'/],
      [tableInput('t', { Parameters: { classification: 'csv' } }), /classification: 'csv' is not served/],
      [tableInput('t', { Parameters: {} }, { SerdeInfo: { SerializationLibrary: 'org.apache.hadoop.hive.serde2.OpenCSVSerde' } }),
       /OpenCSVSerde.*not served/],
      [tableInput('t', { TableType: 'VIRTUAL_VIEW', ViewOriginalText: 'SELECT 1' }), /ViewOriginalText: views are not served/],
      [tableInput('t', {}, { BucketColumns: ['device'], NumberOfBuckets: 4 }), /BucketColumns: not served/],
    ];
    for (const [input, message] of refused) {
      await rejectsAws(send(new G.CreateTableCommand({ DatabaseName: 'iot', TableInput: input })),
                       'InvalidInputException', 400, message, JSON.stringify(input));
    }
    // Empty lists and objects are what tools send for what they leave unset: taken.
    await send(new G.CreateTableCommand({ DatabaseName: 'iot', TableInput: tableInput('unset', {}, {
      BucketColumns: [], SortColumns: [], SkewedInfo: { SkewedColumnNames: [], SkewedColumnValues: [], SkewedColumnValueLocationMaps: {} },
    }) }));
    assert.equal((await getTable('unset')).Name, 'unset');
  });

  test('partitions by hand: BatchCreatePartition (a Hive location by default), CreatePartition, DeletePartition, BatchDeletePartition, UpdatePartition', async () => {
    await send(new G.CreateTableCommand({ DatabaseName: 'iot', TableInput: tableInput('by_day', {
      PartitionKeys: [{ Name: 'year', Type: 'string' }, { Name: 'month', Type: 'string' }] }, { Location: `s3://${BUCKET}/days/` }) }));
    const made = await send(new G.BatchCreatePartitionCommand({ DatabaseName: 'iot', TableName: 'by_day', PartitionInputList: [
      { Values: ['2026', '11'] },
      { Values: ['2026', '12'], StorageDescriptor: { Location: `s3://${BUCKET}/days/2026/12/` } },
      { Values: ['2026'] },
    ] }));
    assert.deepEqual(made.Errors.map((e) => [e.PartitionValues, e.ErrorDetail.ErrorCode]), [[['2026'], 'InvalidInputException']]);
    assert.match(made.Errors[0].ErrorDetail.ErrorMessage, /1 values for the 2 partition keys of iot\.by_day/);
    const listed = async () => (await send(new G.GetPartitionsCommand({ DatabaseName: 'iot', TableName: 'by_day' })))
      .Partitions.map((p) => [p.Values.join('/'), p.StorageDescriptor.Location]);
    assert.deepEqual(await listed(), [['2026/11', `s3://${BUCKET}/days/year=2026/month=11/`],
                                      ['2026/12', `s3://${BUCKET}/days/2026/12/`]]);
    await rejectsAws(send(new G.CreatePartitionCommand({ DatabaseName: 'iot', TableName: 'by_day',
                                                        PartitionInput: { Values: ['2026', '11'] } })),
                     'AlreadyExistsException', 400, /partition \(2026, 11\) of iot\.by_day exists/);
    await send(new G.CreatePartitionCommand({ DatabaseName: 'iot', TableName: 'by_day', PartitionInput: { Values: ['2027', '01'] } }));
    await rejectsAws(send(new G.CreatePartitionCommand({ DatabaseName: 'iot', TableName: 'absent',
                                                        PartitionInput: { Values: ['1', '2'] } })), 'EntityNotFoundException', 400);
    await send(new G.DeletePartitionCommand({ DatabaseName: 'iot', TableName: 'by_day', PartitionValues: ['2026', '11'] }));
    await rejectsAws(send(new G.DeletePartitionCommand({ DatabaseName: 'iot', TableName: 'by_day', PartitionValues: ['2026', '11'] })),
                     'EntityNotFoundException', 400);
    const deleted = await send(new G.BatchDeletePartitionCommand({ DatabaseName: 'iot', TableName: 'by_day',
      PartitionsToDelete: [{ Values: ['2026', '12'] }, { Values: ['1999', '01'] }] }));
    assert.deepEqual(deleted.Errors.map((e) => [e.PartitionValues, e.ErrorDetail.ErrorCode]), [[['1999', '01'], 'EntityNotFoundException']]);
    assert.deepEqual(await listed(), [['2027/01', `s3://${BUCKET}/days/year=2027/month=01/`]]);

    // UpdatePartition: a new location (same values), then new values (its location kept);
    // values another partition has, or a partition that is not there, refused.
    const update = (values, input) => send(new G.UpdatePartitionCommand({
      DatabaseName: 'iot', TableName: 'by_day', PartitionValueList: values, PartitionInput: input }));
    await update(['2027', '01'], { Values: ['2027', '01'], StorageDescriptor: { Location: `s3://${BUCKET}/moved/01/` } });
    assert.deepEqual(await listed(), [['2027/01', `s3://${BUCKET}/moved/01/`]]);
    await update(['2027', '01'], { Values: ['2027', '02'] });
    assert.deepEqual(await listed(), [['2027/02', `s3://${BUCKET}/moved/01/`]]);
    await send(new G.CreatePartitionCommand({ DatabaseName: 'iot', TableName: 'by_day', PartitionInput: { Values: ['2027', '03'] } }));
    await rejectsAws(update(['2027', '03'], { Values: ['2027', '02'] }), 'AlreadyExistsException', 400,
                     /PartitionInput\.Values: that partition of iot\.by_day exists/);
    await rejectsAws(update(['1999', '01'], { Values: ['1999', '02'] }), 'EntityNotFoundException', 400);
    await rejectsAws(update(['2027', '03'], { Values: ['2027'] }), 'InvalidInputException', 400,
                     /PartitionInput\.Values: 1 values for the 2 partition keys/);
    assert.deepEqual(await listed(), [['2027/02', `s3://${BUCKET}/moved/01/`],
                                      ['2027/03', `s3://${BUCKET}/days/year=2027/month=03/`]]);
    // BatchUpdatePartition: each entry as UpdatePartition, each refusal in Errors.
    const batch = await send(new G.BatchUpdatePartitionCommand({ DatabaseName: 'iot', TableName: 'by_day', Entries: [
      { PartitionValueList: ['2027', '02'], PartitionInput: { Values: ['2027', '04'] } },
      { PartitionValueList: ['1999', '01'], PartitionInput: { Values: ['1999', '01'] } },
      { PartitionValueList: ['2027', '03'], PartitionInput: { Values: ['2027', '04'] } },
    ] }));
    assert.deepEqual(batch.Errors.map((e) => [e.PartitionValueList, e.ErrorDetail.ErrorCode]),
                     [[['1999', '01'], 'EntityNotFoundException'], [['2027', '03'], 'AlreadyExistsException']]);
    assert.match(batch.Errors[1].ErrorDetail.ErrorMessage, /Entries\[2\]\.PartitionInput\.Values: that partition/);
    assert.deepEqual(await listed(), [['2027/03', `s3://${BUCKET}/days/year=2027/month=03/`],
                                      ['2027/04', `s3://${BUCKET}/moved/01/`]]);
    await send(new G.DeleteTableCommand({ DatabaseName: 'iot', Name: 'by_day' }));

    // GetPartitions' Expression compares keys typed as numbers as numbers.
    await send(new G.CreateTableCommand({ DatabaseName: 'iot', TableInput: tableInput('by_year', {
      PartitionKeys: [{ Name: 'year', Type: 'int' }, { Name: 'site', Type: 'string' }] }, { Location: `s3://${BUCKET}/years/` }) }));
    await send(new G.BatchCreatePartitionCommand({ DatabaseName: 'iot', TableName: 'by_year', PartitionInputList: [
      { Values: ['2024', 'north'] }, { Values: ['2025', 'south'] }, { Values: ['2026', 'north'] }] }));
    const matching = async (Expression) => (await send(new G.GetPartitionsCommand({ DatabaseName: 'iot', TableName: 'by_year',
      Expression }))).Partitions.map((p) => p.Values.join('/'));
    assert.deepEqual(await matching('year >= 2025'), ['2025/south', '2026/north']);
    assert.deepEqual(await matching("year < 2026 AND site = 'north'"), ['2024/north']);
    assert.deepEqual(await matching("year IN (2024, 2026) OR site IN ('south')"), ['2024/north', '2025/south', '2026/north']);
    // What an engine pushes down for a range of years and sites, and a string key compared as text.
    assert.deepEqual(await matching("year BETWEEN 2025 AND 2030 AND site LIKE 'n%'"), ['2026/north']);
    assert.deepEqual(await matching("site >= 'o'"), ['2025/south']);
    await rejectsAws(send(new G.GetPartitionsCommand({ DatabaseName: 'iot', TableName: 'by_year', Expression: 'month = 1' })),
                     'InvalidInputException', 400, /Expression 'month = 1': column 1: expected a partition key \(year, site\)/);
    await send(new G.DeleteTableCommand({ DatabaseName: 'iot', Name: 'by_year' }));
  });

  test('partition indexes: with CreateTable, created, listed and deleted; refusals by Glue\'s names', async () => {
    await send(new G.CreateTableCommand({ DatabaseName: 'iot', TableInput: tableInput('indexed', {
      PartitionKeys: [{ Name: 'year', Type: 'int' }, { Name: 'site', Type: 'string' }],
    }), PartitionIndexes: [{ IndexName: 'by_site', Keys: ['site'] }] }));
    await send(new G.CreatePartitionIndexCommand({ DatabaseName: 'iot', TableName: 'indexed',
                                                   PartitionIndex: { IndexName: 'by_year_site', Keys: ['year', 'site'] } }));
    const listed = async () => (await send(new G.GetPartitionIndexesCommand({ DatabaseName: 'iot', TableName: 'indexed' })))
      .PartitionIndexDescriptorList.map((d) => [d.IndexName, d.Keys.map((k) => `${k.Name}:${k.Type}`), d.IndexStatus]);
    assert.deepEqual(await listed(), [['by_site', ['site:string'], 'ACTIVE'], ['by_year_site', ['year:int', 'site:string'], 'ACTIVE']]);

    const create = (IndexName, Keys) => send(new G.CreatePartitionIndexCommand({
      DatabaseName: 'iot', TableName: 'indexed', PartitionIndex: { IndexName, Keys } }));
    await rejectsAws(create('by_device', ['device']), 'InvalidInputException', 400, /'device' is not a partition key of table 'iot.indexed' \(year, site\)/);
    await rejectsAws(create('by_site', ['year']), 'AlreadyExistsException', 400);
    await create('by_year', ['year']);
    await rejectsAws(create('fourth', ['site']), 'ResourceNumberLimitExceededException', 400);
    await rejectsAws(send(new G.CreateTableCommand({ DatabaseName: 'iot', TableInput: tableInput('bad_index'),
                                                     PartitionIndexes: [{ IndexName: 'x', Keys: ['year'] }] })),
                     'InvalidInputException', 400, /PartitionIndexes\[0\]\.Keys: 'year' is not one of the PartitionKeys/);
    await rejectsAws(getTable('bad_index'), 'EntityNotFoundException', 400);  // nothing was made

    await send(new G.DeletePartitionIndexCommand({ DatabaseName: 'iot', TableName: 'indexed', IndexName: 'by_year' }));
    await rejectsAws(send(new G.DeletePartitionIndexCommand({ DatabaseName: 'iot', TableName: 'indexed', IndexName: 'by_year' })),
                     'EntityNotFoundException', 400);
    assert.deepEqual((await listed()).map((d) => d[0]), ['by_site', 'by_year_site']);
    await send(new G.DeleteTableCommand({ DatabaseName: 'iot', Name: 'indexed' }));
    await rejectsAws(send(new G.GetPartitionIndexesCommand({ DatabaseName: 'iot', TableName: 'indexed' })),
                     'EntityNotFoundException', 400);
  });

  test('DeleteTable and BatchDeleteTable (per-table errors); the objects stay', async () => {
    await send(new G.DeleteTableCommand({ DatabaseName: 'iot', Name: 'unset' }));
    await rejectsAws(getTable('unset'), 'EntityNotFoundException', 400);
    await rejectsAws(send(new G.DeleteTableCommand({ DatabaseName: 'iot', Name: 'unset' })), 'EntityNotFoundException', 400);
    const out = await send(new G.BatchDeleteTableCommand({ DatabaseName: 'iot', TablesToDelete: ['manual', 'never-made'] }));
    assert.deepEqual(out.Errors.map((e) => [e.TableName, e.ErrorDetail.ErrorCode]), [['never-made', 'EntityNotFoundException']]);
    await rejectsAws(getTable('manual'), 'EntityNotFoundException', 400);
    const objects = await s3.send(new S3.ListObjectsV2Command({ Bucket: BUCKET, Prefix: 'manual/' }));
    assert.deepEqual(objects.Contents.map((o) => o.Key), ['manual/readings.json']);
  });
});
