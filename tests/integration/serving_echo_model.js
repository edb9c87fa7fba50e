// A model that echoes every request: a `Command` model for the SageMaker Runtime test. It
// speaks the worker protocol of src/serving/README.md on stdin/stdout (one JSON header
// line, then exactly `length` body bytes) and answers each request with status 200 and
// {"echo": <the request body as text>, "content_type": ..., "accept": ...} from the
// request's header. Run: node serving_echo_model.js
'use strict';

const out = (header, body = '') => {
  const bytes = Buffer.from(body);
  process.stdout.write(`${JSON.stringify({ ...header, length: bytes.length })}\n`);
  if (bytes.length) process.stdout.write(bytes);
};

out({ ready: true, info: { model: 'serving_echo_model' } });

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
        process.stderr.write(`serving_echo_model: header is not JSON: ${line}\n`);
        continue;
      }
    }
    const length = pending.length || 0;
    if (buffered.length < length) return;
    const body = buffered.subarray(0, length).toString();
    buffered = buffered.subarray(length);
    const answer = { echo: body, content_type: pending.content_type, accept: pending.accept };
    out({ id: pending.id, status: 200, content_type: 'application/json' }, JSON.stringify(answer));
    pending = null;
  }
});
process.stdin.on('end', () => process.exit(0));
