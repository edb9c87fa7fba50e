#include "metadata/testing/test_database.h"

#include <unistd.h>

#include <cstdlib>
#include <functional>

#include <fmt/format.h>

namespace tributary::metadata::testing {

Result<std::unique_ptr<Database>> OpenTestDatabase(const std::string& sqlite_path) {
  const char* url = std::getenv("TRIBUTARY_TEST_POSTGRES_URL");
  if (url == nullptr || *url == '\0') return Database::Open(sqlite_path);
  std::string schema = fmt::format("t_{}_{:x}", ::getpid(), std::hash<std::string>()(sqlite_path));
  std::string base(url);
  return OpenDatabase(base + (base.find('?') == std::string::npos ? "?" : "&") + "schema=" + schema,
                      sqlite_path);
}

}  // namespace tributary::metadata::testing
