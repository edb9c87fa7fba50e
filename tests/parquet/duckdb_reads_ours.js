// Files written by Tributary's Parquet writer, read by DuckDB: a seeded random
// table over every column type (required and optional), with nulls, unicode and
// empty strings, INT64/INT32 extremes, NaN/inf/-0 floats, old/new timestamps and dates,
// decimals of each physical width (INT32, INT64, FIXED_LEN_BYTE_ARRAY) at their extremes,
// for every codec and both encodings / page versions. DuckDB's types and values
// must match exactly, and DuckDB's statistics-based filtering must agree.
//   node duckdb_reads_ours.js path/to/tributary-parquet
'use strict';
const fs = require('fs');
const path = require('path');
const { duckdb, rng, tmpdir, run, sameNumber, fail } = require('./common');

const tool = process.argv[2];
if (!tool) fail('usage: duckdb_reads_ours.js TRIBUTARY_PARQUET');

const TYPES = ['boolean', 'int32', 'int64', 'float', 'double', 'string', 'timestamp', 'date',
  'decimal(4,2)', 'decimal(18,6)', 'decimal(38,10)'];
const DUCK_TYPE = {
  boolean: 'BOOLEAN', int32: 'INTEGER', int64: 'BIGINT', float: 'FLOAT', double: 'DOUBLE',
  string: 'VARCHAR', timestamp: 'TIMESTAMP WITH TIME ZONE', date: 'DATE',
  'decimal(4,2)': 'DECIMAL(4,2)', 'decimal(18,6)': 'DECIMAL(18,6)', 'decimal(38,10)': 'DECIMAL(38,10)',
};
// A decimal type's digits: [precision, scale].
function decimalOf(type) {
  const m = /^decimal\((\d+),(\d+)\)$/.exec(type);
  return m ? [Number(m[1]), Number(m[2])] : null;
}
// An unscaled BigInt as decimal text with every scale digit ("-0.50"), as DuckDB prints it.
function decimalText(unscaled, scale) {
  const neg = unscaled < 0n;
  let digits = (neg ? -unscaled : unscaled).toString().padStart(scale + 1, '0');
  if (scale > 0) digits = digits.slice(0, digits.length - scale) + '.' + digits.slice(digits.length - scale);
  return (neg ? '-' : '') + digits;
}
const COLUMNS = [];
for (const t of TYPES) {
  const base = decimalOf(t) ? `dec${decimalOf(t)[0]}` : t;
  COLUMNS.push({ name: `${base}_req`, type: t, optional: false });
  COLUMNS.push({ name: `${base}_opt`, type: t, optional: true });
}
const ROWS = 300;

const STRINGS = ['', 'a', 'caf\u00e9', '\u2603 snow', 'emoji \u{1F600}\u{1F680}', 'quote " and \\ backslash',
  'tab\tnew\nline', 'nul\u0000byte', '\u65e5\u672c\u8a9e', 'z'.repeat(300), 'A', '\u00ff\u0100'];

function genValue(r, type) {
  const dec = decimalOf(type);
  if (dec) {  // an unscaled BigInt: the extremes, zero, small repeats, any magnitude
    const largest = 10n ** BigInt(dec[0]) - 1n;
    const x = r.int(10);
    if (x === 0) return r.pick([largest, -largest, 0n, -1n, 1n]);
    if (x < 3) return BigInt(r.int(20) - 10);
    const wide = (r.u64() << 64n) | r.u64();
    const v = wide % (10n ** BigInt(1 + r.int(dec[0])));
    return r.int(2) ? v : -v;
  }
  switch (type) {
    case 'boolean': return r.int(2) === 1;
    case 'int32': {
      const x = r.int(10);
      if (x === 0) return r.pick([-2147483648, 2147483647, 0, -1]);
      return Number(BigInt.asIntN(32, r.u64()));
    }
    case 'int64': {
      const x = r.int(10);
      if (x === 0) return r.pick([-(2n ** 63n), 2n ** 63n - 1n, 0n, -1n]);
      if (x < 4) return BigInt(r.int(20));  // repeats, so dictionaries matter
      return r.i64();
    }
    case 'float': {
      const x = r.int(12);
      if (x === 0) return r.pick([NaN, Infinity, -Infinity, -0, 3.4028234663852886e38, 1.401298464324817e-45, -1.1754943508222875e-38]);
      return Math.fround((r.float() - 0.5) * 10 ** r.int(20));
    }
    case 'double': {
      const x = r.int(12);
      if (x === 0) return r.pick([NaN, Infinity, -Infinity, -0, Number.MAX_VALUE, Number.MIN_VALUE, -Number.EPSILON]);
      return (r.float() - 0.5) * 10 ** (r.int(40) - 20);
    }
    case 'string': {
      const x = r.int(4);
      if (x === 0) return 'u' + r.u64().toString(36);  // unique values
      return r.pick(STRINGS);
    }
    case 'timestamp': {
      const x = r.int(10);
      // DuckDB's range: years 1..9999 cover all of these.
      if (x === 0) return r.pick([0n, -1n, -62135596800000000n, 253402300799999999n, 1714564800000001n]);
      return 946684800000000n + BigInt.asIntN(48, r.u64());  // around 2000 +- 4 years
    }
    case 'date': {  // days since 1970-01-01; years 1..9999, leap days and the epoch's edges
      if (r.int(10) === 0) return r.pick([0, -1, -719162, 2932896, 11016, 19723]);
      return r.int(40000) - 10000;
    }
  }
  throw new Error(type);
}

