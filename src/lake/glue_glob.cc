#include "lake/glue_glob.h"

#include <utility>

namespace tributary::lake {
namespace {

constexpr size_t kMaxAlternatives = 256;

Status Refuse(std::string_view pattern, const std::string& why, size_t position) {
  return InvalidArgument("glob '" + std::string(pattern) + "': " + why + " at position " +
                         std::to_string(position));
}

// Where the set opened at `open` ('[') closes: the first ']' after at least one member
// ("[]a]" holds ']' and 'a'), or npos.
size_t SetEnd(std::string_view p, size_t open) {
  size_t i = open + 1;
  if (i < p.size() && (p[i] == '!' || p[i] == '^')) ++i;
  if (i < p.size() && p[i] == ']') ++i;  // a leading ']' is a member
  while (i < p.size() && p[i] != ']') ++i;
  return i < p.size() ? i : std::string_view::npos;
}

// The pattern with its groups expanded: every combination of one subpattern per group.
// Escapes and sets are copied through whole, so that braces inside them stay literal.
Result<std::vector<std::string>> Expand(std::string_view p) {
  std::vector<std::string> out{""};
  auto append = [&out](std::string_view text) {
    for (std::string& s : out) s += text;
  };
  for (size_t i = 0; i < p.size();) {
    char c = p[i];
    if (c == '\\') {
      if (i + 1 == p.size()) return Refuse(p, "a '\\' escapes nothing", i);
      append(p.substr(i, 2));
      i += 2;
    } else if (c == '[') {
      size_t end = SetEnd(p, i);
      if (end == std::string_view::npos) return Refuse(p, "unclosed '['", i);
      append(p.substr(i, end + 1 - i));
      i = end + 1;
    } else if (c == '{') {
      std::vector<std::string> choices{""};
      size_t j = i + 1;
      for (; j < p.size() && p[j] != '}'; ++j) {
        if (p[j] == '{') return Refuse(p, "a '{' inside a group (groups do not nest)", j);
        if (p[j] == ',') {
          choices.emplace_back();
        } else if (p[j] == '\\') {
          if (j + 1 == p.size()) return Refuse(p, "a '\\' escapes nothing", j);
          choices.back() += p.substr(j, 2);
          ++j;
        } else if (p[j] == '[') {
          size_t end = SetEnd(p, j);
          if (end == std::string_view::npos) return Refuse(p, "unclosed '['", j);
          choices.back() += p.substr(j, end + 1 - j);
          j = end;
        } else {
          choices.back() += p[j];
        }
      }
      if (j == p.size()) return Refuse(p, "unclosed '{'", i);
      if (out.size() * choices.size() > kMaxAlternatives) {
        return Refuse(
            p, "more than " + std::to_string(kMaxAlternatives) + " alternatives in its groups", i);
      }
      std::vector<std::string> next;
      next.reserve(out.size() * choices.size());
      for (const std::string& head : out) {
        for (const std::string& choice : choices) next.push_back(head + choice);
      }
      out = std::move(next);
      i = j + 1;
    } else {
      append(p.substr(i, 1));
      ++i;
    }
  }
  return out;
}

}  // namespace

Result<GlueGlob> GlueGlob::Parse(std::string_view pattern) {
  TRY_ASSIGN(std::vector<std::string> expanded, Expand(pattern));
  GlueGlob g;
  for (const std::string& s : expanded) {
    // Expand checked the escapes and sets.
    Alternative a;
    for (size_t i = 0; i < s.size(); ++i) {
      Token t{};
      switch (s[i]) {
        case '\\':
          t.kind = Token::Kind::kLiteral;
          t.literal = s[++i];
          break;
        case '*':
          t.kind = Token::Kind::kStar;
          while (i + 1 < s.size() && s[i + 1] == '*') t.kind = Token::Kind::kDoubleStar, ++i;
          break;
        case '?':
          t.kind = Token::Kind::kAny;
          break;
        case '[': {
          size_t end = SetEnd(s, i);
          t.kind = Token::Kind::kSet;
          size_t j = i + 1;
          if (s[j] == '!' || s[j] == '^') t.negated = true, ++j;
          for (; j < end; ++j) {
            const auto lo = static_cast<unsigned char>(s[j]);
            if (j + 2 < end && s[j + 1] == '-') {
              t.ranges.emplace_back(lo, static_cast<unsigned char>(s[j + 2]));
              j += 2;
            } else {
              t.ranges.emplace_back(lo, lo);
            }
          }
          i = end;
          break;
        }
        default:
          t.kind = Token::Kind::kLiteral;
          t.literal = s[i];
      }
      a.push_back(std::move(t));
    }
    g.alternatives_.push_back(std::move(a));
  }
  return g;
}

bool GlueGlob::Matches(std::string_view key) const {
  for (const Alternative& a : alternatives_) {
    if (MatchesAlternative(a, key)) return true;
  }
  return false;
}

GlueGlobSet::GlueGlobSet(const std::vector<std::string>& patterns) {
  for (const std::string& p : patterns) {
    if (auto g = GlueGlob::Parse(p); g.ok()) globs_.push_back(std::move(g).value());
  }
}

bool GlueGlobSet::AnyMatches(std::string_view key) const {
  for (const GlueGlob& g : globs_) {
    if (g.Matches(key)) return true;
  }
  return false;
}

bool GlueGlob::MatchesAlternative(const Alternative& a, std::string_view key) {
  // matches[j]: the tokens from i on match key[j..]; computed from the last token back.
  const size_t n = key.size();
  std::vector<char> next(n + 1, 0), cur(n + 1, 0);
  next[n] = 1;
  for (size_t i = a.size(); i-- > 0;) {
    const Token& t = a[i];
    for (size_t j = n + 1; j-- > 0;) {
      const bool more = j < n;
      bool m = false;
      switch (t.kind) {
        case Token::Kind::kStar:
          m = next[j] || (more && key[j] != '/' && cur[j + 1]);
          break;
        case Token::Kind::kDoubleStar:
          m = next[j] || (more && cur[j + 1]);
          break;
        case Token::Kind::kAny:
          m = more && key[j] != '/' && next[j + 1];
          break;
        case Token::Kind::kLiteral:
          m = more && key[j] == t.literal && next[j + 1];
          break;
        case Token::Kind::kSet: {
          if (!more || key[j] == '/') break;
          bool in = false;
          const auto byte = static_cast<unsigned char>(key[j]);
          for (const auto& [lo, hi] : t.ranges) in = in || (byte >= lo && byte <= hi);
          m = in != t.negated && next[j + 1];
          break;
        }
      }
      cur[j] = m;
    }
    std::swap(cur, next);
  }
  return next[0] != 0;
}

}  // namespace tributary::lake
