// Nested columns (struct, list, map, list of list, struct inside list, map inside list,
// list inside map) between Tributary's Parquet writer/reader and DuckDB, both ways:
//  1. Ours -> DuckDB: seeded random rows (null rows, empty lists and maps, null elements
//     and map values, unicode strings, missing / reordered / differently cased / unknown
//     struct keys, long lists across pages, several row groups, small pages) written by
//     `from-jsonl` for snappy and uncompressed, data pages V1 and V2. DuckDB must see the
//     standard layout (3-level LIST list/element, MAP key_value/key/value), DESCRIBE the
//     columns as the expected STRUCT/LIST/MAP types, and read every value as the input
//     says (compared through DuckDB's to_json); our own `cat` must read the same.
//  2. DuckDB -> ours: DuckDB writes the same kinds of columns over a few thousand rows
//     (V1 and V2 pages, several row groups); `schema` must name the nested types and
//     every value `cat` prints must equal what DuckDB itself reads from that file.
// Values are compared as canonical trees built with the column's type: 64-bit integers
// and decimals exactly (BigInt), doubles by value (NaN, -0, inf included), floats at
// float precision, timestamps in microseconds, struct fields in schema order. Map
// entries: in file order when reading DuckDB's files; in key order for files written
// by from-jsonl, which takes a map from a JSON object and writes its entries by key.
//   node duckdb_nested.js path/to/tributary-parquet
'use strict';
const fs = require('fs');
const path = require('path');
const { duckdb, rng, tmpdir, run, isoToMicros, fail } = require('./common');

const tool = process.argv[2];
if (!tool) fail('usage: duckdb_nested.js TRIBUTARY_PARQUET');

// ---------------------------------------------------------------------------------------
// Types, in schema text's syntax: struct<a:int64,b:list<string>>, list<T>, map<K,V>.

function splitTop(text, sep) {
  const parts = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '<' || c === '(') depth++;
    else if (c === '>' || c === ')') depth--;
    else if (c === sep && depth === 0) { parts.push(text.slice(start, i)); start = i + 1; }
  }
  parts.push(text.slice(start));
  return parts;
}

function parseType(text) {
  let m;
  if ((m = /^struct<(.*)>$/.exec(text))) {
    return {
      kind: 'struct',
      fields: splitTop(m[1], ',').map(f => {
        const colon = f.indexOf(':');
        return [f.slice(0, colon), parseType(f.slice(colon + 1))];
      }),
    };
  }
  if ((m = /^list<(.*)>$/.exec(text))) return { kind: 'list', elem: parseType(m[1]) };
  if ((m = /^map<(.*)>$/.exec(text))) {
    const [k, v] = splitTop(m[1], ',');
    return { kind: 'map', key: parseType(k), value: parseType(v) };
  }
  if ((m = /^decimal\((\d+),(\d+)\)$/.exec(text))) return { kind: 'prim', name: 'decimal', p: +m[1], s: +m[2] };
  if (['boolean', 'int32', 'int64', 'float', 'double', 'string', 'timestamp', 'date'].includes(text)) {
    return { kind: 'prim', name: text };
  }
  throw new Error(`unknown type ${text}`);
}

function parseSchema(text) {
  return splitTop(text, ',').map(c => {
    const colon = c.indexOf(':');
    const optional = c.endsWith('?');
    const typeText = c.slice(colon + 1, optional ? -1 : undefined);
    return { name: c.slice(0, colon), typeText, type: parseType(typeText), optional };
  });
}

const DUCK_PRIM = {
  boolean: 'BOOLEAN', int32: 'INTEGER', int64: 'BIGINT', float: 'FLOAT', double: 'DOUBLE',
  string: 'VARCHAR', timestamp: 'TIMESTAMP WITH TIME ZONE', date: 'DATE',
};
// The type as DuckDB's DESCRIBE prints it.
function duckType(t) {
  switch (t.kind) {
    case 'prim': return t.name === 'decimal' ? `DECIMAL(${t.p},${t.s})` : DUCK_PRIM[t.name];
    case 'list': return duckType(t.elem) + '[]';
    case 'map': return `MAP(${duckType(t.key)}, ${duckType(t.value)})`;
    case 'struct': return `STRUCT(${t.fields.map(([n, f]) => `${n} ${duckType(f)}`).join(', ')})`;
  }
  throw new Error(t.kind);
}

