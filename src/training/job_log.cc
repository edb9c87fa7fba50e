#include "training/job_log.h"

#include <algorithm>

namespace tributary::training {

void JobLog::Append(std::string line) {
  if (line.size() > kMaxLineBytes) {
    line.resize(kMaxLineBytes);
    line += "...";
  }
  lines_.push_back(std::move(line));
  while (lines_.size() > max_lines_) {
    lines_.pop_front();
    ++first_;
  }
}

JobLog::Slice JobLog::Read(int64_t offset, size_t limit) const {
  Slice s;
  offset = std::max<int64_t>(offset, 0);
  s.truncated = offset < first_;
  s.first = std::clamp(offset, first_, end());
  size_t begin = static_cast<size_t>(s.first - first_);
  size_t stop = std::min(lines_.size(), begin + limit);
  s.lines.assign(lines_.begin() + static_cast<std::ptrdiff_t>(begin),
                 lines_.begin() + static_cast<std::ptrdiff_t>(stop));
  s.next = s.first + static_cast<int64_t>(s.lines.size());
  return s;
}

nlohmann::json JobLog::ToJson() const { return {{"FirstLine", first_}, {"Lines", lines_}}; }

JobLog JobLog::FromJson(const nlohmann::json& j, size_t max_lines) {
  JobLog log(max_lines);
  if (!j.is_object()) return log;
  log.first_ = j.value("FirstLine", int64_t{0});
  if (j.contains("Lines") && j["Lines"].is_array()) {
    for (const auto& line : j["Lines"]) {
      if (line.is_string()) log.lines_.push_back(line.get<std::string>());
    }
  }
  while (log.lines_.size() > max_lines) {
    log.lines_.pop_front();
    ++log.first_;
  }
  return log;
}

}  // namespace tributary::training
