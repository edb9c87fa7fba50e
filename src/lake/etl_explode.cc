#include "lake/etl_explode.h"

#include <algorithm>

#include "expr/value.h"
#include "lake/hive_parquet.h"
#include "lake/hive_type.h"

namespace tributary::lake {
namespace {

bool IsMap(const HiveType& type) {
  return type.kind == HiveType::Kind::kOther && type.other.starts_with("map<");
}

std::string Joined(const std::vector<std::string>& path, size_t n) {
  std::string out;
  for (size_t i = 0; i < n; ++i) out += (i ? "." : "") + path[i];
  return out;
}

// Writes `object`'s fields as `"key":value,` each, leaving out the member `plan.path`
// names below `depth` (and, at the top, the field `as`, which the element replaces).
void AppendWithout(simdjson::dom::object object, const ExplodePlan& plan, size_t depth,
                   std::string* out) {
  for (auto field : object) {
    if (depth == 0 && field.key == plan.as) continue;
    const bool on_path = field.key == plan.path[depth];
    if (on_path && depth + 1 == plan.path.size()) continue;
    simdjson::dom::object inner;
    expr::AppendJsonString(field.key, out);
    *out += ':';
    if (on_path && field.value.get_object().get(inner) == simdjson::SUCCESS) {
      *out += '{';
      AppendWithout(inner, plan, depth + 1, out);
      if (out->back() == ',') out->pop_back();
      *out += '}';
    } else {
      *out += simdjson::minify(field.value);
    }
    *out += ',';
  }
}

}  // namespace

Result<ExplodePlan> CompileExplode(const TransformSpec& ex, std::vector<Column>* columns) {
  const std::string at = ex.where + ".explode: ";
  ExplodePlan plan;
  plan.as = ex.explode_as;
  plan.include_nulls = ex.explode_include_nulls;
  for (size_t start = 0;;) {
    size_t dot = ex.explode_field.find('.', start);
    plan.path.push_back(ex.explode_field.substr(start, dot - start));
    if (dot == std::string::npos) break;
    start = dot + 1;
  }
  auto top = std::find_if(columns->begin(), columns->end(),
                          [&](const Column& c) { return c.name == plan.path[0]; });
  if (top == columns->end())
    return InvalidArgument(at + "the source table has no column '" + plan.path[0] + "'");
  auto root = ParseHiveType(top->type);
  if (!root.ok())
    return InvalidArgument(at + "column '" + plan.path[0] + "': " + root.status().message());

  // Down the struct members to the array or map; `index[i]` is path[i]'s place in its struct.
  std::vector<HiveType*> chain{&*root};
  std::vector<size_t> index(plan.path.size(), 0);
  for (size_t i = 1; i < plan.path.size(); ++i) {
    HiveType* parent = chain.back();
    if (parent->kind != HiveType::Kind::kStruct) {
      return InvalidArgument(at + "'" + Joined(plan.path, i) + "' is " + FormatHiveType(*parent) +
                             ", not a struct with a member '" + plan.path[i] + "'");
    }
    auto member = std::find_if(parent->fields.begin(), parent->fields.end(),
                               [&](const HiveType::Field& f) { return f.name == plan.path[i]; });
    if (member == parent->fields.end()) {
      return InvalidArgument(at + "'" + Joined(plan.path, i) + "' has no member '" + plan.path[i] +
                             "'");
    }
    index[i] = static_cast<size_t>(member - parent->fields.begin());
    chain.push_back(&member->type);
  }
  const HiveType& target = *chain.back();
  std::string element;
  if (target.kind == HiveType::Kind::kArray) {
    element = FormatHiveType(target.element.front());
  } else if (IsMap(target)) {
    auto map = NestedTypeOfHive(target);
    if (!map.ok())
      return InvalidArgument(at + "column '" + ex.explode_field + "': " + map.status().message());
    element = HiveTypeOfNested(parquet::NestedType::Struct({"key", "value"}, map->children));
    plan.map = true;
  } else {
    return InvalidArgument(at + "column '" + ex.explode_field + "' is " + FormatHiveType(target) +
                           ", not an array or a map");
  }

  // The array leaves its struct; a struct left empty leaves its own, up to the column.
  bool drop_column = plan.path.size() == 1;
  for (size_t i = plan.path.size() - 1; i >= 1; --i) {
    HiveType* parent = chain[i - 1];
    parent->fields.erase(parent->fields.begin() + static_cast<std::ptrdiff_t>(index[i]));
    if (!parent->fields.empty()) break;
    if (i == 1) drop_column = true;
  }
  if (drop_column) {
    columns->erase(top);
  } else {
    top->type = FormatHiveType(*root);
  }
  auto as = std::find_if(columns->begin(), columns->end(),
                         [&](const Column& c) { return c.name == plan.as; });
  if (as != columns->end()) {
    as->type = element;
  } else {
    columns->push_back({plan.as, element});
  }
  return plan;
}

Status ExplodeRecord(const ExplodePlan& plan, simdjson::dom::object record, std::string* rest,
                     std::string* out, const std::function<Status(const std::string&)>& emit) {
  rest->assign("{");
  AppendWithout(record, plan, 0, rest);
  expr::AppendJsonString(plan.as, rest);
  *rest += ':';
  auto one = [&](std::string_view element_json) {
    out->assign(*rest);
    out->append(element_json);
    *out += '}';
    return emit(*out);
  };

  simdjson::dom::element value;
  bool found = true;
  simdjson::dom::object object = record;
  for (size_t i = 0; found && i < plan.path.size(); ++i) {
    found = object[plan.path[i]].get(value) == simdjson::SUCCESS &&
            (i + 1 == plan.path.size() || value.get_object().get(object) == simdjson::SUCCESS);
  }
  size_t made = 0;
  std::string element;
  simdjson::dom::array elements;
  simdjson::dom::object entries;
  if (found && !plan.map && value.get_array().get(elements) == simdjson::SUCCESS) {
    for (simdjson::dom::element e : elements) {
      TRY(one(simdjson::minify(e)));
      ++made;
    }
  } else if (found && plan.map && value.get_object().get(entries) == simdjson::SUCCESS) {
    for (auto entry : entries) {
      element.assign("{\"key\":");
      expr::AppendJsonString(entry.key, &element);
      element += ",\"value\":";
      element += simdjson::minify(entry.value);
      element += '}';
      TRY(one(element));
      ++made;
    }
  }
  if (made == 0 && plan.include_nulls) TRY(one("null"));
  return Status::Ok();
}

}  // namespace tributary::lake
