// tributary stream create|update|list|describe|delete|flush|put
#include <fmt/format.h>

#include <cstdio>
#include <iostream>
#include <memory>
#include <optional>
#include <sstream>

#include "base/base64.h"
#include "base/files.h"
#include "cli/api_client.h"
#include "cli/command.h"
#include "cli/output.h"
#include "cli/stream_records.h"
#include "flags/flag_checks.h"
#include "net/http_types.h"

namespace tributary::cli {

namespace {

using nlohmann::json;

std::string StreamPath(const std::string& name) { return "/v1/streams/" + net::UrlEncode(name); }

// A delimiter as typed on a command line: "\n", "\r", "\t" and "\\" read as the bytes
// they stand for, anything else as it is.
std::string Unescape(const std::string& text) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '\\' && i + 1 < text.size()) {
      switch (text[i + 1]) {
        case 'n': c = '\n', ++i; break;
        case 'r': c = '\r', ++i; break;
        case 't': c = '\t', ++i; break;
        case '\\': ++i; break;
        default: break;  // kept as typed
      }
    }
    out += c;
  }
  return out;
}

// Unescape's inverse, but for the control characters, which PrintObject writes out
// (OneLine): '\\' doubled.
std::string Escape(const std::string& delimiter) {
  std::string out;
  for (char c : delimiter) {
    if (c == '\\') out += '\\';
    out += c;
  }
  return out;
}

// --parquet-table DATABASE.TABLE [--parquet-compression C] as the API's format_conversion
// ("" for the table: no conversion).
Result<json> FormatConversionOf(const std::string& table, const std::string& compression) {
  if (table.empty()) return json::object();
  size_t dot = table.find('.');
  if (dot == std::string::npos || dot == 0 || dot + 1 == table.size()) {
    return InvalidArgument("--parquet-table: '" + table + "' is not DATABASE.TABLE");
  }
  return json{{"enabled", true},
              {"database", table.substr(0, dot)},
              {"table", table.substr(dot + 1)},
              {"compression", compression}};
}

// --backup-bucket B [--backup-prefix P] [--backup-compression C] as the API's backup ("" for
// the bucket: none).
json BackupOf(const std::string& bucket, const std::string& prefix,
              const std::string& compression) {
  if (bucket.empty()) return nullptr;
  return json{{"bucket", bucket}, {"prefix", prefix}, {"compression", compression}};
}

// --deaggregate json|delimited|none [--deaggregate-delimiter D] as the API's deaggregation.
json DeaggregationOf(const std::string& type, const std::string& delimiter) {
  if (type.empty() || type == "none") return nullptr;
  json d = {{"type", type}};
  if (!delimiter.empty()) d["delimiter"] = Unescape(delimiter);
  return d;
}

// The stream settings' API fields and the flags that set them.
constexpr FieldFlag kStreamFlags[] = {
    {"bucket", "--bucket"},
    {"prefix", "--prefix"},
    {"error_prefix", "--error-prefix"},
    {"buffer_size_mib", "--buffer-size-mib"},
    {"buffer_interval_s", "--buffer-interval-s"},
    {"compression", "--compression"},
    {"time_zone", "--time-zone"},
    {"file_extension", "--file-extension"},
    {"partition_query", "--partition-query"},
    {"record_delimiter", "--record-delimiter"},
    {"format_conversion", "--parquet-table"},
    {"format_conversion.database", "--parquet-table"},
    {"format_conversion.table", "--parquet-table"},
    {"format_conversion.compression", "--parquet-compression"},
    {"backup.bucket", "--backup-bucket"},
    {"backup.prefix", "--backup-prefix"},
    {"backup.compression", "--backup-compression"},
    {"deaggregation.type", "--deaggregate"},
    {"deaggregation.delimiter", "--deaggregate-delimiter"},
};

Status WithStreamFlagName(const Status& status) { return WithFlagName(status, kStreamFlags); }

struct CreateArgs {
  std::string name, bucket, prefix, error_prefix,
      compression = "none", time_zone = "UTC", file_extension, partition_query, record_delimiter,
      parquet_table, parquet_compression = "snappy", backup_bucket, backup_prefix,
      backup_compression = "none", deaggregate, deaggregate_delimiter;
  int buffer_size_mib = 5;
  int buffer_interval_s = 300;
};

