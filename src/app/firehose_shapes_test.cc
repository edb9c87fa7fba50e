#include "app/firehose_shapes.h"

#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

#include "app/direct_put.h"
#include "base/base64.h"

namespace tributary::app {
namespace {

using nlohmann::json;
using streams::Compression;
using streams::StreamConfig;

json CreateRequest(json destination) {
  return {{"DeliveryStreamName", "pollution"},
          {"DeliveryStreamType", "DirectPut"},
          {"ExtendedS3DestinationConfiguration", std::move(destination)}};
}

json PartitionedDestination() {
  return {{"RoleARN", "arn:aws:iam::123456789012:role/firehose"},
          {"BucketARN", "arn:aws:s3:::iot-data"},
          {"Prefix", "raw/!{partitionKeyFromQuery:device}/!{timestamp:yyyy/MM/dd}/"},
          {"ErrorOutputPrefix", "errors/!{firehose:error-output-type}/"},
          {"BufferingHints", {{"SizeInMBs", 64}, {"IntervalInSeconds", 60}}},
          {"CompressionFormat", "GZIP"},
          {"CustomTimeZone", "Asia/Tokyo"},
          {"FileExtension", ".jsonl.gz"},
          {"EncryptionConfiguration", {{"NoEncryptionConfig", "NoEncryption"}}},
          {"CloudWatchLoggingOptions", {{"Enabled", false}}},
          {"S3BackupMode", "Disabled"},
          {"DynamicPartitioningConfiguration", {{"Enabled", true}}},
          {"ProcessingConfiguration",
           {{"Enabled", true},
            {"Processors",
             {{{"Type", "MetadataExtraction"},
               {"Parameters",
                {{{"ParameterName", "MetadataExtractionQuery"}, {"ParameterValue", "{device: .meta.id}"}},
                 {{"ParameterName", "JsonParsingEngine"}, {"ParameterValue", "JQ-1.6"}}}}}}}}}};
}

TEST(FirehoseShapesTest, CreateRequestMapsOntoAStream) {
  auto c = StreamConfigFromCreateRequest(CreateRequest(PartitionedDestination()));
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_EQ(c->name, "pollution");
  EXPECT_EQ(c->bucket, "iot-data");
  EXPECT_EQ(c->prefix, "raw/!{partitionKeyFromQuery:device}/!{timestamp:yyyy/MM/dd}/");
  EXPECT_EQ(c->error_prefix, "errors/!{firehose:error-output-type}/");
  EXPECT_EQ(c->buffer_size_mib, 64);
  EXPECT_EQ(c->buffer_interval_s, 60);
  EXPECT_EQ(c->compression, Compression::kGzip);
  EXPECT_EQ(c->time_zone, "Asia/Tokyo");
  EXPECT_EQ(c->file_extension, ".jsonl.gz");
  EXPECT_EQ(c->partition_query, "{device: .meta.id}");
  EXPECT_TRUE(c->Validate().ok()) << c->Validate().message();
}

// Firehose refuses a Prefix with expressions without an ErrorOutputPrefix; a stream takes
// it, and its failed records go under the default error prefix.
TEST(FirehoseShapesTest, APrefixWithExpressionsNeedsNoErrorOutputPrefix) {
  json destination = PartitionedDestination();
  destination.erase("ErrorOutputPrefix");
  auto c = StreamConfigFromCreateRequest(CreateRequest(destination));
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_EQ(c->error_prefix, "");
  EXPECT_EQ(c->effective_error_prefix(), streams::kDefaultErrorPrefix);
  EXPECT_TRUE(ValidateAsFirehose(*c, "ExtendedS3DestinationConfiguration").ok());
}

// Firehose's Data may be 0 bytes: an empty record is a record, not an error.
TEST(FirehoseShapesTest, DirectPutTakesAnEmptyRecordAndRefusesOneOverTheLimit) {
  auto empty = DecodeDirectPutRecord({{"Data", ""}}, "Records[0]");
  ASSERT_TRUE(empty.ok()) << empty.status().ToString();
  EXPECT_EQ(*empty, "");
  auto largest =
      DecodeDirectPutRecord({{"Data", Base64Encode(std::string(1'024'000, 'x'))}}, "Records[1]");
  ASSERT_TRUE(largest.ok()) << largest.status().ToString();
  EXPECT_EQ(
      DecodeDirectPutRecord({{"Data", Base64Encode(std::string(1'024'001, 'x'))}}, "Records[2]")
          .status()
          .message(),
      "Records[2].Data is 1024001 bytes; a record may hold at most 1,024,000");
  EXPECT_EQ(DecodeDirectPutRecord(json::object(), "Record").status().code(),
            ErrorCode::kInvalidArgument);
}

TEST(FirehoseShapesTest, PlainS3DestinationTakesFirehosesDefaults) {
  json request = {{"DeliveryStreamName", "raw"},
                  {"S3DestinationConfiguration", {{"BucketARN", "arn:aws-cn:s3:::lake"}}}};
  auto c = StreamConfigFromCreateRequest(request);
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_EQ(c->bucket, "lake");
  EXPECT_EQ(c->buffer_size_mib, 5);
  EXPECT_EQ(c->buffer_interval_s, 300);
  EXPECT_EQ(c->compression, Compression::kNone);
  EXPECT_EQ(c->prefix, "");
  EXPECT_EQ(c->partition_query, "");
}

// Each of Firehose's CompressionFormats is one compression here, and is described back.
TEST(FirehoseShapesTest, EveryCompressionFormatBothWays) {
  for (const auto& [format, compression] : std::vector<std::pair<std::string, Compression>>{
           {"UNCOMPRESSED", Compression::kNone},
           {"GZIP", Compression::kGzip},
           {"ZIP", Compression::kZip},
           {"Snappy", Compression::kSnappy},
           {"HADOOP_SNAPPY", Compression::kHadoopSnappy}}) {
    json destination = {{"BucketARN", "arn:aws:s3:::lake"}, {"CompressionFormat", format}};
    auto c = StreamConfigFromCreateRequest(CreateRequest(destination));
    ASSERT_TRUE(c.ok()) << format << ": " << c.status().message();
    EXPECT_EQ(c->compression, compression) << format;
    streams::StreamDescription d;
    d.config = *c;
    d.status = "active";
    EXPECT_EQ(DescribeDeliveryStreamJson(
                  d)["Destinations"][0]["ExtendedS3DestinationDescription"]["CompressionFormat"],
              format);
  }
}

TEST(FirehoseShapesTest, DescriptionRoundTripsThroughCreate) {
  auto created = StreamConfigFromCreateRequest(CreateRequest(PartitionedDestination()));
  ASSERT_TRUE(created.ok()) << created.status().message();
  streams::StreamDescription d;
  d.config = *created;
  d.status = "active";
  d.created_ms = 1'764'763'200'500;
  json described = DescribeDeliveryStreamJson(d);
  EXPECT_EQ(described["DeliveryStreamName"], "pollution");
  EXPECT_EQ(described["DeliveryStreamARN"],
            "arn:aws:firehose:local:000000000000:deliverystream/pollution");
  EXPECT_EQ(described["DeliveryStreamStatus"], "ACTIVE");
  EXPECT_EQ(described["DeliveryStreamType"], "DirectPut");
  EXPECT_DOUBLE_EQ(described["CreateTimestamp"].get<double>(), 1'764'763'200.5);
  ASSERT_EQ(described["Destinations"].size(), 1u);
  const json& s3 = described["Destinations"][0]["ExtendedS3DestinationDescription"];
  EXPECT_EQ(s3["DynamicPartitioningConfiguration"]["Enabled"], true);
  // Required by the SDKs' shapes: the one role the server writes as.
  EXPECT_EQ(s3["RoleARN"], "arn:aws:iam::000000000000:role/tributary");

  // What Describe says, given back to Create, makes the same stream.
  json again = s3;
  again.erase("DynamicPartitioningConfiguration");
  auto recreated = StreamConfigFromCreateRequest(CreateRequest(again));
  ASSERT_TRUE(recreated.ok()) << recreated.status().message();
  EXPECT_EQ(streams::ToJson(*recreated), streams::ToJson(*created));

  d.status = "deleting";
  EXPECT_EQ(DescribeDeliveryStreamJson(d)["DeliveryStreamStatus"], "DELETING");
  EXPECT_FALSE(DescribeDeliveryStreamJson(d).contains("FailureDescription"));
  // A stream that did not start: CREATING_FAILED, the reason in FailureDescription.
  d.status = "failed";
  d.stats.last_error = "its row in the streams table holds a config that is not JSON";
  json failed = DescribeDeliveryStreamJson(d);
  EXPECT_EQ(failed["DeliveryStreamStatus"], "CREATING_FAILED");
  EXPECT_EQ(failed["FailureDescription"]["Type"], "UNKNOWN_ERROR");
  EXPECT_EQ(failed["FailureDescription"]["Details"], d.stats.last_error);
}

TEST(FirehoseShapesTest, UpdateChangesOnlyWhatItNames) {
  auto c = StreamConfigFromCreateRequest(CreateRequest(PartitionedDestination()));
  ASSERT_TRUE(c.ok());
  StreamConfig updated = *c;
  json update = {{"ExtendedS3DestinationUpdate",
                  {{"BufferingHints", {{"SizeInMBs", 2}, {"IntervalInSeconds", 0}}},
                   {"CompressionFormat", "UNCOMPRESSED"}}}};
  ASSERT_TRUE(ApplyDestinationUpdate(update, &updated).ok());
  EXPECT_EQ(updated.buffer_size_mib, 2);
  EXPECT_EQ(updated.buffer_interval_s, 0);
  EXPECT_EQ(updated.compression, Compression::kNone);
  EXPECT_EQ(updated.prefix, c->prefix);
  EXPECT_EQ(updated.partition_query, c->partition_query);
  EXPECT_EQ(updated.bucket, c->bucket);

  json disable = {{"ExtendedS3DestinationUpdate", {{"ProcessingConfiguration", {{"Enabled", false}}}}}};
  ASSERT_TRUE(ApplyDestinationUpdate(disable, &updated).ok());
  EXPECT_EQ(updated.partition_query, "");

  Status none = ApplyDestinationUpdate(json::object(), &updated);
  EXPECT_FALSE(none.ok());
  EXPECT_NE(none.message().find("ExtendedS3DestinationUpdate is required"), std::string::npos)
      << none.message();
}

// RecordDeAggregation: JSON, or DELIMITED with a base64 Delimiter; described back first.
TEST(FirehoseShapesTest, RecordDeAggregationIsTheStreamsDeaggregation) {
  json dest = PartitionedDestination();
  json& processors = dest["ProcessingConfiguration"]["Processors"];
  json deaggregate = json::parse(R"({"Type": "RecordDeAggregation", "Parameters": [
      {"ParameterName": "SubRecordType", "ParameterValue": "DELIMITED"},
      {"ParameterName": "Delimiter", "ParameterValue": "IyM="}]})");
  processors.insert(processors.begin(), deaggregate);
  auto c = StreamConfigFromCreateRequest(CreateRequest(dest));
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_EQ(c->deaggregation.kind, streams::Deaggregation::Kind::kDelimited);
  EXPECT_EQ(c->deaggregation.delimiter, "##");
  EXPECT_EQ(c->partition_query, "{device: .meta.id}");
  EXPECT_TRUE(c->Validate().ok()) << c->Validate().message();
  streams::StreamDescription d;
  d.config = *c;
  d.status = "active";
  json described = DescribeDeliveryStreamJson(d)["Destinations"][0]["ExtendedS3DestinationDescription"]
                                                ["ProcessingConfiguration"]["Processors"];
  EXPECT_EQ(described[0], processors[0]);

