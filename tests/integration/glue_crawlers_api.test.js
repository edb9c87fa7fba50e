// Glue's operations that make and remove crawlers and databases on POST / (AWS JSON 1.1,
// X-Amz-Target AWSGlue.<operation>): CreateCrawler, DeleteCrawler, StopCrawler,
// CreateDatabase and DeleteDatabase, driven by the AWS SDK's own clients
// (`@aws-sdk/client-glue`, `@aws-sdk/client-s3`; endpoint override, SigV4 with access key
// id 'admin' and the admin token as the secret). The reference's crawler step with AWS's
// tools alone: CreateBucket and PutObject of devices' JSON Lines readings under dated
// folders (raw/YYYY/MM/DD/HH/), one more object that the crawler's Exclusions glob leaves
// out, CreateDatabase, CreateCrawler (Role, TablePrefix and the settings that describe
// only AWS), StartCrawler, GetCrawler polled to READY with LastCrawl SUCCEEDED; then
// GetTables / GetTable / GetPartitions show `iot_raw` with the readings' columns and
// Glue types, the dated partition keys and only the crawled objects' records, as
// /v1/catalog and `tributary crawler describe` have them. The refusals by AWS's names,
// each naming the field; a crawl of a large gzipped object put with PutObject runs long
// enough for DeleteCrawler to be refused with CrawlerRunningException and StopCrawler to
// cancel it; DeleteCrawler and DeleteDatabase (its tables with it).
'use strict';

const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const zlib = require('node:zlib');
const G = require('@aws-sdk/client-glue');
const S3 = require('@aws-sdk/client-s3');
const { Server, describeRun } = require('./harness');
const { rejectsAws, waitCrawled: waitCrawledBy } = require('./aws');

const BUCKET = 'iot-data';
const ROLE = 'arn:aws:iam::123456789012:role/service-role/AWSGlueServiceRole-iot';
const EXCLUSION = '**/debug-*.json';

// The readings put under raw/, by key: two devices, every shape of value the payload has.
const reading = (device, i, hour) => ({
  device,
  ts: `2026-12-03T${String(hour).padStart(2, '0')}:${String(i).padStart(2, '0')}:00Z`,
  temperature: 20.5 + i,
  humidity: 40 + i,
  ok: i % 2 === 0,
  pos: { lat: 56.2 + i / 100, lon: 10.25 },
});
const OBJECTS = {
  'raw/2026/12/03/10/a.json': [reading('sensor-1', 0, 10), reading('sensor-2', 1, 10), reading('sensor-1', 2, 10),
                               reading('sensor-2', 3, 10)],
  'raw/2026/12/03/11/b.json': [reading('sensor-1', 4, 11), reading('sensor-2', 5, 11), reading('sensor-1', 6, 11)],
  'raw/2026/12/04/09/c.json': [reading('sensor-2', 7, 9), reading('sensor-1', 8, 9)],
};
const RECORDS = Object.values(OBJECTS).reduce((n, records) => n + records.length, 0);
// Left out by EXCLUSION: a device, a field and a dated folder found nowhere else.
const EXCLUDED_KEY = 'raw/2026/12/05/00/debug-1.json';
const EXCLUDED = Array.from({ length: 5 }, (_, i) => ({ ...reading('sensor-9', i, 0), debug_trace: `trace-${i}` }));

// The long crawl: objects of this many MiB of JSON Lines each, gzipped to a few hundred
// KiB, about a second of crawling each (glue_api.test.js's `slow` crawler reads as much).
const BULK_MIB = 96;
const BULK_LINE = '{"id":12345,"reading":1.5,"label":"abcdefgh","ok":true}\n';
const BULK_KEYS = ['bulk/batch=1/a.json.gz', 'bulk/batch=1/b.json.gz', 'bulk/batch=2/c.json.gz'];

const jsonLines = (records) => records.map((r) => `${JSON.stringify(r)}\n`).join('');

