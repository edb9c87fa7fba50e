#include "streams/format_conversion.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <future>
#include <nlohmann/json.hpp>
#include <thread>

#include "base/base64.h"
#include "base/testing/temp_dir.h"
#include "metadata/testing/test_database.h"
#include "streams/gzip.h"
#include "streams/stream_manager.h"
#include "streams/testing/memory_object_store.h"

namespace tributary::streams {
namespace {

using nlohmann::json;
using testing::MemoryObjectStores;
using testing::StoredObject;

FormatConversion Conversion() {
  FormatConversion f;
  f.enabled = true;
  f.database = "iot";
  f.table = "readings";
  return f;
}

TEST(FormatConversionTest, JsonRoundTripsEveryField) {
  FormatConversion f = Conversion();
  f.version_id = "3";
  f.role_arn = "arn:aws:iam::1:role/r";
  f.convert_dots_to_underscores = true;
  f.case_insensitive = false;
  f.column_to_json_key = {{"device", "thing-id"}};
  f.compression = ParquetCompression::kGzip;
  f.dictionary = false;
  f.page_size_bytes = 1 << 17;
  f.block_size_bytes = 128 << 20;
  f.max_padding_bytes = 5;
  f.writer_v2 = true;
  auto back = FormatConversionFromJson(ToJson(f));
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(ToJson(*back), ToJson(f));
  EXPECT_EQ(ToJson(f)["compression"], "gzip");
  EXPECT_EQ(ToJson(f)["writer_version"], "V2");

  // A stream's settings carry it, and only when one is configured.
  StreamConfig c;
  c.name = "s";
  c.bucket = "iot-data";
  EXPECT_FALSE(ToJson(c).contains("format_conversion"));
  c.format_conversion = f;
  auto config = StreamConfigFromJson(ToJson(c));
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  EXPECT_EQ(ToJson(config->format_conversion), ToJson(f));
}

TEST(FormatConversionTest, BadJsonNamesTheKey) {
  struct Case {
    json input;
    const char* message_part;
  } cases[] = {
      {json::array(), "format_conversion: expected a JSON object"},
      {{{"enabled", "yes"}}, "format_conversion.enabled: expected true or false"},
      {{{"page_size_bytes", "big"}}, "format_conversion.page_size_bytes: expected an integer"},
      {{{"deserializer", "csv"}}, "format_conversion.deserializer: 'csv' is not one of openx, hive"},
      {{{"compression", "lz4"}}, "format_conversion.compression: 'lz4' is not one of snappy, gzip, none"},
      {{{"writer_version", "V3"}}, "format_conversion.writer_version: expected \"V1\" or \"V2\""},
      {{{"column_to_json_key", {{"a", 1}}}}, "format_conversion.column_to_json_key.a: expected a string"},
      {{{"timestamp_formats", {1}}}, "format_conversion.timestamp_formats: expected an array of strings"},
      {{{"orc", true}}, "format_conversion.orc: unknown format conversion key"},
  };
  for (const Case& c : cases) {
    auto f = FormatConversionFromJson(c.input);
    ASSERT_FALSE(f.ok()) << c.input.dump();
    EXPECT_EQ(f.status().code(), ErrorCode::kInvalidArgument);
    EXPECT_NE(f.status().message().find(c.message_part), std::string::npos)
        << f.status().message() << "\n  wanted: " << c.message_part;
  }
}

TEST(FormatConversionTest, ValidateNamesTheField) {
  auto with = [](auto change) {
    StreamConfig c;
    c.name = "s";
    c.bucket = "iot-data";
    c.format_conversion = Conversion();
    change(c);
    return c.Validate();
  };
  struct Case {
    Status status;
    const char* message_part;
  } cases[] = {
      {with([](StreamConfig& c) { c.format_conversion.table.clear(); }), "format_conversion.table: required"},
      {with([](StreamConfig& c) { c.format_conversion = FormatConversion{}, c.format_conversion.enabled = true; }),
       "format_conversion.table: required"},
      {with([](StreamConfig& c) { c.format_conversion.version_id = "v2"; }),
       "format_conversion.version_id: 'v2' is neither LATEST nor a table version number"},
      {with([](StreamConfig& c) { c.format_conversion.page_size_bytes = 100; }),
       "format_conversion.page_size_bytes: 100 is under the minimum of 65536"},
      {with([](StreamConfig& c) { c.format_conversion.block_size_bytes = 1 << 20; }),
       "format_conversion.block_size_bytes: 1048576 is under the minimum"},
      {with([](StreamConfig& c) { c.format_conversion.timestamp_formats = {"millis"}; }),
       "the Hive deserializer's, not the OpenX one's"},
      {with([](StreamConfig& c) {
         c.format_conversion.deserializer = JsonDeserializer::kHive;
         c.format_conversion.column_to_json_key = {{"a", "b"}};
       }),
       "are the OpenX deserializer's"},
      {with([](StreamConfig& c) { c.compression = Compression::kGzip; }),
       "compression: must be none (UNCOMPRESSED) with format conversion"},
      {with([](StreamConfig& c) { c.record_delimiter = "\n"; }),
       "record_delimiter: not with format conversion"},
  };
  for (const Case& c : cases) {
    ASSERT_FALSE(c.status.ok()) << c.message_part;
    EXPECT_EQ(c.status.code(), ErrorCode::kInvalidArgument);
    EXPECT_NE(c.status.message().find(c.message_part), std::string::npos)
        << c.status.message() << "\n  wanted: " << c.message_part;
  }
  // Kept but disabled: a stream may gzip again.
  EXPECT_TRUE(with([](StreamConfig& c) {
                c.format_conversion.enabled = false;
                c.compression = Compression::kGzip;
              }).ok());
}

// A converter at the seam: each record "<text>" becomes the line "row:<text>"; records
// starting with "bad" fail; while `table_missing`, the whole object fails.
class LineConverter : public RecordConverter {
 public:
  Status Check(const FormatConversion& f) override {
    if (f.table != "readings") return NotFound("table " + f.database + "." + f.table + " not found");
    return Status::Ok();
  }
  Result<ConvertedObject> Convert(const FormatConversion& f,
                                  const std::vector<std::string_view>& records) override {
    ++calls;
    if (table_missing) return NotFound("table " + f.database + "." + f.table + " not found");
    ConvertedObject out;
    out.version_id = "7";
    for (size_t i = 0; i < records.size(); ++i) {
      if (records[i].rfind("bad", 0) == 0) {
        // A message may quote the record, bytes that are not UTF-8 included.
        out.failed.push_back({i, "DataFormatConversion.MalformedData",
                              "record " + std::to_string(i) +
                                  (records[i] == "bad\xC3" ? ": " + std::string(records[i]) : "")});
        continue;
      }
      out.bytes += "row:" + std::string(records[i]) + ";";
      ++out.rows;
    }
    return out;
  }
  std::atomic<bool> table_missing{false};
  std::atomic<int> calls{0};
};

class ConvertingStreamTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto db = metadata::testing::OpenTestDatabase(dir_.path() + "/metadata.db");
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    db_ = std::move(db).value();
  }

