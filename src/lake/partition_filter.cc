#include "lake/partition_filter.h"

#include <cctype>
#include <charconv>
#include <cmath>
#include <optional>
#include <set>

#include "base/ascii.h"

namespace tributary::lake {

namespace {

constexpr std::string_view kDefaultPartition = "__HIVE_DEFAULT_PARTITION__";
constexpr int kMaxDepth = 64;

enum class Truth { kFalse, kTrue, kUnknown };

Truth Not(Truth t) {
  return t == Truth::kUnknown ? t : (t == Truth::kTrue ? Truth::kFalse : Truth::kTrue);
}
Truth Of(bool b) { return b ? Truth::kTrue : Truth::kFalse; }

bool IsNumericType(std::string_view type) {
  static const std::set<std::string, std::less<>> kNumeric = {"tinyint", "smallint", "int", "integer",
                                                              "bigint",  "float",    "double"};
  const std::string t = AsciiLowered(type);
  return kNumeric.count(t) > 0 || t.starts_with("decimal");
}

std::optional<double> Number(std::string_view s) {
  if (!s.empty() && s.front() == '+') s.remove_prefix(1);
  double d;
  auto r = std::from_chars(s.data(), s.data() + s.size(), d);
  if (s.empty() || r.ec != std::errc() || r.ptr != s.data() + s.size() || std::isnan(d)) return std::nullopt;
  return d;
}

// SQL LIKE: % any run, _ one byte.
bool Like(std::string_view s, std::string_view p) {
  size_t si = 0, pi = 0, star = std::string_view::npos, mark = 0;
  while (si < s.size()) {
    if (pi < p.size() && (p[pi] == '_' || (p[pi] != '%' && p[pi] == s[si]))) {
      ++si;
      ++pi;
    } else if (pi < p.size() && p[pi] == '%') {
      star = pi++;
      mark = si;
    } else if (star != std::string_view::npos) {
      pi = star + 1;
      si = ++mark;
    } else {
      return false;
    }
  }
  while (pi < p.size() && p[pi] == '%') ++pi;
  return pi == p.size();
}

struct Operand {
  int key = -1;      // index into the partition's values, or -1 for a literal
  std::string text;  // the literal
};

}  // namespace

struct PartitionFilter::Node {
  enum class Kind { kOr, kAnd, kNot, kCompare, kIn, kBetween, kLike, kIsNull };
  Kind kind = Kind::kCompare;
  std::string op;  // kCompare: = <> < <= > >=
  bool negated = false;
  bool numeric = false;  // a key in the comparison is typed as a number
  std::vector<Operand> operands;
  std::vector<std::shared_ptr<const Node>> kids;

  // The operand's value in a partition; nullopt for NULL.
  std::optional<std::string_view> Value(const Operand& o, const std::vector<std::string>& values) const {
    if (o.key < 0) return std::string_view(o.text);
    if (static_cast<size_t>(o.key) >= values.size() || values[o.key] == kDefaultPartition) return std::nullopt;
    return std::string_view(values[o.key]);
  }

  // -1, 0, 1, or nullopt when either side is NULL or not a number where numbers compare.
  std::optional<int> Compare(const Operand& a, const Operand& b, const std::vector<std::string>& values) const {
    auto x = Value(a, values), y = Value(b, values);
    if (!x || !y) return std::nullopt;
    if (numeric) {
      auto m = Number(*x), n = Number(*y);
      if (!m || !n) return std::nullopt;
      return *m < *n ? -1 : (*m > *n ? 1 : 0);
    }
    int c = x->compare(*y);
    return c < 0 ? -1 : (c > 0 ? 1 : 0);
  }

