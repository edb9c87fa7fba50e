// S3's PutObject and UploadPart with bodies in AWS's `aws-chunked` content encoding, the
// way AWS's SDKs send a body they stream rather than hash first, each form selected by
// x-amz-content-sha256 and checked against the file on disk (<data-dir>/lake/<bucket>/<key>):
//   STREAMING-UNSIGNED-PAYLOAD-TRAILER          what the AWS SDK's S3 client
//       (`@aws-sdk/client-s3`, path-style, SigV4 with access key id 'admin' and the admin
//       token as the secret) sends for a file streamed with fs.createReadStream, with its
//       default CRC32 and with ChecksumAlgorithm CRC32C, SHA1, SHA256 and CRC64NVME, of
//       1 KiB, 3 MiB and 20 MiB (past the 16 MiB body limit): a middleware records that
//       the SDK really sent aws-chunked (x-amz-content-sha256, Content-Encoding,
//       x-amz-trailer, x-amz-decoded-content-length, Transfer-Encoding: chunked and no
//       Content-Length); the object is the decoded bytes (GetObject's SHA-256, HeadObject's
//       length, the MD5 ETag) and `aws-chunked` is not in its Content-Encoding (a `gzip`
//       given beside it is kept); UploadPart of two streamed parts, then
//       CompleteMultipartUpload, gives the parts joined;
//   STREAMING-AWS4-HMAC-SHA256-PAYLOAD and STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER,
//       built by hand (the header signed with `aws4`, its signature the seed of the chunk
//       signatures computed here with node:crypto; the encoder first reproduces AWS's
//       published examples): stored decoded; a data byte flipped after signing or a
//       wrong final chunk signature SignatureDoesNotMatch naming the chunk, a wrong
//       trailer signature SignatureDoesNotMatch, a signed trailer whose CRC32C is not the
//       body's BadDigest;
//   hand-built unsigned-trailer bodies: a wrong trailer checksum BadDigest (an older
//       object under the key kept), fewer bytes than x-amz-decoded-content-length
//       IncompleteBody, more refused, a size that is not hex and a missing CRLF
//       InvalidRequest, no x-amz-trailer or no x-amz-decoded-content-length refused from
//       the header (400, no "100 Continue").
// An ordinary PutObject's x-amz-checksum-crc32/-crc32c/-crc64nvme/-sha1/-sha256 header is
// checked against the body too: the SDK's own taken, a wrong one BadDigest naming the
// header (an older object kept). The checksum an object was put with (header or trailer)
// comes back from HeadObject and GetObject with ChecksumMode ENABLED (the SDK checking
// the body read against it), and with a copy; not for a range, nor without a checksum. Nothing refused is stored (HeadObject NotFound, no file)
// and no temporary file is left (.tributary-tmp/).
// Large bodies sent whole: s3_large_puts.test.js; small writes: s3_writes.test.js.
'use strict';

const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const fs = require('node:fs');
const http = require('node:http');
const path = require('node:path');
const aws4 = require('aws4');
const S3 = require('@aws-sdk/client-s3');
const { Server, makeTempDir } = require('./harness');
const { rejectsAws } = require('./aws');
const { tributaryS3, md5Hex, sha256Hex, multipartEtag, bytesOfSeed, s3ErrorOf, lakeBucketChecks, requestWithContinue } = require('./s3');

const LAKE = 'chunked-uploads';  // made with CreateBucket in before()
const REGION = 'us-east-1';
const KiB = 1024;
const MiB = 1 << 20;
const CHUNK = 64 * KiB;          // the chunk size of the hand-built bodies (the SDK's too)
const REQUEST_MS = 30000;        // the longest any one request may take

const hmac = (key, text) => crypto.createHmac('sha256', key).update(text).digest();

// The reflected CRC-32 of a polynomial, table-driven: 0xEDB88320 is CRC32 (zlib's),
// 0x82F63B78 CRC32C (Castagnoli). Returns the big-endian 4 bytes, as S3's headers carry them.
const crcOf = (poly) => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ poly : c >>> 1;
    table[n] = c >>> 0;
  }
  return (bytes) => {
    let c = 0xffffffff;
    for (let i = 0; i < bytes.length; i++) c = table[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
    const out = Buffer.alloc(4);
    out.writeUInt32BE((c ^ 0xffffffff) >>> 0);
    return out;
  };
};
const crc32 = crcOf(0xedb88320);
const crc32c = crcOf(0x82f63b78);

// ---- aws-chunked bodies ------------------------------------------------------------------
const CRLF = Buffer.from('\r\n');
const EMPTY_SHA256 = sha256Hex('');
const piecesOf = (data, size = CHUNK) => {
  const pieces = [];
  for (let at = 0; at < data.length; at += size) pieces.push(data.subarray(at, at + size));
  return pieces;
};
// SigV4's signing key for the date (yyyymmdd) and S3 in `region`.
const signingKeyOf = (secret, date, region = REGION) =>
  hmac(hmac(hmac(hmac(`AWS4${secret}`, date), region), 's3'), 'aws4_request');
