// S3's writes to the lake, driven by the AWS SDK's own S3 client (`@aws-sdk/client-s3`)
// with an endpoint override, path-style addressing and SigV4 (access key id 'admin', the
// admin token as the secret), each checked against the files on disk
// (<data-dir>/lake/<bucket>/<key>): CreateBucket makes the bucket's directory (a second
// time BucketAlreadyOwnedByYou, a bad name InvalidBucketName); PutObject writes exactly the
// bytes sent (every byte value, a key with a space, a nested key, an empty object) with
// the body's MD5 as ETag, overwrites whole, refuses a wrong Content-MD5 (BadDigest) and a
// body past the HTTP limit, and leaves nothing behind; multipart uploads of parts sent out
// of order and one replaced: nothing visible before Complete, InvalidPart for a stale ETag
// or parts out of order, then the concatenation with S3's multipart ETag and the parts'
// directory (<data-dir>/tmp/s3-uploads/<id>/) gone; EntityTooSmall for a small part that is
// not the last; Abort removes the parts and the upload id is then NoSuchUpload; uploads
// with a CRC32 checksum: COMPOSITE (the CRC32 of the parts' CRC32s, "-2") and FULL_OBJECT
// (the object's CRC32, which the SDK checks on GetObject) in Complete's answer and
// HeadObject, a part listed with another checksum InvalidPart and no object, SHA256 with
// FULL_OBJECT InvalidRequest;
// DeleteObject (204, a missing key too) and DeleteObjects (each key Deleted); writes to a
// bucket that does not exist are NoSuchBucket and make no directory. Last, what the
// pipeline reads: JSON Lines put with the SDK (one object put whole, one in a multipart
// upload) are listed and read by the server's own lake API and crawled into a catalog
// table with their record count. And a PutObject that sends a metadata header and a query
// name twice (signed with `aws4`, sent by node:http) is checked as S3 signs it.
'use strict';

const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const fs = require('node:fs');
const http = require('node:http');
const path = require('node:path');
const zlib = require('node:zlib');
const S3 = require('@aws-sdk/client-s3');
const aws4 = require('aws4');
const { Server, describeRun } = require('./harness');
const { listObjects } = require('./lake');
const { rejectsAws } = require('./aws');
const { tributaryS3 } = require('./s3');

const LAKE = 'sdk-writes';      // made with CreateBucket in before(); most tests write here
const MISSING = 'no-such-lake';
const MiB = 1 << 20;

const md5 = (bytes) => crypto.createHash('md5').update(bytes);
const md5Hex = (bytes) => md5(bytes).digest('hex');
const md5Base64 = (bytes) => md5(bytes).digest('base64');
// S3's ETag of a multipart object: the MD5 of the parts' binary MD5s, a dash, the count.
const multipartEtag = (parts) =>
  `"${md5Hex(Buffer.concat(parts.map((p) => md5(p).digest())))}-${parts.length}"`;

