#!/usr/bin/env node
// Starts s3rver (npm "s3rver", a fake S3 on the local filesystem) for tests that need a
// real S3-compatible server, and prints one JSON line to stdout once it listens:
//   {"port":43125,"accessKeyId":"S3RVER","secretAccessKey":"S3RVER","region":"us-east-1"}
// It exits when its stdin closes, so a test that dies takes the server with it.
//
//   NODE_PATH=tests/node_modules node tests/objstore/s3rver_launcher.js \
//       --dir /tmp/x --bucket iot-data [--bucket other] [--port 0] [--no-verify]
//       [--tls-cert cert.pem --tls-key key.pem]   (serve https instead of http)
//
// s3rver 3.7.1 checks that the access key exists (its only account is S3RVER/S3RVER)
// but does not check SigV4 signatures ("V4 signatures have incomplete support" in its
// authentication middleware). So that a wrong secret or a signing bug fails here as it
// would on AWS, every signed request is first re-signed with the independent `aws4`
// package over the headers the client says it signed; a mismatch is answered with
// S3's 403 SignatureDoesNotMatch. --no-verify turns that off.
//
// Two more gaps of s3rver 3.7.1 on Node 20 are filled here:
//  - its ListObjectsV2 continuation tokens use DES, which OpenSSL 3 only offers in the
//    legacy provider: the launcher re-runs itself with --openssl-legacy-provider;
//  - it has no AbortMultipartUpload (405): the launcher answers DELETE ?uploadId=...
//    itself by removing the upload from s3rver's store (204, or 404 NoSuchUpload).
'use strict';

const crypto = require('crypto');
const fs = require('fs');
const http = require('http');
const https = require('https');
const path = require('path');
const { spawn } = require('child_process');
const S3rver = require('s3rver');
const aws4 = require('aws4');

const ACCESS_KEY = 'S3RVER';
const SECRET_KEY = 'S3RVER';

function parseArgs(argv) {
  const args = { dir: null, buckets: [], port: 0, verify: true, tlsCert: null, tlsKey: null };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--dir') args.dir = argv[++i];
    else if (a === '--bucket') args.buckets.push(argv[++i]);
    else if (a === '--port') args.port = Number(argv[++i]);
    else if (a === '--no-verify') args.verify = false;
    else if (a === '--tls-cert') args.tlsCert = argv[++i];
    else if (a === '--tls-key') args.tlsKey = argv[++i];
    else throw new Error(`unknown argument '${a}'`);
  }
  if (!args.dir) throw new Error('--dir is required');
  return args;
}

function s3Error(res, status, code, message) {
  res.writeHead(status, { 'content-type': 'application/xml' });
  res.end(`<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code>` +
          `<Message>${message}</Message></Error>`);
}

// Returns null when the request is unsigned, not ours to judge, or correctly signed;
// otherwise a reason for the 403.
function checkSignature(req) {
  const auth = req.headers['authorization'];
  if (!auth || !auth.startsWith('AWS4-HMAC-SHA256 ')) return null;
  const fields = {};
  for (const part of auth.slice('AWS4-HMAC-SHA256 '.length).split(',')) {
    const eq = part.indexOf('=');
    fields[part.slice(0, eq).trim()] = part.slice(eq + 1).trim();
  }
  const [accessKeyId, , region, service] = (fields.Credential || '').split('/');
  if (accessKeyId !== ACCESS_KEY) return null;  // s3rver answers InvalidAccessKeyId itself
  const signedHeaders = (fields.SignedHeaders || '').split(';');
  const headers = {};
  const include = {};
  for (const name of signedHeaders) {
    if (req.headers[name] === undefined) return `signed header '${name}' is missing`;
    headers[name] = req.headers[name];
    include[name] = true;
  }
  const signer = new aws4.RequestSigner({
    method: req.method,
    path: req.url,
    headers,
    service,
    region,
    doNotModifyHeaders: true,
    extraHeadersToInclude: include,
  }, { accessKeyId, secretAccessKey: SECRET_KEY });
  signer.datetime = headers['x-amz-date'];
  const expected = signer.signature();
  if (expected === fields.Signature) return null;
  return 'The request signature we calculated does not match the signature you provided. ' +
         'Check your key and signing method.';
}

function desAvailable() {
  try {
    crypto.createCipheriv('des', Buffer.alloc(8), Buffer.alloc(8));
    return true;
  } catch (err) {
    return false;
  }
}

// The bucket a request addresses: the Host's first label for virtual-host requests to
// <bucket>.s3.amazonaws.com (what s3rver recognises), else the first path segment.
function bucketOf(req) {
  const host = (req.headers.host || '').replace(/:\d+$/, '');
  const vhost = /^(.+)\.s3(?:[-.][^.]+)?\.amazonaws\.com$/.exec(host);
  if (vhost) return vhost[1];
  return decodeURIComponent(new URL(req.url, 'http://x').pathname.split('/')[1] || '');
}

function abortMultipartUpload(store, req, res) {
  const uploadId = new URL(req.url, 'http://x').searchParams.get('uploadId');
  const dir = path.join(store.getResourcePath(bucketOf(req), undefined, 'uploads'), uploadId);
  if (!/^[0-9a-f]+$/.test(uploadId) || !fs.existsSync(dir)) {
    return s3Error(res, 404, 'NoSuchUpload', 'The specified upload does not exist.');
  }
  fs.rmSync(dir, { recursive: true, force: true });
  res.writeHead(204);
  res.end();
}

async function main() {
  if (!desAvailable() && !process.execArgv.includes('--openssl-legacy-provider')) {
    const child = spawn(process.execPath,
      ['--openssl-legacy-provider', __filename, ...process.argv.slice(2)],
      { stdio: 'inherit' });
    child.on('exit', code => process.exit(code === null ? 1 : code));
    return;
  }
  const args = parseArgs(process.argv.slice(2));
  const s3rver = new S3rver({
    directory: args.dir,
    silent: true,
    configureBuckets: args.buckets.map(name => ({ name })),
  });
  await s3rver.configureBuckets();
  const handle = s3rver.callback();
  const tls = args.tlsCert && args.tlsKey
    ? { cert: fs.readFileSync(args.tlsCert), key: fs.readFileSync(args.tlsKey) }
    : null;
  const listener = (req, res) => {
    const mismatch = args.verify ? checkSignature(req) : null;
    if (mismatch) return s3Error(res, 403, 'SignatureDoesNotMatch', mismatch);
    if (req.method === 'DELETE' && /[?&]uploadId=/.test(req.url)) {
      return abortMultipartUpload(s3rver.store, req, res);
    }
    handle(req, res);
  };
  const server = tls ? https.createServer(tls, listener) : http.createServer(listener);
  server.listen(args.port, '127.0.0.1', () => {
    process.stdout.write(JSON.stringify({
      port: server.address().port,
      accessKeyId: ACCESS_KEY,
      secretAccessKey: SECRET_KEY,
      region: 'us-east-1',
    }) + '\n');
  });
  process.stdin.on('end', () => process.exit(0));
  process.stdin.on('close', () => process.exit(0));
  process.stdin.resume();
}

main().catch(err => {
  process.stderr.write(`s3rver_launcher: ${err.stack || err}\n`);
  process.exit(1);
});
