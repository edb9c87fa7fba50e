// tributary-parquet: a small stand-alone tool over the Parquet library until the
// main `tributary` binary wires `tributary parquet ...`.
//
//   tributary-parquet schema FILE
//   tributary-parquet cat FILE [--limit N] [--columns a,b] [--where "temp > 3"]
//   tributary-parquet from-jsonl --schema "id:int64,name:string?" [--codec zstd] IN.jsonl
//   OUT.parquet
//
// Exit code 0 on success, 1 with a one-line reason on stderr otherwise.
#include <CLI/CLI.hpp>
#include <cstdint>
#include <fstream>
#include <iostream>
#include <limits>

#include "flags/flag_checks.h"
#include "parquet/compression.h"
#include "parquet/jsonl_import.h"
#include "parquet/render.h"

namespace tp = tributary::parquet;

namespace {

int Fail(const tributary::Status& st) {
  std::cerr << "tributary-parquet: " << st.ToString() << "\n";
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Tributary Parquet tool"};
  app.require_subcommand(1);

  std::string file;
  auto* schema_cmd = app.add_subcommand("schema", "print a Parquet file's schema and metadata");
  schema_cmd->add_option("file", file, "Parquet file")->required();

  constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
  constexpr int64_t kMaxPageBytes = int64_t{1} << 30;
  int64_t limit = -1;
  std::vector<std::string> columns;
  std::string where;
  auto* cat_cmd = app.add_subcommand("cat", "print rows as JSON Lines");
  cat_cmd->add_option("file", file, "Parquet file")->required();
  tributary::WholeNumberIn(cat_cmd->add_option("--limit,-n", limit, "at most this many rows"), 0,
                           kMax);
  cat_cmd->add_option("--columns,-c", columns, "only these columns")->delimiter(',');
  cat_cmd->add_option("--where", where,
                      "skip row groups whose statistics exclude 'column op literal'");

  std::string schema_text, codec = "snappy", input, output;
  bool no_dictionary = false, v2 = false, no_stats = false;
  int64_t page_size = 1 << 20, row_group_rows = 1 << 20, row_group_bytes = 128 << 20,
          dictionary_limit = 1 << 20;
  std::vector<std::string> kvs;
  auto* from_cmd = app.add_subcommand("from-jsonl", "convert JSON Lines to Parquet");
  from_cmd
      ->add_option("--schema,-s", schema_text,
                   "name:type[?],... (types: boolean int32 int64 float double string timestamp)")
      ->required();
  from_cmd->add_option("--codec", codec, "uncompressed, snappy, gzip or zstd");
  from_cmd->add_flag("--no-dictionary", no_dictionary, "PLAIN encoding only");
  // A page's sizes are 32-bit in its header, so a page (and a dictionary) stays below 1 GiB.
  tributary::WholeNumberIn(from_cmd->add_option("--dictionary-limit", dictionary_limit,
                                                "dictionary bytes before falling back to PLAIN"),
                           0, kMaxPageBytes);
  tributary::WholeNumberIn(
      from_cmd->add_option("--page-size", page_size, "data page size in bytes"), 1, kMaxPageBytes);
  tributary::WholeNumberIn(
      from_cmd->add_option("--row-group-rows", row_group_rows, "rows per row group"), 1, kMax);
  tributary::WholeNumberIn(
      from_cmd->add_option("--row-group-bytes", row_group_bytes, "bytes per row group"), 1, kMax);
  from_cmd->add_flag("--data-page-v2", v2, "write DataPageHeaderV2 pages");
  from_cmd->add_flag("--no-statistics", no_stats, "omit column statistics");
  from_cmd->add_option("--kv", kvs, "key=value file metadata (repeatable)");
  from_cmd->add_option("input", input, "JSON Lines file, or - for stdin")->required();
  from_cmd->add_option("output", output, "Parquet file to write")->required();

  CLI11_PARSE(app, argc, argv);

  if (*schema_cmd) {
    tributary::Status st = tp::PrintSchema(file, std::cout);
    return st.ok() ? 0 : Fail(st);
  }
  if (*cat_cmd) {
    std::optional<tp::Predicate> predicate;
    if (!where.empty()) {
      auto p = tp::Predicate::Parse(where);
      if (!p.ok()) return Fail(p.status());
      predicate = *p;
    }
    std::ios::sync_with_stdio(false);
    tributary::Status st = tp::Cat(file, limit, columns, predicate, std::cout);
    std::cout.flush();
    return st.ok() ? 0 : Fail(st);
  }
  auto schema = tp::Schema::Parse(schema_text);
  if (!schema.ok()) return Fail(schema.status());
  tp::WriterOptions options;
  auto c = tp::ParseCodec(codec);
  if (!c.ok()) return Fail(c.status());
  options.codec = *c;
  options.dictionary = !no_dictionary;
  options.dictionary_page_size_limit = dictionary_limit;
  options.page_size = page_size;
  options.row_group_rows = row_group_rows;
  options.row_group_bytes = row_group_bytes;
  options.data_page_v2 = v2;
  options.statistics = !no_stats;
  for (const std::string& kv : kvs) {
    size_t eq = kv.find('=');
    if (eq == std::string::npos)
      return Fail(tributary::InvalidArgument("--kv '" + kv + "' is not key=value"));
    options.key_value_metadata.push_back({kv.substr(0, eq), kv.substr(eq + 1)});
  }
  std::ifstream file_in;
  std::istream* in = &std::cin;
  if (input != "-") {
    file_in.open(input);
    if (!file_in) return Fail(tributary::IoError("cannot open " + input));
    in = &file_in;
  }
  auto r = tp::JsonLinesToParquet(*in, *schema, options, output);
  if (!r.ok()) return Fail(r.status().WithContext(input));
  return 0;
}
