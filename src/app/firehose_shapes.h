// Firehose's API shapes for a delivery stream, both ways: a CreateDeliveryStream (or
// UpdateDestination) request's S3 destination to a StreamConfig, and a StreamDescription
// to DescribeDeliveryStream's answer. What a stream is here maps one to one onto an
// extended S3 destination:
//
//   BucketARN "arn:aws:s3:::iot-data"            bucket
//   Prefix, ErrorOutputPrefix                    prefix, error_prefix
//   BufferingHints {SizeInMBs, IntervalInSeconds} buffer_size_mib, buffer_interval_s
//   CompressionFormat UNCOMPRESSED | GZIP | ZIP
//     | Snappy | HADOOP_SNAPPY                   compression
//   CustomTimeZone, FileExtension                time_zone, file_extension
//   ProcessingConfiguration's MetadataExtraction
//     processor (MetadataExtractionQuery, JQ-1.6) partition_query
//   DataFormatConversionConfiguration            format_conversion (ParquetSerDe only)
//   S3BackupMode, S3BackupConfiguration          backup
//
// Settings that only describe AWS (RoleARN, CloudWatchLoggingOptions, no encryption,
// DynamicPartitioningConfiguration, whose use the prefix shows) are accepted and
// ignored; settings that would ask for something Tributary does not do (another
// destination or source, KMS encryption, ORC output, Lambda and the other processors) are
// refused with InvalidArgument naming the field.
// Pure; thread-compatible.
#pragma once

#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "base/status.h"
#include "streams/stream_config.h"
#include "streams/stream_stats.h"

namespace tributary::app {

// The ARN a stream is described with: arn:aws:firehose:local:000000000000:deliverystream/<name>.
std::string DeliveryStreamArn(const std::string& name);

// A CreateDeliveryStream request's body -> the stream to create (not yet Validate()d).
Result<streams::StreamConfig> StreamConfigFromCreateRequest(const nlohmann::json& request);

// Applies an UpdateDestination request's ExtendedS3DestinationUpdate (or
// S3DestinationUpdate) to `config`: the fields it names change, the others stay.
Status ApplyDestinationUpdate(const nlohmann::json& request, streams::StreamConfig* config);

// config.Validate(), its message naming the field as Firehose does, in the request's
// `destination` ("ExtendedS3DestinationConfiguration.BufferingHints.SizeInMBs: 200 is not in
// 1..128" rather than "buffer_size_mib: ...").
Status ValidateAsFirehose(const streams::StreamConfig& config, std::string_view destination);
// A stream's error (Validate's, or Create's and Update's: a table format conversion names
// that is not there) with the field named as Firehose does, as above.
Status WithFirehoseFields(const Status& status, std::string_view destination);

// The destination a request names: "ExtendedS3DestinationConfiguration" or
// "S3DestinationConfiguration" for a create, "ExtendedS3DestinationUpdate" or
// "S3DestinationUpdate" for an update.
std::string_view DestinationKey(const nlohmann::json& request);

// DescribeDeliveryStream's DeliveryStreamDescription.
nlohmann::json DescribeDeliveryStreamJson(const streams::StreamDescription& description);

}  // namespace tributary::app