// The standard layout as parquet_schema() lists it (pre-order): name, repetition,
// children, converted type of groups. Struct fields, list elements and map values
// optional; map keys required.
function layoutOf(name, t, repetition, out) {
  switch (t.kind) {
    case 'prim': out.push(`${name} ${repetition} leaf`); break;
    case 'struct':
      out.push(`${name} ${repetition} group(${t.fields.length})`);
      for (const [n, f] of t.fields) layoutOf(n, f, 'OPTIONAL', out);
      break;
    case 'list':
      out.push(`${name} ${repetition} group(1) LIST`);
      out.push('list REPEATED group(1)');
      layoutOf('element', t.elem, 'OPTIONAL', out);
      break;
    case 'map':
      out.push(`${name} ${repetition} group(1) MAP`);
      out.push('key_value REPEATED group(2)');
      layoutOf('key', t.key, 'REQUIRED', out);
      layoutOf('value', t.value, 'OPTIONAL', out);
      break;
  }
  return out;
}

// ---------------------------------------------------------------------------------------
// JSON text to a tree that keeps numbers as their text and objects' keys in order (and
// duplicates). Accepts DuckDB's to_json spellings NaN, Infinity and -Infinity.
//   {k:'null'} {k:'true'} {k:'false'} {k:'num', raw} {k:'str', v} {k:'arr', v:[...]}
//   {k:'obj', v:[[key, node], ...]}

function parseJson(text) {
  let i = 0;
  const ws = () => { while (i < text.length && ' \t\r\n'.includes(text[i])) i++; };
  const bad = (what) => { throw new Error(`${what} at ${i} in ${text}`); };
  const str = () => {
    const start = i;
    i++;
    while (text[i] !== '"') { if (i >= text.length) bad('unterminated string'); if (text[i] === '\\') i++; i++; }
    i++;
    return JSON.parse(text.slice(start, i));
  };
  const value = () => {
    ws();
    const c = text[i];
    if (c === '"') return { k: 'str', v: str() };
    if (c === '[') {
      i++;
      const v = [];
      ws();
      if (text[i] === ']') { i++; return { k: 'arr', v }; }
      for (;;) {
        v.push(value());
        ws();
        if (text[i] === ',') { i++; continue; }
        if (text[i] === ']') { i++; return { k: 'arr', v }; }
        bad('expected , or ]');
      }
    }
    if (c === '{') {
      i++;
      const v = [];
      ws();
      if (text[i] === '}') { i++; return { k: 'obj', v }; }
      for (;;) {
        ws();
        if (text[i] !== '"') bad('expected key');
        const key = str();
        ws();
        if (text[i] !== ':') bad('expected :');
        i++;
        v.push([key, value()]);
        ws();
        if (text[i] === ',') { i++; continue; }
        if (text[i] === '}') { i++; return { k: 'obj', v }; }
        bad('expected , or }');
      }
    }
    for (const lit of ['null', 'true', 'false']) {
      if (text.startsWith(lit, i)) { i += lit.length; return { k: lit }; }
    }
    for (const lit of ['NaN', 'Infinity', '-Infinity']) {
      if (text.startsWith(lit, i)) { i += lit.length; return { k: 'num', raw: lit }; }
    }
    const m = /^-?[0-9][0-9.eE+-]*/.exec(text.slice(i, i + 64));
    if (!m) bad('bad value');
    i += m[0].length;
    return { k: 'num', raw: m[0] };
  };
  const v = value();
  ws();
  if (i !== text.length) bad('trailing text');
  return v;
}

// ---------------------------------------------------------------------------------------
// Canonical values: null, a leaf's text, an array (list), or {entries: [[key, value]]}
// (struct fields in schema order, map entries in order). `input` reads a value as
// from-jsonl does (missing struct members null, unknown keys dropped, keys matched
// without regard to case when no exact match, numbers for timestamps and dates, text
// for decimals); otherwise the value must be exactly what a reader prints.

function canonFloat(x, isFloat) {
  if (isFloat) x = Math.fround(x);
  if (Number.isNaN(x)) return 'NaN';
  if (Object.is(x, -0)) return '-0';
  return String(x);
}

// "2024-05-01T12:00:00.000001Z" (ours) or "2024-05-01 12:00:00.000001+00" (DuckDB).
function timestampMicros(s) {
  const m = /^(-?\d{4,}-\d\d-\d\d)[T ](\d\d:\d\d:\d\d)(?:\.(\d{1,6}))?(Z|\+00(?::00)?)$/.exec(s);
  if (!m) throw new Error(`bad timestamp ${JSON.stringify(s)}`);
  return isoToMicros(`${m[1]}T${m[2]}.${(m[3] || '').padEnd(6, '0')}Z`);
}

// "-12.3" at scale 2 -> "-1230"; more fraction digits than the scale must be zeros.
function decimalUnscaled(text, scale) {
  const m = /^(-?)(\d+)(?:\.(\d*))?$/.exec(text);
  if (!m) throw new Error(`bad decimal ${text}`);
  let frac = m[3] || '';
  if (frac.length > scale) {
    if (!/^0*$/.test(frac.slice(scale))) throw new Error(`decimal ${text} has more than ${scale} digits`);
    frac = frac.slice(0, scale);
  }
  const v = BigInt(m[2] + frac.padEnd(scale, '0'));
  return (m[1] ? -v : v).toString();
}

