// The subset of parquet.thrift (apache/parquet-format) that Tributary writes and
// reads, as plain structs, with compact-protocol serialization in format_write.cc
// and parsing in format_read.cc. Field numbers in comments are the Thrift ids.
// Unknown fields are skipped on read, so files from newer writers still parse.
// Thread-compatible value types.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/status.h"

namespace tributary::parquet {

enum class PhysicalType : int32_t {
  kBoolean = 0,
  kInt32 = 1,
  kInt64 = 2,
  kInt96 = 3,
  kFloat = 4,
  kDouble = 5,
  kByteArray = 6,
  kFixedLenByteArray = 7,
};

enum class ConvertedType : int32_t {
  kUtf8 = 0,
  kMap = 1,
  kMapKeyValue = 2,
  kList = 3,
  kDecimal = 5,
  kDate = 6,
  kUint32 = 13,
  kUint64 = 14,
  kTimestampMillis = 9,
  kTimestampMicros = 10,
  kInt8 = 15,
  kInt16 = 16,
  kInt32 = 17,
  kInt64 = 18,
  kJson = 19,
};

enum class Repetition : int32_t { kRequired = 0, kOptional = 1, kRepeated = 2 };

enum class Encoding : int32_t {
  kPlain = 0,
  kPlainDictionary = 2,
  kRle = 3,
  kBitPacked = 4,
  kDeltaBinaryPacked = 5,
  kDeltaLengthByteArray = 6,
  kDeltaByteArray = 7,
  kRleDictionary = 8,
  kByteStreamSplit = 9,
};

enum class Codec : int32_t {
  kUncompressed = 0,
  kSnappy = 1,
  kGzip = 2,
  kLzo = 3,
  kBrotli = 4,
  kLz4 = 5,
  kZstd = 6,
  kLz4Raw = 7,
};

enum class PageType : int32_t {
  kDataPage = 0,
  kIndexPage = 1,
  kDictionaryPage = 2,
  kDataPageV2 = 3,
};

enum class TimeUnit : int32_t { kMillis = 1, kMicros = 2, kNanos = 3 };

// LogicalType union (field 10 of SchemaElement); only the members we act on.
struct LogicalType {
  enum class Kind {
    kNone,
    kString,
    kMap,
    kList,
    kDate,
    kTimestamp,
    kInteger,
    kJson,
    kDecimal,
    kOther
  };
  Kind kind = Kind::kNone;
  bool is_adjusted_to_utc = false;    // TIMESTAMP
  TimeUnit unit = TimeUnit::kMicros;  // TIMESTAMP
  int8_t bit_width = 0;               // INTEGER
  bool is_signed = true;              // INTEGER
  int32_t scale = 0;                  // DECIMAL
  int32_t precision = 0;              // DECIMAL
};

struct Statistics {
  std::optional<std::string> max;         // 1 (deprecated, signed order)
  std::optional<std::string> min;         // 2
  std::optional<int64_t> null_count;      // 3
  std::optional<int64_t> distinct_count;  // 4
  std::optional<std::string> max_value;   // 5
  std::optional<std::string> min_value;   // 6
};

struct SchemaElement {
  std::optional<PhysicalType> type;             // 1
  std::optional<int32_t> type_length;           // 2
  std::optional<Repetition> repetition_type;    // 3
  std::string name;                             // 4
  std::optional<int32_t> num_children;          // 5
  std::optional<ConvertedType> converted_type;  // 6 (unknown values kept as read)
  std::optional<int32_t> scale;                 // 7
  std::optional<int32_t> precision;             // 8
  std::optional<int32_t> field_id;              // 9
  LogicalType logical_type;                     // 10
};

struct KeyValue {
  std::string key;                   // 1
  std::optional<std::string> value;  // 2
};

struct DataPageHeader {
  int32_t num_values = 0;                               // 1
  Encoding encoding = Encoding::kPlain;                 // 2
  Encoding definition_level_encoding = Encoding::kRle;  // 3
  Encoding repetition_level_encoding = Encoding::kRle;  // 4
  std::optional<Statistics> statistics;                 // 5
};

struct DataPageHeaderV2 {
  int32_t num_values = 0;                     // 1
  int32_t num_nulls = 0;                      // 2
  int32_t num_rows = 0;                       // 3
  Encoding encoding = Encoding::kPlain;       // 4
  int32_t definition_levels_byte_length = 0;  // 5
  int32_t repetition_levels_byte_length = 0;  // 6
  bool is_compressed = true;                  // 7
};

struct DictionaryPageHeader {
  int32_t num_values = 0;                // 1
  Encoding encoding = Encoding::kPlain;  // 2
  std::optional<bool> is_sorted;         // 3
};

struct PageHeader {
  PageType type = PageType::kDataPage;                         // 1
  int32_t uncompressed_page_size = 0;                          // 2
  int32_t compressed_page_size = 0;                            // 3
  std::optional<int32_t> crc;                                  // 4
  std::optional<DataPageHeader> data_page_header;              // 5
  std::optional<DictionaryPageHeader> dictionary_page_header;  // 7
  std::optional<DataPageHeaderV2> data_page_header_v2;         // 8
};

struct ColumnMetaData {
  PhysicalType type = PhysicalType::kBoolean;     // 1
  std::vector<Encoding> encodings;                // 2
  std::vector<std::string> path_in_schema;        // 3
  Codec codec = Codec::kUncompressed;             // 4
  int64_t num_values = 0;                         // 5
  int64_t total_uncompressed_size = 0;            // 6
  int64_t total_compressed_size = 0;              // 7
  std::vector<KeyValue> key_value_metadata;       // 8
  int64_t data_page_offset = 0;                   // 9
  std::optional<int64_t> index_page_offset;       // 10
  std::optional<int64_t> dictionary_page_offset;  // 11
  std::optional<Statistics> statistics;           // 12
};

struct ColumnChunk {
  std::optional<std::string> file_path;     // 1
  int64_t file_offset = 0;                  // 2
  std::optional<ColumnMetaData> meta_data;  // 3
};

struct RowGroup {
  std::vector<ColumnChunk> columns;              // 1
  int64_t total_byte_size = 0;                   // 2
  int64_t num_rows = 0;                          // 3
  std::optional<int64_t> file_offset;            // 5
  std::optional<int64_t> total_compressed_size;  // 6
  std::optional<int16_t> ordinal;                // 7
};

struct FileMetaData {
  int32_t version = 1;                       // 1
  std::vector<SchemaElement> schema;         // 2
  int64_t num_rows = 0;                      // 3
  std::vector<RowGroup> row_groups;          // 4
  std::vector<KeyValue> key_value_metadata;  // 5
  std::optional<std::string> created_by;     // 6
  // 7: column_orders. We write TYPE_ORDER for every leaf; on read we only note
  // whether it was present (min_value/max_value are trusted either way).
  int32_t num_column_orders = 0;
};

// Serialization (compact protocol), appended to `out`.
void SerializePageHeader(const PageHeader& h, std::string* out);
void SerializeFileMetaData(const FileMetaData& m, std::string* out);

// Parsing. `base_offset` is the file offset of data[0], used in error messages.
// `*consumed` (PageHeader) receives the header's length in bytes.
Status ParsePageHeader(const uint8_t* data, size_t size, uint64_t base_offset, PageHeader* h,
                       size_t* consumed);
Status ParseFileMetaData(const uint8_t* data, size_t size, uint64_t base_offset, FileMetaData* m);

}  // namespace tributary::parquet
