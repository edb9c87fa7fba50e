// A real S3-compatible server for integration tests: s3rver (npm), started by
// tests/objstore/s3rver_launcher.js (which also checks every SigV4 signature with the
// `aws4` package), and SigV4-signed requests to it.
'use strict';

const assert = require('node:assert/strict');
const crypto = require('node:crypto');
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

module.exports = {
  startS3, s3Request, listKeys, getObject, objectPath, tributaryS3,
  md5, md5Hex, sha256Hex, multipartEtag, bytesOfSeed, s3ErrorOf,
};
