// S3 PutObject past the HTTP body limit (16 MiB), streamed into the lake piece by piece
// (src/app/s3_large_puts.cc), driven by the clients that send such bodies in one PUT: the
// AWS SDK's S3 client (`@aws-sdk/client-s3`, path-style, SigV4 with access key id 'admin'
// and the admin token as the secret), the aws CLI (`aws s3api put-object --body FILE`), a
// URL from the SDK's presigner used with `fetch`, and hand-signed requests (`aws4`) over
// raw `http` for what no client sends on purpose. Each is checked against the file on disk
// (<data-dir>/lake/<bucket>/<key>): the bytes, the MD5 ETag answered and read back by
// HeadObject, GetObject and ListObjectsV2, content type and x-amz-meta-*; the server's
// memory high-water mark (VmHWM) grows by far less than the body. Nothing is stored, and
// an older object under the key stays, when the body is not the one signed
// (XAmzContentSHA256Mismatch), not the Content-MD5 (BadDigest) or cut short by a client
// that goes away; no temporary file is left (ListObjectsV2, .tributary-tmp/). Refused from
// the header alone, before any of the body is asked for (no "100 Continue"): a
// header-signed large PUT whose x-amz-content-sha256 is UNSIGNED-PAYLOAD
// (AuthorizationHeaderMalformed) or STREAMING-* without x-amz-decoded-content-length
// (InvalidRequest), a large body to a bucket, a POST or a copy
// (EntityTooLarge), a missing bucket (NoSuchBucket), a part of no upload (NoSuchUpload).
// UploadPart past 16 MiB streams in the same way (its hash checked, the upload completed). A chunked body without a
// Content-Length past 16 MiB is EntityTooLarge; a small PutObject is as before.
// Small writes: s3_writes.test.js; copies and presigned URLs: s3_copies.test.js.
'use strict';

const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const fs = require('node:fs');
const http = require('node:http');
const net = require('node:net');
const path = require('node:path');
const aws4 = require('aws4');
const S3 = require('@aws-sdk/client-s3');
const { getSignedUrl } = require('@aws-sdk/s3-request-presigner');
const { Server, run, describeRun, makeTempDir, eventually, sleep } = require('./harness');
const { rejectsAws } = require('./aws');
const { tributaryS3, md5, md5Hex, sha256Hex, multipartEtag, bytesOfSeed, s3ErrorOf, lakeBucketChecks, requestWithContinue } = require('./s3');

const LAKE = 'large-puts';     // made with CreateBucket in before()
const MISSING = 'no-such-lake';
const MiB = 1 << 20;
const LIMIT = 16 * MiB;        // the HTTP server's body limit

const md5Base64 = (bytes) => md5(bytes).digest('base64');

