// A real S3-compatible server for integration tests: s3rver (npm), started by
// tests/objstore/s3rver_launcher.js (which also checks every SigV4 signature with the
// `aws4` package), and SigV4-signed requests to it. And what the tests of Tributary's own
// S3 API share: its SDK client, hashes and ETags, seeded bytes, S3's XML errors, and the
// checks of a lake bucket's objects.
'use strict';

const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const fs = require('node:fs');
const http = require('node:http');
const path = require('node:path');
const readline = require('node:readline');
const aws4 = require('aws4');
const { makeTempDir, spawnTracked, withTimeout } = require('./harness');

const LAUNCHER = path.resolve(__dirname, '../objstore/s3rver_launcher.js');

// Starts s3rver with `buckets`; resolves {child, port, accessKeyId, secretAccessKey, region}.
// Close child.stdin to stop it.
async function startS3(buckets) {
  const dir = makeTempDir('s3rver');
  const child = spawnTracked(process.execPath, [LAUNCHER, '--dir', dir, ...buckets.flatMap((b) => ['--bucket', b])],
                             { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => { stderr += d; });
  const lines = readline.createInterface({ input: child.stdout });
  const first = await withTimeout(new Promise((resolve) => lines.once('line', resolve)), 20000,
                                  `s3rver to print its port (${stderr})`);
  return { child, ...JSON.parse(first) };
}

// A SigV4-signed request to the S3 server; resolves {status, body (text), data (Buffer)}.
function s3Request(s3, pathAndQuery, { method = 'GET', body } = {}) {
  const opts = aws4.sign({ host: `127.0.0.1:${s3.port}`, path: pathAndQuery, service: 's3', region: s3.region,
                           method, body }, { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey });
  opts.port = s3.port;
  opts.hostname = '127.0.0.1';
  return new Promise((resolve, reject) => {
    const req = http.request(opts, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        const data = Buffer.concat(chunks);
        resolve({ status: res.statusCode, body: data.toString('utf8'), data });
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}

function objectPath(bucket, key) {
  return `/${bucket}/${key.split('/').map(encodeURIComponent).join('/')}`;
}

// Every key of the bucket under `prefix` (ListObjectsV2, all pages).
async function listKeys(s3, bucket, prefix = '') {
  const keys = [];
  let token = null;
  for (;;) {
    let q = `/${bucket}?list-type=2&prefix=${encodeURIComponent(prefix)}`;
    if (token) q += `&continuation-token=${encodeURIComponent(token)}`;
    const r = await s3Request(s3, q);
    assert.equal(r.status, 200, r.body);
    keys.push(...[...r.body.matchAll(/<Key>([^<]*)<\/Key>/g)].map((m) => m[1]));
    const next = r.body.match(/<NextContinuationToken>([^<]*)<\/NextContinuationToken>/);
    if (!next) return keys;
    token = next[1];
  }
}

// The bytes of one object (asserts a 200).
async function getObject(s3, bucket, key) {
  const r = await s3Request(s3, objectPath(bucket, key));
  assert.equal(r.status, 200, `GET ${bucket}/${key}: ${r.body}`);
  return r.data;
}

// The AWS SDK's S3 client for Tributary's own S3 API: path-style, no retries, SigV4 with
// access key id 'admin' and the admin token as the secret unless `credentials` say
// otherwise.
function tributaryS3(server, credentials = { accessKeyId: 'admin', secretAccessKey: server.token }) {
  const S3 = require('@aws-sdk/client-s3');
  return new S3.S3Client({ endpoint: server.endpoint, region: 'us-east-1', forcePathStyle: true, maxAttempts: 1, credentials });
}

// What the S3 API tests check answers with: MD5s (the ETags), S3's multipart ETag (the
// MD5 of the parts' MD5s, "-<parts>"), SHA-256 (x-amz-content-sha256).
const md5 = (bytes) => crypto.createHash('md5').update(bytes);
const md5Hex = (bytes) => md5(bytes).digest('hex');
const sha256Hex = (bytes) => crypto.createHash('sha256').update(bytes).digest('hex');
const multipartEtag = (parts) =>
  `"${md5Hex(Buffer.concat(parts.map((p) => md5(p).digest())))}-${parts.length}"`;
// `size` pseudo-random bytes, the same for the same seed (AES-128-CTR's key stream).
function bytesOfSeed(size, seed) {
  const key = crypto.createHash('sha256').update(`s3 test bytes ${seed}`).digest().subarray(0, 16);
  const cipher = crypto.createCipheriv('aes-128-ctr', key, Buffer.alloc(16));
  return Buffer.concat([cipher.update(Buffer.alloc(size)), cipher.final()]);
}
// S3's XML error body: {code, message} (the message's XML entities decoded).
const s3ErrorOf = (text) => ({
  code: /<Code>([^<]*)<\/Code>/.exec(text)?.[1],
  message: /<Message>([^<]*)<\/Message>/.exec(text)?.[1]
    ?.replace(/&apos;/g, "'").replace(/&quot;/g, '"').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&'),
});

// Sends a request (its headers signed already) over a connection of its own to
// 127.0.0.1:`port`, the body after the server's "100 Continue" (or at once with `expect`
// false; or after `fallbackMs` without one, when given). `body`: a Buffer, or a function
// (req, answered) that writes it. Resolves {status, headers, text, continued, code,
// message} once the answer is in; the server closing on a body it did not read after
// answering is no failure.
function requestWithContinue(port, { method = 'PUT', pathAndQuery, headers, body, expect = true, fallbackMs,
                                     timeoutMs = 30000 }) {
  return new Promise((resolve, reject) => {
    let continued = false;
    let answered = false;
    let sent = false;
    const req = http.request({ host: '127.0.0.1', port, method, path: pathAndQuery,
                               headers: expect ? { ...headers, Expect: '100-continue' } : headers, agent: false });
    const sendBody = () => {
      if (sent || answered) return;
      sent = true;
      if (typeof body === 'function') body(req, () => answered);
      else req.end(body);
    };
    const fallback = fallbackMs === undefined ? null : setTimeout(sendBody, fallbackMs);
    req.setTimeout(timeoutMs, () => req.destroy(new Error(`${method} ${pathAndQuery}: no answer in ${timeoutMs} ms`)));
    req.on('continue', () => { continued = true; sendBody(); });
    req.on('response', (res) => {
      answered = true;
      clearTimeout(fallback);
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString();
        resolve({ status: res.statusCode, headers: res.headers, text, continued, ...s3ErrorOf(text) });
        req.destroy();
      });
      res.on('error', () => {});
    });
    req.on('error', (e) => { clearTimeout(fallback); if (!answered) reject(e); });
    if (!expect) sendBody();
  });
}

// Checks of one bucket of a Tributary server's local lake, through the SDK (`send` sends
// a command) and on disk (<data-dir>/lake/<bucket>/): the S3 write tests' assertions.
// `serverOf()` gives the harness Server (it may be started after this is called).
function lakeBucketChecks(serverOf, bucket, send) {
  const S3 = require('@aws-sdk/client-s3');
  const { rejectsAws } = require('./aws');
  const fileOf = (key) => path.join(serverOf().dataDir, 'lake', bucket, ...key.split('/'));
  const onDisk = (key) => (fs.existsSync(fileOf(key)) ? fs.readFileSync(fileOf(key)) : null);
  const head = (Key) => send(new S3.HeadObjectCommand({ Bucket: bucket, Key }));
  // SHA-256 and length of a GetObject's body, read as it streams.
  const getHash = async (Key) => {
    const out = await send(new S3.GetObjectCommand({ Bucket: bucket, Key }));
    const hash = crypto.createHash('sha256');
    let n = 0;
    for await (const chunk of out.Body) { hash.update(chunk); n += chunk.length; }
    return { out, n, sha256: hash.digest('hex') };
  };
  const listedKeys = async () => {
    const keys = [];
    let ContinuationToken;
    do {
      const page = await send(new S3.ListObjectsV2Command({ Bucket: bucket, ContinuationToken }));
      keys.push(...(page.Contents || []).map((o) => o.Key));
      ContinuationToken = page.NextContinuationToken;
    } while (ContinuationToken);
    return keys;
  };
  const tempFiles = () => {
    const dir = path.join(serverOf().dataDir, 'lake', bucket, '.tributary-tmp');
    return fs.existsSync(dir) ? fs.readdirSync(dir) : [];
  };
  // Asserts that `key` holds exactly `body` (an MD5 ETag unless `etag` says otherwise): on
  // disk, by HeadObject and by GetObject, neither giving aws-chunked as its encoding.
  // Returns HeadObject's answer.
  const expectObject = async (key, body, what, etag = `"${md5Hex(body)}"`) => {
    const disk = onDisk(key);
    assert.ok(disk, `${what}: no file ${fileOf(key)}\n${serverOf().tail(20)}`);
    assert.equal(disk.length, body.length, `${what}: ${disk.length} bytes on disk, ${body.length} put`);
    assert.ok(disk.equals(body), `${what}: the file on disk is not the bytes put`);
    const h = await head(key);
    assert.equal(h.ContentLength, body.length, `${what}: HeadObject's ContentLength`);
    assert.equal(h.ETag, etag, `${what}: HeadObject's ETag`);
    assert.doesNotMatch(h.ContentEncoding ?? '', /aws-chunked/, `${what}: HeadObject's ContentEncoding`);
    const got = await getHash(key);
    assert.equal(got.n, body.length, `${what}: GetObject's length`);
    assert.equal(got.sha256, sha256Hex(body), `${what}: GetObject is not the bytes put`);
    assert.equal(got.out.ETag, etag, `${what}: GetObject's ETag`);
    assert.doesNotMatch(got.out.ContentEncoding ?? '', /aws-chunked/, `${what}: GetObject's ContentEncoding`);
    return h;
  };
  const expectNoObject = async (key, what) => {
    await rejectsAws(head(key), 'NotFound', 404, undefined, `${what}: HeadObject`);
    assert.equal(onDisk(key), null, `${what}: a file ${fileOf(key)} was written`);
  };
  return { fileOf, onDisk, head, getHash, listedKeys, tempFiles, expectObject, expectNoObject };
}

module.exports = {
  startS3, s3Request, listKeys, getObject, objectPath, tributaryS3,
  md5, md5Hex, sha256Hex, multipartEtag, bytesOfSeed, s3ErrorOf, lakeBucketChecks, requestWithContinue,
};
