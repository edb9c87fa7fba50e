#include "parquet/nested_assemble.h"

#include "parquet/render.h"

namespace tributary::parquet {
namespace {

using Kind = NestedType::Kind;

class Assembler {
 public:
  Assembler(const std::string& name, const NestedLayout& layout,
            const std::vector<LeafEntries>& leaves)
      : name_(name), layout_(layout), leaves_(leaves), pos_(leaves.size(), 0) {}

  Status Row(int64_t row, ColumnBatch* out) {
    for (size_t l = 0; l < leaves_.size(); ++l) {
      if (pos_[l] >= leaves_[l].def.size()) return Corrupt(row, l, "ends before the row");
      if (leaves_[l].rep[pos_[l]] != 0) return Corrupt(row, l, "does not start the row");
    }
    const NestedNode& root = layout_.root;
    if (leaves_[root.first_leaf].def[pos_[root.first_leaf]] < static_cast<uint32_t>(root.def)) {
      TRY(Skip(root, row));
      out->AppendNull();
      return Status::Ok();
    }
    text_.clear();
    TRY(Value(root, row, 0));
    out->AppendString(text_);
    return Status::Ok();
  }

  Status End() const {
    for (size_t l = 0; l < leaves_.size(); ++l) {
      if (pos_[l] != leaves_[l].def.size()) {
        return DataLoss("column '" + name_ + "': leaf '" + LeafName(l) + "' holds " +
                        std::to_string(leaves_[l].def.size() - pos_[l]) +
                        " entries past the row group's last row");
      }
    }
    return Status::Ok();
  }

 private:
  std::string LeafName(size_t l) const {
    std::string out;
    for (const std::string& p : layout_.leaves[l].path) {
      if (!out.empty()) out += '.';
      out += p;
    }
    return out;
  }

  Status Corrupt(int64_t row, size_t l, const std::string& what) const {
    return DataLoss("column '" + name_ + "', row " + std::to_string(row) + ": leaf '" +
                    LeafName(l) + "' " + what);
  }

  Result<uint32_t> Def(const NestedNode& n, int64_t row) const {
    size_t l = static_cast<size_t>(n.first_leaf);
    if (pos_[l] >= leaves_[l].def.size()) return Corrupt(row, l, "ends inside the row");
    return leaves_[l].def[pos_[l]];
  }

  // Every leaf under `n` past one entry: `n` is null, or an empty list or map.
  Status Skip(const NestedNode& n, int64_t row) {
    for (int l = n.first_leaf; l < n.end_leaf; ++l) {
      if (pos_[l] >= leaves_[l].def.size()) return Corrupt(row, l, "ends inside the row");
      ++pos_[l];
    }
    return Status::Ok();
  }

  // Whether the next entry of `n`'s first leaf is another entry of list or map `n`.
  bool MoreEntries(const NestedNode& n) const {
    size_t l = static_cast<size_t>(n.first_leaf);
    return pos_[l] < leaves_[l].rep.size() &&
           leaves_[l].rep[pos_[l]] == static_cast<uint32_t>(n.rep);
  }

  Status Leaf(const NestedNode& n, int64_t row, bool as_key) {
    size_t l = static_cast<size_t>(n.leaf);
    const LeafEntries& leaf = leaves_[l];
    if (pos_[l] >= leaf.def.size() || pos_[l] >= static_cast<size_t>(leaf.values.length)) {
      return Corrupt(row, l, "ends inside the row");
    }
    const Column& c = layout_.leaves[l].column;
    if (as_key && !leaf.values.IsValid(static_cast<int64_t>(pos_[l]))) {
      return Corrupt(row, l, "holds a null map key");
    }
    if (as_key && c.type == ColumnType::kString) {
      AppendJsonString(leaf.values.StringAt(static_cast<int64_t>(pos_[l])), &text_);
    } else if (as_key) {
      std::string key;
      AppendValueAsJson(c, leaf.values, static_cast<int64_t>(pos_[l]), &key);
      if (!key.empty() && key.front() == '"') {
        text_ += key;
      } else {
        AppendJsonString(key, &text_);
      }
    } else {
      AppendValueAsJson(c, leaf.values, static_cast<int64_t>(pos_[l]), &text_);
    }
    ++pos_[l];
    return Status::Ok();
  }

  Status Value(const NestedNode& n, int64_t row, int depth) {
    if (depth > 64) return DataLoss("column '" + name_ + "': nested deeper than 64");
    TRY_ASSIGN(uint32_t d, Def(n, row));
    if (d < static_cast<uint32_t>(n.def)) {
      text_ += "null";
      return Skip(n, row);
    }
    switch (n.kind) {
      case Kind::kPrimitive:
        return Leaf(n, row, false);
      case Kind::kStruct:
        text_ += '{';
        for (size_t i = 0; i < n.children.size(); ++i) {
          if (i > 0) text_ += ',';
          AppendJsonString(n.children[i].name, &text_);
          text_ += ':';
          TRY(Value(n.children[i], row, depth + 1));
        }
        text_ += '}';
        return Status::Ok();
      case Kind::kList:
      case Kind::kMap: {
        const bool list = n.kind == Kind::kList;
        if (d < static_cast<uint32_t>(n.entry_def)) {
          text_ += list ? "[]" : "{}";
          return Skip(n, row);
        }
        text_ += list ? '[' : '{';
        for (bool first = true;; first = false) {
          if (!first) text_ += ',';
          if (list) {
            TRY(Value(n.children[0], row, depth + 1));
          } else {
            TRY_ASSIGN(uint32_t kd, Def(n.children[0], row));
            if (kd < static_cast<uint32_t>(n.children[0].def)) {
              return Corrupt(row, static_cast<size_t>(n.children[0].leaf), "holds a null map key");
            }
            TRY(Leaf(n.children[0], row, true));
            text_ += ':';
            TRY(Value(n.children[1], row, depth + 1));
          }
          if (!MoreEntries(n)) break;
        }
        text_ += list ? ']' : '}';
        return Status::Ok();
      }
    }
    return Status::Ok();
  }

  const std::string& name_;
  const NestedLayout& layout_;
  const std::vector<LeafEntries>& leaves_;
  std::vector<size_t> pos_;
  std::string text_;
};

}  // namespace

Status AssembleNested(const std::string& name, const NestedLayout& layout,
                      const std::vector<LeafEntries>& leaves, int64_t rows, ColumnBatch* out) {
  *out = ColumnBatch(ColumnType::kString);
  out->validity.reserve(static_cast<size_t>(std::min<int64_t>(rows, 1 << 20)));
  out->validity.clear();
  if (leaves.size() != layout.leaves.size()) {
    return Internal("column '" + name + "': leaves do not match the layout");
  }
  Assembler a(name, layout, leaves);
  for (int64_t r = 0; r < rows; ++r) TRY(a.Row(r, out));
  return a.End();
}

}  // namespace tributary::parquet
