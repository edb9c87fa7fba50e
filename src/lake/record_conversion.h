// CatalogRecordConverter: the delivery streams' record format conversion (Firehose's
// DataFormatConversionConfiguration; streams/format_conversion.h) done with the lake's
// catalog and Parquet writer. Each object's JSON records become one Parquet file whose
// columns are the catalog table's data columns (not its partition keys), all optional:
//
//   Hive type                         Parquet column
//   boolean                           BOOLEAN
//   tinyint, smallint, int            INT32
//   bigint                            INT64
//   float / double, decimal(p,s)      FLOAT / DOUBLE
//   string, varchar(n), char(n)       STRING
//   timestamp                         TIMESTAMP (UTC, microseconds)
//   date                              DATE (from YYYY-MM-DD, a date-time's UTC day, or
//                                     epoch milliseconds)
//   binary                            STRING (the text as it came)
//   struct<...>, array<...>, map<...> a nested column (lake/hive_parquet.h): group, LIST,
//                                     MAP of its members typed as above
//
// A record's keys match column names without regard to case (the catalog's names are
// lower case); with the OpenX deserializer, column_to_json_key maps a column to another
// key and convert_dots_to_underscores lets "a.b" fill column a_b. Keys that match no column
// are dropped, columns without a key are null (as Firehose does). A record may hold several
// JSON objects one after another ({"a":1}{"a":2}): each is a row. A record that is not JSON
// objects, or one value that does not fit its column (or a member of a nested one), fails the whole record (its rows are
// not written) with "DataFormatConversion.MalformedData" and what was wrong.
//
// The table is read at each Convert (VersionId "LATEST" follows schema changes at once).
// Thread-safe: Convert keeps its state on the stack; the Catalog is shared.
#pragma once

#include "lake/catalog.h"
#include "streams/format_conversion.h"

namespace tributary::lake {

class CatalogRecordConverter : public streams::RecordConverter {
 public:
  // `catalog` must outlive the converter.
  explicit CatalogRecordConverter(const Catalog* catalog) : catalog_(catalog) {}

  Status Check(const streams::FormatConversion& conversion) override;
  Result<streams::ConvertedObject> Convert(const streams::FormatConversion& conversion,
                                           const std::vector<std::string_view>& records) override;

 private:
  const Catalog* catalog_;
};

}  // namespace tributary::lake
