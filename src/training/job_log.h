// A training job's log: every output line of its trainer (and the job's own notes),
// bounded to the last `max_lines`. Lines are numbered from 0 for the life of the job,
// so that a client following the log asks for "from line N" and learns when lines it
// never saw were dropped:
//
//   JobLog log(3);                    lines a b c d -> keeps b c d
//   log.Read(0, 100)  -> first 1, lines {b, c, d}, next 4, truncated (0 < 1)
//   log.Read(4, 100)  -> first 4, lines {}, next 4
//
// Thread-compatible (the training manager guards it with its mutex).
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace tributary::training {

class JobLog {
 public:
  static constexpr size_t kMaxLineBytes = 4096;  // longer lines are cut, marked with "..."

  explicit JobLog(size_t max_lines = 10000) : max_lines_(max_lines) {}

  void Append(std::string line);

  struct Slice {
    int64_t first = 0;  // the number of lines[0]
    std::vector<std::string> lines;
    int64_t next = 0;        // ask for this offset next
    bool truncated = false;  // lines before `first` that were asked for are gone
  };
  Slice Read(int64_t offset, size_t limit) const;
  int64_t end() const { return first_ + static_cast<int64_t>(lines_.size()); }

  // {"FirstLine": n, "Lines": [...]} for the metadata database, and back.
  nlohmann::json ToJson() const;
  static JobLog FromJson(const nlohmann::json& j, size_t max_lines = 10000);

 private:
  size_t max_lines_;
  int64_t first_ = 0;
  std::deque<std::string> lines_;
};

}  // namespace tributary::training