  Truth Eval(const std::vector<std::string>& values) const {
    switch (kind) {
      case Kind::kOr: {
        Truth out = Truth::kFalse;
        for (const auto& k : kids) {
          Truth t = k->Eval(values);
          if (t == Truth::kTrue) return t;
          if (t == Truth::kUnknown) out = t;
        }
        return out;
      }
      case Kind::kAnd: {
        Truth out = Truth::kTrue;
        for (const auto& k : kids) {
          Truth t = k->Eval(values);
          if (t == Truth::kFalse) return t;
          if (t == Truth::kUnknown) out = t;
        }
        return out;
      }
      case Kind::kNot: return Not(kids[0]->Eval(values));
      case Kind::kCompare: {
        auto c = Compare(operands[0], operands[1], values);
        if (!c) return Truth::kUnknown;
        if (op == "=") return Of(*c == 0);
        if (op == "<>") return Of(*c != 0);
        if (op == "<") return Of(*c < 0);
        if (op == "<=") return Of(*c <= 0);
        if (op == ">") return Of(*c > 0);
        return Of(*c >= 0);
      }
      case Kind::kIn: {
        Truth out = Truth::kFalse;
        for (size_t i = 1; i < operands.size() && out != Truth::kTrue; ++i) {
          auto c = Compare(operands[0], operands[i], values);
          if (!c) {
            out = Truth::kUnknown;
          } else if (*c == 0) {
            out = Truth::kTrue;
          }
        }
        return negated ? Not(out) : out;
      }
      case Kind::kBetween: {
        auto lo = Compare(operands[0], operands[1], values), hi = Compare(operands[0], operands[2], values);
        Truth out = (lo && *lo < 0) || (hi && *hi > 0) ? Truth::kFalse
                    : lo && hi                           ? Truth::kTrue
                                                         : Truth::kUnknown;
        return negated ? Not(out) : out;
      }
      case Kind::kLike: {
        auto s = Value(operands[0], values), p = Value(operands[1], values);
        if (!s || !p) return Truth::kUnknown;
        return negated ? Not(Of(Like(*s, *p))) : Of(Like(*s, *p));
      }
      case Kind::kIsNull: {
        const Operand& o = operands[0];
        const auto v = Value(o, values);
        const bool null = !v || (numeric && !Number(*v));
        return Of(null != negated);
      }
    }
    return Truth::kUnknown;
  }
};

namespace {

using Node = PartitionFilter::Node;
using NodePtr = std::shared_ptr<const Node>;

struct Token {
  enum class Kind { kEnd, kWord, kQuotedName, kText, kNumber, kSymbol };
  Kind kind = Kind::kEnd;
  std::string text;
  size_t column = 0;  // 1-based
};

class Parser {
 public:
  Parser(std::string_view text, const std::vector<Column>& keys) : text_(text), keys_(keys) {}

  Result<NodePtr> ParseAll() {
    TRY(Tokenize());
    TRY_ASSIGN(NodePtr root, ParseOr(0));
    if (Peek().kind != Token::Kind::kEnd) return Error(Peek(), "expected AND, OR or the end");
    return root;
  }

 private:
  Status Error(const Token& at, const std::string& what) const {
    std::string found = at.kind == Token::Kind::kEnd ? "the end" : "'" + at.text + "'";
    return InvalidArgument("column " + std::to_string(at.column) + ": " + what + ", found " + found);
  }