function leaf(t, n, input) {
  const wrong = () => { throw new Error(`not a ${t.name}: ${JSON.stringify(n)}`); };
  switch (t.name) {
    case 'boolean': return n.k === 'true' || n.k === 'false' ? n.k : wrong();
    case 'int32':
    case 'int64': return n.k === 'num' && /^-?\d+$/.test(n.raw) ? BigInt(n.raw).toString() : wrong();
    case 'float':
    case 'double': {
      const special = { NaN: NaN, Infinity: Infinity, '-Infinity': -Infinity };
      if (n.k === 'num') return canonFloat(Number(n.raw), t.name === 'float');
      if (n.k === 'str' && n.v in special) return canonFloat(special[n.v], t.name === 'float');
      return wrong();
    }
    case 'string': return n.k === 'str' ? n.v : wrong();
    case 'timestamp':
      if (input && n.k === 'num') return BigInt(n.raw).toString();
      return n.k === 'str' ? timestampMicros(n.v).toString() : wrong();
    case 'date':
      if (input && n.k === 'num') return new Date(Number(n.raw) * 86400000).toISOString().slice(0, 10);
      return n.k === 'str' && /^\d{4}-\d\d-\d\d$/.test(n.v) ? n.v : wrong();
    case 'decimal':
      if (n.k === 'num' || (input && n.k === 'str')) return decimalUnscaled(n.k === 'num' ? n.raw : n.v, t.s);
      return wrong();
  }
  throw new Error(t.name);
}

// sortMaps: map entries in key order, for files written from JSON objects, whose key
// order from-jsonl does not keep (it writes a map's entries sorted by key).
function canon(t, n, input, sortMaps = false) {
  if (n === null || n.k === 'null') return null;
  switch (t.kind) {
    case 'prim': return leaf(t, n, input);
    case 'list':
      if (n.k !== 'arr') throw new Error(`not a list: ${JSON.stringify(n)}`);
      return n.v.map(e => canon(t.elem, e, input, sortMaps));
    case 'map': {
      if (n.k !== 'obj') throw new Error(`not a map: ${JSON.stringify(n)}`);
      const entries = n.v.map(([k, v]) => [leaf(t.key, t.key.name === 'string' ? { k: 'str', v: k } : parseJson(k), input),
                                           canon(t.value, v, input, sortMaps)]);
      if (sortMaps) entries.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
      return { entries };
    }
    case 'struct': {
      if (n.k !== 'obj') throw new Error(`not a struct: ${JSON.stringify(n)}`);
      if (!input) {
        const names = n.v.map(([k]) => k).join(',');
        const want = t.fields.map(([f]) => f).join(',');
        if (names !== want) throw new Error(`struct fields ${names}, expected ${want}`);
        return { entries: t.fields.map(([f, ft], i) => [f, canon(ft, n.v[i][1], input, sortMaps)]) };
      }
      return {
        entries: t.fields.map(([f, ft]) => {
          let hit = n.v.find(([k]) => k === f);
          if (!hit) hit = n.v.find(([k]) => k.toLowerCase() === f.toLowerCase());
          return [f, hit ? canon(ft, hit[1], input, sortMaps) : null];
        }),
      };
    }
  }
  throw new Error(t.kind);
}

// The first place two canonical values differ, or null.
function diff(a, b, where) {
  const show = (x) => JSON.stringify(x === undefined ? '(absent)' : x);
  if (a === null || b === null || typeof a === 'string' || typeof b === 'string') {
    return a === b ? null : `${where || 'value'}: ${show(a)} vs ${show(b)}`;
  }
  if (Array.isArray(a) !== Array.isArray(b)) return `${where || 'value'}: ${show(a)} vs ${show(b)}`;
  const ea = Array.isArray(a) ? a : a.entries;
  const eb = Array.isArray(b) ? b : b.entries;
  if (ea.length !== eb.length) return `${where || 'value'}: ${ea.length} vs ${eb.length} entries (${show(a)} vs ${show(b)})`;
  for (let i = 0; i < ea.length; i++) {
    if (Array.isArray(a)) {
      const d = diff(ea[i], eb[i], `${where}[${i}]`);
      if (d) return d;
    } else {
      if (ea[i][0] !== eb[i][0]) return `${where || 'value'}: key ${i} ${show(ea[i][0])} vs ${show(eb[i][0])}`;
      const d = diff(ea[i][1], eb[i][1], `${where}{${ea[i][0]}}`);
      if (d) return d;
    }
  }
  return null;
}

// ---------------------------------------------------------------------------------------
// 1. Ours -> DuckDB.

