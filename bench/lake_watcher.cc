#include "bench/lake_watcher.h"

#include <chrono>
#include <filesystem>
#include <string_view>

#include "base/clock.h"
#include "base/files.h"
#include "bench/bench_payload.h"

namespace tributary::bench {

namespace fs = std::filesystem;

LakeWatcher::LakeWatcher(std::string dir, int64_t origin_ns, int publishers)
    : dir_(std::move(dir)), origin_ns_(origin_ns), seen_(static_cast<size_t>(publishers)) {}

LakeWatcher::~LakeWatcher() { Stop(); }

Status LakeWatcher::Start(int poll_ms) {
  std::error_code ec;
  if (fs::exists(dir_, ec) && !fs::is_directory(dir_, ec)) {
    return InvalidArgument("--lake-dir '" + dir_ + "' is not a directory");
  }
  // What is there already is another run's: remember it without reading it.
  for (auto it = fs::recursive_directory_iterator(dir_, ec); !ec && it != fs::end(it);
       it.increment(ec)) {
    if (it->is_regular_file(ec)) known_.insert(it->path().string());
  }
  thread_ = std::thread([this, poll_ms] { Loop(poll_ms); });
  return Status::Ok();
}

void LakeWatcher::Stop() {
  if (!thread_.joinable()) return;
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  wake_.notify_all();
  thread_.join();
  defer_ = false;
  Scan();
  ReadFound(0);
}

void LakeWatcher::DeferReading(bool on) { defer_ = on; }

// Reads the objects found so far, oldest first. Objects keep appearing meanwhile: the
// tree is scanned again every `poll_ms` between two reads, so that the time an object was
// first seen does not wait for the reading of a backlog.
void LakeWatcher::ReadFound(int poll_ms) {
  int64_t last_scan_ns = SteadyNanos();
  for (size_t i = 0; i < found_.size(); ++i) {
    if (poll_ms > 0 && SteadyNanos() - last_scan_ns >= int64_t{poll_ms} * 1'000'000) {
      Scan();  // may grow found_: indices stay valid
      last_scan_ns = SteadyNanos();
    }
    ReadObject(found_[i].first, found_[i].second);
  }
  found_.clear();
}

bool LakeWatcher::Seen(uint32_t pub, uint64_t seq) const {
  if (pub >= seen_.size()) return false;
  const auto& s = seen_[pub];
  return seq < s.size() && s[seq];
}

void LakeWatcher::Loop(int poll_ms) {
  std::unique_lock<std::mutex> lock(mu_);
  while (!stop_) {
    lock.unlock();
    Scan();
    if (!defer_) ReadFound(poll_ms);
    lock.lock();
    wake_.wait_for(lock, std::chrono::milliseconds(poll_ms), [this] { return stop_; });
  }
}

// One walk of the tree, noting each new object and when it was first seen (ReadFound reads
// them); hidden entries (and whole hidden directories) are skipped. A directory that does
// not exist yet, or vanishes during the walk, ends the walk quietly.
void LakeWatcher::Scan() {
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(dir_, ec); !ec && it != fs::end(it);
       it.increment(ec)) {
    std::string name = it->path().filename().string();
    if (!name.empty() && name[0] == '.') {
      if (it->is_directory(ec)) it.disable_recursion_pending();
      continue;
    }
    if (!it->is_regular_file(ec)) continue;
    std::string path = it->path().string();
    if (!known_.insert(path).second) continue;
    found_.emplace_back(std::move(path), SteadyNanos() - origin_ns_);
  }
}

// Objects are renamed into place when complete, so one read sees the whole object.
void LakeWatcher::ReadObject(const std::string& path, int64_t seen_ns) {
  auto data = ReadFile(path);
  if (!data.ok()) {
    if (error_.empty()) error_ = "cannot read lake object: " + data.status().ToString();
    return;
  }
  ++objects_;
  std::string_view rest(*data);
  while (!rest.empty()) {
    size_t end = rest.find('\n');
    std::string_view line = rest.substr(0, end);
    rest = end == std::string_view::npos ? std::string_view() : rest.substr(end + 1);
    if (line.empty()) continue;
    auto fields = ParsePayload(line);
    if (!fields || fields->pub >= seen_.size()) {
      ++foreign_;
      continue;
    }
    auto& seen = seen_[fields->pub];
    if (seen.size() <= fields->seq) seen.resize(fields->seq + 1 + fields->seq / 2, 0);
    if (seen[fields->seq]) {
      ++duplicates_;
      continue;
    }
    seen[fields->seq] = 1;
    records_.push_back(LakeRecord{fields->sent_ns, seen_ns});
    distinct_.fetch_add(1, std::memory_order_relaxed);
  }
}

}  // namespace tributary::bench