  std::unique_ptr<StreamManager> Open(
      const std::function<void(StreamManagerOptions&)>& adjust = nullptr) {
    StreamManagerOptions o;
    o.wal_dir = dir_.path() + "/wal";
    o.db = db_.get();
    o.lake = &lake_;
    o.metrics = &registry_;
    o.retry_initial_backoff_ms = 5;
    o.retry_max_backoff_ms = 20;
    o.stop_timeout_ms = 5000;
    o.converter = converter_;
    if (adjust) adjust(o);
    auto m = StreamManager::Open(std::move(o));
    EXPECT_TRUE(m.ok()) << m.status().ToString();
    return m.ok() ? std::move(m).value() : nullptr;
  }

  static StreamConfig Config() {
    StreamConfig c;
    c.name = "s";
    c.bucket = "iot-data";
    c.prefix = "parquet/";
    c.error_prefix = "err/!{firehose:error-output-type}/";
    c.buffer_interval_s = 900;
    c.format_conversion = Conversion();
    return c;
  }

  static Status PutSync(StreamManager& m, const std::string& record) {
    std::promise<Status> p;
    m.Put("s", record, [&](const Status& s, uint64_t) { p.set_value(s); });
    return p.get_future().get();
  }

  std::map<std::string, StoredObject> Objects() { return lake_.Get("iot-data")->Objects(); }

  testing_support::TempDir dir_;
  std::unique_ptr<metadata::Database> db_;
  MemoryObjectStores lake_;
  MetricsRegistry registry_;
  std::shared_ptr<LineConverter> converter_ = std::make_shared<LineConverter>();
};

