// What Glue's operations (api_glue.cc: the catalog and crawlers; api_glue_tables.cc: tables
// defined by hand; api_glue_jobs.cc: ETL jobs) share: Glue's errors, answers and paging.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "app/aws_api.h"
#include "app/name_paging.h"
#include "base/status.h"
#include "lake/catalog.h"
#include "net/http_types.h"

namespace tributary::app {

net::HttpResponse GlueError(int status, std::string_view type, const std::string& message);
// A Status as Glue's error of its kind: NotFound -> EntityNotFoundException (400),
// InvalidArgument -> InvalidInputException (400), AlreadyExists and FailedPrecondition ->
// CrawlerRunningException (400: StartCrawler's), Unavailable -> OperationTimeoutException,
// anything else -> InternalServiceException (500).
net::HttpResponse GlueError(const Status& status);
net::HttpResponse GlueOk(const nlohmann::json& body);

// MaxResults (1..max, default `fallback`) and NextToken (where the last page ended).
struct GluePaging {
  size_t max = 0;
  std::string after;
};
Result<GluePaging> GluePagingOf(const nlohmann::json& body, size_t fallback, size_t max);

// One page of `items` (in name order) as Glue answers it: `list_name` and NextToken.
template <typename T, typename Name, typename ToJson>
nlohmann::json GluePage(const std::vector<T>& items, const GluePaging& paging, Name name, ToJson to_json,
                        const char* list_name) {
  NamePage<T> page = PageByName(items, paging.after, paging.max, name);
  nlohmann::json list = nlohmann::json::array();
  for (const T* item : page.items) list.push_back(to_json(*item));
  nlohmann::json out = {{list_name, list}};
  if (page.more) out["NextToken"] = page.last;
  return out;
}

// A crawler's Configuration for "add new columns only" (UpdateBehavior MERGE_NEW_COLUMNS
// here), as Glue's console writes it.
inline constexpr std::string_view kMergeNewColumnsConfiguration =
    R"({"Version":1.0,"CrawlerOutput":{"Tables":{"AddOrUpdateBehavior":"MergeNewColumns"}}})";

// InvalidArgument "<field>: <why>", as Glue's refusals of a request field read.
inline Status GlueFieldError(const std::string& field, const std::string& why) {
  return InvalidArgument(field + ": " + why);
}

// A partition's values (PartitionValues, PartitionInput.Values, ...): a non-empty list of
// strings; InvalidArgument naming `where` otherwise.
Result<std::vector<std::string>> GluePartitionValues(const nlohmann::json& j, const std::string& where);

class Server;
// The table a request names: DatabaseName and `name_field` ("TableName", GetTable's
// "Name"); InvalidArgument for a missing field, NotFound for no such table.
Result<lake::Table> GlueTableOf(Server* server, const nlohmann::json& body, const char* name_field = "TableName");
// Glue's operations that make and remove crawlers and databases (api_glue_crawlers.cc);
// nullopt when `operation` is not one of them.
std::optional<net::HttpResponse> HandleGlueCatalogWrite(Server* server, std::string_view operation,
                                                        const nlohmann::json& body);
// Glue's operations that define tables by hand (api_glue_tables.cc); nullopt when
// `operation` is not one of them.
std::optional<net::HttpResponse> HandleGlueTableWrite(Server* server, std::string_view operation,
                                                      const nlohmann::json& body);
// Glue's partition index operations (api_glue_partition_indexes.cc); nullopt when
// `operation` is not one of them.
std::optional<net::HttpResponse> HandleGluePartitionIndexOperation(Server* server,
                                                                   std::string_view operation,
                                                                   const nlohmann::json& body);
// A PartitionIndex ({"IndexName", "Keys"}) as the catalog's; InvalidArgument naming `where`.
Result<lake::PartitionIndex> GluePartitionIndex(const nlohmann::json& j, const std::string& where);
// Glue's job operations (api_glue_jobs.cc); nullopt when `operation` is not one of them.
std::optional<net::HttpResponse> HandleGlueJobOperation(Server* server, std::string_view operation,
                                                        const nlohmann::json& body);

}  // namespace tributary::app
