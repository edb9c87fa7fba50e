#include "streams/key_template.h"

#include <gtest/gtest.h>

#include <functional>
#include <nlohmann/json.hpp>
#include <set>

#include "objstore/object_store.h"
#include "streams/stream_config.h"

namespace tributary::streams {
namespace {

// 2026-11-30T14:02:11.500Z
constexpr int64_t kTime = 1796047331500;

struct RenderCase {
  std::string templ;
  KeyTemplate::Use use;
  std::vector<std::string> values;
  std::string error_type;
  std::string want;
};

TEST(KeyTemplateTest, RendersTable) {
  using U = KeyTemplate::Use;
  const RenderCase cases[] = {
      {"", U::kPrefix, {}, "", "2026/11/30/14/"},
      {"raw/", U::kPrefix, {}, "", "raw/2026/11/30/14/"},
      {"raw", U::kPrefix, {}, "", "raw2026/11/30/14/"},
      {"raw/!{timestamp:yyyy-MM-dd}/", U::kPrefix, {}, "", "raw/2026-11-30/"},
      {"!{timestamp:yyyy/MM/dd/HH/mm/ss}/", U::kPrefix, {}, "", "2026/11/30/14/02/11/"},
      {"year=!{timestamp:yyyy}/month=!{timestamp:MM}/", U::kPrefix, {}, "", "year=2026/month=11/"},
      {"d=!{partitionKeyFromQuery:device}/!{timestamp:HH}/", U::kPrefix, {"s1"}, "", "d=s1/14/"},
      {"!{partitionKeyFromQuery:a}/!{partitionKeyFromQuery:b}/!{partitionKeyFromQuery:a}/",
       U::kPrefix,
       {"x", "y"},
       "",
       "x/y/x/"},
      {"!{firehose:error-output-type}/!{timestamp:yyyy/MM/dd/HH}/",
       U::kErrorPrefix,
       {},
       "partitioning-failed",
       "partitioning-failed/2026/11/30/14/"},
      {"errors/", U::kErrorPrefix, {}, "delivery-failed", "errors/2026/11/30/14/"},
      // Java's quoted text, as Firehose's patterns use it: 'x' is x, '' a quote.
      {"dt=!{timestamp:yyyy'-'MM'-'dd}/h=!{timestamp:HH}/",
       U::kPrefix,
       {},
       "",
       "dt=2026-11-30/h=14/"},
      {"!{timestamp:'year='yyyy'/month='MM}/", U::kPrefix, {}, "", "year=2026/month=11/"},
      {"!{timestamp:yyyy''MM}/", U::kPrefix, {}, "", "2026'11/"},
      // Inside quoted text too: 'h''x' is h'x.
      {"q/!{timestamp:'h''x'HH}/", U::kPrefix, {}, "", "q/h'x14/"},
      {"!{timestamp:'''y'yyyy}/", U::kPrefix, {}, "", "'y2026/"},
  };
  for (const auto& c : cases) {
    auto t = KeyTemplate::Parse(c.templ, c.use, "prefix");
    ASSERT_TRUE(t.ok()) << c.templ << ": " << t.status().ToString();
    KeyContext ctx;
    ctx.time_ms = kTime;
    ctx.partition_values = c.values;
    ctx.error_output_type = c.error_type;
    EXPECT_EQ(t->Render(ctx), c.want) << c.templ;
  }
}

// !{firehose:random-string}: 11 random hex digits, new for every object, in a prefix or
// an error prefix (as the templates people copy from Firehose's guide use it).
TEST(KeyTemplateTest, RandomStringIsNewForEveryObject) {
  auto t = KeyTemplate::Parse(
      "fherroroutputbase/!{firehose:random-string}/!{firehose:error-output-type}/"
      "!{timestamp:yyyy/MM/dd}/",
      KeyTemplate::Use::kErrorPrefix, "error_prefix");
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  KeyContext ctx;
  ctx.time_ms = kTime;
  ctx.error_output_type = kDeliveryFailed;
  std::set<std::string> seen;
  for (int i = 0; i < 50; ++i) {
    std::string key = t->Render(ctx);
    ASSERT_EQ(key.size(), std::string("fherroroutputbase//delivery-failed/2026/11/30/").size() +
                              kRandomStringLength) << key;
    std::string random = key.substr(18, kRandomStringLength);
    EXPECT_EQ(random.find_first_not_of("0123456789abcdef"), std::string::npos) << key;
    EXPECT_EQ(key.substr(18 + kRandomStringLength), "/delivery-failed/2026/11/30/") << key;
    seen.insert(random);
  }
  EXPECT_EQ(seen.size(), 50u);
  EXPECT_TRUE(KeyTemplate::Parse("raw/!{firehose:random-string}/", KeyTemplate::Use::kPrefix,
                                 "prefix").ok());
}

TEST(KeyTemplateTest, PartitionFieldsAreDeduplicatedInOrder) {
  auto t = KeyTemplate::Parse(
      "!{partitionKeyFromQuery:b}/!{partitionKeyFromQuery:a}/!{partitionKeyFromQuery:b}/",
      KeyTemplate::Use::kPrefix, "prefix");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->partition_fields(), (std::vector<std::string>{"b", "a"}));
}

TEST(KeyTemplateTest, BadTemplatesNameThePosition) {
  using U = KeyTemplate::Use;
  const struct {
    std::string templ;
    U use;
    std::string want;  // substring of the error
  } cases[] = {
      {"raw/!{timestamp:yyyy", U::kPrefix, "unterminated '!{' at position 4"},
      {"raw/!{foo:bar}/", U::kPrefix, "unknown expression 'foo:bar' at position 4"},
      {"!{timestamp:YYYY}", U::kPrefix, "unsupported timestamp token 'YYYY' at position 12"},
      {"!{timestamp:yyyy-MMM}", U::kPrefix, "unsupported timestamp token 'MMM' at position 17"},
      {"!{timestamp:}", U::kPrefix, "empty timestamp pattern at position 12"},
      {"!{timestamp:yyyy'-MM}", U::kPrefix,
       "quote at position 16 of the timestamp pattern is not closed"},
      {"!{partitionKeyFromQuery:.device}", U::kPrefix, "field name"},
      {"!{partitionKeyFromQuery:}", U::kPrefix, "position 24"},
      {"!{partitionKeyFromQuery:d}", U::kErrorPrefix, "only allowed in the prefix"},
      {"!{firehose:error-output-type}", U::kPrefix, "only allowed in the error prefix"},
      {"a}b", U::kPrefix, "stray '}' at position 1"},
  };
  for (const auto& c : cases) {
    auto t = KeyTemplate::Parse(c.templ, c.use, "prefix");
    ASSERT_FALSE(t.ok()) << c.templ;
    EXPECT_EQ(t.status().code(), ErrorCode::kInvalidArgument);
    EXPECT_NE(t.status().message().find(c.want), std::string::npos)
        << c.templ << " -> " << t.status().message();
    EXPECT_EQ(t.status().message().rfind("prefix: ", 0), 0u) << t.status().message();
  }
}

TEST(KeyTemplateTest, ObjectNameIsFirehoseShaped) {
  EXPECT_EQ(ObjectName("pollution", kTime, "u-u-i-d", Compression::kNone),
            "pollution-1-2026-11-30-14-02-11-u-u-i-d");
  EXPECT_EQ(ObjectName("p", kTime, "x", Compression::kGzip), "p-1-2026-11-30-14-02-11-x.gz");
  EXPECT_EQ(ObjectName("p", kTime, "x", Compression::kZip), "p-1-2026-11-30-14-02-11-x.zip");
  EXPECT_EQ(FormatTime(0, "yyyy/MM/dd/HH:mm:ss"), "1970/01/01/00:00:00");
  // A stream's file extension replaces the default one.
  EXPECT_EQ(ObjectName("p", kTime, "x", Compression::kNone, nullptr, ".jsonl"),
            "p-1-2026-11-30-14-02-11-x.jsonl");
  EXPECT_EQ(ObjectName("p", kTime, "x", Compression::kGzip, nullptr, ".json.gz"),
            "p-1-2026-11-30-14-02-11-x.json.gz");
}

// A stream's time zone (Firehose's CustomTimeZone) sets the clock of the default prefix,
// !{timestamp:...} and the object name alike, daylight saving included.
TEST(KeyTemplateTest, TimesAreReadInTheStreamsTimeZone) {
  auto tokyo = TimeZone::Find("Asia/Tokyo");
  auto paris = TimeZone::Find("Europe/Paris");
  auto india = TimeZone::Find("+05:30");
  ASSERT_TRUE(tokyo.ok() && paris.ok() && india.ok());
  auto def = KeyTemplate::Parse("", KeyTemplate::Use::kPrefix, "prefix");
  auto custom = KeyTemplate::Parse("d/!{timestamp:yyyy-MM-dd HH:mm}/", KeyTemplate::Use::kPrefix,
                                   "prefix");
  ASSERT_TRUE(def.ok() && custom.ok());
  KeyContext at;
  at.time_ms = kTime;  // 2026-11-30 14:02:11.5 UTC
  at.zone = tokyo->get();
  EXPECT_EQ(def->Render(at), "2026/11/30/23/");
  EXPECT_EQ(custom->Render(at), "d/2026-11-30 23:02/");
  at.zone = india->get();
  EXPECT_EQ(def->Render(at), "2026/11/30/19/");  // 19:32
  at.zone = paris->get();  // CET (+1) in November
  EXPECT_EQ(custom->Render(at), "d/2026-11-30 15:02/");
  at.time_ms = 1782820800000;  // 2026-06-30 12:00 UTC: CEST (+2)
  EXPECT_EQ(custom->Render(at), "d/2026-06-30 14:00/");
  // Past midnight in Tokyo: the date moves too.
  EXPECT_EQ(ObjectName("p", kTime, "x", Compression::kNone, tokyo->get()),
            "p-1-2026-11-30-23-02-11-x");
  EXPECT_EQ(ObjectName("p", 1796047331500 + 3600000, "x", Compression::kNone, tokyo->get()),
            "p-1-2026-12-01-00-02-11-x");
}

TEST(StreamConfigTest, ValidationNamesTheField) {
  StreamConfig good;
  good.name = "pollution-1.a_b";
  good.bucket = "iot-data";
  ASSERT_TRUE(good.Validate().ok()) << good.Validate().ToString();

  const struct {
    std::function<void(StreamConfig&)> edit;
    std::string field;
  } cases[] = {
      {[](StreamConfig& c) { c.name = ""; }, "name: "},
      {[](StreamConfig& c) { c.name = std::string(65, 'a'); }, "name: "},
      {[](StreamConfig& c) { c.name = "a/b"; }, "name: "},
      {[](StreamConfig& c) { c.bucket = "Bad_Bucket"; }, "bucket: "},
      {[](StreamConfig& c) { c.prefix = "!{nope}"; }, "prefix: "},
      {[](StreamConfig& c) { c.error_prefix = "!{partitionKeyFromQuery:d}"; }, "error_prefix: "},
      {[](StreamConfig& c) { c.buffer_size_mib = 0; }, "buffer_size_mib: "},
      {[](StreamConfig& c) { c.buffer_size_mib = 129; }, "buffer_size_mib: "},
      {[](StreamConfig& c) { c.buffer_interval_s = -1; }, "buffer_interval_s: "},
      {[](StreamConfig& c) { c.buffer_interval_s = 901; }, "buffer_interval_s: "},
      {[](StreamConfig& c) { c.time_zone = "Mars/Olympus_Mons"; }, "time_zone: "},
      {[](StreamConfig& c) { c.time_zone = ""; }, "time_zone: "},
      {[](StreamConfig& c) { c.file_extension = "jsonl"; }, "file_extension: "},
      {[](StreamConfig& c) { c.file_extension = ".JSON"; }, "file_extension: "},
      {[](StreamConfig& c) { c.file_extension = "./x"; }, "file_extension: "},
      {[](StreamConfig& c) { c.file_extension = "." + std::string(128, 'a'); }, "file_extension: "},
  };
  for (const auto& c : cases) {
    StreamConfig bad = good;
    c.edit(bad);
    Status s = bad.Validate();
    EXPECT_EQ(s.code(), ErrorCode::kInvalidArgument) << c.field;
    EXPECT_EQ(s.message().rfind(c.field, 0), 0u) << s.message();
  }
}

TEST(StreamConfigTest, APrefixWhoseKeysTheLakeRefusesIsRefused) {
  StreamConfig good;
  good.name = "s";
  good.bucket = "iot-data";
  for (const char* prefix :
       {"", "raw/", "raw", "a.b/..c/!{partitionKeyFromQuery:d}/", "x/!{timestamp:yyyy}/"}) {
    StreamConfig c = good;
    c.prefix = prefix;
    EXPECT_TRUE(c.Validate().ok()) << prefix << ": " << c.Validate().ToString();
  }
  const struct {
    const char* prefix;
    const char* error_prefix;
    const char* problem;
  } cases[] = {
      {"/abs/", "", "starts with '/'"},
      {"a/../../b/", "", "has a '..' segment"},
      {"./raw/", "", "has a '.' segment"},
      {"a//b/", "", "has an empty segment ('//')"},
      {"raw/!{timestamp:yyyy}//", "", "has an empty segment ('//')"},
      {"", "/errors/", "starts with '/'"},
      {"", "errors/!{firehose:error-output-type}//", "has an empty segment ('//')"},
  };
  for (const auto& k : cases) {
    StreamConfig bad = good;
    bad.prefix = k.prefix;
    bad.error_prefix = k.error_prefix;
    Status s = bad.Validate();
    EXPECT_EQ(s.code(), ErrorCode::kInvalidArgument) << k.prefix << k.error_prefix;
    const std::string what = *k.error_prefix ? "error_prefix" : "prefix";
    const std::string text = *k.error_prefix ? k.error_prefix : k.prefix;
    EXPECT_EQ(
        s.message().rfind(what + ": '" + text + "' makes keys the lake refuses: object key '", 0),
        0u)
        << s.message();
    EXPECT_NE(s.message().find(k.problem), std::string::npos) << s.message();
  }
  StreamConfig slash = good;
  slash.prefix = "/abs/";
  EXPECT_EQ(slash.Validate().message(),
            "prefix: '/abs/' makes keys the lake refuses: object key "
            "'/abs/2026/01/01/00/s-1-2026-01-01-00-00-00-00000000-0000-0000-0000-000000000000' "
            "starts with '/'");
}

// `n` bytes of folders of 99 characters, ending with '/'.
std::string Folders(size_t n) {
  std::string s;
  while (s.size() + 1 < n) s += s.size() % 100 == 99 ? '/' : 'a';
  return s + "/";
}

// Firehose takes prefixes of up to 1024 characters; an object key, prefix and object name
// together, is at most 1024 bytes (S3's limit). Stream "s" makes 60-byte object names,
// and a prefix without expressions gets "2026/01/01/00/" (14 bytes) appended.
TEST(StreamConfigTest, APrefixIsUpTo1024BytesAndMustLeaveTheObjectNameRoom) {
  StreamConfig good;
  good.name = "s";
  good.bucket = "iot-data";
  const std::string name = "s-1-2026-01-01-00-00-00-00000000-0000-0000-0000-000000000000";
  ASSERT_EQ(name.size(), 60u);

  StreamConfig fits = good;
  fits.prefix = Folders(950);  // 964 bytes rendered: keys of exactly 1024
  EXPECT_TRUE(fits.Validate().ok()) << fits.Validate().ToString();
  auto t = KeyTemplate::Parse(fits.prefix, KeyTemplate::Use::kPrefix, "prefix");
  ASSERT_TRUE(t.ok());
  KeyContext context;
  context.time_ms = 1'767'225'600'000;
  const std::string key =
      t->Render(context) +
      ObjectName("s", context.time_ms, "00000000-0000-0000-0000-000000000000", Compression::kNone);
  EXPECT_EQ(key.size(), 1024u);
  EXPECT_TRUE(objstore::ValidateKey(key).ok());

  StreamConfig over = good;
  over.prefix = Folders(951);
  EXPECT_EQ(over.Validate().message(),
            "prefix: leaves no room for the object name: rendered it is 965 bytes, and with an "
            "object name such as '" +
                name +
                "' (60 bytes) a key would be 1025 bytes, over the 1024 an object key may have "
                "(S3's limit); the prefix may render to at most 964 bytes here");
  // Firehose's own limit is not what refuses 1024 bytes: the room for the name is.
  over.prefix = Folders(1024);
  EXPECT_EQ(over.Validate().message().rfind("prefix: leaves no room for the object name", 0), 0u)
      << over.Validate().message();
  over.prefix = Folders(1025);
  EXPECT_EQ(over.Validate().message(),
            "prefix: 1025 bytes long; a prefix is at most 1024 (Firehose's limit)");

  StreamConfig error = good;
  error.error_prefix = Folders(1024);
  EXPECT_EQ(error.Validate().message().rfind("error_prefix: leaves no room for the object name", 0),
            0u)
      << error.Validate().message();
  error.error_prefix = Folders(1025);
  EXPECT_EQ(error.Validate().message(),
            "error_prefix: 1025 bytes long; a prefix is at most 1024 (Firehose's limit)");
  // The error prefix is checked with the longest error output type the stream writes:
  // "delivery-failed" (15 bytes) fits here, "partitioning-failed" (19) does not.
  error.error_prefix = "!{firehose:error-output-type}/" + Folders(946);
  EXPECT_TRUE(error.Validate().ok()) << error.Validate().ToString();
  error.prefix = "d=!{partitionKeyFromQuery:d}/";
  EXPECT_EQ(error.Validate().message().rfind("error_prefix: leaves no room for the object name", 0),
            0u)
      << error.Validate().message();

  StreamConfig backup = good;
  backup.backup.bucket = "iot-raw";
  backup.backup.prefix = Folders(1025);
  EXPECT_EQ(backup.Validate().message(),
            "backup.prefix: 1025 bytes long; a prefix is at most 1024 (Firehose's limit)");
  backup.backup.prefix = Folders(950);
  EXPECT_TRUE(backup.Validate().ok()) << backup.Validate().ToString();
}

// A create or an update (ValidateChange) is refused a partition query with a key the
// prefix does not use; a stream stored before that check (Validate, at start-up) still
// starts. Where the query and the prefix differ both ways, the query's unused keys are
// named: an update that gives only a new query blames it, not the prefix it kept.
TEST(StreamConfigTest, APartitionQueryKeyThePrefixDoesNotUseIsRefusedForAChange) {
  StreamConfig c;
  c.name = "pq3";
  c.bucket = "iot-data";
  c.partition_query = "{d: .a}";
  EXPECT_TRUE(c.Validate().ok()) << c.Validate().ToString();
  EXPECT_EQ(c.ValidateChange().message(),
            "partition_query: key d is not used by `prefix` (it uses no partitionKeyFromQuery): "
            "each key of the query must be in the prefix as !{partitionKeyFromQuery:<key>}");
  c.prefix = "dev=!{partitionKeyFromQuery:dev}/";
  c.partition_query = "{site: .site}";
  EXPECT_EQ(c.ValidateChange().message().rfind(
                "partition_query: key site is not used by `prefix` (its partitionKeyFromQuery "
                "names: dev)",
                0),
            0u)
      << c.ValidateChange().message();
  c.partition_query = "{dev: .device.id}";
  EXPECT_TRUE(c.ValidateChange().ok()) << c.ValidateChange().ToString();
}

TEST(StreamConfigTest, ABackupNamesItsBucketAndAPrefixOfTimesOnly) {
  StreamConfig good;
  good.name = "s";
  good.bucket = "iot-data";
  good.backup.bucket = "iot-raw";
  good.backup.prefix = "source/!{timestamp:yyyy/MM}/!{firehose:random-string}/";
  ASSERT_TRUE(good.Validate().ok()) << good.Validate().ToString();
  auto back = StreamConfigFromJson(ToJson(good));
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->backup.bucket, "iot-raw");
  EXPECT_EQ(back->backup.prefix, good.backup.prefix);
  EXPECT_FALSE(ToJson(StreamConfig{}).contains("backup"));  // none: not written

