// S3's read API over the lake, driven by the AWS SDK's own S3 client (`@aws-sdk/client-s3`)
// with an endpoint override, path-style addressing and SigV4 (access key id 'admin', the
// admin token as the secret), over what Direct PUT streams wrote to the local lake (one
// uncompressed and partitioned by device, a device's name with a space in it, an object
// past 4 MiB; one gzipped) and a directory put in the lake by hand: ListBuckets names them
// all; ListObjectsV2 lists what is on disk (folders with a delimiter, pages of MaxKeys with
// ContinuationToken, StartAfter, keys percent-encoded with EncodingType url), and so does
// ListObjects, the first version (Marker, NextMarker); GetBucketLocation; GetObject
// returns the bytes on disk, whole or a Range (206, Content-Range; 416 past the end);
// HeadObject and HeadBucket; a gzip object carries Content-Encoding gzip, which Node's fetch
// decodes from a presigned URL; and the errors the SDK names: no such key or bucket (reading
// creates no bucket), the calls still not served (DeleteBucket, PutBucketPolicy:
// NotImplemented, naming what is, and nothing changes), a wrong secret or access key id, and
// plain HTTP without a signature, which is not the S3 API. Writes: s3_writes.test.js.
'use strict';

const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const zlib = require('node:zlib');
const S3 = require('@aws-sdk/client-s3');
const { getSignedUrl } = require('@aws-sdk/s3-request-presigner');
const { Server } = require('./harness');
const { listObjects, objectText, waitForLake } = require('./lake');
const { rejectsAws } = require('./aws');

const TEST_STARTED_MS = Date.now();  // before any bucket exists

const PLAIN = 's3-plain';   // stream "plain": uncompressed, raw/<device>/, err/ for no device
const ZIPPED = 's3-gzip';   // stream "zipped": gzip, arch/<yyyy/MM/dd/HH>/
const IDLE = 's3-idle';     // stream "idle": nothing delivered
const HAND = 'hand-made';   // a directory of the lake no stream names
const MISSING = 'no-such-lake';
const DEVICES = ['meter-1', 'meter-2', 'meter 7'];
const SPACED = 'raw/meter 7/';
const MiB = 1 << 20;

