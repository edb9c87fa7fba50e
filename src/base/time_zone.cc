#include "base/time_zone.h"

#include <algorithm>
#include <cctype>
#include <fstream>
#include <map>
#include <mutex>
#include <sstream>

namespace tributary {
namespace {

constexpr const char* kZoneInfoDir = "/usr/share/zoneinfo/";

std::string OffsetName(int32_t seconds) {
  char buf[16];
  int32_t a = seconds < 0 ? -seconds : seconds;
  std::snprintf(buf, sizeof buf, "%c%02d:%02d", seconds < 0 ? '-' : '+', a / 3600,
                (a / 60) % 60);
  return buf;
}

std::shared_ptr<const TimeZone> Fixed(std::string name, int32_t offset) {
  std::string abbrev = offset == 0 ? "UTC" : OffsetName(offset);
  return std::make_shared<const TimeZone>(
      std::move(name), std::vector<int64_t>{}, std::vector<uint8_t>{},
      std::vector<TimeZone::Period>{{offset, false, abbrev}});
}

// "+05:30", "-0800", "+5", "-03" -> seconds; false if not an offset.
bool ParseOffset(std::string_view s, int32_t* out) {
  if (s.empty() || (s[0] != '+' && s[0] != '-')) return false;
  int sign = s[0] == '-' ? -1 : 1;
  std::string digits;
  for (size_t i = 1; i < s.size(); ++i) {
    if (s[i] == ':' && (i == 2 || i == 3)) continue;
    if (!std::isdigit(static_cast<unsigned char>(s[i]))) return false;
    digits.push_back(s[i]);
  }
  int h = 0, m = 0;
  if (digits.size() == 1 || digits.size() == 2) {
    h = std::stoi(digits);
  } else if (digits.size() == 3 || digits.size() == 4) {
    h = std::stoi(digits.substr(0, digits.size() - 2));
    m = std::stoi(digits.substr(digits.size() - 2));
  } else {
    return false;
  }
  if (h > 18 || m > 59) return false;
  *out = sign * (h * 3600 + m * 60);
  return true;
}

uint32_t Be32(const unsigned char* p) {
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | p[3];
}
int64_t Be64(const unsigned char* p) {
  return static_cast<int64_t>((uint64_t{Be32(p)} << 32) | Be32(p + 4));
}

Result<std::shared_ptr<const TimeZone>> LoadTzif(const std::string& name) {
  std::ifstream in(kZoneInfoDir + name, std::ios::binary);
  if (!in) {
    return NotFound("unknown time zone '" + name +
                    "' (use UTC, an offset like +05:30, or an IANA name like Europe/Paris)");
  }
  std::stringstream ss;
  ss << in.rdbuf();
  std::string data = ss.str();
  auto bad = [&] { return DataLoss("time zone file for '" + name + "' is not a TZif file"); };
  const auto* p = reinterpret_cast<const unsigned char*>(data.data());
  size_t size = data.size();
  if (size < 44 || data.compare(0, 4, "TZif") != 0) return bad();
  auto counts = [&](size_t at, uint32_t c[6]) {
    for (int i = 0; i < 6; ++i) c[i] = Be32(p + at + 20 + 4 * i);
  };
  uint32_t c[6];  // isutcnt, isstdcnt, leapcnt, timecnt, typecnt, charcnt
  counts(0, c);
  size_t at = 44;
  int time_size = 4;
  if (data[4] >= '2') {  // skip the 32-bit block, use the 64-bit one
    at += c[3] * 5 + c[4] * 6 + c[5] + c[2] * 8 + c[1] + c[0];
    if (at + 44 > size || data.compare(at, 4, "TZif") != 0) return bad();
    counts(at, c);
    at += 44;
    time_size = 8;
  }
  size_t need = c[3] * (time_size + 1) + c[4] * 6 + c[5];
  if (c[4] == 0 || at + need > size) return bad();
  std::vector<int64_t> transitions(c[3]);
  for (uint32_t i = 0; i < c[3]; ++i) {
    transitions[i] = time_size == 8 ? Be64(p + at + 8 * i)
                                    : static_cast<int32_t>(Be32(p + at + 4 * i));
  }
  at += c[3] * time_size;
  std::vector<uint8_t> idx(p + at, p + at + c[3]);
  at += c[3];
  const unsigned char* types_at = p + at;
  const char* chars = reinterpret_cast<const char*>(p + at + c[4] * 6);
  std::vector<TimeZone::Period> types;
  for (uint32_t i = 0; i < c[4]; ++i) {
    const unsigned char* t = types_at + 6 * i;
    uint8_t desig = t[5];
    std::string abbrev = desig < c[5] ? std::string(chars + desig) : "";
    types.push_back({static_cast<int32_t>(Be32(t)), t[4] != 0, abbrev});
  }
  for (uint8_t i : idx) {
    if (i >= types.size()) return bad();
  }
  return std::make_shared<const TimeZone>(name, std::move(transitions), std::move(idx),
                                          std::move(types));
}

bool IsSafeZoneName(std::string_view name) {
  if (name.empty() || name.size() > 64 || name[0] == '/' ||
      name.find("..") != std::string_view::npos) {
    return false;
  }
  return std::all_of(name.begin(), name.end(), [](char ch) {
    return std::isalnum(static_cast<unsigned char>(ch)) || ch == '/' || ch == '_' || ch == '-' ||
           ch == '+';
  });
}

}  // namespace

TimeZone::TimeZone(std::string name, std::vector<int64_t> transitions,
                   std::vector<uint8_t> transition_types, std::vector<Period> types)
    : name_(std::move(name)),
      transitions_(std::move(transitions)),
      transition_types_(std::move(transition_types)),
      types_(std::move(types)) {}

std::shared_ptr<const TimeZone> TimeZone::Utc() {
  static const auto utc = Fixed("UTC", 0);
  return utc;
}

const TimeZone::Period& TimeZone::PeriodAt(int64_t unix_seconds) const {
  auto it = std::upper_bound(transitions_.begin(), transitions_.end(), unix_seconds);
  if (it == transitions_.begin()) {
    // Before the first transition: the first non-DST type (RFC 8536 3.2).
    for (const Period& p : types_) {
      if (!p.is_dst) return p;
    }
    return types_[0];
  }
  return types_[transition_types_[(it - transitions_.begin()) - 1]];
}

Result<std::shared_ptr<const TimeZone>> TimeZone::Find(std::string_view name) {
  if (name == "UTC" || name == "GMT" || name == "Z" || name == "Etc/UTC" || name == "UCT") {
    return Utc();
  }
  int32_t offset = 0;
  if (ParseOffset(name, &offset)) return Fixed(std::string(name), offset);
  for (std::string_view prefix : {"UTC", "GMT"}) {
    if (name.substr(0, 3) == prefix && ParseOffset(name.substr(3), &offset)) {
      return Fixed(std::string(name), offset);
    }
  }
  if (!IsSafeZoneName(name)) {
    return InvalidArgument("invalid time zone name '" + std::string(name) + "'");
  }
  static std::mutex mu;
  static std::map<std::string, std::shared_ptr<const TimeZone>, std::less<>> cache;
  std::lock_guard<std::mutex> lock(mu);
  if (auto it = cache.find(name); it != cache.end()) return it->second;
  std::string key(name);
  TRY_ASSIGN(auto zone, LoadTzif(key));
  if (cache.size() < 1000) cache.emplace(key, zone);
  return zone;
}

}  // namespace tributary
