// libFuzzer target for nested columns: the type parser, the shredder, the nested column
// writer, the reader's assembly. Built with -DTRIBUTARY_FUZZ=ON and clang.
//   nested_fuzz -max_len=4096 corpus/
//
// The input's first line is a type ("struct<a:list<int32>>"), each further line a row's
// JSON ("null" a null row). The rows the shredder takes are written to a Parquet file
// (small pages and row groups) and read back; the text read back must shred to the same
// levels and values as the text written, or the target aborts. Decimals are compared by
// their levels only: a decimal read back as a JSON number is parsed again through a
// double, which holds about 15 digits.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "parquet/file_reader.h"
#include "parquet/file_writer.h"
#include "parquet/nested_shred.h"
#include "parquet/nested_type.h"
#include "parquet/render.h"

using namespace tributary::parquet;
using tributary::Status;

namespace {

// Each leaf's levels and values as text, to compare two shreddings.
std::vector<std::string> Render(const NestedShredder& s) {
  std::vector<std::string> out;
  for (size_t l = 0; l < s.leaves().size(); ++l) {
    const LeafValues& leaf = s.leaves()[l];
    const Column& c = s.layout().leaves[l].column;
    std::string text;
    for (size_t i = 0; i < leaf.def.size(); ++i) {
      text += std::to_string(leaf.rep[i]) + "/" + std::to_string(leaf.def[i]) + " ";
    }
    if (c.type != ColumnType::kDecimal) {
      for (int64_t i = 0; i < leaf.values.length; ++i) {
        AppendValueAsJson(c, leaf.values, i, &text);
        text += ' ';
      }
    }
    out.push_back(std::move(text));
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  size_t nl = input.find('\n');
  if (nl == std::string_view::npos) return 0;
  auto type = NestedType::Parse(input.substr(0, nl));
  if (!type.ok() || !type->nested()) return 0;
  Column column;
  column.name = "c";
  column.type = ColumnType::kString;
  column.optional = true;
  column.nested = std::make_shared<const NestedType>(*type);

  Schema schema;
  schema.columns.push_back(column);
  RecordBatch batch = RecordBatch::Empty(schema);
  NestedShredder written(column);
  std::string_view rows = input.substr(nl + 1);
  while (!rows.empty()) {
    size_t end = rows.find('\n');
    std::string_view line = rows.substr(0, end);
    rows = end == std::string_view::npos ? std::string_view() : rows.substr(end + 1);
    std::optional<std::string_view> text;
    if (line != "null") text = line;
    if (!written.AddText(text).ok()) continue;  // refused: not written
    if (text) {
      batch.columns[0].AppendString(*text);
    } else {
      batch.columns[0].AppendNull();
    }
    ++batch.num_rows;
  }
  if (batch.num_rows == 0) return 0;

  WriterOptions options;
  options.page_size = 128;
  options.row_group_rows = 3;
  std::string file;
  auto writer = ParquetWriter::Open(MakeStringSink(&file), schema, options);
  if (!writer.ok() || !(*writer)->Write(batch).ok() || !(*writer)->Close().ok()) abort();

  auto reader = ParquetReader::Open(MakeMemorySource(file));
  if (!reader.ok()) abort();
  NestedShredder read_back(column);
  int64_t read = 0;
  Status st = (*reader)->Scan({}, [&](const RecordBatch& b) -> Status {
    for (int64_t r = 0; r < b.num_rows; ++r, ++read) {
      std::optional<std::string_view> text;
      if (b.columns[0].IsValid(r)) text = b.columns[0].StringAt(r);
      TRY(read_back.AddText(text));
    }
    return Status::Ok();
  });
  if (!st.ok() || read != batch.num_rows) abort();
  if (Render(written) != Render(read_back)) abort();
  return 0;
}
