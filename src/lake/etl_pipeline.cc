#include "lake/etl_pipeline.h"

#include <algorithm>
#include <cstring>
#include <functional>
#include <optional>

#include "expr/functions.h"
#include "expr/parser.h"
#include "lake/etl_writer.h"
#include "lake/hive_parquet.h"
#include "parquet/render.h"

namespace tributary::lake {
namespace {

using expr::Ast;
using expr::AstKind;

std::string ColumnNames(const std::vector<OutputColumn>& cols) {
  std::string out;
  for (const auto& c : cols) out += (out.empty() ? "" : ", ") + c.name;
  return out;
}

int FindColumn(const std::vector<OutputColumn>& cols, std::string_view name) {
  for (size_t i = 0; i < cols.size(); ++i) {
    if (cols[i].name == name) return static_cast<int>(i);
  }
  return -1;
}

// The column type a derived expression gets when the job does not say.
EtlType InferType(const Ast& a, const std::vector<OutputColumn>& cols) {
  switch (a.kind) {
    case AstKind::kLiteral:
      if (a.literal.is_int()) return EtlType::kBigint;
      if (a.literal.is_decimal()) return EtlType::kDouble;
      if (a.literal.is_bool()) return EtlType::kBoolean;
      return EtlType::kString;
    case AstKind::kField: {  // an expression reads a decimal as a double
      int i = FindColumn(cols, a.name);
      if (i < 0) return EtlType::kString;
      return cols[i].type == EtlType::kDecimal ? EtlType::kDouble : cols[i].type;
    }
    case AstKind::kCast:
      switch (a.cast_type) {
        case expr::CastType::kInt: return EtlType::kBigint;
        case expr::CastType::kDecimal: return EtlType::kDouble;
        case expr::CastType::kBoolean: return EtlType::kBoolean;
        case expr::CastType::kString: return EtlType::kString;
      }
      return EtlType::kString;
    case AstKind::kUnary:
      if (a.op == expr::Op::kNot) return EtlType::kBoolean;
      return a.kids.empty() ? EtlType::kDouble : InferType(*a.kids[0], cols);
    case AstKind::kBinary: {
      using expr::Op;
      switch (a.op) {
        case Op::kEq: case Op::kNe: case Op::kLt: case Op::kLe: case Op::kGt: case Op::kGe:
        case Op::kIn:
        case Op::kAnd: case Op::kOr: return EtlType::kBoolean;
        case Op::kDiv: return EtlType::kDouble;
        default: {
          EtlType l = InferType(*a.kids[0], cols), r = InferType(*a.kids[1], cols);
          auto integral = [](EtlType t) { return t == EtlType::kInt || t == EtlType::kBigint; };
          if (a.op == Op::kAdd && (l == EtlType::kString || r == EtlType::kString)) return EtlType::kString;
          return integral(l) && integral(r) ? EtlType::kBigint : EtlType::kDouble;
        }
      }
    }
    case AstKind::kCall: {
      static const std::vector<std::string_view> kInts = {
          "year", "month", "day", "hour", "minute", "second", "dayofweek", "length", "numbytes",
          "indexof", "sign", "ceil", "floor", "round", "timestamp", "time_to_epoch"};
      static const std::vector<std::string_view> kDoubles = {"sqrt", "ln", "log", "exp", "power", "trunc"};
      static const std::vector<std::string_view> kBools = {"isnull", "isundefined", "startswith",
                                                           "endswith", "regexp_matches"};
      auto in = [&](const std::vector<std::string_view>& v) {
        for (auto n : v) if (n == a.name) return true;
        return false;
      };
      if (in(kInts)) return EtlType::kBigint;
      if (in(kDoubles)) return EtlType::kDouble;
      if (in(kBools)) return EtlType::kBoolean;
      if ((a.name == "abs" || a.name == "mod" || a.name == "remainder") && !a.kids.empty()) {
        EtlType t = InferType(*a.kids[0], cols);
        return t == EtlType::kString ? EtlType::kDouble : t;
      }
      return EtlType::kString;
    }
    case AstKind::kCase:
      return a.kids.size() >= 3 && a.kids[2] ? InferType(*a.kids[2], cols) : EtlType::kString;
    default:
      return EtlType::kString;
  }
}

// The nested type a derived expression gets when the job does not say: a nested column
// by name keeps its type, an object literal is a struct of its members' types, an array
// literal a list of its elements' (bigint and double make double); nullopt for anything
// else (a primitive: InferType). InvalidArgument for an array literal whose type cannot
// be told (empty, or elements of different types).
Result<std::optional<parquet::NestedType>> InferNested(const Ast& a,
                                                       const std::vector<OutputColumn>& cols) {
  using parquet::NestedType;
  auto member = [&](const Ast& kid) -> Result<NestedType> {
    TRY_ASSIGN(std::optional<NestedType> nested, InferNested(kid, cols));
    if (nested) return std::move(*nested);
    const parquet::Column c = ParquetColumnOf("", InferType(kid, cols), DecimalSpec{});
    return NestedType::Primitive(c.type, c.precision, c.scale);
  };
  switch (a.kind) {
    case AstKind::kField: {
      int i = FindColumn(cols, a.name);
      if (i < 0 || !cols[i].nested) return std::optional<NestedType>();
      return std::optional<NestedType>(*cols[i].nested);
    }
    case AstKind::kObjectLit: {
      std::vector<NestedType> members;
      for (const auto& kid : a.kids) {
        TRY_ASSIGN(NestedType m, member(*kid));
        members.push_back(std::move(m));
      }
      if (members.empty())
        return InvalidArgument("an empty object has no members to type: give the column's type");
      return std::optional<NestedType>(NestedType::Struct(a.keys, std::move(members)));
    }
    case AstKind::kArrayLit: {
      std::optional<NestedType> element;
      for (const auto& kid : a.kids) {
        TRY_ASSIGN(NestedType e, member(*kid));
        if (!element || *element == e) {
          element = std::move(e);
          continue;
        }
        auto numeric = [](const NestedType& t) {
          return t.kind == NestedType::Kind::kPrimitive &&
                 (t.primitive == parquet::ColumnType::kInt64 ||
                  t.primitive == parquet::ColumnType::kDouble);
        };
        if (numeric(*element) && numeric(e)) {
          element = NestedType::Primitive(parquet::ColumnType::kDouble);
          continue;
        }
        return InvalidArgument("the array's elements are of different types (" +
                               HiveTypeOfNested(*element) + ", " + HiveTypeOfNested(e) +
                               "): give the column's type");
      }
      if (!element)
        return InvalidArgument("an empty array has no element to type: give the column's type");
      return std::optional<NestedType>(NestedType::List(std::move(*element)));
    }
    default:
      return std::optional<NestedType>();
  }
}

// The key of a row for dedupe: each key cell's kind and bytes, length-prefixed.
void AppendKey(const Cell& c, std::string* out) {
  out->push_back(static_cast<char>(c.kind));
  switch (c.kind) {
    case Cell::Kind::kNull: break;
    case Cell::Kind::kString:
      out->append(std::to_string(c.s.size())).push_back(':');
      out->append(c.s);
      break;
    case Cell::Kind::kDouble:
      out->append(reinterpret_cast<const char*>(&c.d), sizeof c.d);
      break;
    case Cell::Kind::kDecimal:  // one column, one scale: the unscaled value is the key
      out->append(reinterpret_cast<const char*>(&c.dec), sizeof c.dec);
      break;
    default:
      out->append(reinterpret_cast<const char*>(&c.i), sizeof c.i);
  }
}

// a == b for field names, which are short: inline word compares instead of a call to
// memcmp (which was ~4 % of an ETL worker's time, 11 fields a record).
bool SameKey(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  size_t i = 0;
  for (; i + 8 <= a.size(); i += 8) {
    uint64_t x, y;
    std::memcpy(&x, a.data() + i, 8);
    std::memcpy(&y, b.data() + i, 8);
    if (x != y) return false;
  }
  for (; i < a.size(); ++i) {
    if (a[i] != b[i]) return false;
  }
  return true;
}

// The rest of a path (path[1..]) from the value of its first segment.
bool Descend(simdjson::dom::element e, const std::vector<std::string>& path, simdjson::dom::element* out) {
  for (size_t k = 1; k < path.size(); ++k) {
    simdjson::dom::object o;
    if (e.get_object().get(o) || o.at_key(path[k]).get(e)) return false;
  }
  *out = e;
  return true;
}

}  // namespace

std::string HiveTypeOf(const OutputColumn& column) {
  if (column.nested) return HiveTypeOfNested(*column.nested);
  return EtlTypeText(column.type, column.decimal);
}

namespace {

// The Hive type of the value at `path` of the source (columns `columns`), through its
// structs; NotFound if the path leaves what the types say.
Result<HiveType> SourceTypeAt(const std::vector<Column>& columns,
                              const std::vector<std::string>& path) {
  for (const Column& c : columns) {
    if (c.name != path[0]) continue;
    TRY_ASSIGN(HiveType t, ParseHiveType(c.type));
    for (size_t k = 1; k < path.size(); ++k) {
      const HiveType* f = t.kind == HiveType::Kind::kStruct ? t.FindField(path[k]) : nullptr;
      if (f == nullptr) return NotFound("the source's type has no field '" + path[k] + "' there");
      HiveType next = *f;
      t = std::move(next);
    }
    return t;
  }
  return NotFound("the source table has no column '" + path[0] + "'");
}

// A mapping's struct, array or map target: its own type, or for "struct", "array" and
// "map" alone the source's (the mapping's source type if it says more, else the table's).
Result<parquet::NestedType> TargetNestedType(const FieldMapping& m,
                                             const std::vector<Column>& columns) {
  const std::string& target = m.target_nested;
  HiveType type;
  if (target.find('<') != std::string::npos) {
    TRY_ASSIGN(type, ParseHiveType(target));
  } else {
    auto given = ParseHiveType(m.source_type);
    if (given.ok() && IsNestedHive(*given)) {
      type = std::move(*given);
    } else {
      auto source = SourceTypeAt(columns, m.path);
      if (!source.ok() || !IsNestedHive(*source)) {
        return InvalidArgument("target type '" + target + "' takes the source's type, and " +
                               m.source_path + " is " +
                               (source.ok() ? FormatHiveType(*source) : source.status().message()) +
                               ": give it in full (" + target + "<...>)");
      }
      type = std::move(*source);
    }
    const bool kind_matches = (target == "struct" && type.kind == HiveType::Kind::kStruct) ||
                              (target == "array" && type.kind == HiveType::Kind::kArray) ||
                              (target == "map" && type.kind == HiveType::Kind::kOther);
    if (!kind_matches) {
      return InvalidArgument("target type '" + target + "', but " + m.source_path + " is " +
                             FormatHiveType(type));
    }
  }
  return NestedTypeOfHive(type);
}

}  // namespace

Result<Pipeline> Pipeline::Compile(const JobSpec& spec, const std::vector<Column>& source_columns,
                                   const std::vector<std::string>& partition_keys) {
  Pipeline p;
  auto is_partition = [&](const std::string& name) {
    for (const auto& k : partition_keys) if (k == name) return true;
    return false;
  };
  size_t first = 0;
  // Explode (etl_run.cc makes its records): the records Process sees carry the element in
  // place of the array, so the source's columns do too.
  std::vector<Column> columns_in = source_columns;
  if (!spec.transforms.empty() && spec.transforms[0].kind == TransformSpec::Kind::kExplode) {
    TRY_ASSIGN(p.explode_, CompileExplode(spec.transforms[0], &columns_in));
    first = 1;
  }
  if (spec.transforms.size() > first && spec.transforms[first].kind == TransformSpec::Kind::kApplyMapping) {
    const TransformSpec& mapping = spec.transforms[first];
    for (size_t k = 0; k < mapping.mappings.size(); ++k) {
      const FieldMapping& m = mapping.mappings[k];
      p.inputs_.push_back({m.path, m.source_path, m.path.size() == 1 && is_partition(m.path[0])});
      OutputColumn out{m.target_name, m.target_type, m.target_decimal, nullptr};
      if (!m.target_nested.empty()) {
        auto nested = TargetNestedType(m, columns_in);
        if (!nested.ok()) {
          return InvalidArgument(mapping.where + ".apply_mapping[" + std::to_string(k) +
                                 "][3]: " + nested.status().message());
        }
        out.nested = std::make_shared<const parquet::NestedType>(std::move(*nested));
      }
      p.columns_.push_back(std::move(out));
    }
    ++first;
  } else {
    for (const Column& c : columns_in) {
      p.inputs_.push_back({{c.name}, c.name, is_partition(c.name)});
      DecimalSpec decimal;
      EtlType type = ParseEtlType(c.type, &decimal).value_or(EtlType::kString);
      OutputColumn out{c.name, type, decimal, nullptr};
      // A struct, array or map column stays one (a nested Parquet column).
      if (auto hive = ParseHiveType(c.type); hive.ok() && IsNestedHive(*hive)) {
        if (auto nested = NestedTypeOfHive(*hive); nested.ok()) {
          out.nested = std::make_shared<const parquet::NestedType>(std::move(*nested));
        }
      }
      p.columns_.push_back(std::move(out));
    }
    for (const std::string& k : partition_keys) {
      if (FindColumn(p.columns_, k) >= 0) continue;
      p.inputs_.push_back({{k}, k, true});
      p.columns_.push_back({k, EtlType::kString, {}});
    }
  }
  for (Input& in : p.inputs_) {
    auto it = std::find(p.top_names_.begin(), p.top_names_.end(), in.path[0]);
    in.top = static_cast<int>(it - p.top_names_.begin());
    if (it == p.top_names_.end()) p.top_names_.push_back(in.path[0]);
  }
  // Each nested column a stage makes gets a shredder slot of its own (RowScratch::nested).
  int next_slot = 0;
  auto assign_slots = [&next_slot](std::vector<OutputColumn>& cols) {
    for (OutputColumn& c : cols) {
      if (c.nested && c.nested_slot < 0) c.nested_slot = next_slot++;
    }
  };
  assign_slots(p.columns_);
  p.initial_columns_ = std::make_shared<const std::vector<OutputColumn>>(p.columns_);
  bool drop_nulls = false;
  // drop_null_fields' columns, and where a listed one was named (empty: all columns).
  std::vector<std::pair<std::string, std::string>> drop_names;
  for (size_t t = first; t < spec.transforms.size(); ++t) {
    const TransformSpec& ts = spec.transforms[t];
    Stage st;
    st.kind = ts.kind;
    switch (ts.kind) {
      case TransformSpec::Kind::kApplyMapping: {
        // After other transforms, a mapping reads the columns so far: the only columns
        // after it are its targets.
        std::vector<Column> so_far;  // as a table's, for nested targets' types
        for (const OutputColumn& c : p.columns_) so_far.push_back({c.name, HiveTypeOf(c), ""});
        std::vector<OutputColumn> next;
        for (size_t k = 0; k < ts.mappings.size(); ++k) {
          const FieldMapping& m = ts.mappings[k];
          const std::string at = ts.where + ".apply_mapping[" + std::to_string(k) + "]";
          int idx = FindColumn(p.columns_, m.path[0]);
          if (idx < 0) {
            return InvalidArgument(at + "[0]: no column '" + m.path[0] +
                                   "' at this point (columns: " + ColumnNames(p.columns_) + ")");
          }
          if (m.path.size() > 1 && !p.columns_[idx].nested) {
            return InvalidArgument(at + "[0]: '" + m.path[0] + "' is a " +
                                   HiveTypeOf(p.columns_[idx]) +
                                   " column here; a path reads into a struct or map column");
          }
          OutputColumn out{m.target_name, m.target_type, m.target_decimal, nullptr};
          if (!m.target_nested.empty()) {
            auto nested = TargetNestedType(m, so_far);
            if (!nested.ok()) return InvalidArgument(at + "[3]: " + nested.status().message());
            out.nested = std::make_shared<const parquet::NestedType>(std::move(*nested));
          }
          st.projection.push_back({idx, m.path, m.source_path});
          next.push_back(std::move(out));
        }
        p.columns_ = std::move(next);
        break;
      }
      case TransformSpec::Kind::kExplode:
        return InvalidArgument(ts.where + ".explode: must be the first transform");
      case TransformSpec::Kind::kFilter: {
        auto e = expr::Expression::Compile(ts.condition);
        if (!e.ok()) return InvalidArgument(ts.where + ".filter: " + e.status().message());
        st.expression = std::make_shared<const expr::Expression>(std::move(*e));
        break;
      }
      case TransformSpec::Kind::kDerive: {
        std::vector<OutputColumn> before = p.columns_;
        for (const DerivedColumn& d : ts.derived) {
          std::string at = ts.where + ".derive." + d.name;
          auto e = expr::Expression::Compile(d.expression);
          if (!e.ok()) return InvalidArgument(at + ": " + e.status().message());
          EtlType type = EtlType::kString;
          DecimalSpec decimal = d.decimal;
          std::shared_ptr<const parquet::NestedType> nested;
          if (!d.nested.empty()) {
            auto hive = ParseHiveType(d.nested);
            auto given =
                hive.ok() ? NestedTypeOfHive(*hive) : Result<parquet::NestedType>(hive.status());
            if (!given.ok()) return InvalidArgument(at + ".type: " + given.status().message());
            nested = std::make_shared<const parquet::NestedType>(std::move(*given));
          } else if (d.type) {
            type = *d.type;
          } else {
            auto ast = expr::ParseExpressionText(d.expression);
            if (!ast.ok()) return InvalidArgument(at + ": " + ast.status().message());
            auto inferred = InferNested(**ast, before);
            if (!inferred.ok()) return InvalidArgument(at + ": " + inferred.status().message());
            if (*inferred)
              nested = std::make_shared<const parquet::NestedType>(std::move(**inferred));
            type = nested ? EtlType::kString : InferType(**ast, before);
            // A decimal column named alone keeps its digits (in arithmetic it is a double).
            int field = (*ast)->kind == AstKind::kField ? FindColumn(before, (*ast)->name) : -1;
            if (field >= 0 && before[field].type == EtlType::kDecimal) {
              type = EtlType::kDecimal;
              decimal = before[field].decimal;
            }
          }
          int idx = FindColumn(p.columns_, d.name);
          if (idx < 0) {
            idx = static_cast<int>(p.columns_.size());
            p.columns_.push_back({d.name, type, decimal, nested});
          } else {
            p.columns_[idx].type = type;
            p.columns_[idx].decimal = decimal;
            p.columns_[idx].nested = nested;
            p.columns_[idx].nested_slot = -1;  // its own type now: a slot of its own
          }
          st.derived.push_back(std::make_shared<const expr::Expression>(std::move(*e)));
          st.derived_columns.push_back(idx);
        }
        break;
      }
      case TransformSpec::Kind::kDedupe:
        for (size_t k = 0; k < ts.columns.size(); ++k) {
          int idx = FindColumn(p.columns_, ts.columns[k]);
          if (idx < 0) {
            return InvalidArgument(ts.where + ".dedupe[" + std::to_string(k) + "]: no column '" + ts.columns[k] +
                                   "' at this point (columns: " + ColumnNames(p.columns_) + ")");
          }
          st.keys.push_back(idx);
        }
        break;
      case TransformSpec::Kind::kDropNullFields:
        drop_nulls = true;
        for (size_t k = 0; k < ts.columns.size(); ++k) {
          if (FindColumn(p.columns_, ts.columns[k]) < 0) {
            return InvalidArgument(ts.where + ".drop_null_fields[" + std::to_string(k) + "]: no column '" +
                                   ts.columns[k] + "' at this point (columns: " + ColumnNames(p.columns_) + ")");
          }
          drop_names.emplace_back(ts.columns[k],
                                  ts.where + ".drop_null_fields[" + std::to_string(k) + "]");
        }
        if (ts.columns.empty()) {
          for (const auto& c : p.columns_) drop_names.emplace_back(c.name, "");
        }
        continue;  // no per-record stage
    }
    assign_slots(p.columns_);
    st.width = static_cast<int>(p.columns_.size());
    st.columns = std::make_shared<const std::vector<OutputColumn>>(p.columns_);
    p.stages_.push_back(std::move(st));
  }
  for (size_t k = 0; k < spec.target.partition_keys.size(); ++k) {
    int idx = FindColumn(p.columns_, spec.target.partition_keys[k]);
    if (idx < 0) {
      return InvalidArgument("$.target.partition_keys[" + std::to_string(k) + "]: '" + spec.target.partition_keys[k] +
                             "' is not a column of the output (columns: " + ColumnNames(p.columns_) +
                             "); map or derive it first");
    }
    if (p.columns_[idx].nested) {
      return InvalidArgument("$.target.partition_keys[" + std::to_string(k) + "]: '" +
                             spec.target.partition_keys[k] + "' is a " +
                             HiveTypeOf(p.columns_[idx]) + ", which cannot name a partition");
    }
    p.partition_columns_.push_back(idx);
  }
  if (p.partition_columns_.size() == p.columns_.size()) {
    return InvalidArgument("$.target.partition_keys: every output column is a partition key; a Parquet file needs at least one other column");
  }
  if (drop_nulls) {
    for (const auto& [name, where] : drop_names) {
      int idx = FindColumn(p.columns_, name);
      if (idx < 0 && !where.empty()) {
        return InvalidArgument(where + ": '" + name +
                               "' is not a column of the output (a later apply_mapping leaves it "
                               "out; columns: " +
                               ColumnNames(p.columns_) + ")");
      }
      bool part = false;
      for (int pc : p.partition_columns_) part = part || pc == idx;
      if (idx >= 0 && !part) p.drop_null_.push_back(idx);
    }
  }
  return p;
}

int Pipeline::TopIndex(std::string_view key) const {
  for (size_t t = 0; t < top_names_.size(); ++t) {
    if (top_names_[t] == key) return static_cast<int>(t);
  }
  return -1;
}

void Pipeline::FindTopValues(simdjson::dom::object record, RowScratch* scratch) const {
  scratch->top_values.resize(top_names_.size());
  scratch->seen.assign(top_names_.size(), 0);
  size_t pos = 0;
  for (simdjson::dom::key_value_pair field : record) {
    int slot;
    if (pos < scratch->order_keys.size() && SameKey(scratch->order_keys[pos], field.key)) {
      slot = scratch->order_slots[pos];
    } else {
      slot = TopIndex(field.key);
      if (pos >= scratch->order_keys.size()) {
        scratch->order_keys.resize(pos + 1);
        scratch->order_slots.resize(pos + 1);
      }
      scratch->order_keys[pos].assign(field.key);
      scratch->order_slots[pos] = slot;
    }
    ++pos;
    if (slot >= 0 && !scratch->seen[slot]) {  // a repeated key: the first wins, as at_key does
      scratch->seen[slot] = 1;
      scratch->top_values[slot] = field.value;
    }
  }
}

bool Pipeline::FitsNested(const OutputColumn& c, const Cell& cell, RowScratch* scratch,
                          std::string* reason, const simdjson::dom::element* parsed) const {
  if (!c.nested || cell.kind != Cell::Kind::kString) return true;
  const size_t slot = static_cast<size_t>(c.nested_slot);  // Compile gave every nested column one
  if (scratch->nested.size() <= slot) scratch->nested.resize(slot + 1);
  auto& shredder = scratch->nested[slot];
  if (!shredder) {
    // Integers in timestamp and date members are Unix milliseconds, as in flat columns.
    shredder =
        std::make_unique<parquet::NestedShredder>(ParquetColumnOf(c), parquet::JsonTimes::kMillis);
  }
  Status st = parsed != nullptr ? shredder->Check(*parsed) : shredder->Check(cell.s);
  if (!st.ok()) *reason = st.message();
  return st.ok();
}

Outcome Pipeline::Process(simdjson::dom::object record, const PartitionValues& partition, DedupeSet* dedupe,
                          RowScratch* scratch, Row* row, std::string* reason) const {
  const std::vector<OutputColumn>& initial = *initial_columns_;
  row->resize(inputs_.size());
  FindTopValues(record, scratch);
  for (size_t i = 0; i < inputs_.size(); ++i) {
    const Input& in = inputs_[i];
    Cell& c = (*row)[i];
    simdjson::dom::element e;
    if (scratch->seen[in.top] && Descend(scratch->top_values[in.top], in.path, &e)) {
      if (initial[i].nested && !e.is_object() && !e.is_array() && !e.is_null()) {
        *reason = in.source_path + ": expected " + HiveTypeOf(initial[i]) + ", found " +
                  std::string(simdjson::minify(e)).substr(0, 64);
        return Outcome::kRejected;
      }
      if (!ConvertJson(e, initial[i].type, &c, reason, initial[i].decimal) ||
          !FitsNested(initial[i], c, scratch, reason, &e)) {
        *reason = in.source_path + ": " + *reason;
        return Outcome::kRejected;
      }
      continue;
    }
    c.kind = Cell::Kind::kNull;
    if (in.partition) {
      for (const auto& [k, v] : partition) {
        if (k != in.path[0]) continue;
        if (!ConvertString(v, initial[i].type, &c, reason, initial[i].decimal)) {
          *reason = in.source_path + " (partition value): " + *reason;
          return Outcome::kRejected;
        }
        break;
      }
    }
  }
  // The columns so far (a later apply_mapping replaces them; derive adds to them).
  const std::vector<OutputColumn>* cols = &initial;
  int width = static_cast<int>(inputs_.size());
  std::optional<expr::Message> message;
  auto payload = [&]() -> const expr::Message& {
    if (!message) {
      std::string& p = scratch->payload;
      p.assign("{");
      for (int i = 0; i < width; ++i) {
        if (i) p.push_back(',');
        expr::AppendJsonString((*cols)[i].name, &p);
        p.push_back(':');
        const Cell& cell = (*row)[i];
        if ((*cols)[i].nested && cell.kind == Cell::Kind::kString) {
          p += cell.s;  // a struct, array or map: expressions reach into it
        } else {
          AppendCellJson(cell, &p);
        }
      }
      p.push_back('}');
      message.emplace("", p);
    }
    return *message;
  };
  for (const Stage& st : stages_) {
    switch (st.kind) {
      case TransformSpec::Kind::kFilter: {
        expr::Value v = st.expression->Evaluate(payload());
        if (!(v.is_bool() && v.as_bool())) return Outcome::kFiltered;
        break;
      }
      case TransformSpec::Kind::kDerive: {
        const expr::Message& m = payload();
        std::vector<expr::Value> values;
        values.reserve(st.derived.size());
        for (const auto& e : st.derived) values.push_back(e->Evaluate(m));
        row->resize(st.width);
        const std::vector<OutputColumn>& after = *st.columns;
        for (size_t k = 0; k < values.size(); ++k) {
          int idx = st.derived_columns[k];
          const expr::ValueKind kind = values[k].kind();
          if (after[idx].nested && kind != expr::ValueKind::kObject &&
              kind != expr::ValueKind::kArray && kind != expr::ValueKind::kNull &&
              kind != expr::ValueKind::kUndefined) {
            *reason = "derived column " + after[idx].name + ": expected " + HiveTypeOf(after[idx]) +
                      ", got " + values[k].ToJson().substr(0, 64);
            return Outcome::kRejected;
          }
          if (!ConvertValue(values[k], after[idx].type, &(*row)[idx], reason, after[idx].decimal) ||
              !FitsNested(after[idx], (*row)[idx], scratch, reason)) {
            *reason = "derived column " + after[idx].name + ": " + *reason;
            return Outcome::kRejected;
          }
        }
        cols = &after;
        width = st.width;
        message.reset();
        break;
      }
      case TransformSpec::Kind::kApplyMapping: {
        const std::vector<OutputColumn>& after = *st.columns;
        Row& mapped = scratch->mapped;
        mapped.resize(after.size());
        // The nested column whose JSON `root` holds: paths into one column (its members,
        // listed together) share one parse.
        int parsed = -1;
        bool parsed_ok = false;
        simdjson::dom::element root;
        for (size_t k = 0; k < st.projection.size(); ++k) {
          const Projection& pr = st.projection[k];
          const Cell& from = (*row)[pr.column];
          Cell& to = mapped[k];
          bool ok = true;
          if (pr.path.size() == 1) {
            ok = ConvertCell(from, after[k].type, &to, reason, after[k].decimal) &&
                 FitsNested(after[k], to, scratch, reason);
          } else {
            // A path into a struct or map column: read from its JSON, as the first mapping
            // reads a record (a missing field is null).
            to.kind = Cell::Kind::kNull;
            if (pr.column != parsed) {
              parsed = pr.column;
              parsed_ok = from.kind == Cell::Kind::kString &&
                          scratch->nested_parser.parse(from.s).get(root) == simdjson::SUCCESS;
            }
            simdjson::dom::element e;
            if (parsed_ok && Descend(root, pr.path, &e)) {
              ok = ConvertJson(e, after[k].type, &to, reason, after[k].decimal) &&
                   FitsNested(after[k], to, scratch, reason, &e);
            }
          }
          if (!ok) {
            *reason = pr.source_path + ": " + *reason;
            return Outcome::kRejected;
          }
        }
        row->swap(mapped);
        cols = &after;
        width = st.width;
        message.reset();
        break;
      }
      case TransformSpec::Kind::kDedupe: {
        // The stage's position keeps two dedupe transforms' keys apart.
        std::string key(1, static_cast<char>(&st - stages_.data()));
        for (int idx : st.keys) AppendKey((*row)[idx], &key);
        if (!dedupe->Insert(key)) return Outcome::kDuplicate;
        break;
      }
      default:
        break;
    }
  }
  return Outcome::kKept;
}

}  // namespace tributary::lake