function jsonValue(type, v) {
  if (v === null) return 'null';
  // Decimals go in as exact text, or as JSON numbers when short enough to be exact as doubles.
  const dec = decimalOf(type);
  if (dec) {
    const text = decimalText(v, dec[1]);
    return text.replace(/[-.]/g, '').length <= 15 && v % 2n === 0n ? text : JSON.stringify(text);
  }
  if (typeof v === 'bigint') return v.toString();
  // Dates go in as text half the time and as day numbers the other half.
  if (type === 'date') return v % 2 === 0 ? JSON.stringify(new Date(v * 86400000).toISOString().slice(0, 10)) : String(v);
  if (type === 'float' || type === 'double') {
    if (Number.isNaN(v)) return '"NaN"';
    if (v === Infinity) return '"Infinity"';
    if (v === -Infinity) return '"-Infinity"';
    if (Object.is(v, -0)) return '-0.0';
    return JSON.stringify(v);  // shortest text that reads back to the same double
  }
  return JSON.stringify(v);
}

function genTable(seed) {
  const r = rng(seed);
  const rows = [];
  for (let i = 0; i < ROWS; i++) {
    const row = {};
    for (const c of COLUMNS) row[c.name] = c.optional && r.int(5) === 0 ? null : genValue(r, c.type);
    rows.push(row);
  }
  // One all-null stretch for an optional column, so pages without values occur.
  for (let i = 100; i < 140; i++) rows[i].string_opt = null;
  return rows;
}

function same(type, got, want) {
  if (want === null || got === null) return got === want;
  switch (type) {
    case 'float':
    case 'double': return sameNumber(got, want);
    case 'timestamp': return got && got.micros === want;
    case 'date': return got && got.days === want;
    default:
      if (decimalOf(type)) return got === decimalText(want, decimalOf(type)[1]);  // DuckDB's text
      return got === want;
  }
}

