// AWS Glue's Data Catalog and crawler API on POST / (AWS JSON 1.1, X-Amz-Target AWSGlue.*),
// driven by the AWS SDK's own Glue client (`@aws-sdk/client-glue`) with an endpoint override
// and SigV4 (access key id 'admin', the admin token as the secret), over a lake built with
// the native API: readings of three meters Direct PUT into a stream partitioned by meter
// (raw/meter=<m>/), events into a gzipped stream under the default YYYY/MM/DD/HH/, and one
// large gzipped object written by hand so that its crawl runs long enough to be seen
// running. StartCrawler crawls each (RUNNING, then READY with LastCrawl SUCCEEDED; a start
// while one runs is refused with CrawlerRunningException and makes no run; a crawl stopped
// through /v1/crawlers reads back CANCELLED with its message); GetCrawlers pages; GetDatabases, GetTables (Expression a case-insensitive whole-name pattern, paging),
// GetTable (JSON, gzipped JSON and an ETL job's Parquet table) and GetPartitions /
// GetPartition / BatchGetPartition read back exactly what /v1/catalog says (GetPartitions
// filtered by an Expression and split in Segments); and the errors the SDK raises by name.
'use strict';

const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const zlib = require('node:zlib');
const { pipeline } = require('node:stream/promises');
const G = require('@aws-sdk/client-glue');
const { Server, describeRun, makeTempDir, sleep } = require('./harness');
const { rejectsAws, waitCrawled: waitCrawledBy } = require('./aws');
const { waitForLake } = require('./lake');

const JSON_SERDE = 'org.openx.data.jsonserde.JsonSerDe';
const PARQUET_SERDE = 'org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe';

// Records per meter, put into the `readings` stream; and the events put into `events`.
const METERS = { 'meter-1': 5, 'meter-2': 7, 'meter-3': 9 };
const READINGS = Object.values(METERS).reduce((a, b) => a + b, 0);
const EVENTS = 6;
// The hand-written object of the `slow` crawler: this many MiB of JSON Lines, gzipped
// (a few hundred KiB on disk), about a second of crawling.
const BULK_MIB = 96;
const BULK_LINE = '{"id":12345,"reading":1.5,"label":"abcdefgh","ok":true}\n';

