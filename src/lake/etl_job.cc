#include "lake/etl_job.h"

#include <set>

#include "base/ascii.h"
#include "base/json_text.h"
#include "expr/compiled.h"
#include "parquet/compression.h"
#include "parquet/decimal.h"

namespace tributary::lake {
namespace {

using nlohmann::json;

Status At(const std::string& where, const std::string& what) { return InvalidArgument(where + ": " + what); }

std::string TypeList() { return "boolean, int, bigint, float, double, string, timestamp, date, decimal(p,s)"; }

Result<std::string> StringAt(const json& obj, const char* key, const std::string& where, bool required) {
  auto it = obj.find(key);
  if (it == obj.end()) {
    if (required) return At(where, std::string("'") + key + "' is missing");
    return std::string();
  }
  if (!it->is_string()) return At(where + "." + key, "must be a string");
  return it->get<std::string>();
}

Result<std::vector<std::string>> StringList(const json& v, const std::string& where) {
  if (v.is_string()) return std::vector<std::string>{v.get<std::string>()};
  if (!v.is_array()) return At(where, "must be a list of column names");
  std::vector<std::string> out;
  for (size_t i = 0; i < v.size(); ++i) {
    if (!v[i].is_string() || v[i].get<std::string>().empty()) {
      return At(where + "[" + std::to_string(i) + "]", "must be a non-empty string");
    }
    out.push_back(v[i].get<std::string>());
  }
  return out;
}

Result<std::vector<std::string>> SplitPath(const std::string& path, const std::string& where) {
  std::vector<std::string> out;
  size_t start = 0;
  for (;;) {
    size_t dot = path.find('.', start);
    std::string part = path.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
    if (part.empty()) return At(where, "source path '" + path + "' has an empty segment");
    out.push_back(std::move(part));
    if (dot == std::string::npos) break;
    start = dot + 1;
  }
  return out;
}

Result<EtlType> TypeAt(const json& v, const std::string& where, DecimalSpec* decimal) {
  if (!v.is_string()) return At(where, "must be a type name (" + TypeList() + ")");
  const std::string name = AsciiLowered(v.get_ref<const std::string&>());
  if (parquet::IsDecimalType(name)) {
    Status st = parquet::ParseDecimalType(name, &decimal->precision, &decimal->scale);
    if (!st.ok()) return At(where, st.message());
    return EtlType::kDecimal;
  }
  auto t = ParseEtlType(name);
  if (!t) return At(where, "unknown type '" + v.get<std::string>() + "' (known: " + TypeList() + ")");
  return *t;
}

// "struct", "array", "map": Glue's names of the nested kinds (alone, or before <...>).
bool IsNestedKindName(std::string_view lowered) {
  return lowered == "struct" || lowered == "array" || lowered == "map";
}

Result<TransformSpec> ParseMapping(const json& v, const std::string& where) {
  TransformSpec t;
  t.kind = TransformSpec::Kind::kApplyMapping;
  if (!v.is_array() || v.empty()) return At(where, "must be a non-empty list of [source path, source type, target name, target type]");
  std::set<std::string> names;
  for (size_t i = 0; i < v.size(); ++i) {
    std::string at = where + "[" + std::to_string(i) + "]";
    const json& m = v[i];
    if (!m.is_array() || m.size() != 4) return At(at, "must be [source path, source type, target name, target type]");
    for (size_t k = 0; k < 4; ++k) {
      if (!m[k].is_string() || m[k].get<std::string>().empty()) {
        return At(at + "[" + std::to_string(k) + "]", "must be a non-empty string");
      }
    }
    FieldMapping f;
    f.source_path = m[0].get<std::string>();
    TRY_ASSIGN(f.path, SplitPath(f.source_path, at + "[0]"));
    f.source_type = m[1].get<std::string>();
    if (!IsNestedKindName(AsciiLowered(f.source_type)) && !ParseEtlType(f.source_type)) {
      auto hive = ParseHiveType(f.source_type);
      if (!hive.ok()) return At(at + "[1]", "source type '" + f.source_type + "': " + hive.status().message());
    }
    f.target_name = m[2].get<std::string>();
    const std::string target = AsciiLowered(m[3].get<std::string>());
    if (IsNestedKindName(target.substr(0, target.find('<')))) {
      if (target.find('<') != std::string::npos) {
        auto hive = ParseHiveType(target);
        if (!hive.ok())
          return At(at + "[3]",
                    "target type '" + m[3].get<std::string>() + "': " + hive.status().message());
      }
      f.target_type = EtlType::kString;
      f.target_nested = target;
    } else {
      TRY_ASSIGN(f.target_type, TypeAt(m[3], at + "[3]", &f.target_decimal));
    }
    if (!names.insert(f.target_name).second) return At(at + "[2]", "target name '" + f.target_name + "' is used twice");
    t.mappings.push_back(std::move(f));
  }
  return t;
}

Status CheckExpression(const std::string& text, const std::string& where) {
  auto e = expr::Expression::Compile(text);
  if (!e.ok()) return At(where, e.status().message());
  return Status::Ok();
}

Result<TransformSpec> ParseTransform(const json& v, const std::string& where) {
  if (v.is_string() && v.get<std::string>() == "drop_null_fields") {
    TransformSpec t;
    t.kind = TransformSpec::Kind::kDropNullFields;
    return t;
  }
  if (!v.is_object() || v.size() != 1) {
    return At(where, "must be an object with one of explode, apply_mapping, filter, derive, dedupe, drop_null_fields");
  }
  const std::string& name = v.begin().key();
  const json& arg = v.begin().value();
  std::string at = where + "." + name;
  TransformSpec t;
  if (name == "explode") {
    t.kind = TransformSpec::Kind::kExplode;
    if (arg.is_string()) {
      t.explode_field = arg.get<std::string>();
    } else if (arg.is_object()) {
      for (auto it = arg.begin(); it != arg.end(); ++it) {
        if (it.key() != "field" && it.key() != "as" && it.key() != "include_nulls") {
          return At(at + "." + it.key(), "unknown key (known: field, as, include_nulls)");
        }
      }
      TRY_ASSIGN(t.explode_field, StringAt(arg, "field", at, true));
      TRY_ASSIGN(t.explode_as, StringAt(arg, "as", at, false));
      if (arg.contains("include_nulls")) {
        if (!arg["include_nulls"].is_boolean())
          return At(at + ".include_nulls", "must be true or false");
        t.explode_include_nulls = arg["include_nulls"].get<bool>();
      }
    } else {
      return At(at, "must be a field name or {\"field\": ..., \"as\": ...}");
    }
    if (t.explode_field.empty()) return At(at, "needs the array's field name");
    if (t.explode_field.front() == '.' || t.explode_field.back() == '.' ||
        t.explode_field.find("..") != std::string::npos) {
      return At(at, "'" + t.explode_field + "' has an empty name in its path");
    }
    if (t.explode_as.empty()) t.explode_as = t.explode_field.substr(t.explode_field.rfind('.') + 1);
    if (t.explode_as.find('.') != std::string::npos) {
      return At(at + ".as", "'" + t.explode_as + "' must be a top-level field name, not a path");
    }
  } else if (name == "apply_mapping") {
    TRY_ASSIGN(t, ParseMapping(arg, at));
  } else if (name == "filter") {
    t.kind = TransformSpec::Kind::kFilter;
    if (!arg.is_string() || arg.get<std::string>().empty()) return At(at, "must be an expression (a string)");
    t.condition = arg.get<std::string>();
    TRY(CheckExpression(t.condition, at));
  } else if (name == "derive") {
    t.kind = TransformSpec::Kind::kDerive;
    if (!arg.is_object() || arg.empty()) return At(at, "must be an object: {\"column\": \"expression\", ...}");
    for (auto it = arg.begin(); it != arg.end(); ++it) {
      std::string cat = at + "." + it.key();
      DerivedColumn d;
      d.name = it.key();
      if (d.name.empty()) return At(at, "a derived column needs a name");
      if (it->is_string()) {
        d.expression = it->get<std::string>();
      } else if (it->is_object()) {
        TRY_ASSIGN(d.expression, StringAt(*it, "expression", cat, true));
        if (it->contains("type")) {
          const json& type = (*it)["type"];
          const std::string lowered = type.is_string() ? AsciiLowered(type.get<std::string>()) : "";
          if (IsNestedKindName(lowered.substr(0, lowered.find('<')))) {
            if (lowered.find('<') == std::string::npos) {
              return At(cat + ".type", "'" + type.get<std::string>() + "' needs its members (" +
                                           lowered +
                                           "<...>): a derived column has no source type to take");
            }
            auto hive = ParseHiveType(lowered);
            if (!hive.ok()) {
              return At(cat + ".type",
                        "'" + type.get<std::string>() + "': " + hive.status().message());
            }
            d.type = EtlType::kString;
            d.nested = lowered;
          } else {
            TRY_ASSIGN(d.type, TypeAt(type, cat + ".type", &d.decimal));
          }
        }
      } else {
        return At(cat, "must be an expression or {\"expression\": ..., \"type\": ...}");
      }
      TRY(CheckExpression(d.expression, cat));
      t.derived.push_back(std::move(d));
    }
  } else if (name == "dedupe") {
    t.kind = TransformSpec::Kind::kDedupe;
    TRY_ASSIGN(t.columns, StringList(arg, at));
    if (t.columns.empty()) return At(at, "needs at least one key column");
  } else if (name == "drop_null_fields") {
    t.kind = TransformSpec::Kind::kDropNullFields;
    if (arg.is_boolean()) {
      if (!arg.get<bool>()) return At(at, "false is not allowed; leave the transform out instead");
    } else {
      TRY_ASSIGN(t.columns, StringList(arg, at));
    }
  } else {
    return At(where, "unknown transform '" + name + "' (known: explode, apply_mapping, filter, derive, dedupe, drop_null_fields)");
  }
  return t;
}

Result<LakePath> PathAt(const json& obj, const char* key, const std::string& where, bool required) {
  TRY_ASSIGN(std::string text, StringAt(obj, key, where, required));
  if (text.empty() && !required) return LakePath{};
  auto p = LakePath::Parse(text);
  if (!p.ok()) return At(where + "." + key, p.status().message());
  return *p;
}

}  // namespace

std::string_view EtlTypeName(EtlType type) {
  switch (type) {
    case EtlType::kBoolean: return "boolean";
    case EtlType::kInt: return "int";
    case EtlType::kBigint: return "bigint";
    case EtlType::kFloat: return "float";
    case EtlType::kDouble: return "double";
    case EtlType::kString: return "string";
    case EtlType::kTimestamp: return "timestamp";
    case EtlType::kDate: return "date";
    case EtlType::kDecimal: return "decimal";
  }
  return "string";
}

std::string EtlTypeText(EtlType type, DecimalSpec decimal) {
  if (type != EtlType::kDecimal) return std::string(EtlTypeName(type));
  return "decimal(" + std::to_string(decimal.precision) + "," + std::to_string(decimal.scale) + ")";
}

std::optional<EtlType> ParseEtlType(std::string_view raw, DecimalSpec* decimal) {
  const std::string name = AsciiLowered(raw);  // Hive's type names are case-insensitive
  if (parquet::IsDecimalType(name)) {
    DecimalSpec d;
    if (!parquet::ParseDecimalType(name, &d.precision, &d.scale).ok()) return std::nullopt;
    if (decimal) *decimal = d;
    return EtlType::kDecimal;
  }
  if (name == "boolean" || name == "bool") return EtlType::kBoolean;
  if (name == "int" || name == "integer") return EtlType::kInt;
  if (name == "bigint" || name == "long") return EtlType::kBigint;
  if (name == "float") return EtlType::kFloat;
  if (name == "double") return EtlType::kDouble;
  if (name == "string" || name == "varchar" || name == "text") return EtlType::kString;
  if (name == "timestamp") return EtlType::kTimestamp;
  if (name == "date") return EtlType::kDate;
  return std::nullopt;
}

Result<JobSpec> ParseJobSpec(const json& doc) {
  if (!doc.is_object()) return At("$", "a job must be a JSON object with source, transforms and target");
  for (auto it = doc.begin(); it != doc.end(); ++it) {
    static const std::set<std::string> kKnown = {"source", "transforms", "target", "workers", "description"};
    if (!kKnown.count(it.key())) return At("$." + it.key(), "unknown field (known: source, transforms, target, workers)");
  }
  JobSpec spec;
  auto source = doc.find("source");
  if (source == doc.end() || !source->is_object()) return At("$.source", "must be an object {\"database\", \"table\"}");
  TRY_ASSIGN(spec.source_database, StringAt(*source, "database", "$.source", true));
  TRY_ASSIGN(spec.source_table, StringAt(*source, "table", "$.source", true));
  if (Status s = ValidateCatalogName("database", spec.source_database); !s.ok()) return At("$.source.database", s.message());
  if (Status s = ValidateCatalogName("table", spec.source_table); !s.ok()) return At("$.source.table", s.message());

  auto transforms = doc.find("transforms");
  if (transforms != doc.end()) {
    if (!transforms->is_array()) return At("$.transforms", "must be a list");
    for (size_t i = 0; i < transforms->size(); ++i) {
      std::string where = "$.transforms[" + std::to_string(i) + "]";
      TRY_ASSIGN(TransformSpec t, ParseTransform((*transforms)[i], where));
      t.where = where;
      if (t.kind == TransformSpec::Kind::kExplode && i != 0) {
        return At(where + ".explode", "must be the first transform (it reads the source records)");
      }
      spec.transforms.push_back(std::move(t));
    }
  }

  auto target = doc.find("target");
  if (target == doc.end() || !target->is_object()) return At("$.target", "must be an object {\"path\", \"format\", ...}");
  TRY_ASSIGN(spec.target.path, PathAt(*target, "path", "$.target", true));
  TRY_ASSIGN(std::string format, StringAt(*target, "format", "$.target", false));
  if (!format.empty() && format != "parquet") return At("$.target.format", "'" + format + "' is not supported; use parquet");
  TRY_ASSIGN(std::string compression, StringAt(*target, "compression", "$.target", false));
  if (!compression.empty()) {
    std::string name = compression == "none" ? "uncompressed" : compression;
    if (!parquet::ParseCodec(name).ok()) return At("$.target.compression", "'" + compression + "' is not one of snappy, zstd, gzip, none");
    spec.target.compression = compression;
  }
  if (target->contains("partition_keys")) {
    TRY_ASSIGN(spec.target.partition_keys, StringList((*target)["partition_keys"], "$.target.partition_keys"));
  }
  TRY_ASSIGN(spec.target.database, StringAt(*target, "database", "$.target", true));
  TRY_ASSIGN(spec.target.table, StringAt(*target, "table", "$.target", true));
  if (Status s = ValidateCatalogName("database", spec.target.database); !s.ok()) return At("$.target.database", s.message());
  if (Status s = ValidateCatalogName("table", spec.target.table); !s.ok()) return At("$.target.table", s.message());
  TRY_ASSIGN(spec.target.error_path, PathAt(*target, "error_path", "$.target", false));
  if (spec.target.error_path.bucket.empty()) {
    spec.target.error_path.bucket = spec.target.path.bucket;
    std::string p = spec.target.path.prefix;
    if (!p.empty()) p.pop_back();
    spec.target.error_path.prefix = p.empty() ? "_errors/" : p + "_errors/";
  }
  for (auto it = target->begin(); it != target->end(); ++it) {
    static const std::set<std::string> kKnown = {"path", "format", "compression", "partition_keys", "database", "table", "error_path"};
    if (!kKnown.count(it.key())) return At("$.target." + it.key(), "unknown field");
  }
  auto workers = doc.find("workers");
  if (workers != doc.end()) {
    if (!workers->is_number_integer() || workers->get<int64_t>() < 0 || workers->get<int64_t>() > 256) {
      return At("$.workers", "must be an integer 0..256 (0: one per core)");
    }
    spec.workers = workers->get<int>();
  }
  return spec;
}

Result<JobSpec> ParseJobSpecText(std::string_view text) {
  TRY_ASSIGN(json doc, ParseJsonText(text, "the job"));
  return ParseJobSpec(doc);
}

}  // namespace tributary::lake
