// tributary metadata copy --to URL: moves a stopped server's metadata from the data
// directory's SQLite file into a PostgreSQL schema (metadata/copy.h), after which the
// server runs on the same data directory with --metadata-url URL.
#include <sys/stat.h>

#include <cstdio>
#include <memory>
#include <string>

#include "base/dir_lock.h"
#include "cli/command.h"
#include "metadata/copy.h"
#include "metadata/database.h"

namespace tributary::cli {
namespace {

int Fail(const Status& st) {
  std::fprintf(stderr, "tributary metadata copy: %s\n", st.message().c_str());
  return 1;
}

int Copy(const std::string& data_dir, const std::string& url) {
  if (!metadata::IsPostgresUrl(url)) {
    return Fail(InvalidArgument("--to must be a PostgreSQL URL: "
                                "postgresql://[user@]host[:port]/database[?schema=name]"));
  }
  const std::string path = data_dir + "/metadata.db";
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) {
    return Fail(NotFound("no metadata database at '" + path +
                         "' (--data-dir names the directory the server ran on)"));
  }
  // The server must not change the file while it is copied; the lock says who has it.
  auto lock = DirLock::Acquire(data_dir, "tributary.lock", "data directory");
  if (!lock.ok()) {
    return Fail(lock.status().WithContext("the server must be stopped before its metadata is copied"));
  }
  auto from = metadata::Database::Open(path);
  if (!from.ok()) return Fail(from.status());
  auto to = metadata::OpenDatabase(url, "");
  if (!to.ok()) return Fail(to.status());
  // Nor may a server run on the destination while it fills.
  if (Status held = (*to)->HoldExclusively(); !held.ok()) return Fail(held);
  auto copied = metadata::CopyDatabase(**from, **to);
  if (!copied.ok()) return Fail(copied.status());
  for (const auto& t : copied->tables) {
    std::printf("  %-32s %lld rows\n", t.name.c_str(), static_cast<long long>(t.rows));
  }
  std::printf("copied %zu tables, %lld rows, %lld indexes and %lld migrations from %s to %s\n",
              copied->tables.size(), static_cast<long long>(copied->rows),
              static_cast<long long>(copied->indexes), static_cast<long long>(copied->migrations),
              (*from)->Describe().c_str(), (*to)->Describe().c_str());
  std::printf("start the server with --metadata-url on this data directory; %s is left as it "
              "was\n",
              path.c_str());
  return 0;
}

}  // namespace

void AddMetadataCommands(CLI::App* parent, CommandContext* ctx) {
  auto* md = parent->add_subcommand("metadata", "Move the metadata database");
  md->require_subcommand(1);
  auto data_dir = std::make_shared<std::string>("./tributary-data");
  auto url = std::make_shared<std::string>();
  auto* copy = md->add_subcommand(
      "copy", "Copy a stopped server's SQLite metadata into an empty PostgreSQL schema");
  copy->add_option("--to", *url, "postgresql://[user@]host[:port]/database[?schema=name]")
      ->required();
  copy->add_option("--data-dir", *data_dir, "the server's data directory")->capture_default_str();
  copy->callback([=] { ctx->run = [=] { return Copy(*data_dir, *url); }; });
}

}  // namespace tributary::cli
