// Reading the lake for the API's two views of it (/v1/lake and the S3 API): which
// buckets the server knows, a bucket opened without creating it, and one page of a
// listing with folders and objects merged in key order.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "base/status.h"
#include "objstore/object_store.h"

namespace tributary::app {

class Server;

// Every directory of a local lake, and the buckets that streams deliver to and catalog
// tables live in (the only ones an S3 lake can name without listing the whole account),
// by name, each with when it was made (Unix ms): a local directory's birth time, else the
// earliest of the streams and tables that name the bucket.
std::map<std::string, int64_t> KnownBuckets(Server* server);

// The bucket to read. A local lake creates buckets on first use; reading must not, so a
// bucket with no directory yet is NotFound.
Result<std::shared_ptr<objstore::ObjectStore>> BucketToRead(Server* server, const std::string& bucket);

// Folders (common prefixes) and objects of `listing` merged in key order, from after
// `start_after`, at most `max_keys` of them (ListObjectsV2's paging; 0 keys: an empty,
// complete page). `listing` may be the whole listing or the page itself, as the store
// gave it for ListOptions{start_after, max_keys} (ListPageOptions): a listing cut short
// (truncated) leaves the page truncated.
struct ListingPage {
  std::vector<objstore::ObjectInfo> objects;
  std::vector<std::string> common_prefixes;
  bool truncated = false;
  std::string last;  // the last key or folder of the page: where the next one starts
};
ListingPage PageOf(const objstore::ListResult& listing, const std::string& start_after, size_t max_keys);
// What to ask the store for so that it reads no more than PageOf takes: at least one
// entry even for an empty page (0 would be every one).
objstore::ListOptions ListPageOptions(const std::string& start_after, size_t max_keys);

}  // namespace tributary::app