describe('S3 writes to the lake through the AWS SDK', { timeout: 90000 }, () => {
  let server;
  let s3;
  const send = (command) => s3.send(command);
  const bucketDir = (bucket) => path.join(server.dataDir, 'lake', bucket);
  const fileOf = (bucket, key) => path.join(bucketDir(bucket), ...key.split('/'));
  const onDisk = (bucket, key) => (fs.existsSync(fileOf(bucket, key)) ? fs.readFileSync(fileOf(bucket, key)) : null);
  const partsDir = (uploadId) => path.join(server.dataDir, 'tmp', 's3-uploads', uploadId);
  const put = (Key, Body, more = {}) => send(new S3.PutObjectCommand({ Bucket: LAKE, Key, Body, ...more }));
  const get = (Key, Bucket = LAKE) => send(new S3.GetObjectCommand({ Bucket, Key }));
  const head = (Key, Bucket = LAKE) => send(new S3.HeadObjectCommand({ Bucket, Key }));
  const bytesOf = async (output) => Buffer.from(await output.Body.transformToByteArray());
  const keysUnder = async (Prefix, Bucket = LAKE) =>
    ((await send(new S3.ListObjectsV2Command({ Bucket, Prefix }))).Contents || []).map((o) => o.Key);
  const createUpload = async (Key, Bucket = LAKE) => {
    const created = await send(new S3.CreateMultipartUploadCommand({ Bucket, Key }));
    assert.equal(created.Key, Key);
    assert.match(created.UploadId, /^\S+$/);
    return created.UploadId;
  };
  const uploadPart = (Key, UploadId, PartNumber, Body) =>
    send(new S3.UploadPartCommand({ Bucket: LAKE, Key, UploadId, PartNumber, Body }));
  const complete = (Key, UploadId, Parts) =>
    send(new S3.CompleteMultipartUploadCommand({ Bucket: LAKE, Key, UploadId, MultipartUpload: { Parts } }));
  const abort = (Key, UploadId) => send(new S3.AbortMultipartUploadCommand({ Bucket: LAKE, Key, UploadId }));

  before(async () => {
    server = await Server.start({ tag: 's3-writes' });
    s3 = tributaryS3(server);
    await send(new S3.CreateBucketCommand({ Bucket: LAKE }));
  });

  after(async () => {
    if (s3) s3.destroy();
    if (server) await server.dispose();
  });

  test('CreateBucket makes the bucket\'s directory, ListBuckets names it; again BucketAlreadyOwnedByYou; bad names refused', async () => {
    const bucket = 'made-by-sdk';
    assert.equal(fs.existsSync(bucketDir(bucket)), false);
    const made = await send(new S3.CreateBucketCommand({ Bucket: bucket }));
    assert.equal(made.$metadata.httpStatusCode, 200);
    assert.equal(made.Location, `/${bucket}`);
    assert.ok(fs.statSync(bucketDir(bucket)).isDirectory(), `no directory ${bucketDir(bucket)}`);
    const names = (await send(new S3.ListBucketsCommand({}))).Buckets.map((b) => b.Name);
    assert.ok(names.includes(bucket), `ListBuckets: ${names}`);
    assert.ok(names.includes(LAKE), `ListBuckets: ${names}`);
    assert.equal((await send(new S3.HeadBucketCommand({ Bucket: bucket }))).$metadata.httpStatusCode, 200);
    const listed = await send(new S3.ListObjectsV2Command({ Bucket: bucket }));
    assert.equal(listed.KeyCount, 0);

    // Made once: the second time is refused, and what the bucket holds stays.
    fs.writeFileSync(path.join(bucketDir(bucket), 'kept.txt'), 'kept\n');
    await rejectsAws(send(new S3.CreateBucketCommand({ Bucket: bucket })), 'BucketAlreadyOwnedByYou', 409, new RegExp(bucket));
    assert.equal(onDisk(bucket, 'kept.txt').toString(), 'kept\n');

    for (const bad of ['Bad_Name', 'ab', 'x'.repeat(64)]) {
      await rejectsAws(send(new S3.CreateBucketCommand({ Bucket: bad })), 'InvalidBucketName', 400, /3\.\.63 characters/, bad);
      assert.equal(fs.existsSync(bucketDir(bad)), false, `a refused CreateBucket made ${bad}/`);
    }
    assert.deepEqual((await send(new S3.ListBucketsCommand({}))).Buckets.map((b) => b.Name), names);
  });

  test('PutObject writes exactly the bytes, ETag the quoted MD5; GetObject and HeadObject read them back; overwrite, BadDigest, NoSuchBucket', async () => {
    const allBytes = Buffer.from(Array.from({ length: 512 }, (_, i) => (i * 7) % 256));
    assert.equal(new Set(allBytes).size, 256);
    const cases = [
      ['bytes/every byte.bin', allBytes],
      ['deep/a/b/c/readings.jsonl', Buffer.from('{"device":"m-1","v":1}\n{"device":"m-2","v":2}\n')],
      ['empty.bin', Buffer.alloc(0)],
      ['random.bin', crypto.randomBytes(300 * 1024)],
    ];
    for (const [key, body] of cases) {
      const out = await put(key, body);
      assert.equal(out.$metadata.httpStatusCode, 200, key);
      assert.equal(out.ETag, `"${md5Hex(body)}"`, key);
      assert.ok(onDisk(LAKE, key)?.equals(body), `${key}: the file on disk is not the ${body.length} bytes put`);
      const got = await get(key);
      assert.equal(got.ContentLength, body.length, key);
      assert.ok((await bytesOf(got)).equals(body), `${key}: GetObject is not the bytes put`);
      const h = await head(key);
      assert.equal(h.$metadata.httpStatusCode, 200, key);
      assert.equal(h.ContentLength, body.length, key);
    }
    assert.deepEqual(await keysUnder(''), cases.map(([key]) => key).sort());
    assert.deepEqual(listObjects(bucketDir(LAKE)).map((o) => o.key), cases.map(([key]) => key).sort());

    // With a Content-MD5 that is the body's, taken; with another, refused and nothing written
    // (neither a new key nor over an old one).
    const body = Buffer.from('checked by md5\n');
    assert.equal((await put('md5/ok.txt', body, { ContentMD5: md5Base64(body) })).ETag, `"${md5Hex(body)}"`);
    assert.ok(onDisk(LAKE, 'md5/ok.txt').equals(body));
    const wrong = md5Base64(Buffer.from('something else'));
    await rejectsAws(put('md5/new.txt', body, { ContentMD5: wrong }), 'BadDigest', 400, /Content-MD5/);
    assert.equal(onDisk(LAKE, 'md5/new.txt'), null, 'a BadDigest PutObject wrote the object');
    await rejectsAws(put('md5/ok.txt', Buffer.from('replaced'), { ContentMD5: wrong }), 'BadDigest', 400);
    assert.ok(onDisk(LAKE, 'md5/ok.txt').equals(body), 'a BadDigest PutObject changed the object');
    await rejectsAws(head('md5/new.txt'), 'NotFound', 404);

    // Overwriting replaces the whole object (a shorter body leaves no tail of the old one).
    const [key, old] = cases[0];
    const shorter = Buffer.from([0, 255, 10]);
    assert.equal((await put(key, shorter)).ETag, `"${md5Hex(shorter)}"`);
    assert.ok(onDisk(LAKE, key).equals(shorter), `${key}: ${onDisk(LAKE, key).length} bytes after an overwrite with 3`);
    assert.ok((await bytesOf(await get(key))).equals(shorter));
    assert.notEqual(md5Hex(old), md5Hex(shorter));

    // A bucket that does not exist: NoSuchBucket, and no directory made.
    await rejectsAws(send(new S3.PutObjectCommand({ Bucket: MISSING, Key: 'x/y.txt', Body: 'y' })), 'NoSuchBucket', 404, new RegExp(MISSING));
    assert.equal(fs.existsSync(bucketDir(MISSING)), false, 'PutObject to a missing bucket made its directory');

    // Past the HTTP body limit (16 MiB) a PutObject's body streams in (s3_large_puts.test.js
    // has the rest): stored whole, ETag its MD5.
    const big = Buffer.alloc(16 * MiB + 1, 1);
    assert.equal((await put('big/one.bin', big)).ETag, `"${md5Hex(big)}"`);
    assert.ok(onDisk(LAKE, 'big/one.bin').equals(big));
    // Every object appeared whole: no temporary file is left in the bucket.
    const temp = path.join(bucketDir(LAKE), '.tributary-tmp');
    assert.deepEqual(fs.existsSync(temp) ? fs.readdirSync(temp) : [], []);
    // And the server goes on taking writes.
    assert.equal((await put('after-refusal.txt', 'still here\n')).$metadata.httpStatusCode, 200);
  });


  test('HeadObject and GetObject give back the ContentType, ContentEncoding and Metadata put', async () => {
    const key = 'typed/readings.jsonl';
    await put(key, '{"v":1}\n', {
      ContentType: 'application/x-ndjson', ContentEncoding: 'identity', Metadata: { device: 'meter-1', batch: '7' },
    });
    for (const [what, out] of [['HeadObject', await head(key)], ['GetObject', await get(key)]]) {
      assert.equal(out.ContentType, 'application/x-ndjson', what);
      assert.equal(out.ContentEncoding, 'identity', what);
      assert.deepEqual(out.Metadata, { device: 'meter-1', batch: '7' }, what);
    }
    // Without them: the default type, no metadata.
    await put('typed/plain.bin', Buffer.from([1, 2, 3]));
    const plain = await head('typed/plain.bin');
    assert.equal(plain.ContentType, 'application/octet-stream');
    assert.deepEqual(plain.Metadata, {});
  });

  test('multipart: parts out of order and one replaced, nothing before Complete, InvalidPart, then the concatenation with S3\'s ETag', async () => {
    const key = 'multi/big object.bin';
    const parts = [crypto.randomBytes(5 * MiB), crypto.randomBytes(5 * MiB), crypto.randomBytes(1234)];
    const whole = Buffer.concat(parts);
    const id = await createUpload(key);
    assert.ok(fs.statSync(partsDir(id)).isDirectory(), `no directory ${partsDir(id)} for the upload's parts`);

    // Part 1 first with other bytes, then 2, 3 and part 1 again: the last upload of a part counts.
    const stale = Buffer.from('a first try at part 1');
    const staleEtag = (await uploadPart(key, id, 1, stale)).ETag;
    assert.equal(staleEtag, `"${md5Hex(stale)}"`);
    const etags = {};
    for (const n of [2, 3, 1]) {
      const started = Date.now();
      const out = await uploadPart(key, id, n, parts[n - 1]);
      // The SDK sends "Expect: 100-continue" with bodies of 2 MB and more and, unanswered,
      // waits 6 s before sending the body: the server answers it at once.
      assert.ok(Date.now() - started < 3000, `part ${n} took ${Date.now() - started} ms: 100-continue unanswered?`);
      assert.equal(out.$metadata.httpStatusCode, 200, `part ${n}`);
      assert.equal(out.ETag, `"${md5Hex(parts[n - 1])}"`, `part ${n}`);
      etags[n] = out.ETag;
    }
    const partBytes = fs.readdirSync(partsDir(id)).reduce((n, f) => n + fs.statSync(path.join(partsDir(id), f)).size, 0);
    assert.equal(partBytes, whole.length, `${partsDir(id)} holds ${partBytes} bytes, the parts ${whole.length}`);

    // Not an object until Complete.
    await rejectsAws(get(key), 'NoSuchKey', 404);
    await rejectsAws(head(key), 'NotFound', 404);
    assert.deepEqual(await keysUnder('multi/'), []);
    assert.equal(onDisk(LAKE, key), null);

    // Refused Completes write nothing and leave the upload to complete.
    const right = [1, 2, 3].map((n) => ({ PartNumber: n, ETag: etags[n] }));
    const refusals = [
      ['the replaced part\'s ETag', [{ PartNumber: 1, ETag: staleEtag }, right[1], right[2]]],
      ['parts out of order', [right[1], right[0], right[2]]],
      ['a part never uploaded', [...right, { PartNumber: 4, ETag: etags[3] }]],
      ['another part\'s ETag', [right[0], { PartNumber: 2, ETag: etags[1] }, right[2]]],
    ];
    for (const [what, list] of refusals) {
      await rejectsAws(complete(key, id, list), 'InvalidPart', 400, undefined, what);
      assert.equal(onDisk(LAKE, key), null, `${what}: an object was written`);
      assert.ok(fs.existsSync(partsDir(id)), `${what}: the parts were removed`);
    }
    await rejectsAws(get(key), 'NoSuchKey', 404);

    const done = await complete(key, id, right);
    assert.equal(done.$metadata.httpStatusCode, 200);
    assert.equal(done.Key, key);
    assert.equal(done.Bucket, LAKE);
    assert.equal(done.ETag, multipartEtag(parts));
    assert.ok(onDisk(LAKE, key)?.equals(whole), 'the object on disk is not the parts in order');
    assert.equal(fs.existsSync(partsDir(id)), false, `${partsDir(id)} is left after Complete`);
    const got = await get(key);
    assert.equal(got.ContentLength, whole.length);
    assert.ok((await bytesOf(got)).equals(whole), 'GetObject is not the parts in order');
    assert.equal((await head(key)).ContentLength, whole.length);
    assert.deepEqual(await keysUnder('multi/'), [key]);

    // The upload is over.
    await rejectsAws(uploadPart(key, id, 4, Buffer.from('late')), 'NoSuchUpload', 404);
    await rejectsAws(complete(key, id, right), 'NoSuchUpload', 404);
    assert.ok(onDisk(LAKE, key).equals(whole));
  });

  test('multipart: EntityTooSmall for a small part that is not the last; Abort removes the parts, then NoSuchUpload', async () => {
    const key = 'multi/small parts.bin';
    const id = await createUpload(key);
    const small = [crypto.randomBytes(1024), crypto.randomBytes(1024)];
    const parts = [];
    for (const [i, body] of small.entries()) {
      parts.push({ PartNumber: i + 1, ETag: (await uploadPart(key, id, i + 1, body)).ETag });
    }
    await rejectsAws(complete(key, id, parts), 'EntityTooSmall', 400, /5 MiB/);
    assert.equal(onDisk(LAKE, key), null, 'an EntityTooSmall Complete wrote the object');
    await rejectsAws(get(key), 'NoSuchKey', 404);
    // The upload id is only good for its own key.
    await rejectsAws(send(new S3.UploadPartCommand({ Bucket: LAKE, Key: 'multi/other', UploadId: id, PartNumber: 1, Body: 'x' })),
                     'NoSuchUpload', 404);

    assert.ok(fs.existsSync(partsDir(id)));
    const aborted = await abort(key, id);
    assert.equal(aborted.$metadata.httpStatusCode, 204);
    assert.equal(fs.existsSync(partsDir(id)), false, `${partsDir(id)} is left after Abort`);
    await rejectsAws(uploadPart(key, id, 3, Buffer.from('after abort')), 'NoSuchUpload', 404, new RegExp(id));
    assert.equal(fs.existsSync(partsDir(id)), false, 'UploadPart after Abort made the parts\' directory again');
    await rejectsAws(complete(key, id, parts), 'NoSuchUpload', 404);
    await rejectsAws(abort(key, id), 'NoSuchUpload', 404);
    await rejectsAws(abort(key, 'no-such-upload-id'), 'NoSuchUpload', 404, /no-such-upload-id/);
    assert.equal(onDisk(LAKE, key), null);

    // A bucket that does not exist.
    await rejectsAws(createUpload('x', MISSING), 'NoSuchBucket', 404);
    assert.equal(fs.existsSync(bucketDir(MISSING)), false);
    // Nothing of these uploads is left.
    const uploads = path.join(server.dataDir, 'tmp', 's3-uploads');
    assert.deepEqual(fs.existsSync(uploads) ? fs.readdirSync(uploads) : [], []);
  });

  test('multipart with checksums: COMPOSITE (the parts\' CRC32s summed, -N), FULL_OBJECT (the object\'s CRC32); a wrong part\'s refused', async () => {
    const crc32 = (bytes) => { const b = Buffer.alloc(4); b.writeUInt32BE(zlib.crc32(bytes)); return b; };
    const one = Buffer.alloc(5 * MiB, 'c');
    const two = Buffer.from('the tail');
    const upload = async (Key, extra) => {
      const created = await send(new S3.CreateMultipartUploadCommand({ Bucket: LAKE, Key, ChecksumAlgorithm: 'CRC32', ...extra }));
      const parts = [];
      for (const [i, Body] of [one, two].entries()) {
        const part = await send(new S3.UploadPartCommand({ Bucket: LAKE, Key, UploadId: created.UploadId, PartNumber: i + 1,
                                                            Body, ChecksumAlgorithm: 'CRC32' }));
        assert.equal(part.ChecksumCRC32, crc32(Body).toString('base64'), `part ${i + 1}'s checksum`);
        parts.push({ PartNumber: i + 1, ETag: part.ETag, ChecksumCRC32: part.ChecksumCRC32 });
      }
      return { created, parts };
    };

    const composite = await upload('sums/composite');
    assert.deepEqual([composite.created.ChecksumAlgorithm, composite.created.ChecksumType], ['CRC32', 'COMPOSITE']);
    const wrong = composite.parts.map((p) => ({ ...p, ChecksumCRC32: crc32(Buffer.from('other')).toString('base64') }));
    await rejectsAws(complete('sums/composite', composite.created.UploadId, wrong), 'InvalidPart', 400,
                     /part 1's CRC32 is .* not .* as listed/);
    await rejectsAws(send(new S3.HeadObjectCommand({ Bucket: LAKE, Key: 'sums/composite' })), 'NotFound', 404);
    const done = await complete('sums/composite', composite.created.UploadId, composite.parts);
    const expected = `${crc32(Buffer.concat([crc32(one), crc32(two)])).toString('base64')}-2`;
    assert.deepEqual([done.ChecksumCRC32, done.ChecksumType], [expected, 'COMPOSITE']);
    const head = await send(new S3.HeadObjectCommand({ Bucket: LAKE, Key: 'sums/composite', ChecksumMode: 'ENABLED' }));
    assert.deepEqual([head.ChecksumCRC32, head.ChecksumType], [expected, 'COMPOSITE']);
    const got = await send(new S3.GetObjectCommand({ Bucket: LAKE, Key: 'sums/composite', ChecksumMode: 'ENABLED' }));
    assert.ok(Buffer.from(await got.Body.transformToByteArray()).equals(Buffer.concat([one, two])));

    // A copy is not multipart: its checksum is the whole object's, as S3 recomputes it.
    await send(new S3.CopyObjectCommand({ Bucket: LAKE, Key: 'sums/copy', CopySource: `${LAKE}/sums/composite` }));
    const copy = await send(new S3.HeadObjectCommand({ Bucket: LAKE, Key: 'sums/copy', ChecksumMode: 'ENABLED' }));
    assert.deepEqual([copy.ChecksumCRC32, copy.ChecksumType],
                     [crc32(Buffer.concat([one, two])).toString('base64'), 'FULL_OBJECT']);

    const whole = await upload('sums/whole', { ChecksumType: 'FULL_OBJECT' });
    assert.equal(whole.created.ChecksumType, 'FULL_OBJECT');
    const full = await complete('sums/whole', whole.created.UploadId, whole.parts);
    const fullSum = crc32(Buffer.concat([one, two])).toString('base64');
    assert.deepEqual([full.ChecksumCRC32, full.ChecksumType], [fullSum, 'FULL_OBJECT']);
    // The SDK checks the body it reads against a full-object checksum.
    const read = await send(new S3.GetObjectCommand({ Bucket: LAKE, Key: 'sums/whole', ChecksumMode: 'ENABLED' }));
    assert.equal(read.ChecksumCRC32, fullSum);
    assert.equal((await read.Body.transformToByteArray()).length, one.length + two.length);

    await rejectsAws(send(new S3.CreateMultipartUploadCommand({ Bucket: LAKE, Key: 'sums/bad', ChecksumAlgorithm: 'SHA256',
                                                                ChecksumType: 'FULL_OBJECT' })),
                     'InvalidRequest', 400, /FULL_OBJECT is for the CRCs, not SHA256/);
  });

  test('DeleteObject removes the file (204, again for a missing key); DeleteObjects removes several, each Deleted', async () => {
    const keys = ['trash/a.txt', 'trash/sub/b.txt', 'trash/c d.txt', 'trash/sub/deeper/e.bin', 'keep/f.txt'];
    for (const key of keys) await put(key, `${key}\n`);
    for (const key of keys) assert.ok(onDisk(LAKE, key), key);

    const deleted = await send(new S3.DeleteObjectCommand({ Bucket: LAKE, Key: keys[0] }));
    assert.equal(deleted.$metadata.httpStatusCode, 204);
    assert.equal(onDisk(LAKE, keys[0]), null, `${keys[0]} is still on disk`);
    await rejectsAws(get(keys[0]), 'NoSuchKey', 404);
    // Missing keys, and keys the local lake cannot hold (a folder marker 'trash/', an empty
    // segment): nothing to delete, 204 as on S3 (s3fs and rclone delete folder markers).
    for (const key of [keys[0], 'trash/never-there', 'trash/', 'trash//x']) {
      assert.equal((await send(new S3.DeleteObjectCommand({ Bucket: LAKE, Key: key }))).$metadata.httpStatusCode, 204, key);
    }
    assert.ok(onDisk(LAKE, keys[1]), 'deleting the folder marker removed what is under it');

    const many = [keys[1], keys[2], keys[3], 'trash/never-there', 'trash/sub/'];
    const out = await send(new S3.DeleteObjectsCommand({ Bucket: LAKE, Delete: { Objects: many.map((Key) => ({ Key })) } }));
    assert.equal(out.$metadata.httpStatusCode, 200);
    assert.deepEqual((out.Deleted || []).map((d) => d.Key).sort(), [...many].sort());
    assert.equal(out.Errors, undefined, JSON.stringify(out.Errors));
    for (const key of keys.slice(0, 4)) assert.equal(onDisk(LAKE, key), null, `${key} is still on disk`);
    assert.ok(onDisk(LAKE, 'keep/f.txt').equals(Buffer.from('keep/f.txt\n')), 'DeleteObjects removed another key');

    // Nothing of trash/ is listed any more, not even as a folder.
    assert.deepEqual(await keysUnder('trash/'), []);
    const top = await send(new S3.ListObjectsV2Command({ Bucket: LAKE, Delimiter: '/' }));
    const folders = (top.CommonPrefixes || []).map((p) => p.Prefix);
    assert.ok(folders.includes('keep/') && !folders.includes('trash/'), `folders: ${folders}`);

    await rejectsAws(send(new S3.DeleteObjectCommand({ Bucket: MISSING, Key: 'x' })), 'NoSuchBucket', 404);
    await rejectsAws(send(new S3.DeleteObjectsCommand({ Bucket: MISSING, Delete: { Objects: [{ Key: 'x' }] } })), 'NoSuchBucket', 404);
    assert.equal(fs.existsSync(bucketDir(MISSING)), false);
  });

  test('a PUT signed with a wrong secret is refused on its header: its body is never read', async () => {
    const amzDate = new Date().toISOString().replace(/[-:]/g, '').replace(/\.\d+/, '');
    const url = new URL(`${server.endpoint}/${LAKE}/refused/never.bin`);
    const answer = await new Promise((resolve, reject) => {
      const req = http.request(url, {
        method: 'PUT',
        headers: {
          'content-length': String(8 * MiB),
          'x-amz-date': amzDate,
          'x-amz-content-sha256': 'a'.repeat(64),
          authorization: `AWS4-HMAC-SHA256 Credential=admin/${amzDate.slice(0, 8)}/us-east-1/s3/aws4_request, ` +
                         `SignedHeaders=host;x-amz-content-sha256;x-amz-date, Signature=${'0'.repeat(64)}`,
        },
        signal: AbortSignal.timeout(10000),
      });
      req.on('response', (res) => {
        let body = '';
        res.on('data', (c) => { body += c; });
        res.on('end', () => resolve({ status: res.statusCode, body }));
      });
      req.on('error', reject);
      req.flushHeaders();  // the header alone: not a byte of the 8 MiB follows
    });
    assert.equal(answer.status, 403, answer.body);
    assert.match(answer.body, /SignatureDoesNotMatch/);
    assert.equal(onDisk(LAKE, 'refused/never.bin'), null);
  });

  // SigV4 signs a header sent twice as its values joined with ',' in the order sent (S3
  // keeps such metadata joined), and S3 signs only the first value of a query name given
  // twice, as `aws4` signs it for S3.
  test('a header and a query name sent twice are checked as S3 signs them; the header stored joined', async () => {
    const key = 'repeated/colours.txt';
    const body = 'two colours\n';
    const url = new URL(server.endpoint);
    const signed = aws4.sign({
      host: url.host, path: `/${LAKE}/${key}?x-id=PutObject&x-id=CopyObject`, method: 'PUT', service: 's3', region: 'us-east-1', body,
      headers: { 'X-Amz-Meta-Colour': 'red,blue', 'X-Amz-Content-Sha256': crypto.createHash('sha256').update(body).digest('hex') },
    }, { accessKeyId: 'admin', secretAccessKey: server.token });
    // Sent as two header lines, as a client that repeats a header sends it.
    const headers = { ...signed.headers, 'X-Amz-Meta-Colour': ['red', 'blue'] };
    const answer = await new Promise((resolve, reject) => {
      const req = http.request({ hostname: url.hostname, port: url.port, path: signed.path, method: 'PUT', headers,
                                 signal: AbortSignal.timeout(10000) }, (res) => {
        let text = '';
        res.on('data', (c) => { text += c; });
        res.on('end', () => resolve({ status: res.statusCode, text }));
      });
      req.on('error', reject);
      req.end(body);
    });
    assert.equal(answer.status, 200, answer.text);
    assert.equal(onDisk(LAKE, key).toString(), body);
    assert.deepEqual((await head(key)).Metadata, { colour: 'red,blue' });
  });

  test('what the SDK writes is the lake the server reads: its lake API lists and reads it, a crawler counts its records', async () => {
    const records = (from, n) => Array.from({ length: n }, (_, i) =>
      ({ device: `meter-${(from + i) % 3}`, seq: from + i, ozone: 10 + ((from + i) % 7), temp: 20.5 + (from + i) }));
    const text = (rs) => rs.map((r) => `${JSON.stringify(r)}\n`).join('');
    const first = text(records(0, 20));
    const second = text(records(20, 10));
    await put('readings/batch-1.jsonl', first, { ContentType: 'application/x-ndjson' });
    // One in a multipart upload of one part (the last part may be small).
    const key2 = 'readings/batch-2.jsonl';
    const id = await createUpload(key2);
    const { ETag } = await uploadPart(key2, id, 1, Buffer.from(second));
    assert.equal((await complete(key2, id, [{ PartNumber: 1, ETag }])).ETag, multipartEtag([Buffer.from(second)]));

    const buckets = await server.api('GET', '/v1/lake/buckets');
    assert.equal(buckets.status, 200, buckets.text);
    assert.ok(buckets.json.buckets.some((b) => b.name === LAKE), buckets.text);
    const listed = await server.api('GET', `/v1/lake/buckets/${LAKE}/objects?prefix=readings/`);
    assert.equal(listed.status, 200, listed.text);
    assert.deepEqual(listed.json.objects.map((o) => [o.key, o.size]),
                     [['readings/batch-1.jsonl', first.length], [key2, second.length]]);
    for (const [key, want] of [['readings/batch-1.jsonl', first], [key2, second]]) {
      const read = await server.api('GET', `/v1/lake/buckets/${LAKE}/object?key=${encodeURIComponent(key)}`);
      assert.equal(read.status, 200, read.text);
      assert.equal(read.text, want, key);
    }

    const cli = async (args) => {
      const r = await server.cli(args);
      assert.equal(r.code, 0, `${describeRun(args.join(' '), r)}\n${server.tail(30)}`);
      return r;
    };
    await cli(['crawler', 'create', 'sdk', '--source', `s3://${LAKE}/readings/`, '--database', 'sdk', '--table', 'readings']);
    const run = JSON.parse((await cli(['crawler', 'run', 'sdk', '--json'])).stdout);
    assert.equal(run.status, 'succeeded', JSON.stringify(run));
    assert.equal(run.objects_read, 2, JSON.stringify(run));
    assert.equal(run.records, 30, JSON.stringify(run));
    const table = JSON.parse((await cli(['catalog', 'describe', 'sdk.readings', '--json'])).stdout);
    assert.equal(table.record_count, 30);
    assert.equal(table.location, `s3://${LAKE}/readings/`);
    const types = Object.fromEntries(table.columns.map((c) => [c.name, c.type]));
    assert.deepEqual(types, { device: 'string', seq: 'bigint', ozone: 'bigint', temp: 'double' });
  });
});
