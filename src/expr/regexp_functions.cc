#include "expr/regexp_functions.h"

#include <re2/re2.h>

#include <algorithm>
#include <ctime>
#include <memory>
#include <optional>
#include <unordered_map>
#include <vector>

#include "base/utf8.h"
#include "expr/conversions.h"

namespace tributary::expr {
namespace {

// Bounds on what a pattern taken from a payload can cost: its length, the memory RE2 may
// use for it (program and DFA cache; past it RE2 refuses the pattern or falls back to
// its slower linear-time NFA), and how many compiled patterns a thread keeps.
constexpr size_t kMaxPatternBytes = 4096;
constexpr int64_t kPatternMemoryBytes = 1 << 20;
constexpr size_t kCachedPatterns = 16;

RE2::Options PatternOptions() {
  RE2::Options o;
  o.set_log_errors(false);
  o.set_max_mem(kPatternMemoryBytes);
  return o;
}

// The compiled pattern, or nullptr when it does not compile. Cached per thread: rules
// nearly always pass a literal, so the cache holds a handful of entries.
const RE2* Compiled(const std::string& pattern) {
  thread_local std::unordered_map<std::string, std::unique_ptr<RE2>> cache;
  if (auto it = cache.find(pattern); it != cache.end()) return it->second.get();
  if (pattern.size() > kMaxPatternBytes) return nullptr;
  if (cache.size() >= kCachedPatterns) cache.clear();
  auto re = std::make_unique<RE2>(pattern, PatternOptions());
  if (!re->ok()) re.reset();
  return cache.emplace(pattern, std::move(re)).first->second.get();
}

// A replacement split into literal text and group references.
struct Piece {
  std::string text;
  int group = -1;  // >= 0: the match (0) or a group
};

std::optional<std::vector<Piece>> ParseReplacement(std::string_view r, std::string* why) {
  std::vector<Piece> pieces(1);
  for (size_t i = 0; i < r.size(); ++i) {
    char c = r[i];
    if (c == '\\') {
      if (i + 1 == r.size()) {
        // As a SQL string literal writes them: '\\' is one backslash, so the
        // replacement's escaped backslash is '\\\\'.
        *why = "a '\\' ends the replacement (write '\\\\\\\\' for a backslash)";
        return std::nullopt;
      }
      pieces.back().text.push_back(r[++i]);
    } else if (c == '$') {
      if (i + 1 == r.size() || r[i + 1] < '0' || r[i + 1] > '9') {
        *why = "'$' at position " + std::to_string(i + 1) +
               " of the replacement is not followed by a group number (write '\\\\$' for "
               "a dollar sign)";
        return std::nullopt;
      }
      pieces.push_back(Piece{"", r[++i] - '0'});
      pieces.emplace_back();
    } else {
      pieces.back().text.push_back(c);
    }
  }
  return pieces;
}

}  // namespace

Status CheckRegexpLiteral(size_t index, size_t, const Value& literal) {
  if (!literal.is_string()) return Status::Ok();
  const std::string& text = literal.as_string();
  if (index == 2) {
    std::string why;
    return ParseReplacement(text, &why) ? Status::Ok() : InvalidArgument(why);
  }
  if (index != 1) return Status::Ok();
  if (text.size() > kMaxPatternBytes) {
    return InvalidArgument("the pattern is " + std::to_string(text.size()) +
                           " bytes long (at most " + std::to_string(kMaxPatternBytes) + ")");
  }
  RE2 re(text, PatternOptions());
  if (re.ok()) return Status::Ok();
  if (re.error_code() == RE2::ErrorPatternTooLarge) {
    return InvalidArgument("the pattern does not compile: it needs more than " +
                           std::to_string(kPatternMemoryBytes >> 20) + " MiB");
  }
  std::string why = "the pattern does not compile: " + re.error() + " (at '" +
                    re.error_arg() + "')";
  if (re.error_code() == RE2::ErrorBadPerlOp || re.error_code() == RE2::ErrorBadEscape) {
    why += "; backreferences and lookaround are not supported";
  }
  return InvalidArgument(why);
}

namespace {

// The text (a[0]) and compiled pattern (a[1]) every regexp_* function starts from;
// nullopt when either is not text or the pattern does not compile (Undefined).
struct Subject {
  std::string text;
  const RE2* re;
};
std::optional<Subject> ReadSubject(const Value* a) {
  auto s = ToText(a[0]);
  auto pattern = ToText(a[1]);
  if (!s || !pattern) return std::nullopt;
  const RE2* re = Compiled(*pattern);
  if (re == nullptr) return std::nullopt;
  return Subject{std::move(*s), re};
}

}  // namespace

Value RegexpMatches(const Value* a, size_t, const Message&) {
  auto in = ReadSubject(a);
  if (!in) return Value();
  return Value::Bool(RE2::PartialMatch(in->text, *in->re));
}

Value RegexpSubstr(const Value* a, size_t, const Message&) {
  auto in = ReadSubject(a);
  if (!in) return Value();
  const std::string* s = &in->text;
  const RE2* re = in->re;
  re2::StringPiece match;
  if (!re->Match(*s, 0, s->size(), RE2::UNANCHORED, &match, 1)) return Value::String("");
  return Value::String(std::string(match.data(), match.size()));
}

// How long one regexp_replace may spend matching. Each match is searched for from where
// the last one ended, and RE2 may read to the end of the text before it knows where a
// match ends (leftmost-first: 'a[^z]*z|a' over "aaa..." without a 'z' reads the rest
// of the text for every 'a'), so the work can grow with the square of the text: 14 s
// for 120 KB. RE2 (its GlobalReplace too) offers no linear way to find every match, and
// how far it read is not known, so the time is what is bounded: the CPU time of the
// thread, which a busy machine's other work does not eat into.
constexpr int64_t kMaxReplaceCpuNs = 100'000'000;  // 100 ms

int64_t ThreadCpuNs() {
  timespec t{};
  ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return static_cast<int64_t>(t.tv_sec) * 1'000'000'000 + t.tv_nsec;
}

Value RegexpReplace(const Value* a, size_t, const Message& m) {
  auto in = ReadSubject(a);
  auto with = ToText(a[2]);
  if (!in || !with) return Value();
  const std::string* s = &in->text;
  const RE2* re = in->re;
  std::string why;
  auto pieces = ParseReplacement(*with, &why);
  if (!pieces) return Value();
  int groups = re->NumberOfCapturingGroups();
  for (const Piece& p : *pieces) {
    if (p.group > groups) return Value();  // refers to a group the pattern lacks
  }
  std::vector<re2::StringPiece> match(static_cast<size_t>(groups) + 1);
  std::string out;
  size_t pos = 0;
  const size_t budget = m.BuildBudgetLeft();
  const int64_t deadline = ThreadCpuNs() + kMaxReplaceCpuNs;
  // Checking the clock costs about as much as a short match: every 64 matches.
  for (size_t n = 1;
       pos <= s->size() && re->Match(*s, pos, s->size(), RE2::UNANCHORED, match.data(), groups + 1);
       ++n) {
    if (n % 64 == 0 && ThreadCpuNs() > deadline) {
      m.MarkTooSlow("regexp_replace()");
      return Value();
    }
    size_t start = static_cast<size_t>(match[0].data() - s->data());
    size_t end = start + match[0].size();
    size_t add = start - pos + 4;  // 4: the character kept after an empty match
    for (const Piece& p : *pieces) add += p.group >= 0 ? match[p.group].size() : p.text.size();
    if (add > budget - out.size()) {
      m.ChargeBuild(kBuildBudgetBytes + 1);  // marks the evaluation over budget
      return Value();
    }
    out.append(*s, pos, start - pos);
    for (const Piece& p : *pieces) {
      if (p.group >= 0) {
        out.append(match[p.group].data(), match[p.group].size());
      } else {
        out.append(p.text);
      }
    }
    if (end == start) {
      // An empty match: keep the next character and look again after it.
      if (end == s->size()) {
        pos = end + 1;
        break;
      }
      size_t step = std::max<size_t>(1, Utf8SequenceLength(*s, end));
      out.append(*s, end, step);
      pos = end + step;
    } else {
      pos = end;
    }
  }
  if (pos < s->size()) out.append(*s, pos, std::string::npos);
  if (!m.ChargeBuild(out.size())) return Value();
  return Value::String(std::move(out));
}

}  // namespace tributary::expr
