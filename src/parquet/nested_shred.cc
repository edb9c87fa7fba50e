#include "parquet/nested_shred.h"

#include <simdjson.h>

#include <algorithm>
#include <cctype>
#include <nlohmann/json.hpp>
#include <unordered_map>
#include <utility>

#include "base/json_text.h"
#include "parquet/jsonl_import.h"

namespace tributary::parquet {
namespace {

// Objects keep their keys' order: a map's entries are written as the value lists them.
using json = nlohmann::ordered_json;
using Kind = NestedType::Kind;

bool SameIgnoringCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

// Keeps the first n values of a batch built by Append* without nulls.
void TruncateBatch(ColumnBatch* b, int64_t n) {
  if (n >= b->length) return;
  b->length = n;
  b->bools.resize(std::min<size_t>(b->bools.size(), n));
  b->i32.resize(std::min<size_t>(b->i32.size(), n));
  b->i64.resize(std::min<size_t>(b->i64.size(), n));
  b->f32.resize(std::min<size_t>(b->f32.size(), n));
  b->f64.resize(std::min<size_t>(b->f64.size(), n));
  b->i128.resize(std::min<size_t>(b->i128.size(), n));
  if (b->type == ColumnType::kString) {
    b->chars.resize(b->offsets[n]);
    b->offsets.resize(n + 1);
  }
}

// nlohmann's name of a value's kind, for error messages.
std::string_view KindName(const simdjson::dom::element& v) {
  switch (v.type()) {
    case simdjson::dom::element_type::ARRAY:
      return "array";
    case simdjson::dom::element_type::OBJECT:
      return "object";
    case simdjson::dom::element_type::STRING:
      return "string";
    case simdjson::dom::element_type::BOOL:
      return "boolean";
    case simdjson::dom::element_type::NULL_VALUE:
      return "null";
    default:
      return "number";
  }
}

// A JSON scalar as nlohmann parses it: non-negative integers unsigned.
json ScalarOf(const simdjson::dom::element& v) {
  switch (v.type()) {
    case simdjson::dom::element_type::INT64: {
      int64_t i = v.get_int64().value_unsafe();
      return i >= 0 ? json(static_cast<uint64_t>(i)) : json(i);
    }
    case simdjson::dom::element_type::UINT64:
      return json(v.get_uint64().value_unsafe());
    case simdjson::dom::element_type::DOUBLE:
      return json(v.get_double().value_unsafe());
    case simdjson::dom::element_type::BOOL:
      return json(v.get_bool().value_unsafe());
    case simdjson::dom::element_type::STRING:
      return json(v.get_string().value_unsafe());
    default:
      return json();
  }
}

}  // namespace

struct NestedShredder::Where {
  enum class Kind { kColumn, kField, kElement, kKey };
  const Where* parent = nullptr;
  Kind kind = Kind::kColumn;
  std::string_view name;
  size_t index = 0;

