#include "lake/schema_inference.h"

#include <cctype>

namespace tributary::lake {
namespace {

using Kind = HiveType::Kind;

bool Digits(std::string_view s, size_t pos, size_t n) {
  if (pos + n > s.size()) return false;
  for (size_t i = pos; i < pos + n; ++i) {
    if (!std::isdigit(static_cast<unsigned char>(s[i]))) return false;
  }
  return true;
}

int Number(std::string_view s, size_t pos, size_t n) {
  int v = 0;
  for (size_t i = pos; i < pos + n; ++i) v = v * 10 + (s[i] - '0');
  return v;
}

bool Numeric(Kind k) { return k == Kind::kBigint || k == Kind::kDouble; }

}  // namespace

bool LooksLikeTimestamp(std::string_view s) {
  // yyyy-mm-dd
  if (!Digits(s, 0, 4) || s.size() < 16 || s[4] != '-' || !Digits(s, 5, 2) || s[7] != '-' ||
      !Digits(s, 8, 2)) {
    return false;
  }
  int month = Number(s, 5, 2), day = Number(s, 8, 2);
  if (month < 1 || month > 12 || day < 1 || day > 31) return false;
  // 'T' or ' ' hh:mm
  if ((s[10] != 'T' && s[10] != 't' && s[10] != ' ') || !Digits(s, 11, 2) || s[13] != ':' ||
      !Digits(s, 14, 2)) {
    return false;
  }
  if (Number(s, 11, 2) > 23 || Number(s, 14, 2) > 59) return false;
  size_t pos = 16;
  if (pos < s.size() && s[pos] == ':') {  // :ss
    if (!Digits(s, pos + 1, 2) || Number(s, pos + 1, 2) > 60) return false;
    pos += 3;
    if (pos < s.size() && (s[pos] == '.' || s[pos] == ',')) {  // .fraction
      size_t start = ++pos;
      while (pos < s.size() && std::isdigit(static_cast<unsigned char>(s[pos]))) ++pos;
      if (pos == start || pos - start > 9) return false;
    }
  }
  if (pos == s.size()) return true;
  if ((s[pos] == 'Z' || s[pos] == 'z') && pos + 1 == s.size()) return true;
  if (s[pos] == '+' || s[pos] == '-') {
    if (!Digits(s, pos + 1, 2)) return false;
    pos += 3;
    if (pos == s.size()) return true;
    if (s[pos] == ':') ++pos;
    return Digits(s, pos, 2) && pos + 2 == s.size();
  }
  return false;
}

HiveType InferType(simdjson::dom::element value) {
  SchemaBuilder scratch;
  return scratch.Infer(value, "", "");
}

HiveType SchemaBuilder::Infer(simdjson::dom::element value, const std::string& path,
                              const std::string& where) {
  using simdjson::dom::element_type;
  switch (value.type()) {
    case element_type::NULL_VALUE:
      return HiveType::Of(Kind::kNull);
    case element_type::BOOL:
      return HiveType::Of(Kind::kBoolean);
    case element_type::INT64:
      return HiveType::Of(Kind::kBigint);
    // Above INT64_MAX: no Hive integer holds it.
    case element_type::UINT64:
      return HiveType::Of(Kind::kDouble);
    case element_type::DOUBLE:
      return HiveType::Of(Kind::kDouble);
    case element_type::STRING: {
      std::string_view s = value.get_string().value_unsafe();
      return HiveType::Of(LooksLikeTimestamp(s) ? Kind::kTimestamp : Kind::kString);
    }
    case element_type::ARRAY: {
      HiveType element = HiveType::Of(Kind::kNull);
      std::string element_path = path + "[]";
      simdjson::dom::array items = value.get_array().value_unsafe();
      for (auto item : items) {
        element = Merge(element, Infer(item, element_path, where), element_path, where);
      }
      return HiveType::ArrayOf(std::move(element));
    }
    case element_type::OBJECT: {
      HiveType t = HiveType::Of(Kind::kStruct);
      simdjson::dom::object fields = value.get_object().value_unsafe();
      for (auto field : fields) {
        std::string name(field.key);
        std::string field_path = path.empty() ? name : path + "." + name;
        HiveType ft = Infer(field.value, field_path, where);
        bool merged = false;
        for (auto& f : t.fields) {  // a duplicate key: the later value wins, as in most parsers
          if (f.name == name) {
            f.type = std::move(ft);
            merged = true;
            break;
          }
        }
        if (!merged) t.fields.push_back({std::move(name), std::move(ft)});
      }
      return t;
    }
  }
  return HiveType::Of(Kind::kString);
}

Result<SchemaBuilder> SchemaBuilder::FromColumns(const std::vector<Column>& columns) {
  SchemaBuilder b;
  for (const auto& c : columns) {
    auto t = ParseHiveType(c.type);
    if (!t.ok()) return InvalidArgument("column '" + c.name + "': " + t.status().message());
    b.root_.fields.push_back({c.name, std::move(*t)});
  }
  return b;
}

void SchemaBuilder::AddRecord(simdjson::dom::object record, const std::string& where) {
  for (auto field : record) {
    std::string name(field.key);
    HiveType t = Infer(field.value, name, where);
    MergeField(std::move(name), std::move(t), where);
  }
}

Status SchemaBuilder::AddColumns(const std::vector<Column>& columns, const std::string& where) {
  for (const Column& c : columns) {
    auto t = ParseHiveType(c.type);
    if (!t.ok()) return t.status().WithContext(where + ": column " + c.name);
    MergeField(c.name, std::move(t).value(), where);
  }
  return Status::Ok();
}

void SchemaBuilder::MergeField(std::string name, HiveType t, const std::string& where) {
  for (auto& f : root_.fields) {
    if (f.name == name) {
      f.type = Merge(f.type, t, name, where);
      return;
    }
  }
  root_.fields.push_back({std::move(name), std::move(t)});
}

std::vector<Column> SchemaBuilder::Columns() const {
  std::vector<Column> out;
  for (const auto& f : root_.fields) out.push_back({f.name, FormatHiveType(f.type), ""});
  return out;
}

void SchemaBuilder::Report(const std::string& path, const HiveType& a, const HiveType& b,
                           const std::string& where) {
  for (auto& c : conflicts_) {
    if (c.column == path) {
      ++c.count;
      std::string tb = FormatHiveType(b);
      if (c.types.find(tb) == std::string::npos) c.types += ", " + tb;
      return;
    }
  }
  conflicts_.push_back({path, FormatHiveType(a) + ", " + FormatHiveType(b), where, 1});
}

HiveType SchemaBuilder::Merge(const HiveType& a, const HiveType& b, const std::string& path,
                              const std::string& where) {
  if (b.kind == Kind::kNull) return a;
  if (a.kind == Kind::kNull) return b;
  if (a.kind == b.kind && a.kind != Kind::kStruct && a.kind != Kind::kArray && a.other == b.other)
    return a;
  if (Numeric(a.kind) && Numeric(b.kind)) return HiveType::Of(Kind::kDouble);
  auto textual = [](Kind k) { return k == Kind::kString || k == Kind::kTimestamp; };
  if (textual(a.kind) && textual(b.kind)) return HiveType::Of(Kind::kString);
  if (a.kind == Kind::kStruct && b.kind == Kind::kStruct) {
    HiveType out = a;
    for (const auto& fb : b.fields) {
      bool found = false;
      for (auto& fo : out.fields) {
        if (fo.name == fb.name) {
          fo.type = Merge(fo.type, fb.type, path + "." + fb.name, where);
          found = true;
          break;
        }
      }
      if (!found) out.fields.push_back(fb);
    }
    return out;
  }
  if (a.kind == Kind::kArray && b.kind == Kind::kArray) {
    return HiveType::ArrayOf(Merge(a.element[0], b.element[0], path + "[]", where));
  }
  Report(path, a, b, where);
  return HiveType::Of(Kind::kString);
}

}  // namespace tributary::lake
