// Files written by DuckDB (COPY ... TO (FORMAT parquet, COMPRESSION c)), read by
// Tributary's reader through `tributary-parquet cat`: every value must equal what
// DuckDB itself reads back, the schema must map to the expected types, and
// projection plus row-group skipping (--where) must work on DuckDB's statistics.
//   node duckdb_writes_ours_reads.js path/to/tributary-parquet
'use strict';
const fs = require('fs');
const { spawnSync } = require('child_process');
const path = require('path');
const { duckdb, tmpdir, run, parseRawJson, isoToMicros, sameNumber, fail } = require('./common');

const tool = process.argv[2];
if (!tool) fail('usage: duckdb_writes_ours_reads.js TRIBUTARY_PARQUET');

// Deterministic data from DuckDB's hash(); special values on fixed rows.
const TABLE = `
CREATE TABLE t AS SELECT
  i::BIGINT AS id,
  CASE WHEN i % 7 = 0 THEN NULL ELSE hash(i) % 2 = 0 END AS b,
  CASE WHEN i % 5 = 0 THEN NULL WHEN i = 1 THEN -2147483648 WHEN i = 2 THEN 2147483647
       ELSE (hash(i * 3) % 100000)::INTEGER - 50000 END AS i32,
  CASE WHEN i = 3 THEN -9223372036854775808 WHEN i = 4 THEN 9223372036854775807
       WHEN i % 9 = 0 THEN NULL
       ELSE (hash(i * 5) >> 1)::BIGINT * (CASE WHEN i % 2 = 0 THEN 1 ELSE -1 END) END AS i64,
  CASE WHEN i = 5 THEN 'nan'::FLOAT WHEN i = 6 THEN 'inf'::FLOAT WHEN i = 7 THEN '-inf'::FLOAT
       WHEN i = 8 THEN '-0.0'::FLOAT WHEN i % 11 = 0 THEN NULL
       ELSE ((hash(i * 7) % 2000000)::FLOAT - 1000000) / 7.0 END AS f32,
  CASE WHEN i = 5 THEN 'nan'::DOUBLE WHEN i = 6 THEN 'inf'::DOUBLE WHEN i = 7 THEN '-inf'::DOUBLE
       WHEN i = 8 THEN '-0.0'::DOUBLE WHEN i = 9 THEN 1.7976931348623157e308 WHEN i = 10 THEN 5e-324
       WHEN i % 13 = 0 THEN NULL
       ELSE ((hash(i * 11) % 2000000000)::DOUBLE - 1000000000) / 3.0 END AS f64,
  CASE WHEN i % 6 = 0 THEN NULL WHEN i % 6 = 1 THEN '' WHEN i % 6 = 2 THEN 'caf\u00e9 \u2603 \u{1F600}'
       ELSE 'device-' || (hash(i) % 40)::VARCHAR END AS s_dict,
  'row-' || i::VARCHAR || repeat('x', (i % 37)::INTEGER) || CASE WHEN i % 3 = 0 THEN ' "q" \\ \t' ELSE '' END AS s_plain,
  CASE WHEN i % 8 = 0 THEN NULL
       ELSE make_timestamp(1700000000000000 + (hash(i * 13) % 100000000000000)::BIGINT - 50000000000000)::TIMESTAMPTZ END AS ts_utc,
  make_timestamp(-62135596800000000 + i * 86400000000 * 90)::TIMESTAMP AS ts_local,
  CASE WHEN i % 10 = 0 THEN NULL ELSE DATE '0001-01-01' + (i * 700)::INTEGER END AS day
FROM range(5000) r(i)`;

const OUR_TYPE = {
  id: 'int64', b: 'boolean', i32: 'int32', i64: 'int64', f32: 'float', f64: 'double',
  s_dict: 'string', s_plain: 'string', ts_utc: 'timestamp', ts_local: 'timestamp',
  day: 'date',
};

function same(duckType, raw, v) {
  if (v === null) return raw.kind === 'null';
  switch (duckType) {
    case 'BOOLEAN': return raw.kind === (v ? 'true' : 'false');
    case 'INTEGER': return raw.kind === 'number' && Number(raw.raw) === v;
    case 'BIGINT': return raw.kind === 'number' && BigInt(raw.raw) === v;
    case 'FLOAT':
    case 'DOUBLE': {
      let x;
      if (raw.kind === 'string') {
        x = { NaN: NaN, Infinity: Infinity, '-Infinity': -Infinity }[raw.value];
        if (x === undefined) return false;
      } else if (raw.kind === 'number') {
        x = Number(raw.raw);
        if (duckType === 'FLOAT') x = Math.fround(x);
      } else {
        return false;
      }
      return sameNumber(x, v);
    }
    case 'VARCHAR': return raw.kind === 'string' && raw.value === v;
    case 'TIMESTAMP':
    case 'TIMESTAMP WITH TIME ZONE': return raw.kind === 'string' && isoToMicros(raw.value) === v.micros;
    case 'DATE': return raw.kind === 'string' && Date.parse(raw.value + 'T00:00:00Z') / 86400000 === v.days;
  }
  throw new Error('unexpected DuckDB type ' + duckType);
}

