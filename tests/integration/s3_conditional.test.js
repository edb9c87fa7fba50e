// S3's conditional requests over the lake, driven by the AWS SDK's S3 client
// (`@aws-sdk/client-s3`, path-style, SigV4 with access key id 'admin' and the admin token
// as the secret). Reads: GetObject and HeadObject with If-Match (412 PreconditionFailed
// when it fails), If-None-Match (304 Not Modified, with the ETag and Last-Modified, seen
// through a presigned URL), If-Modified-Since and If-Unmodified-Since, RFC 9110's
// precedence between them, and a Range under a condition. Writes: PutObject with
// If-None-Match: * (create only: a second is 412 and the first's bytes stay on disk; of
// eight at once exactly one wins, and the object is its bytes) and If-Match (replace the
// version read: a stale ETag 412, a key with no object 404 NoSuchKey), If-None-Match
// other than * 501 NotImplemented; a body past the HTTP limit, streamed in, held to the
// same; CompleteMultipartUpload (refused, the upload stays to be completed once the key is
// free) and CopyObject onto a taken key. Deletes: DeleteObject with If-Match (a stale ETag
// 412 and the object stays, no object 404 NoSuchKey), DeleteObjects with an ETag per
// object (PreconditionFailed in Errors for the stale one, the others deleted). Last, the
// S3 backend passes the conditions on: a second server whose lake is the first server's
// S3 API (`--lake-backend s3`) refuses a create-only PutObject, a stale If-Match and a
// stale conditional delete, which the first server checked.
'use strict';

const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const S3 = require('@aws-sdk/client-s3');
const { getSignedUrl } = require('@aws-sdk/s3-request-presigner');
const { md5Hex, tributaryS3, bytesOfSeed } = require('./s3');
const { Server } = require('./harness');
const { rejectsAws } = require('./aws');

const LAKE = 'conditional';
const MiB = 1 << 20;
const HOUR_MS = 3600 * 1000;

