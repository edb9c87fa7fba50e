// libFuzzer target for the Parquet reader: footer, page headers, levels,
// encodings and codecs. Built with -DTRIBUTARY_FUZZ=ON and clang.
//   parquet_reader_fuzz -max_len=65536 corpus/
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "parquet/file_reader.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace tributary::parquet;
  ReaderLimits limits;
  limits.max_row_group_rows = 1 << 16;
  limits.max_page_bytes = 16 << 20;
  limits.max_footer_bytes = 1 << 20;
  auto reader = ParquetReader::Open(
      MakeMemorySource(std::string_view(reinterpret_cast<const char*>(data), size)), limits);
  if (!reader.ok()) return 0;
  (void)(*reader)->Scan({}, [](const RecordBatch& b) { return b.Validate(); });
  return 0;
}
