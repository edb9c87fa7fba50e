// AWS's tag operations over the tags store (resource_tags.h), for the tools that tag what
// they make and read the tags back (Terraform reads a delivery stream's or an endpoint's
// tags after creating it):
//   Firehose: ListTagsForDeliveryStream, TagDeliveryStream, UntagDeliveryStream (and
//             CreateDeliveryStream's Tags, api_firehose.cc)
//   SageMaker: AddTags, ListTags, DeleteTags on a model, endpoint config, endpoint or
//             training job by its ARN (and the Create* calls' Tags)
//   Glue:     TagResource, UntagResource, GetTags on a database, table, crawler or job by
//             its ARN (and CreateDatabase's, CreateCrawler's and CreateJob's Tags)
// Tags are [{"Key", "Value"}] lists in Firehose and SageMaker, {"key": "value"} maps in Glue. A resource that does not exist is refused as
// each service refuses it; so are tags past AWS's limits, naming the tag.
#include "app/aws_tags.h"

#include "app/aws_api.h"
#include "app/firehose_shapes.h"
#include "app/glue_api.h"
#include "app/resource_tags.h"
#include "app/sagemaker_api.h"
#include "app/server.h"
#include "base/aws_arn.h"
#include "base/log.h"
#include "lake/crawler_manager.h"
#include "lake/job_manager.h"
#include "serving/endpoint_manager.h"
#include "serving/store.h"
#include "streams/stream_manager.h"
#include "serving/transform_jobs.h"
#include "training/training_jobs.h"

