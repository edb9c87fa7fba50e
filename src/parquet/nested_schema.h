// How a nested column lies in a Parquet file: its schema elements (groups over primitive
// leaves), one column chunk per leaf, and the definition and repetition levels that say
// where each leaf value sits (the Dremel encoding the Parquet format specifies).
//
// Tributary writes the standard layouts, which Spark, DuckDB, Athena and parquet-mr read:
//
//   struct<a:int64>   optional group loc { optional int64 a; }
//   list<string>      optional group tags (LIST) { repeated group list {
//                       optional binary element (STRING); } }
//   map<string,T>     optional group attrs (MAP) { repeated group key_value {
//                       required binary key (STRING); optional T value; } }
//
// Struct fields, list elements and map values are optional; map keys required. The
// reader takes those and the other writers' variants: required members, the two-level
// list (`repeated <element>` under a LIST group) and MAP_KEY_VALUE. A repeated field
// outside a LIST or MAP group is refused by name.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "base/status.h"
#include "parquet/format.h"
#include "parquet/nested_type.h"
#include "parquet/schema.h"

namespace tributary::parquet {

// One node of the layout, with the levels the shredder and the assembler work by.
struct NestedNode {
  NestedType::Kind kind = NestedType::Kind::kPrimitive;
  std::string name;  // a struct's field name; "element", "key", "value" below lists, maps
  bool optional = true;
  int def = 0;         // definition level when this node holds a value (is not null)
  int entry_def = 0;   // kList, kMap: definition level when it has at least one entry
  int rep = 0;         // kList, kMap: repetition level of its entries after the first
  int first_leaf = 0;  // the leaves under this node: [first_leaf, end_leaf)
  int end_leaf = 0;
  int leaf = -1;                     // kPrimitive: its index among the leaves
  std::vector<NestedNode> children;  // kStruct: fields; kList: element; kMap: key, value
};

struct NestedLeaf {
  std::vector<std::string> path;  // path_in_schema, from the top column's name
  Column column;                  // the primitive (name: the path's last element)
  int max_def = 0;
  int max_rep = 0;
  int schema_index = -1;  // reader: the leaf's index in FileMetaData::schema
};

struct NestedLayout {
  NestedNode root;
  std::vector<NestedLeaf> leaves;  // in schema order, as the column chunks are
};

// The layout Tributary writes for nested column `c` (c.nested set), and its schema
// elements in pre-order (appended to `elements` if not null).
NestedLayout LayoutOf(const Column& c, std::vector<SchemaElement>* elements = nullptr);

// Reader: the column whose top element is schema element `*i` (a group; the root's
// child), its type and layout; `*i` moves past the column's elements. `leaf_column` maps a
// primitive element onto a column (its type; the reader's own mapping). Unimplemented
// naming the shape it cannot read; DataLoss for a schema that does not hold together.
Status ReadNestedSchema(const std::vector<SchemaElement>& elements, size_t* i,
                        const std::function<Column(const SchemaElement&, int)>& leaf_column,
                        NestedType* type, NestedLayout* layout);

}  // namespace tributary::parquet
