// Compact-protocol parsing of the footer and page headers. Each struct reader
// walks the fields, reads the ones it knows when their wire type matches, and
// skips everything else (as generated Thrift code does). Required fields that
// are missing are reported with the struct name.
#include "parquet/format.h"
#include "parquet/thrift_compact.h"

namespace tributary::parquet {
namespace {

// Calls on_field(id, type) for each field of a struct; on_field must consume the
// value (or return r.Skip(type)).
template <typename F>
Status ReadStruct(CompactReader& r, F&& on_field) {
  TRY(r.BeginStruct());
  while (true) {
    int16_t id;
    ThriftType type;
    TRY(r.ReadFieldHeader(&id, &type));
    if (type == ThriftType::kStop) break;
    TRY(on_field(id, type));
  }
  return r.EndStruct();
}

bool IsBool(ThriftType t) { return t == ThriftType::kTrue || t == ThriftType::kFalse; }

template <typename E>
Status ReadEnum(CompactReader& r, ThriftType t, E* out) {
  if (t != ThriftType::kI32) return r.Skip(t);
  int32_t v;
  TRY(r.ReadI32(&v));
  *out = static_cast<E>(v);  // fixed underlying type: any value is representable
  return Status::Ok();
}

template <typename E>
Status ReadEnum(CompactReader& r, ThriftType t, std::optional<E>* out) {
  E e{};
  if (t != ThriftType::kI32) return r.Skip(t);
  TRY(ReadEnum(r, t, &e));
  *out = e;
  return Status::Ok();
}

Status ReadI32(CompactReader& r, ThriftType t, int32_t* out) {
  return t == ThriftType::kI32 ? r.ReadI32(out) : r.Skip(t);
}
Status ReadI32(CompactReader& r, ThriftType t, std::optional<int32_t>* out) {
  if (t != ThriftType::kI32) return r.Skip(t);
  int32_t v;
  TRY(r.ReadI32(&v));
  *out = v;
  return Status::Ok();
}
Status ReadI64(CompactReader& r, ThriftType t, int64_t* out) {
  return t == ThriftType::kI64 ? r.ReadI64(out) : r.Skip(t);
}
Status ReadI64(CompactReader& r, ThriftType t, std::optional<int64_t>* out) {
  if (t != ThriftType::kI64) return r.Skip(t);
  int64_t v;
  TRY(r.ReadI64(&v));
  *out = v;
  return Status::Ok();
}
Status ReadString(CompactReader& r, ThriftType t, std::string* out) {
  return t == ThriftType::kBinary ? r.ReadBinary(out) : r.Skip(t);
}
Status ReadString(CompactReader& r, ThriftType t, std::optional<std::string>* out) {
  if (t != ThriftType::kBinary) return r.Skip(t);
  std::string v;
  TRY(r.ReadBinary(&v));
  *out = std::move(v);
  return Status::Ok();
}

// Reads a list<struct> field, calling read_elem for each element.
template <typename F>
Status ReadStructList(CompactReader& r, ThriftType t, F&& read_elem) {
  if (t != ThriftType::kList) return r.Skip(t);
  ThriftType elem;
  uint32_t n;
  TRY(r.ReadListHeader(&elem, &n));
  if (elem != ThriftType::kStruct) {
    return r.Error("expected a list of structs, got element type " +
                   std::to_string(static_cast<int>(elem)));
  }
  for (uint32_t i = 0; i < n; ++i) TRY(read_elem());
  return Status::Ok();
}

Status ReadStatistics(CompactReader& r, Statistics* s) {
  return ReadStruct(r, [&](int16_t id, ThriftType t) -> Status {
    switch (id) {
      case 1:
        return ReadString(r, t, &s->max);
      case 2:
        return ReadString(r, t, &s->min);
      case 3:
        return ReadI64(r, t, &s->null_count);
      case 4:
        return ReadI64(r, t, &s->distinct_count);
      case 5:
        return ReadString(r, t, &s->max_value);
      case 6:
        return ReadString(r, t, &s->min_value);
      default:
        return r.Skip(t);
    }
  });
}

Status ReadKeyValues(CompactReader& r, ThriftType t, std::vector<KeyValue>* out) {
  return ReadStructList(r, t, [&]() -> Status {
    KeyValue kv;
    TRY(ReadStruct(r, [&](int16_t id, ThriftType ft) -> Status {
      if (id == 1) return ReadString(r, ft, &kv.key);
      if (id == 2) return ReadString(r, ft, &kv.value);
      return r.Skip(ft);
    }));
    out->push_back(std::move(kv));
    return Status::Ok();
  });
}

Status ReadTimestampType(CompactReader& r, LogicalType* lt) {
  lt->kind = LogicalType::Kind::kTimestamp;
  return ReadStruct(r, [&](int16_t id, ThriftType t) -> Status {
    if (id == 1 && IsBool(t)) {
      lt->is_adjusted_to_utc = CompactReader::BoolFromType(t);
      return Status::Ok();
    }
    if (id == 2 && t == ThriftType::kStruct) {
      return ReadStruct(r, [&](int16_t unit, ThriftType ut) -> Status {
        if (unit >= 1 && unit <= 3) lt->unit = static_cast<TimeUnit>(unit);
        return r.Skip(ut);
      });
    }
    return r.Skip(t);
  });
}

Status ReadLogicalType(CompactReader& r, LogicalType* lt) {
  using Kind = LogicalType::Kind;
  return ReadStruct(r, [&](int16_t id, ThriftType t) -> Status {
    if (t != ThriftType::kStruct) return r.Skip(t);
    switch (id) {
      case 1:
        lt->kind = Kind::kString;
        return r.Skip(t);
      case 2:
        lt->kind = Kind::kMap;
        return r.Skip(t);
      case 3:
        lt->kind = Kind::kList;
        return r.Skip(t);
      case 5:
        lt->kind = Kind::kDecimal;
        return ReadStruct(r, [&](int16_t fid, ThriftType ft) -> Status {
          if (fid == 1) return ReadI32(r, ft, &lt->scale);
          if (fid == 2) return ReadI32(r, ft, &lt->precision);
          return r.Skip(ft);
        });
      case 6:
        lt->kind = Kind::kDate;
        return r.Skip(t);
      case 8:
        return ReadTimestampType(r, lt);
      case 10:
        lt->kind = Kind::kInteger;
        return ReadStruct(r, [&](int16_t fid, ThriftType ft) -> Status {
          if (fid == 1 && ft == ThriftType::kByte) return r.ReadI8(&lt->bit_width);
          if (fid == 2 && IsBool(ft)) {
            lt->is_signed = CompactReader::BoolFromType(ft);
            return Status::Ok();
          }
          return r.Skip(ft);
        });
      case 12:
        lt->kind = Kind::kJson;
        return r.Skip(t);
      default:
        lt->kind = Kind::kOther;
        return r.Skip(t);
    }
  });
}

Status ReadSchemaElement(CompactReader& r, SchemaElement* e) {
  bool has_name = false;
  TRY(ReadStruct(r, [&](int16_t id, ThriftType t) -> Status {
    switch (id) {
      case 1:
        return ReadEnum(r, t, &e->type);
      case 2:
        return ReadI32(r, t, &e->type_length);
      case 3:
        return ReadEnum(r, t, &e->repetition_type);
      case 4:
        has_name = t == ThriftType::kBinary;
        return ReadString(r, t, &e->name);
      case 5:
        return ReadI32(r, t, &e->num_children);
      case 6:
        return ReadEnum(r, t, &e->converted_type);
      case 7:
        return ReadI32(r, t, &e->scale);
      case 8:
        return ReadI32(r, t, &e->precision);
      case 9:
        return ReadI32(r, t, &e->field_id);
      case 10:
        return t == ThriftType::kStruct ? ReadLogicalType(r, &e->logical_type) : r.Skip(t);
      default:
        return r.Skip(t);
    }
  }));
  if (!has_name) return r.Error("SchemaElement without a name");
  return Status::Ok();
}

Status ReadColumnMetaData(CompactReader& r, ColumnMetaData* m) {
  return ReadStruct(r, [&](int16_t id, ThriftType t) -> Status {
    switch (id) {
      case 1:
        return ReadEnum(r, t, &m->type);
      case 2: {
        if (t != ThriftType::kList) return r.Skip(t);
        ThriftType elem;
        uint32_t n;
        TRY(r.ReadListHeader(&elem, &n));
        for (uint32_t i = 0; i < n; ++i) {
          if (elem != ThriftType::kI32) {
            TRY(r.Skip(elem));
            continue;
          }
          int32_t v;
          TRY(r.ReadI32(&v));
          m->encodings.push_back(static_cast<Encoding>(v));
        }
        return Status::Ok();
      }
      case 3: {
        if (t != ThriftType::kList) return r.Skip(t);
        ThriftType elem;
        uint32_t n;
        TRY(r.ReadListHeader(&elem, &n));
        if (elem != ThriftType::kBinary) return r.Error("path_in_schema is not a list of strings");
        for (uint32_t i = 0; i < n; ++i) {
          std::string s;
          TRY(r.ReadBinary(&s));
          m->path_in_schema.push_back(std::move(s));
        }
        return Status::Ok();
      }
      case 4:
        return ReadEnum(r, t, &m->codec);
      case 5:
        return ReadI64(r, t, &m->num_values);
      case 6:
        return ReadI64(r, t, &m->total_uncompressed_size);
      case 7:
        return ReadI64(r, t, &m->total_compressed_size);
      case 8:
        return ReadKeyValues(r, t, &m->key_value_metadata);
      case 9:
        return ReadI64(r, t, &m->data_page_offset);
      case 10:
        return ReadI64(r, t, &m->index_page_offset);
      case 11:
        return ReadI64(r, t, &m->dictionary_page_offset);
      case 12:
        if (t != ThriftType::kStruct) return r.Skip(t);
        m->statistics.emplace();
        return ReadStatistics(r, &*m->statistics);
      default:
        return r.Skip(t);
    }
  });
}

Status ReadRowGroup(CompactReader& r, RowGroup* rg) {
  return ReadStruct(r, [&](int16_t id, ThriftType t) -> Status {
    switch (id) {
      case 1:
        return ReadStructList(r, t, [&]() -> Status {
          ColumnChunk c;
          TRY(ReadStruct(r, [&](int16_t fid, ThriftType ft) -> Status {
            if (fid == 1) return ReadString(r, ft, &c.file_path);
            if (fid == 2) return ReadI64(r, ft, &c.file_offset);
            if (fid == 3 && ft == ThriftType::kStruct) {
              c.meta_data.emplace();
              return ReadColumnMetaData(r, &*c.meta_data);
            }
            return r.Skip(ft);
          }));
          rg->columns.push_back(std::move(c));
          return Status::Ok();
        });
      case 2:
        return ReadI64(r, t, &rg->total_byte_size);
      case 3:
        return ReadI64(r, t, &rg->num_rows);
      case 5:
        return ReadI64(r, t, &rg->file_offset);
      case 6:
        return ReadI64(r, t, &rg->total_compressed_size);
      case 7: {
        if (t != ThriftType::kI16) return r.Skip(t);
        int16_t v;
        TRY(r.ReadI16(&v));
        rg->ordinal = v;
        return Status::Ok();
      }
      default:
        return r.Skip(t);
    }
  });
}

}  // namespace

Status ParsePageHeader(const uint8_t* data, size_t size, uint64_t base_offset, PageHeader* h,
                       size_t* consumed) {
  CompactReader r(data, size, base_offset);
  bool has_type = false, has_sizes = false;
  TRY(ReadStruct(r, [&](int16_t id, ThriftType t) -> Status {
    switch (id) {
      case 1:
        has_type = t == ThriftType::kI32;
        return ReadEnum(r, t, &h->type);
      case 2:
        return ReadI32(r, t, &h->uncompressed_page_size);
      case 3:
        has_sizes = t == ThriftType::kI32;
        return ReadI32(r, t, &h->compressed_page_size);
      case 4:
        return ReadI32(r, t, &h->crc);
      case 5: {
        if (t != ThriftType::kStruct) return r.Skip(t);
        DataPageHeader& d = h->data_page_header.emplace();
        return ReadStruct(r, [&](int16_t fid, ThriftType ft) -> Status {
          switch (fid) {
            case 1:
              return ReadI32(r, ft, &d.num_values);
            case 2:
              return ReadEnum(r, ft, &d.encoding);
            case 3:
              return ReadEnum(r, ft, &d.definition_level_encoding);
            case 4:
              return ReadEnum(r, ft, &d.repetition_level_encoding);
            case 5:
              if (ft != ThriftType::kStruct) return r.Skip(ft);
              d.statistics.emplace();
              return ReadStatistics(r, &*d.statistics);
            default:
              return r.Skip(ft);
          }
        });
      }
      case 7: {
        if (t != ThriftType::kStruct) return r.Skip(t);
        DictionaryPageHeader& d = h->dictionary_page_header.emplace();
        return ReadStruct(r, [&](int16_t fid, ThriftType ft) -> Status {
          if (fid == 1) return ReadI32(r, ft, &d.num_values);
          if (fid == 2) return ReadEnum(r, ft, &d.encoding);
          if (fid == 3 && IsBool(ft)) {
            d.is_sorted = CompactReader::BoolFromType(ft);
            return Status::Ok();
          }
          return r.Skip(ft);
        });
      }
      case 8: {
        if (t != ThriftType::kStruct) return r.Skip(t);
        DataPageHeaderV2& d = h->data_page_header_v2.emplace();
        return ReadStruct(r, [&](int16_t fid, ThriftType ft) -> Status {
          switch (fid) {
            case 1:
              return ReadI32(r, ft, &d.num_values);
            case 2:
              return ReadI32(r, ft, &d.num_nulls);
            case 3:
              return ReadI32(r, ft, &d.num_rows);
            case 4:
              return ReadEnum(r, ft, &d.encoding);
            case 5:
              return ReadI32(r, ft, &d.definition_levels_byte_length);
            case 6:
              return ReadI32(r, ft, &d.repetition_levels_byte_length);
            case 7:
              if (!IsBool(ft)) return r.Skip(ft);
              d.is_compressed = CompactReader::BoolFromType(ft);
              return Status::Ok();
            default:
              return r.Skip(ft);
          }
        });
      }
      default:
        return r.Skip(t);
    }
  }));
  if (!has_type || !has_sizes) return r.Error("page header without type or compressed size");
  *consumed = r.position();
  return Status::Ok();
}

Status ParseFileMetaData(const uint8_t* data, size_t size, uint64_t base_offset, FileMetaData* m) {
  CompactReader r(data, size, base_offset);
  bool has_schema = false;
  TRY(ReadStruct(r, [&](int16_t id, ThriftType t) -> Status {
    switch (id) {
      case 1:
        return ReadI32(r, t, &m->version);
      case 2:
        has_schema = true;
        return ReadStructList(r, t, [&]() -> Status {
          SchemaElement e;
          TRY(ReadSchemaElement(r, &e));
          m->schema.push_back(std::move(e));
          return Status::Ok();
        });
      case 3:
        return ReadI64(r, t, &m->num_rows);
      case 4:
        return ReadStructList(r, t, [&]() -> Status {
          RowGroup rg;
          TRY(ReadRowGroup(r, &rg));
          m->row_groups.push_back(std::move(rg));
          return Status::Ok();
        });
      case 5:
        return ReadKeyValues(r, t, &m->key_value_metadata);
      case 6:
        return ReadString(r, t, &m->created_by);
      case 7: {
        if (t != ThriftType::kList) return r.Skip(t);
        ThriftType elem;
        uint32_t n;
        TRY(r.ReadListHeader(&elem, &n));
        for (uint32_t i = 0; i < n; ++i) TRY(r.Skip(elem));
        m->num_column_orders = static_cast<int32_t>(n);
        return Status::Ok();
      }
      default:
        return r.Skip(t);
    }
  }));
  if (!has_schema || m->schema.empty()) return r.Error("file metadata without a schema");
  return Status::Ok();
}

}  // namespace tributary::parquet