int CreateStream(const ClientOptions& opts, const CreateArgs& a) {
  json body{{"name", a.name},
            {"bucket", a.bucket},
            {"prefix", a.prefix},
            {"error_prefix", a.error_prefix},
            {"buffer_size_mib", a.buffer_size_mib},
            {"buffer_interval_s", a.buffer_interval_s},
            {"compression", a.compression},
            {"time_zone", a.time_zone},
            {"file_extension", a.file_extension},
            {"partition_query", a.partition_query},
            {"record_delimiter", Unescape(a.record_delimiter)}};
  if (!a.parquet_table.empty()) {
    auto conversion = FormatConversionOf(a.parquet_table, a.parquet_compression);
    if (!conversion.ok()) return Fail("stream create", conversion.status());
    body["format_conversion"] = *conversion;
  }
  if (!a.backup_bucket.empty())
    body["backup"] = BackupOf(a.backup_bucket, a.backup_prefix, a.backup_compression);
  if (!a.deaggregate.empty()) {
    body["deaggregation"] = DeaggregationOf(a.deaggregate, a.deaggregate_delimiter);
  }
  return CallAndReport(opts, "stream create", "POST", "/v1/streams", &body,
                       "created stream " + a.name + " -> bucket " + a.bucket, WithStreamFlagName);
}

// The settings `stream update` was given; those not given keep their values.
struct UpdateArgs {
  std::string name;
  std::optional<std::string> bucket, prefix, error_prefix, compression, time_zone, file_extension,
      partition_query, record_delimiter, parquet_table, backup_bucket, deaggregate;
  std::string parquet_compression = "snappy", backup_prefix, backup_compression = "none",
      deaggregate_delimiter;
  std::optional<int> buffer_size_mib, buffer_interval_s;
};

int UpdateStream(const ClientOptions& opts, const UpdateArgs& a) {
  json body = json::object();
  if (a.bucket) body["bucket"] = *a.bucket;
  if (a.prefix) body["prefix"] = *a.prefix;
  if (a.error_prefix) body["error_prefix"] = *a.error_prefix;
  if (a.buffer_size_mib) body["buffer_size_mib"] = *a.buffer_size_mib;
  if (a.buffer_interval_s) body["buffer_interval_s"] = *a.buffer_interval_s;
  if (a.compression) body["compression"] = *a.compression;
  if (a.time_zone) body["time_zone"] = *a.time_zone;
  if (a.file_extension) body["file_extension"] = *a.file_extension;
  if (a.partition_query) body["partition_query"] = *a.partition_query;
  if (a.record_delimiter) body["record_delimiter"] = Unescape(*a.record_delimiter);
  if (a.parquet_table) {
    auto conversion = FormatConversionOf(*a.parquet_table, a.parquet_compression);
    if (!conversion.ok()) return Fail("stream update", conversion.status());
    body["format_conversion"] = *conversion;
  }
  if (a.backup_bucket)
    body["backup"] = BackupOf(*a.backup_bucket, a.backup_prefix, a.backup_compression);
  if (a.deaggregate) {
    body["deaggregation"] = DeaggregationOf(*a.deaggregate, a.deaggregate_delimiter);
  }
  if (body.empty()) {
    return Fail("stream update",
                InvalidArgument("nothing to change: give at least one of --bucket, --prefix, "
                                "--error-prefix, --buffer-size-mib, --buffer-interval-s, "
                                "--compression, --time-zone, --file-extension, "
                                "--partition-query, --record-delimiter, --parquet-table, "
                                "--backup-bucket, --deaggregate"));
  }
  return CallAndReport(opts, "stream update", "POST", StreamPath(a.name) + "/destination", &body,
                       "updated stream " + a.name, WithStreamFlagName);
}

int ListStreams(const ClientOptions& opts) {
  auto r = ApiClient(opts).Call("GET", "/v1/streams");
  if (!r.ok()) return Fail("stream list", r.status());
  if (opts.json) return PrintJson(*r), 0;
  std::vector<std::vector<std::string>> rows;
  for (const auto& s : (*r)["streams"]) {
    const json& c = s["config"];
    const json& st = s["stats"];
    rows.push_back({Cell(c["name"]), Cell(s["status"]), Cell(c["bucket"]), Cell(c["prefix"]),
                    Cell(st["records_in"]), Cell(st["objects_delivered"]), Cell(st["buffered_bytes"])});
  }
  PrintTable({"NAME", "STATUS", "BUCKET", "PREFIX", "RECORDS IN", "OBJECTS", "BUFFERED"}, rows);
  return 0;
}

