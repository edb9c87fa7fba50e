// AWS Glue's ETL job operations on POST / (AWS JSON 1.1, X-Amz-Target AWSGlue.*), driven by
// the AWS SDK's own Glue and S3 clients (`@aws-sdk/client-glue`, `@aws-sdk/client-s3`, SigV4
// with access key id 'admin' and the admin token as the secret), over readings Direct PUT
// into a stream and crawled into iot.raw with the CLI. The reference's "run the Glue job"
// step with AWS's tools alone: the job's YAML uploaded with PutObject, CreateJob naming it
// as Command.ScriptLocation, StartJobRun, GetJobRun polled until SUCCEEDED, then the
// Parquet files under the target path hold every reading (DuckDB) and GetTable finds the
// target table. GetJob (the document as JSON text in DefaultArguments["--tributary-job"],
// times as /v1/jobs has them, which sees the job the SDK made), GetJobs a page at a time;
// UpdateJob with another script (JSON, another filter) shows in GetJob, and the next run
// reads only the new object (the bookmark kept) and filters with the new script;
// GetJobRuns newest first, paged. A long run (large gzipped objects, one worker): a second
// StartJobRun is ConcurrentRunsExceededException, UpdateJob and DeleteJob are refused
// while it runs, BatchStopJobRun stops it (STOPPED, nothing written) and puts the ids not
// running in Errors; a job whose source table is missing runs FAILED with ErrorMessage.
// Errors by name: AlreadyExistsException, InvalidInputException for a missing script (no
// bucket made for it), YAML that does not parse or that the validator refuses (the file,
// line and column named), a location that is not s3://<bucket>/<key>, an argument other
// than the bookmark option; EntityNotFoundException for a missing job or run. DeleteJob
// removes the job and its runs (the name free again); deleting a missing job succeeds.
'use strict';

const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const zlib = require('node:zlib');
const G = require('@aws-sdk/client-glue');
const S3 = require('@aws-sdk/client-s3');
const { Server, describeRun, pollutionPayload, makeTempDir, sleep } = require('./harness');
const { rejectsAws } = require('./aws');
const { waitForLake, lakeRecords } = require('./lake');
const { referenceJob, expectedRow, duckRows, REFERENCE_JOB_YAML } = require('./etl');

const RAW = 'iot-data';          // the stream's bucket, crawled into iot.raw
const SCRIPTS = 'etl-scripts';   // the jobs' documents, uploaded with PutObject
const BULK = 'bulk-lake';        // the long run's source, crawled into bulk.raw
const READINGS = 24;             // readings of the first run
const BULK_OBJECTS = 8;          // the long run's gzipped objects ...
const BULK_MIB = 32;             // ... of this many MiB of JSON Lines each
const BULK_LINE = '{"seq":7,"ozone":42,"timestamp":"2026-01-01T00:00:00Z"}\n';


// The long run's job: one worker, so that a stop is seen between its objects.
const SLOW_YAML = `source: {database: bulk, table: raw}
workers: 1
transforms:
  - apply_mapping:
      - [seq, bigint, seq, bigint]
      - [ozone, bigint, ozone, double]
      - [timestamp, string, ts, timestamp]
target: {path: curated/slow/, format: parquet, database: bulk, table: slow}
`;

// A reading with a chosen ozone value.
const reading = (seq, ozone) => JSON.stringify({ ...JSON.parse(pollutionPayload(seq)), ozone });

