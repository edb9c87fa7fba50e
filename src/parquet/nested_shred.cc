#include "parquet/nested_shred.h"

#include <cctype>
#include <nlohmann/json.hpp>

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

}  // namespace

NestedShredder::NestedShredder(const Column& column, JsonTimes times)
    : column_(column), times_(times), layout_(LayoutOf(column)) {
  leaves_.resize(layout_.leaves.size());
  for (size_t i = 0; i < leaves_.size(); ++i) {
    leaves_[i].values = ColumnBatch(layout_.leaves[i].column.type);
  }
}

void NestedShredder::Clear() {
  for (LeafValues& l : leaves_) {
    l.def.clear();
    l.rep.clear();
    l.values.Clear();
  }
  rows_ = 0;
}

Status NestedShredder::AddText(std::optional<std::string_view> text) {
  if (!text) return Add(nullptr);
  json v = json::parse(*text, nullptr, /*allow_exceptions=*/false);
  if (v.is_discarded()) {
    // ParseJsonText says where the text stops being JSON.
    return ParseJsonText(*text, "column '" + column_.name + "'").status();
  }
  return Add(&v);
}

Status NestedShredder::Check(std::string_view text) {
  Status st = AddText(text);
  Clear();
  if (st.ok()) return st;
  std::string_view message = st.message();
  const std::string named = "column '" + column_.name + "': ";
  if (message.substr(0, named.size()) == named) message.remove_prefix(named.size());
  return Status(st.code(), std::string(message));
}

Status NestedShredder::Add(const json* value) {
  std::vector<size_t> levels(leaves_.size());
  std::vector<int64_t> values(leaves_.size());
  for (size_t i = 0; i < leaves_.size(); ++i) {
    levels[i] = leaves_[i].def.size();
    values[i] = leaves_[i].values.length;
  }
  Status st = Shred(layout_.root, value, 0, 0, "column '" + column_.name + "'");
  if (!st.ok()) {
    Truncate(levels, values);
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

Status NestedShredder::Shred(const NestedNode& n, const json* v, uint32_t rep, uint32_t parent_def,
                             const std::string& where) {
  if (v == nullptr || v->is_null()) {
    if (!n.optional) return InvalidArgument(where + ": a value is required");
    Absent(n, rep, parent_def);
    return Status::Ok();
  }
  const uint32_t def = static_cast<uint32_t>(n.def);
  auto mismatch = [&](std::string_view expected) {
    return InvalidArgument(where + ": expected " + std::string(expected) + ", got " +
                           v->type_name() + " " + v->dump());
  };
  switch (n.kind) {
    case Kind::kPrimitive: {
      LeafValues& leaf = leaves_[n.leaf];
      const Column& c = layout_.leaves[n.leaf].column;
      const bool millis = times_ == JsonTimes::kMillis && v->is_number_integer() &&
                          (c.type == ColumnType::kTimestamp || c.type == ColumnType::kDate);
      if (c.type == ColumnType::kString && !v->is_string()) {
        leaf.values.AppendString(v->dump());
      } else {
        json value;
        if (millis) {
          // Unix milliseconds: as microseconds, or as their UTC day.
          int64_t ms = v->is_number_unsigned() && v->get<uint64_t>() > uint64_t{INT64_MAX}
                           ? INT64_MAX
                           : v->get<int64_t>();
          int64_t micros;
          if (__builtin_mul_overflow(ms, int64_t{1000}, &micros)) {
            micros = ms < 0 ? INT64_MIN : INT64_MAX;  // refused as out of range
          }
          constexpr int64_t kMsPerDay = 86400000;
          int64_t days = ms / kMsPerDay - (ms % kMsPerDay < 0 ? 1 : 0);
          value = c.type == ColumnType::kTimestamp ? json(micros) : json(days);
        }
        Status st = AppendJsonValue(c, millis ? value : *v, &leaf.values);
        if (!st.ok()) {
          // AppendJsonValue names the leaf as a column: say where it is instead.
          std::string_view message = st.message();
          const std::string named = "column '" + c.name + "': ";
          if (message.substr(0, named.size()) == named) message.remove_prefix(named.size());
          return InvalidArgument(where + ": " + std::string(message));
        }
      }
      leaf.rep.push_back(rep);
      leaf.def.push_back(def);
      return Status::Ok();
    }
    case Kind::kStruct: {
      if (!v->is_object()) return mismatch("an object");
      for (const NestedNode& f : n.children) {
        auto it = v->find(f.name);
        if (it == v->end()) {
          for (auto j = v->begin(); j != v->end(); ++j) {
            if (SameIgnoringCase(j.key(), f.name)) {
              it = j;
              break;
            }
          }
        }
        TRY(Shred(f, it == v->end() ? nullptr : &*it, rep, def,
                  where + ": field '" + f.name + "'"));
      }
      return Status::Ok();
    }
    case Kind::kList: {
      if (!v->is_array()) return mismatch("an array");
      if (v->empty()) {
        Absent(n, rep, def);
        return Status::Ok();
      }
      const NestedNode& element = n.children[0];
      uint32_t r = rep;
      for (size_t k = 0; k < v->size(); ++k) {
        TRY(Shred(element, &(*v)[k], r, static_cast<uint32_t>(n.entry_def),
                  where + ": element " + std::to_string(k)));
        r = static_cast<uint32_t>(n.rep);
      }
      return Status::Ok();
    }
    case Kind::kMap: {
      if (!v->is_object()) return mismatch("an object");
      if (v->empty()) {
        Absent(n, rep, def);
        return Status::Ok();
      }
      const NestedNode& key = n.children[0];
      const NestedNode& value = n.children[1];
      const bool string_keys = layout_.leaves[key.leaf].column.type == ColumnType::kString;
      uint32_t r = rep;
      for (auto it = v->begin(); it != v->end(); ++it) {
        const std::string at = where + ": key '" + it.key() + "'";
        json k = it.key();
        if (!string_keys) {
          k = json::parse(it.key(), nullptr, false);
          if (k.is_discarded()) {
            return InvalidArgument(at + ": expected a key of type " +
                                   layout_.leaves[key.leaf].column.TypeText());
          }
        }
        TRY(Shred(key, &k, r, static_cast<uint32_t>(n.entry_def), at));
        TRY(Shred(value, &it.value(), r, static_cast<uint32_t>(n.entry_def), at));
        r = static_cast<uint32_t>(n.rep);
      }
      return Status::Ok();
    }
  }
  return Status::Ok();
}

}  // namespace tributary::parquet
