#include "cli/stream_records.h"

#include <fmt/format.h>

namespace tributary::cli {

namespace {

Status CheckSize(const PutRecordInput& record, bool newline_kept) {
  if (record.data.size() <= kMaxPutRecordBytes) return Status::Ok();
  return InvalidArgument(fmt::format(
      "{} is {} bytes{}; a record may hold at most 1,024,000 (Firehose's limit). Nothing was "
      "put",
      record.origin, record.data.size(), newline_kept ? " with its newline" : ""));
}

}  // namespace

Result<std::vector<PutRecordInput>> CollectPutRecords(const std::vector<std::string>& data,
                                                      std::istream* file,
                                                      const std::string& file_name) {
  std::vector<PutRecordInput> records;
  for (size_t i = 0; i < data.size(); ++i) {
    records.push_back({data[i], fmt::format("--data {}", i + 1)});
    TRY(CheckSize(records.back(), /*newline_kept=*/false));
  }
  if (file != nullptr) {
    const std::string source = file_name == "-" ? "stdin" : "'" + file_name + "'";
    std::string line;
    // Empty lines are skipped but counted, so that a line's number is the editor's.
    for (size_t number = 1; std::getline(*file, line); ++number) {
      if (line.empty()) continue;
      records.push_back({line + "\n", fmt::format("line {} of {}", number, source)});
      TRY(CheckSize(records.back(), /*newline_kept=*/true));
    }
    if (records.empty()) {
      return InvalidArgument(fmt::format(
          "nothing to put: {} holds no records (each line that is not empty is one)", source));
    }
  }
  if (records.empty()) return InvalidArgument("nothing to put: give --data TEXT or --file FILE");
  return records;
}

std::vector<std::pair<size_t, size_t>> PutBatches(const std::vector<PutRecordInput>& records) {
  std::vector<std::pair<size_t, size_t>> batches;
  size_t begin = 0;
  size_t bytes = 0;
  for (size_t i = 0; i < records.size(); ++i) {
    const size_t size = records[i].data.size();
    if (i > begin && (i - begin == kMaxPutBatchRecords || bytes + size > kMaxPutBatchBytes)) {
      batches.emplace_back(begin, i);
      begin = i;
      bytes = 0;
    }
    bytes += size;
  }
  if (begin < records.size()) batches.emplace_back(begin, records.size());
  return batches;
}

}  // namespace tributary::cli
