#include "bench/lake_watcher.h"

#include <poll.h>
#include <sys/inotify.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <string_view>

#include "base/clock.h"
#include "base/files.h"
#include "bench/bench_payload.h"

namespace tributary::bench {

namespace fs = std::filesystem;

namespace {

bool Hidden(std::string_view name) { return !name.empty() && name[0] == '.'; }

// A directory's new entries: objects are renamed into place (IN_MOVED_TO) by the object
// store, or written in place (IN_CLOSE_WRITE) by anything else; directories are created.
constexpr uint32_t kWatchMask =
    IN_MOVED_TO | IN_CLOSE_WRITE | IN_CREATE | IN_ONLYDIR | IN_EXCL_UNLINK;

}  // namespace

LakeWatcher::LakeWatcher(std::string dir, int64_t origin_ns, int publishers)
    : dir_(std::move(dir)), origin_ns_(origin_ns), seen_(static_cast<size_t>(publishers)) {}

LakeWatcher::~LakeWatcher() {
  Stop();
  if (inotify_fd_ >= 0) ::close(inotify_fd_);
}

Status LakeWatcher::Start(int poll_ms) {
  std::error_code ec;
  if (fs::exists(dir_, ec) && !fs::is_directory(dir_, ec)) {
    return InvalidArgument("--lake-dir '" + dir_ + "' is not a directory");
  }
  inotify_fd_ = ::inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  if (inotify_fd_ < 0) {
    return Internal(std::string("cannot watch the lake: inotify_init1: ") + std::strerror(errno));
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
  stop_ = true;
  thread_.join();
  defer_ = false;
  Scan();  // whatever the events have not told yet
  ReadFound();
}

void LakeWatcher::DeferReading(bool on) { defer_ = on; }

// Reads the objects found so far, oldest first. Objects keep appearing meanwhile: the
// events are taken again between two reads, so that the time an object was first seen
// does not wait for the reading of a backlog.
void LakeWatcher::ReadFound() {
  for (size_t i = 0; i < found_.size(); ++i) {
    if (thread_.joinable()) TakeEvents();  // may grow found_: indices stay valid
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
  bool watching = false;
  while (!stop_) {
    if (watch_failed_) {
      std::this_thread::sleep_for(std::chrono::milliseconds(poll_ms));
      Scan();
    } else if (!watching) {
      // The bucket's directory appears with the stream's first object.
      std::error_code ec;
      if (fs::is_directory(dir_, ec)) {
        WatchTree(dir_);
        watching = true;
      } else {
        std::this_thread::sleep_for(std::chrono::milliseconds(poll_ms));
      }
    } else {
      pollfd p{inotify_fd_, POLLIN, 0};
      if (::poll(&p, 1, poll_ms) > 0) TakeEvents();
    }
    if (!defer_) ReadFound();
  }
}

// Watches first, then lists: an entry created in between is both listed and told, and
// known_ keeps it from being noted twice.
void LakeWatcher::WatchTree(const std::string& dir) {
  int wd = ::inotify_add_watch(inotify_fd_, dir.c_str(), kWatchMask);
  if (wd >= 0) {
    watched_[wd] = dir;
  } else if (errno != ENOENT) {
    watch_failed_ = true;
  }
  std::error_code ec;
  for (auto it = fs::directory_iterator(dir, ec); !ec && it != fs::end(it); it.increment(ec)) {
    std::string name = it->path().filename().string();
    if (Hidden(name)) continue;
    if (it->is_directory(ec)) {
      WatchTree(it->path().string());
    } else if (it->is_regular_file(ec)) {
      Note(it->path().string());
    }
  }
}

void LakeWatcher::TakeEvents() {
  alignas(inotify_event) char buf[64 * 1024];
  while (true) {
    ssize_t n = ::read(inotify_fd_, buf, sizeof buf);
    if (n <= 0) {
      if (n == 0 || (errno != EAGAIN && errno != EINTR)) watch_failed_ = true;
      return;
    }
    for (ssize_t at = 0; at < n;) {
      const auto* e = reinterpret_cast<const inotify_event*>(buf + at);
      at += static_cast<ssize_t>(sizeof(inotify_event) + e->len);
      if (e->mask & IN_Q_OVERFLOW) {
        // Events were lost: walk the whole tree (watching any directory missed).
        WatchTree(dir_);
        continue;
      }
      if (e->mask & IN_IGNORED) {
        watched_.erase(e->wd);
        continue;
      }
      auto dir = watched_.find(e->wd);
      if (dir == watched_.end() || e->len == 0) continue;
      std::string_view name(e->name);
      if (Hidden(name)) continue;
      std::string path = dir->second + "/" + std::string(name);
      if (e->mask & IN_ISDIR) {
        if (e->mask & (IN_CREATE | IN_MOVED_TO)) WatchTree(path);
      } else if (e->mask & (IN_MOVED_TO | IN_CLOSE_WRITE)) {
        Note(std::move(path));
      }
    }
  }
}

void LakeWatcher::Note(std::string path) {
  if (!known_.insert(path).second) return;
  found_.emplace_back(std::move(path), SteadyNanos() - origin_ns_);
}

// One walk of the tree, noting each new object; hidden entries (and whole hidden
// directories) are skipped. A directory that does not exist yet, or vanishes during the
// walk, ends the walk quietly.
void LakeWatcher::Scan() {
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(dir_, ec); !ec && it != fs::end(it);
       it.increment(ec)) {
    std::string name = it->path().filename().string();
    if (Hidden(name)) {
      if (it->is_directory(ec)) it.disable_recursion_pending();
      continue;
    }
    if (it->is_regular_file(ec)) Note(it->path().string());
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
