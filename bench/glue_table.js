#!/usr/bin/env node
// Makes the catalog table a delivery stream converts the benchmark's readings by
// (scripts/bench-lake with BENCH_LAKE_PARQUET=1): database and table through Glue's API,
// the columns of bench/bench_payload.cc's payload.
//
//   NODE_PATH=tests/node_modules bench/glue_table.js http://127.0.0.1:PORT TOKEN DB TABLE
'use strict';
const G = require('@aws-sdk/client-glue');

const COLUMNS = [
  ...['ozone', 'particulate_matter', 'carbon_monoxide', 'sulfur_dioxide', 'nitrogen_dioxide']
    .map((Name) => ({ Name, Type: 'bigint' })),
  { Name: 'longitude', Type: 'double' }, { Name: 'latitude', Type: 'double' },
  { Name: 'timestamp', Type: 'timestamp' },
  { Name: 'p', Type: 'bigint' }, { Name: 's', Type: 'bigint' }, { Name: 't', Type: 'bigint' },
  { Name: 'x', Type: 'string' },
];

async function main() {
  const [endpoint, token, database, table] = process.argv.slice(2);
  const glue = new G.GlueClient({ endpoint, region: 'us-east-1', maxAttempts: 1,
                                  credentials: { accessKeyId: 'admin', secretAccessKey: token } });
  await glue.send(new G.CreateDatabaseCommand({ DatabaseInput: { Name: database } }));
  await glue.send(new G.CreateTableCommand({ DatabaseName: database, TableInput: {
    Name: table, Parameters: { classification: 'parquet' },
    StorageDescriptor: { Columns: COLUMNS, Location: `s3://${database}/${table}/` },
  } }));
  glue.destroy();
}

main().catch((e) => { console.error(`bench/glue_table.js: ${e.name}: ${e.message}`); process.exit(1); });
