// Reading the data lake from integration tests: every object of a local bucket
// (<data-dir>/lake/<bucket>/), gunzipped when its name ends in .gz, split into records.
'use strict';

const fs = require('node:fs');
const path = require('node:path');
const zlib = require('node:zlib');
const { sleep } = require('./harness');

// [{key, full}] for every object under `root` (hidden temporary entries skipped).
function listKeys(root) {
  const out = [];
  const walk = (dir, prefix) => {
    let entries;
    try { entries = fs.readdirSync(dir, { withFileTypes: true }); } catch (_) { return; }
    for (const e of entries) {
      if (e.name.startsWith('.')) continue;
      const full = path.join(dir, e.name);
      const key = prefix ? `${prefix}/${e.name}` : e.name;
      if (e.isDirectory()) walk(full, key);
      else out.push({ key, full });
    }
  };
  walk(root, '');
  return out;
}

const byKey = (a, b) => (a.key < b.key ? -1 : 1);

// [{key, data}] for every object under `root`, in key order.
function listObjects(root) {
  return listKeys(root).map(({ key, full }) => ({ key, data: fs.readFileSync(full) })).sort(byKey);
}

function objectText(object) {
  return (object.key.endsWith('.gz') ? zlib.gunzipSync(object.data) : object.data).toString('utf8');
}

function splitRecords(object) {
  return objectText(object).split('\n').filter((line) => line !== '');
}

// Reads a local bucket as objects appear in it, each object once: the local store renames
// an object into place whole and never changes it, so a long run's lake of millions of
// records is not read again at every look.
class LakeTail {
  constructor(server, bucket, prefix = '') {
    this.root = path.join(server.dataDir, 'lake', bucket);
    this.prefix = prefix;
    this.seen = new Map();  // key -> {key, data, records}
    this.cached = null;     // listing() until new objects arrive
  }

  // The objects that appeared since the last call, in key order, each with its records.
  poll() {
    const fresh = [];
    for (const { key, full } of listKeys(this.root)) {
      if (!key.startsWith(this.prefix) || this.seen.has(key)) continue;
      let data;
      try { data = fs.readFileSync(full); } catch (_) { continue; }  // deleted meanwhile
      const object = { key, data };
      object.records = splitRecords(object);
      this.seen.set(key, object);
      fresh.push(object);
    }
    if (fresh.length) this.cached = null;
    return fresh.sort(byKey);
  }

  // {objects, records} of everything seen so far, in key order.
  listing() {
    if (!this.cached) {
      const objects = [...this.seen.values()].sort(byKey);
      const records = [];
      for (const o of objects) for (const r of o.records) records.push(r);
      this.cached = { objects: objects.map(({ key, data }) => ({ key, data })), records };
    }
    return this.cached;
  }
}

// Newline-separated records of every object under the bucket.
function lakeRecords(server, bucket, prefix = '') {
  const objects = listObjects(path.join(server.dataDir, 'lake', bucket)).filter((o) => o.key.startsWith(prefix));
  const records = [];
  for (const o of objects) for (const line of splitRecords(o)) records.push(line);
  return { objects, records };
}

// Waits until `predicate(lakeRecords(...))` holds; returns the last listing. The last look
// starts after the deadline, so a slow look cannot by itself make the wait fail.
async function waitForLake(server, bucket, predicate, { timeoutMs = 15000, prefix = '', what = 'lake' } = {}) {
  const deadline = Date.now() + timeoutMs;
  const tail = new LakeTail(server, bucket, prefix);
  for (;;) {
    const expired = Date.now() > deadline;
    tail.poll();
    const last = tail.listing();
    if (predicate(last)) return last;
    if (expired) {
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

module.exports = { listObjects, objectText, lakeRecords, waitForLake, LakeTail, firehoseKeyPattern };