  const struct {
    std::function<void(StreamConfig&)> edit;
    const char* message;
  } cases[] = {
      {[](StreamConfig& c) { c.backup.bucket = "Raw"; },
       "backup.bucket: bucket name 'Raw' contains 'R'"},
      {[](StreamConfig& c) { c.backup.prefix = "d/!{partitionKeyFromQuery:device}/"; },
       "backup.prefix: partitionKeyFromQuery at position 2 is only allowed in the prefix"},
      {[](StreamConfig& c) { c.backup.prefix = "!{firehose:error-output-type}/"; },
       "backup.prefix: firehose:error-output-type at position 0 is only allowed in the error "
       "prefix"},
      {[](StreamConfig& c) { c.backup.prefix = "/raw/"; },
       "backup.prefix: '/raw/' makes keys the lake refuses"},
      {[](StreamConfig& c) { c.backup.bucket.clear(); },
       "backup.prefix: given without backup.bucket"},
  };
  for (const auto& k : cases) {
    StreamConfig bad = good;
    k.edit(bad);
    Status s = bad.Validate();
    EXPECT_EQ(s.code(), ErrorCode::kInvalidArgument) << k.message;
    EXPECT_EQ(s.message().rfind(k.message, 0), 0u) << s.message();
  }
  for (const char* json : {R"({"name":"s","bucket":"iot-data","backup":{"bucket":"b","zip":"x"}})",
                           R"({"name":"s","bucket":"iot-data","backup":{"compression":"lz4"}})",
                           R"({"name":"s","bucket":"iot-data","backup":"iot-raw"})"}) {
    auto parsed = StreamConfigFromJson(nlohmann::json::parse(json));
    ASSERT_FALSE(parsed.ok()) << json;
    EXPECT_EQ(parsed.status().message().rfind("backup", 0), 0u) << parsed.status().message();
  }
  // The field's whole path, as the CLI's flag table knows it (--backup-compression).
  EXPECT_EQ(
      StreamConfigFromJson(
          nlohmann::json::parse(
              R"({"name":"s","bucket":"iot-data","backup":{"bucket":"b","compression":"lz4"}})"))
          .status()
          .message(),
      "backup.compression: 'lz4' is not one of none, gzip, zip, snappy, hadoop_snappy");
}