describe('Glue ETL jobs (CreateJob, StartJobRun, GetJobRun, ...) through the AWS SDK', { timeout: 90000 }, () => {
  let server;
  let glue;
  let s3;
  const dir = makeTempDir('glue-jobs');
  const credentials = () => ({ accessKeyId: 'admin', secretAccessKey: server.token });
  const send = (command) => glue.send(command);
  const cli = async (args) => {
    const r = await server.cli(args);
    assert.equal(r.code, 0, `${describeRun(args.join(' '), r)}\n${server.tail(30)}`);
    return r;
  };
  const api = async (method, urlPath, body) => {
    const r = await server.api(method, urlPath, body);
    assert.ok(r.status >= 200 && r.status < 300, `${method} ${urlPath}: ${r.status} ${r.text}\n${server.tail(20)}`);
    return r.json;
  };
  const putScript = (key, text) => s3.send(new S3.PutObjectCommand({ Bucket: SCRIPTS, Key: key, Body: text }));
  const createJob = (name, scriptLocation) => send(new G.CreateJobCommand({
    Name: name, Role: 'arn:aws:iam::000000000000:role/glue', Command: { Name: 'glueetl', ScriptLocation: scriptLocation },
  }));
  const getJob = async (name) => (await send(new G.GetJobCommand({ JobName: name }))).Job;
  const jobNames = async () => (await send(new G.GetJobsCommand({}))).Jobs.map((j) => j.Name);
  const getRun = async (job, id) => (await send(new G.GetJobRunCommand({ JobName: job, RunId: id }))).JobRun;
  const nativeRun = (job, id) => api('GET', `/v1/jobs/${job}/runs/${id}`);
  const startRun = async (job, input = {}) => {
    const { JobRunId } = await send(new G.StartJobRunCommand({ JobName: job, ...input }));
    assert.match(JobRunId, /^\d+$/);
    return JobRunId;
  };
  // Polls GetJobRun until the run is no longer RUNNING; returns {run, states} (every
  // JobRunState seen, in order).
  const waitRun = async (job, id, timeoutMs = 20000) => {
    const deadline = Date.now() + timeoutMs;
    const states = [];
    for (;;) {
      const expired = Date.now() > deadline;
      const run = await getRun(job, id);
      if (states.at(-1) !== run.JobRunState) states.push(run.JobRunState);
      if (run.JobRunState !== 'RUNNING') return { run, states };
      if (expired) throw new Error(`run ${id} of ${job} still RUNNING after ${timeoutMs} ms: ${JSON.stringify(run)}\n${server.tail(30)}`);
      await sleep(50);
    }
  };
  // The run's times as the native run has them.
  const expectTimes = (run, native) => {
    assert.ok(run.StartedOn instanceof Date && run.CompletedOn instanceof Date, JSON.stringify(run));
    assert.equal(run.StartedOn.getTime(), native.started_ms);
    assert.equal(run.CompletedOn.getTime(), native.finished_ms);
    assert.equal(run.LastModifiedOn.getTime(), native.finished_ms);
    assert.equal(run.ExecutionTime, Math.trunc((native.finished_ms - native.started_ms) / 1000));
  };
  // Direct PUT of JSON records (one a line) into the stream, then flushed into the lake.
  let delivered = 0;
  const deliver = async (records) => {
    const r = await api('POST', '/v1/streams/pollution/records/batch', {
      Records: records.map((d) => ({ Data: Buffer.from(`${d}\n`).toString('base64') })),
    });
    assert.equal(r.FailedPutCount, 0, JSON.stringify(r));
    await api('POST', '/v1/streams/pollution/flush');
    delivered += records.length;
    await waitForLake(server, RAW, (l) => l.records.length >= delivered, { what: `${delivered} records in ${RAW}` });
  };
  const parquetKeys = (prefix) => lakeRecords(server, 'curated', prefix).objects.map((o) => o.key);

  const sent = [];
  let firstRunId;

  before(async () => {
    server = await Server.start({ tag: 'glue-jobs' });
    glue = new G.GlueClient({ endpoint: server.endpoint, region: 'us-east-1', credentials: credentials(), maxAttempts: 1 });
    s3 = new S3.S3Client({ endpoint: server.endpoint, region: 'us-east-1', forcePathStyle: true,
                           credentials: credentials(), maxAttempts: 1 });

    await cli(['stream', 'create', 'pollution', '--bucket', RAW, '--buffer-interval-s', '300']);
    for (let i = 0; i < READINGS; i++) sent.push(pollutionPayload(i));
    await deliver(sent);
    await cli(['crawler', 'create', 'raw', '--source', `s3://${RAW}/`, '--database', 'iot', '--table', 'raw']);
    assert.match((await cli(['crawler', 'run', 'raw'])).stdout, /succeeded/);

    // The long run's source: a small object crawled into bulk.raw; the large ones come later
    // (a job reads every object under the table's location, crawled or not).
    fs.mkdirSync(path.join(server.dataDir, 'lake', BULK, 'raw'), { recursive: true });
    fs.writeFileSync(path.join(server.dataDir, 'lake', BULK, 'raw', 'sample.json'), BULK_LINE.repeat(3));
    await cli(['crawler', 'create', 'bulk', '--source', `s3://${BULK}/raw/`, '--database', 'bulk', '--table', 'raw']);
    assert.match((await cli(['crawler', 'run', 'bulk'])).stdout, /succeeded/);

    await s3.send(new S3.CreateBucketCommand({ Bucket: SCRIPTS }));
  });
  after(async () => {
    if (glue) glue.destroy();
    if (s3) s3.destroy();
    if (server) await server.dispose();
  });

  test('the reference\'s ETL step with AWS tools: PutObject the YAML, CreateJob, StartJobRun, GetJobRun until SUCCEEDED', async () => {
    await putScript('jobs/pollution.yaml', REFERENCE_JOB_YAML);
    const created = await createJob('pollution', `s3://${SCRIPTS}/jobs/pollution.yaml`);
    assert.equal(created.Name, 'pollution');

    firstRunId = await startRun('pollution', { Arguments: { '--job-bookmark-option': 'job-bookmark-enable' } });
    const { run, states } = await waitRun('pollution', firstRunId);
    assert.ok(['RUNNING,SUCCEEDED', 'SUCCEEDED'].includes(states.join()), `states ${states}`);
    assert.equal(run.JobRunState, 'SUCCEEDED', `${JSON.stringify(run)}\n${server.tail(30)}`);
    assert.equal(run.Id, firstRunId);
    assert.equal(run.JobName, 'pollution');
    assert.equal(run.ErrorMessage, undefined);
    const native = await nativeRun('pollution', firstRunId);
    assert.equal(native.status, 'succeeded');
    assert.equal(native.rows_read, READINGS);
    assert.equal(native.rows_written, READINGS, JSON.stringify(native));
    expectTimes(run, native);

    // The Parquet output under the target path: every reading, typed and partitioned.
    const keys = parquetKeys('pollution/');
    assert.equal(keys.length, native.files_written, keys.join('\n'));
    for (const key of keys) assert.match(key, /^pollution\/year=\d{4}\/month=\d{1,2}\/day=\d{1,2}\/part-\d{5}-\d+-\d+\.parquet$/);
    const { rows, types } = await duckRows(path.join(server.dataDir, 'lake', 'curated', 'pollution'));
    assert.equal(rows.length, READINGS);
    assert.deepEqual(rows, sent.map(expectedRow).sort((a, b) => a.seq - b.seq));
    assert.equal(types.ozone, 'DOUBLE');

    // The target table, as Glue's catalog has it.
    const table = (await send(new G.GetTableCommand({ DatabaseName: 'iot', Name: 'pollution' }))).Table;
    assert.equal(table.StorageDescriptor.Location, 's3://curated/pollution/');
    assert.equal(table.Parameters.classification, 'parquet');
    assert.equal(table.Parameters.recordCount, String(READINGS));
    assert.deepEqual(table.PartitionKeys.map((k) => k.Name), ['year', 'month', 'day']);
  });

  test('GetJob and GetJobs (a page at a time) as /v1/jobs has them', async () => {
    await putScript('jobs/slow.yaml', SLOW_YAML);
    await createJob('slow', `s3://${SCRIPTS}/jobs/slow.yaml`);

    const job = await getJob('pollution');
    assert.equal(job.Name, 'pollution');
    assert.equal(job.Command.Name, 'glueetl');
    assert.deepEqual(JSON.parse(job.DefaultArguments['--tributary-job']), referenceJob(),
                     'the YAML script is the reference job as JSON');
    assert.equal(job.DefaultArguments['--job-bookmark-option'], 'job-bookmark-enable');
    assert.equal(job.ExecutionProperty.MaxConcurrentRuns, 1);
    const native = await api('GET', '/v1/jobs/pollution');
    assert.equal(job.CreatedOn.getTime(), native.created_ms);
    assert.equal(job.LastModifiedOn.getTime(), native.updated_ms);

    // The bearer-token API sees the jobs the SDK made.
    const listed = (await api('GET', '/v1/jobs')).jobs;
    assert.deepEqual(listed.map((j) => j.name), ['pollution', 'slow']);
    assert.deepEqual(listed[0].job, referenceJob());
    assert.equal(listed[0].source, 'iot.raw');
    assert.equal(listed[0].target, 'iot.pollution');
    assert.equal(listed[0].last_run.id, Number(firstRunId));

    const all = await send(new G.GetJobsCommand({}));
    assert.equal(all.NextToken, undefined);
    assert.deepEqual(all.Jobs.map((j) => j.Name), ['pollution', 'slow']);
    for (const j of all.Jobs) assert.deepEqual(j, await getJob(j.Name));
    const first = await send(new G.GetJobsCommand({ MaxResults: 1 }));
    assert.deepEqual(first.Jobs.map((j) => j.Name), ['pollution']);
    assert.ok(first.NextToken, 'a first page of one job of two has a NextToken');
    const second = await send(new G.GetJobsCommand({ MaxResults: 1, NextToken: first.NextToken }));
    assert.deepEqual(second.Jobs.map((j) => j.Name), ['slow']);
    assert.equal(second.NextToken, undefined);
    assert.deepEqual(second.Jobs[0], all.Jobs[1]);
  });

  test('UpdateJob with another script: GetJob shows it; the next run reads only the new object and filters with it', async () => {
    const before = await getJob('pollution');
    const v2 = referenceJob();
    v2.transforms[1].filter = 'ozone >= 50';
    await putScript('jobs/pollution-v2.json', JSON.stringify(v2, null, 2));
    const updated = await send(new G.UpdateJobCommand({
      JobName: 'pollution',
      JobUpdate: { Role: 'glue', Command: { Name: 'glueetl', ScriptLocation: `s3://${SCRIPTS}/jobs/pollution-v2.json` } },
    }));
    assert.equal(updated.JobName, 'pollution');
    const job = await getJob('pollution');
    assert.deepEqual(JSON.parse(job.DefaultArguments['--tributary-job']), v2);
    assert.notEqual(job.DefaultArguments['--tributary-job'], before.DefaultArguments['--tributary-job']);
    assert.equal(job.CreatedOn.getTime(), before.CreatedOn.getTime());
    assert.ok(job.LastModifiedOn.getTime() >= before.LastModifiedOn.getTime());
    assert.equal(job.LastModifiedOn.getTime(), (await api('GET', '/v1/jobs/pollution')).updated_ms);

    // New readings, three of them under the new filter's bound.
    const ozones = [10, 60, 49, 50, 99, 0];
    const fresh = ozones.map((o, i) => reading(1000 + i, o));
    await deliver(fresh);
    const id = await startRun('pollution');
    assert.ok(Number(id) > Number(firstRunId));
    const { run } = await waitRun('pollution', id);
    assert.equal(run.JobRunState, 'SUCCEEDED', `${JSON.stringify(run)}\n${server.tail(30)}`);
    const native = await nativeRun('pollution', id);
    assert.equal(native.objects_read, 1, `the bookmark: only the new object is read: ${JSON.stringify(native)}`);
    assert.equal(native.rows_read, fresh.length);
    assert.equal(native.rows_filtered, 3, `the new filter ozone >= 50: ${JSON.stringify(native)}`);
    assert.equal(native.rows_written, 3);
    expectTimes(run, native);

    const { rows } = await duckRows(path.join(server.dataDir, 'lake', 'curated', 'pollution'));
    assert.equal(rows.length, READINGS + 3);
    const kept = fresh.filter((_, i) => ozones[i] >= 50).map(expectedRow);
    assert.deepEqual(rows.filter((r) => r.seq >= 1000), kept);
    const table = (await send(new G.GetTableCommand({ DatabaseName: 'iot', Name: 'pollution' }))).Table;
    assert.equal(table.Parameters.recordCount, String(READINGS + 3));
  });

  test('GetJobRuns: newest first, as GetJobRun has each, a page at a time', async () => {
    const all = await send(new G.GetJobRunsCommand({ JobName: 'pollution' }));
    assert.equal(all.NextToken, undefined);
    const ids = all.JobRuns.map((r) => r.Id);
    assert.equal(ids.length, 2);
    assert.equal(ids[1], firstRunId);
    assert.ok(Number(ids[0]) > Number(ids[1]), `not newest first: ${ids}`);
    assert.deepEqual(ids, (await api('GET', '/v1/jobs/pollution/runs')).runs.map((r) => String(r.id)));
    for (const r of all.JobRuns) {
      assert.equal(r.JobRunState, 'SUCCEEDED');
      assert.deepEqual(r, await getRun('pollution', r.Id));
    }
    const first = await send(new G.GetJobRunsCommand({ JobName: 'pollution', MaxResults: 1 }));
    assert.deepEqual(first.JobRuns, all.JobRuns.slice(0, 1));
    assert.ok(first.NextToken, 'a first page of one run of two has a NextToken');
    const second = await send(new G.GetJobRunsCommand({ JobName: 'pollution', MaxResults: 1, NextToken: first.NextToken }));
    assert.deepEqual(second.JobRuns, all.JobRuns.slice(1));
    assert.equal(second.NextToken, undefined);
    assert.deepEqual((await send(new G.GetJobRunsCommand({ JobName: 'slow' }))).JobRuns, [], 'a job never run');
  });

  test('a long run: a second start, UpdateJob and DeleteJob refused while it runs; BatchStopJobRun stops it', async () => {
    // Large, very compressible gzipped objects (a few hundred KiB on disk), read by one worker.
    const line = Buffer.from(BULK_LINE.repeat(Math.floor((1 << 20) / BULK_LINE.length)));
    const gz = zlib.gzipSync(Buffer.concat(Array.from({ length: BULK_MIB }, () => line)));
    const folder = path.join(server.dataDir, 'lake', BULK, 'raw');
    for (let i = 0; i < BULK_OBJECTS; i++) {
      fs.writeFileSync(path.join(dir, 'part.json.gz'), gz);
      fs.renameSync(path.join(dir, 'part.json.gz'), path.join(folder, `part-${i}.json.gz`));
    }

    const id = await startRun('slow');
    await rejectsAws(send(new G.StartJobRunCommand({ JobName: 'slow' })), 'ConcurrentRunsExceededException', 400,
                     /already running/, 'StartJobRun while a run goes');
    const running = await getRun('slow', id);
    assert.equal(running.JobRunState, 'RUNNING',
                 `the run of ${BULK_OBJECTS} x ${BULK_MIB} MiB ended before GetJobRun: ${JSON.stringify(running)}`);
    assert.equal(running.CompletedOn, undefined);
    assert.equal(running.ExecutionTime, undefined);
    assert.equal((await api('GET', '/v1/jobs/slow')).state, 'running');
    await rejectsAws(send(new G.UpdateJobCommand({
      JobName: 'slow', JobUpdate: { Command: { ScriptLocation: `s3://${SCRIPTS}/jobs/slow.yaml` } },
    })), 'ConcurrentRunsExceededException', 400, /slow/, 'UpdateJob while a run goes');
    await rejectsAws(send(new G.DeleteJobCommand({ JobName: 'slow' })), 'ConcurrentRunsExceededException', 400,
                     /stop it first/, 'DeleteJob while a run goes');

    const stop = await send(new G.BatchStopJobRunCommand({ JobName: 'slow', JobRunIds: [id, firstRunId, 'jr_nope'] }));
    assert.deepEqual(stop.SuccessfulSubmissions, [{ JobName: 'slow', JobRunId: id }]);
    assert.deepEqual(stop.Errors.map((e) => [e.JobRunId, e.ErrorDetail.ErrorCode]),
                     [[firstRunId, 'InvalidInputException'], ['jr_nope', 'InvalidInputException']]);
    for (const e of stop.Errors) assert.match(e.ErrorDetail.ErrorMessage, /is not running/);
    const { run, states } = await waitRun('slow', id);
    assert.ok(['RUNNING,STOPPED', 'STOPPED'].includes(states.join()), `states ${states}`);
    assert.equal(run.JobRunState, 'STOPPED', JSON.stringify(run));
    assert.equal(run.ErrorMessage, undefined);
    const native = await nativeRun('slow', id);
    assert.equal(native.status, 'cancelled');
    assert.match(native.message, new RegExp(`^cancelled after \\d of ${BULK_OBJECTS + 1} objects; nothing was written`));
    expectTimes(run, native);
    assert.deepEqual(parquetKeys('slow/'), [], 'a stopped run wrote Parquet');
    await rejectsAws(send(new G.GetTableCommand({ DatabaseName: 'bulk', Name: 'slow' })), 'EntityNotFoundException', 400);
    assert.equal((await api('GET', '/v1/jobs/slow')).state, 'ready');

    // Stopped: stopping it again lands in Errors; the job is still there.
    const again = await send(new G.BatchStopJobRunCommand({ JobName: 'slow', JobRunIds: [id] }));
    assert.deepEqual(again.SuccessfulSubmissions, []);
    assert.deepEqual(again.Errors.map((e) => e.JobRunId), [id]);
    assert.equal((await getJob('slow')).Name, 'slow');
    assert.deepEqual((await send(new G.GetJobRunsCommand({ JobName: 'slow' }))).JobRuns.map((r) => r.Id), [id]);
  });

  test('a run whose source table is missing is FAILED with ErrorMessage', async () => {
    await putScript('jobs/orphan.yaml', REFERENCE_JOB_YAML.replace('table: raw}', 'table: missing}'));
    await createJob('orphan', `s3://${SCRIPTS}/jobs/orphan.yaml`);
    const id = await startRun('orphan');
    const { run } = await waitRun('orphan', id);
    assert.equal(run.JobRunState, 'FAILED', JSON.stringify(run));
    assert.match(run.ErrorMessage, /iot\.missing/);
    const native = await nativeRun('orphan', id);
    assert.equal(native.status, 'failed');
    assert.equal(run.ErrorMessage, native.message);
    expectTimes(run, native);
    await send(new G.DeleteJobCommand({ JobName: 'orphan' }));
  });

  test('errors come back as the SDK names them, and change nothing', async () => {
    const jobsBefore = await jobNames();
    const pollution = await getJob('pollution');
    const runsBefore = (await send(new G.GetJobRunsCommand({ JobName: 'pollution' }))).JobRuns;

    await rejectsAws(createJob('pollution', `s3://${SCRIPTS}/jobs/pollution.yaml`), 'AlreadyExistsException', 400,
                     /pollution/, 'CreateJob of a name taken');

    // Scripts that cannot be read: InvalidInputException naming the location.
    await rejectsAws(createJob('nope', `s3://${SCRIPTS}/jobs/none.yaml`), 'InvalidInputException', 400,
                     /s3:\/\/etl-scripts\/jobs\/none\.yaml.*does not exist/, 'CreateJob of a missing script');
    for (const location of ['file:///tmp/job.yaml', `${SCRIPTS}/jobs/pollution.yaml`, `s3://${SCRIPTS}/`, 's3://',
                            `https://${SCRIPTS}.s3.amazonaws.com/jobs/pollution.yaml`]) {
      await rejectsAws(createJob('nope', location), 'InvalidInputException', 400,
                       /is not s3:\/\/<bucket>\/<key>/, `CreateJob with ScriptLocation '${location}'`);
    }
    await rejectsAws(send(new G.CreateJobCommand({ Name: 'nope', Role: 'glue', Command: { Name: 'glueetl' } })),
                     'InvalidInputException', 400, /ScriptLocation is required/, 'CreateJob without a ScriptLocation');
    await rejectsAws(send(new G.CreateJobCommand({
      Name: 'nope', Role: 'glue', Command: { Name: 'spark', ScriptLocation: `s3://${SCRIPTS}/jobs/pollution.yaml` },
    })), 'InvalidInputException', 400, /spark/, 'CreateJob of another Command.Name');

    // YAML that does not parse: the file, line and column.
    await putScript('jobs/broken.yaml', 'source: {database: iot\n');
    await rejectsAws(createJob('nope', `s3://${SCRIPTS}/jobs/broken.yaml`), 'InvalidInputException', 400,
                     /broken\.yaml line \d+, column \d+: not valid YAML/, 'CreateJob of YAML that does not parse');

    // Arguments other than the bookmark option are refused, naming them; nothing runs.
    await rejectsAws(send(new G.StartJobRunCommand({ JobName: 'pollution', Arguments: { '--day': '2026-01-01' } })),
                     'InvalidInputException', 400, /'--day'/, 'StartJobRun with an unknown argument');
    await rejectsAws(send(new G.StartJobRunCommand({
      JobName: 'pollution', Arguments: { '--job-bookmark-option': 'job-bookmark-disable' },
    })), 'InvalidInputException', 400, /--job-bookmark-option/, 'StartJobRun with bookmarks disabled');

    // Missing jobs and runs.
    const notFound = [
      ['StartJobRun of a missing job', new G.StartJobRunCommand({ JobName: 'ghost' }), /ghost/],
      ['GetJob of a missing job', new G.GetJobCommand({ JobName: 'ghost' }), /ghost/],
      ['UpdateJob of a missing job',
       new G.UpdateJobCommand({ JobName: 'ghost', JobUpdate: { Command: { ScriptLocation: `s3://${SCRIPTS}/jobs/pollution.yaml` } } }),
       /ghost/],
      ['GetJobRuns of a missing job', new G.GetJobRunsCommand({ JobName: 'ghost' }), /ghost/],
      ['GetJobRun of a missing job', new G.GetJobRunCommand({ JobName: 'ghost', RunId: firstRunId }), /ghost/],
      ['GetJobRun with a bogus id', new G.GetJobRunCommand({ JobName: 'pollution', RunId: 'jr_0123456789abcdef' }), /jr_0123456789abcdef/],
      ['GetJobRun of a run never made', new G.GetJobRunCommand({ JobName: 'pollution', RunId: '999999' }), /999999/],
      ['GetJobRun of another job\'s run', new G.GetJobRunCommand({ JobName: 'slow', RunId: firstRunId }), undefined],
    ];
    for (const [what, command, message] of notFound) {
      await rejectsAws(send(command), 'EntityNotFoundException', 400, message, what);
    }
    await rejectsAws(send(new G.GetJobRunsCommand({ JobName: 'pollution', NextToken: 'page-2' })),
                     'InvalidInputException', 400, /NextToken/, 'GetJobRuns with a NextToken it never gave');
    await rejectsAws(send(new G.GetJobsCommand({ MaxResults: 0 })), 'InvalidInputException', 400, /MaxResults/);

    // UpdateJob with a script that cannot be read leaves the job as it was.
    await rejectsAws(send(new G.UpdateJobCommand({
      JobName: 'pollution', JobUpdate: { Command: { ScriptLocation: `s3://${SCRIPTS}/jobs/broken.yaml` } },
    })), 'InvalidInputException', 400, /JobUpdate\.Command\.ScriptLocation.*broken\.yaml line \d+/, 'UpdateJob with broken YAML');

    assert.deepEqual(await jobNames(), jobsBefore, 'a refused call made or removed a job');
    assert.deepEqual(await getJob('pollution'), pollution, 'a refused call changed the job');
    assert.deepEqual((await send(new G.GetJobRunsCommand({ JobName: 'pollution' }))).JobRuns, runsBefore,
                     'a refused StartJobRun made a run');
  });

  test('a script the job validator refuses: InvalidInputException naming its file, line and column', async () => {
    const bad = REFERENCE_JOB_YAML.replace('"ozone >= 0"', '"ozone >="');
    const lines = bad.split('\n');
    const line = lines.findIndex((l) => l.includes('"ozone >="')) + 1;
    const column = lines[line - 1].indexOf('"ozone >="') + 1;
    await putScript('jobs/bad.yaml', bad);
    // The CLI names the place: `tributary job create --file bad.yaml`.
    fs.writeFileSync(path.join(dir, 'bad.yaml'), bad);
    const r = await server.cli(['job', 'create', 'bad', '--file', path.join(dir, 'bad.yaml')]);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, new RegExp(`\\$\\.transforms\\[1\\]\\.filter: .*bad\\.yaml line ${line}, column ${column}`));
    // So does CreateJob (docs/aws-api.md: "a bad one is InvalidInputException naming its
    // file, line and column").
    await rejectsAws(createJob('bad', `s3://${SCRIPTS}/jobs/bad.yaml`), 'InvalidInputException', 400,
                     new RegExp(`\\$\\.transforms\\[1\\]\\.filter: .*bad\\.yaml line ${line}, column ${column}`),
                     'CreateJob of a script the validator refuses');
    await rejectsAws(getJob('bad'), 'EntityNotFoundException', 400);
  });

  test('a script in a bucket that does not exist: InvalidInputException, and no bucket is made', async () => {
    const bucketsBefore = (await s3.send(new S3.ListBucketsCommand({}))).Buckets.map((b) => b.Name);
    assert.ok(!bucketsBefore.includes('no-such-scripts'));
    await rejectsAws(createJob('nope', 's3://no-such-scripts/jobs/pollution.yaml'), 'InvalidInputException', 400,
                     /s3:\/\/no-such-scripts\/jobs\/pollution\.yaml/, 'CreateJob of a script in a missing bucket');
    assert.ok(!fs.existsSync(path.join(server.dataDir, 'lake', 'no-such-scripts')),
              'CreateJob made the directory of the bucket its script names');
    assert.deepEqual((await s3.send(new S3.ListBucketsCommand({}))).Buckets.map((b) => b.Name), bucketsBefore);
  });

  test('DeleteJob: GetJob is then EntityNotFoundException, its runs are gone, the name is free; a missing job deletes fine', async () => {
    const deleted = await send(new G.DeleteJobCommand({ JobName: 'slow' }));
    assert.equal(deleted.JobName, 'slow');
    await rejectsAws(getJob('slow'), 'EntityNotFoundException', 400, /slow/, 'GetJob of a deleted job');
    await rejectsAws(send(new G.GetJobRunsCommand({ JobName: 'slow' })), 'EntityNotFoundException', 400, /slow/);
    await rejectsAws(send(new G.StartJobRunCommand({ JobName: 'slow' })), 'EntityNotFoundException', 400, /slow/);
    assert.deepEqual(await jobNames(), ['pollution']);
    assert.deepEqual((await api('GET', '/v1/jobs')).jobs.map((j) => j.name), ['pollution']);

    // Deleting it again, or a job that never was, succeeds as in Glue.
    assert.equal((await send(new G.DeleteJobCommand({ JobName: 'slow' }))).JobName, 'slow');
    assert.equal((await send(new G.DeleteJobCommand({ JobName: 'never-was' }))).JobName, 'never-was');

    // The name is free again, with no runs of the job before.
    await createJob('slow', `s3://${SCRIPTS}/jobs/slow.yaml`);
    assert.deepEqual((await send(new G.GetJobRunsCommand({ JobName: 'slow' }))).JobRuns, []);
    // The other job's output stays.
    assert.equal((await duckRows(path.join(server.dataDir, 'lake', 'curated', 'pollution'))).rows.length, READINGS + 3);
  });
});
