#include "app/lake_reads.h"

#include <dirent.h>
#include <sys/stat.h>

#include "app/server.h"
#include "lake/catalog.h"
#include "streams/stream_manager.h"

namespace tributary::app {

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

Result<std::shared_ptr<objstore::ObjectStore>> BucketToRead(Server* server, const std::string& bucket) {
  TRY(objstore::ValidateBucketName(bucket));
  const ServerConfig& c = server->config();
  struct stat st;
  if (c.lake_backend == "local" && ::stat((c.data_dir + "/lake/" + bucket).c_str(), &st) != 0)
    return NotFound("no bucket '" + bucket + "' in the lake");
  return server->lake().Bucket(bucket);
}

ListingPage PageOf(const objstore::ListResult& listing, const std::string& start_after, size_t max_keys) {
  ListingPage page;
  if (max_keys == 0) return page;  // nothing asked for: nothing to continue either
  const auto& folders = listing.common_prefixes;
  const auto& files = listing.objects;
  size_t p = 0, o = 0;
  while (p < folders.size() || o < files.size()) {
    bool folder = o == files.size() || (p < folders.size() && folders[p] < files[o].key);
    const std::string& key = folder ? folders[p] : files[o].key;
    if (key <= start_after) {
      folder ? ++p : ++o;
      continue;
    }
    if (page.objects.size() + page.common_prefixes.size() == max_keys) {
      page.truncated = true;
      break;
    }
    page.last = key;
    if (folder) {
      page.common_prefixes.push_back(folders[p++]);
    } else {
      page.objects.push_back(files[o++]);
    }
  }
  return page;
}

}  // namespace tributary::app
