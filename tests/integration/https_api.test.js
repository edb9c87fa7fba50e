// The HTTP API over TLS (`--https-port`, on by default at 8444; the harness asks for a free
// port): the server's own certificate (the one its MQTT TLS listener shows, issued by
// <data-dir>/pki/ca.crt for localhost and 127.0.0.1) verified by Node's TLS client, and
// refused without that CA; the same API as on the plain port behind it: /healthz, a token
// call and its 401, the console's page, and the AWS SDK's S3 client over https:// (its
// streamed PutObject is aws-chunked with a CRC32 trailer, as every SDK sends over TLS),
// read back byte for byte; the CLI (`--endpoint https://...`, the CA found in the data
// directory or given with --ca-file, refused under another CA). A client that speaks plain
// HTTP to the TLS port loses only its own connection; `--https-port -1` opens no listener
// and server.json says -1. Plain HTTP listens on 127.0.0.1 whatever `--bind` says (the
// token and the bodies are not encrypted there), HTTPS on `--bind`'s address; `--http-bind`
// moves plain HTTP, server.json's endpoint (what the CLI calls) follows it, and a host name
// is refused naming the setting. `--http-idle-timeout-s` closes a stalled header or body on
// both listeners after its seconds. Other loopback addresses (127.0.0.2, .3) stand in for the
// machine's other interfaces.
'use strict';

const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const fs = require('node:fs');
const http = require('node:http');
const https = require('node:https');
const path = require('node:path');
const { Readable } = require('node:stream');
const S3 = require('@aws-sdk/client-s3');
const { NodeHttpHandler } = require('@smithy/node-http-handler');
const { Server, BIN, run, describeRun, makeTempDir, startRefused } = require('./harness');

// GET/PUT over https; resolves {status, headers, body}. `ca` null: the system's CAs only.
function httpsRequest(server, pathname, { method = 'GET', headers = {}, body, ca = server.ca, servername,
                                          host = '127.0.0.1' } = {}) {
  return new Promise((resolve, reject) => {
    const req = https.request({ host, port: server.httpsPort, path: pathname, method, headers,
                                ca: ca || undefined, servername, timeout: 10000 }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks).toString() }));
    });
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', reject);
    req.end(body);
  });
}