int DescribeStream(const ClientOptions& opts, const std::string& name) {
  auto r = ApiClient(opts).Call("GET", StreamPath(name));
  if (!r.ok()) return Fail("stream describe", r.status());
  if (opts.json) return PrintJson(*r), 0;
  std::printf("status:  %s\ncreated: %s\n", Cell((*r)["status"]).c_str(), Cell((*r)["created"]).c_str());
  // The conversion in a word or two (all of it: --json).
  json config = (*r)["config"];
  const json conversion = config.value("format_conversion", json::object());
  config.erase("format_conversion");
  config["format"] = conversion.value("enabled", false)
                         ? "parquet by table " + conversion.value("database", "") + "." +
                               conversion.value("table", "") + " (" + conversion.value("compression", "") + ")"
                         : "records as put";
  // Empty settings said as what they mean; the delimiter as --record-delimiter reads it.
  auto say_default = [&](const char* key, const char* meaning) {
    if (config.value(key, "").empty()) config[key] = meaning;
  };
  config["record_delimiter"] = Escape(config.value("record_delimiter", ""));
  say_default("record_delimiter", "none (records stored as put)");
  say_default("prefix", "default (YYYY/MM/DD/HH/ in time_zone)");
  say_default("error_prefix",
              "default (!{firehose:error-output-type}/!{timestamp:yyyy/MM/dd/HH}/)");
  say_default("file_extension", "default (.gz with gzip, none without)");
  say_default("partition_query", "none (each partitionKeyFromQuery name a top-level field)");
  if (config.contains("backup")) {
    const json backup = config["backup"];
    config["backup"] = "s3://" + backup.value("bucket", "") + "/" + backup.value("prefix", "") +
                       " (" + backup.value("compression", "") + ")";
  } else {
    config["backup"] = "none";
  }
  PrintObject(config);
  PrintObject((*r)["stats"]);
  return 0;
}

// Records come from --data (each one record, as given) and --file (each line one record,
// its newline kept, so the objects hold newline-delimited JSON); "-" reads stdin. All are
// read and checked before the first call (stream_records.h).
Result<std::vector<PutRecordInput>> ReadPutRecords(const std::vector<std::string>& data,
                                                   const std::string& file) {
  if (file.empty()) return CollectPutRecords(data, nullptr, file);
  if (file == "-") return CollectPutRecords(data, &std::cin, file);
  TRY_ASSIGN(std::string text, ReadFile(file));  // says why it cannot (a directory, ...)
  std::istringstream in(std::move(text));
  return CollectPutRecords(data, &in, file);
}

int PutRecords(const ClientOptions& opts, const std::string& name, const std::vector<std::string>& data,
               const std::string& file) {
  auto records = ReadPutRecords(data, file);
  if (!records.ok()) return Fail("stream put", records.status());
  ApiClient client(opts);
  json all_ids = json::array();
  int failed = 0;
  size_t sent = 0;
  for (const auto& [begin, end] : PutBatches(*records)) {
    json batch = json::array();
    for (size_t i = begin; i < end; ++i)
      batch.push_back({{"Data", Base64Encode((*records)[i].data)}});
    json body{{"Records", batch}};
    auto r = client.Call("POST", StreamPath(name) + "/records/batch", &body);
    if (!r.ok()) {
      // The calls before this one were answered: say how far the put got.
      return Fail("stream put",
                  r.status().WithContext(fmt::format(
                      "putting records {}..{} ({} to {}), after {} of {} records were put ({} "
                      "refused)",
                      begin + 1, end, (*records)[begin].origin, (*records)[end - 1].origin,
                      sent - static_cast<size_t>(failed), records->size(), failed)));
    }
    sent += end - begin;
    failed += (*r)["FailedPutCount"].get<int>();
    for (const auto& resp : (*r)["RequestResponses"]) {
      all_ids.push_back(resp);
      if (resp.contains("ErrorMessage") && !opts.json) {
        std::fprintf(stderr, "tributary stream put: record refused: %s\n",
                     resp["ErrorMessage"].get<std::string>().c_str());
      }
    }
  }
  if (opts.json) {
    PrintJson({{"FailedPutCount", failed}, {"RequestResponses", all_ids}});
  } else {
    std::printf("put %zu records into stream %s (%d refused)\n", records->size() - failed, name.c_str(), failed);
  }
  return failed == 0 ? 0 : 1;
}

}  // namespace

