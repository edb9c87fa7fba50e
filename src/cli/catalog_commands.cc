// tributary catalog databases|tables|describe
#include <cstdio>
#include <memory>

#include "cli/api_client.h"
#include "cli/command.h"
#include "cli/output.h"
#include "net/http_types.h"

namespace tributary::cli {

namespace {

using nlohmann::json;

int ListDatabases(const ClientOptions& opts) {
  auto r = ApiClient(opts).Call("GET", "/v1/catalog/databases");
  if (!r.ok()) return Fail("catalog databases", r.status());
  if (opts.json) return PrintJson(*r), 0;
  std::vector<std::vector<std::string>> rows;
  for (const auto& d : (*r)["databases"])
    rows.push_back({Cell(d["name"]), Cell(d["tables"]), Cell(d["description"])});
  PrintTable({"DATABASE", "TABLES", "DESCRIPTION"}, rows);
  return 0;
}

int ListTables(const ClientOptions& opts, const std::string& database) {
  std::string path = "/v1/catalog/tables";
  if (!database.empty()) path += "?database=" + net::UrlEncode(database);
  auto r = ApiClient(opts).Call("GET", path);
  if (!r.ok()) return Fail("catalog tables", r.status());
  if (opts.json) return PrintJson(*r), 0;
  std::vector<std::vector<std::string>> rows;
  for (const auto& t : (*r)["tables"]) {
    rows.push_back({Cell(t["database"]), Cell(t["name"]), Cell(t["version"]),
                    Cell(t["columns"].size()), Cell(t["partition_keys"].size()),
                    Cell(t["record_count"]), Cell(t["format"]), Cell(t["location"]),
                    Cell(t["last_crawl"])});
  }
  PrintTable({"DATABASE", "TABLE", "VERSION", "COLUMNS", "PARTITION KEYS", "RECORDS", "FORMAT",
              "LOCATION", "LAST CRAWL"},
             rows);
  return 0;
}

int DescribeTable(const ClientOptions& opts, const std::string& table, std::string database) {
  std::string name = table;
  size_t dot = table.find('.');
  if (dot != std::string::npos) {
    database = table.substr(0, dot);
    name = table.substr(dot + 1);
  }
  if (database.empty()) {
    return Fail("catalog describe",
                InvalidArgument("name the table as DATABASE.TABLE or give --database"));
  }
  auto r = ApiClient(opts).Call("GET", "/v1/catalog/databases/" + net::UrlEncode(database) +
                                           "/tables/" + net::UrlEncode(name));
  if (!r.ok()) return Fail("catalog describe", r.status());
  if (opts.json) return PrintJson(*r), 0;
  const json& t = *r;
  std::printf("table:        %s.%s\n", Cell(t["database"]).c_str(), Cell(t["name"]).c_str());
  std::printf("location:     %s\n", Cell(t["location"]).c_str());
  std::printf("format:       %s (compression %s)\n", Cell(t["format"]).c_str(),
              Cell(t["compression"]).c_str());
  std::printf("records:      %s in %s objects, %s bytes\n", Cell(t["record_count"]).c_str(),
              Cell(t["object_count"]).c_str(), Cell(t["size_bytes"]).c_str());
  std::printf("version:      %s (%zu in history)\n", Cell(t["version"]).c_str(),
              t["versions"].size());
  std::printf("last crawl:   %s\n", Cell(t["last_crawl"]).c_str());
  std::printf("\n");
  std::vector<std::vector<std::string>> rows;
  for (const auto& c : t["columns"]) rows.push_back({Cell(c["name"]), Cell(c["type"]), ""});
  for (const auto& c : t["partition_keys"])
    rows.push_back({Cell(c["name"]), Cell(c["type"]), "partition key"});
  PrintTable({"COLUMN", "TYPE", ""}, rows);
  if (!t["partitions"].empty()) {
    std::printf("\n");
    std::vector<std::string> headers;
    for (const auto& k : t["partition_keys"]) headers.push_back(Cell(k["name"]));
    headers.insert(headers.end(), {"RECORDS", "OBJECTS", "LOCATION"});
    for (auto& h : headers) {
      for (auto& ch : h) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
    }
    std::vector<std::vector<std::string>> prow;
    for (const auto& p : t["partitions"]) {
      std::vector<std::string> row;
      for (const auto& v : p["values"]) row.push_back(Cell(v));
      row.insert(row.end(),
                 {Cell(p["record_count"]), Cell(p["object_count"]), Cell(p["location"])});
      prow.push_back(std::move(row));
    }
    PrintTable(headers, prow);
  }
  return 0;
}

}  // namespace

void AddCatalogCommands(CLI::App* parent, CommandContext* ctx) {
  auto* catalog = parent->add_subcommand(
      "catalog", "Look at the data catalog (Glue: databases, tables, partitions)");
  catalog->require_subcommand(1);
  auto opts = std::make_shared<ClientOptions>();
  auto database = std::make_shared<std::string>();
  auto table = std::make_shared<std::string>();

  auto* dbs = catalog->add_subcommand("databases", "List databases");
  AddClientFlags(dbs, opts.get());
  dbs->callback([=] { ctx->run = [=] { return ListDatabases(*opts); }; });

  auto* tables = catalog->add_subcommand("tables", "List tables");
  tables->add_option("--database", *database, "only this database's tables");
  AddClientFlags(tables, opts.get());
  tables->callback([=] { ctx->run = [=] { return ListTables(*opts, *database); }; });

  auto* describe = catalog->add_subcommand(
      "describe", "Show a table: columns, partition keys, partitions, versions");
  describe->add_option("table", *table, "DATABASE.TABLE, or TABLE with --database")->required();
  describe->add_option("--database", *database, "the table's database");
  AddClientFlags(describe, opts.get());
  describe->callback([=] { ctx->run = [=] { return DescribeTable(*opts, *table, *database); }; });
}

}  // namespace tributary::cli