const OURS_SCHEMA = [
  'id:int64',
  'loc:struct<lat:double,lon:double,tags:list<string>>?',
  'attrs:map<string,int64>?',
  'm:list<list<int32>>?',
  'pts:list<struct<x:int64,y:string>>?',
  'req:struct<a:int32,b:list<int64>>',
  'misc:struct<f:float,ok:boolean,t:timestamp,d:date,amount:decimal(18,6),n:double>?',
  'deep:map<string,list<struct<k:string,v:list<double>>>>?',
  'lm:list<map<string,int64>>?',
  'codes:map<int32,string>?',
  'rl:list<string>',
  'ms:map<string,struct<a:int32,b:list<boolean>>>?',
].join(',');
const OURS_COLUMNS = parseSchema(OURS_SCHEMA);
const ROWS = 2000;

const STRINGS = ['', 'a', 'caf\u00e9', '\u2603 snow', 'emoji \u{1F600}\u{1F680}', 'quote " and \\ backslash',
  'tab\tnew\nline', 'nul\u0000byte', '\u65e5\u672c\u8a9e', 'z'.repeat(120), '\u00ff\u0100', 'null', '[1,2]'];
const INT64_EDGES = [-(2n ** 63n), 2n ** 63n - 1n, 0n, -1n];

// JSON text for generated values: BigInt as integers, {raw} as written, objects as
// [[key, value], ...] pairs (so key order, case and unknown keys are up to the generator).
function text(v) {
  if (v === null) return 'null';
  if (typeof v === 'bigint') return v.toString();
  if (typeof v === 'boolean') return String(v);
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'number') {
    if (Number.isNaN(v)) return '"NaN"';
    if (v === Infinity) return '"Infinity"';
    if (v === -Infinity) return '"-Infinity"';
    if (Object.is(v, -0)) return '-0.0';
    return JSON.stringify(v);
  }
  if (v.raw !== undefined) return v.raw;
  if (v.pairs) return '{' + v.pairs.map(([k, x]) => JSON.stringify(k) + ':' + text(x)).join(',') + '}';
  if (Array.isArray(v)) return '[' + v.map(text).join(',') + ']';
  throw new Error('cannot write ' + String(v));
}

function generator(seed) {
  const r = rng(seed);
  const maybe = (odds, f) => (r.int(odds) === 0 ? null : f());
  const str = () => (r.int(3) === 0 ? 'u' + r.u64().toString(36) : r.pick(STRINGS));
  const i64 = () => (r.int(8) === 0 ? r.pick(INT64_EDGES) : r.int(3) === 0 ? BigInt(r.int(20)) : r.i64());
  const i32 = () => (r.int(10) === 0 ? r.pick([-2147483648n, 2147483647n, 0n]) : BigInt(r.int(2000001) - 1000000));
  const dbl = () => (r.int(15) === 0 ? r.pick([NaN, Infinity, -Infinity, -0, Number.MAX_VALUE, Number.MIN_VALUE])
                                     : (r.float() - 0.5) * 10 ** (r.int(30) - 15));
  // A list: null, empty, short, and (when `long`) now and then long enough to span pages.
  const list = (f, { nullOdds = 6, long = false } = {}) => {
    const x = r.int(20);
    if (x === 0) return null;
    if (x === 1) return [];
    const n = x === 2 && long ? 150 + r.int(250) : r.int(6);
    const out = [];
    for (let i = 0; i < n; i++) out.push(r.int(nullOdds) === 0 ? null : f());
    return out;
  };
  // A map with unique keys: null, empty, or a few entries with some null values.
  const map = (key, value) => {
    const x = r.int(10);
    if (x === 0) return null;
    if (x === 1) return { pairs: [] };
    const seen = new Set();
    const pairs = [];
    for (let i = r.int(6); i > 0; i--) {
      const k = key();
      if (seen.has(k)) continue;
      seen.add(k);
      pairs.push([k, r.int(6) === 0 ? null : value()]);
    }
    return { pairs };
  };
  // A struct: each field present, null or missing; keys shuffled now and then, an
  // unknown key or a differently cased key sometimes.
  const struct = (fields) => {
    const pairs = [];
    for (const [name, f] of fields) {
      const x = r.int(8);
      if (x === 0) continue;
      let key = name;
      if (x === 1 && !fields.some(([other]) => other !== name && other.toLowerCase() === name.toLowerCase())) {
        key = name.toUpperCase();
      }
      pairs.push([key, x === 2 ? null : f()]);
    }
    if (r.int(5) === 0) pairs.reverse();
    if (r.int(7) === 0) pairs.splice(r.int(pairs.length + 1), 0, ['unknown_key', r.int(2) ? str() : [1, 2]]);
    return { pairs };
  };
  const micros = () => (r.int(5) === 0 ? r.pick([0n, -1n, 1714564800000001n, -62135596800000000n])
                                       : 946684800000000n + BigInt.asIntN(46, r.u64()));
  const isoOf = (us) => {
    const ms = us / 1000n - (us % 1000n < 0n ? 1n : 0n);
    const frac = ((us % 1000000n) + 1000000n) % 1000000n;
    return new Date(Number(ms)).toISOString().slice(0, 19) + '.' + frac.toString().padStart(6, '0') + 'Z';
  };
  const decimal = () => {
    const v = BigInt.asIntN(64, r.u64()) % (10n ** BigInt(1 + r.int(18)));
    const neg = v < 0n;
    let digits = (neg ? -v : v).toString().padStart(7, '0');
    digits = digits.slice(0, -6) + '.' + digits.slice(-6);
    const t = (neg ? '-' : '') + digits;
    // As a JSON string (digit for digit), or as a JSON number when exact as a double
    // (from-jsonl reads a number with a fraction through its double).
    return r.int(2) || digits.length > 16 ? t : { raw: t };
  };

  return (i) => ({
    id: BigInt(i),
    loc: maybe(6, () => struct([['lat', dbl], ['lon', dbl], ['tags', () => list(str, { long: true })]])),
    attrs: map(() => (r.int(2) ? str() : 'k' + r.int(40)), i64),
    m: list(() => list(i32, { nullOdds: 5 }), { nullOdds: 5, long: true }),
    pts: list(() => struct([['x', i64], ['y', str]]), { long: true }),
    req: struct([['a', i32], ['b', () => list(i64, { long: true })]]),
    misc: maybe(5, () => struct([
      ['f', () => Math.fround((r.float() - 0.5) * 10 ** r.int(12))],
      ['ok', () => r.int(2) === 1],
      ['t', () => { const us = micros(); return r.int(2) ? isoOf(us) : us; }],
      ['d', () => { const d = r.int(40000) - 10000; return r.int(2) ? new Date(d * 86400000).toISOString().slice(0, 10) : BigInt(d); }],
      ['amount', decimal],
      ['n', dbl]])),
    deep: map(() => str() + r.int(9), () => list(() => struct([['k', str], ['v', () => list(dbl)]]))),
    lm: list(() => map(() => 'k' + r.int(10), i64)),
    codes: map(() => String(r.int(200001) - 100000), str),
    rl: list(str, { long: true }) || [],
    ms: map(str, () => struct([['a', i32], ['b', () => list(() => r.int(2) === 1, { long: true })]])),
  });
}