// A chunk's signature: chained from the previous one (the first from the seed).
const chunkSignature = (signing, previous, data) => hmac(signing.key, [
  'AWS4-HMAC-SHA256-PAYLOAD', signing.amzDate, signing.scope, previous, EMPTY_SHA256, sha256Hex(data),
].join('\n')).toString('hex');
// The trailer's signature over its canonical form, "<name>:<value>\n".
const trailerSignature = (signing, previous, canonical) => hmac(signing.key, [
  'AWS4-HMAC-SHA256-TRAILER', signing.amzDate, signing.scope, previous, sha256Hex(canonical),
].join('\n')).toString('hex');

// `data` in signed chunks of `chunkSize`, the last followed by the zero-length final chunk,
// then "\r\n" or, with `trailer` {name, value[, signature]}, the trailer and its signature
// (computed unless given). Returns {body, signatures (each chunk's, the final's last),
// dataAt (where each chunk's data starts in body)}.
const encodeSigned = (data, signing, { chunkSize = CHUNK, trailer } = {}) => {
  const parts = [];
  const signatures = [];
  const dataAt = [];
  let length = 0;
  let previous = signing.seed;
  for (const piece of [...piecesOf(data, chunkSize), Buffer.alloc(0)]) {
    previous = chunkSignature(signing, previous, piece);
    signatures.push(previous);
    const head = Buffer.from(`${piece.length.toString(16)};chunk-signature=${previous}\r\n`);
    parts.push(head);
    length += head.length;
    if (piece.length > 0) {
      dataAt.push(length);
      parts.push(piece, CRLF);
      length += piece.length + CRLF.length;
    }
  }
  if (trailer) {
    const line = `${trailer.name}:${trailer.value}`;
    const signature = trailer.signature ?? trailerSignature(signing, previous, `${line}\n`);
    parts.push(Buffer.from(`${line}\r\nx-amz-trailer-signature:${signature}\r\n\r\n`));
  } else {
    parts.push(CRLF);
  }
  return { body: Buffer.concat(parts), signatures, dataAt };
};
// The length of encodeSigned's body (the signatures' values do not change it).
const signedLength = (data, options) =>
  encodeSigned(data, { key: Buffer.alloc(32), amzDate: '', scope: '', seed: '' }, options).body.length;
// `data` in unsigned chunks "<hex size>\r\n<data>\r\n", then "0\r\n", the trailer line when
// given ({name, value}) and "\r\n". `sizeLine(n)` writes a chunk's size (for bad framing).
const encodeUnsigned = (data, { chunkSize = CHUNK, trailer, sizeLine = (n) => n.toString(16), dataEnd = CRLF } = {}) => {
  const parts = [];
  for (const piece of piecesOf(data, chunkSize)) parts.push(Buffer.from(`${sizeLine(piece.length)}\r\n`), piece, dataEnd);
  parts.push(Buffer.from(`0\r\n${trailer ? `${trailer.name}:${trailer.value}\r\n` : ''}\r\n`));
  return Buffer.concat(parts);
};

