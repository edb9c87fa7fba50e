// /v1/lake: read-only browsing of the lake's buckets, for the console and for anyone
// who wants to look at what the streams delivered without a separate S3 client.
//
//   GET /v1/lake/buckets                          the buckets known to the server (with
//                                                 their lifecycle rules counted)
//   GET /v1/lake/buckets/{bucket}/objects?prefix=P&delimiter=/&max_keys=N&start_after=K
//   GET /v1/lake/buckets/{bucket}/object?key=K[&offset=O][&length=L]   the bytes (at most
//                                                 L, cut at the object's end; an offset
//                                                 past the end is 416 out_of_range, as S3's
//                                                 InvalidRange; one at the end, no bytes)
//   GET|PUT|DELETE /v1/lake/buckets/{bucket}/lifecycle   the bucket's expiry rules, in the
//                                                 AWS CLI's JSON form (lake/lifecycle.h;
//                                                 none: {"Rules": []})
//   POST /v1/lake/buckets/{bucket}/lifecycle/run  apply them now: what was deleted (GET
//                                                 gives the last sweep's too, LastSweep)
#include "app/api.h"
#include "app/lake_lifecycle.h"
#include "app/lake_reads.h"
#include "app/s3_conditions.h"
#include "app/server.h"
#include "base/clock.h"
#include "lake/lifecycle_store.h"
#include "objstore/object_store.h"