describe('S3 API over the lake through the AWS SDK', { timeout: 90000 }, () => {
  let server;
  let s3;
  const clients = [];
  const s3With = (credentials) => {
    const client = new S3.S3Client({
      endpoint: server.endpoint, region: 'us-east-1', forcePathStyle: true, credentials, maxAttempts: 1,
    });
    clients.push(client);
    return client;
  };
  const send = (command) => s3.send(command);
  const apiOk = async (method, url, body) => {
    const r = await server.api(method, url, body);
    assert.ok(r.status >= 200 && r.status < 300, `${method} ${url}: ${r.status} ${r.text}\n${server.tail(20)}`);
    return r.json;
  };
  // Direct PUT of JSON records (one a line), in batches of at most `batch`.
  const putRecords = async (stream, records, batch = 500) => {
    for (let i = 0; i < records.length; i += batch) {
      const Records = records.slice(i, i + batch)
        .map((r) => ({ Data: Buffer.from(`${JSON.stringify(r)}\n`).toString('base64') }));
      const put = await apiOk('POST', `/v1/streams/${stream}/records/batch`, { Records });
      assert.equal(put.FailedPutCount, 0, JSON.stringify(put.RequestResponses.filter((x) => x.ErrorCode)));
    }
  };
  const flushUntil = async (stream, bucket, objects) => {
    await apiOk('POST', `/v1/streams/${stream}/flush`);
    await waitForLake(server, bucket, (l) => l.objects.length >= objects, { what: `${objects} objects in ${bucket}` });
  };
  const bucketDir = (bucket) => path.join(server.dataDir, 'lake', bucket);
  // [{key, data, size, mtimeMs}] of a bucket's files on disk, in key order.
  const disk = (bucket) => listObjects(bucketDir(bucket)).map((o) => ({
    ...o, size: o.data.length, mtimeMs: fs.statSync(path.join(bucketDir(bucket), o.key)).mtimeMs,
  }));
  const list = (input) => send(new S3.ListObjectsV2Command(input));
  const get = (Bucket, Key, more = {}) => send(new S3.GetObjectCommand({ Bucket, Key, ...more }));
  const bytesOf = async (output) => Buffer.from(await output.Body.transformToByteArray());
  // Every page of a listing, following NextContinuationToken.
  const allPages = async (input) => {
    const pages = [];
    for (let token; ;) {
      const page = await list({ ...input, ContinuationToken: token });
      pages.push(page);
      if (!page.IsTruncated) return pages;
      assert.ok(page.NextContinuationToken, `a truncated page without NextContinuationToken: ${JSON.stringify(page)}`);
      assert.ok(pages.length < 50, 'the listing never ends');
      token = page.NextContinuationToken;
    }
  };
  const keysOf = (page) => (page.Contents || []).map((o) => o.Key);
  const prefixesOf = (page) => (page.CommonPrefixes || []).map((p) => p.Prefix);
  const sent = { zipped: [] };

  before(async () => {
    server = await Server.start({ tag: 's3-api' });
    s3 = s3With({ accessKeyId: 'admin', secretAccessKey: server.token });
    await apiOk('POST', '/v1/streams', {
      name: 'plain', bucket: PLAIN, prefix: 'raw/!{partitionKeyFromQuery:device}/',
      error_prefix: 'err/!{firehose:error-output-type}/', partition_query: '{device: .device}',
      buffer_interval_s: 300, buffer_size_mib: 16,
    });
    await apiOk('POST', '/v1/streams', { name: 'zipped', bucket: ZIPPED, prefix: 'arch/', compression: 'gzip', buffer_interval_s: 300 });
    await apiOk('POST', '/v1/streams', { name: 'idle', bucket: IDLE, buffer_interval_s: 300 });

    // Two deliveries of each device's readings, a record without a device (under err/), and
    // one device's 5.4 MB in a single object (more than one 4 MiB read of the lake).
    const readings = (round) => DEVICES.flatMap((device) =>
      Array.from({ length: 5 }, (_, i) => ({ device, round, seq: i, value: (i * 7 + round) % 11 })));
    await putRecords('plain', [...readings(1), { round: 1, note: 'no device' }]);
    await flushUntil('plain', PLAIN, DEVICES.length + 1);
    await putRecords('plain', readings(2));
    await putRecords('plain', Array.from({ length: 600 }, (_, i) => ({ device: 'bulk', seq: i, pad: String(i % 10).repeat(9000) })), 250);
    await flushUntil('plain', PLAIN, 2 * DEVICES.length + 2);

    sent.zipped = Array.from({ length: 200 }, (_, i) => ({ device: `meter-${i % 4}`, seq: i, ozone: 10 + (i % 17) }));
    await putRecords('zipped', sent.zipped);
    await flushUntil('zipped', ZIPPED, 1);

    // Put in the lake behind the server's back: every byte value.
    fs.mkdirSync(path.join(bucketDir(HAND), 'docs'), { recursive: true });
    fs.writeFileSync(path.join(bucketDir(HAND), 'docs', 'bytes.bin'), Buffer.from(Array.from({ length: 256 }, (_, i) => i)));
  });

  after(async () => {
    for (const client of clients) client.destroy();
    if (server) await server.dispose();
  });

  test('ListBuckets names the streams\' buckets and the lake\'s directories, created when they were made; HeadBucket finds them', async () => {
    const listed = await send(new S3.ListBucketsCommand({}));
    assert.equal(listed.$metadata.httpStatusCode, 200);
    assert.deepEqual(listed.Buckets.map((b) => b.Name), [HAND, ZIPPED, IDLE, PLAIN]);
    for (const b of listed.Buckets) {
      assert.ok(b.CreationDate instanceof Date, `${b.Name}: CreationDate ${b.CreationDate}`);
      // Made by this test (file system times may trail the clock by a tick).
      const made = b.CreationDate.getTime();
      assert.ok(made >= TEST_STARTED_MS - 1000 && made <= Date.now(),
                `${b.Name}: CreationDate ${b.CreationDate.toISOString()}, the test started ${new Date(TEST_STARTED_MS).toISOString()}`);
    }
    for (const bucket of [HAND, ZIPPED, IDLE, PLAIN]) {
      assert.equal((await send(new S3.HeadBucketCommand({ Bucket: bucket }))).$metadata.httpStatusCode, 200, bucket);
    }
    // A stream's bucket with nothing delivered yet lists empty.
    const idle = await list({ Bucket: IDLE });
    assert.equal(idle.KeyCount, 0);
    assert.equal(idle.Contents, undefined);
    assert.equal(idle.IsTruncated, false);
  });

  test('ListObjectsV2: folders with a delimiter, every file on disk with its size, ETag and time', async () => {
    const top = await list({ Bucket: PLAIN, Delimiter: '/' });
    assert.deepEqual(prefixesOf(top), ['err/', 'raw/']);
    assert.deepEqual(keysOf(top), []);
    assert.equal(top.KeyCount, 2);
    assert.deepEqual(prefixesOf(await list({ Bucket: ZIPPED, Delimiter: '/' })), ['arch/']);
    assert.deepEqual(prefixesOf(await list({ Bucket: HAND, Delimiter: '/' })), ['docs/']);
    // Byte order: ' ' before '-'.
    const devices = await list({ Bucket: PLAIN, Prefix: 'raw/', Delimiter: '/' });
    assert.deepEqual(prefixesOf(devices), ['raw/bulk/', SPACED, 'raw/meter-1/', 'raw/meter-2/']);
    assert.equal(devices.Prefix, 'raw/');
    assert.equal(devices.Delimiter, '/');

    for (const bucket of [PLAIN, ZIPPED, HAND]) {
      const files = disk(bucket);
      const all = await list({ Bucket: bucket });
      assert.equal(all.IsTruncated, false, bucket);
      assert.equal(all.KeyCount, files.length, bucket);
      assert.equal(all.MaxKeys, 1000, bucket);
      assert.deepEqual(all.Contents.map((o) => ({ key: o.Key, size: o.Size })),
                       files.map((f) => ({ key: f.key, size: f.size })), `${bucket}: the listing is not what is on disk`);
      for (const [i, o] of all.Contents.entries()) {
        assert.match(o.ETag, /^"[^"]+"$/, `${o.Key}: ETag ${o.ETag}`);
        assert.ok(Math.abs(o.LastModified.getTime() - files[i].mtimeMs) < 1000,
                  `${o.Key}: LastModified ${o.LastModified.toISOString()}, file ${new Date(files[i].mtimeMs).toISOString()}`);
      }
    }
    const plain = disk(PLAIN);
    assert.equal(plain.length, 2 * DEVICES.length + 2);
    assert.equal(plain.filter((f) => f.key.startsWith('err/')).length, 1);
    assert.ok(plain.some((f) => f.key.startsWith('raw/bulk/') && f.size > 5 * MiB), 'no object past 5 MiB');
    assert.match(disk(ZIPPED)[0].key, /^arch\/\d{4}\/\d{2}\/\d{2}\/\d{2}\/zipped-1-.*\.gz$/);

    // The folder whose name has a space, by prefix.
    const spaced = await list({ Bucket: PLAIN, Prefix: SPACED });
    assert.deepEqual(keysOf(spaced), plain.filter((f) => f.key.startsWith(SPACED)).map((f) => f.key));
    assert.equal(keysOf(spaced).length, 2);
    assert.equal(spaced.Prefix, SPACED);
    // MaxKeys is capped at 1000.
    const capped = await list({ Bucket: PLAIN, MaxKeys: 5000 });
    assert.equal(capped.MaxKeys, 1000);
    assert.deepEqual(keysOf(capped), plain.map((f) => f.key));
    // MaxKeys 0 asks for nothing: an empty, complete page (a loop on IsTruncated ends).
    const none = await list({ Bucket: PLAIN, MaxKeys: 0 });
    assert.equal(none.KeyCount, 0);
    assert.equal(none.IsTruncated, false);
    assert.equal(none.NextContinuationToken, undefined);
  });

  test('ListObjectsV2 pages: MaxKeys with ContinuationToken visits every key once in order; StartAfter', async () => {
    const keys = disk(PLAIN).map((f) => f.key);
    const pages = await allPages({ Bucket: PLAIN, MaxKeys: 2 });
    assert.equal(pages.length, Math.ceil(keys.length / 2), JSON.stringify(pages.map(keysOf)));
    for (const [i, page] of pages.entries()) {
      const last = i === pages.length - 1;
      assert.equal(page.IsTruncated, !last, `page ${i}`);
      assert.equal(page.MaxKeys, 2);
      assert.equal(page.KeyCount, keysOf(page).length, `page ${i}`);
      assert.ok(keysOf(page).length >= 1 && keysOf(page).length <= 2, `page ${i}: ${keysOf(page)}`);
      if (last) assert.equal(page.NextContinuationToken, undefined);
      if (i > 0) assert.equal(page.ContinuationToken, pages[i - 1].NextContinuationToken, `page ${i}`);
    }
    assert.deepEqual(pages.flatMap(keysOf), keys);

    // Folders page too: one prefix a page.
    const folderPages = await allPages({ Bucket: PLAIN, Prefix: 'raw/', Delimiter: '/', MaxKeys: 1 });
    assert.deepEqual(folderPages.map(prefixesOf), [['raw/bulk/'], [SPACED], ['raw/meter-1/'], ['raw/meter-2/']]);
    assert.deepEqual(folderPages.map((p) => p.IsTruncated), [true, true, true, false]);

    // StartAfter a key, between keys, past the last; with a delimiter.
    const after2 = await list({ Bucket: PLAIN, StartAfter: keys[2] });
    assert.deepEqual(keysOf(after2), keys.slice(3));
    assert.equal(after2.StartAfter, keys[2]);
    assert.deepEqual(keysOf(await list({ Bucket: PLAIN, StartAfter: 'raw/meter' })), keys.filter((k) => k > 'raw/meter'));
    assert.equal((await list({ Bucket: PLAIN, StartAfter: keys.at(-1) })).KeyCount, 0);
    assert.deepEqual(prefixesOf(await list({ Bucket: PLAIN, Delimiter: '/', StartAfter: 'err/' })), ['raw/']);
    // StartAfter inside a folder gives the folder for its later keys, as S3 does; the folder
    // itself (where a page of folders ended) does not.
    const firstRaw = keys.find((k) => k.startsWith('raw/'));
    assert.deepEqual(prefixesOf(await list({ Bucket: PLAIN, Delimiter: '/', StartAfter: firstRaw })), ['raw/']);
    assert.deepEqual(prefixesOf(await list({ Bucket: PLAIN, Delimiter: '/', StartAfter: 'raw/' })), []);
    // StartAfter and pages together.
    const tail = await allPages({ Bucket: PLAIN, MaxKeys: 3, StartAfter: keys[1] });
    assert.deepEqual(tail.flatMap(keysOf), keys.slice(2));
  });

  // ListObjects, the first version, which older tools (s3fs, rclone's default for other
  // providers, s3cmd) use; and GetBucketLocation, which they ask first.
  test('ListObjects (v1): Marker and MaxKeys page every key once, NextMarker with a delimiter; GetBucketLocation', async () => {
    const keys = disk(PLAIN).map((f) => f.key);
    const v1 = (input) => send(new S3.ListObjectsCommand(input));
    const all = await v1({ Bucket: PLAIN });
    assert.deepEqual((all.Contents || []).map((c) => c.Key), keys);
    assert.equal(all.IsTruncated, false);
    const sizes = Object.fromEntries(disk(PLAIN).map((f) => [f.key, f.data.length]));
    for (const c of all.Contents) assert.equal(c.Size, sizes[c.Key], c.Key);
    // Pages: the next starts after the last key of the one before (Marker).
    const seen = [];
    let marker;
    for (let i = 0; i < 100; ++i) {
      const page = await v1({ Bucket: PLAIN, MaxKeys: 2, Marker: marker });
      const got = (page.Contents || []).map((c) => c.Key);
      assert.ok(got.length >= 1 && got.length <= 2, JSON.stringify(got));
      assert.equal(page.Marker ?? '', marker ?? '');
      seen.push(...got);
      if (!page.IsTruncated) break;
      marker = page.NextMarker || got.at(-1);
    }
    assert.deepEqual(seen, keys);
    // With a delimiter, folders page too, and NextMarker says where.
    const first = await v1({ Bucket: PLAIN, Prefix: 'raw/', Delimiter: '/', MaxKeys: 1 });
    assert.deepEqual((first.CommonPrefixes || []).map((p) => p.Prefix), ['raw/bulk/']);
    assert.equal(first.IsTruncated, true);
    assert.equal(first.NextMarker, 'raw/bulk/');
    const second = await v1({ Bucket: PLAIN, Prefix: 'raw/', Delimiter: '/', MaxKeys: 1, Marker: first.NextMarker });
    assert.deepEqual((second.CommonPrefixes || []).map((p) => p.Prefix), [SPACED]);
    await rejectsAws(v1({ Bucket: MISSING }), 'NoSuchBucket', 404);

    const location = await send(new S3.GetBucketLocationCommand({ Bucket: PLAIN }));
    assert.equal(location.$metadata.httpStatusCode, 200);
    assert.ok(!location.LocationConstraint, `the default region: ${location.LocationConstraint}`);
    await rejectsAws(send(new S3.GetBucketLocationCommand({ Bucket: MISSING })), 'NoSuchBucket', 404);
    assert.equal(fs.existsSync(bucketDir(MISSING)), false);
    // Other sub-resources of a bucket are refused, naming what is served.
    await rejectsAws(send(new S3.GetBucketVersioningCommand({ Bucket: PLAIN })), 'NotImplemented', 501,
                     /versioning.*not served|not served.*versioning|'\?versioning'/);
  });

  test('EncodingType url: keys and prefixes percent-encoded (the SDK hands them over as sent), decoding to the keys', async () => {
    const keys = disk(PLAIN).map((f) => f.key);
    const encoded = await list({ Bucket: PLAIN, EncodingType: 'url' });
    assert.equal(encoded.EncodingType, 'url');
    const got = keysOf(encoded);
    assert.deepEqual(got.map(decodeURIComponent), keys);
    const spaced = got.filter((k) => decodeURIComponent(k).startsWith(SPACED));
    assert.equal(spaced.length, 2, JSON.stringify(got));
    for (const k of spaced) {
      assert.ok(!k.includes(' '), `a key with a space not encoded: ${k}`);
      assert.match(k, /meter%207/, k);
    }
    const folders = await list({ Bucket: PLAIN, Prefix: 'raw/', Delimiter: '/', EncodingType: 'url' });
    assert.deepEqual(prefixesOf(folders).map(decodeURIComponent), ['raw/bulk/', SPACED, 'raw/meter-1/', 'raw/meter-2/']);
    assert.ok(!prefixesOf(folders).some((p) => p.includes(' ')), JSON.stringify(prefixesOf(folders)));
    // The space in the prefix asked for.
    const inSpaced = await list({ Bucket: PLAIN, Prefix: SPACED, EncodingType: 'url' });
    assert.deepEqual(keysOf(inSpaced).map(decodeURIComponent), keys.filter((k) => k.startsWith(SPACED)));
  });

  test('GetObject returns the bytes on disk; HeadObject its length, ETag and time', async () => {
    for (const bucket of [PLAIN, ZIPPED, HAND]) {
      const listed = new Map((await list({ Bucket: bucket })).Contents.map((o) => [o.Key, o]));
      for (const file of disk(bucket)) {
        const what = `${bucket}/${file.key}`;
        const out = await get(bucket, file.key);
        assert.equal(out.$metadata.httpStatusCode, 200, what);
        assert.equal(out.ContentLength, file.size, what);
        assert.equal(out.ContentRange, undefined, what);
        const body = await bytesOf(out);
        assert.ok(body.equals(file.data), `${what}: ${body.length} bytes unlike the ${file.size} on disk`);
        assert.equal(out.ETag, listed.get(file.key).ETag, what);

        const head = await send(new S3.HeadObjectCommand({ Bucket: bucket, Key: file.key }));
        assert.equal(head.$metadata.httpStatusCode, 200, what);
        assert.equal(head.ContentLength, file.size, what);
        assert.equal(head.ETag, listed.get(file.key).ETag, what);
        assert.ok(head.LastModified instanceof Date, `${what}: LastModified ${head.LastModified}`);
        // HTTP dates have whole seconds.
        assert.equal(head.LastModified.getTime(), Math.floor(listed.get(file.key).LastModified.getTime() / 1000) * 1000, what);
      }
    }
    // The key with a space, by its name as the SDK sends it.
    const spaced = disk(PLAIN).filter((f) => f.key.startsWith(SPACED));
    assert.equal(spaced.length, 2);
    for (const f of spaced) {
      const records = (await bytesOf(await get(PLAIN, f.key))).toString().trim().split('\n').map((l) => JSON.parse(l));
      assert.ok(records.length === 5 && records.every((r) => r.device === 'meter 7'), JSON.stringify(records));
    }
    // The gzip object is the records put.
    const [zipped] = disk(ZIPPED);
    const unzipped = zlib.gunzipSync(await bytesOf(await get(ZIPPED, zipped.key))).toString();
    assert.deepEqual(unzipped.trim().split('\n').sort(), sent.zipped.map((r) => JSON.stringify(r)).sort());
    assert.equal(objectText(zipped), unzipped);
    // Written with the Content-Encoding Firehose gives gzip objects (a plain one has none),
    // so that a client that decodes what it fetches (Node's fetch here, a browser) gets
    // the records from a presigned URL.
    const got = await get(ZIPPED, zipped.key);
    assert.equal(got.ContentEncoding, 'gzip');
    assert.equal(got.ContentType, 'application/octet-stream');
    assert.equal((await get(PLAIN, spaced[0].key)).ContentEncoding, undefined);
    const url = await getSignedUrl(s3, new S3.GetObjectCommand({ Bucket: ZIPPED, Key: zipped.key }), { expiresIn: 60 });
    const fetched = await fetch(url);
    assert.equal(fetched.status, 200);
    assert.equal(await fetched.text(), unzipped);
  });

  test('GetObject with a Range: 206 with Content-Range and the slice; 416 InvalidRange past the end', async () => {
    const [zipped] = disk(ZIPPED);
    const bulk = disk(PLAIN).find((f) => f.key.startsWith('raw/bulk/'));
    const cases = [
      [zipped, 'bytes=0-9', 0, 9],
      [zipped, 'bytes=5-', 5, zipped.size - 1],
      [zipped, 'bytes=-7', zipped.size - 7, zipped.size - 1],
      [zipped, `bytes=10-${zipped.size + 100}`, 10, zipped.size - 1],
      [bulk, `bytes=${4 * MiB - 50}-${4 * MiB + 49}`, 4 * MiB - 50, 4 * MiB + 49],  // across a 4 MiB read
      [bulk, 'bytes=-100', bulk.size - 100, bulk.size - 1],
    ];
    for (const [file, range, first, last] of cases) {
      const what = `${file.key} ${range}`;
      const out = await get(file === zipped ? ZIPPED : PLAIN, file.key, { Range: range });
      assert.equal(out.$metadata.httpStatusCode, 206, what);
      assert.equal(out.ContentRange, `bytes ${first}-${last}/${file.size}`, what);
      assert.equal(out.ContentLength, last - first + 1, what);
      const body = await bytesOf(out);
      assert.ok(body.equals(file.data.subarray(first, last + 1)), `${what}: not the bytes on disk`);
    }
    assert.deepEqual([...(await bytesOf(await get(ZIPPED, zipped.key, { Range: 'bytes=0-1' })))], [0x1f, 0x8b]);

    for (const range of [`bytes=${zipped.size}-`, `bytes=${zipped.size + 10}-${zipped.size + 20}`]) {
      await rejectsAws(get(ZIPPED, zipped.key, { Range: range }), 'InvalidRange', 416, /not satisfiable/, range);
    }
    // HeadObject with a Range: the range's length.
    const head = await send(new S3.HeadObjectCommand({ Bucket: ZIPPED, Key: zipped.key, Range: 'bytes=2-5' }));
    assert.equal(head.$metadata.httpStatusCode, 206);
    assert.equal(head.ContentLength, 4);
    assert.equal(head.ContentRange, `bytes 2-5/${zipped.size}`);
  });

  test('errors: no such key or bucket (no bucket made), DeleteBucket and PutBucketPolicy NotImplemented (nothing changed), wrong credentials', async () => {
    await rejectsAws(get(PLAIN, 'raw/meter-1/nothing-here'), 'NoSuchKey', 404, /nothing-here/);
    await rejectsAws(send(new S3.HeadObjectCommand({ Bucket: PLAIN, Key: 'raw/meter-1/nothing-here' })), 'NotFound', 404);
    // Keys the lake cannot hold (a folder marker, an empty segment) are missing ones too.
    await rejectsAws(send(new S3.HeadObjectCommand({ Bucket: PLAIN, Key: 'raw/' })), 'NotFound', 404);
    await rejectsAws(get(PLAIN, 'raw//x'), 'NoSuchKey', 404, /empty segment/);

    await rejectsAws(list({ Bucket: MISSING }), 'NoSuchBucket', 404, new RegExp(MISSING));
    await rejectsAws(list({ Bucket: MISSING, Delimiter: '/' }), 'NoSuchBucket', 404);
    await rejectsAws(get(MISSING, 'raw/x'), 'NoSuchBucket', 404, new RegExp(MISSING));
    await rejectsAws(send(new S3.HeadBucketCommand({ Bucket: MISSING })), 'NotFound', 404);
    await rejectsAws(send(new S3.HeadObjectCommand({ Bucket: MISSING, Key: 'raw/x' })), 'NotFound', 404);
    assert.equal(fs.existsSync(bucketDir(MISSING)), false, 'reading a missing bucket created its directory');
    assert.ok(!(await send(new S3.ListBucketsCommand({}))).Buckets.some((b) => b.Name === MISSING));

    // What is not served is refused, naming what is, and changes nothing.
    const before = disk(PLAIN);
    const target = before.find((f) => f.key.startsWith(SPACED));
    // The message names what is served: PutObject, CopyObject, the multipart calls, DeleteObject(s), CreateBucket.
    const served = /is not served(?=.*PutObject)(?=.*CopyObject)(?=.*multipart)(?=.*DeleteObject)(?=.*DeleteObjects)(?=.*CreateBucket)/;
    const policy = JSON.stringify({ Version: '2012-10-17', Statement: [] });
    const refused = [
      ['DeleteBucket', new S3.DeleteBucketCommand({ Bucket: PLAIN }), served],
      ['DeleteBucket of a missing bucket', new S3.DeleteBucketCommand({ Bucket: MISSING }), served],
      ['PutBucketPolicy', new S3.PutBucketPolicyCommand({ Bucket: PLAIN, Policy: policy }), served],
      ['PutBucketPolicy on a missing bucket', new S3.PutBucketPolicyCommand({ Bucket: MISSING, Policy: policy }), served],
    ];
    for (const [what, command, message] of refused) {
      await rejectsAws(send(command), 'NotImplemented', 501, message, what);
    }
    assert.deepEqual(disk(PLAIN).map((f) => [f.key, f.data]), before.map((f) => [f.key, f.data]), 'a refused call changed the lake');
    assert.ok(fs.statSync(bucketDir(PLAIN)).isDirectory(), 'a refused DeleteBucket removed the bucket');
    assert.equal(fs.existsSync(bucketDir(MISSING)), false, 'a refused call made the missing bucket\'s directory');
    assert.ok((await bytesOf(await get(PLAIN, target.key))).equals(target.data));

    // A wrong secret, another access key id.
    const wrongSecret = s3With({ accessKeyId: 'admin', secretAccessKey: `${server.token}x` });
    const stranger = s3With({ accessKeyId: 'someone', secretAccessKey: server.token });
    await rejectsAws(wrongSecret.send(new S3.ListBucketsCommand({})), 'SignatureDoesNotMatch', 403);
    await rejectsAws(wrongSecret.send(new S3.GetObjectCommand({ Bucket: PLAIN, Key: target.key })), 'SignatureDoesNotMatch', 403);
    await rejectsAws(wrongSecret.send(new S3.ListObjectsV2Command({ Bucket: PLAIN })), 'SignatureDoesNotMatch', 403);
    await rejectsAws(stranger.send(new S3.ListBucketsCommand({})), 'InvalidAccessKeyId', 403, /someone/);
    await rejectsAws(stranger.send(new S3.GetObjectCommand({ Bucket: PLAIN, Key: target.key })), 'InvalidAccessKeyId', 403, /someone/);
  });

  test('plain HTTP is not the S3 API: no listing without a signature, a forged one refused', async () => {
    const fetchText = async (url, headers = {}) => {
      const r = await fetch(`${server.endpoint}${url}`, { headers, redirect: 'manual', signal: AbortSignal.timeout(5000) });
      return { status: r.status, location: r.headers.get('location'), text: await r.text() };
    };
    const leaks = (text) => ['ListAllMyBucketsResult', 'ListBucketResult', PLAIN, 'raw/', 'meter'].filter((s) => text.includes(s));
    const root = await fetchText('/');
    assert.ok(root.status === 302 || root.status === 401, `GET / without Authorization: ${root.status} ${root.text}`);
    if (root.status === 302) assert.equal(root.location, '/console/');
    assert.deepEqual(leaks(root.text), [], root.text);

    const bucket = await fetchText(`/${PLAIN}?list-type=2`);
    assert.equal(bucket.status, 401, bucket.text);
    assert.deepEqual(leaks(bucket.text), [], bucket.text);
    const object = await fetchText(`/${PLAIN}/${encodeURI(disk(PLAIN)[0].key)}`);
    assert.equal(object.status, 401, object.text);

    // An Authorization header shaped like the SDK's, with a signature that is not the token's.
    const amzDate = new Date().toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
    const forged = await fetchText(`/${PLAIN}?list-type=2`, {
      'X-Amz-Date': amzDate,
      'X-Amz-Content-Sha256': 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
      Authorization: `AWS4-HMAC-SHA256 Credential=admin/${amzDate.slice(0, 8)}/us-east-1/s3/aws4_request, ` +
                     `SignedHeaders=host;x-amz-content-sha256;x-amz-date, Signature=${'0'.repeat(64)}`,
    });
    assert.equal(forged.status, 403, forged.text);
    assert.match(forged.text, /<Code>SignatureDoesNotMatch<\/Code>/);
    assert.deepEqual(leaks(forged.text), [], forged.text);
  });
});
