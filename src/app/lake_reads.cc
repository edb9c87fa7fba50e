#include "app/lake_reads.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>

#include <algorithm>

#include "app/server.h"
#include "lake/catalog.h"
#include "streams/stream_manager.h"

namespace tributary::app {

namespace {

// When the directory was made (its birth time where the file system keeps one, else its
// last change), Unix ms; 0 if it cannot be read.
int64_t DirectoryBirthMillis(const std::string& path) {
  struct statx sx;
  if (::statx(AT_FDCWD, path.c_str(), 0, STATX_BTIME | STATX_MTIME, &sx) != 0) return 0;
  const statx_timestamp& t = (sx.stx_mask & STATX_BTIME) ? sx.stx_btime : sx.stx_mtime;
  return t.tv_sec * 1000 + t.tv_nsec / 1'000'000;
}

// Keeps the earliest known creation time of `bucket` (0: unknown).
void Note(std::map<std::string, int64_t>* buckets, const std::string& bucket, int64_t created_ms) {
  auto [it, inserted] = buckets->emplace(bucket, created_ms);
  if (!inserted && created_ms > 0 && (it->second == 0 || created_ms < it->second))
    it->second = created_ms;
}

}  // namespace

std::map<std::string, int64_t> KnownBuckets(Server* server) {
  std::map<std::string, int64_t> buckets;
  const ServerConfig& c = server->config();
  const bool local = c.lake_backend == "local";
  if (local) {
    const std::string lake = c.data_dir + "/lake";
    if (DIR* d = ::opendir(lake.c_str())) {
      while (dirent* e = ::readdir(d)) {
        std::string name = e->d_name;
        if (name.empty() || name[0] == '.' || e->d_type != DT_DIR) continue;
        if (objstore::ValidateBucketName(name).ok())
          buckets[name] = DirectoryBirthMillis(lake + "/" + name);
      }
      ::closedir(d);
    }
  }
  // A local directory's own time stands; otherwise the streams' and tables' times.
  auto note = [&](const std::string& bucket, int64_t created_ms) {
    if (local && buckets.count(bucket) && buckets[bucket] > 0) return;
    Note(&buckets, bucket, created_ms);
  };
  for (const streams::StreamConfig& s : server->streams().List()) {
    // A failed stream's row may name no bucket (streams/README.md).
    if (!objstore::ValidateBucketName(s.bucket).ok()) continue;
    auto d = server->streams().Describe(s.name);
    note(s.bucket, d.ok() ? d->created_ms : 0);
  }
  Result<std::vector<lake::Table>> tables = server->catalog().ListTables();
  if (tables.ok())
    for (const lake::Table& t : *tables) note(t.location.bucket, t.created_ms);
  return buckets;
}

Result<std::shared_ptr<objstore::ObjectStore>> BucketToRead(Server* server, const std::string& bucket) {
  TRY(objstore::ValidateBucketName(bucket));
  const ServerConfig& c = server->config();
  struct stat st;
  if (c.lake_backend == "local" && ::stat((c.data_dir + "/lake/" + bucket).c_str(), &st) != 0)
    return NotFound("no bucket '" + bucket + "' in the lake");
  return server->lake().Bucket(bucket);
}

objstore::ListOptions ListPageOptions(const std::string& start_after, size_t max_keys) {
  objstore::ListOptions options;
  options.start_after = start_after;
  options.max_keys = std::max<size_t>(max_keys, 1);
  return options;
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
    if (!objstore::MayFollow(start_after, key, folder)) {
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
  // A listing the store cut at this page's size (objstore::ListOptions) goes on past it.
  if (listing.truncated) page.truncated = true;
  return page;
}

}  // namespace tributary::app
