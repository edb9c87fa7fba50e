// AWS's tags on the APIs that name resources by ARN (api_tags.cc): the [{"Key", "Value"}]
// lists Firehose and SageMaker send and answer, Glue's {"key": "value"} maps, and their tag
// operations, over the store in resource_tags.h.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "app/resource_tags.h"
#include "base/status.h"
#include "net/http_types.h"

namespace tributary::app {

class Server;

// `body[field]`, a [{"Key", "Value"}] list (absent: none), checked against AWS's limits;
// InvalidArgument naming the tag.
Result<Tags> TagListOf(const nlohmann::json& body, const char* field);
// `body[field]`, a {"key": "value"} map as Glue sends tags (absent: none), checked alike.
Result<Tags> TagMapOf(const nlohmann::json& body, const char* field);
// The resource part of an ARN of `service` in any partition, region and account:
// ("arn:aws:glue:eu-west-1:123456789012:crawler/raw", "glue") -> "crawler/raw";
// InvalidArgument naming `field` otherwise.
Result<std::string> ArnResourceOf(const std::string& arn, std::string_view service, const char* field);
// "arn:aws:glue:local:000000000000:<resource>": the one key a Glue resource's tags are
// kept under, whatever region and account a caller wrote.
std::string GlueArn(const std::string& resource);
nlohmann::json TagListJson(const Tags& tags);
// After a resource is made: the tags it was made with (none: nothing to do).
Status KeepTags(Server* server, const std::string& arn, const Tags& tags);
// After a resource is deleted: its tags go too (a failure is logged; the deletion stands).
void ForgetTags(Server* server, const std::string& arn);

// ListTagsForDeliveryStream, TagDeliveryStream, UntagDeliveryStream; nullopt for another
// operation.
std::optional<net::HttpResponse> HandleFirehoseTagOperation(Server* server, std::string_view operation,
                                                            const nlohmann::json& body);
// Glue's TagResource, UntagResource, GetTags on a database, table, crawler or job;
// nullopt for another operation.
std::optional<net::HttpResponse> HandleGlueTagOperation(Server* server, std::string_view operation,
                                                        const nlohmann::json& body);
// AddTags, ListTags, DeleteTags; nullopt for another operation.
std::optional<net::HttpResponse> HandleSageMakerTagOperation(Server* server, std::string_view operation,
                                                             const nlohmann::json& body);

}  // namespace tributary::app
