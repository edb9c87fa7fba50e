// The model side of the serving worker protocol (src/serving/README.md), for the test
// models that are `Command` models: one JSON header line, then exactly `length` body
// bytes, each way. serveModel(name, answer) says ready, then answers every request with
// answer(header, body) -> {status, content_type, error?, body}; it ends with stdin.
'use strict';

function out(header, body = '') {
  const bytes = Buffer.from(body);
  process.stdout.write(`${JSON.stringify({ ...header, length: bytes.length })}\n`);
  if (bytes.length) process.stdout.write(bytes);
}

function serveModel(name, answer) {
  out({ ready: true, info: { model: name } });
  let buffered = Buffer.alloc(0);
  let pending = null;  // the header whose body is being read
  process.stdin.on('data', (chunk) => {
    buffered = Buffer.concat([buffered, chunk]);
    for (;;) {
      if (!pending) {
        const nl = buffered.indexOf(0x0a);
        if (nl < 0) return;
        const line = buffered.subarray(0, nl).toString();
        buffered = buffered.subarray(nl + 1);
        if (!line.trim()) continue;
        try {
          pending = JSON.parse(line);
        } catch (e) {
          process.stderr.write(`${name}: header is not JSON: ${line}\n`);
          continue;
        }
      }
      const length = pending.length || 0;
      if (buffered.length < length) return;
      const body = buffered.subarray(0, length).toString();
      buffered = buffered.subarray(length);
      const { body: answerBody = '', ...header } = answer(pending, body);
      out({ id: pending.id, ...header }, answerBody);
      pending = null;
    }
  });
  process.stdin.on('end', () => process.exit(0));
}

module.exports = { serveModel };