async function oursToDuckdb(con, dir) {
  const variants = [
    { codec: 'snappy', args: [] },
    { codec: 'snappy', args: ['--data-page-v2'] },
    { codec: 'uncompressed', args: [] },
    { codec: 'uncompressed', args: ['--data-page-v2', '--dictionary-limit', '600'] },
    { codec: 'snappy', args: ['--data-page-v2', '--no-dictionary'] },
  ];
  let checked = 0;
  for (let v = 0; v < variants.length; v++) {
    const { codec, args } = variants[v];
    const what = `ours->DuckDB variant ${v} (${[codec, ...args].join(' ')})`;
    const gen = generator(7000 + v);
    const lines = [];
    for (let i = 0; i < ROWS; i++) {
      const row = gen(i);
      lines.push('{' + OURS_COLUMNS.map(c => JSON.stringify(c.name) + ':' + text(row[c.name])).join(',') + '}');
    }
    // What each value must read back as: the input line, read as from-jsonl reads it.
    const expected = lines.map((line, i) => {
      const obj = parseJson(line).v;
      return OURS_COLUMNS.map((c, j) => {
        try {
          return canon(c.type, obj[j][1], true, true);
        } catch (e) {
          throw new Error(`${what}: row ${i} column ${c.name}: cannot read the input ${line}: ${e.message}`);
        }
      });
    });
    const jsonl = path.join(dir, `ours_${v}.jsonl`);
    fs.writeFileSync(jsonl, lines.join('\n') + '\n');
    const file = path.join(dir, `ours_${v}.parquet`);
    run(tool, ['from-jsonl', '--schema', OURS_SCHEMA, '--codec', codec, '--row-group-rows', '600',
               '--page-size', '1024', ...args, jsonl, file]);

    // Several row groups, chunks well past the page size (so many pages), the codec asked for.
    const groups = (await con.runAndReadAll(
      `SELECT count(DISTINCT row_group_id), max(total_uncompressed_size), list(DISTINCT compression)
       FROM parquet_metadata('${file}')`)).getRows()[0];
    if (Number(groups[0]) < 3) fail(`${what}: ${groups[0]} row groups, expected at least 3`);
    if (Number(groups[1]) < 8 * 1024) fail(`${what}: largest chunk ${groups[1]} bytes; pages of 1024 bytes need more`);
    const codecs = groups[2].items;
    if (codecs.length !== 1 || codecs[0] !== codec.toUpperCase()) fail(`${what}: DuckDB sees codecs ${codecs}`);

    // The standard nested layout.
    const layout = (await con.runAndReadAll(
      `SELECT name, repetition_type, num_children, converted_type FROM parquet_schema('${file}')`)).getRows()
      .slice(1).map(([n, rep, kids, conv]) =>
        `${n} ${rep} ${kids === null ? 'leaf' : `group(${kids})`}${conv === 'LIST' || conv === 'MAP' ? ' ' + conv : ''}`);
    const wantLayout = [];
    for (const c of OURS_COLUMNS) layoutOf(c.name, c.type, c.optional ? 'OPTIONAL' : 'REQUIRED', wantLayout);
    for (let k = 0; k < Math.max(layout.length, wantLayout.length); k++) {
      if (layout[k] !== wantLayout[k]) {
        fail(`${what}: schema element ${k + 1} is '${layout[k]}', expected '${wantLayout[k]}' (layout ${JSON.stringify(layout)})`);
      }
    }

    // DuckDB's types.
    const described = (await con.runAndReadAll(`DESCRIBE SELECT * FROM read_parquet('${file}')`)).getRows();
    if (described.length !== OURS_COLUMNS.length) fail(`${what}: DuckDB sees ${described.length} columns`);
    OURS_COLUMNS.forEach((c, j) => {
      const want = c.type.kind === 'prim' ? DUCK_PRIM[c.type.name] : duckType(c.type);
      if (described[j][0] !== c.name || described[j][1] !== want) {
        fail(`${what}: DuckDB describes column ${j} as ${described[j][0]} ${described[j][1]}, expected ${c.name} ${want}`);
      }
    });

    // DuckDB's values, through to_json.
    const select = OURS_COLUMNS.map(c => (c.type.kind === 'prim' ? `${c.name}::VARCHAR` : `to_json(${c.name})::VARCHAR`));
    const got = (await con.runAndReadAll(`SELECT ${select.join(', ')} FROM read_parquet('${file}')`)).getRows();
    if (got.length !== ROWS) fail(`${what}: DuckDB read ${got.length} rows, expected ${ROWS}`);
    for (let i = 0; i < ROWS; i++) {
      if (got[i][0] !== String(i)) fail(`${what}: DuckDB's row ${i} has id ${got[i][0]}`);
      for (let j = 1; j < OURS_COLUMNS.length; j++) {
        const c = OURS_COLUMNS[j];
        let value;
        try {
          value = got[i][j] === null ? null : canon(c.type, parseJson(got[i][j]), false, true);
        } catch (e) {
          fail(`${what}: row ${i} column ${c.name}: DuckDB's ${got[i][j]} does not fit ${c.typeText}: ${e.message}`);
        }
        const d = diff(value, expected[i][j], c.name);
        if (d) fail(`${what}: row ${i} column ${c.name}: DuckDB read vs wrote: ${d}\n  input:  ${lines[i]}\n  DuckDB: ${got[i][j]}`);
        checked++;
      }
    }

    // Our own reader agrees.
    const ours = run(tool, ['cat', file]).split('\n').filter(l => l.length > 0);
    if (ours.length !== ROWS) fail(`${what}: cat printed ${ours.length} rows, expected ${ROWS}`);
    for (let i = 0; i < ROWS; i++) {
      const obj = parseJson(ours[i]).v;
      if (obj.map(([k]) => k).join(',') !== OURS_COLUMNS.map(c => c.name).join(',')) fail(`${what}: cat row ${i} keys: ${ours[i]}`);
      OURS_COLUMNS.forEach((c, j) => {
        let value;
        try {
          value = canon(c.type, obj[j][1], false, true);
        } catch (e) {
          fail(`${what}: row ${i} column ${c.name}: cat printed ${ours[i]}, which does not fit ${c.typeText}: ${e.message}`);
        }
        const d = diff(value, expected[i][j], c.name);
        if (d) fail(`${what}: row ${i} column ${c.name}: cat read vs wrote: ${d}\n  input: ${lines[i]}\n  cat:   ${ours[i]}`);
      });
    }
  }
  return checked;
}