  auto param = [](const char* name, const char* value) {
    return json{{"ParameterName", name}, {"ParameterValue", value}};
  };
  const std::vector<std::pair<json, std::string>> refused = {
      {json::array({param("SubRecordType", "KPL")}), "SubRecordType 'KPL' is not supported"},
      {json::array({param("SubRecordType", "DELIMITED")}), "DELIMITED needs a Delimiter"},
      {json::array({param("SubRecordType", "DELIMITED"), param("Delimiter", "not base64!")}),
       "the Delimiter must be base64"},
      {json::array(), "needs a SubRecordType"},
  };
  for (const auto& [parameters, want] : refused) {
    json bad = dest;
    bad["ProcessingConfiguration"]["Processors"][0]["Parameters"] = parameters;
    auto r = StreamConfigFromCreateRequest(CreateRequest(bad));
    ASSERT_FALSE(r.ok()) << want;
    EXPECT_NE(r.status().message().find(want), std::string::npos) << r.status().message();
  }
}

// S3BackupMode Enabled with its S3BackupConfiguration: the stream's backup, described back;
// an update may change it or turn it off.
TEST(FirehoseShapesTest, SourceRecordBackupIsTheStreamsBackup) {
  json dest = PartitionedDestination();
  dest["S3BackupMode"] = "Enabled";
  dest["S3BackupConfiguration"] = {
      {"RoleARN", "arn:aws:iam::123456789012:role/firehose"},
      {"BucketARN", "arn:aws:s3:::iot-raw"},
      {"Prefix", "source/"},
      {"BufferingHints", {{"SizeInMBs", 5}, {"IntervalInSeconds", 300}}},
      {"CompressionFormat", "GZIP"}};
  auto c = StreamConfigFromCreateRequest(CreateRequest(dest));
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_EQ(c->backup.bucket, "iot-raw");
  EXPECT_EQ(c->backup.prefix, "source/");
  EXPECT_EQ(c->backup.compression, Compression::kGzip);
  EXPECT_TRUE(c->Validate().ok()) << c->Validate().message();

  streams::StreamDescription d;
  d.config = *c;
  d.status = "active";
  json s3 = DescribeDeliveryStreamJson(d)["Destinations"][0]["ExtendedS3DestinationDescription"];
  EXPECT_EQ(s3["S3BackupMode"], "Enabled");
  EXPECT_EQ(s3["S3BackupDescription"]["BucketARN"], "arn:aws:s3:::iot-raw");
  EXPECT_EQ(s3["S3BackupDescription"]["Prefix"], "source/");
  EXPECT_EQ(s3["S3BackupDescription"]["CompressionFormat"], "GZIP");

  // Given without the mode (Disabled by default), the configuration does nothing.
  json unused = PartitionedDestination();
  unused["S3BackupConfiguration"] = dest["S3BackupConfiguration"];
  auto plain = StreamConfigFromCreateRequest(CreateRequest(unused));
  ASSERT_TRUE(plain.ok()) << plain.status().message();
  EXPECT_FALSE(plain->backup.enabled());

  StreamConfig updated = *c;
  ASSERT_TRUE(
      ApplyDestinationUpdate(
          {{"ExtendedS3DestinationUpdate", {{"S3BackupUpdate", {{"Prefix", "raw/"}}}}}}, &updated)
          .ok());
  EXPECT_EQ(updated.backup.bucket, "iot-raw");
  EXPECT_EQ(updated.backup.prefix, "raw/");
  ASSERT_TRUE(ApplyDestinationUpdate(
                  {{"ExtendedS3DestinationUpdate", {{"S3BackupMode", "Disabled"}}}}, &updated)
                  .ok());
  EXPECT_FALSE(updated.backup.enabled());

  json refused = dest;
  refused["S3BackupConfiguration"]["ErrorOutputPrefix"] = "backup-errors/";
  auto r = StreamConfigFromCreateRequest(CreateRequest(refused));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(
      r.status().message(),
      "ExtendedS3DestinationConfiguration.S3BackupConfiguration.ErrorOutputPrefix: not supported "
      "by Tributary's source record backup (BucketARN, Prefix, CompressionFormat)");
}

// AppendDelimiterToRecord: "\n" without parameters, its Delimiter when given; described
// back beside MetadataExtraction; processing turned off clears both.
TEST(FirehoseShapesTest, AppendDelimiterToRecordIsTheStreamsRecordDelimiter) {
  json d = PartitionedDestination();
  d["ProcessingConfiguration"]["Processors"].push_back({{"Type", "AppendDelimiterToRecord"}});
  auto c = StreamConfigFromCreateRequest(CreateRequest(d));
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_EQ(c->record_delimiter, "\n");
  EXPECT_EQ(c->partition_query, "{device: .meta.id}");
  streams::StreamDescription described;
  described.config = *c;
  described.status = "active";
  json processors = DescribeDeliveryStreamJson(described)["Destinations"][0]["ExtendedS3DestinationDescription"]
                        ["ProcessingConfiguration"]["Processors"];
  ASSERT_EQ(processors.size(), 2u) << processors.dump();
  EXPECT_EQ(processors[1], json({{"Type", "AppendDelimiterToRecord"}, {"Parameters", json::array()}}));

  d["ProcessingConfiguration"]["Processors"][1]["Parameters"] = {{{"ParameterName", "Delimiter"}, {"ParameterValue", ";"}}};
  c = StreamConfigFromCreateRequest(CreateRequest(d));
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_EQ(c->record_delimiter, ";");
  described.config = *c;
  processors = DescribeDeliveryStreamJson(described)["Destinations"][0]["ExtendedS3DestinationDescription"]
                   ["ProcessingConfiguration"]["Processors"];
  EXPECT_EQ(processors[1]["Parameters"][0]["ParameterValue"], ";");

  d["ProcessingConfiguration"]["Enabled"] = false;
  c = StreamConfigFromCreateRequest(CreateRequest(d));
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_EQ(c->record_delimiter, "");

  for (const auto& [parameter, says] : std::vector<std::pair<json, std::string>>{
           {{{"ParameterName", "Colour"}, {"ParameterValue", "x"}}, "Processors[1].Parameters[0].ParameterName: 'Colour'"},
           {{{"ParameterName", "Delimiter"}, {"ParameterValue", std::string(17, ';')}}, "a Delimiter of 1..16 bytes"}}) {
    json bad = PartitionedDestination();
    bad["ProcessingConfiguration"]["Processors"].push_back(
        {{"Type", "AppendDelimiterToRecord"}, {"Parameters", json::array({parameter})}});
    auto refused = StreamConfigFromCreateRequest(CreateRequest(bad));
    ASSERT_FALSE(refused.ok()) << parameter.dump();
    EXPECT_NE(refused.status().message().find(says), std::string::npos) << refused.status().message();
  }
}

TEST(FirehoseShapesTest, RefusesWhatItCannotDoNamingTheField) {
  struct Case {
    json request;
    const char* message_part;
  };
  auto with = [](const char* key, json value) {
    json d = PartitionedDestination();
    d[key] = std::move(value);
    return CreateRequest(d);
  };
  json processor_lambda = PartitionedDestination();
  processor_lambda["ProcessingConfiguration"]["Processors"][0]["Type"] = "Lambda";
  json kinesis = CreateRequest(PartitionedDestination());
  kinesis["DeliveryStreamType"] = "KinesisStreamAsSource";
  json http = {{"DeliveryStreamName", "x"}, {"HttpEndpointDestinationConfiguration", json::object()}};
  json both = CreateRequest(PartitionedDestination());
  both["S3DestinationConfiguration"] = {{"BucketARN", "arn:aws:s3:::other"}};
  json no_bucket = CreateRequest(json::object());
  json no_name = CreateRequest(PartitionedDestination());
  no_name.erase("DeliveryStreamName");
  const Case cases[] = {
      {with("CompressionFormat", "LZ4"),
       "ExtendedS3DestinationConfiguration.CompressionFormat: 'LZ4' is not supported "
       "(UNCOMPRESSED, GZIP, ZIP, Snappy or HADOOP_SNAPPY)"},
      {with("BucketARN", "iot-data"),
       "ExtendedS3DestinationConfiguration.BucketARN: 'iot-data' is not a bucket ARN"},
      {with("BucketARN", "arn:aws:s3:::"), "is not a bucket ARN"},
      {with("BucketARN", "arn:aws:sqs:::q"), "is not a bucket ARN"},
      {with("BufferingHints", {{"SizeInMBs", "64"}}),
       "BufferingHints.SizeInMBs: expected an integer"},
      {with("BufferingHints", {{"Size", 1}}), "BufferingHints.Size: unknown field"},
      {with("S3BackupMode", "Enabled"),
       "S3BackupMode: Enabled needs S3BackupConfiguration.BucketARN"},
      {with("S3BackupMode", "Sometimes"), "S3BackupMode: 'Sometimes' is not Enabled or Disabled"},
      {with("EncryptionConfiguration", {{"KMSEncryptionConfig", {{"AWSKMSKeyARN", "k"}}}}),
       "EncryptionConfiguration.KMSEncryptionConfig: not supported"},
      {with("DataFormatConversionConfiguration", {{"Enabled", true}}),
       "DataFormatConversionConfiguration: SchemaConfiguration, InputFormatConfiguration and "
       "OutputFormatConfiguration are required when Enabled"},
      {with("DataFormatConversionConfiguration",
            {{"SchemaConfiguration", {{"DatabaseName", "iot"}, {"TableName", "t"}}},
             {"InputFormatConfiguration", {{"Deserializer", {{"OpenXJsonSerDe", json::object()}}}}},
             {"OutputFormatConfiguration", {{"Serializer", {{"OrcSerDe", json::object()}}}}}}),
       "OutputFormatConfiguration.Serializer.OrcSerDe: ORC is not supported"},
      {with("DataFormatConversionConfiguration",
            {{"SchemaConfiguration", {{"DatabaseName", "iot"}, {"TableName", "t"}}},
             {"InputFormatConfiguration",
              {{"Deserializer",
                {{"OpenXJsonSerDe", json::object()}, {"HiveJsonSerDe", json::object()}}}}},
             {"OutputFormatConfiguration", {{"Serializer", {{"ParquetSerDe", json::object()}}}}}}),
       "InputFormatConfiguration.Deserializer: name exactly one of OpenXJsonSerDe, HiveJsonSerDe"},
      {with("DataFormatConversionConfiguration",
            {{"SchemaConfiguration", {{"DatabaseName", "iot"}, {"TableName", "t"}}},
             {"InputFormatConfiguration", {{"Deserializer", {{"OpenXJsonSerDe", json::object()}}}}},
             {"OutputFormatConfiguration",
              {{"Serializer", {{"ParquetSerDe", {{"BlockSizeBytes", 1024}}}}}}}}),
       "ParquetSerDe.BlockSizeBytes: 1024 is under the minimum of 67108864"},
      {with("SomethingNew", 1), "ExtendedS3DestinationConfiguration.SomethingNew: not supported"},
      {CreateRequest(processor_lambda), "Processors[0].Type: 'Lambda' is not supported"},
      {kinesis, "DeliveryStreamType: 'KinesisStreamAsSource' is not supported"},
      {http, "HttpEndpointDestinationConfiguration: only S3 destinations are supported"},
      {both, "name one destination"},
      {no_bucket, "ExtendedS3DestinationConfiguration.BucketARN is required"},
      {no_name, "DeliveryStreamName is required"},
  };
  for (const Case& c : cases) {
    auto config = StreamConfigFromCreateRequest(c.request);
    ASSERT_FALSE(config.ok()) << c.request.dump();
    EXPECT_EQ(config.status().code(), ErrorCode::kInvalidArgument);
    EXPECT_NE(config.status().message().find(c.message_part), std::string::npos)
        << config.status().message() << "\n  wanted: " << c.message_part;
  }
}

TEST(FirehoseShapesTest, AStreamsOwnChecksNameFirehosesFields) {
  struct Case {
    const char* key;
    json value;
    const char* message_part;
  };
  const Case cases[] = {
      {"BufferingHints", {{"SizeInMBs", 200}}, "BufferingHints.SizeInMBs: 200 is not in 1..128"},
      {"BufferingHints", {{"IntervalInSeconds", 901}}, "BufferingHints.IntervalInSeconds: 901 is not in 0..900"},
      {"BucketARN", "arn:aws:s3:::UPPER", "BucketARN: bucket name 'UPPER'"},
      {"CustomTimeZone", "Mars/Olympus", "CustomTimeZone: "},
      {"FileExtension", "jsonl", "FileExtension: 'jsonl' must start with '.'"},
      {"Prefix", "!{partitionKeyFromQuery:device}/!{partitionKeyFromQuery:site}/", "Prefix: "},
      {"Prefix", "!{timestamp:yyyy}/",
       "MetadataExtractionQuery: key device is not used by `Prefix`"},
  };
  for (const Case& c : cases) {
    json d = PartitionedDestination();
    d[c.key] = c.value;
    auto config = StreamConfigFromCreateRequest(CreateRequest(d));
    ASSERT_TRUE(config.ok()) << config.status().message();
    Status st = ValidateAsFirehose(*config, "ExtendedS3DestinationConfiguration");
    const std::string wanted = std::string("ExtendedS3DestinationConfiguration.") + c.message_part;
    EXPECT_EQ(st.code(), ErrorCode::kInvalidArgument) << wanted;
    EXPECT_EQ(st.message().rfind(wanted, 0), 0u) << st.message() << "\n  wanted: " << wanted;
  }
  auto fine = StreamConfigFromCreateRequest(CreateRequest(PartitionedDestination()));
  ASSERT_TRUE(fine.ok());
  EXPECT_TRUE(ValidateAsFirehose(*fine, "S3DestinationConfiguration").ok());
  fine->name = "no spaces allowed";
  Status named = ValidateAsFirehose(*fine, "S3DestinationConfiguration");
  EXPECT_EQ(named.message().rfind("DeliveryStreamName: ", 0), 0u) << named.message();
}

}  // namespace
}  // namespace tributary::app
