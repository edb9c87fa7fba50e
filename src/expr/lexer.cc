#include "expr/lexer.h"

#include <cctype>
#include <charconv>
#include <optional>

#include "base/ascii.h"
#include "base/utf8.h"
#include "expr/conversions.h"

namespace tributary::expr {

std::string FormatPos(const SourcePos& pos, bool multiline) {
  if (multiline) {
    return "line " + std::to_string(pos.line) + ", column " + std::to_string(pos.column);
  }
  return "column " + std::to_string(pos.column);
}

std::string Describe(const Token& t) {
  switch (t.kind) {
    case TokenKind::kEnd: return "end of input";
    case TokenKind::kString: return "string '" + t.text + "'";
    case TokenKind::kIdent: return t.quoted_ident ? "`" + t.text + "`" : "'" + t.text + "'";
    case TokenKind::kVariable: return "'@" + t.text + "'";
    default: return "'" + t.text + "'";
  }
}

namespace {

class Lexer {
 public:
  explicit Lexer(std::string_view text)
      : text_(text), multiline_(text.find('\n') != std::string_view::npos) {}

  Result<std::vector<Token>> Run() {
    std::vector<Token> out;
    while (true) {
      SkipSpace();
      Token t;
      t.pos = pos_;
      if (AtEnd()) {
        t.kind = TokenKind::kEnd;
        out.push_back(std::move(t));
        return out;
      }
      char c = Peek();
      if (std::isalpha(static_cast<unsigned char>(c)) || c == '_' || c == '$') {
        size_t start = pos_.offset;
        while (!AtEnd() && (std::isalnum(static_cast<unsigned char>(Peek())) || Peek() == '_' ||
                            Peek() == '$')) {
          Advance();
        }
        t.kind = TokenKind::kIdent;
        t.text = std::string(text_.substr(start, pos_.offset - start));
      } else if (std::isdigit(static_cast<unsigned char>(c))) {
        TRY(Number(&t));
      } else if (c == '\'' || c == '"') {
        TRY(String(&t));
      } else if (c == '@') {
        TRY(Variable(&t));
      } else if (c == '`') {
        Advance();
        size_t start = pos_.offset;
        while (!AtEnd() && Peek() != '`') Advance();
        if (AtEnd()) return Error(t.pos, "unterminated `quoted name` starting here");
        t.kind = TokenKind::kIdent;
        t.quoted_ident = true;
        t.text = std::string(text_.substr(start, pos_.offset - start));
        if (t.text.empty()) return Error(t.pos, "empty `quoted name`");
        Advance();
      } else {
        TRY(Operator(&t));
      }
      out.push_back(std::move(t));
    }
  }

 private:
  bool AtEnd() const { return pos_.offset >= text_.size(); }
  char Peek(size_t ahead = 0) const {
    return pos_.offset + ahead < text_.size() ? text_[pos_.offset + ahead] : '\0';
  }
  void Advance() {
    if (text_[pos_.offset] == '\n') {
      ++pos_.line;
      pos_.column = 1;
    } else {
      ++pos_.column;
    }
    ++pos_.offset;
  }
  void SkipSpace() {
    while (!AtEnd()) {
      char c = Peek();
      if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
        Advance();
      } else {
        return;
      }
    }
  }
  Status Error(const SourcePos& p, const std::string& what) const {
    return InvalidArgument(FormatPos(p, multiline_) + ": " + what);
  }

  static bool IsNameChar(char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
  }

  // @name: the '@' then letters, digits and underscores.
  Status Variable(Token* t) {
    Advance();
    size_t start = pos_.offset;
    while (!AtEnd() && IsNameChar(Peek())) Advance();
    if (pos_.offset == start) {
      return Error(t->pos, "'@' must be followed by a variable name (letters, digits, '_')");
    }
    t->kind = TokenKind::kVariable;
    t->text = std::string(text_.substr(start, pos_.offset - start));
    if (t->text.size() > kMaxVariableNameBytes) {
      return Error(t->pos, "variable name '@" + t->text.substr(0, 16) + "...' is " +
                               std::to_string(t->text.size()) + " characters, over the " +
                               std::to_string(kMaxVariableNameBytes) + "-character limit");
    }
    return Status::Ok();
  }

  Status Number(Token* t) {
    size_t start = pos_.offset;
    bool decimal = false;
    while (std::isdigit(static_cast<unsigned char>(Peek()))) Advance();
    if (Peek() == '.' && std::isdigit(static_cast<unsigned char>(Peek(1)))) {
      decimal = true;
      Advance();
      while (std::isdigit(static_cast<unsigned char>(Peek()))) Advance();
    }
    if (Peek() == 'e' || Peek() == 'E') {
      size_t skip = (Peek(1) == '-' || Peek(1) == '+') ? 2 : 1;
      if (std::isdigit(static_cast<unsigned char>(Peek(skip)))) {
        decimal = true;
        for (size_t i = 0; i < skip; ++i) Advance();
        while (std::isdigit(static_cast<unsigned char>(Peek()))) Advance();
      }
    }
    if (std::isalpha(static_cast<unsigned char>(Peek())) || Peek() == '_') {
      return Error(pos_, "unexpected '" + std::string(1, Peek()) + "' after the number '" +
                             std::string(text_.substr(start, pos_.offset - start)) + "'");
    }
    t->text = std::string(text_.substr(start, pos_.offset - start));
    const char* b = t->text.data();
    const char* e = b + t->text.size();
    if (!decimal) {
      auto res = std::from_chars(b, e, t->int_value);
      if (res.ec == std::errc()) {
        t->kind = TokenKind::kInt;
        return Status::Ok();
      }
      // Too large for an Int: read it as a Decimal.
    }
    auto res = std::from_chars(b, e, t->decimal_value);
    if (res.ec != std::errc()) return Error(t->pos, "number '" + t->text + "' is out of range");
    t->kind = TokenKind::kDecimal;
    return Status::Ok();
  }