TEST_F(ConvertingStreamTest, ConvertedRecordsMakeTheObjectAndTheOthersGoToTheErrorPrefix) {
  auto m = Open();
  ASSERT_TRUE(m->Create(Config()).ok());
  for (const char* r : {"a", "bad1", "b", "bad2"}) ASSERT_TRUE(PutSync(*m, r).ok());
  ASSERT_TRUE(m->Flush("s").ok());
  auto objects = Objects();
  ASSERT_EQ(objects.size(), 2u);
  const auto& [error_key, error_object] = *objects.begin();
  const auto& [key, object] = *objects.rbegin();
  EXPECT_EQ(key.rfind("parquet/", 0), 0u) << key;  // then the default YYYY/MM/dd/HH/
  EXPECT_NE(key.find("/s-1-"), std::string::npos) << key;
  EXPECT_EQ(object.data, "row:a;row:b;");
  EXPECT_EQ(object.options.metadata.at("record-count"), "2");
  EXPECT_EQ(object.options.metadata.at("schema-version"), "7");
  EXPECT_EQ(error_key.rfind("err/format-conversion-failed/s-1-", 0), 0u) << error_key;
  EXPECT_EQ(error_object.options.metadata.at("error-output-type"), "format-conversion-failed");
  EXPECT_EQ(error_object.options.metadata.at("record-count"), "2");
  std::vector<json> lines;
  size_t start = 0;
  while (start < error_object.data.size()) {
    size_t end = error_object.data.find('\n', start);
    lines.push_back(json::parse(error_object.data.substr(start, end - start)));
    start = end + 1;
  }
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(Base64Decode(lines[0]["rawData"].get<std::string>()).value(), "bad1");
  EXPECT_EQ(Base64Decode(lines[1]["rawData"].get<std::string>()).value(), "bad2");
  EXPECT_EQ(lines[0]["ErrorCode"], "DataFormatConversion.MalformedData");
  EXPECT_EQ(lines[0]["ErrorMessage"], "record 1");
  EXPECT_EQ(lines[1]["ErrorMessage"], "record 3");
  EXPECT_EQ(lines[0]["dataCatalogTable"]["databaseName"], "iot");
  EXPECT_EQ(lines[0]["dataCatalogTable"]["tableName"], "readings");
  EXPECT_EQ(lines[0]["dataCatalogTable"]["versionId"], "7");
  EXPECT_EQ(lines[0]["recordId"].get<std::string>().size(), 32u);
  auto d = m->Describe("s");
  EXPECT_EQ(d->stats.records_delivered, 4u);
  EXPECT_EQ(d->stats.records_to_error_prefix, 2u);
  EXPECT_EQ(d->stats.objects_delivered, 2u);
}

// A failure's message that is not UTF-8 (quoting a record cut mid-character) is written
// with U+FFFD in its place: the error line is JSON, and writing it must not throw on the
// delivery thread (which would end the process, and again at every restart).
TEST_F(ConvertingStreamTest, AMessageThatIsNotUtf8IsWrittenReplaced) {
  auto m = Open();
  ASSERT_TRUE(m->Create(Config()).ok());
  ASSERT_TRUE(PutSync(*m, "bad\xC3").ok());
  ASSERT_TRUE(m->Flush("s").ok());
  auto objects = Objects();
  ASSERT_EQ(objects.size(), 1u);
  const auto& [key, object] = *objects.begin();
  EXPECT_EQ(key.rfind("err/format-conversion-failed/", 0), 0u) << key;
  json line = json::parse(object.data.substr(0, object.data.find('\n')));
  EXPECT_EQ(line["ErrorMessage"], "record 0: bad\xEF\xBF\xBD");
  EXPECT_EQ(Base64Decode(line["rawData"].get<std::string>()).value(), "bad\xC3");
}

TEST_F(ConvertingStreamTest, SourceRecordsAreBackedUpBesideTheParquetObjects) {
  auto m = Open();
  StreamConfig c = Config();
  c.backup.bucket = "raw-backup";
  c.backup.prefix = "source/!{timestamp:yyyy}/";
  c.backup.compression = Compression::kGzip;
  ASSERT_TRUE(m->Create(c).ok());
  for (const char* r : {"a", "bad1", "b"}) ASSERT_TRUE(PutSync(*m, r).ok());
  ASSERT_TRUE(m->Flush("s").ok());
  EXPECT_EQ(Objects().size(), 2u);  // the Parquet and the conversion failure, as without
  auto backups = lake_.Get("raw-backup")->Objects();
  ASSERT_EQ(backups.size(), 1u);
  const auto& [key, object] = *backups.begin();
  EXPECT_EQ(key.rfind("source/20", 0), 0u) << key;
  EXPECT_NE(key.find("/s-1-"), std::string::npos) << key;
  EXPECT_EQ(key.substr(key.size() - 3), ".gz") << key;
  // Every record as it was put, the one that did not convert too.
  EXPECT_EQ(GzipDecompress(object.data).value(), "abad1b");
  EXPECT_EQ(object.options.metadata.at("backup"), "source-records");
  EXPECT_EQ(object.options.content_encoding, "gzip");
  EXPECT_EQ(object.options.metadata.at("record-count"), "3");
  EXPECT_EQ(m->Describe("s")->stats.records_delivered, 3u);

  // Backup turned off: later records are converted only.
  c.backup = {};
  ASSERT_TRUE(m->Update(c).ok());
  ASSERT_TRUE(PutSync(*m, "c").ok());
  ASSERT_TRUE(m->Flush("s").ok());
  EXPECT_EQ(Objects().size(), 3u);
  EXPECT_EQ(lake_.Get("raw-backup")->Objects().size(), 1u);
  EXPECT_FALSE(m->Describe("s")->config.backup.enabled());
}