  std::string Text() const {
    std::string out = parent ? parent->Text() + ": " : "";
    switch (kind) {
      case Kind::kColumn:
        return out + "column '" + std::string(name) + "'";
      case Kind::kField:
        return out + "field '" + std::string(name) + "'";
      case Kind::kElement:
        return out + "element " + std::to_string(index);
      case Kind::kKey:
        return out + "key '" + std::string(name) + "'";
    }
    return out;
  }
};

NestedShredder::NestedShredder(const Column& column, JsonTimes times)
    : column_(column),
      times_(times),
      layout_(LayoutOf(column)),
      parser_(std::make_unique<simdjson::dom::parser>()) {
  leaves_.resize(layout_.leaves.size());
  for (size_t i = 0; i < leaves_.size(); ++i) {
    leaves_[i].values = ColumnBatch(layout_.leaves[i].column.type);
  }
  levels_at_.resize(leaves_.size());
  values_at_.resize(leaves_.size());
}

NestedShredder::~NestedShredder() = default;
NestedShredder::NestedShredder(NestedShredder&&) noexcept = default;
NestedShredder& NestedShredder::operator=(NestedShredder&&) noexcept = default;

void NestedShredder::Clear() {
  for (LeafValues& l : leaves_) {
    l.def.clear();
    l.rep.clear();
    l.values.Clear();
  }
  rows_ = 0;
}

Status NestedShredder::AddText(std::optional<std::string_view> text) {
  if (!text) return AddValue(nullptr);
  padded_.assign(*text);
  padded_.resize(text->size() + simdjson::SIMDJSON_PADDING);
  simdjson::dom::element value;
  if (parser_->parse(padded_.data(), text->size(), false).get(value) == simdjson::SUCCESS) {
    return AddValue(&value);
  }
  // Not JSON, or JSON simdjson does not take (an integer past 64 bits): nlohmann says
  // where the text stops being JSON, or reads such a number as a double.
  json v = json::parse(*text, nullptr, /*allow_exceptions=*/false);
  if (v.is_discarded()) return ParseJsonText(*text, "column '" + column_.name + "'").status();
  const std::string again = v.dump();
  padded_.assign(again);
  padded_.resize(again.size() + simdjson::SIMDJSON_PADDING);
  if (parser_->parse(padded_.data(), again.size(), false).get(value) != simdjson::SUCCESS) {
    return InvalidArgument("column '" + column_.name +
                           "': a value that cannot be read: " + again.substr(0, 64));
  }
  return AddValue(&value);
}

Status NestedShredder::Check(std::string_view text) { return Checked(AddText(text)); }

Status NestedShredder::Check(const simdjson::dom::element& value) {
  return Checked(AddValue(&value));
}

Status NestedShredder::AddParsed(const simdjson::dom::element* value) {
  return Unnamed(AddValue(value));
}

void NestedShredder::Position(Mark* mark) const {
  mark->levels.resize(leaves_.size());
  mark->values.resize(leaves_.size());
  for (size_t i = 0; i < leaves_.size(); ++i) {
    mark->levels[i] = leaves_[i].def.size();
    mark->values[i] = leaves_[i].values.length;
  }
  mark->rows = rows_;
}

void NestedShredder::Rollback(const Mark& mark) {
  Truncate(mark.levels, mark.values);
  rows_ = mark.rows;
}

Status NestedShredder::Checked(Status st) {
  Clear();
  return Unnamed(std::move(st));
}

Status NestedShredder::Unnamed(Status st) const {
  if (st.ok()) return st;
  std::string_view message = st.message();
  const std::string named = "column '" + column_.name + "': ";
  if (message.substr(0, named.size()) == named) message.remove_prefix(named.size());
  return Status(st.code(), std::string(message));
}

Status NestedShredder::AddValue(const simdjson::dom::element* value) {
  for (size_t i = 0; i < leaves_.size(); ++i) {
    levels_at_[i] = leaves_[i].def.size();
    values_at_[i] = leaves_[i].values.length;
  }
  const Where where{nullptr, Where::Kind::kColumn, column_.name, 0};
  Status st = Shred(layout_.root, value, 0, 0, where);
  if (!st.ok()) {
    Truncate(levels_at_, values_at_);
    return st;
  }
  ++rows_;
  return Status::Ok();
}

void NestedShredder::Truncate(const std::vector<size_t>& levels,
                              const std::vector<int64_t>& values) {
  for (size_t i = 0; i < leaves_.size(); ++i) {
    leaves_[i].def.resize(levels[i]);
    leaves_[i].rep.resize(levels[i]);
    TruncateBatch(&leaves_[i].values, values[i]);
  }
}

void NestedShredder::Absent(const NestedNode& n, uint32_t rep, uint32_t def) {
  for (int l = n.first_leaf; l < n.end_leaf; ++l) {
    leaves_[l].rep.push_back(rep);
    leaves_[l].def.push_back(def);
  }
}

Status NestedShredder::AppendPrimitive(const NestedNode& n, const json& v, uint32_t rep,
                                       uint32_t def, const Where& where) {
  LeafValues& leaf = leaves_[n.leaf];
  const Column& c = layout_.leaves[n.leaf].column;
  const bool millis = times_ == JsonTimes::kMillis && v.is_number_integer() &&
                      (c.type == ColumnType::kTimestamp || c.type == ColumnType::kDate);
  json value;
  if (millis) {
    // Unix milliseconds: as microseconds, or as their UTC day.
    int64_t ms = v.is_number_unsigned() && v.get<uint64_t>() > uint64_t{INT64_MAX}
                     ? INT64_MAX
                     : v.get<int64_t>();
    int64_t micros;
    if (__builtin_mul_overflow(ms, int64_t{1000}, &micros)) {
      micros = ms < 0 ? INT64_MIN : INT64_MAX;  // refused as out of range
    }
    constexpr int64_t kMsPerDay = 86400000;
    int64_t days = ms / kMsPerDay - (ms % kMsPerDay < 0 ? 1 : 0);
    value = c.type == ColumnType::kTimestamp ? json(micros) : json(days);
  }
  Status st = AppendJsonValue(c, millis ? value : v, &leaf.values);
  if (!st.ok()) {
    // AppendJsonValue names the leaf as a column: say where it is instead.
    std::string_view message = st.message();
    const std::string named = "column '" + c.name + "': ";
    if (message.substr(0, named.size()) == named) message.remove_prefix(named.size());
    return InvalidArgument(where.Text() + ": " + std::string(message));
  }
  leaf.rep.push_back(rep);
  leaf.def.push_back(def);
  return Status::Ok();
}

Status NestedShredder::Shred(const NestedNode& n, const simdjson::dom::element* v, uint32_t rep,
                             uint32_t parent_def, const Where& where) {
  if (v == nullptr || v->is_null()) {
    if (!n.optional) return InvalidArgument(where.Text() + ": a value is required");
    Absent(n, rep, parent_def);
    return Status::Ok();
  }
  const uint32_t def = static_cast<uint32_t>(n.def);
  auto mismatch = [&](std::string_view expected) {
    return InvalidArgument(where.Text() + ": expected " + std::string(expected) + ", got " +
                           std::string(KindName(*v)) + " " + simdjson::minify(*v));
  };
  switch (n.kind) {
    case Kind::kPrimitive: {
      const Column& c = layout_.leaves[n.leaf].column;
      if (c.type == ColumnType::kString && !v->is_string()) {
        // A string member takes any other JSON value as its compact text.
        LeafValues& leaf = leaves_[n.leaf];
        leaf.values.AppendString(simdjson::minify(*v));
        leaf.rep.push_back(rep);
        leaf.def.push_back(def);
        return Status::Ok();
      }
      if (v->is_array() || v->is_object()) {
        // Not a scalar: AppendJsonValue names what it expected.
        json whole = json::parse(simdjson::minify(*v), nullptr, false);
        return AppendPrimitive(n, whole, rep, def, where);
      }
      return AppendPrimitive(n, ScalarOf(*v), rep, def, where);
    }
    case Kind::kStruct: {
      simdjson::dom::object object;
      if (v->get_object().get(object) != simdjson::SUCCESS) return mismatch("an object");
      for (const NestedNode& f : n.children) {
        simdjson::dom::element member;
        bool found = false;
        for (auto field : object) {   // the key as written (the last, as nlohmann reads a
          if (field.key == f.name) {  // repeated key), else without regard to case
            member = field.value;
            found = true;
          }
        }
        if (!found) {
          for (auto field : object) {
            if (SameIgnoringCase(field.key, f.name)) {
              member = field.value;
              found = true;
              break;
            }
          }
        }
        TRY(Shred(f, found ? &member : nullptr, rep, def,
                  Where{&where, Where::Kind::kField, f.name, 0}));
      }
      return Status::Ok();
    }
    case Kind::kList: {
      simdjson::dom::array array;
      if (v->get_array().get(array) != simdjson::SUCCESS) return mismatch("an array");
      if (array.size() == 0) {
        Absent(n, rep, def);
        return Status::Ok();
      }
      const NestedNode& element = n.children[0];
      uint32_t r = rep;
      size_t k = 0;
      for (simdjson::dom::element e : array) {
        TRY(Shred(element, &e, r, static_cast<uint32_t>(n.entry_def),
                  Where{&where, Where::Kind::kElement, {}, k}));
        r = static_cast<uint32_t>(n.rep);
        ++k;
      }
      return Status::Ok();
    }
    case Kind::kMap: {
      simdjson::dom::object object;
      if (v->get_object().get(object) != simdjson::SUCCESS) return mismatch("an object");
      if (object.size() == 0) {
        Absent(n, rep, def);
        return Status::Ok();
      }
      const NestedNode& key = n.children[0];
      const NestedNode& value = n.children[1];
      const bool string_keys = layout_.leaves[key.leaf].column.type == ColumnType::kString;
      // A key given twice is one entry, at its first place with its last value (as
      // nlohmann reads it): a map's keys are unique.
      std::vector<std::pair<std::string_view, simdjson::dom::element>> entries;
      entries.reserve(object.size());
      std::unordered_map<std::string_view, size_t> index;
      for (auto entry : object) {
        if (object.size() <= 16) {
          auto same = std::find_if(entries.begin(), entries.end(),
                                   [&](const auto& e) { return e.first == entry.key; });
          if (same != entries.end()) {
            same->second = entry.value;
            continue;
          }
        } else if (auto [it, fresh] = index.emplace(entry.key, entries.size()); !fresh) {
          entries[it->second].second = entry.value;
          continue;
        }
        entries.emplace_back(entry.key, entry.value);
      }
      uint32_t r = rep;
      for (auto& entry : entries) {
        const Where at{&where, Where::Kind::kKey, entry.first, 0};
        json k = string_keys ? json(entry.first) : json::parse(entry.first, nullptr, false);
        if (k.is_discarded()) {
          return InvalidArgument(at.Text() + ": expected a key of type " +
                                 layout_.leaves[key.leaf].column.TypeText());
        }
        TRY(AppendPrimitive(key, k, r, static_cast<uint32_t>(n.entry_def), at));
        TRY(Shred(value, &entry.second, r, static_cast<uint32_t>(n.entry_def), at));
        r = static_cast<uint32_t>(n.rep);
      }
      return Status::Ok();
    }
  }
  return Status::Ok();
}

}  // namespace tributary::parquet
