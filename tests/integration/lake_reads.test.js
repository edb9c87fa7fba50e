// Reading an object through /v1/lake and `tributary lake cat` never mixes two versions of
// it. GET /v1/lake/buckets/{b}/object answers the object's ETag (header ETag, quoted, the
// one the listing gives), takes If-Match (the ETag, quoted or not, a list, or *) and
// answers 412 failed_precondition when the object is another; `lake cat` reads an object
// larger than one piece (4 MiB) in pieces, sends the first piece's ETag with the others,
// and fails with "object changed while reading" when one is refused for it. The CLI half
// runs against a stand-in for the API that replaces the object after the first piece.
'use strict';

const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const http = require('node:http');
const path = require('node:path');
const { BIN, Server, run, describeRun } = require('./harness');

const PIECE = 4 * 1024 * 1024;

// A GET of the lake API, with `headers` besides the token.
const get = (server, urlPath, headers = {}) =>
  server.api('GET', urlPath, undefined, { headers });

describe('lake object reads', { timeout: 60000 }, () => {
  let server;
  const objectPath = (key) => `/v1/lake/buckets/reads/object?key=${encodeURIComponent(key)}`;

  before(async () => {
    server = await Server.start({ tag: 'lake-reads' });
    const dir = path.join(server.dataDir, 'lake', 'reads', 'a');
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, 'b.json'), '{"v": 1}\n');
  });
  after(async () => { if (server) await server.stop(); });

  test('a read answers the object\'s ETag, the one the listing gives', async () => {
    const listing = await get(server, '/v1/lake/buckets/reads/objects?prefix=a/');
    assert.equal(listing.status, 200, listing.text);
    const { etag } = listing.json.objects[0];
    const r = await get(server, objectPath('a/b.json'));
    assert.equal(r.status, 200, r.text);
    assert.equal(r.text, '{"v": 1}\n');
    assert.equal(r.headers.etag, `"${etag}"`);
  });

  test('If-Match: the object it names is read, another is 412 failed_precondition', async () => {
    const { etag } = (await get(server, objectPath('a/b.json'))).headers;
    for (const ifMatch of [etag, etag.slice(1, -1), `"nope", ${etag}`, '*']) {
      const r = await get(server, `${objectPath('a/b.json')}&offset=2&length=3`, { 'If-Match': ifMatch });
      assert.equal(r.status, 200, `${ifMatch}: ${r.text}`);
      assert.equal(r.text, 'v":');
    }
    const refused = await get(server, objectPath('a/b.json'), { 'If-Match': '"0123-4567"' });
    assert.equal(refused.status, 412, refused.text);
    assert.equal(refused.json.error.code, 'failed_precondition');
    assert.match(refused.json.error.message, /a\/b\.json/);
    assert.match(refused.json.error.message, /0123-4567/);
    assert.equal(refused.headers.etag, etag);
  });
});

// A stand-in for the API: an object of two pieces and a half that is replaced as soon as
// its first piece has been read. Like the server, it answers If-Match with 412 when the
// object is no longer the one named, and serves whatever is there to a read without it.
function startReplacingApi() {
  const size = 2 * PIECE + 100;
  const versions = [{ etag: '"v1"', fill: 'a' }, { etag: '"v2"', fill: 'b' }];
  let current = 0;
  const requests = [];
  const api = http.createServer((req, res) => {
    const url = new URL(req.url, 'http://x');
    const offset = Number(url.searchParams.get('offset') || 0);
    const length = Number(url.searchParams.get('length') || PIECE);
    requests.push({ offset, ifMatch: req.headers['if-match'] });
    const version = versions[current];
    if (req.headers['if-match'] && req.headers['if-match'] !== version.etag) {
      res.writeHead(412, { 'Content-Type': 'application/json', ETag: version.etag, 'X-Object-Size': String(size) });
      res.end(JSON.stringify({ error: { code: 'failed_precondition', message: `the object's ETag is ${version.etag}` } }));
      return;
    }
    const n = Math.max(0, Math.min(length, size - offset));
    res.writeHead(200, {
      'Content-Type': 'application/octet-stream', ETag: version.etag, 'X-Object-Size': String(size),
      'X-Range': `${offset}-${offset + n}`,
    });
    res.end(version.fill.repeat(n));
    current = 1;  // replaced after the first read
  });
  return new Promise((resolve) => {
    api.listen(0, '127.0.0.1', () => resolve({ api, requests, url: `http://127.0.0.1:${api.address().port}` }));
  });
}

describe('lake cat of an object replaced while it is read', { timeout: 60000 }, () => {
  let fake;
  before(async () => { fake = await startReplacingApi(); });
  after(() => new Promise((resolve) => fake.api.close(resolve)));

  test('fails with "object changed while reading" rather than mixing the two', async () => {
    const r = await run(BIN, ['lake', 'cat', 's3://reads/big.bin', '--endpoint', fake.url, '--token', 't'],
                        { timeoutMs: 30000 });
    assert.notEqual(r.code, 0, describeRun('lake cat', r));
    assert.match(r.stderr, /^tributary lake cat: object changed while reading/m, describeRun('lake cat', r));
    assert.ok(!r.stdout.includes('b'), 'lake cat printed bytes of the second version');
    assert.equal(fake.requests[0].ifMatch, undefined);
    assert.equal(fake.requests[1].ifMatch, '"v1"', JSON.stringify(fake.requests));
  });
});