namespace tributary::app {
namespace {

constexpr int64_t kMaxReadBytes = 4ll << 20;
constexpr int64_t kMaxKeysLimit = 10000;

std::string Query(const net::HttpRequest& request, const std::string& name) {
  auto it = request.query.find(name);
  return it == request.query.end() ? std::string() : it->second;
}

Result<nlohmann::json> ListObjects(Server* server, const net::HttpRequest& request) {
  const std::string& bucket = request.params.at("bucket");
  TRY_ASSIGN(int64_t max_keys, QueryInt(request, "max_keys", 1000, kMaxKeysLimit));
  if (max_keys < 1) return InvalidArgument("query parameter 'max_keys' must be 1.." + std::to_string(kMaxKeysLimit));
  std::string prefix = Query(request, "prefix");
  std::string delimiter = Query(request, "delimiter");
  TRY_ASSIGN(auto store, BucketToRead(server, bucket));
  const std::string start_after = Query(request, "start_after");
  const size_t page_size = static_cast<size_t>(max_keys);
  TRY_ASSIGN(objstore::ListResult listing,
             store->List(prefix, delimiter, ListPageOptions(start_after, page_size)));
  ListingPage page = PageOf(listing, start_after, page_size);
  nlohmann::json objects = nlohmann::json::array();
  for (const objstore::ObjectInfo& info : page.objects) {
    objects.push_back({{"key", info.key},
                       {"size", info.size},
                       {"modified", FormatIso8601Millis(info.modified_ms)},
                       {"etag", info.etag}});
  }
  nlohmann::json out{{"bucket", bucket},       {"prefix", prefix},
                     {"delimiter", delimiter}, {"objects", objects},
                     {"common_prefixes", page.common_prefixes}, {"truncated", page.truncated}};
  if (page.truncated) out["next_start_after"] = page.last;
  return out;
}

// A read of an object that is not the one the request's If-Match names (`why`): 412,
// failed_precondition, with the ETag it has (`etag`, "" when not known).
net::HttpResponse ObjectIsAnother(const std::string& bucket, const std::string& key,
                                  const std::string& etag, const std::string& why) {
  net::HttpResponse r = ErrorResponse(FailedPrecondition(
      "s3://" + bucket + "/" + key + " is not the object If-Match names: " + why +
      "; it changed since it was read (a reader in pieces: start again)"));
  r.status = 412;
  if (!etag.empty()) r.headers["ETag"] = "\"" + etag + "\"";
  return r;
}

// GET .../object: the bytes come from the object Head described, whose ETag the answer
// carries (ETag), never from one that replaced it in between; with If-Match, only from the
// object it names (else 412), so a client reading in pieces sends the first piece's ETag
// with the others and never mixes two versions.
Result<net::HttpResponse> ReadObject(Server* server, const net::HttpRequest& request) {
  const std::string& bucket = request.params.at("bucket");
  std::string key = Query(request, "key");
  if (key.empty()) return InvalidArgument("query parameter 'key' is required (the object's key)");
  TRY(objstore::ValidateKey(key));
  TRY_ASSIGN(int64_t offset_q, QueryInt(request, "offset", 0, INT64_MAX));
  TRY_ASSIGN(int64_t length_q, QueryInt(request, "length", kMaxReadBytes, kMaxReadBytes));
  if (length_q < 1) return InvalidArgument("query parameter 'length' must be 1.." + std::to_string(kMaxReadBytes) + " bytes");
  const uint64_t offset = static_cast<uint64_t>(offset_q), length = static_cast<uint64_t>(length_q);
  TRY_ASSIGN(auto store, BucketToRead(server, bucket));
  TRY_ASSIGN(objstore::ObjectInfo info, store->Head(key));
  if (offset > info.size) {
    net::HttpResponse refused =
        ErrorResponse(OutOfRange("offset " + std::to_string(offset) + " is past the end of s3://" +
                                 bucket + "/" + key + ", which holds " + std::to_string(info.size) +
                                 " bytes (offsets 0.." + std::to_string(info.size) + ")"));
    refused.headers["Content-Range"] = "bytes */" + std::to_string(info.size);  // RFC 9110 15.5.17
    refused.headers["X-Object-Size"] = std::to_string(info.size);
    return refused;
  }
  net::HttpResponse r;
  r.content_type = "application/octet-stream";
  r.headers["X-Object-Size"] = std::to_string(info.size);
  r.headers["X-Object-Modified"] = FormatIso8601Millis(info.modified_ms);
  if (!info.etag.empty()) r.headers["ETag"] = "\"" + info.etag + "\"";
  const std::string& if_match = request.Header("if-match");
  if (!if_match.empty() && !IfMatchHolds(if_match, info.etag))
    return ObjectIsAnother(bucket, key, info.etag,
                           "it has ETag \"" + info.etag + "\", not " + if_match);
  if (offset < info.size) {
    uint64_t n = std::min<uint64_t>(length, info.size - offset);
    Result<std::string> bytes = store->Get(key, objstore::ByteRange{offset, n, info.etag});
    if (!bytes.ok() && bytes.status().code() == ErrorCode::kFailedPrecondition && !if_match.empty())
      return ObjectIsAnother(bucket, key, "", bytes.status().message());
    TRY_ASSIGN(r.body, std::move(bytes));
  }
  r.headers["X-Range"] = std::to_string(offset) + "-" + std::to_string(offset + r.body.size());
  return r;
}

// What a lifecycle sweep of a bucket did.
nlohmann::json SweepJson(const lake::ExpirySummary& s) {
  nlohmann::json out{{"finished", FormatIso8601Millis(s.finished_ms)},
                     {"examined", s.examined},
                     {"expired", s.expired},
                     {"bytes", s.bytes},
                     {"failed", s.failed},
                     {"changed", s.changed}};
  if (!s.first_error.empty()) out["first_error"] = s.first_error;
  return out;
}

}  // namespace

void AddLakeRoutes(net::Router* router, Server* server) {
  router->Add("GET", "/v1/lake/buckets", [server](net::HttpRequest&) {
    // Each bucket's lifecycle rules, counted (the control server's; none listed elsewhere).
    std::map<std::string, lake::LifecycleConfiguration> rules;
    if (server->lifecycle() != nullptr) {
      Result<std::map<std::string, lake::LifecycleConfiguration>> all = server->lifecycle()->List();
      if (!all.ok()) return ErrorResponse(all.status());
      rules = std::move(*all);
    }
    nlohmann::json buckets = nlohmann::json::array();
    for (const auto& [b, created_ms] : KnownBuckets(server)) {
      nlohmann::json bucket = {{"name", b}, {"uri", "s3://" + b + "/"}};
      if (created_ms > 0) bucket["created"] = FormatIso8601Millis(created_ms);
      if (auto it = rules.find(b); it != rules.end()) {
        int64_t enabled = 0;
        for (const lake::LifecycleRule& r : it->second.rules) enabled += r.enabled ? 1 : 0;
        bucket["lifecycle"] = {{"rules", it->second.rules.size()}, {"enabled", enabled}};
        if (auto last = server->lifecycle_sweeper()->LastSweep(b))
          bucket["lifecycle"]["last_sweep"] = SweepJson(*last);
      }
      buckets.push_back(std::move(bucket));
    }
    return JsonResponse({{"backend", server->config().lake_backend}, {"buckets", buckets}});
  });
  router->Add("GET", "/v1/lake/buckets/{bucket}/objects", [server](net::HttpRequest& req) {
    Result<nlohmann::json> r = ListObjects(server, req);
    return r.ok() ? JsonResponse(*r) : ErrorResponse(r.status());
  });
  router->Add("GET", "/v1/lake/buckets/{bucket}/object", [server](net::HttpRequest& req) {
    Result<net::HttpResponse> r = ReadObject(server, req);
    return r.ok() ? std::move(r).value() : ErrorResponse(r.status());
  });
  router->Add("GET", "/v1/lake/buckets/{bucket}/lifecycle", [server](net::HttpRequest& req) {
    const std::string& bucket = req.params.at("bucket");
    if (Status st = BucketToRead(server, bucket).status(); !st.ok()) return ErrorResponse(st);
    // No rules is an empty list here (S3's API answers 404 NoSuchLifecycleConfiguration).
    Result<lake::LifecycleConfiguration> config = GetLifecycle(server, bucket);
    if (!config.ok() && config.status().code() != ErrorCode::kNotFound)
      return ErrorResponse(config.status());
    nlohmann::json out = config.ok() ? lake::LifecycleToJson(*config)
                                     : nlohmann::json{{"Rules", nlohmann::json::array()}};
    if (auto last = server->lifecycle_sweeper()->LastSweep(bucket))
      out["LastSweep"] = SweepJson(*last);
    return JsonResponse(out);
  });
  router->Add("PUT", "/v1/lake/buckets/{bucket}/lifecycle", [server](net::HttpRequest& req) {
    Result<nlohmann::json> body = ParseBody(req);
    if (!body.ok()) return ErrorResponse(body.status());
    Result<lake::LifecycleConfiguration> config = lake::LifecycleFromJson(*body);
    if (!config.ok()) return ErrorResponse(config.status());
    if (Status st = BucketToRead(server, req.params.at("bucket")).status(); !st.ok())
      return ErrorResponse(st);
    Status st = PutLifecycle(server, req.params.at("bucket"), *config);
    return st.ok() ? JsonResponse(lake::LifecycleToJson(*config)) : ErrorResponse(st);
  });
  router->Add("DELETE", "/v1/lake/buckets/{bucket}/lifecycle", [server](net::HttpRequest& req) {
    if (Status st = BucketToRead(server, req.params.at("bucket")).status(); !st.ok())
      return ErrorResponse(st);
    Status st = DeleteLifecycle(server, req.params.at("bucket"));
    return st.ok() ? JsonResponse({{"deleted", true}}) : ErrorResponse(st);
  });
  router->Add("POST", "/v1/lake/buckets/{bucket}/lifecycle/run", [server](net::HttpRequest& req) {
    Result<lake::ExpirySummary> s = SweepLifecycle(server, req.params.at("bucket"));
    return s.ok() ? JsonResponse(SweepJson(*s)) : ErrorResponse(s.status());
  });
}

}  // namespace tributary::app
