// What the ETL integration tests share: the reference's job (every field typed, derived
// hour/year/month/day, deduplicated by seq, partitioned by date), the row DuckDB must
// return for one published reading, and DuckDB reading a Parquet output directory.
'use strict';

const duckdb = require('@duckdb/node-api');

const POLLUTANTS = ['ozone', 'particulate_matter', 'carbon_monoxide', 'sulfur_dioxide', 'nitrogen_dioxide'];

function referenceJob() {
  return {
    source: { database: 'iot', table: 'raw' },
    transforms: [
      { apply_mapping: [
        ...POLLUTANTS.map((p) => [p, 'bigint', p, 'double']),
        ['longitude', 'double', 'longitude', 'double'],
        ['latitude', 'double', 'latitude', 'double'],
        ['timestamp', 'string', 'ts', 'timestamp'],
        ['seq', 'bigint', 'seq', 'bigint'],
      ] },
      { filter: 'ozone >= 0' },
      { derive: { hour: 'hour(ts)', year: 'year(ts)', month: 'month(ts)', day: 'day(ts)' } },
      { dedupe: ['seq'] },
    ],
    target: { path: 'curated/pollution/', format: 'parquet', compression: 'snappy',
              partition_keys: ['year', 'month', 'day'], database: 'iot', table: 'pollution' },
  };
}

// What DuckDB must return for one published reading.
function expectedRow(payload) {
  const r = JSON.parse(payload);
  const ts = new Date(r.timestamp);
  return {
    seq: r.seq, ...Object.fromEntries(POLLUTANTS.map((p) => [p, r[p]])), longitude: r.longitude, latitude: r.latitude,
    ts_ms: ts.getTime(), hour: ts.getUTCHours(), year: ts.getUTCFullYear(), month: ts.getUTCMonth() + 1, day: ts.getUTCDate(),
  };
}

// {rows (by seq), types (column -> DuckDB type)} of every Parquet file under `dir`,
// Hive partitions read as columns.
async function duckRows(dir) {
  const inst = await duckdb.DuckDBInstance.create(':memory:');
  const con = await inst.connect();
  const cols = ['seq', ...POLLUTANTS, 'longitude', 'latitude', 'epoch_ms(ts) AS ts_ms', 'hour', 'year', 'month', 'day'];
  const result = await con.runAndReadAll(
    `SELECT ${cols.join(', ')} FROM read_parquet('${dir}/**/*.parquet', hive_partitioning = true) ORDER BY seq`);
  const names = result.columnNames();
  const rows = result.getRows().map((row) => Object.fromEntries(row.map((v, i) => [names[i], typeof v === 'bigint' ? Number(v) : v])));
  const types = await con.runAndReadAll(
    `SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM read_parquet('${dir}/**/*.parquet', hive_partitioning = true))`);
  return { rows, types: Object.fromEntries(types.getRows()) };
}

// referenceJob() as a person would write it in YAML.
const REFERENCE_JOB_YAML = `# the reference's Glue job
source: {database: iot, table: raw}
transforms:
  - apply_mapping:
      - [ozone, bigint, ozone, double]
      - [particulate_matter, bigint, particulate_matter, double]
      - [carbon_monoxide, bigint, carbon_monoxide, double]
      - [sulfur_dioxide, bigint, sulfur_dioxide, double]
      - [nitrogen_dioxide, bigint, nitrogen_dioxide, double]
      - [longitude, double, longitude, double]
      - [latitude, double, latitude, double]
      - [timestamp, string, ts, timestamp]
      - [seq, bigint, seq, bigint]
  - filter: "ozone >= 0"
  - derive:
      hour: hour(ts)
      year: year(ts)
      month: month(ts)
      day: day(ts)
  - dedupe: [seq]
target:
  path: curated/pollution/
  format: parquet
  compression: snappy
  partition_keys: [year, month, day]
  database: iot
  table: pollution
`;

module.exports = { POLLUTANTS, referenceJob, REFERENCE_JOB_YAML, expectedRow, duckRows };
