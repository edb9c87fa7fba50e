// DuckDB's side of the ETL benchmark (scripts/bench-etl): JSON -> Parquet with
//   COPY (SELECT * FROM read_json_auto('<glob>')) TO '<out>' (FORMAT parquet, COMPRESSION snappy)
// Prints {"seconds", "output_bytes", "rows", "threads"} as JSON.
//   node bench/etl_duckdb.js 'RAW_GLOB' OUT_FILE
'use strict';

const fs = require('node:fs');
const duckdb = require('@duckdb/node-api');

(async () => {
  const [glob, out] = process.argv.slice(2);
  const inst = await duckdb.DuckDBInstance.create(':memory:');
  const con = await inst.connect();
  const threads = (await con.runAndReadAll("SELECT current_setting('threads')")).getRows()[0][0];
  const t0 = process.hrtime.bigint();
  await con.run(`COPY (SELECT * FROM read_json_auto('${glob}')) TO '${out}' (FORMAT parquet, COMPRESSION snappy)`);
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const rows = (await con.runAndReadAll(`SELECT count(*) FROM read_parquet('${out}')`)).getRows()[0][0];
  console.log(JSON.stringify({ seconds, output_bytes: fs.statSync(out).size, rows: Number(rows), threads: Number(threads) }));
})().catch((e) => { console.error(e.message); process.exit(1); });