async function main() {
  const dir = tmpdir();
  const inst = await duckdb.DuckDBInstance.create(':memory:');
  const con = await inst.connect();
  await con.run(TABLE);
  let checked = 0;
  let files = 0;
  for (const [codec, version] of [['uncompressed', 'V1'], ['snappy', 'V1'], ['gzip', 'V1'], ['zstd', 'V1'],
                                  ['snappy', 'V2'], ['zstd', 'V2']]) {
    // V2: data page V2 headers, DELTA_BINARY_PACKED, DELTA_LENGTH_BYTE_ARRAY, BYTE_STREAM_SPLIT.
    const file = path.join(dir, `duck_${codec}_${version}.parquet`);
    await con.run(`COPY t TO '${file}' (FORMAT parquet, COMPRESSION ${codec}, ROW_GROUP_SIZE 2048, PARQUET_VERSION ${version})`);
    files++;
    const result = await con.runAndReadAll(`SELECT * FROM read_parquet('${file}')`);
    const names = result.columnNames();
    const types = result.columnTypes().map(t => t.toString());
    const rows = result.getRows();

    const schema = run(tool, ['schema', file]);
    for (const [name, type] of Object.entries(OUR_TYPE)) {
      if (!new RegExp(`^  ${name}: ${type} (optional|required) `, 'm').test(schema)) {
        fail(`${codec} ${version}: schema does not map ${name} to ${type}:\n${schema}`);
      }
    }
    if (!/codec: /.test(schema) || !/created_by: DuckDB/.test(schema)) fail(`${codec} ${version}: schema output:\n${schema}`);

    const lines = run(tool, ['cat', file]).split('\n').filter(l => l.length > 0);
    if (lines.length !== rows.length) fail(`${codec} ${version}: we read ${lines.length} rows, DuckDB ${rows.length}`);
    for (let i = 0; i < rows.length; i++) {
      const ours = parseRawJson(lines[i]);
      const keys = Object.keys(ours);
      if (keys.join(',') !== names.join(',')) fail(`${codec} ${version}: row ${i} keys ${keys} != ${names}`);
      names.forEach((n, j) => {
        if (!same(types[j], ours[n], rows[i][j])) {
          fail(`${codec} ${version}: row ${i} column ${n} (${types[j]}): we read ${JSON.stringify(ours[n])}, DuckDB ${String(rows[i][j] && rows[i][j].micros !== undefined ? rows[i][j].micros : rows[i][j])}`);
        }
        checked++;
      });
    }

    // Projection and row-group skipping on DuckDB's statistics: ids are sorted
    // and DuckDB cuts row groups of 2048 rows, so id >= 4500 keeps only the row
    // groups whose max id reaches 4500 (all their rows are printed).
    const groups = (await con.runAndReadAll(
      `SELECT row_group_num_rows, stats_min_value, stats_max_value FROM parquet_metadata('${file}') WHERE path_in_schema = 'id' ORDER BY row_group_id`)).getRows();
    if (groups.length < 2) fail(`${codec} ${version}: DuckDB wrote ${groups.length} row groups; the skipping check needs several`);
    const kept = groups.filter(g => BigInt(g[2]) >= 4500n);
    const wantRows = kept.reduce((a, g) => a + Number(g[0]), 0);
    const proj = run(tool, ['cat', file, '--columns', 'f64,id', '--where', 'id >= 4500'])
      .split('\n').filter(l => l.length > 0).map(parseRawJson);
    if (proj.length !== wantRows || wantRows >= rows.length) {
      fail(`${codec} ${version}: --where id >= 4500 returned ${proj.length} rows, expected ${wantRows} of ${rows.length}`);
    }
    if (Object.keys(proj[0]).join(',') !== 'f64,id') fail(`${codec} ${version}: projection gave ${Object.keys(proj[0])}`);
    if (proj[0].id.raw !== kept[0][1] || proj[proj.length - 1].id.raw !== '4999') {
      fail(`${codec} ${version}: projected ids ${proj[0].id.raw}..${proj[proj.length - 1].id.raw}`);
    }
    const limited = run(tool, ['cat', file, '--limit', '3']).split('\n').filter(l => l.length > 0);
    if (limited.length !== 3) fail(`${codec} ${version}: --limit 3 printed ${limited.length} rows`);
  }
  // DECIMAL columns as DuckDB writes them by precision (INT32, INT64, FIXED_LEN_BYTE_ARRAY),
  // with nulls, repeats (dictionary pages) and the extremes: each value's text must be
  // DuckDB's own, digit for digit.
  const dec = path.join(dir, 'decimal.parquet');
  const digits = (n, seed) => `lpad((hash(i * ${seed}) % ${10n ** BigInt(Math.min(n, 18))})::VARCHAR, ${Math.min(n, 18)}, '0')`;
  const sign = `CASE WHEN hash(i * 17) % 2 = 0 THEN '-' ELSE '' END`;
  await con.run(`COPY (SELECT i::BIGINT AS id,
      CASE WHEN i % 7 = 0 THEN NULL WHEN i = 1 THEN 99.99 WHEN i = 2 THEN -99.99
           ELSE ((hash(i) % 19999)::BIGINT - 9999) * 0.01 END::DECIMAL(4,2) AS d4,
      CASE WHEN i = 1 THEN 9999999999.99 WHEN i = 2 THEN -9999999999.99 WHEN i % 3 = 0 THEN (i % 5)::DECIMAL(12,2)
           ELSE ((hash(i * 3) % 1999999999999)::BIGINT - 999999999999) * 0.01 END::DECIMAL(12,2) AS d12,
      CASE WHEN i % 11 = 0 THEN NULL
           ELSE (${sign} || (hash(i * 5) % 10000000000000000000000000)::VARCHAR || '.' || ${digits(2, 19)}) END::DECIMAL(28,2) AS d28,
      CASE WHEN i = 1 THEN '9999999999999999999999999999.9999999999' WHEN i = 2 THEN '-9999999999999999999999999999.9999999999'
           WHEN i % 4 = 0 THEN '0.0000000001'
           ELSE ${sign} || ${digits(18, 23)} || ${digits(10, 29)} || '.' || ${digits(10, 31)} END::DECIMAL(38,10) AS d38
    FROM range(3000) r(i)) TO '${dec}' (FORMAT parquet)`);
  const decSchema = run(tool, ['schema', dec]);
  for (const [name, type, physical] of [['d4', 'decimal(4,2)', 'INT32'], ['d12', 'decimal(12,2)', 'INT64'],
                                        ['d28', 'decimal(28,2)', 'FIXED_LEN_BYTE_ARRAY'], ['d38', 'decimal(38,10)', 'FIXED_LEN_BYTE_ARRAY']]) {
    if (!new RegExp(`^  ${name}: ${type.replace(/[()]/g, '\\$&')} \\w+ \\(${physical} DECIMAL`, 'm').test(decSchema)) {
      fail(`column ${name} is not read as ${type} from ${physical}:\n${decSchema}`);
    }
  }
  const want = (await con.runAndReadAll(
    `SELECT id, d4::VARCHAR, d12::VARCHAR, d28::VARCHAR, d38::VARCHAR FROM read_parquet('${dec}') ORDER BY id`)).getRows();
  const got = run(tool, ['cat', dec]).split('\n').filter(l => l.length > 0).map(parseRawJson)
    .sort((a, b) => Number(a.id.raw) - Number(b.id.raw));
  if (got.length !== want.length || got.length !== 3000) fail(`decimals: read ${got.length} rows, DuckDB ${want.length}`);
  for (let k = 0; k < got.length; k++) {
    ['d4', 'd12', 'd28', 'd38'].forEach((name, j) => {
      const g = got[k][name].kind === 'null' ? null : got[k][name].raw;
      if (g !== want[k][j + 1]) fail(`decimals: row ${k} ${name}: read ${g}, DuckDB reads ${want[k][j + 1]}`);
      checked++;
    });
  }
  // Unsigned 32- and 64-bit integers are refused by name (past the signed range they would
  // read negative); unsigned 8- and 16-bit ones read as they are.
  const uns = path.join(dir, 'unsigned.parquet');
  await con.run(`COPY (SELECT 1::BIGINT AS id, 4000000000::UINTEGER AS u32, 18000000000000000000::UBIGINT AS u64,
                       65535::USMALLINT AS u16, 255::UTINYINT AS u8) TO '${uns}' (FORMAT parquet)`);
  const unsSchema = run(tool, ['schema', uns]);
  for (const name of ['u32', 'u64']) {
    if (!new RegExp(`^  ${name}: .* unsupported: unsigned 32- and 64-bit integer columns are not supported$`, 'm').test(unsSchema)) {
      fail(`column ${name} is not named unsupported:\n${unsSchema}`);
    }
  }
  if (run(tool, ['cat', uns, '--columns', 'id,u16,u8']).trim() !== '{"id":1,"u16":65535,"u8":255}') {
    fail(`the columns beside the refused ones do not read: ${run(tool, ['cat', uns, '--columns', 'id,u16,u8'])}`);
  }
  const whole = spawnSync(tool, ['cat', uns], { encoding: 'utf8', timeout: 30000 });
  if (whole.status === 0 || !/column 'u32': unsigned 32- and 64-bit integer columns are not supported/.test(whole.stderr)) {
    fail(`cat of the unsigned columns was not refused (exit ${whole.status}): ${whole.stdout}${whole.stderr}`);
  }
  fs.rmSync(dir, { recursive: true, force: true });
  console.log(`ok: read ${files} DuckDB files, ${checked} values identical to DuckDB's own reading`);
}

main().catch(e => fail(e.stack || String(e)));
