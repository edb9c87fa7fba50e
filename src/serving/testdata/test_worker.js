// A model server for the serving tests: speaks the worker protocol (../README.md)
// on stdin/stdout and logs to stderr, like a real one.
//
//   node test_worker.js MODE [ARG]
//   echo             ready, then answers each request with a description of it
//   slow MS          like echo, sleeping MS ms per request
//   stubborn         like echo, but ignores EOF on stdin (to test the kill after the grace)
//   not-ready        says {"ready": false} and exits 1
//   never-ready      logs a line and never says ready
//   ready-once FILE  like echo the first time; not ready when FILE already exists
//
// Bodies with a meaning in every mode: "crash" exits 3, "sleep:MS" sleeps first,
// "bad-id" answers with the wrong id, "garbage" prints a non-JSON line,
// "stderr:TEXT" logs TEXT, "status:N" answers status N with an error,
// "spawn-child" starts `sleep 1000` and answers its pid.
'use strict';
const fs = require('fs');
const { spawn } = require('child_process');

const [mode, arg] = process.argv.slice(2);
const perRequestMs = mode === 'slow' ? Number(arg) : 0;
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const send = (header, body = '') => {
  const bytes = Buffer.from(body);
  process.stdout.write(JSON.stringify({ ...header, length: bytes.length }) + '\n');
  if (bytes.length) process.stdout.write(bytes);
};

async function answer(header, body) {
  const text = body.toString();
  if (perRequestMs) await sleep(perRequestMs);
  if (text === 'crash') {
    process.stderr.write('crashing on purpose\n');
    process.exit(3);
  }
  if (text.startsWith('sleep:')) await sleep(Number(text.slice(6)));
  if (text.startsWith('stderr:')) process.stderr.write(text.slice(7) + '\n');
  if (text === 'garbage') return process.stdout.write('this is not a header\n');
  if (text === 'bad-id') return send({ id: header.id + 1, status: 200 });
  if (text.startsWith('status:')) {
    return send({ id: header.id, status: Number(text.slice(7)), error: 'the test asked for it' });
  }
  const reply = {
    id: header.id, content_type: header.content_type, accept: header.accept,
    inference_config: header.inference_config ?? null, body: text, pid: process.pid,
    model_dir: process.env.TRIBUTARY_MODEL_DIR ?? null,
  };
  if (text === 'spawn-child') reply.child = spawn('sleep', ['1000'], { stdio: 'ignore' }).pid;
  send({ id: header.id, status: 200, content_type: 'application/json' }, JSON.stringify(reply));
}

async function serve() {
  let buffered = Buffer.alloc(0);
  let wake = null;
  let ended = false;
  process.stdin.on('data', (chunk) => {
    buffered = Buffer.concat([buffered, chunk]);
    if (wake) wake();
  });
  process.stdin.on('end', () => {
    ended = true;
    if (wake) wake();
  });
  const more = () => new Promise((resolve) => { wake = resolve; });
  for (;;) {
    const newline = buffered.indexOf(10);
    if (newline >= 0) {
      const header = JSON.parse(buffered.subarray(0, newline).toString());
      while (buffered.length < newline + 1 + header.length && !ended) await more();
      const body = buffered.subarray(newline + 1, newline + 1 + header.length);
      buffered = buffered.subarray(newline + 1 + header.length);
      await answer(header, body);
      continue;
    }
    if (ended) {
      if (mode === 'stubborn') return setInterval(() => {}, 1000);
      process.stderr.write('stdin closed, exiting\n');
      return process.exit(0);
    }
    await more();
  }
}

process.stderr.write(`loading model (mode ${mode})\n`);
if (mode === 'not-ready') {
  send({ ready: false, error: 'no model.pt in the artifact' });
  process.exit(1);
} else if (mode === 'never-ready') {
  setInterval(() => {}, 1000);
} else if (mode === 'ready-once' && fs.existsSync(arg)) {
  send({ ready: false, error: 'already started once' });
  process.exit(1);
} else {
  if (mode === 'ready-once') fs.writeFileSync(arg, 'started');
  send({ ready: true, info: { prediction_length: 3, pid: process.pid } });
  serve();
}
