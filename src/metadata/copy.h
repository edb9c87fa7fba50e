// Moves a deployment's metadata from SQLite to PostgreSQL (`tributary metadata copy`):
// every table of the SQLite file, its rows, its indexes and the migrations applied, into
// an empty PostgreSQL schema, in one transaction, so that the same data directory then
// runs with `--metadata-url` and finds every thing, certificate, rule, stream, table, job,
// model and endpoint it had.
//
// The tables are made from their definitions in the SQLite file (as the migrations and
// later ALTERs left them), rewritten by sql_dialect.h; identity columns (INTEGER PRIMARY
// KEY AUTOINCREMENT) continue after the largest id copied. A value PostgreSQL refuses
// (SQLite keeps any type in any column) fails the copy naming the table, the row (its
// number and first column) and PostgreSQL's reason, and nothing is left in the schema.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "metadata/database.h"

namespace tributary::metadata {

struct CopySummary {
  struct Table {
    std::string name;
    int64_t rows = 0;
  };
  std::vector<Table> tables;  // in the order they were made
  int64_t rows = 0;
  int64_t indexes = 0;
  int64_t migrations = 0;  // rows of schema_versions, not counted in `rows`
};

// `from`: a SQLite database; `to`: a PostgreSQL one whose schema holds no migrations yet
// (FailedPrecondition "already holds metadata" otherwise).
Result<CopySummary> CopyDatabase(Database& from, Database& to);

}  // namespace tributary::metadata