  Status String(Token* t) {
    char quote = Peek();
    Advance();
    std::string s;
    while (true) {
      if (AtEnd()) return Error(t->pos, "unterminated string starting here");
      char c = Peek();
      if (c == quote) {
        Advance();
        if (Peek() == quote) {  // doubled quote
          s.push_back(quote);
          Advance();
          continue;
        }
        break;
      }
      if (c == '\\') {
        SourcePos esc = pos_;
        Advance();
        if (AtEnd()) return Error(t->pos, "unterminated string starting here");
        char e = Peek();
        Advance();
        switch (e) {
          case 'n': s.push_back('\n'); break;
          case 't': s.push_back('\t'); break;
          case 'r': s.push_back('\r'); break;
          case 'b': s.push_back('\b'); break;
          case 'f': s.push_back('\f'); break;
          case '\\': case '\'': case '"': case '/': s.push_back(e); break;
          case 'u': {
            uint32_t cp = 0;
            for (int i = 0; i < 4; ++i) {
              char h = Peek();
              if (!std::isxdigit(static_cast<unsigned char>(h))) {
                return Error(esc, "\\u needs four hex digits");
              }
              cp = cp * 16 + (std::isdigit(static_cast<unsigned char>(h))
                                  ? h - '0'
                                  : std::tolower(static_cast<unsigned char>(h)) - 'a' + 10);
              Advance();
            }
            AppendUtf8(cp, &s);
            break;
          }
          default:
            return Error(esc, std::string("unknown escape '\\") + e + "' in string");
        }
        continue;
      }
      s.push_back(c);
      Advance();
    }
    t->kind = TokenKind::kString;
    t->text = std::move(s);
    return Status::Ok();
  }

  Status Operator(Token* t) {
    static constexpr std::string_view kTwo[] = {"<>", "!=", "<=", ">="};
    std::string_view rest = text_.substr(pos_.offset);
    for (std::string_view op : kTwo) {
      if (rest.substr(0, 2) == op) {
        t->kind = TokenKind::kOp;
        t->text = std::string(op);
        Advance();
        Advance();
        return Status::Ok();
      }
    }
    static constexpr std::string_view kOne = "()[]{},.:*+-/%=<>";
    char c = Peek();
    if (static_cast<unsigned char>(c) >= 0x80) return NotAscii();
    if (kOne.find(c) == std::string_view::npos) {
      std::string message = "unexpected character '" + std::string(1, c) + "'";
      if (std::optional<std::string_view> filter = UnquotedFromFilter()) {
        message +=
            ": a topic filter after FROM goes in single quotes ('" + PrintableUtf8(*filter) + "')";
      }
      return Error(pos_, message);
    }
    t->kind = TokenKind::kOp;
    t->text = std::string(1, c);
    Advance();
    return Status::Ok();
  }

  // The unquoted topic filter that the character here is part of, when it follows FROM
  // (`SELECT * FROM devices/#`: the lexer stops at '#' before the parser sees FROM).
  std::optional<std::string_view> UnquotedFromFilter() const {
    auto blank = [](char c) { return std::isspace(static_cast<unsigned char>(c)) != 0; };
    size_t from = pos_.offset, to = pos_.offset;
    while (from > 0 && !blank(text_[from - 1]) && text_[from - 1] != '\'') --from;
    while (to < text_.size() && !blank(text_[to]) && text_[to] != '\'') ++to;
    size_t word_end = from;
    while (word_end > 0 && blank(text_[word_end - 1])) --word_end;
    if (word_end == from || word_end < 4) return std::nullopt;
    if (!EqualsIgnoreCase(text_.substr(word_end - 4, 4), "FROM")) return std::nullopt;
    if (word_end > 4 && IsNameChar(text_[word_end - 5])) return std::nullopt;
    return text_.substr(from, to - from);
  }

  // A byte past ASCII where a token starts: the whole character it starts (or the byte,
  // when it starts none), and for a name that holds it (température) the backquotes that
  // make it one.
  Status NotAscii() const {
    size_t n = Utf8SequenceLength(text_, pos_.offset);
    if (n == 0) {
      return Error(pos_, "unexpected byte " + PrintableUtf8(text_.substr(pos_.offset, 1)) +
                             ": the statement is not UTF-8");
    }
    auto in_name = [](char c) {
      return IsNameChar(c) || c == '$' || static_cast<unsigned char>(c) >= 0x80;
    };
    size_t from = pos_.offset, to = pos_.offset;
    while (from > 0 && in_name(text_[from - 1])) --from;
    while (to < text_.size() && in_name(text_[to])) ++to;
    std::string_view name = text_.substr(from, to - from);
    return Error(pos_, "unexpected character '" + std::string(text_.substr(pos_.offset, n)) +
                           "': a name holding characters other than ASCII letters, digits, '_' "
                           "and '$' goes in backquotes (" +
                           (IsWellFormedUtf8(name) ? "`" + std::string(name) + "`" : "`name`") +
                           ")");
  }

  std::string_view text_;
  bool multiline_;
  SourcePos pos_;
};

}  // namespace

Result<std::vector<Token>> Tokenize(std::string_view text) {
  if (text.size() > kMaxSourceBytes) {
    return InvalidArgument("text is " + std::to_string(text.size()) + " bytes, over the " +
                           std::to_string(kMaxSourceBytes) + "-byte limit");
  }
  return Lexer(text).Run();
}

}  // namespace tributary::expr
