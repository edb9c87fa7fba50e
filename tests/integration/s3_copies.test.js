// S3's copies, ETags, large reads and presigned URLs over the lake, driven by the AWS SDK's
// own S3 client (`@aws-sdk/client-s3`, path-style, SigV4 with access key id 'admin' and the
// admin token as the secret) and its presigner (`@aws-sdk/s3-request-presigner`), each
// checked against the files on disk (<data-dir>/lake/<bucket>/<key>): CopyObject within a
// bucket and across buckets writes the source's bytes (an empty object, a key with a space,
// a 12 MiB object read in pieces), with the source's MD5 ETag, its content type, encoding
// and x-amz-meta-* with metadata directive COPY (the default) and the request's with
// REPLACE (onto itself too); its refusals by S3's names, none writing anything:
// InvalidRequest for a copy onto itself unchanged, PreconditionFailed for
// x-amz-copy-source-if-match / -if-none-match, NoSuchKey, NoSuchBucket, NotImplemented for a
// source version, InvalidArgument for a bad directive or source. UploadPartCopy of a 12 MiB
// object in three x-amz-copy-source-range parts completed into the same bytes with S3's
// multipart ETag; InvalidArgument for a range outside the source, EntityTooLarge past
// 64 MiB. ETags: what PutObject and CompleteMultipartUpload answer is what HeadObject,
// GetObject and ListObjectsV2 give back (after an overwrite, and after a restart). A 9 MiB
// GetObject (sent in 4 MiB pieces) is the bytes put, whole and in ranges across the pieces;
// six downloads of 32 MiB left unread do not keep ListBuckets or a small GetObject waiting.
// Presigned URLs used with `fetch`: GET gives the bytes (a Range too), PUT any body creates
// the object; refused with 403: expired (AccessDenied, "expired"), dated more than 15
// minutes ahead (AccessDenied), tampered (SignatureDoesNotMatch), used with another method,
// another secret or access key id, and Signature Version 2 URLs (AccessDenied naming it).
// Reads and writes without copies: s3_api.test.js, s3_writes.test.js.
'use strict';

const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const zlib = require('node:zlib');
const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');
const S3 = require('@aws-sdk/client-s3');
const { getSignedUrl } = require('@aws-sdk/s3-request-presigner');
const { md5Hex, multipartEtag, s3ErrorOf } = require('./s3');
const { Server } = require('./harness');
const { listObjects } = require('./lake');
const { rejectsAws } = require('./aws');

const SRC = 'copy-source';   // made with CreateBucket in before(); small objects to copy from
const DST = 'copy-target';   // the other bucket copies go to
const BIG = 'copy-big';      // objects of many MiB, kept apart so that listing SRC/DST stays cheap
const MISSING = 'no-such-lake';
const MiB = 1 << 20;

// x-amz-copy-source: "<bucket>/<key>", the key URL-encoded segment by segment.
const copySource = (bucket, key) => `${bucket}/${key.split('/').map(encodeURIComponent).join('/')}`;