TEST_F(ConvertingStreamTest, AFailingBackupIsRetriedBeforeTheRecordsCountAsDelivered) {
  auto m = Open();
  StreamConfig c = Config();
  c.backup.bucket = "raw-backup";
  ASSERT_TRUE(m->Create(c).ok());
  std::atomic<bool> down{true};
  lake_.Get("raw-backup")->FailPutsWhere([&](const std::string&) { return down.load(); });
  ASSERT_TRUE(PutSync(*m, "a").ok());
  // Not delivered while the backup cannot be written: the record stays in the WAL.
  std::thread heal([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    EXPECT_EQ(m->Describe("s")->stats.records_delivered, 0u);
    down = false;
  });
  ASSERT_TRUE(m->Flush("s").ok());
  heal.join();
  EXPECT_EQ(lake_.Get("raw-backup")->Objects().size(), 1u);
  EXPECT_EQ(m->Describe("s")->stats.records_delivered, 1u);
  EXPECT_GT(m->Describe("s")->stats.delivery_errors, 0u);
  EXPECT_EQ(m->Describe("s")->stats.records_to_error_prefix, 0u);
}

// A backup that fails for the whole retry window is written under the error prefix of the
// backup bucket; the records themselves were delivered, so they do not count as sent to
// the error prefix.
TEST_F(ConvertingStreamTest, ABackupPastTheRetryWindowDoesNotCountTheRecordsAsErrors) {
  auto m = Open([](StreamManagerOptions& o) { o.retry_window_ms = 100; });
  StreamConfig c = Config();
  c.backup.bucket = "raw-backup";
  c.backup.prefix = "source/";
  ASSERT_TRUE(m->Create(c).ok());
  lake_.Get("raw-backup")->FailPutsWhere([](const std::string& key) {
    return key.rfind("source/", 0) == 0;
  });
  ASSERT_TRUE(PutSync(*m, "a").ok());
  ASSERT_TRUE(PutSync(*m, "b").ok());
  ASSERT_TRUE(m->Flush("s").ok());
  auto backups = lake_.Get("raw-backup")->Objects();
  ASSERT_EQ(backups.size(), 1u);
  EXPECT_EQ(backups.begin()->first.rfind("err/delivery-failed/", 0), 0u) << backups.begin()->first;
  EXPECT_EQ(backups.begin()->second.data, "ab");
  auto d = m->Describe("s");
  EXPECT_EQ(d->stats.records_delivered, 2u);
  EXPECT_EQ(d->stats.records_to_error_prefix, 0u);
}

TEST_F(ConvertingStreamTest, PartitionsAndTheFileExtensionApplyToTheParquetObjects) {
  auto m = Open();
  StreamConfig c = Config();
  c.prefix = "parquet/device=!{partitionKeyFromQuery:device}/";
  c.file_extension = ".parquet";
  ASSERT_TRUE(m->Create(c).ok());
  for (const char* r : {R"({"device":"a","n":1})", R"({"device":"b","n":2})", R"({"device":"a","n":3})",
                        R"({"n":4})"}) {
    ASSERT_TRUE(PutSync(*m, r).ok());
  }
  ASSERT_TRUE(m->Flush("s").ok());
  std::map<std::string, std::string> by_prefix;
  for (const auto& [key, object] : Objects()) {
    by_prefix[key.substr(0, key.find("/s-1-") + 1)] = object.data;
    if (key.rfind("parquet/", 0) == 0) {
      EXPECT_EQ(key.substr(key.size() - 8), ".parquet") << key;
    } else {
      EXPECT_EQ(key.find(".parquet"), std::string::npos) << key;  // error lines are JSON
    }
  }
  ASSERT_EQ(by_prefix.size(), 3u);
  EXPECT_EQ(by_prefix["parquet/device=a/"], R"(row:{"device":"a","n":1};row:{"device":"a","n":3};)");
  EXPECT_EQ(by_prefix["parquet/device=b/"], R"(row:{"device":"b","n":2};)");
  // The record without the key: partitioning failed, before any conversion.
  EXPECT_NE(by_prefix["err/partitioning-failed/"].find("DynamicPartitioning.MetadataExtractionFailed"),
            std::string::npos);
}