describe('Glue Data Catalog and crawler API through the AWS SDK', { timeout: 90000 }, () => {
  let server;
  let glue;
  const dir = makeTempDir('glue-api');
  const clientWith = (credentials) => new G.GlueClient({
    endpoint: server.endpoint, region: 'us-east-1', credentials, maxAttempts: 1,
  });
  const send = (command) => glue.send(command);
  const cli = async (args) => {
    const r = await server.cli(args);
    assert.equal(r.code, 0, `${describeRun(args.join(' '), r)}\n${server.tail(30)}`);
    return r;
  };
  const api = async (method, urlPath, body) => {
    const r = await server.api(method, urlPath, body);
    assert.ok(r.status >= 200 && r.status < 300, `${method} ${urlPath}: ${r.status} ${r.text}`);
    return r.json;
  };
  const nativeTable = (database, table) => api('GET', `/v1/catalog/databases/${database}/tables/${table}`);
  const getCrawler = async (name) => (await send(new G.GetCrawlerCommand({ Name: name }))).Crawler;
  const getTable = async (database, name) =>
    (await send(new G.GetTableCommand({ DatabaseName: database, Name: name }))).Table;
  const putRecords = async (stream, records) => {
    const r = await api('POST', `/v1/streams/${stream}/records/batch`, {
      Records: records.map((o) => ({ Data: Buffer.from(`${JSON.stringify(o)}\n`).toString('base64') })),
    });
    assert.equal(r.FailedPutCount, 0, JSON.stringify(r));
  };
  const waitCrawled = (name, since) => waitCrawledBy(getCrawler, name, since, { context: () => server.tail(30) });
  // Every page of a Glue list call with MaxResults `max`: [{names, token}].
  const pages = async (command, input, listName, max) => {
    const out = [];
    for (let token; ;) {
      const page = await send(new command({ ...input, MaxResults: max, NextToken: token }));
      out.push({ names: page[listName].map((x) => x.Name), token: page.NextToken });
      if (!page.NextToken) return out;
      assert.ok(out.length < 50, `${listName} never ends: ${JSON.stringify(out.slice(0, 5))}`);
      token = page.NextToken;
    }
  };
  const glueColumns = (columns) => columns.map((c) => ({ Name: c.name, Type: c.type }));
  const typesOf = (columns) => Object.fromEntries(columns.map((c) => [c.Name, c.Type]));

  before(async () => {
    server = await Server.start({ tag: 'glue-api' });
    glue = clientWith({ accessKeyId: 'admin', secretAccessKey: server.token });

    // Readings partitioned by meter (k=v folders: partition key `meter`), plain JSON.
    await cli(['stream', 'create', 'readings', '--bucket', 'glue-lake', '--prefix', 'raw/meter=!{partitionKeyFromQuery:meter}/',
               '--partition-query', '{meter: .device}', '--error-prefix', 'err/', '--buffer-interval-s', '300']);
    const readings = [];
    let seq = 0;
    for (const [device, n] of Object.entries(METERS)) {
      for (let i = 0; i < n; i++, seq++) {
        readings.push({ device, seq, temperature: 20 + seq + 0.25, ok: i % 2 === 0,
                        ts: new Date(Date.UTC(2026, 0, 1, 0, seq)).toISOString() });
      }
    }
    await putRecords('readings', readings);
    // Events under the default YYYY/MM/DD/HH/, gzipped.
    await cli(['stream', 'create', 'events', '--bucket', 'glue-events', '--compression', 'gzip', '--buffer-interval-s', '300']);
    await putRecords('events', Array.from({ length: EVENTS }, (_, i) => ({ kind: i % 2 ? 'open' : 'close', n: i })));
    await api('POST', '/v1/streams/readings/flush');
    await api('POST', '/v1/streams/events/flush');
    await waitForLake(server, 'glue-lake', (l) => l.records.length >= READINGS, { prefix: 'raw/', what: `${READINGS} readings` });
    await waitForLake(server, 'glue-events', (l) => l.records.length >= EVENTS, { what: `${EVENTS} events` });

    // One large, very compressible object, written where the lake keeps bucket glue-bulk.
    const folder = path.join(server.dataDir, 'lake', 'glue-bulk', 'batch=1');
    fs.mkdirSync(folder, { recursive: true });
    const chunk = Buffer.from(BULK_LINE.repeat(Math.floor((1 << 20) / BULK_LINE.length)));
    const scratch = path.join(dir, 'bulk.json.gz');
    await pipeline(async function* () { for (let i = 0; i < BULK_MIB; i++) yield chunk; },
                   zlib.createGzip(), fs.createWriteStream(scratch));
    fs.renameSync(scratch, path.join(folder, 'bulk.json.gz'));

    await cli(['crawler', 'create', 'readings', '--source', 's3://glue-lake/raw/', '--database', 'plant', '--table', 'readings']);
    await cli(['crawler', 'create', 'events', '--source', 's3://glue-events/', '--database', 'plant', '--table', 'events']);
    await cli(['crawler', 'create', 'slow', '--source', 's3://glue-bulk/', '--database', 'bulk', '--table', 'bulk']);
  });
  after(async () => {
    if (glue) glue.destroy();
    if (server) await server.dispose();
  });

  test('StartCrawler: RUNNING, then READY with LastCrawl SUCCEEDED; a start while it runs is refused', async () => {
    const fresh = await getCrawler('readings');
    assert.equal(fresh.Name, 'readings');
    assert.equal(fresh.DatabaseName, 'plant');
    assert.equal(fresh.Targets.S3Targets.length, 1);
    assert.equal(fresh.Targets.S3Targets[0].Path, 's3://glue-lake/raw/');
    assert.equal(fresh.State, 'READY');
    assert.equal(fresh.LastCrawl, undefined, 'a crawler never run has no LastCrawl');
    const native = await api('GET', '/v1/crawlers/readings');
    assert.equal(fresh.CreationTime.getTime(), native.created_ms);

    // Two starts at once: one crawls, the other finds it running.
    const started = Date.now();
    const both = await Promise.allSettled([send(new G.StartCrawlerCommand({ Name: 'slow' })),
                                           send(new G.StartCrawlerCommand({ Name: 'slow' }))]);
    const refused = both.filter((r) => r.status === 'rejected');
    assert.equal(refused.length, 1, `two StartCrawler at once: ${both.map((r) => r.status)}`);
    await rejectsAws(Promise.reject(refused[0].reason), 'CrawlerRunningException', 400, /already running/,
                     'the second of two StartCrawler at once');
    // Still running (a crawl of BULK_MIB MiB takes about a second): a third start is refused too.
    const running = await getCrawler('slow');
    assert.equal(running.State, 'RUNNING', `the crawl of ${BULK_MIB} MiB ended before GetCrawler: ${JSON.stringify(running)}`);
    assert.equal(running.LastCrawl, undefined);
    assert.equal((await api('GET', '/v1/crawlers/slow')).state, 'running');
    await rejectsAws(send(new G.StartCrawlerCommand({ Name: 'slow' })), 'CrawlerRunningException', 400, /slow/);

    const slow = await waitCrawled('slow', started);
    assert.deepEqual(slow.states, ['RUNNING', 'READY']);
    assert.equal(slow.crawler.LastCrawl.Status, 'SUCCEEDED', JSON.stringify(slow.crawler));
    assert.equal(slow.crawler.LastCrawl.ErrorMessage, undefined);
    const runs = (await api('GET', '/v1/crawlers/slow/runs')).runs;
    assert.equal(runs.length, 1, `refused starts made runs: ${JSON.stringify(runs)}`);
    assert.equal(runs[0].status, 'succeeded');
    assert.equal(slow.crawler.LastCrawl.StartTime.getTime(), runs[0].started_ms);
    assert.ok(runs[0].started_ms >= started - 1000 && runs[0].started_ms <= Date.now(), JSON.stringify(runs[0]));

    for (const name of ['readings', 'events']) {
      const since = Date.now();
      const answer = await send(new G.StartCrawlerCommand({ Name: name }));
      assert.deepEqual(Object.keys(answer).filter((k) => k !== '$metadata'), [], 'StartCrawler answers {}');
      const { crawler, states } = await waitCrawled(name, since);
      assert.ok(['RUNNING,READY', 'READY'].includes(states.join()), `${name}: states ${states}`);
      assert.equal(crawler.LastCrawl.Status, 'SUCCEEDED', JSON.stringify(crawler));
      const last = (await api('GET', `/v1/crawlers/${name}`)).last_run;
      assert.equal(last.status, 'succeeded');
      assert.equal(crawler.LastCrawl.StartTime.getTime(), last.started_ms);
    }
    assert.equal((await api('GET', '/v1/crawlers/readings')).last_run.records, READINGS);
  });

  test('a crawl stopped midway reads back as LastCrawl CANCELLED with its message; the catalog is unchanged', async () => {
    // Two more large objects: a stop is seen between objects.
    const bulkDir = path.join(server.dataDir, 'lake', 'glue-bulk');
    fs.mkdirSync(path.join(bulkDir, 'batch=2'));
    for (const name of ['a', 'b']) {
      fs.copyFileSync(path.join(bulkDir, 'batch=1', 'bulk.json.gz'), path.join(dir, `${name}.json.gz`));
      fs.renameSync(path.join(dir, `${name}.json.gz`), path.join(bulkDir, 'batch=2', `${name}.json.gz`));
    }
    const table = await getTable('bulk', 'bulk');
    const since = Date.now();
    await send(new G.StartCrawlerCommand({ Name: 'slow' }));
    // While it runs, LastCrawl is still the crawl before (as Glue shows it).
    const during = await getCrawler('slow');
    if (during.State === 'RUNNING') assert.equal(during.LastCrawl?.Status, 'SUCCEEDED', JSON.stringify(during));
    const stop = await server.api('POST', '/v1/crawlers/slow/stop');
    assert.equal(stop.status, 200, `the crawl of two ${BULK_MIB} MiB objects ended before the stop: ${stop.text}`);
    // A stop before the first object ends the run at once: READY may be the first State seen.
    const { crawler, states } = await waitCrawled('slow', since);
    assert.ok(['RUNNING,READY', 'READY'].includes(states.join()), `states ${states}`);
    assert.equal(crawler.LastCrawl.Status, 'CANCELLED', JSON.stringify(crawler));
    assert.match(crawler.LastCrawl.ErrorMessage, /^cancelled after [01] of 2 objects; nothing was written to the catalog$/);
    assert.equal((await api('GET', '/v1/crawlers/slow')).last_run.status, 'cancelled');
    assert.deepEqual(await getTable('bulk', 'bulk'), table);
    const partitions = (await send(new G.GetPartitionsCommand({ DatabaseName: 'bulk', TableName: 'bulk' }))).Partitions;
    assert.deepEqual(partitions.map((p) => p.Values), [['1']]);
  });

  test('GetCrawlers lists every crawler as GetCrawler does, a page at a time', async () => {
    const all = await send(new G.GetCrawlersCommand({}));
    assert.equal(all.NextToken, undefined);
    const names = all.Crawlers.map((c) => c.Name);
    assert.deepEqual(names, ['events', 'readings', 'slow']);
    assert.deepEqual(names, (await api('GET', '/v1/crawlers')).crawlers.map((c) => c.name).sort());
    for (const c of all.Crawlers) assert.deepEqual(c, await getCrawler(c.Name));

    const one = await pages(G.GetCrawlersCommand, {}, 'Crawlers', 1);
    assert.deepEqual(one.map((p) => p.names), [['events'], ['readings'], ['slow']]);
    assert.ok(one[0].token && one[1].token, JSON.stringify(one));
    const two = await pages(G.GetCrawlersCommand, {}, 'Crawlers', 2);
    assert.deepEqual(two.map((p) => p.names), [['events', 'readings'], ['slow']]);
  });

  test('GetDatabases and GetDatabase: the databases the crawlers made', async () => {
    const all = await send(new G.GetDatabasesCommand({}));
    assert.equal(all.NextToken, undefined);
    const native = (await api('GET', '/v1/catalog/databases')).databases;
    assert.deepEqual(all.DatabaseList.map((d) => d.Name), ['bulk', 'plant']);
    assert.deepEqual(all.DatabaseList.map((d) => d.Name), native.map((d) => d.name));
    for (const d of all.DatabaseList) {
      assert.equal(d.CreateTime.getTime(), native.find((n) => n.name === d.Name).created_ms);
      assert.deepEqual(d, (await send(new G.GetDatabaseCommand({ Name: d.Name }))).Database);
    }
    assert.deepEqual((await pages(G.GetDatabasesCommand, {}, 'DatabaseList', 1)).map((p) => p.names), [['bulk'], ['plant']]);
  });

  test('GetTable: a crawled JSON table, a gzipped one and an ETL job\'s Parquet table, as /v1/catalog has them', async () => {
    // A Parquet table from plant.readings, partitioned by meter as well.
    const job = {
      source: { database: 'plant', table: 'readings' },
      transforms: [{ apply_mapping: [['meter', 'string', 'meter', 'string'], ['seq', 'bigint', 'seq', 'bigint'],
                                     ['temperature', 'double', 'temperature', 'double']] }],
      target: { path: 'glue-curated/readings/', format: 'parquet', compression: 'snappy', partition_keys: ['meter'],
                database: 'plant', table: 'readings_daily' },
    };
    fs.writeFileSync(path.join(dir, 'job.json'), JSON.stringify(job));
    await cli(['job', 'create', 'curate', '--file', path.join(dir, 'job.json')]);
    const run = JSON.parse((await cli(['job', 'run', 'curate', '--json'])).stdout);
    assert.equal(run.status, 'succeeded', JSON.stringify(run));
    assert.equal(run.rows_written, READINGS, JSON.stringify(run));

    // Everything GetTable says that the native description says too.
    const expectAsNative = async (database, name) => {
      const t = await getTable(database, name);
      const n = await nativeTable(database, name);
      assert.equal(t.Name, name);
      assert.equal(t.DatabaseName, database);
      assert.equal(t.TableType, 'EXTERNAL_TABLE');
      assert.deepEqual(t.StorageDescriptor.Columns, glueColumns(n.columns));
      assert.deepEqual(t.PartitionKeys, glueColumns(n.partition_keys));
      assert.equal(t.StorageDescriptor.Location, n.location);
      assert.equal(t.Parameters.classification, n.format);
      assert.equal(t.Parameters.recordCount, String(n.record_count));
      assert.equal(t.Parameters.objectCount, String(n.object_count));
      assert.equal(t.Parameters.sizeKey, String(n.size_bytes));
      assert.equal(t.VersionId, String(n.version));
      assert.ok(t.CreateTime instanceof Date && t.UpdateTime instanceof Date, JSON.stringify(t));
      assert.equal(t.CreateTime.getTime(), n.created_ms);
      assert.equal(t.UpdateTime.getTime(), n.updated_ms);
      return t;
    };

    const readings = await expectAsNative('plant', 'readings');
    assert.deepEqual(typesOf(readings.StorageDescriptor.Columns),
                     { device: 'string', seq: 'bigint', temperature: 'double', ok: 'boolean', ts: 'timestamp' });
    assert.deepEqual(readings.PartitionKeys, [{ Name: 'meter', Type: 'string' }]);
    assert.equal(readings.StorageDescriptor.Location, 's3://glue-lake/raw/', 'the crawler\'s source');
    assert.equal(readings.StorageDescriptor.Location, (await getCrawler('readings')).Targets.S3Targets[0].Path);
    assert.equal(readings.StorageDescriptor.SerdeInfo.SerializationLibrary, JSON_SERDE);
    assert.equal(readings.StorageDescriptor.InputFormat, 'org.apache.hadoop.mapred.TextInputFormat');
    assert.equal(readings.StorageDescriptor.OutputFormat, 'org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat');
    assert.equal(readings.StorageDescriptor.Compressed, false);
    assert.equal(readings.Parameters.classification, 'json');
    assert.equal(readings.Parameters.recordCount, String(READINGS));
    assert.equal(readings.VersionId, '1');

    const events = await expectAsNative('plant', 'events');
    assert.deepEqual(events.PartitionKeys.map((k) => k.Name), ['year', 'month', 'day', 'hour']);
    assert.deepEqual(typesOf(events.StorageDescriptor.Columns), { kind: 'string', n: 'bigint' });
    assert.equal(events.StorageDescriptor.Location, 's3://glue-events/');
    assert.equal(events.StorageDescriptor.SerdeInfo.SerializationLibrary, JSON_SERDE);
    assert.equal(events.StorageDescriptor.Compressed, true, 'the stream gzips its objects');
    assert.equal(events.Parameters.compressionType, 'gzip');
    assert.equal(events.Parameters.classification, 'json');
    assert.equal(events.Parameters.recordCount, String(EVENTS));

    const parquet = await expectAsNative('plant', 'readings_daily');
    assert.deepEqual(parquet.StorageDescriptor.Columns, [{ Name: 'seq', Type: 'bigint' }, { Name: 'temperature', Type: 'double' }]);
    assert.deepEqual(parquet.PartitionKeys, [{ Name: 'meter', Type: 'string' }]);
    assert.equal(parquet.StorageDescriptor.Location, 's3://glue-curated/readings/');
    assert.equal(parquet.StorageDescriptor.SerdeInfo.SerializationLibrary, PARQUET_SERDE);
    assert.equal(parquet.StorageDescriptor.InputFormat, 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat');
    assert.equal(parquet.StorageDescriptor.OutputFormat, 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat');
    assert.equal(parquet.StorageDescriptor.Compressed, true, 'snappy');
    assert.equal(parquet.Parameters.classification, 'parquet');
    assert.equal(parquet.Parameters.recordCount, String(READINGS));

    const bulk = await expectAsNative('bulk', 'bulk');
    assert.deepEqual(bulk.PartitionKeys, [{ Name: 'batch', Type: 'string' }]);
    assert.equal(bulk.Parameters.recordCount, String(Math.floor((1 << 20) / BULK_LINE.length) * BULK_MIB));
  });

  test('GetTables: every table, Expression a case-insensitive pattern of the whole name, a page at a time', async () => {
    const names = async (input) => {
      const r = await send(new G.GetTablesCommand({ DatabaseName: 'plant', ...input }));
      assert.equal(r.NextToken, undefined);
      return r.TableList.map((t) => t.Name);
    };
    const all = await send(new G.GetTablesCommand({ DatabaseName: 'plant' }));
    assert.deepEqual(all.TableList.map((t) => t.Name), ['events', 'readings', 'readings_daily']);
    const native = (await api('GET', '/v1/catalog/tables?database=plant')).tables;
    assert.deepEqual(all.TableList.map((t) => t.Name), native.map((t) => t.name));
    for (const t of all.TableList) assert.deepEqual(t, await getTable('plant', t.Name));

    assert.deepEqual(await names({ Expression: 'READINGS' }), ['readings'], 'the whole name, any case');
    assert.deepEqual(await names({ Expression: 'read.*' }), ['readings', 'readings_daily']);
    assert.deepEqual(await names({ Expression: '.*_daily|ev.nts' }), ['events', 'readings_daily']);
    assert.deepEqual(await names({ Expression: 'read' }), [], 'a part of a name does not match');
    // Hive's clients send globs: a '*' that repeats nothing means any characters.
    assert.deepEqual(await names({ Expression: '*' }), ['events', 'readings', 'readings_daily']);
    assert.deepEqual(await names({ Expression: '*_daily|events' }), ['events', 'readings_daily']);
    assert.deepEqual((await send(new G.GetTablesCommand({ DatabaseName: 'bulk' }))).TableList.map((t) => t.Name), ['bulk']);

    const one = await pages(G.GetTablesCommand, { DatabaseName: 'plant' }, 'TableList', 1);
    assert.deepEqual(one.map((p) => p.names), [['events'], ['readings'], ['readings_daily']]);
    const filtered = await pages(G.GetTablesCommand, { DatabaseName: 'plant', Expression: 'read.*' }, 'TableList', 1);
    assert.deepEqual(filtered.map((p) => p.names), [['readings'], ['readings_daily']]);

    // What a Hive or Spark Glue client asks as it starts: the catalog's functions, none.
    assert.deepEqual((await send(new G.GetUserDefinedFunctionsCommand({ DatabaseName: 'plant', Pattern: '*' }))).UserDefinedFunctions, []);
    assert.deepEqual((await send(new G.GetUserDefinedFunctionsCommand({ Pattern: '.*' }))).UserDefinedFunctions, []);
    await rejectsAws(send(new G.GetUserDefinedFunctionsCommand({ DatabaseName: 'nowhere', Pattern: '*' })),
                     'EntityNotFoundException', 400, /nowhere/);
  });

  test('GetPartitions pages through every partition /v1/catalog lists; GetPartition by values', async () => {
    for (const [database, table] of [['plant', 'readings'], ['plant', 'events'], ['plant', 'readings_daily']]) {
      const t = await getTable(database, table);
      const native = (await nativeTable(database, table)).partitions;
      assert.ok(native.length >= 1, `${table}: no partitions`);
      const all = await send(new G.GetPartitionsCommand({ DatabaseName: database, TableName: table }));
      assert.equal(all.NextToken, undefined);
      assert.deepEqual(all.Partitions.map((p) => p.Values), native.map((p) => p.values), table);

      // MaxResults 1: each partition once, in order.
      const seen = [];
      for (let token, n = 0; ; n++) {
        assert.ok(n <= native.length, `${table}: GetPartitions never ends: ${JSON.stringify(seen)}`);
        const page = await send(new G.GetPartitionsCommand({ DatabaseName: database, TableName: table, MaxResults: 1, NextToken: token }));
        assert.equal(page.Partitions.length, 1, `${table}: page ${n}: ${JSON.stringify(page.Partitions)}`);
        seen.push(page.Partitions[0]);
        if (!page.NextToken) break;
        token = page.NextToken;
      }
      assert.deepEqual(seen, all.Partitions, `${table}: the pages are not every partition once`);

      for (const [i, p] of all.Partitions.entries()) {
        const n = native[i];
        assert.equal(p.DatabaseName, database);
        assert.equal(p.TableName, table);
        assert.equal(p.StorageDescriptor.Location, n.location);
        assert.ok(p.StorageDescriptor.Location.startsWith(t.StorageDescriptor.Location) &&
                  p.StorageDescriptor.Location.length > t.StorageDescriptor.Location.length,
                  `${p.StorageDescriptor.Location} is not under ${t.StorageDescriptor.Location}`);
        assert.deepEqual(p.StorageDescriptor.Columns, t.StorageDescriptor.Columns);
        assert.equal(p.StorageDescriptor.SerdeInfo.SerializationLibrary, t.StorageDescriptor.SerdeInfo.SerializationLibrary);
        assert.equal(p.Parameters.recordCount, String(n.record_count));
        assert.equal(p.Parameters.objectCount, String(n.object_count));
        assert.ok(p.CreationTime instanceof Date);
        const one = (await send(new G.GetPartitionCommand({ DatabaseName: database, TableName: table, PartitionValues: p.Values }))).Partition;
        assert.deepEqual(one, p);
      }
      assert.equal(all.Partitions.reduce((sum, p) => sum + Number(p.Parameters.recordCount), 0),
                   Number(t.Parameters.recordCount), `${table}: the partitions' records are not the table's`);
    }

    // The meters' partitions hold what was put for each.
    const readings = (await send(new G.GetPartitionsCommand({ DatabaseName: 'plant', TableName: 'readings' }))).Partitions;
    assert.deepEqual(readings.map((p) => [p.Values, p.StorageDescriptor.Location, p.Parameters.recordCount]),
                     Object.entries(METERS).map(([m, n]) => [[m], `s3://glue-lake/raw/meter=${m}/`, String(n)]));
    // Expression, the predicate query engines push down.
    const matching = async (Expression, TableName = 'readings') =>
      (await send(new G.GetPartitionsCommand({ DatabaseName: 'plant', TableName, Expression }))).Partitions.map((p) => p.Values.join('/'));
    assert.deepEqual(await matching("meter = 'meter-2'"), ['meter-2']);
    assert.deepEqual(await matching("meter IN ('meter-1', 'meter-3')"), ['meter-1', 'meter-3']);
    assert.deepEqual(await matching("meter <> 'meter-1' AND NOT (meter = 'meter-3')"), ['meter-2']);
    // Strings order as text; BETWEEN, LIKE, NOT IN and IS NULL as SQL has them.
    assert.deepEqual(await matching("meter > 'meter-1'"), ['meter-2', 'meter-3']);
    assert.deepEqual(await matching("meter BETWEEN 'meter-2' AND 'meter-9'"), ['meter-2', 'meter-3']);
    assert.deepEqual(await matching("meter LIKE '%-_' AND meter NOT IN ('meter-2')"), ['meter-1', 'meter-3']);
    assert.deepEqual(await matching('meter IS NULL'), []);
    assert.deepEqual(await matching("meter = 'none'"), []);
    const events = (await send(new G.GetPartitionsCommand({ DatabaseName: 'plant', TableName: 'events' }))).Partitions;
    for (const p of events) {
      assert.equal(p.Values.length, 4);
      assert.equal(p.StorageDescriptor.Location, `s3://glue-events/${p.Values.join('/')}/`);
    }
    // Segments, as a parallel lister asks for them: disjoint, and together every partition
    // (with an Expression, every partition it is true of), a page at a time.
    for (const [table, Expression, want] of [['events', undefined, events], ['readings', undefined, readings],
                                             ['readings', "meter <> 'meter-2'", readings.filter((p) => p.Values[0] !== 'meter-2')]]) {
      for (const TotalSegments of [1, 2, 3, 10]) {
        const seen = [];
        for (let SegmentNumber = 0; SegmentNumber < TotalSegments; SegmentNumber++) {
          let NextToken;
          do {
            const page = await send(new G.GetPartitionsCommand({ DatabaseName: 'plant', TableName: table, Expression,
                                                                 Segment: { SegmentNumber, TotalSegments }, MaxResults: 1, NextToken }));
            seen.push(...page.Partitions.map((p) => p.Values.join('/')));
            NextToken = page.NextToken;
          } while (NextToken);
        }
        assert.deepEqual(seen.sort(), want.map((p) => p.Values.join('/')).sort(), `${table} in ${TotalSegments} segments`);
      }
    }
    // The meters' partitions fall in both of two segments (a hash of the values places them).
    const segment = async (SegmentNumber) => (await send(new G.GetPartitionsCommand({ DatabaseName: 'plant', TableName: 'readings',
      Segment: { SegmentNumber, TotalSegments: 2 } }))).Partitions.map((p) => p.Values[0]);
    assert.deepEqual([await segment(0), await segment(1)], [['meter-1', 'meter-3'], ['meter-2']]);

    await rejectsAws(send(new G.GetPartitionCommand({ DatabaseName: 'plant', TableName: 'readings', PartitionValues: ['meter-9'] })),
                     'EntityNotFoundException', 400, undefined, 'GetPartition of a missing partition');
    // BatchGetPartition: the ones asked for that exist, in the order asked.
    const got = await send(new G.BatchGetPartitionCommand({ DatabaseName: 'plant', TableName: 'readings',
      PartitionsToGet: [{ Values: ['meter-3'] }, { Values: ['meter-9'] }, { Values: ['meter-1'] }] }));
    assert.deepEqual(got.Partitions.map((p) => [p.Values, p.StorageDescriptor.Location]),
                     [[['meter-3'], 's3://glue-lake/raw/meter=meter-3/'], [['meter-1'], 's3://glue-lake/raw/meter=meter-1/']]);
    assert.deepEqual(got.UnprocessedKeys, []);
    await rejectsAws(send(new G.BatchGetPartitionCommand({ DatabaseName: 'plant', TableName: 'readings',
      PartitionsToGet: [{ Values: ['meter-1'] }, { Values: [] }] })), 'InvalidInputException', 400, /PartitionsToGet\[1\]\.Values: required/);
    await rejectsAws(send(new G.BatchGetPartitionCommand({ DatabaseName: 'plant', TableName: 'missing',
      PartitionsToGet: [{ Values: ['meter-1'] }] })), 'EntityNotFoundException', 400, /missing/);
  });

  test('errors come back as the SDK names them', async () => {
    const notFound = [
      ['GetDatabase of a missing database', new G.GetDatabaseCommand({ Name: 'nowhere' }), /nowhere/],
      ['GetTables in a missing database', new G.GetTablesCommand({ DatabaseName: 'nowhere' }), /nowhere/],
      ['GetTable in a missing database', new G.GetTableCommand({ DatabaseName: 'nowhere', Name: 'readings' }), /nowhere/],
      ['GetTable of a missing table', new G.GetTableCommand({ DatabaseName: 'plant', Name: 'missing' }), /missing/],
      ['GetPartitions of a missing table', new G.GetPartitionsCommand({ DatabaseName: 'plant', TableName: 'missing' }), /missing/],
      ['GetPartition of a missing table',
       new G.GetPartitionCommand({ DatabaseName: 'plant', TableName: 'missing', PartitionValues: ['meter-1'] }), /missing/],
      ['GetCrawler of a missing crawler', new G.GetCrawlerCommand({ Name: 'ghost' }), /ghost/],
      ['StartCrawler of a missing crawler', new G.StartCrawlerCommand({ Name: 'ghost' }), /ghost/],
    ];
    for (const [what, command, message] of notFound) {
      await rejectsAws(send(command), 'EntityNotFoundException', 400, message, what);
    }

    const invalid = [
      ['GetPartitions with an Expression that does not parse',
       new G.GetPartitionsCommand({ DatabaseName: 'plant', TableName: 'readings', Expression: "meter = = 'meter-1'" }),
       /Expression 'meter = = 'meter-1'': column \d+/],
      ['GetPartitions with a Segment past the last',
       new G.GetPartitionsCommand({ DatabaseName: 'plant', TableName: 'readings', Segment: { SegmentNumber: 2, TotalSegments: 2 } }),
       /Segment\.SegmentNumber: 2 is not in 0\.\.1/],
      ['GetPartitions with more than 10 segments',
       new G.GetPartitionsCommand({ DatabaseName: 'plant', TableName: 'readings', Segment: { SegmentNumber: 0, TotalSegments: 11 } }),
       /Segment\.TotalSegments: 11 is not in 1\.\.10/],
      ['GetPartitions with MaxResults 1001',
       new G.GetPartitionsCommand({ DatabaseName: 'plant', TableName: 'readings', MaxResults: 1001 }), /MaxResults/],
      ['GetPartitions with a NextToken it never gave',
       new G.GetPartitionsCommand({ DatabaseName: 'plant', TableName: 'readings', NextToken: 'page-2' }), /NextToken/],
      ['GetTables with MaxResults 0', new G.GetTablesCommand({ DatabaseName: 'plant', MaxResults: 0 }), /MaxResults/],
      ['GetCrawlers with MaxResults 1001', new G.GetCrawlersCommand({ MaxResults: 1001 }), /MaxResults/],
      ['GetTables with an Expression that is no regular expression',
       new G.GetTablesCommand({ DatabaseName: 'plant', Expression: 'read(' }), /read\(/],
    ];
    for (const [what, command, message] of invalid) {
      await rejectsAws(send(command), 'InvalidInputException', 400, message, what);
    }

    // Not served: column statistics; a table's partition indexes are (glue_tables_api.test.js).
    await rejectsAws(send(new G.GetColumnStatisticsForTableCommand({ DatabaseName: 'plant', TableName: 'made',
                                                                     ColumnNames: ['ozone'] })),
                     'UnknownOperationException', 400, /GetColumnStatisticsForTable/);
    await rejectsAws(send(new G.GetPartitionIndexesCommand({ DatabaseName: 'plant', TableName: 'made' })),
                     'EntityNotFoundException', 400);
    await rejectsAws(getTable('plant', 'made'), 'EntityNotFoundException', 400);

    // Refused signatures do nothing.
    const runsBefore = (await api('GET', '/v1/crawlers/readings/runs')).runs.length;
    const wrongSecret = clientWith({ accessKeyId: 'admin', secretAccessKey: `${server.token}x` });
    const stranger = clientWith({ accessKeyId: 'someone', secretAccessKey: server.token });
    try {
      await rejectsAws(wrongSecret.send(new G.GetDatabasesCommand({})), 'InvalidSignatureException', 403);
      await rejectsAws(wrongSecret.send(new G.StartCrawlerCommand({ Name: 'readings' })), 'InvalidSignatureException', 403);
      await rejectsAws(stranger.send(new G.GetTableCommand({ DatabaseName: 'plant', Name: 'readings' })),
                       'UnrecognizedClientException', 403, /someone/);
      await rejectsAws(stranger.send(new G.StartCrawlerCommand({ Name: 'readings' })), 'UnrecognizedClientException', 403);
    } finally {
      wrongSecret.destroy();
      stranger.destroy();
    }
    await sleep(200);
    assert.equal((await api('GET', '/v1/crawlers/readings/runs')).runs.length, runsBefore, 'a refused StartCrawler crawled');
    assert.equal((await getCrawler('readings')).State, 'READY');

    // Without the SDK: no signature is refused, the bearer token is taken.
    const postGlue = (operation, headers) => fetch(`${server.endpoint}/`, {
      method: 'POST', body: '{}', signal: AbortSignal.timeout(5000),
      headers: { 'X-Amz-Target': `AWSGlue.${operation}`, 'Content-Type': 'application/x-amz-json-1.1', ...headers },
    });
    const unsigned = await postGlue('GetDatabases', {});
    const unsignedText = await unsigned.text();
    assert.equal(unsigned.status, 403, unsignedText);
    assert.equal(unsigned.headers.get('x-amzn-errortype'), 'MissingAuthenticationTokenException');
    const bearer = await postGlue('GetDatabases', { Authorization: `Bearer ${server.token}` });
    const bearerText = await bearer.text();
    assert.equal(bearer.status, 200, bearerText);
    assert.match(bearer.headers.get('content-type'), /^application\/x-amz-json-1\.1/);
    assert.deepEqual(JSON.parse(bearerText).DatabaseList.map((d) => d.Name), ['bulk', 'plant']);
  });
});