// ---------------------------------------------------------------------------------------
// 2. DuckDB -> ours.

const DUCK_ROWS = 4000;
const DUCK_TABLE = `
CREATE TABLE n AS SELECT
  i::BIGINT AS id,
  CASE WHEN i % 11 = 0 THEN NULL ELSE {
    'a': CASE WHEN i % 7 = 0 THEN NULL WHEN i = 1 THEN -2147483648 WHEN i = 2 THEN 2147483647
              ELSE (hash(i) % 100000)::INTEGER - 50000 END,
    'b': CASE WHEN i % 5 = 0 THEN NULL WHEN i % 5 = 1 THEN 'caf\u00e9 \u2603 \u{1F600}'
              WHEN i % 5 = 2 THEN '' ELSE 'v' || (hash(i * 3) % 50)::VARCHAR END,
    'c': CASE WHEN i % 13 = 0 THEN NULL
              ELSE list_transform(range((i % 4)::BIGINT), lambda j: CASE WHEN j = 2 THEN NULL ELSE (i * 10 + j) / 8.0 END)::DOUBLE[] END
  } END AS s,
  CASE WHEN i % 9 = 0 THEN NULL
       ELSE list_transform(range(CASE WHEN i % 97 = 5 THEN 700 ELSE (hash(i * 5) % 6)::BIGINT END),
              lambda j: CASE WHEN (i + j) % 7 = 3 THEN NULL WHEN j % 3 = 1 THEN '\u65e5\u672c\u8a9e ' || j::VARCHAR
                             WHEN j % 5 = 4 THEN '' WHEN j = 7 THEN 'nul' || chr(0) || chr(1) || 'ctl' ELSE 's' || (i * j)::VARCHAR || ' "q" \\ \t' END) END AS l,
  CASE WHEN i % 10 = 0 THEN NULL
       ELSE map_from_entries(list_transform(range((i % 5)::BIGINT), lambda j: {
              'k': 'key' || (4 - j)::VARCHAR || CASE WHEN j = 1 THEN ' \u00fc' ELSE '' END,
              'v': CASE WHEN j = 2 THEN NULL WHEN i = 3 THEN -9223372036854775808 WHEN i = 4 THEN 9223372036854775807
                        ELSE (hash(i * 7 + j) >> 1)::BIGINT END})) END AS mp,
  CASE WHEN i % 8 = 0 THEN NULL
       ELSE map_from_entries(list_transform(range((i % 3)::BIGINT), lambda j: {'k': ((1 - j) * 100000 + i)::INTEGER, 'v': CASE WHEN j = 1 THEN NULL ELSE 'x' || j::VARCHAR END})) END AS mi,
  CASE WHEN i % 12 = 0 THEN NULL
       ELSE list_transform(range((i % 4)::BIGINT), lambda j: CASE WHEN j = 1 AND i % 3 = 0 THEN NULL
              ELSE list_transform(range(((i + j) % 4)::BIGINT), lambda k: CASE WHEN k = 2 THEN NULL ELSE (i * k - j)::INTEGER END) END) END AS ll,
  CASE WHEN i % 18 = 0 THEN NULL
       ELSE list_transform(range((hash(i * 11) % 12)::BIGINT), lambda j: CASE WHEN j % 5 = 4 THEN NULL ELSE hash(i + j) % 3 = 0 END) END AS lb,
  CASE WHEN i % 14 = 0 THEN NULL
       ELSE list_transform(range((i % 4)::BIGINT), lambda j: CASE WHEN j = 2 THEN NULL
              ELSE {'x': CASE WHEN j = 1 AND i % 2 = 0 THEN NULL ELSE (i * 100 + j)::BIGINT END,
                    'y': CASE WHEN j = 3 THEN NULL ELSE 'p' || j::VARCHAR || '\u00e9' END} END) END AS sl,
  CASE WHEN i % 16 = 0 THEN NULL ELSE {
    'f': CASE WHEN i % 17 = 0 THEN NULL ELSE (i % 100)::FLOAT / 8 END,
    'ok': CASE WHEN i % 19 = 0 THEN NULL ELSE i % 3 = 0 END,
    't': CASE WHEN i % 6 = 0 THEN NULL ELSE make_timestamp(1700000000000000 + i * 1000001)::TIMESTAMPTZ END,
    'd': CASE WHEN i % 23 = 0 THEN NULL ELSE DATE '1969-12-25' + (i * 37)::INTEGER END,
    'amount': CASE WHEN i % 29 = 0 THEN NULL ELSE (((hash(i) % 2000000000)::BIGINT - 1000000000) / 1000)::DECIMAL(18,3) END,
    'n': CASE WHEN i = 1 THEN 'nan'::DOUBLE WHEN i = 2 THEN 'inf'::DOUBLE WHEN i = 3 THEN '-inf'::DOUBLE
              WHEN i = 5 THEN '-0.0'::DOUBLE WHEN i % 31 = 0 THEN NULL ELSE i / 3.0 END
  } END AS misc,
  CASE WHEN i % 15 = 0 THEN NULL
       ELSE list_transform(range((i % 3)::BIGINT), lambda j: {
              'k': 'k' || j::VARCHAR,
              'v': {'p': list_transform(range(j), lambda q: (q * i)::INTEGER),
                    'q': map_from_entries(list_transform(range(j + i % 2), lambda q: {'k': 'q' || (9 - q)::VARCHAR, 'v': (q / 2.0)::DOUBLE}))}}) END AS deep
FROM range(${DUCK_ROWS}) r(i)`;