describe('S3 PutObject and UploadPart take aws-chunked bodies', { timeout: 90000 }, () => {
  let server;
  let s3;
  let filesDir;
  const stored = new Set();  // the keys of LAKE that are objects now
  const send = (command) => s3.send(command, { abortSignal: AbortSignal.timeout(REQUEST_MS) });
  const { head, listedKeys, tempFiles, expectObject, expectNoObject } =
    lakeBucketChecks(() => server, LAKE, send);
  const put = async (Key, Body, more = {}) => {
    const out = await send(new S3.PutObjectCommand({ Bucket: LAKE, Key, Body, ...more }));
    stored.add(Key);
    return out;
  };
  // A command whose request, as the SDK sends it (after its flexible checksums, at the
  // finalizeRequest step), is recorded: {headers (lower-case names), streamed}.
  const recorded = (command) => {
    const sent = {};
    command.middlewareStack.add((next) => async (args) => {
      sent.headers = Object.fromEntries(Object.entries(args.request.headers).map(([k, v]) => [k.toLowerCase(), v]));
      sent.streamed = typeof args.request.body?.pipe === 'function';
      return next(args);
    }, { step: 'finalizeRequest', name: 'recordChunkedRequest' });
    return sent;
  };
  // Asserts that the SDK sent `sent` as an unsigned aws-chunked body with `algorithm`'s
  // checksum in its trailer, `length` bytes decoded.
  const expectSentChunked = (sent, { algorithm, length, contentEncoding = 'aws-chunked', what }) => {
    assert.ok(sent.headers, `${what}: the recording middleware never ran`);
    const h = sent.headers;
    const shown = JSON.stringify({ ...h, authorization: undefined });
    assert.equal(h['x-amz-content-sha256'], 'STREAMING-UNSIGNED-PAYLOAD-TRAILER', `${what}: ${shown}`);
    assert.equal(h['content-encoding'], contentEncoding, `${what}: ${shown}`);
    assert.equal(h['x-amz-trailer'], `x-amz-checksum-${algorithm.toLowerCase()}`, `${what}: ${shown}`);
    assert.equal(h['x-amz-sdk-checksum-algorithm'], algorithm, `${what}: ${shown}`);
    assert.equal(h['x-amz-decoded-content-length'], String(length), `${what}: ${shown}`);
    assert.equal(h['transfer-encoding'], 'chunked', `${what}: ${shown}`);
    assert.equal(h['content-length'], undefined, `${what}: ${shown}`);
    assert.equal(h[`x-amz-checksum-${algorithm.toLowerCase()}`], undefined, `${what}: the checksum went as a header: ${shown}`);
    assert.ok(sent.streamed, `${what}: the SDK did not send a stream`);
  };

  // A request signed by hand (aws4, service s3, the admin token as the secret): `headers`
  // are signed as given, their x-amz-content-sha256 (aws4 keeps a preset one) the payload
  // hash; returns {headers, signing} with signing {key, amzDate, scope, seed}, the seed the
  // Authorization header's signature.
  const signHeaders = (pathAndQuery, headers, method = 'PUT') => {
    const signed = aws4.sign({ host: `127.0.0.1:${server.httpPort}`, path: pathAndQuery, method, service: 's3', region: REGION,
                               headers: { ...headers } }, { accessKeyId: 'admin', secretAccessKey: server.token });
    const seed = /Signature=([0-9a-f]{64})$/.exec(signed.headers.Authorization)?.[1];
    assert.ok(seed, `no signature in ${signed.headers.Authorization}`);
    const amzDate = signed.headers['X-Amz-Date'];
    const date = amzDate.slice(0, 8);
    return { headers: signed.headers,
             signing: { key: signingKeyOf(server.token, date), amzDate, scope: `${date}/${REGION}/s3/aws4_request`, seed } };
  };
  // Sends `body` with `headers` (signed already) over a connection of its own, after the
  // server's "100 Continue" (or after 2 s without one). Resolves {status, text, code,
  // message, headers, continued} when the answer is in.
  const rawRequest = ({ method = 'PUT', pathAndQuery, headers, body }) =>
    requestWithContinue(server.httpPort, { method, pathAndQuery, headers, body, fallbackMs: 2000, timeoutMs: REQUEST_MS });
  // Asserts an S3 error answer: status, code and (when given) a message matching `message`.
  const expectRefused = (r, status, code, message, what) => {
    assert.equal(r.status, status, `${what}: ${r.text}\n${server.tail(10)}`);
    if (code) assert.ok([code].flat().includes(r.code), `${what}: code ${r.code}, not ${code}: ${r.text}`);
    if (message) assert.match(r.message ?? '', message, `${what}: ${r.text}`);
  };

  // Hand-built PUTs of the three forms. Each returns the answer and the body sent.
  const signedPut = async (key, data, { trailer, trailerSignatureOf, tamper, decodedLength = data.length } = {}) => {
    const pathAndQuery = `/${LAKE}/${key}`;
    const form = trailer ? 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER' : 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD';
    const trailerOption = trailer && { name: trailer.name, value: trailer.value };
    const { headers, signing } = signHeaders(pathAndQuery, {
      'Content-Encoding': 'aws-chunked',
      'Content-Length': String(signedLength(data, { trailer: trailerOption })),
      'X-Amz-Content-Sha256': form,
      'X-Amz-Decoded-Content-Length': String(decodedLength),
      ...(trailer ? { 'X-Amz-Trailer': trailer.name } : {}),
    });
    const encoded = encodeSigned(data, signing, {
      trailer: trailerOption && { ...trailerOption, signature: trailerSignatureOf?.(signing) },
    });
    if (tamper) tamper(encoded);
    const r = await rawRequest({ pathAndQuery, headers, body: encoded.body });
    return { ...r, encoded, signing };
  };
  const unsignedPut = async (key, data, { trailer, omit = [], decodedLength = data.length, encode = {} } = {}) => {
    const pathAndQuery = `/${LAKE}/${key}`;
    const body = encodeUnsigned(data, { trailer, ...encode });
    const wanted = {
      'Content-Encoding': 'aws-chunked',
      'Content-Length': String(body.length),
      'X-Amz-Content-Sha256': 'STREAMING-UNSIGNED-PAYLOAD-TRAILER',
      'X-Amz-Decoded-Content-Length': String(decodedLength),
      ...(trailer ? { 'X-Amz-Trailer': trailer.name } : {}),
    };
    for (const name of omit) delete wanted[name];
    const { headers } = signHeaders(pathAndQuery, wanted);
    return rawRequest({ pathAndQuery, headers, body });
  };

  before(async () => {
    server = await Server.start({ tag: 's3-chunked-uploads' });
    s3 = tributaryS3(server);
    await send(new S3.CreateBucketCommand({ Bucket: LAKE }));
    filesDir = makeTempDir('s3-chunked-files');
  });

  after(async () => {
    if (s3) s3.destroy();
    if (server) await server.dispose();
  });

  test('the test\'s own aws-chunked signer reproduces AWS\'s published examples (seed, chunk and trailer signatures, lengths)', () => {
    // AWS's "Signature Calculations for the Authorization Header: Transferring Payload in
    // Multiple Chunks" and "... for trailing headers": 66560 bytes of 'a' in 64 KiB chunks.
    const secret = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
    const data = Buffer.alloc(65536 + 1024, 'a');
    const example = (headers) => {
      const signed = aws4.sign({ host: 's3.amazonaws.com', path: '/examplebucket/chunkObject.txt', method: 'PUT', service: 's3',
                                 region: REGION, headers: { 'X-Amz-Date': '20130524T000000Z', 'x-amz-storage-class': 'REDUCED_REDUNDANCY',
                                                            'Content-Encoding': 'aws-chunked', 'x-amz-decoded-content-length': '66560', ...headers } },
                               { accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: secret });
      const seed = /Signature=([0-9a-f]{64})$/.exec(signed.headers.Authorization)[1];
      return { seed, key: signingKeyOf(secret, '20130524'), amzDate: '20130524T000000Z', scope: '20130524/us-east-1/s3/aws4_request' };
    };
    const plain = example({ 'Content-Length': '66824', 'x-amz-content-sha256': 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD' });
    assert.equal(plain.seed, '4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9', 'aws4 did not sign the literal payload hash');
    const encoded = encodeSigned(data, plain);
    assert.deepEqual(encoded.signatures, ['ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648',
                                          '0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497',
                                          'b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9']);
    assert.equal(encoded.body.length, 66824);
    assert.equal(signedLength(data), 66824);

    assert.equal(crc32c(data).toString('base64'), 'sOO8/Q==');
    assert.equal(crc32c(Buffer.from('123456789')).toString('hex'), 'e3069283');  // CRC-32C's check value
    assert.equal(crc32(Buffer.from('123456789')).toString('hex'), 'cbf43926');   // CRC-32's
    const trailed = example({ 'x-amz-content-sha256': 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER', 'x-amz-trailer': 'x-amz-checksum-crc32c' });
    assert.equal(trailed.seed, '106e2a8a18243abcf37539882f36619c00e2dfc72633413f02d3b74544bfeb8e');
    const withTrailer = encodeSigned(data, trailed, { trailer: { name: 'x-amz-checksum-crc32c', value: 'sOO8/Q==' } });
    assert.deepEqual(withTrailer.signatures, ['b474d8862b1487a5145d686f57f013e54db672cee1c953b3010fb58501ef5aa2',
                                              '1c1344b170168f8e65b41376b44b20fe354e373826ccbbe2c1d40a8cae51e5c7',
                                              '2ca2aba2005185cf7159c6277faf83795951dd77a3a99e6e65d5c9f85863f992']);
    assert.ok(withTrailer.body.toString('latin1').endsWith(
      '0;chunk-signature=2ca2aba2005185cf7159c6277faf83795951dd77a3a99e6e65d5c9f85863f992\r\n' +
      'x-amz-checksum-crc32c:sOO8/Q==\r\n' +
      'x-amz-trailer-signature:d81f82fc3505edab99d459891051a732e8730629a2e4a59689829ca17fe2e435\r\n\r\n'));
    assert.equal(withTrailer.body.length, 66946);
  });

  // The SDK's flexible checksums: its default (CRC32, sent as x-amz-sdk-checksum-algorithm
  // without ChecksumAlgorithm) and each one ChecksumAlgorithm names. CRC64NVME is computed
  // by @aws-sdk/checksums in JavaScript (no CRT needed) in this SDK.
  let Crc64Nvme;
  try { ({ Crc64Nvme } = require('@aws-sdk/checksums/crc')); } catch (_) { /* an SDK without it: CRC64NVME left out */ }
  const ALGORITHMS = [undefined, 'CRC32C', 'SHA1', 'SHA256', ...(Crc64Nvme ? ['CRC64NVME'] : [])];
  const SIZES = [['1 KiB', KiB], ['3 MiB', 3 * MiB + 17], ['20 MiB', 20 * MiB + 5]];
  for (const [label, size] of SIZES) {
    test(`SDK PutObject of a streamed ${label} file with each checksum (${ALGORITHMS.map((a) => a ?? 'default').join(', ')}): sent aws-chunked, stored decoded`, async (t) => {
      if (!Crc64Nvme) t.diagnostic('@aws-sdk/checksums has no Crc64Nvme: CRC64NVME left out');
      const body = bytesOfSeed(size, label);
      const file = path.join(filesDir, `${label.replace(' ', '')}.bin`);
      fs.writeFileSync(file, body);
      for (const algorithm of ALGORITHMS) {
        const key = `sdk/${label.replace(' ', '')}-${(algorithm ?? 'default').toLowerCase()}.bin`;
        const what = `PutObject of ${label} with ${algorithm ?? 'the default checksum'}`;
        const command = new S3.PutObjectCommand({ Bucket: LAKE, Key: key, Body: fs.createReadStream(file),
                                                  ...(algorithm ? { ChecksumAlgorithm: algorithm } : {}) });
        const sent = recorded(command);
        const out = await send(command);
        stored.add(key);
        expectSentChunked(sent, { algorithm: algorithm ?? 'CRC32', length: size, what });
        assert.equal(out.ETag, `"${md5Hex(body)}"`, `${what}: PutObject's ETag is not the decoded bytes' MD5`);
        await expectObject(key, body, what);
      }
      if (size === KiB) {
        // A content encoding of the caller's beside aws-chunked: the SDK sends both, the
        // object keeps only the caller's.
        const key = 'sdk/1KiB-gzip.bin';
        const command = new S3.PutObjectCommand({ Bucket: LAKE, Key: key, Body: fs.createReadStream(file), ContentEncoding: 'gzip' });
        const sent = recorded(command);
        await send(command);
        stored.add(key);
        expectSentChunked(sent, { algorithm: 'CRC32', length: size, contentEncoding: 'gzip,aws-chunked', what: 'ContentEncoding gzip' });
        const h = await expectObject(key, body, 'PutObject with ContentEncoding gzip');
        assert.equal(h.ContentEncoding, 'gzip', 'HeadObject\'s ContentEncoding');
      }
    });
  }

  test('UploadPart with streamed bodies (aws-chunked, the default CRC32 trailer): ETags the parts\' MD5s, the upload completes to the parts joined', async () => {
    const key = 'multipart/streamed-parts.bin';
    const parts = [bytesOfSeed(5 * MiB, 'part 1'), bytesOfSeed(MiB + 333, 'part 2')];
    const files = parts.map((p, i) => {
      const file = path.join(filesDir, `part-${i + 1}.bin`);
      fs.writeFileSync(file, p);
      return file;
    });
    const { UploadId } = await send(new S3.CreateMultipartUploadCommand({ Bucket: LAKE, Key: key }));
    assert.ok(UploadId);
    const etags = [];
    for (const [i, file] of files.entries()) {
      const command = new S3.UploadPartCommand({ Bucket: LAKE, Key: key, UploadId, PartNumber: i + 1, Body: fs.createReadStream(file) });
      const sent = recorded(command);
      const out = await send(command);
      expectSentChunked(sent, { algorithm: 'CRC32', length: parts[i].length, what: `UploadPart ${i + 1}` });
      assert.equal(out.ETag, `"${md5Hex(parts[i])}"`, `part ${i + 1}'s ETag is not its decoded bytes' MD5`);
      etags.push({ PartNumber: i + 1, ETag: out.ETag });
    }
    const done = await send(new S3.CompleteMultipartUploadCommand({ Bucket: LAKE, Key: key, UploadId, MultipartUpload: { Parts: etags } }));
    stored.add(key);
    assert.equal(done.ETag, multipartEtag(parts));
    await expectObject(key, Buffer.concat(parts), 'the completed upload', multipartEtag(parts));
  });

  test('STREAMING-AWS4-HMAC-SHA256-PAYLOAD by hand: stored decoded; a data byte flipped after signing or a wrong final chunk signature SignatureDoesNotMatch naming the chunk, nothing stored', async () => {
    const data = bytesOfSeed(100 * KiB, 'signed');  // chunks of 64 KiB and 36 KiB, then the final one
    const ok = await signedPut('signed/whole.bin', data);
    expectRefused(ok, 200, undefined, undefined, 'a signed aws-chunked PUT');
    stored.add('signed/whole.bin');
    assert.equal(ok.headers.etag, `"${md5Hex(data)}"`, 'the ETag is not the decoded bytes\' MD5');
    assert.equal(ok.encoded.body.length, signedLength(data));
    await expectObject('signed/whole.bin', data, 'a signed aws-chunked PUT');

    // One byte of the second chunk's data flipped after its signature was computed.
    const flipped = await signedPut('signed/flipped.bin', data, {
      tamper: (encoded) => { encoded.body[encoded.dataAt[1] + 100] ^= 0x01; },
    });
    expectRefused(flipped, 403, 'SignatureDoesNotMatch', /chunk 2\b/, 'a byte of chunk 2 flipped');
    await expectNoObject('signed/flipped.bin', 'a byte of chunk 2 flipped');

    // The final (empty) chunk's signature not the one its chain gives.
    const finalWrong = await signedPut('signed/final-wrong.bin', data, {
      tamper: (encoded) => {
        const text = encoded.body.toString('latin1');
        const at = text.lastIndexOf(`0;chunk-signature=${encoded.signatures[2]}`) + '0;chunk-signature='.length;
        assert.ok(at >= '0;chunk-signature='.length, 'the final chunk is not in the body');
        encoded.body.write(encoded.signatures[2][0] === '0' ? '1' : '0', at, 'latin1');
      },
    });
    expectRefused(finalWrong, 403, 'SignatureDoesNotMatch', /chunk 3\b|final chunk/, 'a wrong final chunk signature');
    await expectNoObject('signed/final-wrong.bin', 'a wrong final chunk signature');
  });

  test('STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER by hand with x-amz-checksum-crc32c: stored; a wrong trailer signature SignatureDoesNotMatch; a signed wrong checksum BadDigest; nothing stored', async () => {
    const data = bytesOfSeed(100 * KiB, 'signed trailer');
    const name = 'x-amz-checksum-crc32c';
    const right = crc32c(data).toString('base64');
    const ok = await signedPut('trailer/whole.bin', data, { trailer: { name, value: right } });
    expectRefused(ok, 200, undefined, undefined, 'a signed aws-chunked PUT with a trailer');
    stored.add('trailer/whole.bin');
    assert.equal(ok.headers.etag, `"${md5Hex(data)}"`);
    await expectObject('trailer/whole.bin', data, 'a signed aws-chunked PUT with a trailer');

    // The trailer's signature computed over another checksum than the one sent.
    const badSignature = await signedPut('trailer/bad-signature.bin', data, {
      trailer: { name, value: right },
      trailerSignatureOf: (signing) => trailerSignature(signing, 'f'.repeat(64), `${name}:${right}\n`),
    });
    expectRefused(badSignature, 403, 'SignatureDoesNotMatch', /trailer/i, 'a wrong trailer signature');
    await expectNoObject('trailer/bad-signature.bin', 'a wrong trailer signature');

    // A rightly signed trailer whose CRC32C is not the body's.
    const wrong = crc32c(Buffer.concat([data, Buffer.from('x')])).toString('base64');
    assert.notEqual(wrong, right);
    const badDigest = await signedPut('trailer/bad-digest.bin', data, { trailer: { name, value: wrong } });
    expectRefused(badDigest, 400, 'BadDigest',
                  new RegExp(`x-amz-checksum-crc32c '${wrong.replace(/[+/]/g, '\\$&')}' is not the CRC32C of the body.*nothing was stored`),
                  'a signed trailer with a wrong CRC32C');
    await expectNoObject('trailer/bad-digest.bin', 'a signed trailer with a wrong CRC32C');
  });

  test('STREAMING-UNSIGNED-PAYLOAD-TRAILER by hand: stored; a wrong trailer checksum BadDigest (an older object kept), short IncompleteBody, long, non-hex size and missing CRLF refused, no x-amz-trailer or decoded length refused from the header', async () => {
    const data = bytesOfSeed(100 * KiB + 7, 'unsigned');
    const name = 'x-amz-checksum-crc32';
    const trailer = { name, value: crc32(data).toString('base64') };

    // As the SDK sends it, but with a Content-Length rather than Transfer-Encoding: chunked.
    const ok = await unsignedPut('unsigned/whole.bin', data, { trailer });
    expectRefused(ok, 200, undefined, undefined, 'an unsigned-trailer PUT with a Content-Length');
    stored.add('unsigned/whole.bin');
    await expectObject('unsigned/whole.bin', data, 'an unsigned-trailer PUT');

    // A trailer checksum that is not the body's: BadDigest naming it, over an older object
    // that stays as it was.
    const older = Buffer.from('the object before the refused aws-chunked PUT\n');
    await put('unsigned/kept.bin', older);
    const zeros = 'AAAAAA==';
    const badDigest = await unsignedPut('unsigned/kept.bin', data, { trailer: { name, value: zeros } });
    expectRefused(badDigest, 400, 'BadDigest', /x-amz-checksum-crc32 'AAAAAA==' is not the CRC32 of the body.*nothing was stored/,
                  'a wrong trailer checksum');
    await expectObject('unsigned/kept.bin', older, 'the object under a BadDigest aws-chunked PUT');
    const fresh = await unsignedPut('unsigned/bad-digest.bin', data, { trailer: { name, value: zeros } });
    expectRefused(fresh, 400, 'BadDigest', /x-amz-checksum-crc32/, 'a wrong trailer checksum to a new key');
    await expectNoObject('unsigned/bad-digest.bin', 'a wrong trailer checksum');

    // Fewer bytes than x-amz-decoded-content-length says: IncompleteBody.
    const short = await unsignedPut('unsigned/short.bin', data, { trailer, decodedLength: data.length + 1000 });
    expectRefused(short, 400, 'IncompleteBody', undefined, 'decoded bytes short of x-amz-decoded-content-length');
    await expectNoObject('unsigned/short.bin', 'a short body');
    // More bytes than it says: refused too.
    const long = await unsignedPut('unsigned/long.bin', data, { trailer, decodedLength: data.length - 1000 });
    expectRefused(long, 400, undefined, undefined, 'decoded bytes past x-amz-decoded-content-length');
    await expectNoObject('unsigned/long.bin', 'a long body');

    // Framing that is not aws-chunked: InvalidRequest.
    const notHex = await unsignedPut('unsigned/not-hex.bin', data, { trailer, encode: { sizeLine: (n) => `z${n.toString(16)}` } });
    expectRefused(notHex, 400, 'InvalidRequest', undefined, 'a chunk size that is not hex');
    await expectNoObject('unsigned/not-hex.bin', 'a chunk size that is not hex');
    const noCrlf = await unsignedPut('unsigned/no-crlf.bin', data, { trailer, encode: { dataEnd: Buffer.alloc(0) } });
    expectRefused(noCrlf, 400, 'InvalidRequest', undefined, 'chunk data without its CRLF');
    await expectNoObject('unsigned/no-crlf.bin', 'chunk data without its CRLF');

    // Refused from the header, before the body is asked for.
    const noTrailer = await unsignedPut('unsigned/no-trailer.bin', data, { trailer, omit: ['X-Amz-Trailer'] });
    expectRefused(noTrailer, 400, undefined, /x-amz-trailer/i, 'STREAMING-UNSIGNED-PAYLOAD-TRAILER without x-amz-trailer');
    assert.equal(noTrailer.continued, false, 'a PUT without x-amz-trailer got "100 Continue"');
    await expectNoObject('unsigned/no-trailer.bin', 'no x-amz-trailer');
    const noLength = await unsignedPut('unsigned/no-length.bin', data, { trailer, omit: ['X-Amz-Decoded-Content-Length'] });
    expectRefused(noLength, 400, undefined, /x-amz-decoded-content-length/i, 'no x-amz-decoded-content-length');
    assert.equal(noLength.continued, false, 'a PUT without x-amz-decoded-content-length got "100 Continue"');
    await expectNoObject('unsigned/no-length.bin', 'no x-amz-decoded-content-length');
    // The signed form without it too.
    const pathAndQuery = `/${LAKE}/unsigned/signed-no-length.bin`;
    const { headers, signing } = signHeaders(pathAndQuery, {
      'Content-Encoding': 'aws-chunked', 'Content-Length': String(signedLength(data)),
      'X-Amz-Content-Sha256': 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD',
    });
    const signedNoLength = await rawRequest({ pathAndQuery, headers, body: encodeSigned(data, signing).body });
    expectRefused(signedNoLength, 400, undefined, /x-amz-decoded-content-length/i, 'a signed aws-chunked PUT without x-amz-decoded-content-length');
    assert.equal(signedNoLength.continued, false);
    await expectNoObject('unsigned/signed-no-length.bin', 'a signed aws-chunked PUT without x-amz-decoded-content-length');
  });

  test('an ordinary PutObject\'s x-amz-checksum-* header: the SDK\'s own taken; a wrong one BadDigest naming the header, an older object kept', async () => {
    const body = bytesOfSeed(40 * KiB, 'ordinary');
    const older = Buffer.from('the object before the PUTs with wrong checksums\n');
    await put('ordinary/kept.bin', older);
    await expectObject('ordinary/kept.bin', older, 'the older object');

    // A Buffer body: the SDK hashes it and sends the checksum as a header (no aws-chunked).
    for (const algorithm of ['CRC32', 'CRC32C', 'SHA1', 'SHA256', ...(Crc64Nvme ? ['CRC64NVME'] : [])]) {
      const key = `ordinary/right-${algorithm.toLowerCase()}.bin`;
      const command = new S3.PutObjectCommand({ Bucket: LAKE, Key: key, Body: body, ChecksumAlgorithm: algorithm });
      const sent = recorded(command);
      await send(command);
      stored.add(key);
      const h = sent.headers;
      assert.match(h[`x-amz-checksum-${algorithm.toLowerCase()}`] ?? '', /^[A-Za-z0-9+/]+=*$/, `${algorithm}: ${JSON.stringify(h)}`);
      assert.equal(h['x-amz-content-sha256'], sha256Hex(body));
      assert.equal(h['content-encoding'], undefined);
      await expectObject(key, body, `PutObject with the SDK's ${algorithm} header`);
    }

    // A wrong checksum given as the command's Checksum<Algorithm>: the SDK sends it as it is.
    const wrongs = { CRC32: 4, CRC32C: 4, SHA1: 20, SHA256: 32, ...(Crc64Nvme ? { CRC64NVME: 8 } : {}) };
    for (const [algorithm, bytes] of Object.entries(wrongs)) {
      const header = `x-amz-checksum-${algorithm.toLowerCase()}`;
      const value = Buffer.alloc(bytes).toString('base64');
      const member = `Checksum${algorithm}`;
      const message = new RegExp(`${header} '${value}' is not the ${algorithm} of the body.*nothing was stored`);
      const key = `ordinary/wrong-${algorithm.toLowerCase()}.bin`;
      const command = new S3.PutObjectCommand({ Bucket: LAKE, Key: key, Body: body, [member]: value });
      const sent = recorded(command);
      await rejectsAws(send(command), 'BadDigest', 400, message, `a wrong ${header}`);
      assert.equal(sent.headers?.[header], value, `the SDK did not send ${header} as given: ${JSON.stringify(sent.headers)}`);
      await expectNoObject(key, `a wrong ${header}`);
      // Over the older object: it stays as it was.
      await rejectsAws(put('ordinary/kept.bin', body, { [member]: value }), 'BadDigest', 400, message, `a wrong ${header} over an object`);
      await expectObject('ordinary/kept.bin', older, `the object under a PUT with a wrong ${header}`);
    }
  });

  test('the checksum an object was put with comes back with ChecksumMode ENABLED (whole objects; not for a range, a multipart object or an object put without one)', async () => {
    const body = bytesOfSeed(200 * KiB + 3, 'kept checksum');
    const file = path.join(filesDir, 'kept-checksum.bin');
    fs.writeFileSync(file, body);
    // The SDK's own digests of the body, to compare with what the server gives back.
    const digestOf = async (algorithm) => {
      const command = new S3.PutObjectCommand({ Bucket: LAKE, Key: `kept/header-${algorithm}.bin`, Body: body,
                                                ChecksumAlgorithm: algorithm });
      const sent = recorded(command);
      await send(command);
      stored.add(`kept/header-${algorithm}.bin`);
      return sent.headers[`x-amz-checksum-${algorithm.toLowerCase()}`];
    };
    for (const algorithm of ['CRC32', 'CRC32C', 'SHA256']) {
      const want = await digestOf(algorithm);
      // Streamed (the checksum in the trailer) and whole (in a header): both kept.
      const streamedKey = `kept/streamed-${algorithm}.bin`;
      await put(streamedKey, fs.createReadStream(file), { ChecksumAlgorithm: algorithm });
      for (const key of [streamedKey, `kept/header-${algorithm}.bin`]) {
        const h = await send(new S3.HeadObjectCommand({ Bucket: LAKE, Key: key, ChecksumMode: 'ENABLED' }));
        assert.equal(h[`Checksum${algorithm}`], want, `${key}: HeadObject's Checksum${algorithm}`);
        assert.equal(h.ChecksumType, 'FULL_OBJECT', `${key}: HeadObject's ChecksumType`);
        // GetObject: the SDK checks the body it reads against the checksum given.
        const got = await send(new S3.GetObjectCommand({ Bucket: LAKE, Key: key, ChecksumMode: 'ENABLED' }));
        assert.equal(got[`Checksum${algorithm}`], want, `${key}: GetObject's Checksum${algorithm}`);
        assert.ok(Buffer.from(await got.Body.transformToByteArray()).equals(body), `${key}: GetObject's bytes`);
      }
      // A range: its bytes are not what the checksum sums, so none is given.
      const ranged = await send(new S3.GetObjectCommand({ Bucket: LAKE, Key: streamedKey, ChecksumMode: 'ENABLED',
                                                          Range: 'bytes=0-99' }));
      assert.equal(ranged[`Checksum${algorithm}`], undefined, 'a range was given the whole object\'s checksum');
      await ranged.Body.transformToByteArray();
    }
    // Copied: the same bytes keep their checksum.
    await send(new S3.CopyObjectCommand({ Bucket: LAKE, Key: 'kept/copy.bin', CopySource: `${LAKE}/kept/streamed-CRC32C.bin` }));
    stored.add('kept/copy.bin');
    const copied = await send(new S3.HeadObjectCommand({ Bucket: LAKE, Key: 'kept/copy.bin', ChecksumMode: 'ENABLED' }));
    assert.equal(copied.ChecksumCRC32C, await digestOf('CRC32C'));
    // Without ChecksumMode, and for an object put without a checksum: none.
    const plain = await send(new S3.HeadObjectCommand({ Bucket: LAKE, Key: 'kept/streamed-CRC32.bin' }));
    assert.equal(plain.ChecksumCRC32, undefined, 'a checksum given without ChecksumMode ENABLED');
    const unsummedPut = await requestWithContinue(server.httpPort, {
      ...signHeaders(`/${LAKE}/kept/unsummed.bin`, { 'X-Amz-Content-Sha256': sha256Hex(body) }),
      pathAndQuery: `/${LAKE}/kept/unsummed.bin`, body, expect: false,
    });
    assert.equal(unsummedPut.status, 200, unsummedPut.text);
    stored.add('kept/unsummed.bin');
    const unsummed = await send(new S3.HeadObjectCommand({ Bucket: LAKE, Key: 'kept/unsummed.bin', ChecksumMode: 'ENABLED' }));
    assert.equal(unsummed.ContentLength, body.length);
    for (const algorithm of ['CRC32', 'CRC32C', 'CRC64NVME', 'SHA1', 'SHA256']) {
      assert.equal(unsummed[`Checksum${algorithm}`], undefined, `an object put without a checksum was given a ${algorithm}`);
    }
  });

  test('nothing left behind: ListObjectsV2 lists exactly the objects stored, no temporary file', async () => {
    assert.deepEqual((await listedKeys()).sort(), [...stored].sort(), 'ListObjectsV2 is not the objects stored');
    assert.deepEqual(tempFiles(), [], 'temporary files left in .tributary-tmp/');
  });
});