TEST_F(ConvertingStreamTest, AnUnreadableTableIsRetriedThenEveryRecordGoesToTheErrorPrefix) {
  auto m = Open([](StreamManagerOptions& o) { o.retry_window_ms = 150; });
  ASSERT_TRUE(m->Create(Config()).ok());
  converter_->table_missing = true;
  ASSERT_TRUE(PutSync(*m, "a").ok());
  ASSERT_TRUE(PutSync(*m, "b").ok());
  ASSERT_TRUE(m->Flush("s").ok());
  EXPECT_GT(converter_->calls.load(), 2);
  auto objects = Objects();
  ASSERT_EQ(objects.size(), 1u);
  const auto& [key, object] = *objects.begin();
  EXPECT_EQ(key.rfind("err/format-conversion-failed/", 0), 0u) << key;
  EXPECT_NE(object.data.find(R"("ErrorCode":"DataFormatConversion.EntityNotFound")"), std::string::npos)
      << object.data;
  EXPECT_NE(object.data.find("table iot.readings not found"), std::string::npos);
  auto d = m->Describe("s");
  EXPECT_NE(d->stats.last_error.find("converting records with table iot.readings"), std::string::npos)
      << d->stats.last_error;
  EXPECT_EQ(d->stats.records_to_error_prefix, 2u);

  // The table is back: records convert again.
  converter_->table_missing = false;
  ASSERT_TRUE(PutSync(*m, "c").ok());
  ASSERT_TRUE(m->Flush("s").ok());
  bool converted = false;
  for (const auto& [k, o] : Objects()) converted |= o.data == "row:c;";
  EXPECT_TRUE(converted);
}

TEST_F(ConvertingStreamTest, CreateAndUpdateCheckTheTable) {
  auto m = Open();
  StreamConfig c = Config();
  c.format_conversion.table = "missing";
  Status st = m->Create(c);
  EXPECT_EQ(st.code(), ErrorCode::kNotFound);
  EXPECT_NE(st.message().find("format_conversion: table iot.missing not found"), std::string::npos)
      << st.message();
  ASSERT_TRUE(m->Create(Config()).ok());
  st = m->Update(c);
  EXPECT_EQ(st.code(), ErrorCode::kNotFound);
  // Disabled, the table is not needed.
  c.format_conversion.enabled = false;
  EXPECT_TRUE(m->Update(c).ok());
  ASSERT_TRUE(PutSync(*m, "plain").ok());
  ASSERT_TRUE(m->Flush("s").ok());
  ASSERT_EQ(Objects().size(), 1u);
  EXPECT_EQ(Objects().begin()->second.data, "plain");
}

TEST_F(ConvertingStreamTest, WithoutAConverterAConvertingStreamIsRefused) {
  auto m = Open([](StreamManagerOptions& o) { o.converter = nullptr; });
  Status st = m->Create(Config());
  EXPECT_EQ(st.code(), ErrorCode::kFailedPrecondition);
  EXPECT_NE(st.message().find("no catalog to convert with"), std::string::npos) << st.message();
}

TEST_F(ConvertingStreamTest, RecordsRecoveredAfterARestartAreConverted) {
  {
    auto m = Open([](StreamManagerOptions& o) { o.stop_timeout_ms = 200; });
    ASSERT_TRUE(m->Create(Config()).ok());
    ASSERT_TRUE(PutSync(*m, "a").ok());
    ASSERT_TRUE(PutSync(*m, "bad").ok());
    // Closed with the records in the WAL only: a 15-minute buffer, no flush.
    lake_.Get("iot-data")->FailPutsWhere([](const std::string&) { return true; });
    m->Stop();
  }
  lake_.Get("iot-data")->FailPutsWhere(nullptr);
  size_t before = Objects().size();
  auto m = Open();
  ASSERT_TRUE(m->Flush("s").ok());
  auto objects = Objects();
  ASSERT_EQ(objects.size(), before + 2);
  bool converted = false, failed = false;
  for (const auto& [k, o] : objects) {
    converted |= o.data == "row:a;";
    failed |= k.rfind("err/format-conversion-failed/", 0) == 0;
  }
  EXPECT_TRUE(converted);
  EXPECT_TRUE(failed);
}

}  // namespace
}  // namespace tributary::streams
