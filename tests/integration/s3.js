// A real S3-compatible server for integration tests: s3rver (npm), started by
// tests/objstore/s3rver_launcher.js (which also checks every SigV4 signature with the
// `aws4` package), and SigV4-signed requests to it.
'use strict';

const assert = require('node:assert/strict');
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

module.exports = { startS3, s3Request, listKeys, getObject, objectPath, tributaryS3 };