describe('S3 conditional reads and writes through the AWS SDK', { timeout: 120000 }, () => {
  let server;
  let s3;
  const send = (command) => s3.send(command);
  const fileOf = (key) => path.join(server.dataDir, 'lake', LAKE, ...key.split('/'));
  const onDisk = (key) => (fs.existsSync(fileOf(key)) ? fs.readFileSync(fileOf(key), 'utf8') : null);
  const put = (Key, Body, more = {}) => send(new S3.PutObjectCommand({ Bucket: LAKE, Key, Body, ...more }));
  const get = (Key, more = {}) => send(new S3.GetObjectCommand({ Bucket: LAKE, Key, ...more }));
  const head = (Key, more = {}) => send(new S3.HeadObjectCommand({ Bucket: LAKE, Key, ...more }));
  const text = async (output) => Buffer.from(await output.Body.transformToByteArray()).toString('utf8');
  // A 304 is an error to the SDK, as S3's own is; with no body to read a code from, it
  // names it 'Unknown' (as it does S3's).
  const notModified = (promise, what) => rejectsAws(promise, 'Unknown', 304, undefined, what);
  const preconditionFailed = (promise, what, message) =>
    rejectsAws(promise, 'PreconditionFailed', 412, message, what);

  before(async () => {
    server = await Server.start({ tag: 's3-conditional' });
    s3 = tributaryS3(server);
    await send(new S3.CreateBucketCommand({ Bucket: LAKE }));
  });
  after(async () => {
    if (s3) s3.destroy();
    if (server) await server.dispose();
  });

  test('GetObject and HeadObject answer If-Match, If-None-Match and the dates as RFC 9110 orders them', async () => {
    const { ETag } = await put('reads/a.json', '{"level":7}\n');
    assert.equal(ETag, `"${md5Hex('{"level":7}\n')}"`);
    const { LastModified } = await head('reads/a.json');
    const before = new Date(LastModified.getTime() - HOUR_MS);
    const later = new Date(LastModified.getTime() + HOUR_MS);

    assert.equal(await text(await get('reads/a.json', { IfMatch: ETag })), '{"level":7}\n');
    assert.equal(await text(await get('reads/a.json', { IfMatch: ETag.slice(1, -1) })), '{"level":7}\n', 'unquoted');
    await preconditionFailed(get('reads/a.json', { IfMatch: '"0000"' }), 'If-Match of another ETag',
                             /If-Match.*is "[0-9a-f]{32}", not "0000"/);
    await notModified(get('reads/a.json', { IfNoneMatch: ETag }), 'If-None-Match of its ETag');
    await notModified(get('reads/a.json', { IfNoneMatch: `"x", W/${ETag}` }), 'a list, weakly compared');
    assert.equal(await text(await get('reads/a.json', { IfNoneMatch: '"0000"' })), '{"level":7}\n');
    await notModified(get('reads/a.json', { IfModifiedSince: later }), 'not modified since a later time');
    assert.equal(await text(await get('reads/a.json', { IfModifiedSince: before })), '{"level":7}\n');
    await preconditionFailed(get('reads/a.json', { IfUnmodifiedSince: before }), 'modified since',
                             /If-Unmodified-Since/);
    assert.equal(await text(await get('reads/a.json', { IfUnmodifiedSince: later })), '{"level":7}\n');
    // If-Match holding decides: If-Unmodified-Since is not looked at; nor If-Modified-Since
    // beside an If-None-Match.
    assert.equal(await text(await get('reads/a.json', { IfMatch: ETag, IfUnmodifiedSince: before })), '{"level":7}\n');
    assert.equal(await text(await get('reads/a.json', { IfNoneMatch: '"0000"', IfModifiedSince: later })),
                 '{"level":7}\n');
    // A failing If-Match wins over a Range; a holding one leaves the Range to be served.
    const part = await get('reads/a.json', { IfMatch: ETag, Range: 'bytes=1-7' });
    assert.equal(part.$metadata.httpStatusCode, 206);
    assert.equal(await text(part), '"level"');
    await preconditionFailed(get('reads/a.json', { IfMatch: '"0000"', Range: 'bytes=1-7' }), 'a Range');

    assert.equal((await head('reads/a.json', { IfMatch: ETag })).ETag, ETag);
    await notModified(head('reads/a.json', { IfNoneMatch: ETag }), 'HeadObject If-None-Match');
    await rejectsAws(head('reads/a.json', { IfMatch: '"0000"' }), 'Unknown', 412, undefined, 'HeadObject If-Match');

    // What a 304 carries, as a browser or cache sees it.
    const url = await getSignedUrl(s3, new S3.GetObjectCommand({ Bucket: LAKE, Key: 'reads/a.json' }), { expiresIn: 60 });
    const r = await fetch(url, { headers: { 'If-None-Match': ETag }, signal: AbortSignal.timeout(10000) });
    assert.equal(r.status, 304);
    assert.equal(r.headers.get('etag'), ETag);
    assert.equal(new Date(r.headers.get('last-modified')).getTime(), Math.floor(LastModified.getTime() / 1000) * 1000);
    assert.equal((await r.arrayBuffer()).byteLength, 0);
    const since = await fetch(url, { headers: { 'If-Modified-Since': 'not a date' }, signal: AbortSignal.timeout(10000) });
    assert.equal(since.status, 200, 'a date that does not parse is ignored');
    assert.equal(await since.text(), '{"level":7}\n');
  });

  test('PutObject with If-None-Match: * creates only; with If-Match it replaces only the version read', async () => {
    const first = await put('writes/lock', 'owner 1', { IfNoneMatch: '*' });
    assert.equal(first.ETag, `"${md5Hex('owner 1')}"`);
    await preconditionFailed(put('writes/lock', 'owner 2', { IfNoneMatch: '*' }), 'a taken key',
                             /If-None-Match.*'writes\/lock' already exists/);
    assert.equal(onDisk('writes/lock'), 'owner 1');

    const second = await put('writes/lock', 'owner 1, renewed', { IfMatch: first.ETag });
    await preconditionFailed(put('writes/lock', 'owner 2', { IfMatch: first.ETag }), 'a stale ETag',
                             /has ETag '[0-9a-f]{32}', not '[0-9a-f]{32}'/);
    assert.equal(onDisk('writes/lock'), 'owner 1, renewed');
    await put('writes/lock', 'owner 1, again', { IfMatch: second.ETag });
    assert.equal(onDisk('writes/lock'), 'owner 1, again');
    await put('writes/lock', 'anyone', { IfMatch: '*' });
    assert.equal(onDisk('writes/lock'), 'anyone');

    await rejectsAws(put('writes/none', 'x', { IfMatch: first.ETag }), 'NoSuchKey', 404, /does not exist/,
                     'If-Match of a key with no object');
    assert.equal(onDisk('writes/none'), null);
    await rejectsAws(put('writes/none', 'x', { IfNoneMatch: first.ETag }), 'NotImplemented', 501, /only '\*'/,
                     'If-None-Match of an ETag on a write');
    assert.equal(onDisk('writes/none'), null);
    assert.deepEqual(fs.readdirSync(path.join(server.dataDir, 'lake', LAKE, '.tributary-tmp')), []);
  });

  test('of eight create-only PutObjects of one key exactly one wins', async () => {
    for (let round = 0; round < 3; round += 1) {
      const key = `race/${round}`;
      const results = await Promise.allSettled(
        Array.from({ length: 8 }, (_, i) => put(key, `writer ${i}`, { IfNoneMatch: '*' })));
      const won = results.map((r, i) => [r, i]).filter(([r]) => r.status === 'fulfilled');
      assert.equal(won.length, 1, `round ${round}: ${results.map((r) => r.reason?.name || 'ok').join(', ')}`);
      for (const r of results.filter((x) => x.status === 'rejected')) {
        assert.equal(r.reason.name, 'PreconditionFailed', r.reason.message);
      }
      assert.equal(onDisk(key), `writer ${won[0][1]}`);
    }
  });

  test('a streamed body, a multipart upload and a copy are held to the conditions too', async () => {
    await put('big/taken', 'small');
    const body = bytesOfSeed(17 * MiB, 'conditional-big');  // past the 16 MiB HTTP limit: streamed in
    await preconditionFailed(put('big/taken', body, { IfNoneMatch: '*' }), 'a streamed PutObject');
    assert.equal(onDisk('big/taken'), 'small');
    const streamed = await put('big/free', body, { IfNoneMatch: '*' });
    assert.equal(streamed.ETag, `"${md5Hex(body)}"`);

    const { UploadId } = await send(new S3.CreateMultipartUploadCommand({ Bucket: LAKE, Key: 'big/taken' }));
    const part = await send(new S3.UploadPartCommand({ Bucket: LAKE, Key: 'big/taken', UploadId, PartNumber: 1,
                                                       Body: 'the whole upload' }));
    const complete = () => send(new S3.CompleteMultipartUploadCommand({
      Bucket: LAKE, Key: 'big/taken', UploadId, IfNoneMatch: '*',
      MultipartUpload: { Parts: [{ PartNumber: 1, ETag: part.ETag }] },
    }));
    await preconditionFailed(complete(), 'CompleteMultipartUpload onto a taken key');
    assert.equal(onDisk('big/taken'), 'small');
    await send(new S3.DeleteObjectCommand({ Bucket: LAKE, Key: 'big/taken' }));
    await complete();  // the upload stayed
    assert.equal(onDisk('big/taken'), 'the whole upload');

    const copy = (more) => send(new S3.CopyObjectCommand({ Bucket: LAKE, Key: 'big/taken',
                                                           CopySource: `${LAKE}/writes/lock`, ...more }));
    await preconditionFailed(copy({ IfNoneMatch: '*' }), 'CopyObject onto a taken key');
    assert.equal(onDisk('big/taken'), 'the whole upload');
    await preconditionFailed(copy({ IfMatch: '"0000"' }), 'CopyObject onto another version');
    const { ETag } = await head('big/taken');
    await copy({ IfMatch: ETag });
    assert.equal(onDisk('big/taken'), 'anyone');
  });

  test('DeleteObject and DeleteObjects delete only the version read', async () => {
    const del = (Key, more = {}) => send(new S3.DeleteObjectCommand({ Bucket: LAKE, Key, ...more }));
    const v1 = await put('deletes/a', 'v1');
    const v2 = await put('deletes/a', 'v2');
    await preconditionFailed(del('deletes/a', { IfMatch: v1.ETag }), 'a stale ETag', /not '[0-9a-f]{32}'/);
    assert.equal(onDisk('deletes/a'), 'v2');
    await rejectsAws(del('deletes/none', { IfMatch: v1.ETag }), 'NoSuchKey', 404, /does not exist/, 'no object');
    await del('deletes/a', { IfMatch: v2.ETag });
    assert.equal(onDisk('deletes/a'), null);
    await put('deletes/b', 'b');
    await del('deletes/b', { IfMatch: '*' });
    assert.equal(onDisk('deletes/b'), null);
    await del('deletes/none');  // unconditional: a missing key is fine, as on S3

    const c = await put('deletes/c', 'c');
    const d = await put('deletes/d', 'd');
    const r = await send(new S3.DeleteObjectsCommand({ Bucket: LAKE, Delete: { Objects: [
      { Key: 'deletes/c', ETag: c.ETag }, { Key: 'deletes/d', ETag: v1.ETag }, { Key: 'deletes/e', ETag: c.ETag },
    ] } }));
    assert.deepEqual((r.Deleted || []).map((x) => x.Key), ['deletes/c']);
    assert.deepEqual((r.Errors || []).map((x) => [x.Key, x.Code]),
                     [['deletes/d', 'PreconditionFailed'], ['deletes/e', 'NoSuchKey']]);
    assert.equal(onDisk('deletes/c'), null);
    assert.equal(onDisk('deletes/d'), 'd');
    assert.equal(d.ETag, `"${md5Hex('d')}"`);
  });

  test('a server whose lake is on S3 passes the conditions on to the store', async () => {
    const saved = { id: process.env.AWS_ACCESS_KEY_ID, secret: process.env.AWS_SECRET_ACCESS_KEY };
    process.env.AWS_ACCESS_KEY_ID = 'admin';
    process.env.AWS_SECRET_ACCESS_KEY = server.token;
    const front = await Server.start({ tag: 's3-conditional-front',
                                       args: ['--lake-backend', 's3', '--s3-endpoint', server.endpoint] });
    process.env.AWS_ACCESS_KEY_ID = saved.id;
    process.env.AWS_SECRET_ACCESS_KEY = saved.secret;
    const via = tributaryS3(front);
    try {
      const putVia = (Key, Body, more) => via.send(new S3.PutObjectCommand({ Bucket: LAKE, Key, Body, ...more }));
      const first = await putVia('front/lock', 'first', { IfNoneMatch: '*' });
      assert.equal(onDisk('front/lock'), 'first');
      await preconditionFailed(putVia('front/lock', 'second', { IfNoneMatch: '*' }), 'create-only through S3');
      await putVia('front/lock', 'replaced', { IfMatch: first.ETag });
      await preconditionFailed(putVia('front/lock', 'stale', { IfMatch: first.ETag }), 'a stale ETag through S3');
      assert.equal(onDisk('front/lock'), 'replaced');
      const delVia = (Key, more) => via.send(new S3.DeleteObjectCommand({ Bucket: LAKE, Key, ...more }));
      await preconditionFailed(delVia('front/lock', { IfMatch: first.ETag }), 'a stale conditional delete through S3');
      assert.equal(onDisk('front/lock'), 'replaced');
      await delVia('front/lock', { IfMatch: `"${md5Hex('replaced')}"` });
      assert.equal(onDisk('front/lock'), null);
    } finally {
      via.destroy();
      await front.dispose();
    }
  });
});
