#include "parquet/nested_schema.h"

#include "parquet/column_writer.h"

namespace tributary::parquet {
namespace {

using Kind = NestedType::Kind;

SchemaElement Group(const std::string& name, Repetition repetition, int children) {
  SchemaElement e;
  e.name = name;
  e.repetition_type = repetition;
  e.num_children = children;
  return e;
}

Repetition RepetitionOf(bool optional) {
  return optional ? Repetition::kOptional : Repetition::kRequired;
}

// Lays out `t`, named `name`, under a parent whose levels are `parent_def`, `parent_rep`.
NestedNode Lay(const NestedType& t, const std::string& name, bool optional, int parent_def,
               int parent_rep, std::vector<std::string> path, NestedLayout* layout,
               std::vector<SchemaElement>* elements) {
  NestedNode n;
  n.kind = t.kind;
  n.name = name;
  n.optional = optional;
  n.def = parent_def + (optional ? 1 : 0);
  n.rep = parent_rep;
  n.first_leaf = static_cast<int>(layout->leaves.size());
  switch (t.kind) {
    case Kind::kPrimitive: {
      n.leaf = n.first_leaf;
      NestedLeaf leaf;
      leaf.column = t.PrimitiveColumn(name, optional);
      leaf.path = std::move(path);
      leaf.max_def = n.def;
      leaf.max_rep = parent_rep;
      if (elements) elements->push_back(ToSchemaElement(leaf.column));
      layout->leaves.push_back(std::move(leaf));
      break;
    }
    case Kind::kStruct:
      if (elements) {
        elements->push_back(
            Group(name, RepetitionOf(optional), static_cast<int>(t.children.size())));
      }
      for (size_t i = 0; i < t.children.size(); ++i) {
        std::vector<std::string> p = path;
        p.push_back(t.names[i]);
        n.children.push_back(Lay(t.children[i], t.names[i], true, n.def, parent_rep, std::move(p),
                                 layout, elements));
      }
      break;
    case Kind::kList:
    case Kind::kMap: {
      const bool list = t.kind == Kind::kList;
      n.entry_def = n.def + 1;
      n.rep = parent_rep + 1;
      if (elements) {
        SchemaElement outer = Group(name, RepetitionOf(optional), 1);
        outer.converted_type = list ? ConvertedType::kList : ConvertedType::kMap;
        outer.logical_type.kind = list ? LogicalType::Kind::kList : LogicalType::Kind::kMap;
        elements->push_back(outer);
        elements->push_back(
            Group(list ? "list" : "key_value", Repetition::kRepeated, list ? 1 : 2));
      }
      path.push_back(list ? "list" : "key_value");
      auto child = [&](const NestedType& ct, const std::string& cname, bool copt) {
        std::vector<std::string> p = path;
        p.push_back(cname);
        n.children.push_back(
            Lay(ct, cname, copt, n.entry_def, n.rep, std::move(p), layout, elements));
      };
      if (list) {
        child(t.children[0], "element", true);
      } else {
        child(t.children[0], "key", false);
        child(t.children[1], "value", true);
      }
      break;
    }
  }
  n.end_leaf = static_cast<int>(layout->leaves.size());
  return n;
}

bool IsList(const SchemaElement& e) {
  return e.converted_type == ConvertedType::kList ||
         e.logical_type.kind == LogicalType::Kind::kList;
}

bool IsMap(const SchemaElement& e) {
  return e.converted_type == ConvertedType::kMap ||
         e.converted_type == ConvertedType::kMapKeyValue ||
         e.logical_type.kind == LogicalType::Kind::kMap;
}

// Reads the Parquet schema tree back into nodes and types.
class SchemaReader {
 public:
  SchemaReader(const std::vector<SchemaElement>& s,
               const std::function<Column(const SchemaElement&, int)>& leaf_column,
               NestedLayout* layout)
      : s_(s), leaf_column_(leaf_column), layout_(layout) {}

