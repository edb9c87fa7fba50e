// /v1/lake: read-only browsing of the lake's buckets, for the console and for anyone
// who wants to look at what the streams delivered without a separate S3 client.
//
//   GET /v1/lake/buckets                          the buckets known to the server
//   GET /v1/lake/buckets/{bucket}/objects?prefix=P&delimiter=/&max_keys=N&start_after=K
//   GET /v1/lake/buckets/{bucket}/object?key=K[&offset=O][&length=L]   the bytes
#include <dirent.h>
#include <sys/stat.h>

#include <set>

#include "app/api.h"
#include "app/server.h"
#include "base/clock.h"
#include "lake/catalog.h"
#include "objstore/object_store.h"
#include "streams/stream_manager.h"

namespace tributary::app {
namespace {

constexpr int64_t kMaxReadBytes = 4ll << 20;
constexpr int64_t kMaxKeysLimit = 10000;

// Buckets the server knows of: every directory of a local lake, and the buckets that
// streams deliver to and catalog tables live in (the only ones an S3 lake can name
// without listing the whole account).
std::set<std::string> KnownBuckets(Server* server) {
  std::set<std::string> names;
  const ServerConfig& c = server->config();
  if (c.lake_backend == "local") {
    if (DIR* d = ::opendir((c.data_dir + "/lake").c_str())) {
      while (dirent* e = ::readdir(d)) {
        std::string name = e->d_name;
        if (name.empty() || name[0] == '.' || e->d_type != DT_DIR) continue;
        if (objstore::ValidateBucketName(name).ok()) names.insert(name);
      }
      ::closedir(d);
    }
  }
  for (const streams::StreamConfig& s : server->streams().List()) names.insert(s.bucket);
  Result<std::vector<lake::Table>> tables = server->catalog().ListTables();
  if (tables.ok())
    for (const lake::Table& t : *tables) names.insert(t.location.bucket);
  return names;
}

// The bucket to read. A local lake creates buckets on first use; browsing must not, so
// a bucket with no directory yet is not found.
Result<std::shared_ptr<objstore::ObjectStore>> BucketToRead(Server* server, const std::string& bucket) {
  TRY(objstore::ValidateBucketName(bucket));
  const ServerConfig& c = server->config();
  struct stat st;
  if (c.lake_backend == "local" && ::stat((c.data_dir + "/lake/" + bucket).c_str(), &st) != 0)
    return NotFound("no bucket '" + bucket + "' in the lake");
  return server->lake().Bucket(bucket);
}

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
  TRY_ASSIGN(objstore::ListResult listing, store->List(prefix, delimiter));
  // Folders and objects merged in key order, from after `start_after`, at most max_keys
  // of them; `next_start_after` continues the listing (ListObjectsV2's StartAfter).
  std::string start_after = Query(request, "start_after");
  nlohmann::json objects = nlohmann::json::array();
  nlohmann::json prefixes = nlohmann::json::array();
  size_t shown = 0, p = 0, o = 0;
  std::string last;
  bool truncated = false;
  const auto& folders = listing.common_prefixes;
  const auto& files = listing.objects;
  while (p < folders.size() || o < files.size()) {
    bool folder = o == files.size() || (p < folders.size() && folders[p] < files[o].key);
    const std::string& key = folder ? folders[p] : files[o].key;
    if (key <= start_after) {
      folder ? ++p : ++o;
      continue;
    }
    if (shown == static_cast<size_t>(max_keys)) {
      truncated = true;
      break;
    }
    if (folder) {
      prefixes.push_back(folders[p++]);
    } else {
      const objstore::ObjectInfo& info = files[o++];
      objects.push_back({{"key", info.key},
                         {"size", info.size},
                         {"modified", FormatIso8601Millis(info.modified_ms)},
                         {"etag", info.etag}});
    }
    last = key;
    ++shown;
  }
  nlohmann::json out{{"bucket", bucket},   {"prefix", prefix},         {"delimiter", delimiter},
                     {"objects", objects}, {"common_prefixes", prefixes}, {"truncated", truncated}};
  if (truncated) out["next_start_after"] = last;
  return out;
}

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
  net::HttpResponse r;
  r.content_type = "application/octet-stream";
  r.headers["X-Object-Size"] = std::to_string(info.size);
  r.headers["X-Object-Modified"] = FormatIso8601Millis(info.modified_ms);
  if (offset < info.size) {
    uint64_t n = std::min<uint64_t>(length, info.size - offset);
    TRY_ASSIGN(r.body, store->Get(key, objstore::ByteRange{offset, n}));
  }
  r.headers["X-Range"] = std::to_string(offset) + "-" + std::to_string(offset + r.body.size());
  return r;
}

}  // namespace

void AddLakeRoutes(net::Router* router, Server* server) {
  router->Add("GET", "/v1/lake/buckets", [server](net::HttpRequest&) {
    nlohmann::json buckets = nlohmann::json::array();
    for (const std::string& b : KnownBuckets(server)) buckets.push_back({{"name", b}, {"uri", "s3://" + b + "/"}});
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
}

}  // namespace tributary::app
