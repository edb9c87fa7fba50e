#include "mqtt/topic.h"

#include <cstring>

#include "mqtt/utf8.h"

namespace tributary::mqtt {

namespace {
constexpr std::string_view kSharePrefix = "$share/";
constexpr size_t kMaxTopicLength = 65535;

// Wildcard rules for a plain (non-shared) filter that is non-empty and valid UTF-8.
bool ValidFilterLevels(std::string_view f) {
  const size_t n = f.size();
  for (size_t i = 0; i < n; ++i) {
    char c = f[i];
    if (c == '+') {
      // A whole level: preceded by '/' or the start, followed by '/' or the end.
      if ((i > 0 && f[i - 1] != '/') || (i + 1 < n && f[i + 1] != '/')) return false;
    } else if (c == '#') {
      // Last, and a whole level.
      if (i + 1 != n || (i > 0 && f[i - 1] != '/')) return false;
    }
  }
  return true;
}
}  // namespace

bool IsValidTopicName(std::string_view topic) {
  if (topic.empty() || topic.size() > kMaxTopicLength) return false;
  if (std::memchr(topic.data(), '+', topic.size()) != nullptr ||
      std::memchr(topic.data(), '#', topic.size()) != nullptr) {
    return false;
  }
  return IsValidMqttUtf8(topic);
}

bool IsValidTopicFilter(std::string_view filter) {
  if (filter.empty() || filter.size() > kMaxTopicLength) return false;
  if (!IsValidMqttUtf8(filter)) return false;
  if (filter.starts_with(kSharePrefix)) {
    std::string_view rest = filter.substr(kSharePrefix.size());
    size_t slash = rest.find('/');
    if (slash == std::string_view::npos || slash == 0) return false;
    std::string_view group = rest.substr(0, slash);
    if (group.find_first_of("+#") != std::string_view::npos) return false;
    std::string_view inner = rest.substr(slash + 1);
    return !inner.empty() && ValidFilterLevels(inner);
  }
  return ValidFilterLevels(filter);
}

// Walks filter and topic level by level without copying. `fi` and `ti` always sit at
// the start of a level (or at the end).
bool TopicMatches(std::string_view filter, std::string_view topic) {
  const char* f = filter.data();
  const char* t = topic.data();
  const size_t fn = filter.size();
  const size_t tn = topic.size();
  if (fn == 0) return false;
  if (tn > 0 && t[0] == '$' && (f[0] == '+' || f[0] == '#')) return false;
  size_t fi = 0, ti = 0;
  while (true) {
    if (f[fi] == '#') return true;  // the rest of the topic, including no level at all
    if (f[fi] == '+') {
      ++fi;
      const void* slash = tn > ti ? std::memchr(t + ti, '/', tn - ti) : nullptr;
      ti = slash ? static_cast<size_t>(static_cast<const char*>(slash) - t) : tn;
    } else {
      const void* slash = std::memchr(f + fi, '/', fn - fi);
      size_t len = slash ? static_cast<size_t>(static_cast<const char*>(slash) - f) - fi : fn - fi;
      if (tn - ti < len || std::memcmp(f + fi, t + ti, len) != 0) return false;
      fi += len;
      ti += len;
      if (ti < tn && t[ti] != '/') return false;
    }
    // Both at a '/' or at the end.
    if (fi == fn) return ti == tn;
    // The filter goes on after a '/'.
    if (ti == tn) {
      // "a/#" matches "a": the only way a longer filter matches a finished topic.
      return fi + 2 == fn && f[fi + 1] == '#';
    }
    ++fi;
    ++ti;
    if (fi == fn) return ti == tn;  // filter ends with '/': an empty last level
  }
}

std::optional<SharedFilter> ParseSharedFilter(std::string_view filter) {
  if (!filter.starts_with(kSharePrefix)) return std::nullopt;
  std::string_view rest = filter.substr(kSharePrefix.size());
  size_t slash = rest.find('/');
  if (slash == std::string_view::npos || slash == 0) return std::nullopt;
  return SharedFilter{std::string(rest.substr(0, slash)), std::string(rest.substr(slash + 1))};
}

}  // namespace tributary::mqtt