describe('S3 copies, ETags, large reads and presigned URLs through the AWS SDK', { timeout: 60000 }, () => {
  let server;
  let s3;
  const clients = [];
  const s3With = (credentials, more = {}) => {
    const client = new S3.S3Client({
      endpoint: server.endpoint, region: 'us-east-1', forcePathStyle: true, maxAttempts: 1, credentials, ...more,
    });
    clients.push(client);
    return client;
  };
  const adminCredentials = () => ({ accessKeyId: 'admin', secretAccessKey: server.token });
  const send = (command) => s3.send(command);
  const bucketDir = (bucket) => path.join(server.dataDir, 'lake', bucket);
  const fileOf = (bucket, key) => path.join(bucketDir(bucket), ...key.split('/'));
  const onDisk = (bucket, key) => (fs.existsSync(fileOf(bucket, key)) ? fs.readFileSync(fileOf(bucket, key)) : null);
  const uploadsDir = () => path.join(server.dataDir, 'tmp', 's3-uploads');
  const put = (Bucket, Key, Body, more = {}) => send(new S3.PutObjectCommand({ Bucket, Key, Body, ...more }));
  const get = (Bucket, Key, more = {}) => send(new S3.GetObjectCommand({ Bucket, Key, ...more }));
  const head = (Bucket, Key) => send(new S3.HeadObjectCommand({ Bucket, Key }));
  const copy = (Bucket, Key, from, more = {}) =>
    send(new S3.CopyObjectCommand({ Bucket, Key, CopySource: copySource(...from), ...more }));
  const bytesOf = async (output) => Buffer.from(await output.Body.transformToByteArray());
  const listed = async (Bucket, Prefix) =>
    new Map(((await send(new S3.ListObjectsV2Command({ Bucket, Prefix }))).Contents || []).map((o) => [o.Key, o]));
  const createUpload = async (Bucket, Key) => (await send(new S3.CreateMultipartUploadCommand({ Bucket, Key }))).UploadId;
  const partCopy = (Bucket, Key, UploadId, PartNumber, from, range) => send(new S3.UploadPartCopyCommand({
    Bucket, Key, UploadId, PartNumber, CopySource: copySource(...from), ...(range ? { CopySourceRange: range } : {}),
  }));
  const complete = (Bucket, Key, UploadId, Parts) =>
    send(new S3.CompleteMultipartUploadCommand({ Bucket, Key, UploadId, MultipartUpload: { Parts } }));
  // A fetch to the server, bounded in time: {status, headers, data (Buffer), text}.
  const fetchBytes = async (url, init = {}) => {
    const r = await fetch(url, { redirect: 'manual', signal: AbortSignal.timeout(15000), ...init });
    const data = Buffer.from(await r.arrayBuffer());
    return { status: r.status, headers: r.headers, data, text: data.toString() };
  };

  before(async () => {
    server = await Server.start({ tag: 's3-copies' });
    s3 = s3With(adminCredentials());
    for (const bucket of [SRC, DST, BIG]) await send(new S3.CreateBucketCommand({ Bucket: bucket }));
  });

  after(async () => {
    for (const client of clients) client.destroy();
    if (server) await server.dispose();
  });

  test('CopyObject within and across buckets: the source\'s bytes and MD5 ETag; metadata COPY by default, REPLACE from the request', async () => {
    const key = 'readings/meter 1/batch-7.jsonl';
    const body = Buffer.concat([Buffer.from('{"device":"meter 1","v":1}\n'), crypto.randomBytes(200 * 1024)]);
    const etag = `"${md5Hex(body)}"`;
    const typed = { ContentType: 'application/x-ndjson', ContentEncoding: 'identity', Metadata: { device: 'meter-1', batch: '7' } };
    assert.equal((await put(SRC, key, body, typed)).ETag, etag);
    const sourceMtime = fs.statSync(fileOf(SRC, key)).mtimeMs;

    const expectCopy = async (bucket, target, out, want, what) => {
      assert.equal(out.$metadata.httpStatusCode, 200, what);
      assert.equal(out.CopyObjectResult.ETag, etag, `${what}: the source's MD5 ETag carries over`);
      assert.ok(out.CopyObjectResult.LastModified instanceof Date, `${what}: LastModified ${out.CopyObjectResult.LastModified}`);
      assert.ok(Math.abs(out.CopyObjectResult.LastModified.getTime() - Date.now()) < 60000, what);
      assert.ok(onDisk(bucket, target)?.equals(body), `${what}: the file on disk is not the source's ${body.length} bytes`);
      const h = await head(bucket, target);
      assert.equal(h.ETag, out.CopyObjectResult.ETag, `${what}: HeadObject's ETag is not CopyObject's`);
      assert.equal(h.ContentLength, body.length, what);
      assert.equal(h.ContentType, want.ContentType, what);
      assert.equal(h.ContentEncoding, want.ContentEncoding, what);
      assert.deepEqual(h.Metadata, want.Metadata, what);
      const got = await get(bucket, target);
      assert.ok((await bytesOf(got)).equals(body), `${what}: GetObject is not the source's bytes`);
      assert.equal(got.ETag, etag, what);
      assert.deepEqual(got.Metadata, want.Metadata, what);
    };

    // Within the bucket, no directive (COPY): content type, encoding and metadata carried.
    await expectCopy(SRC, 'copies/same bucket.jsonl', await copy(SRC, 'copies/same bucket.jsonl', [SRC, key]), typed, 'within SRC');
    // Across buckets, COPY named.
    await expectCopy(DST, 'from-src/batch-7.jsonl',
                     await copy(DST, 'from-src/batch-7.jsonl', [SRC, key], { MetadataDirective: 'COPY' }), typed, 'SRC to DST, COPY');
    // Across buckets, REPLACE: the request's type and metadata, none of the source's.
    const replaced = { ContentType: 'text/plain', Metadata: { stage: 'replaced' } };
    await expectCopy(DST, 'replaced.txt',
                     await copy(DST, 'replaced.txt', [SRC, key], { MetadataDirective: 'REPLACE', ...replaced }),
                     { ...replaced, ContentEncoding: undefined }, 'SRC to DST, REPLACE');
    // REPLACE with nothing: the default type, no metadata.
    await expectCopy(DST, 'bare.bin', await copy(DST, 'bare.bin', [SRC, key], { MetadataDirective: 'REPLACE' }),
                     { ContentType: 'application/octet-stream', ContentEncoding: undefined, Metadata: {} }, 'SRC to DST, bare REPLACE');

    // A copy onto an object replaces it whole (a shorter source leaves no tail).
    const small = Buffer.from('short\n');
    await put(SRC, 'small.txt', small, { Metadata: { size: 'small' } });
    const over = await copy(DST, 'from-src/batch-7.jsonl', [SRC, 'small.txt']);
    assert.equal(over.CopyObjectResult.ETag, `"${md5Hex(small)}"`);
    assert.ok(onDisk(DST, 'from-src/batch-7.jsonl').equals(small), 'a copy over a larger object left its tail');
    assert.deepEqual((await head(DST, 'from-src/batch-7.jsonl')).Metadata, { size: 'small' });
    assert.equal((await listed(DST, 'from-src/')).get('from-src/batch-7.jsonl').ETag, over.CopyObjectResult.ETag);

    // An empty object copies as one.
    await put(SRC, 'empty.bin', Buffer.alloc(0));
    const empty = await copy(DST, 'empty copy.bin', [SRC, 'empty.bin']);
    assert.equal(empty.CopyObjectResult.ETag, `"${md5Hex(Buffer.alloc(0))}"`);
    assert.deepEqual(onDisk(DST, 'empty copy.bin'), Buffer.alloc(0));
    assert.equal((await head(DST, 'empty copy.bin')).ContentLength, 0);

    // Onto itself with REPLACE: the same bytes and ETag, the new metadata.
    await copy(SRC, 'copies/same bucket.jsonl', [SRC, 'copies/same bucket.jsonl'],
               { MetadataDirective: 'REPLACE', ContentType: 'application/json', Metadata: { device: 'meter-2' } });
    const self = await head(SRC, 'copies/same bucket.jsonl');
    assert.equal(self.ContentType, 'application/json');
    assert.deepEqual(self.Metadata, { device: 'meter-2' });
    assert.equal(self.ETag, etag);
    assert.ok(onDisk(SRC, 'copies/same bucket.jsonl').equals(body), 'a copy onto itself with REPLACE changed the bytes');

    // The source is as it was.
    assert.ok(onDisk(SRC, key).equals(body));
    assert.equal(fs.statSync(fileOf(SRC, key)).mtimeMs, sourceMtime, 'copying rewrote the source');
    const source = await head(SRC, key);
    assert.equal(source.ETag, etag);
    assert.equal(source.ContentType, typed.ContentType);
    assert.deepEqual(source.Metadata, typed.Metadata);
  });

  test('CopyObject refused by S3\'s names, writing nothing: onto itself unchanged, preconditions, missing source, a version', async () => {
    const key = 'refusals/source.txt';
    const body = Buffer.from('the source of refused copies\n');
    const etag = (await put(SRC, key, body, { ContentType: 'text/plain', Metadata: { kept: 'yes' } })).ETag;
    const other = `"${md5Hex(Buffer.from('other'))}"`;

    // Conditions met: copied.
    assert.equal((await copy(DST, 'refusals/if-match.txt', [SRC, key], { CopySourceIfMatch: etag })).CopyObjectResult.ETag, etag);
    const noneMatch = await copy(DST, 'refusals/if-none-match.txt', [SRC, key], { CopySourceIfNoneMatch: other });
    assert.equal(noneMatch.CopyObjectResult.ETag, etag);
    const past = new Date(Date.UTC(2000, 0, 1));
    const future = new Date(Date.now() + 86400e3);
    const dated = await copy(DST, 'refusals/dated.txt', [SRC, key],
      { CopySourceIfUnmodifiedSince: future, CopySourceIfModifiedSince: past });
    assert.equal(dated.CopyObjectResult.ETag, etag);
    // S3's order: a matching ETag wins over an unmodified-since that does not hold.
    const both = await copy(DST, 'refusals/both.txt', [SRC, key],
      { CopySourceIfMatch: etag, CopySourceIfUnmodifiedSince: past });
    assert.equal(both.CopyObjectResult.ETag, etag);
    // A list of ETags, one of them the source's.
    assert.equal((await copy(DST, 'refusals/list.txt', [SRC, key],
      { CopySourceIfMatch: `${other}, ${etag}` })).CopyObjectResult.ETag, etag);
    // A source of version "null" is the object itself (S3's version id of an unversioned object).
    const nullVersion = await send(new S3.CopyObjectCommand({
      Bucket: DST, Key: 'refusals/null-version.txt', CopySource: `${copySource(SRC, key)}?versionId=null`,
    }));
    assert.equal(nullVersion.CopyObjectResult.ETag, etag);
    assert.ok(onDisk(DST, 'refusals/null-version.txt').equals(body));

    const snapshot = () => [SRC, DST].map((b) => listObjects(bucketDir(b)).map((o) => [o.key, md5Hex(o.data)]));
    const before = snapshot();
    const target = 'refusals/never.txt';
    const refusals = [
      ['onto itself, no directive', () => copy(SRC, key, [SRC, key]), 'InvalidRequest', 400, /onto itself/],
      ['onto itself, COPY', () => copy(SRC, key, [SRC, key], { MetadataDirective: 'COPY' }), 'InvalidRequest', 400, /REPLACE/],
      ['if-match another ETag', () => copy(DST, target, [SRC, key], { CopySourceIfMatch: other }), 'PreconditionFailed', 412],
      ['if-none-match its ETag', () => copy(DST, target, [SRC, key], { CopySourceIfNoneMatch: etag }), 'PreconditionFailed', 412],
      ['if-none-match *', () => copy(DST, target, [SRC, key], { CopySourceIfNoneMatch: '*' }), 'PreconditionFailed', 412],
      ['if-unmodified-since a past date', () => copy(DST, target, [SRC, key],
        { CopySourceIfUnmodifiedSince: new Date(Date.UTC(2000, 0, 1)) }), 'PreconditionFailed', 412,
       /x-amz-copy-source-If-Unmodified-Since/],
      ['if-modified-since a later date', () => copy(DST, target, [SRC, key],
        { CopySourceIfModifiedSince: new Date(Date.now() + 86400e3) }), 'PreconditionFailed', 412,
       /x-amz-copy-source-If-Modified-Since/],
      ['a missing source key', () => copy(DST, target, [SRC, 'refusals/not-there.txt']), 'NoSuchKey', 404],
      ['a missing source bucket', () => copy(DST, target, [MISSING, key]), 'NoSuchBucket', 404, new RegExp(MISSING)],
      ['a missing target bucket', () => copy(MISSING, target, [SRC, key]), 'NoSuchBucket', 404, new RegExp(MISSING)],
      ['a source version', () => send(new S3.CopyObjectCommand({
        Bucket: DST, Key: target, CopySource: `${copySource(SRC, key)}?versionId=3HL4kqtJlcpXroDTDmJ` })),
       'NotImplemented', 501, /version/],
      ['a directive neither COPY nor REPLACE', () => copy(DST, target, [SRC, key], { MetadataDirective: 'MOVE' }),
       'InvalidArgument', 400, /MOVE/],
      ['a source without a key', () => send(new S3.CopyObjectCommand({ Bucket: DST, Key: target, CopySource: SRC })),
       'InvalidArgument', 400],
    ];
    for (const [what, call, name, status, message] of refusals) {
      await rejectsAws(call(), name, status, message, what);
    }
    assert.deepEqual(snapshot(), before, 'a refused CopyObject changed a bucket');
    assert.equal(onDisk(DST, target), null);
    assert.equal(fs.existsSync(bucketDir(MISSING)), false, 'a refused CopyObject made the missing bucket\'s directory');
    // The source's metadata is untouched by the refused copy onto itself.
    const h = await head(SRC, key);
    assert.equal(h.ETag, etag);
    assert.equal(h.ContentType, 'text/plain');
    assert.deepEqual(h.Metadata, { kept: 'yes' });
  });

  test('UploadPartCopy: 12 MiB in three ranges, completed, is the same bytes with S3\'s ETag; bad ranges, EntityTooLarge past 64 MiB', async () => {
    const key = 'big/source.bin';
    const body = crypto.randomBytes(12 * MiB + 12345);
    assert.equal((await put(BIG, key, body)).ETag, `"${md5Hex(body)}"`);

    // Whole, in one CopyObject (read in 4 MiB pieces).
    const whole = await copy(BIG, 'big/one copy.bin', [BIG, key]);
    assert.equal(whole.CopyObjectResult.ETag, `"${md5Hex(body)}"`);
    assert.ok(onDisk(BIG, 'big/one copy.bin')?.equals(body), 'a 12 MiB CopyObject is not the source\'s bytes');

    // In three parts: 5 MiB, 5 MiB, the rest.
    const target = 'big/assembled.bin';
    const id = await createUpload(BIG, target);
    const ranges = [[0, 5 * MiB - 1], [5 * MiB, 10 * MiB - 1], [10 * MiB, body.length - 1]];
    const slices = ranges.map(([a, b]) => body.subarray(a, b + 1));
    const parts = [];
    for (const [i, [a, b]] of ranges.entries()) {
      const out = await partCopy(BIG, target, id, i + 1, [BIG, key], `bytes=${a}-${b}`);
      assert.equal(out.$metadata.httpStatusCode, 200, `part ${i + 1}`);
      assert.equal(out.CopyPartResult.ETag, `"${md5Hex(slices[i])}"`, `part ${i + 1}: not the MD5 of bytes ${a}-${b}`);
      assert.ok(out.CopyPartResult.LastModified instanceof Date, `part ${i + 1}`);
      parts.push({ PartNumber: i + 1, ETag: out.CopyPartResult.ETag });
    }
    // Ranges outside the source, or backwards: refused, and no part kept for them.
    for (const range of [`bytes=0-${body.length}`, `bytes=${body.length}-${body.length + 10}`, 'bytes=100-50', 'bytes=5-']) {
      await rejectsAws(partCopy(BIG, target, id, 4, [BIG, key], range), 'InvalidArgument', 400, /x-amz-copy-source-range/, range);
    }
    assert.equal(fs.readdirSync(path.join(uploadsDir(), id)).length, 3, `parts of ${id}: ${fs.readdirSync(path.join(uploadsDir(), id))}`);
    await rejectsAws(partCopy(BIG, target, id, 4, [BIG, 'big/not-there.bin'], 'bytes=0-1'), 'NoSuchKey', 404);
    await rejectsAws(partCopy(BIG, target, 'no-such-upload-id', 1, [BIG, key], 'bytes=0-1'), 'NoSuchUpload', 404);
    assert.equal(onDisk(BIG, target), null, 'an object before Complete');

    const done = await complete(BIG, target, id, parts);
    assert.equal(done.ETag, multipartEtag(slices));
    assert.match(done.ETag, /^"[0-9a-f]{32}-3"$/);
    assert.ok(onDisk(BIG, target)?.equals(body), 'the completed object is not the source\'s bytes');
    assert.equal(fs.existsSync(path.join(uploadsDir(), id)), false, 'the parts are left after Complete');
    assert.equal((await head(BIG, target)).ETag, done.ETag);
    assert.equal((await listed(BIG, 'big/')).get(target).ETag, done.ETag);
    assert.ok((await bytesOf(await get(BIG, target))).equals(body), 'GetObject of the completed copy');

    // A copy of the multipart object: the same bytes, and an ETag HeadObject gives back.
    const again = await copy(DST, 'multipart copy.bin', [BIG, target]);
    assert.equal((await head(DST, 'multipart copy.bin')).ETag, again.CopyObjectResult.ETag);
    assert.ok(onDisk(DST, 'multipart copy.bin')?.equals(body));

    // A part holds at most 64 MiB: a 65 MiB source (a sparse file put in the lake by hand).
    const huge = 'big/huge.bin';
    fs.writeFileSync(fileOf(BIG, huge), '');
    fs.truncateSync(fileOf(BIG, huge), 65 * MiB);
    const hugeId = await createUpload(BIG, 'big/huge copy.bin');
    await rejectsAws(partCopy(BIG, 'big/huge copy.bin', hugeId, 1, [BIG, huge]), 'EntityTooLarge', 400, /64 MiB/, 'the whole 65 MiB');
    await rejectsAws(partCopy(BIG, 'big/huge copy.bin', hugeId, 1, [BIG, huge], `bytes=0-${64 * MiB}`), 'EntityTooLarge', 400,
                     /64 MiB/, '64 MiB + 1 byte');
    assert.deepEqual(fs.readdirSync(path.join(uploadsDir(), hugeId)), [], 'a refused part was kept');
    const most = await partCopy(BIG, 'big/huge copy.bin', hugeId, 1, [BIG, huge], `bytes=0-${64 * MiB - 1}`);
    assert.equal(most.CopyPartResult.ETag, `"${md5Hex(Buffer.alloc(64 * MiB))}"`, 'a part of exactly 64 MiB');
    await send(new S3.AbortMultipartUploadCommand({ Bucket: BIG, Key: 'big/huge copy.bin', UploadId: hugeId }));
    assert.equal(fs.existsSync(path.join(uploadsDir(), hugeId)), false);
  });

  test('ETags: PutObject\'s and Complete\'s come back from HeadObject, GetObject and ListObjectsV2, after an overwrite and a restart', async () => {
    const everywhere = async (bucket, key, want, what) => {
      assert.equal((await head(bucket, key)).ETag, want, `${what}: HeadObject`);
      const got = await get(bucket, key);
      await bytesOf(got);
      assert.equal(got.ETag, want, `${what}: GetObject`);
      assert.equal((await listed(bucket, key)).get(key)?.ETag, want, `${what}: ListObjectsV2`);
    };
    const first = Buffer.from('{"v":1}\n');
    const put1 = await put(DST, 'etags/one.jsonl', first);
    assert.equal(put1.ETag, `"${md5Hex(first)}"`);
    await everywhere(DST, 'etags/one.jsonl', put1.ETag, 'put');
    // Overwritten: the new MD5 everywhere, not the old one.
    const second = crypto.randomBytes(70000);
    const put2 = await put(DST, 'etags/one.jsonl', second);
    assert.equal(put2.ETag, `"${md5Hex(second)}"`);
    await everywhere(DST, 'etags/one.jsonl', put2.ETag, 'overwritten');

    // Multipart: "<md5 of the parts' md5s>-2".
    const key = 'etags/multi.bin';
    const parts = [crypto.randomBytes(5 * MiB), crypto.randomBytes(4321)];
    const id = await createUpload(DST, key);
    const list = [];
    for (const [i, Body] of parts.entries()) {
      const out = await send(new S3.UploadPartCommand({ Bucket: DST, Key: key, UploadId: id, PartNumber: i + 1, Body }));
      list.push({ PartNumber: i + 1, ETag: out.ETag });
    }
    const done = await complete(DST, key, id, list);
    assert.equal(done.ETag, multipartEtag(parts));
    assert.ok(done.ETag.endsWith('-2"'), done.ETag);
    await everywhere(DST, key, done.ETag, 'multipart');

    // A file put in the lake by hand has no MD5 of its own, but one ETag all the same.
    fs.mkdirSync(path.dirname(fileOf(DST, 'etags/by-hand.txt')), { recursive: true });
    fs.writeFileSync(fileOf(DST, 'etags/by-hand.txt'), 'written behind the server\'s back\n');
    const byHand = (await head(DST, 'etags/by-hand.txt')).ETag;
    assert.match(byHand, /^"[^"]+"$/);
    await everywhere(DST, 'etags/by-hand.txt', byHand, 'by hand');

    // Kept with the objects: the same after a restart (the port changes: a new client).
    await server.restart();
    s3 = s3With(adminCredentials());
    await everywhere(DST, 'etags/one.jsonl', put2.ETag, 'put, after a restart');
    await everywhere(DST, key, done.ETag, 'multipart, after a restart');
  });

  test('a 9 MiB GetObject (4 MiB pieces) is the bytes put, whole and in ranges across pieces; unread downloads keep no one waiting', async () => {
    const key = 'large/nine.bin';
    const body = crypto.randomBytes(9 * MiB + 777);
    assert.equal((await put(BIG, key, body)).ETag, `"${md5Hex(body)}"`);
    const got = await get(BIG, key);
    assert.equal(got.$metadata.httpStatusCode, 200);
    assert.equal(got.ContentLength, body.length);
    assert.equal(got.ETag, `"${md5Hex(body)}"`);
    const bytes = await bytesOf(got);
    assert.equal(bytes.length, body.length);
    assert.ok(bytes.equals(body), 'GetObject of 9 MiB is not the bytes put');

    const P = 4 * MiB;
    const cases = [
      [`bytes=${P - 100}-${P + 99}`, P - 100, P + 99],               // across the first piece's end
      [`bytes=1000-${2 * P + 5000}`, 1000, 2 * P + 5000],             // more than a piece, across two ends
      [`bytes=${P}-`, P, body.length - 1],                            // from a piece's start to the end
      [`bytes=-${5 * MiB}`, body.length - 5 * MiB, body.length - 1],  // the last 5 MiB
    ];
    for (const [range, first, last] of cases) {
      const out = await get(BIG, key, { Range: range });
      assert.equal(out.$metadata.httpStatusCode, 206, range);
      assert.equal(out.ContentRange, `bytes ${first}-${last}/${body.length}`, range);
      assert.equal(out.ContentLength, last - first + 1, range);
      assert.ok((await bytesOf(out)).equals(body.subarray(first, last + 1)), `${range}: not the bytes put`);
    }

    // Six downloads of 32 MiB (more than the S3 API's 4 workers), their bodies left unread:
    // ListBuckets and a small GetObject still answer at once; then each download is whole.
    const bigKey = 'large/thirty-two.bin';
    const big = Buffer.alloc(32 * MiB);
    for (let i = 0; i < big.length; i += 4096) crypto.randomFillSync(big, i, 16);
    fs.mkdirSync(path.dirname(fileOf(BIG, bigKey)), { recursive: true });
    fs.writeFileSync(fileOf(BIG, bigKey), big);
    // On a client of their own: fresh connections, whose bytesRead is this download's alone.
    const downloader = s3With(adminCredentials());
    const downloads = await Promise.all(Array.from({ length: 6 }, () =>
      downloader.send(new S3.GetObjectCommand({ Bucket: BIG, Key: bigKey }))));
    await put(SRC, 'small/ping.txt', 'ping\n');
    const started = Date.now();
    const names = (await send(new S3.ListBucketsCommand({}))).Buckets.map((b) => b.Name);
    assert.ok(names.includes(BIG), `ListBuckets: ${names}`);
    assert.equal((await bytesOf(await get(SRC, 'small/ping.txt'))).toString(), 'ping\n');
    const waited = Date.now() - started;
    // The downloads are still under way (kernel buffers hold a few MiB of each, not 32).
    for (const d of downloads) {
      assert.ok(d.Body.socket.bytesRead < big.length, `a download had ${d.Body.socket.bytesRead} bytes already`);
    }
    assert.ok(waited < 3000, `ListBuckets and a small GetObject took ${waited} ms beside six unread downloads`);
    const want = md5Hex(big);
    for (const [i, d] of downloads.entries()) {
      const hash = crypto.createHash('md5');
      let n = 0;
      for await (const chunk of d.Body) {
        hash.update(chunk);
        n += chunk.length;
      }
      assert.equal(n, big.length, `download ${i}`);
      assert.equal(hash.digest('hex'), want, `download ${i}: not the file's bytes`);
    }
  });

  test('a large GetObject never mixes two versions: the object replaced mid-download ends the download short', async () => {
    const key = 'large/replaced.bin';
    const size = 32 * MiB;
    fs.mkdirSync(path.dirname(fileOf(BIG, key)), { recursive: true });
    fs.writeFileSync(fileOf(BIG, key), Buffer.alloc(size, 'A'));
    const downloader = s3With(adminCredentials());
    const got = await downloader.send(new S3.GetObjectCommand({ Bucket: BIG, Key: key }));
    const chunks = [];
    let received = 0;
    let failed = null;
    const reading = (async () => {
      try {
        for await (const chunk of got.Body) {
          chunks.push(chunk);
          received += chunk.length;
          if (chunks.length === 1) {
            // Replaced as the lake replaces objects: a new file renamed over the old one.
            const fresh = `${fileOf(BIG, key)}.new`;
            fs.writeFileSync(fresh, Buffer.alloc(size, 'B'));
            fs.renameSync(fresh, fileOf(BIG, key));
          }
        }
      } catch (e) {
        failed = e;
      }
    })();
    await reading;
    const body = Buffer.concat(chunks);
    assert.ok(failed || received < size, `the whole ${size} bytes came (${received}): the replacement went unseen`);
    assert.ok(received < size, `received ${received} of ${size}`);
    assert.equal(body.indexOf('B'), -1, `bytes of the new version at ${body.indexOf('B')} in a download of the old one`);
    // A new download is the new version, whole.
    const again = await bytesOf(await get(BIG, key));
    assert.equal(again.length, size);
    assert.equal(again.indexOf('A'), -1);
  });

  test('presigned URLs with fetch: GET gives the bytes (a Range too), PUT any body makes the object', async () => {
    const key = 'presigned/a reading.bin';
    const body = crypto.randomBytes(100 * 1024);
    await put(SRC, key, body);
    const url = await getSignedUrl(s3, new S3.GetObjectCommand({ Bucket: SRC, Key: key }), { expiresIn: 300 });
    assert.match(url, /X-Amz-Signature=[0-9a-f]{64}/);
    assert.ok(!url.includes(server.token), 'the URL holds the token');
    const got = await fetchBytes(url);
    assert.equal(got.status, 200, got.text.slice(0, 500));
    assert.ok(got.data.equals(body), 'a presigned GET is not the bytes put');
    assert.equal(got.headers.get('etag'), `"${md5Hex(body)}"`);
    // The same URL again (good until it expires), with a Range (not signed: any range).
    const ranged = await fetchBytes(url, { headers: { Range: 'bytes=10-19' } });
    assert.equal(ranged.status, 206);
    assert.ok(ranged.data.equals(body.subarray(10, 20)));
    // A large object through a URL: streamed in pieces as with the SDK.
    const nine = await fetchBytes(
      await getSignedUrl(s3, new S3.GetObjectCommand({ Bucket: BIG, Key: 'large/nine.bin' }), { expiresIn: 60 }));
    assert.equal(nine.status, 200);
    assert.equal(md5Hex(nine.data), md5Hex(onDisk(BIG, 'large/nine.bin')));
    // A missing key through a URL: the S3 error, authenticated.
    const missing = await fetchBytes(
      await getSignedUrl(s3, new S3.GetObjectCommand({ Bucket: SRC, Key: 'presigned/none' }), { expiresIn: 60 }));
    assert.equal(missing.status, 404);
    assert.equal(s3ErrorOf(missing.text).code, 'NoSuchKey');

    // PUT: presigned without a checksum of its (unknown) body, as AWS advises for URLs
    // handed to others; the body is not signed (UNSIGNED-PAYLOAD), any is taken.
    const presigner = s3With(adminCredentials(), { requestChecksumCalculation: 'WHEN_REQUIRED' });
    const putKey = 'presigned/uploaded by url.bin';
    const putUrl = await getSignedUrl(presigner, new S3.PutObjectCommand({ Bucket: DST, Key: putKey }), { expiresIn: 300 });
    assert.match(putUrl, /X-Amz-Content-Sha256=UNSIGNED-PAYLOAD/);
    const upload = crypto.randomBytes(300 * 1024);
    const putOut = await fetchBytes(putUrl, { method: 'PUT', body: upload });
    assert.equal(putOut.status, 200, putOut.text);
    assert.equal(putOut.headers.get('etag'), `"${md5Hex(upload)}"`);
    assert.ok(onDisk(DST, putKey)?.equals(upload), 'a presigned PUT did not write the body');
    assert.equal((await head(DST, putKey)).ETag, `"${md5Hex(upload)}"`);
    // The same URL with another body replaces it.
    const other = Buffer.from('another body through the same URL\n');
    assert.equal((await fetchBytes(putUrl, { method: 'PUT', body: other })).status, 200);
    assert.ok(onDisk(DST, putKey).equals(other));
    // The SDK's default presigner puts the body's CRC32 in the URL (of an empty body when
    // none is given): S3 takes such parameters as headers, so the body must match it.
    const crcBody = Buffer.from('a body whose CRC32 the URL names\n');
    const crcOf = (b) => { const x = Buffer.alloc(4); x.writeUInt32BE(zlib.crc32(b)); return x.toString('base64'); };
    const crcKey = 'presigned/with a checksum.bin';
    const crcUrl = await getSignedUrl(s3, new S3.PutObjectCommand({ Bucket: DST, Key: crcKey, ChecksumCRC32: crcOf(crcBody) }), { expiresIn: 300 });
    assert.match(crcUrl, /x-amz-checksum-crc32=/);
    const crcPut = await fetchBytes(crcUrl, { method: 'PUT', body: crcBody });
    assert.equal(crcPut.status, 200, crcPut.text);
    assert.equal(crcPut.headers.get('x-amz-checksum-crc32'), crcOf(crcBody));
    assert.ok(onDisk(DST, crcKey)?.equals(crcBody), 'a presigned PUT with a checksum did not write the body');
    const crcWrong = await fetchBytes(crcUrl, { method: 'PUT', body: 'another body' });
    assert.equal(crcWrong.status, 400, crcWrong.text);
    assert.equal(s3ErrorOf(crcWrong.text).code, 'BadDigest');
    assert.ok(onDisk(DST, crcKey).equals(crcBody), 'a body that is not the checksum\'s replaced the object');
    // The URL's holder chooses the body, not what is done: a header the URL did not sign
    // that would make the PUT a copy of another object is refused, and nothing changes.
    const copyTry = await fetchBytes(putUrl, {
      method: 'PUT', body: '', headers: { 'x-amz-copy-source': `${SRC}/${key}` } });
    assert.equal(copyTry.status, 403, copyTry.text);
    assert.equal(s3ErrorOf(copyTry.text).code, 'AccessDenied');
    assert.match(s3ErrorOf(copyTry.text).message, /not signed: x-amz-copy-source/);
    assert.ok(onDisk(DST, putKey).equals(other), 'a refused request changed the object');
    // The holder chooses the Content-Type too: a page uploaded as text/html is served in a
    // sandbox, never as a page of the console's origin (where the console keeps the token).
    const page = '<script>document.title = sessionStorage.getItem("tributary.token")</script>';
    assert.equal((await fetchBytes(putUrl, { method: 'PUT', body: page, headers: { 'content-type': 'text/html' } })).status, 200);
    const pageUrl = await getSignedUrl(s3, new S3.GetObjectCommand({ Bucket: DST, Key: putKey }), { expiresIn: 60 });
    const served = await fetchBytes(pageUrl);
    assert.equal(served.status, 200);
    assert.equal(served.headers.get('content-type'), 'text/html');
    assert.match(served.headers.get('content-security-policy') || '', /^sandbox\b/);
    assert.equal(served.headers.get('x-content-type-options'), 'nosniff');
  });

  test("GetObject's parameters: the response-* overrides, partNumber, versionId=null; a sub-resource it does not serve is refused, not answered with the bytes", async () => {
    const key = 'params/report.csv';
    const body = Buffer.from('a,b\n1,2\n');
    await put(SRC, key, body, { ContentType: 'text/csv' });
    const got = await get(SRC, key, {
      ResponseContentDisposition: 'attachment; filename="r.csv"', ResponseContentType: 'application/octet-stream',
      ResponseCacheControl: 'no-store', ResponseContentLanguage: 'ca' });
    assert.ok((await bytesOf(got)).equals(body));
    assert.equal(got.ContentDisposition, 'attachment; filename="r.csv"');
    assert.equal(got.ContentType, 'application/octet-stream');
    assert.equal(got.CacheControl, 'no-store');
    assert.equal(got.ContentLanguage, 'ca');
    // A presigned URL carries them too: a browser download under another name.
    const url = await getSignedUrl(s3, new S3.GetObjectCommand({
      Bucket: SRC, Key: key, ResponseContentDisposition: 'attachment; filename="x.csv"' }), { expiresIn: 60 });
    const fetched = await fetchBytes(url);
    assert.equal(fetched.status, 200, fetched.text);
    assert.equal(fetched.headers.get('content-disposition'), 'attachment; filename="x.csv"');
    assert.equal(fetched.headers.get('content-type'), 'text/csv');
    // Objects are kept whole: part 1 is the object, part 2 is not there.
    assert.ok((await bytesOf(await get(SRC, key, { PartNumber: 1 }))).equals(body));
    await assert.rejects(get(SRC, key, { PartNumber: 2 }),
      (e) => e.$metadata?.httpStatusCode === 416 && e.name === 'InvalidPartNumber');
    assert.ok((await bytesOf(await get(SRC, key, { VersionId: 'null' }))).equals(body));
    // Sub-resources are other calls: 501 naming them, never the object's bytes.
    const notServed = (e) => e.$metadata?.httpStatusCode === 501 && e.name === 'NotImplemented';
    await assert.rejects(send(new S3.GetObjectTaggingCommand({ Bucket: SRC, Key: key })), notServed);
    await assert.rejects(send(new S3.GetObjectAclCommand({ Bucket: SRC, Key: key })), notServed);
    await assert.rejects(get(SRC, key, { VersionId: 'v123' }), notServed);
    const tagging = await fetchBytes(
      await getSignedUrl(s3, new S3.GetObjectTaggingCommand({ Bucket: SRC, Key: key }), { expiresIn: 60 }));
    assert.equal(tagging.status, 501, tagging.text);
    assert.match(s3ErrorOf(tagging.text).message, /'\?tagging' on an object is not served/);
  });

  test('presigned URLs refused: expired, dated ahead, tampered, another method, another secret or key id, Signature Version 2', async () => {
    const key = 'presigned/guarded.txt';
    const body = Buffer.from('guarded bytes\n');
    await put(SRC, key, body);
    await put(SRC, 'presigned/other.txt', 'another object\n');
    const presign = (command, options, client = s3) => getSignedUrl(client, command, options);
    const getCommand = () => new S3.GetObjectCommand({ Bucket: SRC, Key: key });
    const refused = async (url, init, status, code, message, what) => {
      const r = await fetchBytes(url, init);
      assert.equal(r.status, status, `${what}: ${r.status} ${r.text}`);
      assert.ok(!r.data.includes(body) && !r.text.includes('another object'), `${what}: an object's bytes in the answer`);
      if (init?.method === 'HEAD') return;
      const e = s3ErrorOf(r.text);
      assert.equal(e.code, code, `${what}: ${r.text}`);
      if (message) assert.match(e.message, message, what);
    };
    const minute = 60000;

    // Expired: signed a minute ago for 1 s. Also a PUT, which writes nothing.
    const expired = await presign(getCommand(), { expiresIn: 1, signingDate: new Date(Date.now() - minute) });
    await refused(expired, {}, 403, 'AccessDenied', /expired/, 'expired GET');
    const presigner = s3With(adminCredentials(), { requestChecksumCalculation: 'WHEN_REQUIRED' });
    const expiredPut = await presign(new S3.PutObjectCommand({ Bucket: SRC, Key: 'presigned/late.txt' }),
                                     { expiresIn: 1, signingDate: new Date(Date.now() - minute) }, presigner);
    await refused(expiredPut, { method: 'PUT', body: 'too late' }, 403, 'AccessDenied', /expired/, 'expired PUT');
    assert.equal(onDisk(SRC, 'presigned/late.txt'), null, 'an expired presigned PUT wrote the object');
    // Dated more than 15 minutes ahead of the server's clock: not valid yet; 5 minutes is skew.
    const ahead = await presign(getCommand(), { expiresIn: 3600, signingDate: new Date(Date.now() + 20 * minute) });
    await refused(ahead, {}, 403, 'AccessDenied', /not valid yet/, '20 minutes ahead');
    const skewed = await fetchBytes(await presign(getCommand(), { expiresIn: 3600, signingDate: new Date(Date.now() + 5 * minute) }));
    assert.equal(skewed.status, 200, `5 minutes ahead: ${skewed.text}`);
    assert.ok(skewed.data.equals(body));
    // Seven days is the longest a URL lives; more is refused before the signature is checked.
    const week = await presign(getCommand(), { expiresIn: 604800 });
    assert.equal((await fetchBytes(week)).status, 200);
    await refused(week.replace('X-Amz-Expires=604800', 'X-Amz-Expires=604801'), {}, 400, 'AuthorizationQueryParametersError', /604800/,
                  'X-Amz-Expires 604801');

    // Tampered: a longer life, another key, another bucket.
    const good = await presign(getCommand(), { expiresIn: 60 });
    assert.equal((await fetchBytes(good)).status, 200);
    assert.match(good, /X-Amz-Expires=60&/);
    await refused(good.replace('X-Amz-Expires=60&', 'X-Amz-Expires=3600&'), {}, 403, 'SignatureDoesNotMatch', undefined,
                  'X-Amz-Expires changed');
    const keyPath = `/${SRC}/presigned/guarded.txt?`;
    assert.ok(good.includes(keyPath), good);
    await refused(good.replace(keyPath, `/${SRC}/presigned/other.txt?`), {}, 403, 'SignatureDoesNotMatch', undefined, 'another key');
    await refused(good.replace(keyPath, `/${DST}/presigned/guarded.txt?`), {}, 403, 'SignatureDoesNotMatch', undefined, 'another bucket');
    await refused(good.replace(/X-Amz-Signature=[0-9a-f]{4}/, 'X-Amz-Signature=0000'), {}, 403, 'SignatureDoesNotMatch', undefined,
                  'signature changed');

    // A GET's URL used with another method: refused, the object untouched.
    await refused(good, { method: 'HEAD' }, 403, undefined, undefined, 'HEAD with a GET URL');
    await refused(good, { method: 'DELETE' }, 403, 'SignatureDoesNotMatch', undefined, 'DELETE with a GET URL');
    await refused(good, { method: 'PUT', body: 'overwritten' }, 403, 'SignatureDoesNotMatch', undefined, 'PUT with a GET URL');
    assert.ok(onDisk(SRC, key)?.equals(body), 'a refused URL changed the object');

    // Another secret, another access key id.
    const wrongSecret = s3With({ accessKeyId: 'admin', secretAccessKey: `${server.token}x` });
    await refused(await presign(getCommand(), { expiresIn: 60 }, wrongSecret), {}, 403, 'SignatureDoesNotMatch', undefined,
                  'wrong secret');
    const stranger = s3With({ accessKeyId: 'someone', secretAccessKey: server.token });
    await refused(await presign(getCommand(), { expiresIn: 60 }, stranger), {}, 403, 'InvalidAccessKeyId', /someone/, 'another key id');

    // Signature Version 2 (AWSAccessKeyId, Expires, Signature): named, and refused.
    const expires = Math.floor(Date.now() / 1000) + 600;
    const v2 = `${server.endpoint}/${SRC}/presigned/guarded.txt?AWSAccessKeyId=admin&Expires=${expires}` +
               `&Signature=${encodeURIComponent('vjbyPxybdZaNmGa+yT272YEAiv4=')}`;
    await refused(v2, {}, 403, 'AccessDenied', /Signature Version 2/, 'Signature Version 2 GET');
    await refused(v2, { method: 'PUT', body: 'v2 body' }, 403, 'AccessDenied', /Signature Version 2/, 'Signature Version 2 PUT');
    assert.ok(onDisk(SRC, key).equals(body));
  });
});