// The columns' types as our schema text names them.
const DUCK_COLUMNS = parseSchema([
  'id:int64?',
  's:struct<a:int32,b:string,c:list<double>>?',
  'l:list<string>?',
  'mp:map<string,int64>?',
  'mi:map<int32,string>?',
  'll:list<list<int32>>?',
  'lb:list<boolean>?',
  'sl:list<struct<x:int64,y:string>>?',
  'misc:struct<f:float,ok:boolean,t:timestamp,d:date,amount:decimal(18,3),n:double>?',
  'deep:list<struct<k:string,v:struct<p:list<int32>,q:map<string,double>>>>?',
].join(','));

async function duckdbToOurs(con, dir) {
  await con.run(DUCK_TABLE);
  let checked = 0;
  for (const [codec, version] of [['snappy', 'V1'], ['zstd', 'V2'], ['uncompressed', 'V1']]) {
    const what = `DuckDB->ours ${codec} ${version}`;
    const file = path.join(dir, `duck_${codec}_${version}.parquet`);
    await con.run(`COPY n TO '${file}' (FORMAT parquet, COMPRESSION ${codec}, ROW_GROUP_SIZE 1024, PARQUET_VERSION ${version})`);
    const groups = (await con.runAndReadAll(`SELECT count(DISTINCT row_group_id) FROM parquet_metadata('${file}')`)).getRows()[0][0];
    if (Number(groups) < 2) fail(`${what}: DuckDB wrote ${groups} row groups; expected several`);

    const schema = run(tool, ['schema', file]);
    for (const c of DUCK_COLUMNS) {
      const line = schema.split('\n').find(l => l.startsWith(`  ${c.name}: `));
      if (!line || !line.startsWith(`  ${c.name}: ${c.typeText} optional `)) {
        fail(`${what}: schema does not name ${c.name} as ${c.typeText} optional: ${line}\n${schema}`);
      }
    }

    const want = (await con.runAndReadAll(
      `SELECT ${DUCK_COLUMNS.map(c => (c.name === 'id' ? 'id::VARCHAR' : `to_json(${c.name})::VARCHAR`)).join(', ')}
       FROM read_parquet('${file}')`)).getRows();
    const lines = run(tool, ['cat', file]).split('\n').filter(l => l.length > 0);
    if (lines.length !== DUCK_ROWS || want.length !== DUCK_ROWS) fail(`${what}: we read ${lines.length} rows, DuckDB ${want.length}, wrote ${DUCK_ROWS}`);
    const byId = new Map(want.map(r => [r[0], r]));
    for (let i = 0; i < lines.length; i++) {
      const obj = parseJson(lines[i]).v;
      if (obj.map(([k]) => k).join(',') !== DUCK_COLUMNS.map(c => c.name).join(',')) fail(`${what}: row ${i} keys: ${lines[i]}`);
      const id = obj[0][1].raw;
      const duck = byId.get(id);
      if (!duck) fail(`${what}: row ${i} has id ${id}, which DuckDB does not read`);
      for (let j = 1; j < DUCK_COLUMNS.length; j++) {
        const c = DUCK_COLUMNS[j];
        let ours;
        let theirs;
        try {
          ours = canon(c.type, obj[j][1], false);
        } catch (e) {
          fail(`${what}: row ${i} (id ${id}) column ${c.name}: we printed ${lines[i]}, which does not fit ${c.typeText}: ${e.message}`);
        }
        try {
          theirs = duck[j] === null ? null : canon(c.type, parseJson(duck[j]), false);
        } catch (e) {
          fail(`${what}: row ${i} (id ${id}) column ${c.name}: DuckDB's to_json ${duck[j]} does not fit ${c.typeText}: ${e.message}`);
        }
        const d = diff(ours, theirs, c.name);
        if (d) fail(`${what}: row ${i} (id ${id}) column ${c.name}: we read vs DuckDB reads: ${d}\n  ours:   ${lines[i]}\n  DuckDB: ${duck[j]}`);
        checked++;
      }
    }
  }
  return checked;
}

async function main() {
  const dir = tmpdir();
  process.on('exit', () => fs.rmSync(dir, { recursive: true, force: true }));
  for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => fail(`${sig} received`));
  const inst = await duckdb.DuckDBInstance.create(':memory:');
  const con = await inst.connect();
  await con.run(`SET TimeZone = 'UTC'`);
  const t0 = Date.now();
  const a = await oursToDuckdb(con, dir);
  const t1 = Date.now();
  const b = await duckdbToOurs(con, dir);
  const t2 = Date.now();
  console.log(`ok: DuckDB read ${a} nested values of ours as written (${t1 - t0} ms); ` +
              `we read ${b} nested values of DuckDB's as DuckDB does (${t2 - t1} ms)`);
}

main().catch(e => fail(e.stack || String(e)));
