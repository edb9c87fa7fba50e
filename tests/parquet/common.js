// Shared helpers for the Parquet interoperability tests (DuckDB through Node).
'use strict';
const path = require('path');
const fs = require('fs');
const os = require('os');
const { execFileSync } = require('child_process');

const duckdb = require(path.join(__dirname, '..', 'node_modules', '@duckdb', 'node-api'));

// splitmix64: a seeded generator so every run sees the same data.
function rng(seed) {
  let s = BigInt.asUintN(64, BigInt(seed));
  const next = () => {
    s = BigInt.asUintN(64, s + 0x9e3779b97f4a7c15n);
    let z = s;
    z = BigInt.asUintN(64, (z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n);
    z = BigInt.asUintN(64, (z ^ (z >> 27n)) * 0x94d049bb133111ebn);
    return z ^ (z >> 31n);
  };
  return {
    u64: next,
    i64: () => BigInt.asIntN(64, next()),
    float: () => Number(next() >> 11n) / 2 ** 53,        // [0, 1)
    int: (n) => Number(next() % BigInt(n)),               // [0, n)
    pick: (arr) => arr[Number(next() % BigInt(arr.length))],
  };
}

function tmpdir() {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'tributary-parquet-'));
}

function run(tool, args) {
  return execFileSync(tool, args, { encoding: 'utf8', maxBuffer: 256 << 20, timeout: 30000 });
}

// Parses one JSON object line, keeping numbers as their source text so 64-bit
// integers and shortest-form doubles are compared exactly.
function parseRawJson(line) {
  let i = 0;
  const ws = () => { while (' \t\r\n'.includes(line[i])) i++; };
  const expect = (c) => { ws(); if (line[i] !== c) throw new Error(`expected ${c} at ${i} in ${line}`); i++; };
  const str = () => {
    ws();
    const start = i;
    if (line[i] !== '"') throw new Error(`expected string at ${i} in ${line}`);
    i++;
    while (line[i] !== '"') { if (line[i] === '\\') i++; i++; if (i > line.length) throw new Error('unterminated'); }
    i++;
    return JSON.parse(line.slice(start, i));
  };
  const value = () => {
    ws();
    if (line[i] === '"') return { kind: 'string', value: str() };
    for (const lit of ['null', 'true', 'false']) {
      if (line.startsWith(lit, i)) { i += lit.length; return { kind: lit }; }
    }
    const m = /^-?[0-9][0-9.eE+-]*/.exec(line.slice(i));
    if (!m) throw new Error(`bad value at ${i} in ${line}`);
    i += m[0].length;
    return { kind: 'number', raw: m[0] };
  };
  const out = {};
  expect('{');
  ws();
  if (line[i] === '}') return out;
  for (;;) {
    const k = str();
    expect(':');
    out[k] = value();
    ws();
    if (line[i] === ',') { i++; continue; }
    expect('}');
    return out;
  }
}

// "2024-05-01T12:00:00.000001Z" -> microseconds as BigInt.
function isoToMicros(s) {
  const m = /^(-?\d{4,})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)\.(\d{6})Z$/.exec(s);
  if (!m) throw new Error(`bad timestamp ${s}`);
  const ms = Date.UTC(2000, Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6]));
  const d = new Date(ms);
  d.setUTCFullYear(Number(m[1]));  // Date.UTC maps years 0..99 to 1900s; 2000 is leap, so Feb 29 survives
  return BigInt(d.getTime()) * 1000n + BigInt(m[7]);
}

function sameNumber(a, b) {
  return (Number.isNaN(a) && Number.isNaN(b)) || Object.is(a, b);
}

function fail(msg) {
  console.error('FAIL: ' + msg);
  process.exit(1);
}

module.exports = { duckdb, rng, tmpdir, run, parseRawJson, isoToMicros, sameNumber, fail };
