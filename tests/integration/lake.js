// Reading the data lake from integration tests: every object of a local bucket
// (<data-dir>/lake/<bucket>/), gunzipped when its name ends in .gz, split into records.
'use strict';

const fs = require('node:fs');
const path = require('node:path');
const zlib = require('node:zlib');
const { sleep } = require('./harness');

// [{key, data}] for every object under `root` (hidden temporary entries skipped).
function listObjects(root) {
  const out = [];
  const walk = (dir, prefix) => {
    let entries;
    try { entries = fs.readdirSync(dir, { withFileTypes: true }); } catch (_) { return; }
    for (const e of entries) {
      if (e.name.startsWith('.')) continue;
      const full = path.join(dir, e.name);
      const key = prefix ? `${prefix}/${e.name}` : e.name;
      if (e.isDirectory()) walk(full, key);
      else out.push({ key, data: fs.readFileSync(full) });
    }
  };
  walk(root, '');
  return out.sort((a, b) => (a.key < b.key ? -1 : 1));
}

function objectText(object) {
  return (object.key.endsWith('.gz') ? zlib.gunzipSync(object.data) : object.data).toString('utf8');
}

// Newline-separated records of every object under the bucket.
function lakeRecords(server, bucket, prefix = '') {
  const objects = listObjects(path.join(server.dataDir, 'lake', bucket)).filter((o) => o.key.startsWith(prefix));
  const records = [];
  for (const o of objects) {
    for (const line of objectText(o).split('\n')) if (line !== '') records.push(line);
  }
  return { objects, records };
}

// Waits until `predicate(lakeRecords(...))` holds; returns the last listing.
async function waitForLake(server, bucket, predicate, { timeoutMs = 15000, prefix = '', what = 'lake' } = {}) {
  const deadline = Date.now() + timeoutMs;
  let last;
  for (;;) {
    last = lakeRecords(server, bucket, prefix);
    if (predicate(last)) return last;
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}: ${last.objects.length} objects, ` +
                      `${last.records.length} records\n${server.tail(40)}`);
    }
    await sleep(100);
  }
}

// The key the reference's stream writes: YYYY/MM/DD/HH/<stream>-1-yyyy-MM-dd-HH-mm-ss-<uuid>.
function firehoseKeyPattern(stream, prefix = '\\d{4}/\\d{2}/\\d{2}/\\d{2}/', ext = '') {
  return new RegExp(`^${prefix}${stream}-1-\\d{4}-\\d{2}-\\d{2}-\\d{2}-\\d{2}-\\d{2}-[0-9a-f-]{36}${ext}$`);
}

module.exports = { listObjects, objectText, lakeRecords, waitForLake, firehoseKeyPattern };