describe('Glue CreateCrawler, DeleteCrawler, StopCrawler, CreateDatabase, DeleteDatabase through the AWS SDK',
         { timeout: 60000 }, () => {
  let server;
  let glue;
  let s3;
  const send = (command) => glue.send(command);
  const api = async (method, urlPath, body) => {
    const r = await server.api(method, urlPath, body);
    assert.ok(r.status >= 200 && r.status < 300, `${method} ${urlPath}: ${r.status} ${r.text}`);
    return r.json;
  };
  const getCrawler = async (name) => (await send(new G.GetCrawlerCommand({ Name: name }))).Crawler;
  const getTable = async (database, name) => (await send(new G.GetTableCommand({ DatabaseName: database, Name: name }))).Table;
  const crawlerNames = async () => (await send(new G.GetCrawlersCommand({}))).Crawlers.map((c) => c.Name);
  const databaseNames = async () => (await send(new G.GetDatabasesCommand({}))).DatabaseList.map((d) => d.Name);
  const typesOf = (columns) => columns.map((c) => [c.Name, c.Type]);
  const waitCrawled = (name, since) => waitCrawledBy(getCrawler, name, since, { timeoutMs: 20000, slackMs: 1000, context: () => server.tail(30) });
  // A Glue call without the SDK (which sends only the fields it knows), with the bearer
  // token: {status, type, body}.
  const rawGlue = async (operation, body) => {
    const r = await fetch(`${server.endpoint}/`, {
      method: 'POST', body: JSON.stringify(body), signal: AbortSignal.timeout(5000),
      headers: { 'X-Amz-Target': `AWSGlue.${operation}`, 'Content-Type': 'application/x-amz-json-1.1',
                 Authorization: `Bearer ${server.token}` },
    });
    const text = await r.text();
    return { status: r.status, type: r.headers.get('x-amzn-errortype'), body: text ? JSON.parse(text) : {} };
  };
  // A CreateCrawler request that is taken, for the refusals to change one thing each.
  const crawlerInput = (name, more = {}) => ({
    Name: name, Role: ROLE, DatabaseName: 'iot',
    Targets: { S3Targets: [{ Path: `s3://${BUCKET}/raw/` }] }, ...more,
  });

  before(async () => {
    server = await Server.start({ tag: 'glue-crawlers' });
    const credentials = { accessKeyId: 'admin', secretAccessKey: server.token };
    glue = new G.GlueClient({ endpoint: server.endpoint, region: 'us-east-1', credentials, maxAttempts: 1 });
    s3 = new S3.S3Client({ endpoint: server.endpoint, region: 'us-east-1', forcePathStyle: true, maxAttempts: 1, credentials });
    await s3.send(new S3.CreateBucketCommand({ Bucket: BUCKET }));
    for (const [Key, records] of [...Object.entries(OBJECTS), [EXCLUDED_KEY, EXCLUDED]]) {
      await s3.send(new S3.PutObjectCommand({ Bucket: BUCKET, Key, Body: jsonLines(records), ContentType: 'application/x-ndjson' }));
    }
    const listed = await s3.send(new S3.ListObjectsV2Command({ Bucket: BUCKET, Prefix: 'raw/' }));
    assert.deepEqual(listed.Contents.map((o) => o.Key), [...Object.keys(OBJECTS), EXCLUDED_KEY].sort());
  });
  after(async () => {
    if (glue) glue.destroy();
    if (s3) s3.destroy();
    if (server) await server.dispose();
  });

  test('the reference\'s crawler step with AWS\'s tools alone: dated JSON Lines crawled into iot_raw', async () => {
    const madeDb = await send(new G.CreateDatabaseCommand({ DatabaseInput: { Name: 'iot', Description: 'devices\' readings' } }));
    assert.deepEqual(Object.keys(madeDb).filter((k) => k !== '$metadata'), [], 'CreateDatabase answers {}');
    const db = (await send(new G.GetDatabaseCommand({ Name: 'iot' }))).Database;
    assert.equal(db.Name, 'iot');
    assert.equal(db.Description, 'devices\' readings');
    assert.ok(db.CreateTime instanceof Date && Math.abs(db.CreateTime.getTime() - Date.now()) < 60000, String(db.CreateTime));
    assert.deepEqual((await send(new G.GetTablesCommand({ DatabaseName: 'iot' }))).TableList, [], 'a new database has no tables');
    // UpdateDatabase replaces the description; a rename or a missing database is refused.
    await send(new G.UpdateDatabaseCommand({ Name: 'iot', DatabaseInput: { Name: 'iot', Description: 'the fleet\'s readings' } }));
    assert.equal((await send(new G.GetDatabaseCommand({ Name: 'iot' }))).Database.Description, 'the fleet\'s readings');
    await rejectsAws(send(new G.UpdateDatabaseCommand({ Name: 'iot', DatabaseInput: { Name: 'iot2' } })),
                     'InvalidInputException', 400, /DatabaseInput\.Name: 'iot2' is not 'iot'/);
    await rejectsAws(send(new G.UpdateDatabaseCommand({ Name: 'nowhere', DatabaseInput: { Name: 'nowhere' } })),
                     'EntityNotFoundException', 400, /nowhere/);

    const beforeCreate = Date.now();
    const made = await send(new G.CreateCrawlerCommand({
      Name: 'raw',
      Role: ROLE,
      DatabaseName: 'iot',
      Description: 'the devices\' raw readings',
      Targets: { S3Targets: [{ Path: `s3://${BUCKET}/raw/`, Exclusions: [EXCLUSION], SampleSize: 10 }] },
      TablePrefix: 'iot_',
      SchemaChangePolicy: { UpdateBehavior: 'UPDATE_IN_DATABASE', DeleteBehavior: 'DELETE_FROM_DATABASE' },
      RecrawlPolicy: { RecrawlBehavior: 'CRAWL_EVERYTHING' },
      LineageConfiguration: { CrawlerLineageSettings: 'DISABLE' },
      LakeFormationConfiguration: { UseLakeFormationCredentials: false },
      Configuration: JSON.stringify({ Version: 1.0, Grouping: { TableGroupingPolicy: 'CombineCompatibleSchemas' } }),
      CrawlerSecurityConfiguration: 'default-security',
      Tags: { team: 'iot', stage: 'reference' },
    }));
    assert.deepEqual(Object.keys(made).filter((k) => k !== '$metadata'), [], 'CreateCrawler answers {}');

    const fresh = await getCrawler('raw');
    assert.equal(fresh.Name, 'raw');
    assert.equal(fresh.DatabaseName, 'iot');
    assert.deepEqual(fresh.Targets.S3Targets, [{ Path: `s3://${BUCKET}/raw/`, Exclusions: [EXCLUSION] }]);
    assert.equal(fresh.State, 'READY');
    assert.equal(fresh.LastCrawl, undefined, 'a crawler never run has no LastCrawl');
    assert.ok(fresh.CreationTime instanceof Date);
    assert.ok(fresh.CreationTime.getTime() >= beforeCreate - 1000 && fresh.CreationTime.getTime() <= Date.now() + 1000,
              String(fresh.CreationTime));
    assert.ok((await crawlerNames()).includes('raw'), 'GetCrawlers lists the new crawler');

    const since = Date.now();
    const started = await send(new G.StartCrawlerCommand({ Name: 'raw' }));
    assert.deepEqual(Object.keys(started).filter((k) => k !== '$metadata'), [], 'StartCrawler answers {}');
    const { crawler, states } = await waitCrawled('raw', since);
    assert.ok(['RUNNING,READY', 'READY'].includes(states.join()), `states ${states}`);
    assert.equal(crawler.LastCrawl.Status, 'SUCCEEDED', JSON.stringify(crawler));
    assert.equal(crawler.LastCrawl.ErrorMessage, undefined);

    // GetTables: the one table, named TablePrefix + the target's last folder.
    const tables = (await send(new G.GetTablesCommand({ DatabaseName: 'iot' }))).TableList;
    assert.deepEqual(tables.map((t) => t.Name), ['iot_raw']);
    const table = await getTable('iot', 'iot_raw');
    assert.deepEqual(tables[0], table, 'GetTables and GetTable agree');
    assert.equal(table.DatabaseName, 'iot');
    assert.equal(table.TableType, 'EXTERNAL_TABLE');
    assert.deepEqual(typesOf(table.StorageDescriptor.Columns), [
      ['device', 'string'], ['ts', 'timestamp'], ['temperature', 'double'], ['humidity', 'bigint'], ['ok', 'boolean'],
      ['pos', 'struct<lat:double,lon:double>'],
    ], 'the payload\'s columns, in order, with Glue\'s types (debug_trace, only in the excluded object, absent)');
    assert.deepEqual(table.PartitionKeys, ['year', 'month', 'day', 'hour'].map((Name) => ({ Name, Type: 'string' })));
    assert.equal(table.StorageDescriptor.Location, `s3://${BUCKET}/raw/`);
    assert.equal(table.StorageDescriptor.SerdeInfo.SerializationLibrary, 'org.openx.data.jsonserde.JsonSerDe');
    assert.equal(table.StorageDescriptor.Compressed, false);
    assert.equal(table.Parameters.classification, 'json');
    assert.equal(table.Parameters.recordCount, String(RECORDS), 'the excluded object\'s records are not counted');
    assert.equal(table.Parameters.objectCount, String(Object.keys(OBJECTS).length), 'the excluded object is not counted');
    const bytes = Object.values(OBJECTS).reduce((n, records) => n + Buffer.byteLength(jsonLines(records)), 0);
    assert.equal(table.Parameters.sizeKey, String(bytes));
    assert.deepEqual(JSON.parse(table.Parameters.exclusions), [EXCLUSION], 'the table records the crawler\'s exclusions');
    assert.equal(table.VersionId, '1');

    // GetPartitions: one per dated folder crawled, none for the excluded object's.
    const partitions = (await send(new G.GetPartitionsCommand({ DatabaseName: 'iot', TableName: 'iot_raw' }))).Partitions;
    assert.deepEqual(partitions.map((p) => [p.Values, p.StorageDescriptor.Location, p.Parameters.recordCount, p.Parameters.objectCount]),
                     Object.entries(OBJECTS).map(([key, records]) => {
                       const values = key.split('/').slice(1, 5);
                       return [values, `s3://${BUCKET}/raw/${values.join('/')}/`, String(records.length), '1'];
                     }));
    for (const p of partitions) {
      assert.equal(p.DatabaseName, 'iot');
      assert.equal(p.TableName, 'iot_raw');
      assert.deepEqual(p.StorageDescriptor.Columns, table.StorageDescriptor.Columns);
    }
    await rejectsAws(send(new G.GetPartitionCommand({ DatabaseName: 'iot', TableName: 'iot_raw', PartitionValues: ['2026', '12', '05', '00'] })),
                     'EntityNotFoundException', 400, undefined, 'the excluded object\'s folder as a partition');

    // The native API and the CLI see what the SDK made.
    const native = await api('GET', '/v1/catalog/databases/iot/tables/iot_raw');
    assert.deepEqual(native.columns.map((c) => [c.name, c.type]), typesOf(table.StorageDescriptor.Columns));
    assert.equal(native.record_count, RECORDS);
    assert.deepEqual(native.partitions.map((p) => p.values), partitions.map((p) => p.Values));
    const r = await server.cli(['crawler', 'describe', 'raw', '--json']);
    assert.equal(r.code, 0, describeRun('crawler describe raw --json', r));
    const described = JSON.parse(r.stdout);
    assert.equal(described.name, 'raw');
    assert.equal(described.source, `s3://${BUCKET}/raw/`);
    assert.equal(described.database, 'iot');
    assert.equal(described.table, 'iot_raw', 'TablePrefix + the last folder, as the crawler writes it');
    assert.deepEqual(described.exclusions, [EXCLUSION]);
    assert.equal(described.created_ms, fresh.CreationTime.getTime());
    assert.equal(described.runs.length, 1, JSON.stringify(described.runs));
    assert.equal(described.runs[0].status, 'succeeded');
    assert.equal(described.runs[0].records, RECORDS);
    assert.equal(described.runs[0].objects_listed, Object.keys(OBJECTS).length, 'the excluded object is not listed');
    assert.equal(described.runs[0].started_ms, crawler.LastCrawl.StartTime.getTime());
    const text = await server.cli(['crawler', 'list']);
    assert.equal(text.code, 0, describeRun('crawler list', text));
    assert.match(text.stdout, /^raw\s+\S+\s+s3:\/\/iot-data\/raw\/\s+iot\.iot_raw\s+succeeded/m, text.stdout);
  });

  test('CreateCrawler refusals by AWS\'s names, each naming the field; nothing made', async () => {
    const s3Target = (more) => ({ Targets: { S3Targets: [{ Path: `s3://${BUCKET}/raw/`, ...more }] } });
    const invalid = [
      ['a Schedule', crawlerInput('c-schedule', { Schedule: 'cron(0 * * * ? *)' }), /^Schedule: /],
      ['Classifiers', crawlerInput('c-classifiers', { Classifiers: ['my-csv'] }), /^Classifiers: /],
      ['JdbcTargets', crawlerInput('c-jdbc', {
        Targets: { JdbcTargets: [{ ConnectionName: 'pg', Path: 'iot/%' }] } }), /^Targets\.JdbcTargets: /],
      ['DynamoDBTargets', crawlerInput('c-dynamo', {
        Targets: { DynamoDBTargets: [{ Path: 'readings' }] } }), /^Targets\.DynamoDBTargets: /],
      ['CatalogTargets', crawlerInput('c-catalog', {
        Targets: { CatalogTargets: [{ DatabaseName: 'iot', Tables: ['iot_raw'] }] } }), /^Targets\.CatalogTargets: /],
      ['an S3 target with a JDBC target', crawlerInput('c-mixed', {
        Targets: { S3Targets: [{ Path: `s3://${BUCKET}/raw/` }], JdbcTargets: [{ ConnectionName: 'pg', Path: 'iot/%' }] } }),
       /^Targets\.JdbcTargets: /],
      ['DeltaTargets', crawlerInput('c-delta', {
        Targets: { DeltaTargets: [{ DeltaTables: [`s3://${BUCKET}/delta/`] }] } }), /^Targets\.DeltaTargets: /],
      ['two S3 targets', crawlerInput('c-two', {
        Targets: { S3Targets: [{ Path: `s3://${BUCKET}/raw/` }, { Path: `s3://${BUCKET}/other/` }] } }), /^Targets\.S3Targets: /],
      ['no S3 target', crawlerInput('c-none', { Targets: { S3Targets: [] } }), /^Targets\.S3Targets: /],
      ['no Targets', crawlerInput('c-untargeted', { Targets: undefined }), /^Targets: /],
      ['an S3 target without a Path', crawlerInput('c-pathless', { Targets: { S3Targets: [{ Exclusions: ['*.csv'] }] } }),
       /Targets\.S3Targets\[0\]\.Path/],
      ['a Path that is no lake prefix', crawlerInput('c-http', s3Target({ Path: 'https://example.com/raw/' })),
       /Targets\.S3Targets\[0\]\.Path/],
      ['a ConnectionName', crawlerInput('c-connection', s3Target({ ConnectionName: 'vpc' })),
       /^Targets\.S3Targets\[0\]\.ConnectionName: .*connection/],
      ['an EventQueueArn', crawlerInput('c-events', s3Target({ EventQueueArn: 'arn:aws:sqs:us-east-1:123456789012:q' })),
       /^Targets\.S3Targets\[0\]\.EventQueueArn: .*event queue/],
      ['an exclusion glob that does not parse', crawlerInput('c-glob', s3Target({ Exclusions: ['**.json', '*.{csv,avro'] })),
       /exclusions\[1\]: glob '\*\.\{csv,avro': unclosed '\{' at position 2/],
    ];
    for (const [what, input, message] of invalid) {
      await rejectsAws(send(new G.CreateCrawlerCommand(input)), 'InvalidInputException', 400, message, what);
      await rejectsAws(getCrawler(input.Name), 'EntityNotFoundException', 400, undefined, `${what}: the refused crawler`);
    }

    // Fields the SDK does not know, sent by hand.
    const unknown = [
      ['an unknown field', { ...crawlerInput('c-unknown'), Frobnicate: true }, /^Frobnicate: unknown field/],
      ['an unknown field of the S3 target', crawlerInput('c-unknown-target', s3Target({ Recurse: true })),
       /^Targets\.S3Targets\[0\]\.Recurse: unknown field/],
      ['Exclusions not strings', crawlerInput('c-exclusions', s3Target({ Exclusions: [1] })), /^Targets\.S3Targets\[0\]\.Exclusions: /],
      ['no Name', { ...crawlerInput('x'), Name: undefined }, /^Name is required/],
      ['no DatabaseName', { ...crawlerInput('c-nodb'), DatabaseName: undefined }, /^DatabaseName is required/],
    ];
    for (const [what, body, message] of unknown) {
      const r = await rawGlue('CreateCrawler', body);
      assert.equal(r.status, 400, `${what}: ${JSON.stringify(r)}`);
      assert.equal(r.type, 'InvalidInputException', `${what}: ${JSON.stringify(r)}`);
      assert.match(r.body.message, message, what);
    }

    // A database that does not exist, a name taken.
    await rejectsAws(send(new G.CreateCrawlerCommand(crawlerInput('c-nowhere', { DatabaseName: 'nowhere' }))),
                     'EntityNotFoundException', 400, /DatabaseName.*nowhere/, 'a missing database');
    assert.ok(!(await databaseNames()).includes('nowhere'), 'a refused CreateCrawler made its database');
    await rejectsAws(send(new G.CreateCrawlerCommand(crawlerInput('raw', { DatabaseName: 'iot', TablePrefix: 'other_' }))),
                     'AlreadyExistsException', 400, /'raw'/, 'a taken name');
    const raw = await getCrawler('raw');
    assert.deepEqual(raw.Targets.S3Targets[0].Exclusions, [EXCLUSION], 'the taken crawler is unchanged');
    assert.equal((await api('GET', '/v1/crawlers/raw')).table, 'iot_raw');

    assert.deepEqual(await crawlerNames(), ['raw'], 'no refused CreateCrawler made a crawler');
    assert.deepEqual((await api('GET', '/v1/crawlers')).crawlers.map((c) => c.name), ['raw']);
  });

  test('StopCrawler of an idle crawler: CrawlerNotRunningException; nothing changes', async () => {
    const before = await getCrawler('raw');
    await rejectsAws(send(new G.StopCrawlerCommand({ Name: 'raw' })), 'CrawlerNotRunningException', 400, /'raw' is not running/);
    await rejectsAws(send(new G.StopCrawlerCommand({ Name: 'ghost' })), 'EntityNotFoundException', 400, /ghost/,
                     'StopCrawler of a crawler that does not exist');
    const after = await getCrawler('raw');
    assert.equal(after.State, 'READY');
    assert.deepEqual(after.LastCrawl, before.LastCrawl);
  });

  test('UpdateCrawler: the fields given replace, the others stay; the next crawl reads the new target', async () => {
    await send(new G.CreateCrawlerCommand(crawlerInput('movable', { TablePrefix: 'm_' })));
    await s3.send(new S3.PutObjectCommand({ Bucket: BUCKET, Key: 'moved/2026/12/04/10/m.json',
                                            Body: jsonLines([reading('sensor-9', 0, 10), reading('sensor-9', 1, 10)]) }));
    const updated = await send(new G.UpdateCrawlerCommand({ Name: 'movable', Targets: { S3Targets: [{ Path: `s3://${BUCKET}/moved/` }] } }));
    assert.deepEqual(Object.keys(updated).filter((k) => k !== '$metadata'), [], 'UpdateCrawler answers {}');
    const moved = await getCrawler('movable');
    assert.equal(moved.DatabaseName, 'iot', 'a field not given stays');
    assert.equal(moved.Targets.S3Targets[0].Path, `s3://${BUCKET}/moved/`);
    // The table prefix stays: the next crawl makes m_moved from the new target.
    const since = Date.now();
    await send(new G.StartCrawlerCommand({ Name: 'movable' }));
    const { crawler } = await waitCrawled('movable', since);
    assert.equal(crawler.LastCrawl.Status, 'SUCCEEDED', JSON.stringify(crawler));
    const table = await getTable('iot', 'm_moved');
    assert.equal(table.StorageDescriptor.Location, `s3://${BUCKET}/moved/`);
    assert.equal(table.Parameters.recordCount, '2', JSON.stringify(table.Parameters));

    await rejectsAws(send(new G.UpdateCrawlerCommand({ Name: 'movable', Schedule: 'cron(0 * * * ? *)' })),
                     'InvalidInputException', 400, /^Schedule: /);
    await rejectsAws(send(new G.UpdateCrawlerCommand({ Name: 'movable', DatabaseName: 'nowhere' })),
                     'EntityNotFoundException', 400, /database 'nowhere' does not exist/);
    await rejectsAws(send(new G.UpdateCrawlerCommand({ Name: 'ghost', DatabaseName: 'iot' })), 'EntityNotFoundException', 400, /ghost/);
    assert.equal((await getCrawler('movable')).Targets.S3Targets[0].Path, `s3://${BUCKET}/moved/`, 'a refused update changed it');
    await send(new G.DeleteCrawlerCommand({ Name: 'movable' }));
  });

  test('SchemaChangePolicy: UpdateBehavior LOG keeps the table\'s schema, DeleteBehavior LOG its gone objects; UpdateCrawler changes one, the other stays', async () => {
    const put = (Key, records) => s3.send(new S3.PutObjectCommand({ Bucket: BUCKET, Key, Body: jsonLines(records) }));
    await put('policy/2026/12/04/10/a.json', [{ device: 'p', level: 1 }, { device: 'p', level: 2 }]);
    await send(new G.CreateCrawlerCommand(crawlerInput('policed', {
      Targets: { S3Targets: [{ Path: `s3://${BUCKET}/policy/` }] },
      SchemaChangePolicy: { UpdateBehavior: 'LOG', DeleteBehavior: 'LOG' },
    })));
    assert.deepEqual((await getCrawler('policed')).SchemaChangePolicy, { UpdateBehavior: 'LOG', DeleteBehavior: 'LOG' });
    const crawl = async () => {
      const since = Date.now();
      await send(new G.StartCrawlerCommand({ Name: 'policed' }));
      const { crawler } = await waitCrawled('policed', since);
      assert.equal(crawler.LastCrawl.Status, 'SUCCEEDED', JSON.stringify(crawler));
    };
    await crawl();
    assert.deepEqual(typesOf((await getTable('iot', 'policy')).StorageDescriptor.Columns), [['device', 'string'], ['level', 'bigint']]);
    // A new field and a wider type: logged, not applied; the records still count.
    await put('policy/2026/12/04/11/b.json', [{ device: 'p', level: 2.5, battery: 90 }]);
    await s3.send(new S3.DeleteObjectCommand({ Bucket: BUCKET, Key: 'policy/2026/12/04/10/a.json' }));
    await crawl();
    let table = await getTable('iot', 'policy');
    assert.deepEqual(typesOf(table.StorageDescriptor.Columns), [['device', 'string'], ['level', 'bigint']]);
    assert.equal(table.Parameters.recordCount, '3', 'the gone object\'s records still count under DeleteBehavior LOG');
    const runs = await api('GET', '/v1/crawlers/policed/runs');
    assert.deepEqual(runs.runs[0].schema_changes_logged, ['column level: bigint -> double', 'column added: battery bigint']);
    assert.equal(runs.runs[0].objects_gone, 1);

    // UpdateCrawler with DeleteBehavior alone: UpdateBehavior stays LOG; the next crawl
    // takes the gone object's records out.
    await send(new G.UpdateCrawlerCommand({ Name: 'policed', SchemaChangePolicy: { DeleteBehavior: 'DELETE_FROM_DATABASE' } }));
    assert.deepEqual((await getCrawler('policed')).SchemaChangePolicy, { UpdateBehavior: 'LOG', DeleteBehavior: 'DELETE_FROM_DATABASE' });
    await crawl();
    table = await getTable('iot', 'policy');
    assert.equal(table.Parameters.recordCount, '1');
    assert.deepEqual(typesOf(table.StorageDescriptor.Columns), [['device', 'string'], ['level', 'bigint']]);

    await rejectsAws(send(new G.UpdateCrawlerCommand({ Name: 'policed', SchemaChangePolicy: { DeleteBehavior: 'FORGET' } })),
                     'InvalidInputException', 400, /^SchemaChangePolicy\.DeleteBehavior: delete behavior 'FORGET' is not one of DELETE_FROM_DATABASE, DEPRECATE_IN_DATABASE, LOG/);
    await rejectsAws(send(new G.CreateCrawlerCommand(crawlerInput('bad-policy', { SchemaChangePolicy: { UpdateBehavior: 'MERGE' } }))),
                     'InvalidInputException', 400, /^SchemaChangePolicy\.UpdateBehavior: /);
    assert.ok(!(await crawlerNames()).includes('bad-policy'));
    await send(new G.DeleteCrawlerCommand({ Name: 'policed' }));
  });

  test('Configuration AddOrUpdateBehavior MergeNewColumns: new columns only, the existing ones keep their types', async () => {
    const put = (Key, records) => s3.send(new S3.PutObjectCommand({ Bucket: BUCKET, Key, Body: jsonLines(records) }));
    const MERGE = JSON.stringify({ Version: 1.0, CrawlerOutput: { Tables: { AddOrUpdateBehavior: 'MergeNewColumns' } } });
    await put('merged/2026/12/04/10/a.json', [{ device: 'm', level: 1 }]);
    await send(new G.CreateCrawlerCommand(crawlerInput('merging', {
      Targets: { S3Targets: [{ Path: `s3://${BUCKET}/merged/` }] }, Configuration: MERGE,
    })));
    let crawler = await getCrawler('merging');
    assert.equal(crawler.SchemaChangePolicy.UpdateBehavior, 'UPDATE_IN_DATABASE');
    assert.deepEqual(JSON.parse(crawler.Configuration), JSON.parse(MERGE));
    const crawl = async () => {
      const since = Date.now();
      await send(new G.StartCrawlerCommand({ Name: 'merging' }));
      const { crawler: done } = await waitCrawled('merging', since);
      assert.equal(done.LastCrawl.Status, 'SUCCEEDED', JSON.stringify(done));
    };
    await crawl();
    await put('merged/2026/12/04/11/b.json', [{ device: 'm', level: 2.5, battery: 90 }]);
    await crawl();
    assert.deepEqual(typesOf((await getTable('iot', 'merged')).StorageDescriptor.Columns),
                     [['device', 'string'], ['level', 'bigint'], ['battery', 'bigint']]);
    // UpdateCrawler without a Configuration keeps it; with one that does not merge, drops it.
    await send(new G.UpdateCrawlerCommand({ Name: 'merging', SchemaChangePolicy: { DeleteBehavior: 'LOG' } }));
    assert.deepEqual(JSON.parse((await getCrawler('merging')).Configuration), JSON.parse(MERGE));
    await send(new G.UpdateCrawlerCommand({ Name: 'merging', Configuration: JSON.stringify({ Version: 1.0 }) }));
    crawler = await getCrawler('merging');
    assert.equal(crawler.Configuration, undefined);
    assert.deepEqual(crawler.SchemaChangePolicy, { UpdateBehavior: 'UPDATE_IN_DATABASE', DeleteBehavior: 'LOG' });
    await rejectsAws(send(new G.UpdateCrawlerCommand({ Name: 'merging', Configuration: 'merge please' })),
                     'InvalidInputException', 400, /^Configuration: must be a JSON object/);
    await send(new G.DeleteCrawlerCommand({ Name: 'merging' }));
  });

  test('a long crawl: DeleteCrawler refused with CrawlerRunningException, StopCrawler cancels it, then DeleteCrawler', async () => {
    // One large, very compressible object put with the SDK.
    const chunk = Buffer.from(BULK_LINE.repeat(Math.floor((1 << 20) / BULK_LINE.length)));
    const body = zlib.gzipSync(Buffer.concat(Array.from({ length: BULK_MIB }, () => chunk)), { level: 1 });
    await s3.send(new S3.CreateBucketCommand({ Bucket: 'iot-bulk' }));
    // Three of them: a stop is seen between objects.
    for (const key of BULK_KEYS) await s3.send(new S3.PutObjectCommand({ Bucket: 'iot-bulk', Key: key, Body: body }));
    await send(new G.CreateDatabaseCommand({ DatabaseInput: { Name: 'bulk' } }));
    await send(new G.CreateCrawlerCommand({ Name: 'bulk', Role: ROLE, DatabaseName: 'bulk',
                                            Targets: { S3Targets: [{ Path: 's3://iot-bulk/bulk/' }] } }));

    const since = Date.now();
    await send(new G.StartCrawlerCommand({ Name: 'bulk' }));
    // StartCrawler has registered the run before answering: it runs until the crawl of the
    // first object (~1 s) ends, and the next one unless stopped.
    await rejectsAws(send(new G.DeleteCrawlerCommand({ Name: 'bulk' })), 'CrawlerRunningException', 400, /'bulk' is running/,
                     `DeleteCrawler during a crawl of ${BULK_MIB} MiB`);
    await rejectsAws(send(new G.UpdateCrawlerCommand({ Name: 'bulk', DatabaseName: 'bulk' })), 'CrawlerRunningException', 400,
                     /'bulk' is running/, `UpdateCrawler during a crawl of ${BULK_MIB} MiB`);
    const running = await getCrawler('bulk');
    assert.equal(running.State, 'RUNNING', `the crawl of ${BULK_MIB} MiB ended too soon: ${JSON.stringify(running)}`);
    const stopped = await send(new G.StopCrawlerCommand({ Name: 'bulk' }));
    assert.deepEqual(Object.keys(stopped).filter((k) => k !== '$metadata'), [], 'StopCrawler answers {}');
    const { crawler } = await waitCrawled('bulk', since);
    assert.equal(crawler.LastCrawl.Status, 'CANCELLED', JSON.stringify(crawler));
    assert.ok(crawler.LastCrawl.ErrorMessage, 'a cancelled crawl says why');
    const runs = (await api('GET', '/v1/crawlers/bulk/runs')).runs;
    assert.equal(runs.length, 1, JSON.stringify(runs));
    assert.equal(runs[0].status, 'cancelled');
    assert.equal(runs[0].message, crawler.LastCrawl.ErrorMessage);
    assert.ok(runs[0].objects_read < BULK_KEYS.length, `the stopped crawl read every object: ${JSON.stringify(runs[0])}`);
    assert.deepEqual((await send(new G.GetTablesCommand({ DatabaseName: 'bulk' }))).TableList, [],
                     'a cancelled crawl writes no table');
    await rejectsAws(send(new G.StopCrawlerCommand({ Name: 'bulk' })), 'CrawlerNotRunningException', 400, /bulk/,
                     'StopCrawler once the crawl has ended');

    // Once idle it can be deleted: GetCrawler, StartCrawler and the CLI no longer find it.
    const deleted = await send(new G.DeleteCrawlerCommand({ Name: 'bulk' }));
    assert.deepEqual(Object.keys(deleted).filter((k) => k !== '$metadata'), [], 'DeleteCrawler answers {}');
    await rejectsAws(getCrawler('bulk'), 'EntityNotFoundException', 400, /bulk/, 'GetCrawler of a deleted crawler');
    await rejectsAws(send(new G.StartCrawlerCommand({ Name: 'bulk' })), 'EntityNotFoundException', 400, /bulk/,
                     'StartCrawler of a deleted crawler');
    await rejectsAws(send(new G.DeleteCrawlerCommand({ Name: 'bulk' })), 'EntityNotFoundException', 400, /bulk/,
                     'DeleteCrawler of a deleted crawler');
    assert.deepEqual(await crawlerNames(), ['raw']);
    const cli = await server.cli(['crawler', 'describe', 'bulk']);
    assert.notEqual(cli.code, 0, describeRun('crawler describe of a deleted crawler', cli));
    assert.match(cli.stderr + cli.stdout, /bulk/);
    assert.equal((await server.api('GET', '/v1/crawlers/bulk')).status, 404);

    // The name is free again.
    await send(new G.CreateCrawlerCommand({ Name: 'bulk', Role: ROLE, DatabaseName: 'bulk',
                                            Targets: { S3Targets: [{ Path: 's3://iot-bulk/bulk/' }] } }));
    assert.equal((await getCrawler('bulk')).LastCrawl, undefined, 'a crawler made again has none of the old runs');
    await send(new G.DeleteCrawlerCommand({ Name: 'bulk' }));
  });

  test('CreateDatabase twice: AlreadyExistsException; LocationUri refused; DeleteDatabase removes its tables', async () => {
    await send(new G.CreateDatabaseCommand({ DatabaseInput: { Name: 'scratch', Description: 'first' } }));
    await rejectsAws(send(new G.CreateDatabaseCommand({ DatabaseInput: { Name: 'scratch', Description: 'second' } })),
                     'AlreadyExistsException', 400, /scratch/, 'CreateDatabase of a taken name');
    assert.equal((await send(new G.GetDatabaseCommand({ Name: 'scratch' }))).Database.Description, 'first',
                 'the taken database is unchanged');
    await rejectsAws(send(new G.CreateDatabaseCommand({ DatabaseInput: { Name: 'located', LocationUri: `s3://${BUCKET}/located/` } })),
                     'InvalidInputException', 400, /LocationUri/, 'CreateDatabase with a LocationUri');
    await rejectsAws(send(new G.GetDatabaseCommand({ Name: 'located' })), 'EntityNotFoundException', 400);
    const noName = await rawGlue('CreateDatabase', { DatabaseInput: { Description: 'nameless' } });
    assert.equal(noName.type, 'InvalidInputException', JSON.stringify(noName));
    assert.match(noName.body.message, /DatabaseInput.*Name/);
    assert.deepEqual(await databaseNames(), ['bulk', 'iot', 'scratch']);

    const deleted = await send(new G.DeleteDatabaseCommand({ Name: 'iot' }));
    assert.deepEqual(Object.keys(deleted).filter((k) => k !== '$metadata'), [], 'DeleteDatabase answers {}');
    await rejectsAws(send(new G.GetTablesCommand({ DatabaseName: 'iot' })), 'EntityNotFoundException', 400, /iot/,
                     'GetTables in a deleted database');
    await rejectsAws(getTable('iot', 'iot_raw'), 'EntityNotFoundException', 400, /iot/, 'GetTable in a deleted database');
    await rejectsAws(send(new G.GetPartitionsCommand({ DatabaseName: 'iot', TableName: 'iot_raw' })), 'EntityNotFoundException', 400,
                     /iot/, 'GetPartitions in a deleted database');
    await rejectsAws(send(new G.GetDatabaseCommand({ Name: 'iot' })), 'EntityNotFoundException', 400, /iot/);
    assert.deepEqual(await databaseNames(), ['bulk', 'scratch'], 'GetDatabases no longer lists it');
    assert.equal((await server.api('GET', '/v1/catalog/databases/iot/tables/iot_raw')).status, 404);
    await rejectsAws(send(new G.DeleteDatabaseCommand({ Name: 'iot' })), 'EntityNotFoundException', 400, /iot/,
                     'DeleteDatabase of a deleted database');
    await rejectsAws(send(new G.DeleteDatabaseCommand({ Name: 'nowhere' })), 'EntityNotFoundException', 400, /nowhere/,
                     'DeleteDatabase of a missing database');

    // The crawler stays (as in Glue), and its next crawl makes the table again from every
    // object, not only from those put since.
    const since = Date.now();
    await send(new G.StartCrawlerCommand({ Name: 'raw' }));
    const { crawler: again } = await waitCrawled('raw', since);
    assert.equal(again.LastCrawl.Status, 'SUCCEEDED', JSON.stringify(again));
    const rebuilt = await getTable('iot', 'iot_raw');
    assert.equal(rebuilt.Parameters.recordCount, String(RECORDS), JSON.stringify(rebuilt.Parameters));
    assert.equal((await send(new G.GetPartitionsCommand({ DatabaseName: 'iot', TableName: 'iot_raw' }))).Partitions.length, 3);
    await send(new G.DeleteDatabaseCommand({ Name: 'iot' }));

    // Deleting the crawler leaves the lake's objects alone.
    await send(new G.DeleteCrawlerCommand({ Name: 'raw' }));
    await rejectsAws(getCrawler('raw'), 'EntityNotFoundException', 400, /raw/, 'GetCrawler of a deleted crawler');
    assert.deepEqual(await crawlerNames(), []);
    const listed = await s3.send(new S3.ListObjectsV2Command({ Bucket: BUCKET, Prefix: 'raw/' }));
    assert.equal(listed.KeyCount, Object.keys(OBJECTS).length + 1);
  });
});