namespace tributary::app {
namespace {

using nlohmann::json;
using net::HttpResponse;

HttpResponse FirehoseTagError(const Status& st) {
  switch (st.code()) {
    case ErrorCode::kNotFound: return AwsError(kFirehoseService, 400, "ResourceNotFoundException", st.message());
    case ErrorCode::kInvalidArgument: return AwsError(kFirehoseService, 400, "InvalidArgumentException", st.message());
    case ErrorCode::kResourceExhausted: return AwsError(kFirehoseService, 400, "LimitExceededException", st.message());
    default: return AwsError(kFirehoseService, 500, "ServiceUnavailableException", st.message());
  }
}

// The stream DeliveryStreamName names, as its ARN; NotFound when there is none.
Result<std::string> StreamArnOf(Server* server, const json& body) {
  TRY_ASSIGN(std::string name, RequiredAwsString(body, "DeliveryStreamName"));
  TRY(server->streams().Describe(name).status());
  return DeliveryStreamArn(name);
}

Result<std::vector<std::string>> KeysOf(const json& body, const char* field) {
  auto it = body.find(field);
  if (it == body.end() || !it->is_array() || it->empty()) return InvalidArgument(std::string(field) + ": required, tag keys");
  std::vector<std::string> keys;
  for (const json& k : *it) {
    if (!k.is_string()) return InvalidArgument(std::string(field) + ": expected tag keys (strings)");
    keys.push_back(k.get<std::string>());
  }
  return keys;
}

HttpResponse ListTagsForDeliveryStream(Server* server, const json& body) {
  auto arn = StreamArnOf(server, body);
  if (!arn.ok()) return FirehoseTagError(arn.status());
  size_t limit = 50;
  if (auto it = body.find("Limit"); it != body.end()) {
    if (!it->is_number_integer() || it->get<int64_t>() < 1 || it->get<int64_t>() > 50) {
      return FirehoseTagError(InvalidArgument("Limit: expected an integer 1..50"));
    }
    limit = static_cast<size_t>(it->get<int64_t>());
  }
  std::string after;
  if (auto it = body.find("ExclusiveStartTagKey"); it != body.end() && it->is_string()) after = it->get<std::string>();
  auto tags = server->tags().List(*arn);
  if (!tags.ok()) return FirehoseTagError(tags.status());
  Tags page;
  bool more = false;
  for (auto it = after.empty() ? tags->begin() : tags->upper_bound(after); it != tags->end(); ++it) {
    if (page.size() == limit) {
      more = true;
      break;
    }
    page.insert(*it);
  }
  return AwsResponse(kFirehoseService, {{"Tags", TagListJson(page)}, {"HasMoreTags", more}});
}

HttpResponse TagDeliveryStream(Server* server, const json& body) {
  auto arn = StreamArnOf(server, body);
  if (!arn.ok()) return FirehoseTagError(arn.status());
  auto tags = TagListOf(body, "Tags");
  if (!tags.ok()) return FirehoseTagError(tags.status());
  if (tags->empty()) return FirehoseTagError(InvalidArgument("Tags: required, 1..50 {\"Key\", \"Value\"}"));
  if (Status st = server->tags().Add(*arn, *tags); !st.ok()) return FirehoseTagError(st);
  return AwsResponse(kFirehoseService, json::object());
}

HttpResponse UntagDeliveryStream(Server* server, const json& body) {
  auto arn = StreamArnOf(server, body);
  if (!arn.ok()) return FirehoseTagError(arn.status());
  auto keys = KeysOf(body, "TagKeys");
  if (!keys.ok()) return FirehoseTagError(keys.status());
  if (Status st = server->tags().Remove(*arn, *keys); !st.ok()) return FirehoseTagError(st);
  return AwsResponse(kFirehoseService, json::object());
}

// The SageMaker resource ResourceArn names: NotFound when there is none (SageMaker's
// ValidationException), InvalidArgument for an ARN of a kind not served here.
Result<std::string> SageMakerResourceOf(Server* server, const json& body) {
  TRY_ASSIGN(std::string arn, RequiredAwsString(body, "ResourceArn"));
  // Any region and account: the kind and name are what name a resource here.
  TRY_ASSIGN(const std::string rest, ArnResourceOf(arn, "sagemaker", "ResourceArn"));
  const size_t slash = rest.find('/');
  const std::string kind = rest.substr(0, slash);
  const std::string name = slash == std::string::npos ? "" : rest.substr(slash + 1);
  Status exists;
  if (kind == "model") {
    exists = server->serving_store().GetModel(name).status();
  } else if (kind == "endpoint-config") {
    exists = server->serving_store().GetConfig(name).status();
  } else if (kind == "endpoint") {
    auto found = server->serving_store().FindEndpoint(name);
    exists = !found.ok() ? found.status() : *found ? Status::Ok() : NotFound("Could not find endpoint \"" + name + "\"");
  } else if (kind == "training-job") {
    exists = server->training().Describe(name).status();
  } else if (kind == "transform-job") {
    exists = server->transforms().Describe(name).status();
  } else {
    return InvalidArgument("ResourceArn '" + arn + "': tags are kept here for models, endpoint configs, endpoints, "
                           "training jobs and transform jobs, not " + kind);
  }
  TRY(exists);
  return SageMakerArn(kind, name);  // one key whatever region and account the caller wrote
}

HttpResponse AddTags(Server* server, const json& body) {
  auto arn = SageMakerResourceOf(server, body);
  if (!arn.ok()) return SageMakerError(arn.status());
  auto tags = TagListOf(body, "Tags");
  if (!tags.ok()) return SageMakerError(tags.status());
  if (Status st = server->tags().Add(*arn, *tags); !st.ok()) return SageMakerError(st);
  return SageMakerOk({{"Tags", TagListJson(*tags)}});
}

HttpResponse ListTags(Server* server, const json& body) {
  auto arn = SageMakerResourceOf(server, body);
  if (!arn.ok()) return SageMakerError(arn.status());
  auto tags = server->tags().List(*arn);
  if (!tags.ok()) return SageMakerError(tags.status());
  return SageMakerOk({{"Tags", TagListJson(*tags)}});  // at most 50: one page
}

HttpResponse DeleteTags(Server* server, const json& body) {
  auto arn = SageMakerResourceOf(server, body);
  if (!arn.ok()) return SageMakerError(arn.status());
  auto keys = KeysOf(body, "TagKeys");
  if (!keys.ok()) return SageMakerError(keys.status());
  if (Status st = server->tags().Remove(*arn, *keys); !st.ok()) return SageMakerError(st);
  return SageMakerOk(json::object());
}

HttpResponse GlueTagError(const Status& st) {
  return GlueError(st.code() == ErrorCode::kResourceExhausted ? InvalidArgument(st.message()) : st);
}

// The Glue resource ResourceArn names, as the key its tags are kept under: NotFound when
// there is none (EntityNotFoundException), InvalidArgument for a kind not served here.
Result<std::string> GlueResourceOf(Server* server, const json& body) {
  TRY_ASSIGN(std::string arn, RequiredAwsString(body, "ResourceArn"));
  TRY_ASSIGN(const std::string resource, ArnResourceOf(arn, "glue", "ResourceArn"));
  const size_t slash = resource.find('/');
  const std::string kind = resource.substr(0, slash);
  const std::string name = slash == std::string::npos ? "" : resource.substr(slash + 1);
  if (kind == "database") {
    TRY(server->catalog().GetDatabase(name).status());
  } else if (kind == "table") {
    const size_t cut = name.find('/');
    if (cut == std::string::npos) {
      return InvalidArgument("ResourceArn '" + arn + "': a table's is table/<database>/<table>");
    }
    TRY(server->catalog().GetTable(name.substr(0, cut), name.substr(cut + 1)).status());
  } else if (kind == "crawler") {
    TRY(server->crawlers().Get(name).status());
  } else if (kind == "job") {
    TRY(server->jobs().Get(name).status());
  } else {
    return InvalidArgument("ResourceArn '" + arn + "': tags are kept here for databases, tables, crawlers "
                           "and jobs, not " + kind);
  }
  return GlueArn(resource);
}

HttpResponse TagResource(Server* server, const json& body) {
  auto arn = GlueResourceOf(server, body);
  if (!arn.ok()) return GlueTagError(arn.status());
  auto tags = TagMapOf(body, "TagsToAdd");
  if (!tags.ok()) return GlueTagError(tags.status());
  if (tags->empty()) return GlueTagError(InvalidArgument("TagsToAdd: required, 1..50 tags"));
  if (Status st = server->tags().Add(*arn, *tags); !st.ok()) return GlueTagError(st);
  return GlueOk(json::object());
}

HttpResponse UntagResource(Server* server, const json& body) {
  auto arn = GlueResourceOf(server, body);
  if (!arn.ok()) return GlueTagError(arn.status());
  auto keys = KeysOf(body, "TagsToRemove");
  if (!keys.ok()) return GlueTagError(keys.status());
  if (Status st = server->tags().Remove(*arn, *keys); !st.ok()) return GlueTagError(st);
  return GlueOk(json::object());
}

HttpResponse GetTags(Server* server, const json& body) {
  auto arn = GlueResourceOf(server, body);
  if (!arn.ok()) return GlueTagError(arn.status());
  auto tags = server->tags().List(*arn);
  if (!tags.ok()) return GlueTagError(tags.status());
  return GlueOk({{"Tags", *tags}});
}

}  // namespace

Result<std::string> ArnResourceOf(const std::string& arn, std::string_view service, const char* field) {
  // arn:<partition>:<service>:<region>:<account>:<resource>
  size_t at = 0;
  std::string_view parts[5];
  for (std::string_view& part : parts) {
    const size_t colon = arn.find(':', at);
    if (colon == std::string::npos) {
      at = std::string::npos;
      break;
    }
    part = std::string_view(arn).substr(at, colon - at);
    at = colon + 1;
  }
  if (at == std::string::npos || parts[0] != "arn" || parts[1].empty() || parts[2] != service ||
      at == arn.size()) {
    return InvalidArgument(std::string(field) + " '" + arn + "' is not an ARN of " + std::string(service) +
                           " (arn:aws:" + std::string(service) + ":<region>:<account>:<resource>)");
  }
  return arn.substr(at);
}

std::string GlueArn(const std::string& resource) { return LocalArn("glue", resource); }

Result<Tags> TagMapOf(const json& body, const char* field) {
  Tags tags;
  auto it = body.find(field);
  if (it == body.end() || it->is_null()) return tags;
  if (!it->is_object()) return InvalidArgument(std::string(field) + ": expected an object of tag keys to values");
  for (const auto& [key, value] : it->items()) {
    if (!value.is_string()) return InvalidArgument(std::string(field) + "." + key + ": expected a string");
    tags[key] = value.get<std::string>();
  }
  TRY(ValidateTags(tags).WithContext(field));
  return tags;
}

Result<Tags> TagListOf(const json& body, const char* field) {
  Tags tags;
  auto it = body.find(field);
  if (it == body.end() || it->is_null()) return tags;
  if (!it->is_array()) return InvalidArgument(std::string(field) + ": expected a list of {\"Key\", \"Value\"}");
  for (size_t i = 0; i < it->size(); ++i) {
    const json& t = (*it)[i];
    const std::string at = std::string(field) + "[" + std::to_string(i) + "]";
    if (!t.is_object() || !t.contains("Key") || !t["Key"].is_string()) return InvalidArgument(at + ".Key: required, a string");
    if (t.contains("Value") && !t["Value"].is_null() && !t["Value"].is_string()) {
      return InvalidArgument(at + ".Value: expected a string");
    }
    tags[t["Key"].get<std::string>()] = t.value("Value", "");
  }
  TRY(ValidateTags(tags).WithContext(field));
  return tags;
}

Status KeepTags(Server* server, const std::string& arn, const Tags& tags) {
  return tags.empty() ? Status::Ok() : server->tags().Add(arn, tags);
}

void ForgetTags(Server* server, const std::string& arn) {
  if (Status st = server->tags().Forget(arn); !st.ok()) {
    Logger("tags")->warn("the tags of deleted {} stay in the metadata database: {}", arn, st.ToString());
  }
}

json TagListJson(const Tags& tags) {
  json list = json::array();
  for (const auto& [key, value] : tags) list.push_back({{"Key", key}, {"Value", value}});
  return list;
}

std::optional<HttpResponse> HandleFirehoseTagOperation(Server* server, std::string_view op, const json& body) {
  if (op == "ListTagsForDeliveryStream") return ListTagsForDeliveryStream(server, body);
  if (op == "TagDeliveryStream") return TagDeliveryStream(server, body);
  if (op == "UntagDeliveryStream") return UntagDeliveryStream(server, body);
  return std::nullopt;
}

std::optional<HttpResponse> HandleGlueTagOperation(Server* server, std::string_view op, const json& body) {
  if (op == "TagResource") return TagResource(server, body);
  if (op == "UntagResource") return UntagResource(server, body);
  if (op == "GetTags") return GetTags(server, body);
  return std::nullopt;
}

std::optional<HttpResponse> HandleSageMakerTagOperation(Server* server, std::string_view op, const json& body) {
  if (op == "AddTags") return AddTags(server, body);
  if (op == "ListTags") return ListTags(server, body);
  if (op == "DeleteTags") return DeleteTags(server, body);
  return std::nullopt;
}

}  // namespace tributary::app
