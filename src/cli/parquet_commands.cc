// tributary parquet schema|cat: look inside a Parquet file (src/parquet/).
#include <cstdio>
#include <iostream>
#include <memory>

#include "cli/command.h"
#include "flags/flag_checks.h"
#include "parquet/render.h"

namespace tributary::cli {

void AddParquetCommands(CLI::App* parent, CommandContext* ctx) {
  auto* pq = parent->add_subcommand("parquet", "Inspect Parquet files");
  pq->require_subcommand(1);
  auto file = std::make_shared<std::string>();
  auto limit = std::make_shared<int64_t>(-1);  // all

  auto* schema = pq->add_subcommand("schema", "Print a file's schema, row groups and metadata");
  schema->add_option("file", *file, "Parquet file")->required();
  schema->callback([=] {
    ctx->run = [=]() -> int {
      Status st = parquet::PrintSchema(*file, std::cout);
      if (!st.ok()) std::fprintf(stderr, "tributary parquet schema: %s\n", st.message().c_str());
      return st.ok() ? 0 : 1;
    };
  });

  auto* cat = pq->add_subcommand("cat", "Print rows as JSON Lines");
  cat->add_option("file", *file, "Parquet file")->required();
  WholeNumberIn(cat->add_option("--limit", *limit, "at most this many rows (default: all)"), 0,
                INT64_MAX);
  cat->callback([=] {
    ctx->run = [=]() -> int {
      Status st = parquet::Cat(*file, *limit, std::cout);
      if (!st.ok()) std::fprintf(stderr, "tributary parquet cat: %s\n", st.message().c_str());
      return st.ok() ? 0 : 1;
    };
  });
}

}  // namespace tributary::cli
