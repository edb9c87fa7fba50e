// A stand-in model server for the endpoint tests: speaks the worker protocol
// (../README.md). Run as `node model_worker.js MODE [serve] [--model DIR]`:
//   ok     answers 200 {"model": DIR or $TRIBUTARY_MODEL_DIR, "pid", "body"}
//   fail   answers every request with 500, as a broken model would
//   slow   like ok after 1000 ms
'use strict';
const args = process.argv.slice(2);
const mode = args[0];
const at = args.indexOf('--model');
const model = at >= 0 ? args[at + 1] : (process.env.TRIBUTARY_MODEL_DIR || '');
const send = (header, body = '') => {
  const bytes = Buffer.from(body);
  process.stdout.write(JSON.stringify({ ...header, length: bytes.length }) + '\n');
  if (bytes.length) process.stdout.write(bytes);
};
send({ ready: true, info: { model, mode } });

let buffer = Buffer.alloc(0);
let busy = Promise.resolve();
process.stdin.on('data', (chunk) => {
  buffer = Buffer.concat([buffer, chunk]);
  for (;;) {
    const nl = buffer.indexOf(10);
    if (nl < 0) return;
    const header = JSON.parse(buffer.subarray(0, nl).toString());
    if (buffer.length < nl + 1 + header.length) return;
    const body = buffer.subarray(nl + 1, nl + 1 + header.length).toString();
    buffer = buffer.subarray(nl + 1 + header.length);
    busy = busy.then(() => answer(header, body));
  }
});
process.stdin.on('end', () => busy.then(() => process.exit(0)));

async function answer(header, body) {
  if (mode === 'slow') await new Promise((r) => setTimeout(r, 1000));
  if (mode === 'fail') return send({ id: header.id, status: 500, error: 'this model always fails' });
  send({ id: header.id, status: 200, content_type: 'application/json' },
       JSON.stringify({ model, pid: process.pid, body }));
}