describe('S3 PutObject past 16 MiB streams into the lake', { timeout: 120000 }, () => {
  let server;
  let s3;
  const stored = new Set();  // the keys of LAKE that are objects now
  const send = (command) => s3.send(command);
  const bucketDir = (bucket) => path.join(server.dataDir, 'lake', bucket);
  const { onDisk, head, listedKeys, tempFiles, expectObject, expectNoObject } = lakeBucketChecks(() => server, LAKE, send);
  const put = async (Key, Body, more = {}) => {
    const out = await send(new S3.PutObjectCommand({ Bucket: LAKE, Key, Body, ...more }));
    stored.add(Key);
    return out;
  };
  const expectNoTemporaries = async (what) => {
    assert.deepEqual((await listedKeys()).sort(), [...stored].sort(), `${what}: ListObjectsV2 is not the objects stored`);
    assert.deepEqual(tempFiles(), [], `${what}: temporary files left in .tributary-tmp/`);
  };

  // The server's memory: VmHWM (peak resident) and VmRSS in bytes, from /proc.
  const memory = () => {
    const status = fs.readFileSync(`/proc/${server.child.pid}/status`, 'utf8');
    const kib = (name) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)[1]) * 1024;
    return { hwm: kib('VmHWM'), rss: kib('VmRSS') };
  };
  // Lowers the server's high-water mark to its resident size now, where the kernel lets us
  // (clear_refs 5); the growth is measured from the mark before the upload either way.
  const resetPeak = () => {
    try { fs.writeFileSync(`/proc/${server.child.pid}/clear_refs`, '5'); } catch (_) { /* measured from the mark */ }
  };
  // Runs `upload` and asserts the server's peak resident memory grew by less than `limit`.
  const withinMemory = async (what, limit, upload) => {
    resetPeak();
    const before = memory();
    const result = await upload();
    const grown = memory().hwm - before.hwm;
    const summary = `the server's VmHWM grew by ${(grown / MiB).toFixed(1)} MiB ` +
                    `(from ${(before.hwm / MiB).toFixed(1)} MiB, resident ${(before.rss / MiB).toFixed(1)} MiB)`;
    assert.ok(grown < limit, `${what}: ${summary}, not under ${limit / MiB} MiB`);
    return { result, summary };
  };

  // A request signed by hand (aws4, service s3, the admin token as the secret) with
  // `sha256` as x-amz-content-sha256; `body` (a Buffer, or a function writing to the
  // request) is sent once the server says "100 Continue" (or at once with expect false).
  // Resolves {status, text, code, message, headers, continued} when the answer is in.
  const signedRequest = ({ method = 'PUT', pathAndQuery, headers = {}, sha256, body, expect = true }) => {
    const signed = aws4.sign({
      host: `127.0.0.1:${server.httpPort}`, path: pathAndQuery, method, service: 's3', region: 'us-east-1',
      headers: { 'X-Amz-Content-Sha256': sha256, ...headers },
    }, { accessKeyId: 'admin', secretAccessKey: server.token });
    return requestWithContinue(server.httpPort, { method, pathAndQuery, headers: signed.headers, body, expect });
  };

  before(async () => {
    server = await Server.start({ tag: 's3-large-puts' });
    s3 = tributaryS3(server);
    await send(new S3.CreateBucketCommand({ Bucket: LAKE }));
  });

  after(async () => {
    if (s3) s3.destroy();
    if (server) await server.dispose();
  });

  test('SDK PutObject of 24 MiB in one PUT: ETag the MD5, the bytes on disk, HeadObject, GetObject, content type and metadata', async (t) => {
    const key = 'sdk/readings 24MiB.bin';
    const body = bytesOfSeed(24 * MiB + 123, 'sdk');
    const typed = { ContentType: 'application/x-tributary-test', Metadata: { device: 'meter-7', batch: '42' } };
    // Streamed, the server holds a piece or two: well under the body's 24 MiB.
    const { result: out, summary } = await withinMemory('PutObject of 24 MiB', 12 * MiB, () => put(key, body, typed));
    t.diagnostic(summary);
    assert.equal(out.$metadata.httpStatusCode, 200);
    assert.equal(out.ETag, `"${md5Hex(body)}"`, 'PutObject\'s ETag is not the body\'s MD5');
    const h = await expectObject(key, body, 'SDK PutObject');
    assert.equal(h.ContentType, typed.ContentType);
    assert.deepEqual(h.Metadata, typed.Metadata);
    const got = await send(new S3.GetObjectCommand({ Bucket: LAKE, Key: key, Range: 'bytes=16777210-16777229' }));
    assert.equal(got.ContentType, typed.ContentType);
    assert.deepEqual(got.Metadata, typed.Metadata);
    assert.ok(Buffer.from(await got.Body.transformToByteArray()).equals(body.subarray(16777210, 16777230)),
              'a range across the 16 MiB mark is not the bytes put');
    const listed = (await send(new S3.ListObjectsV2Command({ Bucket: LAKE, Prefix: 'sdk/' }))).Contents;
    assert.deepEqual(listed.map((o) => [o.Key, o.Size, o.ETag]), [[key, body.length, `"${md5Hex(body)}"`]]);
    // Overwritten whole by a small body (no tail of the large one left).
    const small = Buffer.from('a small body over a large one\n');
    assert.equal((await put(key, small)).ETag, `"${md5Hex(small)}"`);
    assert.ok(onDisk(key).equals(small), 'a small PutObject over a large object left other bytes');
  });

  test('aws s3api put-object --body of a 40 MB file: ETag the MD5, the bytes on disk; the server\'s memory stays flat', async (t) => {
    const key = 'cli/forty megabytes.bin';
    const body = bytesOfSeed(40 * 1000 * 1000 + 7, 'cli');
    const dir = makeTempDir('s3-large-cli');
    const file = path.join(dir, 'body.bin');
    fs.writeFileSync(file, body);
    const version = await run('aws', ['--version'], { timeoutMs: 20000 });
    if (version.error || version.code !== 0) {
      // No aws CLI here: the same 40 MB through the SDK, so that the memory is still measured.
      t.diagnostic(`aws CLI not available (${version.error ? version.error.message : describeRun('aws --version', version)}); the SDK puts the 40 MB`);
      const { summary } = await withinMemory('PutObject of 40 MB', 32 * MiB, () => put(key, body));
      t.diagnostic(summary);
      await expectObject(key, body, 'SDK PutObject of 40 MB');
      return;
    }
    // Only this environment: no profile, region or endpoint from the machine's ~/.aws.
    const config = path.join(dir, 'config');
    fs.writeFileSync(config, '[default]\nregion = us-east-1\ns3 =\n  addressing_style = path\n');
    const env = {
      AWS_ACCESS_KEY_ID: 'admin', AWS_SECRET_ACCESS_KEY: server.token, AWS_DEFAULT_REGION: 'us-east-1',
      AWS_CONFIG_FILE: config, AWS_SHARED_CREDENTIALS_FILE: path.join(dir, 'credentials'),
      AWS_EC2_METADATA_DISABLED: 'true', AWS_PAGER: '',
    };
    const args = ['s3api', 'put-object', '--endpoint-url', server.endpoint, '--bucket', LAKE, '--key', key,
                  '--body', file, '--content-type', 'application/octet-stream', '--metadata', 'source=aws-cli',
                  '--output', 'json'];
    const { result: r, summary } = await withinMemory('aws s3api put-object of 40 MB', 32 * MiB,
                                                    () => run('aws', args, { timeoutMs: 60000, env }));
    assert.equal(r.code, 0, `${describeRun(`aws ${args.join(' ')}`, r)}\n${server.tail(30)}`);
    stored.add(key);
    t.diagnostic(`${summary}; ${version.stdout.trim() || version.stderr.trim()}`);
    assert.equal(JSON.parse(r.stdout).ETag, `"${md5Hex(body)}"`, `the CLI's answer: ${r.stdout}`);
    const h = await expectObject(key, body, 'aws s3api put-object');
    assert.equal(h.ContentType, 'application/octet-stream');
    assert.deepEqual(h.Metadata, { source: 'aws-cli' });
  });

  test('a presigned PUT URL with fetch takes a 20 MiB body whole, ETag its MD5', async () => {
    const key = 'presigned/twenty.bin';
    const body = bytesOfSeed(20 * MiB + 5, 'presigned');
    // Presigned without a checksum of its (unknown) body, as AWS advises for URLs handed out.
    const presigner = new S3.S3Client({
      endpoint: server.endpoint, region: 'us-east-1', forcePathStyle: true, maxAttempts: 1,
      credentials: { accessKeyId: 'admin', secretAccessKey: server.token }, requestChecksumCalculation: 'WHEN_REQUIRED',
    });
    try {
      const url = await getSignedUrl(presigner, new S3.PutObjectCommand({ Bucket: LAKE, Key: key }), { expiresIn: 300 });
      assert.match(url, /X-Amz-Content-Sha256=UNSIGNED-PAYLOAD/);
      const r = await fetch(url, { method: 'PUT', body, signal: AbortSignal.timeout(30000) });
      const text = await r.text();
      assert.equal(r.status, 200, text);
      assert.equal(r.headers.get('etag'), `"${md5Hex(body)}"`);
      stored.add(key);
      await expectObject(key, body, 'presigned PUT');
    } finally {
      presigner.destroy();
    }
  });

  test('a body other than the one signed: XAmzContentSHA256Mismatch, nothing stored, an older object kept; a wrong Content-MD5: BadDigest', async () => {
    const size = 17 * MiB + 9;
    const signedBody = bytesOfSeed(size, 'signed');
    const sentBody = Buffer.from(signedBody);
    sentBody[size - 1] ^= 1;  // one bit, in the last piece
    // The SDK signs the body it was given; a middleware after the signing swaps it for
    // another of the same length, as a man in the middle would.
    const swapped = (Key) => {
      const command = new S3.PutObjectCommand({ Bucket: LAKE, Key, Body: signedBody });
      let sent = null;
      command.middlewareStack.addRelativeTo((next) => async (args) => {
        assert.equal(Buffer.compare(args.request.body, signedBody), 0, 'the SDK signed another body');
        assert.equal(args.request.headers['x-amz-content-sha256'], sha256Hex(signedBody));
        args.request.body = sentBody;
        sent = args.request;
        return next(args);
      }, { relation: 'after', toMiddleware: 'httpSigningMiddleware', name: 'swapBodyAfterSigning' });
      return { promise: send(command), sent: () => sent };
    };
    const fresh = swapped('integrity/fresh.bin');
    await rejectsAws(fresh.promise, 'XAmzContentSHA256Mismatch', 400, /is not the SHA-256 of the body.*nothing was stored/s,
                     'a swapped body to a new key');
    assert.ok(fresh.sent(), 'the swapping middleware never ran');
    assert.equal(Number(fresh.sent().headers['content-length']), size);
    await expectNoObject('integrity/fresh.bin', 'a swapped body');

    // Over an object already there: it stays as it was.
    const kept = bytesOfSeed(MiB, 'kept');
    await put('integrity/kept.bin', kept);
    await rejectsAws(swapped('integrity/kept.bin').promise, 'XAmzContentSHA256Mismatch', 400, undefined, 'a swapped body over an object');
    await expectObject('integrity/kept.bin', kept, 'the object under a refused PUT');

    // Content-MD5 not the body's: BadDigest, nothing stored, the older object kept.
    await rejectsAws(put('integrity/md5.bin', signedBody, { ContentMD5: md5Base64(sentBody) }), 'BadDigest', 400,
                     /Content-MD5.*nothing was stored/, 'a wrong Content-MD5');
    stored.delete('integrity/md5.bin');
    await expectNoObject('integrity/md5.bin', 'a wrong Content-MD5');
    await rejectsAws(put('integrity/kept.bin', signedBody, { ContentMD5: md5Base64(kept) }), 'BadDigest', 400);
    await expectObject('integrity/kept.bin', kept, 'the object under a BadDigest PUT');
    // And the right Content-MD5 is taken.
    const out = await put('integrity/md5.bin', signedBody, { ContentMD5: md5Base64(signedBody) });
    assert.equal(out.ETag, `"${md5Hex(signedBody)}"`);
    await expectObject('integrity/md5.bin', signedBody, 'a right Content-MD5');
    await expectNoTemporaries('after the refused bodies');
  });

  test('a client that goes away mid-body or stops short: nothing stored (IncompleteBody), the older object kept, no temporary file; the server goes on', async () => {
    const length = 30 * MiB;
    const full = bytesOfSeed(length, 'cut');
    const cutShort = async (key) => {
      const gone = await new Promise((resolve, reject) => {
        const pathAndQuery = `/${LAKE}/${key}`;
        const signed = aws4.sign({
          host: `127.0.0.1:${server.httpPort}`, path: pathAndQuery, method: 'PUT', service: 's3', region: 'us-east-1',
          headers: { 'X-Amz-Content-Sha256': sha256Hex(full), 'Content-Length': String(length) },
        }, { accessKeyId: 'admin', secretAccessKey: server.token });
        const req = http.request({ host: '127.0.0.1', port: server.httpPort, method: 'PUT', path: pathAndQuery,
                                   headers: signed.headers, agent: false });
        req.on('response', (res) => reject(new Error(`an answer (${res.statusCode}) before the body was whole`)));
        req.on('error', () => {});  // ours: destroyed
        req.write(full.subarray(0, 5 * MiB));
        // The server has begun to write the object (its temporary file is there): then go.
        eventually(() => tempFiles().length > 0, 'the temporary file of the upload', { timeoutMs: 10000, everyMs: 20 })
          .then(() => { req.destroy(); resolve(true); }, (e) => { req.destroy(); reject(e); });
      });
      assert.ok(gone);
      // Once the server has seen the end of the connection it removes what it wrote.
      await eventually(() => tempFiles().length === 0, 'the cut upload\'s temporary file to be removed', { timeoutMs: 10000 });
    };
    await cutShort('cut/new.bin');
    await sleep(300);
    await expectNoObject('cut/new.bin', 'a body cut short');

    const older = Buffer.from('the object before the cut upload\n');
    await put('cut/older.bin', older);
    await cutShort('cut/older.bin');
    await sleep(300);
    await expectObject('cut/older.bin', older, 'the object under a cut upload');

    // A client that stops sending but waits for the answer (its half of the connection
    // closed after 3 MiB of 30): IncompleteBody naming the bytes, nothing stored.
    const answer = await new Promise((resolve, reject) => {
      const pathAndQuery = `/${LAKE}/cut/half-closed.bin`;
      const signed = aws4.sign({
        host: `127.0.0.1:${server.httpPort}`, path: pathAndQuery, method: 'PUT', service: 's3', region: 'us-east-1',
        headers: { 'X-Amz-Content-Sha256': sha256Hex(full), 'Content-Length': String(length) },
      }, { accessKeyId: 'admin', secretAccessKey: server.token });
      const socket = net.connect(server.httpPort, '127.0.0.1', () => {
        socket.write(`PUT ${pathAndQuery} HTTP/1.1\r\n${Object.entries(signed.headers).map(([k, v]) => `${k}: ${v}\r\n`).join('')}\r\n`);
        socket.end(full.subarray(0, 3 * MiB));
      });
      let text = '';
      socket.on('data', (d) => { text += d; });
      socket.on('close', () => resolve(text));
      socket.on('error', reject);
      socket.setTimeout(15000, () => socket.destroy(new Error('no answer in 15 s to a half-closed upload')));
    });
    assert.match(answer, /^HTTP\/1\.1 400 /, answer);
    assert.equal(s3ErrorOf(answer).code, 'IncompleteBody', answer);
    assert.match(s3ErrorOf(answer).message, new RegExp(`after ${3 * MiB} of the ${length} bytes.*nothing was stored`), answer);
    await expectNoObject('cut/half-closed.bin', 'a half-closed upload');

    // The server goes on: a small and a large PutObject right after.
    await put('cut/after.txt', 'still here\n');
    await expectObject('cut/after.txt', Buffer.from('still here\n'), 'a small put after the cut uploads');
    const large = full.subarray(0, 17 * MiB);
    assert.equal((await put('cut/after-large.bin', large)).ETag, `"${md5Hex(large)}"`);
    assert.ok(onDisk('cut/after-large.bin').equals(large));
    await expectNoTemporaries('after the cut uploads');
  });

  test('UploadPart of 17 MiB streams in like a PutObject: ETag its MD5; a wrong hash or a missing upload refused, nothing kept; the upload completes', async () => {
    const key = 'multipart/large-parts.bin';
    const body = bytesOfSeed(17 * MiB + 6 * MiB, 'multipart');
    const { UploadId } = await send(new S3.CreateMultipartUploadCommand({ Bucket: LAKE, Key: key }));
    const part = (PartNumber, Body) => send(new S3.UploadPartCommand({ Bucket: LAKE, Key: key, UploadId, PartNumber, Body }));
    const parts = [body.subarray(0, 17 * MiB), body.subarray(17 * MiB)];

    // A part signed for other bytes: XAmzContentSHA256Mismatch, no part kept under its number.
    const other = Buffer.from(parts[0]);
    other[12345] ^= 1;
    const mismatch = await signedRequest({
      pathAndQuery: `/${LAKE}/${key}?partNumber=1&uploadId=${encodeURIComponent(UploadId)}`,
      headers: { 'Content-Length': String(other.length) }, sha256: sha256Hex(parts[0]), body: other,
    });
    assert.equal(mismatch.status, 400, mismatch.text);
    assert.equal(mismatch.code, 'XAmzContentSHA256Mismatch', mismatch.text);
    // A part of an upload that is not there: NoSuchUpload from the header, no "100 Continue".
    const missing = await signedRequest({
      pathAndQuery: `/${LAKE}/${key}?partNumber=1&uploadId=no-such-upload`,
      headers: { 'Content-Length': String(parts[0].length) }, sha256: sha256Hex(parts[0]), body: parts[0],
    });
    assert.equal(missing.status, 404, missing.text);
    assert.equal(missing.code, 'NoSuchUpload', missing.text);
    assert.equal(missing.continued, false, 'the server asked for the body of a part of no upload');
    await rejectsAws(send(new S3.CompleteMultipartUploadCommand({
      Bucket: LAKE, Key: key, UploadId, MultipartUpload: { Parts: [{ PartNumber: 1, ETag: `"${md5Hex(other)}"` }] } })),
    'InvalidPart', 400, undefined, 'completing with the refused part');

    const etags = [];
    for (const [i, p] of parts.entries()) {
      const out = await part(i + 1, p);
      assert.equal(out.ETag, `"${md5Hex(p)}"`, `part ${i + 1}`);
      etags.push({ PartNumber: i + 1, ETag: out.ETag });
    }
    const done = await send(new S3.CompleteMultipartUploadCommand({
      Bucket: LAKE, Key: key, UploadId, MultipartUpload: { Parts: etags } }));
    stored.add(key);
    assert.equal(done.ETag, multipartEtag(parts));
    assert.ok(onDisk(key)?.equals(body), 'the completed upload is not the parts joined');
    assert.equal((await head(key)).ETag, multipartEtag(parts));
  });

  test('refused from the header, before the body: UNSIGNED-PAYLOAD and STREAMING-* signing, a bucket, a POST, a copy, a missing bucket', async () => {
    const body = bytesOfSeed(LIMIT + 1, 'refused');
    const headers = { 'Content-Length': String(body.length) };
    const refused = async (what, request, status, code, message) => {
      const r = await signedRequest({ headers, body, sha256: sha256Hex(body), ...request });
      assert.equal(r.status, status, `${what}: ${r.text}`);
      assert.equal(r.code, code, `${what}: ${r.text}`);
      if (message) assert.match(r.message, message, `${what}: ${r.text}`);
      assert.equal(r.continued, false, `${what}: the server asked for the body ("100 Continue")`);
      return r;
    };
    await refused('UNSIGNED-PAYLOAD', { pathAndQuery: `/${LAKE}/refused/unsigned.bin`, sha256: 'UNSIGNED-PAYLOAD' }, 400,
                  'AuthorizationHeaderMalformed', /x-amz-content-sha256.*UNSIGNED-PAYLOAD/);
    await expectNoObject('refused/unsigned.bin', 'UNSIGNED-PAYLOAD');
    // aws-chunked forms (s3_chunked_uploads.test.js) need the object's length: a raw body
    // without x-amz-decoded-content-length is refused from the header.
    for (const sha256 of ['STREAMING-AWS4-HMAC-SHA256-PAYLOAD', 'STREAMING-UNSIGNED-PAYLOAD-TRAILER']) {
      const key = `refused/${sha256.toLowerCase()}.bin`;
      await refused(sha256, { pathAndQuery: `/${LAKE}/${key}`, sha256 }, 400, 'InvalidRequest',
                    new RegExp(`x-amz-decoded-content-length is required with x-amz-content-sha256 ${sha256}`));
      await expectNoObject(key, sha256);
    }
    // As S3: one PUT holds at most 5 GiB, so that one request (a presigned URL's) cannot fill the disk.
    await refused('a body past 5 GiB', {
      pathAndQuery: `/${LAKE}/refused/huge.bin`, headers: { 'Content-Length': String(5 * 1024 * MiB + 1) },
    }, 400, 'EntityTooLarge', /at most 5368709120 bytes \(5 GiB\)/);
    await expectNoObject('refused/huge.bin', 'a body past 5 GiB');
    await refused('a PUT to a bucket', { pathAndQuery: `/${LAKE}` }, 400, 'EntityTooLarge', /larger than 16 MiB.*takes no such body/);
    await refused('a POST', { method: 'POST', pathAndQuery: `/${LAKE}?delete` }, 400, 'EntityTooLarge', /larger than 16 MiB/);
    await refused('CopyObject with a body', {
      pathAndQuery: `/${LAKE}/refused/copy.bin`,
      headers: { ...headers, 'x-amz-copy-source': `${LAKE}/sdk/readings%2024MiB.bin` },
    }, 400, 'EntityTooLarge', /larger than 16 MiB/);
    await expectNoObject('refused/copy.bin', 'a copy with a large body');
    await refused('a missing bucket', { pathAndQuery: `/${MISSING}/x.bin` }, 404, 'NoSuchBucket', new RegExp(MISSING));
    assert.equal(fs.existsSync(bucketDir(MISSING)), false, 'a refused PUT made the missing bucket\'s directory');
    // Keys the lake cannot hold: refused from the header too.
    for (const key of ['refused/dir/', 'refused/a//b', '.tributary-tmp/x']) {
      await refused(`the key '${key}'`, { pathAndQuery: `/${LAKE}/${key}` }, 400, 'InvalidArgument', /./);
    }
    // A key under an existing object (the local lake keeps objects as files): 409, named
    // in the bucket's terms, never by the server's directories.
    await s3.send(new S3.PutObjectCommand({ Bucket: LAKE, Key: 'refused/plain', Body: 'x' }));
    const under = await signedRequest({ headers, body, sha256: sha256Hex(body), pathAndQuery: `/${LAKE}/refused/plain/child.bin` });
    assert.equal(under.status, 409, under.text);
    assert.equal(under.code, 'InvalidRequest', under.text);
    assert.match(under.message, /refused\/plain.{0,6} is an object/, under.text);
    assert.doesNotMatch(under.text, new RegExp(server.dataDir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')), 'the answer shows the data directory');
    await s3.send(new S3.DeleteObjectCommand({ Bucket: LAKE, Key: 'refused/plain' }));
    // A wrong secret: refused before the body too.
    const forged = aws4.sign({ host: `127.0.0.1:${server.httpPort}`, path: `/${LAKE}/refused/forged.bin`, method: 'PUT',
                               service: 's3', region: 'us-east-1',
                               headers: { 'X-Amz-Content-Sha256': sha256Hex(body), ...headers } },
                             { accessKeyId: 'admin', secretAccessKey: 'not-the-token' });
    const r = await new Promise((resolve, reject) => {
      const req = http.request({ host: '127.0.0.1', port: server.httpPort, method: 'PUT', path: `/${LAKE}/refused/forged.bin`,
                                 headers: { ...forged.headers, Expect: '100-continue' }, agent: false });
      let continued = false;
      req.on('continue', () => { continued = true; req.end(body); });
      req.on('response', (res) => {
        let text = '';
        res.on('data', (c) => { text += c; });
        res.on('end', () => { resolve({ status: res.statusCode, text, continued }); req.destroy(); });
      });
      req.on('error', reject);
    });
    assert.equal(r.status, 403, r.text);
    assert.equal(s3ErrorOf(r.text).code, 'SignatureDoesNotMatch', r.text);
    assert.equal(r.continued, false, 'a forged signature got "100 Continue"');
    await expectNoObject('refused/forged.bin', 'a forged signature');
    await expectNoTemporaries('after the refusals');
  });

  test('a small PutObject as before; a chunked body past 16 MiB without a Content-Length: EntityTooLarge', async () => {
    const small = Buffer.from('{"device":"meter-1","v":1}\n');
    const out = await put('small/readings.jsonl', small, { ContentType: 'application/x-ndjson' });
    assert.equal(out.ETag, `"${md5Hex(small)}"`);
    const h = await expectObject('small/readings.jsonl', small, 'a small PutObject');
    assert.equal(h.ContentType, 'application/x-ndjson');

    // 24 MiB announced by no Content-Length: counted as it comes, refused at the limit.
    const body = bytesOfSeed(24 * MiB, 'chunked');
    const key = 'chunked/big.bin';
    let written = 0;
    // The server answers at the limit, while the client may still be writing: it reads
    // and drops the rest before it closes, so the client gets the answer, not a reset.
    const r = await signedRequest({
      pathAndQuery: `/${LAKE}/${key}`, sha256: sha256Hex(body), expect: false,
      headers: { 'Transfer-Encoding': 'chunked' },
      body: (req, answered) => {
        const more = () => {
          while (written < body.length && !answered()) {
            const piece = body.subarray(written, written + MiB);
            written += piece.length;
            if (!req.write(piece)) return req.once('drain', more);
          }
          if (!answered()) req.end();
        };
        more();
      },
    });
    assert.equal(r.status, 400, r.text);
    assert.equal(r.code, 'EntityTooLarge', r.text);
    assert.match(r.message, /larger than 16777216 bytes and comes without a Content-Length/);
    assert.ok(written > LIMIT, `refused after only ${written} bytes were written`);
    await expectNoObject(key, 'a chunked body past the limit');
    // A chunked body under the limit is still taken.
    const under = bytesOfSeed(2 * MiB, 'chunked small');
    const ok = await signedRequest({
      pathAndQuery: `/${LAKE}/chunked/small.bin`, sha256: sha256Hex(under), expect: false,
      headers: { 'Transfer-Encoding': 'chunked' },
      body: (req) => { req.write(under.subarray(0, MiB)); req.end(under.subarray(MiB)); },
    });
    assert.equal(ok.status, 200, ok.text);
    assert.equal(ok.headers.etag, `"${md5Hex(under)}"`);
    stored.add('chunked/small.bin');
    await expectObject('chunked/small.bin', under, 'a small chunked PUT');
    await expectNoTemporaries('at the end');
  });
});
