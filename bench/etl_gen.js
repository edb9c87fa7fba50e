// Writes device readings as Firehose-shaped raw objects for the ETL benchmark
// (scripts/bench-etl): JSON Lines under <dir>/YYYY/MM/DD/HH/records-<n>.json, about
// `objectMb` MB each, `totalMb` MB in all. Readings are the reference's pollution payload
// plus a device id, one every second per device, so hours fill up in order.
//   node bench/etl_gen.js DIR TOTAL_MB [OBJECT_MB]
'use strict';

const fs = require('node:fs');
const path = require('node:path');

const [dir, totalArg, objectArg] = process.argv.slice(2);
if (!dir || !totalArg) {
  console.error('usage: etl_gen.js DIR TOTAL_MB [OBJECT_MB]');
  process.exit(2);
}
const total = Number(totalArg) * 1e6;
const perObject = Number(objectArg || 64) * 1e6;
const devices = 50;
let seed = 42;
const rand = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 4294967296);

let written = 0;
let seq = 0;
let object = 0;
const start = Date.parse('2026-11-28T00:00:00Z');
while (written < total) {
  const firstTs = new Date(start + Math.floor(seq / devices) * 1000);
  const hourDir = path.join(dir, firstTs.toISOString().slice(0, 13).replace(/[-T]/g, '/'));
  fs.mkdirSync(hourDir, { recursive: true });
  const lines = [];
  let size = 0;
  while (size < perObject && written + size < total) {
    const ts = new Date(start + Math.floor(seq / devices) * 1000);
    const line = JSON.stringify({
      device: `sensor-${seq % devices}`,
      ozone: Math.round(rand() * 100),
      particulate_matter: Math.round(rand() * 100),
      carbon_monoxide: Math.round(rand() * 100),
      sulfur_dioxide: Math.round(rand() * 100),
      nitrogen_dioxide: Math.round(rand() * 100),
      temperature: Math.round(rand() * 4000) / 100,
      longitude: 10.250786139881143,
      latitude: 56.20251117218925,
      timestamp: ts.toISOString(),
      seq,
    }) + '\n';
    lines.push(line);
    size += line.length;
    seq++;
  }
  fs.writeFileSync(path.join(hourDir, `records-${String(object++).padStart(5, '0')}.json`), lines.join(''));
  written += size;
}
console.log(JSON.stringify({ bytes: written, records: seq, objects: object }));