void AddStreamCommands(CLI::App* parent, CommandContext* ctx) {
  auto* stream = parent->add_subcommand("stream", "Manage delivery streams (Firehose: buffer records into the lake)");
  stream->require_subcommand(1);
  auto opts = std::make_shared<ClientOptions>();
  auto name = std::make_shared<std::string>();

  auto args = std::make_shared<CreateArgs>();
  auto* create = stream->add_subcommand("create", "Create a delivery stream that writes objects to a bucket");
  create->add_option("name", args->name, "stream name ([A-Za-z0-9_.-], up to 64)")->required();
  create->add_option("--bucket", args->bucket, "destination bucket in the lake")->required();
  create->add_option("--prefix", args->prefix,
                     "key prefix; default YYYY/MM/DD/HH/ (in --time-zone). Supports "
                     "!{timestamp:yyyy/MM/dd/HH} and !{partitionKeyFromQuery:<field>}");
  create->add_option("--error-prefix", args->error_prefix,
                     "key prefix for records that cannot be delivered (supports !{firehose:error-output-type})");
  WholeNumberIn(create->add_option("--buffer-size-mib", args->buffer_size_mib,
                                   "deliver when a buffer holds this many MiB"),
                1, 128)
      ->capture_default_str();
  WholeNumberIn(create->add_option("--buffer-interval-s", args->buffer_interval_s,
                                   "or when its oldest record is this old, seconds"),
                0, 900)
      ->capture_default_str();
  create
      ->add_option("--compression", args->compression,
                   "none, gzip, zip (an archive of one entry), snappy (snappy-java's stream, "
                   "Firehose's Snappy) or hadoop_snappy")
      ->capture_default_str();
  create->add_option("--time-zone", args->time_zone,
                     "the clock of the keys' times (prefix and object name): an IANA name such "
                     "as Asia/Tokyo, UTC, or an offset such as +05:30")
      ->capture_default_str();
  create->add_option("--file-extension", args->file_extension,
                     "the objects' name ending instead of the default (.gz with gzip), e.g. "
                     ".jsonl or .json.gz");
  create->add_option("--partition-query", args->partition_query,
                     "where the prefix's partitionKeyFromQuery names are in a record, as "
                     "Firehose's MetadataExtractionQuery: '{device: .device.id, site: .site}' "
                     "(default: each name a top-level field)");
  create->add_option("--record-delimiter", args->record_delimiter,
                     "written after every record in the objects, as Firehose's "
                     "AppendDelimiterToRecord: '\\n' (backslash escapes \\n \\r \\t \\\\ are read); "
                     "default none: records are stored as put");
  auto* create_table = create->add_option(
      "--parquet-table", args->parquet_table,
      "write each object as Parquet with the columns of this catalog table "
      "(DATABASE.TABLE), as Firehose's record format conversion; records that do "
      "not fit go to the error prefix");
  create
      ->add_option("--parquet-compression", args->parquet_compression,
                   "the Parquet pages' compression: snappy, gzip or none")
      ->capture_default_str()
      ->needs(create_table);
  auto* create_backup = create->add_option(
      "--backup-bucket", args->backup_bucket,
      "also write every record as it was put to this bucket (Firehose's source record backup, "
      "S3BackupMode Enabled), e.g. beside --parquet-table");
  create
      ->add_option("--backup-prefix", args->backup_prefix,
                   "the backup's key prefix (!{timestamp:...}, !{firehose:random-string}; default "
                   "YYYY/MM/DD/HH/)")
      ->needs(create_backup);
  create
      ->add_option("--backup-compression", args->backup_compression,
                   "the backup's compression: none, gzip, zip, snappy or hadoop_snappy")
      ->capture_default_str()
      ->needs(create_backup);
  auto* create_deaggregate = create->add_option(
      "--deaggregate", args->deaggregate,
      "take records put as several apart (Firehose's RecordDeAggregation): json (objects one "
      "after another) or delimited (with --deaggregate-delimiter)");
  create
      ->add_option("--deaggregate-delimiter", args->deaggregate_delimiter,
                   "what separates the records of one put (escapes \\n \\r \\t \\\\ read)")
      ->needs(create_deaggregate);
  AddClientFlags(create, opts.get());
  create->callback([=] { ctx->run = [=] { return CreateStream(*opts, *args); }; });

  auto update_args = std::make_shared<UpdateArgs>();
  auto* update = stream->add_subcommand(
      "update",
      "Change a stream's destination, buffering, conversion, backup or splitting while it runs "
      "(what is buffered is delivered as it was)");
  update->add_option("name", update_args->name, "stream name")->required();
  update->add_option("--bucket", update_args->bucket, "destination bucket in the lake");
  update->add_option("--prefix", update_args->prefix, "key prefix (as for create; \"\" for the default)");
  update->add_option("--error-prefix", update_args->error_prefix, "key prefix for records that cannot be delivered");
  WholeNumberIn(update->add_option("--buffer-size-mib", update_args->buffer_size_mib,
                                   "deliver when a buffer holds this many MiB"),
                1, 128);
  WholeNumberIn(update->add_option("--buffer-interval-s", update_args->buffer_interval_s,
                                   "or when its oldest record is this old, seconds"),
                0, 900);
  update->add_option("--compression", update_args->compression,
                     "none, gzip, zip, snappy or hadoop_snappy");
  update->add_option("--time-zone", update_args->time_zone, "the clock of the keys' times");
  update->add_option("--file-extension", update_args->file_extension,
                     "the objects' name ending (\"\" for the default)");
  update->add_option("--partition-query", update_args->partition_query,
                     "where the partition keys are in a record (\"\": top-level fields)");
  update->add_option("--record-delimiter", update_args->record_delimiter,
                     "written after every record ('\\n'; \"\" for none)");
  auto* update_table =
      update->add_option("--parquet-table", update_args->parquet_table,
                         "convert records to Parquet with this catalog table's columns "
                         "(DATABASE.TABLE; \"\" to stop converting)");
  update
      ->add_option("--parquet-compression", update_args->parquet_compression,
                   "with --parquet-table: snappy, gzip or none")
      ->capture_default_str()
      ->needs(update_table);
  auto* update_backup = update->add_option("--backup-bucket", update_args->backup_bucket,
                                           "back the records up to this bucket (\"\" to stop)");
  update
      ->add_option("--backup-prefix", update_args->backup_prefix,
                   "with --backup-bucket: the backup's key prefix")
      ->needs(update_backup);
  update
      ->add_option("--backup-compression", update_args->backup_compression,
                   "with --backup-bucket: none, gzip, zip, snappy or hadoop_snappy")
      ->capture_default_str()
      ->needs(update_backup);
  auto* update_deaggregate = update->add_option("--deaggregate", update_args->deaggregate,
                                                "json, delimited, or none to stop");
  update
      ->add_option("--deaggregate-delimiter", update_args->deaggregate_delimiter,
                   "with --deaggregate delimited: what separates the records")
      ->needs(update_deaggregate);
  AddClientFlags(update, opts.get());
  update->callback([=] { ctx->run = [=] { return UpdateStream(*opts, *update_args); }; });

  auto* list = stream->add_subcommand("list", "List delivery streams");
  AddClientFlags(list, opts.get());
  list->callback([=] { ctx->run = [=] { return ListStreams(*opts); }; });

  auto* describe = stream->add_subcommand("describe", "Show a stream's settings and counters");
  describe->add_option("name", *name, "stream name")->required();
  AddClientFlags(describe, opts.get());
  describe->callback([=] { ctx->run = [=] { return DescribeStream(*opts, *name); }; });

  auto* del = stream->add_subcommand("delete", "Deliver what a stream holds, then delete it");
  del->add_option("name", *name, "stream name")->required();
  AddClientFlags(del, opts.get());
  del->callback([=] {
    ctx->run = [=] {
      return CallAndReport(*opts, "stream delete", "DELETE", StreamPath(*name), nullptr, "deleted stream " + *name);
    };
  });

  auto* flush = stream->add_subcommand("flush", "Deliver every buffer of a stream now");
  flush->add_option("name", *name, "stream name")->required();
  AddClientFlags(flush, opts.get());
  flush->callback([=] {
    ctx->run = [=] {
      return CallAndReport(*opts, "stream flush", "POST", StreamPath(*name) + "/flush", nullptr, "flushed stream " + *name);
    };
  });

  auto data = std::make_shared<std::vector<std::string>>();
  auto file = std::make_shared<std::string>();
  auto* put = stream->add_subcommand("put", "Put records into a stream (Direct PUT)");
  put->add_option("name", *name, "stream name")->required();
  OneValueEach(put->add_option("--data", *data, "a record, as given (repeatable)"));
  put->add_option("--file", *file, "one record per line (newline kept); - for stdin");
  AddClientFlags(put, opts.get());
  put->callback([=] { ctx->run = [=] { return PutRecords(*opts, *name, *data, *file); }; });
}

}  // namespace tributary::cli