describe('the HTTP API over HTTPS', { timeout: 120000 }, () => {
  let server;
  before(async () => { server = await Server.start({ tag: 'https-api' }); });
  after(async () => { if (server) await server.stop(); });

  test('the server certificate is verified against the data directory\'s CA, and refused without it', async () => {
    assert.ok(server.httpsPort > 0, `server.json https_port: ${JSON.stringify(server.info)}`);
    assert.notEqual(server.httpsPort, server.httpPort);
    for (const servername of ['localhost', undefined]) {  // the SANs: localhost and 127.0.0.1
      const r = await httpsRequest(server, '/healthz', { servername });
      assert.equal(r.status, 200, r.body);
    }
    await assert.rejects(httpsRequest(server, '/healthz', { ca: null }),
                         (e) => /self[- ]signed|unable to (verify|get)|certificate/i.test(`${e.code} ${e.message}`));
    // The system info names both ports.
    const info = await httpsRequest(server, '/v1/broker', { headers: { Authorization: `Bearer ${server.token}` } });
    assert.equal(info.status, 200, info.body);
    const listeners = JSON.parse(info.body).listeners;
    assert.equal(listeners.https_port, server.httpsPort);
    assert.equal(listeners.http_port, server.httpPort);
    // And the deployment's server list (the console's Servers page) records it.
    const servers = await httpsRequest(server, '/v1/servers', { headers: { Authorization: `Bearer ${server.token}` } });
    assert.equal(servers.status, 200, servers.body);
    assert.equal(JSON.parse(servers.body).servers[0].listeners.https_port, server.httpsPort, servers.body);
  });

  test('the same API: a token call, its refusal without the token, the console', async () => {
    const things = await httpsRequest(server, '/v1/things', { headers: { Authorization: `Bearer ${server.token}` } });
    assert.equal(things.status, 200, things.body);
    assert.ok(Array.isArray(JSON.parse(things.body).things), things.body);
    const refused = await httpsRequest(server, '/v1/things');
    assert.equal(refused.status, 401, refused.body);
    assert.match(JSON.parse(refused.body).error.message, /missing or wrong token/);
    const consolePage = await httpsRequest(server, '/console/');
    assert.equal(consolePage.status, 200);
    assert.match(consolePage.body, /<html/i);
  });

  test('the AWS SDK\'s S3 client over https://: a streamed PutObject (aws-chunked) and a Buffer one, read back', async () => {
    const sent = [];
    const client = new S3.S3Client({
      endpoint: `https://127.0.0.1:${server.httpsPort}`, region: 'us-east-1', forcePathStyle: true, maxAttempts: 1,
      credentials: { accessKeyId: 'admin', secretAccessKey: server.token },
      requestHandler: new NodeHttpHandler({ httpsAgent: new https.Agent({ ca: server.ca }) }),
    });
    client.middlewareStack.add((next) => async (args) => {
      sent.push({ ...args.request.headers });
      return next(args);
    }, { step: 'finalizeRequest', name: 'recordHeaders' });
    try {
      await client.send(new S3.CreateBucketCommand({ Bucket: 'secure' }));
      const dir = makeTempDir('https-api-files');
      const file = path.join(dir, 'readings.bin');
      const bytes = crypto.randomBytes(3 * 1024 * 1024 + 11);
      fs.writeFileSync(file, bytes);
      sent.length = 0;
      await client.send(new S3.PutObjectCommand({ Bucket: 'secure', Key: 'streamed.bin', Body: fs.createReadStream(file),
                                                  ContentLength: bytes.length }));
      assert.equal(sent[0]['x-amz-content-sha256'], 'STREAMING-UNSIGNED-PAYLOAD-TRAILER', JSON.stringify(sent[0]));
      assert.equal(sent[0]['x-amz-trailer'], 'x-amz-checksum-crc32');
      const small = Buffer.from('{"ozone":4}\n');
      await client.send(new S3.PutObjectCommand({ Bucket: 'secure', Key: 'small.json', Body: small }));
      for (const [key, want] of [['streamed.bin', bytes], ['small.json', small]]) {
        const got = await client.send(new S3.GetObjectCommand({ Bucket: 'secure', Key: key }));
        const body = Buffer.from(await got.Body.transformToByteArray());
        assert.equal(body.length, want.length, key);
        assert.ok(body.equals(want), `${key}: the bytes read back over https differ`);
      }
      // The same objects on disk, as through the plain port.
      assert.ok(fs.readFileSync(path.join(server.dataDir, 'lake', 'secure', 'streamed.bin')).equals(bytes));
    } finally {
      client.destroy();
    }
  });

  test('the CLI over https://, the certificate checked against <data-dir>/pki/ca.crt or --ca-file', async () => {
    const cwd = makeTempDir('https-cli');  // where `thing create` writes the connection kit
    for (const host of ['127.0.0.1', 'localhost']) {
      const r = await run(BIN, ['thing', 'create', `secure-${host.replace(/\./g, '-')}`, '--endpoint',
                                `https://${host}:${server.httpsPort}`, '--data-dir', server.dataDir, '--json'],
                          { timeoutMs: 15000, cwd });
      assert.equal(r.code, 0, describeRun(`thing create over https://${host}`, r));
      assert.ok(fs.existsSync(path.join(cwd, `secure-${host.replace(/\./g, '-')}-kit`, 'device.crt')), 'the kit was written');
    }
    const listed = await run(BIN, ['thing', 'list', '--endpoint', `https://127.0.0.1:${server.httpsPort}`,
                                   '--token', server.token, '--ca-file', server.caPath, '--json'], { timeoutMs: 15000 });
    assert.equal(listed.code, 0, describeRun('thing list with --ca-file', listed));
    assert.match(listed.stdout, /secure-localhost/);
    // Another CA: the server is not trusted, and nothing is sent.
    const other = makeTempDir('https-other-ca');
    const made = await run('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
                                       '-keyout', path.join(other, 'ca.key'), '-out', path.join(other, 'ca.crt'),
                                       '-days', '1', '-subj', '/CN=other-ca'], { timeoutMs: 15000 });
    assert.equal(made.code, 0, describeRun('openssl', made));
    const refused = await run(BIN, ['thing', 'create', 'never-made', '--endpoint', `https://127.0.0.1:${server.httpsPort}`,
                                    '--token', server.token, '--ca-file', path.join(other, 'ca.crt')], { timeoutMs: 15000, cwd });
    assert.notEqual(refused.code, 0);
    assert.match(refused.stderr, /TLS with the Tributary server at 127\.0\.0\.1:\d+ failed/);
    const things = await httpsRequest(server, '/v1/things', { headers: { Authorization: `Bearer ${server.token}` } });
    assert.doesNotMatch(things.body, /never-made/);
  });

  test('plain HTTP to the TLS port loses only its own connection', async () => {
    const outcome = await new Promise((resolve) => {
      const req = http.request({ host: '127.0.0.1', port: server.httpsPort, path: '/healthz', timeout: 10000 }, (res) => {
        resolve(`answered ${res.statusCode}`);
        res.resume();
      });
      req.on('timeout', () => { req.destroy(); resolve('timed out'); });
      req.on('error', (e) => resolve(`error ${e.code}`));
      req.end();
    });
    assert.match(outcome, /^error (ECONNRESET|EPIPE|HPE_)/, outcome);
    const r = await httpsRequest(server, '/healthz');
    assert.equal(r.status, 200);
  });

  test('--https-port -1: no TLS listener, and server.json says so', async () => {
    const off = await Server.start({ tag: 'https-off', args: ['--https-port', '-1'] });
    try {
      assert.equal(off.httpsPort, -1, JSON.stringify(off.info));
      const health = await new Promise((resolve, reject) => {
        http.get({ host: '127.0.0.1', port: off.httpPort, path: '/healthz' }, (res) => { res.resume(); resolve(res.statusCode); })
          .on('error', reject);
      });
      assert.equal(health, 200);
    } finally {
      await off.stop();
    }
  });

  // Writes `bytes` on a fresh connection (`tls`: over TLS with the server's CA) and waits
  // for the server to close it: resolves the seconds that took, or 'still open' past 15 s.
  function secondsUntilClosed(srv, bytes, { tls = false } = {}) {
    return new Promise((resolve) => {
      const started = Date.now();
      const socket = tls
        ? require('node:tls').connect({ host: '127.0.0.1', port: srv.httpsPort, ca: srv.ca, servername: 'localhost' },
                                      () => socket.write(bytes))
        : require('node:net').connect({ host: '127.0.0.1', port: srv.httpPort }, () => socket.write(bytes));
      const timer = setTimeout(() => { socket.destroy(); resolve('still open'); }, 15000);
      socket.on('data', () => {});
      socket.on('error', () => {});
      socket.on('close', () => { clearTimeout(timer); resolve((Date.now() - started) / 1000); });
    });
  }

  test('--http-idle-timeout-s: a stalled header or body is closed after it, on both listeners', async () => {
    const quick = await Server.start({ tag: 'http-idle', args: ['--http-idle-timeout-s', '2'] });
    try {
      const [header, body] = await Promise.all([
        secondsUntilClosed(quick, 'GET /healthz HTTP/1.1\r\nHost: x\r\n'),
        secondsUntilClosed(quick, `PUT /v1/lake/buckets/b/object?key=k HTTP/1.1\r\nHost: x\r\n` +
                                  `Authorization: Bearer ${quick.token}\r\nContent-Length: 10\r\n\r\n12345`,
                           { tls: true }),
      ]);
      for (const [what, s] of [['the header', header], ['the body', body]]) {
        assert.ok(typeof s === 'number' && s >= 1.5 && s < 10, `${what}: closed after ${s} s, not about 2`);
      }
      // A request that comes whole is answered as ever.
      const r = await httpsRequest(quick, '/healthz');
      assert.equal(r.status, 200);
    } finally {
      await quick.stop();
    }
    const refused = await startRefused(['--http-idle-timeout-s', '0'], { tag: 'http-idle-0' });
    assert.equal(refused.code, 2, describeRun('server --http-idle-timeout-s 0', refused));
    assert.match(refused.stderr, /--http-idle-timeout-s: 0 is not in 1\.\.3600/);
  });

  // GET /healthz over plain HTTP at host:port: the status, or the connection error's code.
  function plainHealth(host, port) {
    return new Promise((resolve) => {
      const req = http.get({ host, port, path: '/healthz', timeout: 5000 }, (res) => { res.resume(); resolve(res.statusCode); });
      req.on('timeout', () => { req.destroy(); resolve('timed out'); });
      req.on('error', (e) => resolve(e.code));
    });
  }

  // The IPv4 addresses the process `pid` listens on, by port, from /proc: its socket
  // inodes matched to /proc/<pid>/net/tcp's LISTEN entries. (Connecting to the same port
  // at another address proves nothing: another test's server may hold it there.)
  function listeningAddresses(pid) {
    const inodes = new Set();
    for (const fd of fs.readdirSync(`/proc/${pid}/fd`)) {
      try {
        const m = /^socket:\[(\d+)\]$/.exec(fs.readlinkSync(`/proc/${pid}/fd/${fd}`));
        if (m) inodes.add(m[1]);
      } catch (_) { /* closed meanwhile */ }
    }
    const out = {};
    for (const line of fs.readFileSync(`/proc/${pid}/net/tcp`, 'utf8').split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f.length < 10 || f[3] !== '0A' || !inodes.has(f[9])) continue;
      const [hexAddress, hexPort] = f[1].split(':');
      const address = [3, 2, 1, 0].map((i) => parseInt(hexAddress.substr(i * 2, 2), 16)).join('.');
      (out[parseInt(hexPort, 16)] ||= []).push(address);
    }
    return out;
  }

  test('plain HTTP stays on loopback while --bind moves HTTPS and MQTT; --http-bind moves it', async () => {
    const wide = await Server.start({ tag: 'http-bind', args: ['--bind', '127.0.0.2'] });
    try {
      const at = listeningAddresses(wide.info.pid);
      assert.deepEqual(at[wide.httpPort], ['127.0.0.1'], JSON.stringify(at));
      assert.deepEqual(at[wide.httpsPort], ['127.0.0.2'], JSON.stringify(at));
      assert.deepEqual(at[wide.tlsPort], ['127.0.0.2'], 'the MQTT TLS listener follows --bind');
      assert.equal(await plainHealth('127.0.0.1', wide.httpPort), 200);
      const tls = await httpsRequest(wide, '/healthz', { host: '127.0.0.2', servername: 'localhost' });
      assert.equal(tls.status, 200, tls.body);
      assert.equal(wide.info.endpoint, `http://127.0.0.1:${wide.httpPort}`);
    } finally {
      await wide.stop();
    }

    const moved = await Server.start({ tag: 'http-bind-moved', args: ['--http-bind', '127.0.0.3'] });
    try {
      const at = listeningAddresses(moved.info.pid);
      assert.deepEqual(at[moved.httpPort], ['127.0.0.3'], JSON.stringify(at));
      assert.equal(await plainHealth('127.0.0.3', moved.httpPort), 200);
      assert.equal(moved.info.endpoint, `http://127.0.0.3:${moved.httpPort}`);
      // The CLI finds the server through server.json's endpoint.
      const listed = await run(BIN, ['thing', 'list', '--data-dir', moved.dataDir], { timeoutMs: 15000 });
      assert.equal(listed.code, 0, describeRun('thing list', listed));
    } finally {
      await moved.stop();
    }

    const refused = await startRefused(['--http-bind', 'localhost']);
    assert.notEqual(refused.code, 0, describeRun('server --http-bind localhost', refused));
    assert.match(refused.stderr, /--http-bind \(http_bind_address\) must be an IP address .*got 'localhost'/);
  });
});

