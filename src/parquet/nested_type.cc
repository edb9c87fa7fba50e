#include "parquet/nested_type.h"

#include <cctype>
#include <set>

#include "parquet/decimal.h"

namespace tributary::parquet {
namespace {

// Recursive descent over the text form; positions in errors count from 0.
class TypeParser {
 public:
  explicit TypeParser(std::string_view text) : text_(text) {}

  Result<NestedType> ParseAll() {
    TRY_ASSIGN(NestedType t, ParseType(0));
    if (pos_ != text_.size()) return Error("unexpected '" + std::string(1, text_[pos_]) + "'");
    return t;
  }

 private:
  static constexpr int kMaxDepth = 64;

  Status Error(const std::string& what) const {
    return InvalidArgument("type '" + std::string(text_) + "' at offset " + std::to_string(pos_) +
                           ": " + what);
  }

  Status Expect(char c) {
    if (pos_ >= text_.size() || text_[pos_] != c) {
      return Error(pos_ >= text_.size() ? "expected '" + std::string(1, c) + "', got the end"
                                        : "expected '" + std::string(1, c) + "', got '" +
                                              std::string(1, text_[pos_]) + "'");
    }
    ++pos_;
    return Status::Ok();
  }

  std::string_view Word() {
    size_t start = pos_;
    while (pos_ < text_.size() &&
           (std::isalnum(static_cast<unsigned char>(text_[pos_])) || text_[pos_] == '_')) {
      ++pos_;
    }
    return text_.substr(start, pos_ - start);
  }

  Result<NestedType> ParseType(int depth) {
    if (depth > kMaxDepth) return Error("types nested deeper than 64");
    size_t start = pos_;
    std::string_view word = Word();
    if (word.empty()) return Error("expected a type");
    if (word == "struct") {
      TRY(Expect('<'));
      std::vector<std::string> names;
      std::vector<NestedType> fields;
      while (true) {
        size_t name_start = pos_;
        while (pos_ < text_.size() && text_[pos_] != ':' && text_[pos_] != ',' &&
               text_[pos_] != '<' && text_[pos_] != '>') {
          ++pos_;
        }
        if (pos_ == name_start) return Error("expected a field name");
        names.emplace_back(text_.substr(name_start, pos_ - name_start));
        TRY(Expect(':'));
        TRY_ASSIGN(NestedType f, ParseType(depth + 1));
        fields.push_back(std::move(f));
        if (pos_ < text_.size() && text_[pos_] == ',') {
          ++pos_;
          continue;
        }
        TRY(Expect('>'));
        break;
      }
      return NestedType::Struct(std::move(names), std::move(fields));
    }
    if (word == "list" || word == "array") {
      TRY(Expect('<'));
      TRY_ASSIGN(NestedType element, ParseType(depth + 1));
      TRY(Expect('>'));
      return NestedType::List(std::move(element));
    }
    if (word == "map") {
      TRY(Expect('<'));
      TRY_ASSIGN(NestedType key, ParseType(depth + 1));
      TRY(Expect(','));
      TRY_ASSIGN(NestedType value, ParseType(depth + 1));
      TRY(Expect('>'));
      return NestedType::Map(std::move(key), std::move(value));
    }
    if (word == "decimal") {
      size_t close = text_.find(')', pos_);
      if (pos_ >= text_.size() || text_[pos_] != '(' || close == std::string_view::npos) {
        return Error("expected decimal(precision,scale)");
      }
      pos_ = close + 1;
      NestedType t = NestedType::Primitive(ColumnType::kDecimal);
      Status st = ParseDecimalType(text_.substr(start, pos_ - start), &t.precision, &t.scale);
      if (!st.ok()) return Error(st.message());
      return t;
    }
    for (ColumnType c :
         {ColumnType::kBoolean, ColumnType::kInt32, ColumnType::kInt64, ColumnType::kFloat,
          ColumnType::kDouble, ColumnType::kString, ColumnType::kTimestamp, ColumnType::kDate}) {
      if (word == ColumnTypeName(c)) return NestedType::Primitive(c);
    }
    pos_ = start;
    return Error("unknown type '" + std::string(word) +
                 "' (expected a primitive, struct<...>, list<...> or map<...>)");
  }

  std::string_view text_;
  size_t pos_ = 0;
};

}  // namespace

NestedType NestedType::Primitive(ColumnType t, int precision, int scale) {
  NestedType n;
  n.primitive = t;
  n.precision = precision;
  n.scale = scale;
  return n;
}

NestedType NestedType::List(NestedType element) {
  NestedType n;
  n.kind = Kind::kList;
  n.children.push_back(std::move(element));
  return n;
}

NestedType NestedType::Map(NestedType key, NestedType value) {
  NestedType n;
  n.kind = Kind::kMap;
  n.children.push_back(std::move(key));
  n.children.push_back(std::move(value));
  return n;
}

NestedType NestedType::Struct(std::vector<std::string> names, std::vector<NestedType> fields) {
  NestedType n;
  n.kind = Kind::kStruct;
  n.names = std::move(names);
  n.children = std::move(fields);
  return n;
}

Column NestedType::PrimitiveColumn(std::string name, bool optional) const {
  Column c;
  c.name = std::move(name);
  c.type = primitive;
  c.optional = optional;
  c.precision = precision;
  c.scale = scale;
  return c;
}

Result<NestedType> NestedType::Parse(std::string_view text) {
  TRY_ASSIGN(NestedType t, TypeParser(text).ParseAll());
  Status st = t.Validate();
  if (!st.ok()) return st.WithContext("type '" + std::string(text) + "'");
  return t;
}

std::string NestedType::ToString() const {
  switch (kind) {
    case Kind::kPrimitive:
      return PrimitiveColumn("", false).TypeText();
    case Kind::kList:
      return "list<" + children[0].ToString() + ">";
    case Kind::kMap:
      return "map<" + children[0].ToString() + "," + children[1].ToString() + ">";
    case Kind::kStruct: {
      std::string out = "struct<";
      for (size_t i = 0; i < children.size(); ++i) {
        if (i > 0) out += ',';
        out += names[i];
        out += ':';
        out += children[i].ToString();
      }
      return out + ">";
    }
  }
  return "";
}

Status NestedType::Validate() const {
  switch (kind) {
    case Kind::kPrimitive:
      if (primitive == ColumnType::kDecimal) return ValidateDecimal(precision, scale);
      return Status::Ok();
    case Kind::kList:
      if (children.size() != 1) return InvalidArgument("a list has one element type");
      return children[0].Validate();
    case Kind::kMap:
      if (children.size() != 2) return InvalidArgument("a map has a key and a value type");
      if (children[0].nested()) {
        return InvalidArgument("a map's key must be a primitive, not " + children[0].ToString());
      }
      TRY(children[0].Validate());
      return children[1].Validate();
    case Kind::kStruct: {
      if (children.empty() || names.size() != children.size()) {
        return InvalidArgument("a struct needs at least one field, each named");
      }
      std::set<std::string> seen;
      for (size_t i = 0; i < children.size(); ++i) {
        if (names[i].empty()) return InvalidArgument("a struct field has an empty name");
        if (!seen.insert(names[i]).second) {
          return InvalidArgument("struct names field '" + names[i] + "' twice");
        }
        Status st = children[i].Validate();
        if (!st.ok()) return st.WithContext("field '" + names[i] + "'");
      }
      return Status::Ok();
    }
  }
  return Status::Ok();
}

}  // namespace tributary::parquet
