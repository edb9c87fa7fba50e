#include "lake/hive_type.h"

#include <cctype>

#include "parquet/decimal.h"

namespace tributary::lake {
namespace {

using Kind = HiveType::Kind;

// `name`, a backtick in it written twice.
std::string QuotedName(std::string_view name) {
  std::string out = "`";
  for (char c : name) {
    if (c == '`') out.push_back('`');
    out.push_back(c);
  }
  out.push_back('`');
  return out;
}

bool NeedsQuotes(std::string_view name) {
  if (name.empty()) return true;
  for (char c : name) {
    if (c == ':' || c == ',' || c == '<' || c == '>' || c == '`' ||
        std::isspace(static_cast<unsigned char>(c))) {
      return true;
    }
  }
  return false;
}

// A recursive-descent parser over the text; `pos_` is the offset errors name.
class Parser {
 public:
  explicit Parser(std::string_view text) : text_(text) {}

  Result<HiveType> ParseAll() {
    TRY_ASSIGN(HiveType t, ParseType(0));
    SkipSpace();
    if (pos_ != text_.size()) return Error("unexpected text");
    return t;
  }

 private:
  static constexpr int kMaxDepth = 64;

  Status Error(const std::string& what) const {
    return InvalidArgument(what + " at offset " + std::to_string(pos_) + " of type '" +
                           std::string(text_) + "'");
  }
  void SkipSpace() {
    while (pos_ < text_.size() && std::isspace(static_cast<unsigned char>(text_[pos_]))) ++pos_;
  }
  bool Eat(char c) {
    SkipSpace();
    if (pos_ < text_.size() && text_[pos_] == c) {
      ++pos_;
      return true;
    }
    return false;
  }
  std::string Word() {
    SkipSpace();
    size_t start = pos_;
    while (pos_ < text_.size() &&
           (std::isalnum(static_cast<unsigned char>(text_[pos_])) || text_[pos_] == '_')) {
      ++pos_;
    }
    std::string w(text_.substr(start, pos_ - start));
    for (char& c : w) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return w;
  }

  Result<std::string> FieldName() {
    SkipSpace();
    if (pos_ < text_.size() && text_[pos_] == '`') {
      // `a b`, with a backtick in the name written twice (Hive's quoting).
      std::string name;
      size_t at = pos_ + 1;
      while (true) {
        size_t end = text_.find('`', at);
        if (end == std::string_view::npos) return Error("unterminated ` in a field name");
        name.append(text_.substr(at, end - at));
        if (end + 1 < text_.size() && text_[end + 1] == '`') {
          name.push_back('`');
          at = end + 2;
          continue;
        }
        pos_ = end + 1;
        return name;
      }
    }
    size_t start = pos_;
    while (pos_ < text_.size() && text_[pos_] != ':' && text_[pos_] != ',' && text_[pos_] != '>' &&
           text_[pos_] != '<') {
      ++pos_;
    }
    std::string_view name = text_.substr(start, pos_ - start);
    while (!name.empty() && std::isspace(static_cast<unsigned char>(name.back())))
      name.remove_suffix(1);
    if (name.empty()) return Error("expected a field name");
    return std::string(name);
  }