TEST(StreamConfigTest, DeaggregationIsJsonOrDelimitedByOneToSixtyFourBytes) {
  StreamConfig c;
  c.name = "s";
  c.bucket = "iot-data";
  c.deaggregation = {Deaggregation::Kind::kDelimited, "##"};
  ASSERT_TRUE(c.Validate().ok()) << c.Validate().ToString();
  auto back = StreamConfigFromJson(ToJson(c));
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->deaggregation.kind, Deaggregation::Kind::kDelimited);
  EXPECT_EQ(back->deaggregation.delimiter, "##");
  c.deaggregation.delimiter = "";
  EXPECT_EQ(c.Validate().message(), "deaggregation.delimiter: 0 bytes; a delimiter is 1..64");
  c.deaggregation = {Deaggregation::Kind::kJson, ","};
  EXPECT_EQ(c.Validate().message(), "deaggregation.delimiter: only with type delimited");
  auto bad = StreamConfigFromJson(nlohmann::json::parse(R"({"name":"s","bucket":"b","deaggregation":{"type":"kpl"}})"));
  EXPECT_EQ(bad.status().message(), "deaggregation.type: 'kpl' is not one of json, delimited, none");
}

TEST(StreamConfigTest, JsonRoundTripAndErrors) {
  auto c = StreamConfigFromJson(nlohmann::json::parse(
      R"({"name":"s","bucket":"iot-data","compression":"gzip","buffer_interval_s":60})"));
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->compression, Compression::kGzip);
  EXPECT_EQ(c->buffer_size_mib, 5);
  auto back = StreamConfigFromJson(ToJson(*c));
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(ToJson(*back), ToJson(*c));

  auto unknown = StreamConfigFromJson(nlohmann::json::parse(R"({"nmae":"s"})"));
  EXPECT_NE(unknown.status().message().find("nmae"), std::string::npos);
  auto wrong = StreamConfigFromJson(nlohmann::json::parse(R"({"buffer_size_mib":"5"})"));
  EXPECT_EQ(wrong.status().message().rfind("buffer_size_mib: ", 0), 0u);
  auto comp = StreamConfigFromJson(nlohmann::json::parse(R"({"compression":"zstd"})"));
  EXPECT_EQ(comp.status().message().rfind("compression: ", 0), 0u);
  // A stream stored before time zones existed reads as UTC; a zone survives the trip.
  EXPECT_EQ(c->time_zone, "UTC");
  auto tz = StreamConfigFromJson(nlohmann::json::parse(R"({"time_zone":"Asia/Tokyo"})"));
  ASSERT_TRUE(tz.ok());
  EXPECT_EQ(ToJson(*tz)["time_zone"], "Asia/Tokyo");
  EXPECT_EQ(c->file_extension, "");
  StreamConfig ext = *c;
  ext.file_extension = ".json.gz";
  EXPECT_TRUE(ext.Validate().ok()) << ext.Validate().ToString();
  EXPECT_EQ(StreamConfigFromJson(ToJson(ext))->file_extension, ".json.gz");
}

}  // namespace
}  // namespace tributary::streams