  Status Tokenize() {
    size_t i = 0;
    while (i < text_.size()) {
      const char c = text_[i];
      Token t;
      t.column = i + 1;
      if (std::isspace(static_cast<unsigned char>(c))) {
        ++i;
        continue;
      }
      if (c == '\'' || c == '"' || c == '`') {
        // 'text' (a doubled quote inside is one); "name" and `name` are keys.
        t.kind = c == '\'' ? Token::Kind::kText : Token::Kind::kQuotedName;
        size_t j = i + 1;
        bool closed = false;
        while (j < text_.size()) {
          if (text_[j] == c) {
            if (j + 1 < text_.size() && text_[j + 1] == c) {
              t.text.push_back(c);
              j += 2;
              continue;
            }
            closed = true;
            break;
          }
          t.text.push_back(text_[j++]);
        }
        if (!closed) return InvalidArgument("column " + std::to_string(i + 1) + ": " + c + " is never closed");
        i = j + 1;
      } else if (std::isdigit(static_cast<unsigned char>(c)) ||
                 ((c == '-' || c == '.') && i + 1 < text_.size() &&
                  std::isdigit(static_cast<unsigned char>(text_[i + 1])))) {
        t.kind = Token::Kind::kNumber;
        size_t j = i + 1;
        while (j < text_.size() && (std::isalnum(static_cast<unsigned char>(text_[j])) || text_[j] == '.' ||
                                    ((text_[j] == '-' || text_[j] == '+') && (text_[j - 1] == 'e' || text_[j - 1] == 'E')))) {
          ++j;
        }
        t.text = std::string(text_.substr(i, j - i));
        if (!Number(t.text)) return InvalidArgument("column " + std::to_string(i + 1) + ": '" + t.text + "' is not a number");
        i = j;
      } else if (std::isalpha(static_cast<unsigned char>(c)) || c == '_') {
        t.kind = Token::Kind::kWord;
        size_t j = i;
        while (j < text_.size() && (std::isalnum(static_cast<unsigned char>(text_[j])) || text_[j] == '_')) ++j;
        t.text = std::string(text_.substr(i, j - i));
        i = j;
      } else {
        t.kind = Token::Kind::kSymbol;
        const std::string_view two = text_.substr(i, 2);
        if (two == "<>" || two == "!=" || two == "<=" || two == ">=") {
          t.text = two == "!=" ? "<>" : std::string(two);
          i += 2;
        } else if (std::string_view("=<>(),").find(c) != std::string_view::npos) {
          t.text = std::string(1, c);
          ++i;
        } else {
          return InvalidArgument("column " + std::to_string(i + 1) + ": unexpected '" + std::string(1, c) + "'");
        }
      }
      tokens_.push_back(std::move(t));
    }
    Token end;
    end.column = text_.size() + 1;
    tokens_.push_back(end);
    return Status::Ok();
  }

  const Token& Peek() const { return tokens_[pos_]; }
  const Token& Next() { return tokens_[pos_ < tokens_.size() - 1 ? pos_++ : pos_]; }
  bool IsKeyword(const Token& t, std::string_view word) const {
    return t.kind == Token::Kind::kWord && EqualsIgnoreCase(t.text, word);
  }
  bool Eat(std::string_view word) {
    if (IsKeyword(Peek(), word)) {
      ++pos_;
      return true;
    }
    return false;
  }
  bool EatSymbol(std::string_view s) {
    if (Peek().kind == Token::Kind::kSymbol && Peek().text == s) {
      ++pos_;
      return true;
    }
    return false;
  }

  Result<NodePtr> ParseOr(int depth) { return ParseChain(depth, "or", Node::Kind::kOr); }
  Result<NodePtr> ParseAnd(int depth) { return ParseChain(depth, "and", Node::Kind::kAnd); }

  // a {OR a} (the terms ANDs) or a {AND a} (the terms NOTs): one node of every term, or
  // the term alone.
  Result<NodePtr> ParseChain(int depth, std::string_view word, Node::Kind kind) {
    auto term = [&]() { return kind == Node::Kind::kOr ? ParseAnd(depth) : ParseNot(depth); };
    TRY_ASSIGN(NodePtr first, term());
    if (!IsKeyword(Peek(), word)) return first;
    auto n = std::make_shared<Node>();
    n->kind = kind;
    n->kids.push_back(std::move(first));
    while (Eat(word)) {
      TRY_ASSIGN(NodePtr next, term());
      n->kids.push_back(std::move(next));
    }
    return NodePtr(n);
  }

  Result<NodePtr> ParseNot(int depth) {
    if (depth > kMaxDepth) return Error(Peek(), "nested deeper than 64 levels");
    if (Eat("not")) {
      TRY_ASSIGN(NodePtr inner, ParseNot(depth + 1));
      auto n = std::make_shared<Node>();
      n->kind = Node::Kind::kNot;
      n->kids.push_back(std::move(inner));
      return NodePtr(n);
    }
    if (EatSymbol("(")) {
      TRY_ASSIGN(NodePtr inner, ParseOr(depth + 1));
      if (!EatSymbol(")")) return Error(Peek(), "expected ')'");
      return inner;
    }
    return ParseTest();
  }