  Result<HiveType> ParseType(int depth) {
    if (depth > kMaxDepth) return Error("types nested deeper than 64 levels");
    size_t start = pos_;
    std::string word = Word();
    if (word.empty()) return Error("expected a type name");
    if (word == "boolean") return HiveType::Of(Kind::kBoolean);
    if (word == "bigint") return HiveType::Of(Kind::kBigint);
    if (word == "double") return HiveType::Of(Kind::kDouble);
    if (word == "string") return HiveType::Of(Kind::kString);
    if (word == "timestamp") return HiveType::Of(Kind::kTimestamp);
    if (word == "int" || word == "smallint" || word == "tinyint" || word == "float" ||
        word == "date" || word == "binary") {
      HiveType t = HiveType::Of(Kind::kOther);
      t.other = word;
      return t;
    }
    if (word == "varchar" || word == "char") {  // varchar(32): a length is required
      HiveType t = HiveType::Of(Kind::kOther);
      std::string n;
      if (!Eat('(') || (n = Word()).empty() || !std::isdigit(static_cast<unsigned char>(n[0]))) {
        return Error("expected a length: " + word + "(n)");
      }
      if (!Eat(')')) return Error("expected ')'");
      t.other = word + "(" + n + ")";
      return t;
    }
    if (word == "decimal") {
      HiveType t = HiveType::Of(Kind::kOther);
      t.other = "decimal";
      if (Eat('(')) {
        std::string p = Word();
        if (p.empty() || !std::isdigit(static_cast<unsigned char>(p[0])))
          return Error("expected a precision");
        t.other += "(" + p;
        if (Eat(',')) {
          std::string s = Word();
          if (s.empty() || !std::isdigit(static_cast<unsigned char>(s[0])))
            return Error("expected a scale");
          t.other += "," + s;
        }
        if (!Eat(')')) return Error("expected ')'");
        t.other += ")";
      }
      int precision = 0, scale = 0;
      if (Status st = parquet::ParseDecimalType(t.other, &precision, &scale); !st.ok()) {
        return Error(st.message());
      }
      return t;
    }
    if (word == "array") {
      if (!Eat('<')) return Error("expected '<' after array");
      TRY_ASSIGN(HiveType element, ParseType(depth + 1));
      if (!Eat('>')) return Error("expected '>'");
      return HiveType::ArrayOf(std::move(element));
    }
    if (word == "map") {  // map<k,v>: kept as its text (kOther), its types checked
      if (!Eat('<')) return Error("expected '<' after map");
      TRY_ASSIGN(HiveType key, ParseType(depth + 1));
      if (!Eat(',')) return Error("expected ',' after the map's key type");
      TRY_ASSIGN(HiveType value, ParseType(depth + 1));
      if (!Eat('>')) return Error("expected '>'");
      HiveType t = HiveType::Of(Kind::kOther);
      t.other = "map<" + FormatHiveType(key) + "," + FormatHiveType(value) + ">";
      return t;
    }
    if (word == "struct") {
      if (!Eat('<')) return Error("expected '<' after struct");
      HiveType t = HiveType::Of(Kind::kStruct);
      if (Eat('>')) return t;
      do {
        TRY_ASSIGN(std::string name, FieldName());
        if (!Eat(':')) return Error("expected ':' after field name '" + name + "'");
        TRY_ASSIGN(HiveType ft, ParseType(depth + 1));
        if (t.FindField(name) != nullptr) return Error("duplicate field '" + name + "'");
        t.fields.push_back({std::move(name), std::move(ft)});
      } while (Eat(','));
      if (!Eat('>')) return Error("expected ',' or '>'");
      return t;
    }
    pos_ = start;
    SkipSpace();
    return Error("unknown type '" + word + "'");
  }

  std::string_view text_;
  size_t pos_ = 0;
};

}  // namespace

HiveType HiveType::ArrayOf(HiveType element) {
  HiveType t = Of(Kind::kArray);
  t.element.push_back(std::move(element));
  return t;
}

bool HiveType::operator==(const HiveType& o) const {
  return kind == o.kind && other == o.other && fields == o.fields && element == o.element;
}

const HiveType* HiveType::FindField(std::string_view name) const {
  for (const auto& f : fields) {
    if (f.name == name) return &f.type;
  }
  return nullptr;
}

Result<HiveType> ParseHiveType(std::string_view text) { return Parser(text).ParseAll(); }

std::string FormatHiveType(const HiveType& type) {
  switch (type.kind) {
    case Kind::kNull:
    case Kind::kString:
      return "string";
    case Kind::kBoolean:
      return "boolean";
    case Kind::kBigint:
      return "bigint";
    case Kind::kDouble:
      return "double";
    case Kind::kTimestamp:
      return "timestamp";
    case Kind::kOther:
      return type.other;
    case Kind::kArray:
      return "array<" +
             (type.element.empty() ? std::string("string") : FormatHiveType(type.element[0])) + ">";
    case Kind::kStruct: {
      std::string out = "struct<";
      for (size_t i = 0; i < type.fields.size(); ++i) {
        if (i > 0) out += ',';
        const auto& f = type.fields[i];
        out += NeedsQuotes(f.name) ? QuotedName(f.name) : f.name;
        out += ':';
        out += FormatHiveType(f.type);
      }
      return out + ">";
    }
  }
  return "string";
}

}  // namespace tributary::lake