async function main() {
  const dir = tmpdir();
  const inst = await duckdb.DuckDBInstance.create(':memory:');
  const con = await inst.connect();
  const schema = COLUMNS.map(c => `${c.name}:${c.type}${c.optional ? '?' : ''}`).join(',');
  const variants = [];
  for (const codec of ['uncompressed', 'snappy', 'gzip', 'zstd']) {
    variants.push({ codec, args: [] });
    variants.push({ codec, args: ['--no-dictionary', '--data-page-v2', '--page-size', '512'] });
    variants.push({ codec, args: ['--row-group-rows', '64', '--page-size', '256', '--dictionary-limit', '600'] });
  }
  let checked = 0;
  for (let v = 0; v < variants.length; v++) {
    const { codec, args } = variants[v];
    const rows = genTable(1000 + v);
    const jsonl = path.join(dir, `in_${v}.jsonl`);
    fs.writeFileSync(jsonl, rows.map(row => '{' + COLUMNS.map(c =>
      JSON.stringify(c.name) + ':' + jsonValue(c.type, row[c.name])).join(',') + '}').join('\n') + '\n');
    const file = path.join(dir, `out_${v}.parquet`);
    run(tool, ['from-jsonl', '--schema', schema, '--codec', codec, ...args, jsonl, file]);
    const what = `variant ${v} (${codec} ${args.join(' ')})`;

    // Decimals compared as DuckDB prints them (every digit).
    const select = COLUMNS.map(c => decimalOf(c.type) ? `${c.name}::VARCHAR AS ${c.name}` : c.name).join(', ');
    const described = await con.runAndReadAll(`SELECT * FROM read_parquet('${file}') LIMIT 0`);
    const result = await con.runAndReadAll(`SELECT ${select} FROM read_parquet('${file}')`);
    const names = result.columnNames();
    const types = described.columnTypes().map(t => t.toString());
    COLUMNS.forEach((c, i) => {
      if (names[i] !== c.name) fail(`${what}: column ${i} is ${names[i]}, expected ${c.name}`);
      if (types[i] !== DUCK_TYPE[c.type]) fail(`${what}: column ${c.name} is ${types[i]}, expected ${DUCK_TYPE[c.type]}`);
    });
    const got = result.getRows();
    if (got.length !== ROWS) fail(`${what}: DuckDB read ${got.length} rows, expected ${ROWS}`);
    for (let i = 0; i < ROWS; i++) {
      COLUMNS.forEach((c, j) => {
        if (!same(c.type, got[i][j], rows[i][c.name])) {
          fail(`${what}: row ${i} column ${c.name}: DuckDB read ${String(got[i][j] && got[i][j].micros !== undefined ? got[i][j].micros : got[i][j] && got[i][j].days !== undefined ? got[i][j].days : got[i][j])}, wrote ${String(rows[i][c.name])}`);
        }
        checked++;
      });
    }

    const meta = await con.runAndReadAll(
      `SELECT DISTINCT compression FROM parquet_metadata('${file}')`);
    const codecs = meta.getRows().map(r => r[0]);
    if (codecs.length !== 1 || codecs[0] !== codec.toUpperCase()) fail(`${what}: DuckDB sees codecs ${codecs}`);
    const created = await con.runAndReadAll(`SELECT created_by FROM parquet_file_metadata('${file}')`);
    if (created.getRows()[0][0] !== 'tributary version 0.1.0') fail(`${what}: created_by ${created.getRows()[0][0]}`);

    // Filters DuckDB may answer from our statistics (row groups skipped by min/max).
    const vals = rows.map(r => r.int64_opt).filter(x => x !== null).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    const pivot = vals[Math.floor(vals.length / 2)];
    const wantGt = vals.filter(x => x > pivot).length;
    const gotGt = (await con.runAndReadAll(`SELECT count(*) FROM read_parquet('${file}') WHERE int64_opt > ${pivot}`)).getRows()[0][0];
    if (BigInt(gotGt) !== BigInt(wantGt)) fail(`${what}: count(int64_opt > ${pivot}) = ${gotGt}, expected ${wantGt}`);
    const wantStr = rows.filter(r => r.string_req === 'caf\u00e9').length;
    const gotStr = (await con.runAndReadAll(`SELECT count(*) FROM read_parquet('${file}') WHERE string_req = 'caf\u00e9'`)).getRows()[0][0];
    if (BigInt(gotStr) !== BigInt(wantStr)) fail(`${what}: count(string_req = 'café') = ${gotStr}, expected ${wantStr}`);
    const wantNaN = rows.filter(r => r.double_req !== null && r.double_req > 1).length;
    const gotD = (await con.runAndReadAll(`SELECT count(*) FROM read_parquet('${file}') WHERE double_req > 1 AND NOT isnan(double_req)`)).getRows()[0][0];
    if (BigInt(gotD) !== BigInt(wantNaN)) fail(`${what}: count(double_req > 1) = ${gotD}, expected ${wantNaN}`);
    // Decimal statistics (INT64 little-endian, FIXED_LEN_BYTE_ARRAY big-endian): a wrong
    // min or max makes DuckDB skip row groups that hold matches.
    for (const [name, scale] of [['dec4_opt', 2], ['dec18_opt', 6], ['dec38_opt', 10]]) {
      const sorted = rows.map(r => r[name]).filter(x => x !== null).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
      const mid = sorted[Math.floor(sorted.length / 3)];
      const want = sorted.filter(x => x > mid).length;
      const sql = `SELECT count(*) FROM read_parquet('${file}') WHERE ${name} > ${decimalText(mid, scale)}`;
      const gotDec = (await con.runAndReadAll(sql)).getRows()[0][0];
      if (BigInt(gotDec) !== BigInt(want)) fail(`${what}: count(${name} > ${decimalText(mid, scale)}) = ${gotDec}, expected ${want}`);
    }
  }
  fs.rmSync(dir, { recursive: true, force: true });
  console.log(`ok: DuckDB read ${variants.length} files, ${checked} values identical`);
}

main().catch(e => fail(e.stack || String(e)));
