// The metadata database a store's tests use: the SQLite file at `sqlite_path`, or, when
// TRIBUTARY_TEST_POSTGRES_URL is set (scripts/with-postgres sets it), a schema of that
// PostgreSQL database named after the path and this process, so that the same tests
// prove both backends and opening the same path again finds what was written. Each
// store's test binary runs twice in `make test`: `<name>` and `<name>_postgres`.
#pragma once

#include <memory>
#include <string>

#include "metadata/database.h"

namespace tributary::metadata::testing {

Result<std::unique_ptr<Database>> OpenTestDatabase(const std::string& sqlite_path);

}  // namespace tributary::metadata::testing