  // Element *i (whose repetition the caller has dealt with: `optional`), named `name`.
  Status Read(size_t* i, const std::string& name, bool optional, int parent_def, int parent_rep,
              std::vector<std::string> path, int depth, NestedNode* n, NestedType* t) {
    if (depth > 64) return Unimplemented("schema groups nested deeper than 64");
    if (*i >= s_.size()) return DataLoss("footer: schema ends inside group '" + path[0] + "'");
    const size_t at = *i;
    const SchemaElement& e = s_[at];
    ++*i;
    n->name = name;
    n->optional = optional;
    n->def = parent_def + (optional ? 1 : 0);
    n->rep = parent_rep;
    n->first_leaf = static_cast<int>(layout_->leaves.size());
    const std::string where = "schema element '" + Join(path) + "'";
    if (e.type) {
      if (e.num_children.value_or(0) != 0)
        return DataLoss("footer: " + where + " is a leaf with children");
      Column c = leaf_column_(e, static_cast<int>(at));
      c.name = name;
      c.optional = optional;
      *t = NestedType::Primitive(c.type, c.precision, c.scale);
      n->kind = Kind::kPrimitive;
      n->leaf = n->first_leaf;
      NestedLeaf leaf;
      leaf.column = std::move(c);
      leaf.path = std::move(path);
      leaf.max_def = n->def;
      leaf.max_rep = parent_rep;
      leaf.schema_index = static_cast<int>(at);
      layout_->leaves.push_back(std::move(leaf));
      n->end_leaf = n->first_leaf + 1;
      return Status::Ok();
    }
    int64_t children = e.num_children.value_or(0);
    if (children <= 0 || children > static_cast<int64_t>(s_.size() - *i)) {
      return DataLoss("footer: " + where + " has " + std::to_string(children) +
                      " children, which the schema does not hold");
    }
    if (IsList(e) || IsMap(e)) {
      const bool list = IsList(e);
      if (children != 1 || s_[*i].repetition_type != Repetition::kRepeated) {
        return Unimplemented(where + ": a " + (list ? "LIST" : "MAP") +
                             " group whose child is not one repeated field");
      }
      n->kind = list ? Kind::kList : Kind::kMap;
      n->entry_def = n->def + 1;
      n->rep = parent_rep + 1;
      const SchemaElement& r = s_[*i];
      path.push_back(r.name);
      if (list) {
        NestedNode child;
        NestedType ct;
        // Three levels (repeated group list { element }) unless the repeated field is the
        // element itself: a primitive, a group of several fields, or the legacy names.
        bool three = !r.type && r.num_children.value_or(0) == 1 && r.name != "array" &&
                     r.name != name + "_tuple";
        if (three) {
          ++*i;
          if (*i >= s_.size()) return DataLoss("footer: schema ends inside " + where);
          const SchemaElement& el = s_[*i];
          if (el.repetition_type == Repetition::kRepeated) {
            return Unimplemented(where + ": a list element that is repeated itself");
          }
          std::vector<std::string> p = path;
          p.push_back(el.name);
          TRY(Read(i, "element", el.repetition_type == Repetition::kOptional, n->entry_def, n->rep,
                   std::move(p), depth + 1, &child, &ct));
        } else {
          TRY(Read(i, "element", false, n->entry_def, n->rep, path, depth + 1, &child, &ct));
        }
        n->children.push_back(std::move(child));
        *t = NestedType::List(std::move(ct));
      } else {
        if (r.type || r.num_children.value_or(0) != 2) {
          return Unimplemented(where + ": a MAP whose entries are not key and value");
        }
        ++*i;
        NestedNode key, value;
        NestedType kt, vt;
        for (auto [node, type, label] :
             {std::tuple{&key, &kt, "key"}, std::tuple{&value, &vt, "value"}}) {
          if (*i >= s_.size()) return DataLoss("footer: schema ends inside " + where);
          const SchemaElement& el = s_[*i];
          if (el.repetition_type == Repetition::kRepeated) {
            return Unimplemented(where + ": a map " + label + " that is repeated");
          }
          std::vector<std::string> p = path;
          p.push_back(el.name);
          TRY(Read(i, label, el.repetition_type == Repetition::kOptional, n->entry_def, n->rep,
                   std::move(p), depth + 1, node, type));
        }
        if (kt.nested()) return Unimplemented(where + ": a map whose key is not a primitive");
        n->children.push_back(std::move(key));
        n->children.push_back(std::move(value));
        *t = NestedType::Map(std::move(kt), std::move(vt));
      }
    } else {
      n->kind = Kind::kStruct;
      std::vector<std::string> names;
      std::vector<NestedType> fields;
      for (int64_t c = 0; c < children; ++c) {
        if (*i >= s_.size()) return DataLoss("footer: schema ends inside " + where);
        const SchemaElement& el = s_[*i];
        if (el.repetition_type == Repetition::kRepeated) {
          return Unimplemented("schema element '" + Join(path) + "." + el.name +
                               "' is repeated outside a LIST or MAP group");
        }
        std::vector<std::string> p = path;
        p.push_back(el.name);
        NestedNode child;
        NestedType ct;
        TRY(Read(i, el.name, el.repetition_type == Repetition::kOptional, n->def, parent_rep,
                 std::move(p), depth + 1, &child, &ct));
        names.push_back(el.name);
        fields.push_back(std::move(ct));
        n->children.push_back(std::move(child));
      }
      *t = NestedType::Struct(std::move(names), std::move(fields));
    }
    n->end_leaf = static_cast<int>(layout_->leaves.size());
    return Status::Ok();
  }

 private:
  static std::string Join(const std::vector<std::string>& path) {
    std::string out;
    for (const std::string& p : path) {
      if (!out.empty()) out += '.';
      out += p;
    }
    return out;
  }

  const std::vector<SchemaElement>& s_;
  const std::function<Column(const SchemaElement&, int)>& leaf_column_;
  NestedLayout* layout_;
};

}  // namespace

NestedLayout LayoutOf(const Column& c, std::vector<SchemaElement>* elements) {
  NestedLayout layout;
  layout.root = Lay(*c.nested, c.name, c.optional, 0, 0, {c.name}, &layout, elements);
  return layout;
}

Status ReadNestedSchema(const std::vector<SchemaElement>& elements, size_t* i,
                        const std::function<Column(const SchemaElement&, int)>& leaf_column,
                        NestedType* type, NestedLayout* layout) {
  *layout = NestedLayout();
  const SchemaElement& top = elements.at(*i);
  if (top.repetition_type == Repetition::kRepeated) {
    return Unimplemented("schema element '" + top.name +
                         "' is repeated outside a LIST or MAP group");
  }
  SchemaReader reader(elements, leaf_column, layout);
  TRY(reader.Read(i, top.name, top.repetition_type == Repetition::kOptional, 0, 0, {top.name}, 0,
                  &layout->root, type));
  if (!type->nested()) return Internal("a nested column that is a primitive");
  return Status::Ok();
}

}  // namespace tributary::parquet