  Result<Operand> ParseOperand(Node* n) {
    const Token& t = Next();
    Operand o;
    switch (t.kind) {
      case Token::Kind::kText:
      case Token::Kind::kNumber: o.text = t.text; return o;
      case Token::Kind::kWord:
      case Token::Kind::kQuotedName:
        for (size_t k = 0; k < keys_.size(); ++k) {
          if (EqualsIgnoreCase(keys_[k].name, t.text)) {
            o.key = static_cast<int>(k);
            n->numeric = n->numeric || IsNumericType(keys_[k].type);
            return o;
          }
        }
        return Error(t, "expected a partition key (" + KeyNames() + "), 'text' or a number");
      default: return Error(t, "expected a partition key (" + KeyNames() + "), 'text' or a number");
    }
  }

  Result<NodePtr> ParseTest() {
    auto n = std::make_shared<Node>();
    TRY_ASSIGN(Operand left, ParseOperand(n.get()));
    n->operands.push_back(std::move(left));
    if (Eat("is")) {
      n->kind = Node::Kind::kIsNull;
      n->negated = Eat("not");
      if (!Eat("null")) return Error(Peek(), "expected NULL");
      return NodePtr(n);
    }
    n->negated = Eat("not");
    if (Eat("in")) {
      n->kind = Node::Kind::kIn;
      if (!EatSymbol("(")) return Error(Peek(), "expected '(' after IN");
      do {
        TRY_ASSIGN(Operand e, ParseOperand(n.get()));
        n->operands.push_back(std::move(e));
      } while (EatSymbol(","));
      if (!EatSymbol(")")) return Error(Peek(), "expected ',' or ')'");
    } else if (Eat("between")) {
      n->kind = Node::Kind::kBetween;
      TRY_ASSIGN(Operand lo, ParseOperand(n.get()));
      if (!Eat("and")) return Error(Peek(), "expected AND in BETWEEN");
      TRY_ASSIGN(Operand hi, ParseOperand(n.get()));
      n->operands.push_back(std::move(lo));
      n->operands.push_back(std::move(hi));
    } else if (Eat("like")) {
      n->kind = Node::Kind::kLike;
      TRY_ASSIGN(Operand pattern, ParseOperand(n.get()));
      n->operands.push_back(std::move(pattern));
    } else if (n->negated) {
      return Error(Peek(), "expected IN, BETWEEN or LIKE after NOT");
    } else {
      const Token& t = Peek();
      static const std::set<std::string, std::less<>> kCompare = {"=", "<>", "<", "<=", ">", ">="};
      if (t.kind != Token::Kind::kSymbol || !kCompare.count(t.text)) {
        return Error(t, "expected a comparison (=, <>, <, <=, >, >=), IN, BETWEEN, LIKE or IS");
      }
      n->kind = Node::Kind::kCompare;
      n->op = Next().text;
      TRY_ASSIGN(Operand right, ParseOperand(n.get()));
      n->operands.push_back(std::move(right));
    }
    return NodePtr(n);
  }

  std::string KeyNames() const {
    std::string out;
    for (const auto& k : keys_) out += (out.empty() ? "" : ", ") + k.name;
    return out.empty() ? "the table has none" : out;
  }

  std::string_view text_;
  const std::vector<Column>& keys_;
  std::vector<Token> tokens_;
  size_t pos_ = 0;
};

}  // namespace

Result<PartitionFilter> PartitionFilter::Parse(std::string_view text, const std::vector<Column>& keys) {
  Parser p(text, keys);
  TRY_ASSIGN(NodePtr root, p.ParseAll());
  return PartitionFilter(std::move(root));
}

bool PartitionFilter::Matches(const std::vector<std::string>& values) const {
  return root_->Eval(values) == Truth::kTrue;
}

}  // namespace tributary::lake
