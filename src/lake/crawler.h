// One crawl (a Glue crawler run): lists the crawler's source prefix, reads the objects
// it has not seen (or whose etag or size changed), infers their schema and partitions,
// and writes the result to the catalog: a table (a new version when the schema
// changed), its partitions with record counts, and the objects now seen.
//
// Objects are JSON records (newline-separated, concatenated or comma-separated; see
// json_records.h), gzip-compressed or not (a ".gz" name or the gzip magic bytes).
// A record that does not parse is counted and reported (object key and line) and the
// crawl goes on; an object that cannot be read (the lake is down) is reported and left
// unseen, so the next run tries it again.
//
// Cancelling: set `cancel`; the run stops before its next object, writes nothing to the
// catalog and ends kCancelled (the objects stay unseen).
//
// Thread-safety: RunCrawl may run on any thread; two crawls of one crawler must not run
// at once (CrawlerManager sees to it).
#pragma once

#include <atomic>
#include <functional>

#include "lake/catalog.h"
#include "lake/crawler_store.h"
#include "objstore/object_store.h"

namespace tributary::lake {

struct CrawlContext {
  objstore::ObjectStore* bucket = nullptr;  // the source's bucket
  Catalog* catalog = nullptr;
  CrawlerStore* store = nullptr;
  const std::atomic<bool>* cancel = nullptr;         // optional
  std::function<void(const CrawlRun&)> on_progress;  // optional; after each object
};

// Runs `crawler` into `run` (whose id, crawler and started_ms the caller set). Returns
// the run as it ended; its status says how. Never throws.
CrawlRun RunCrawl(const CrawlerDefinition& crawler, CrawlRun run, const CrawlContext& context);

// The most text one compressed object may inflate to: a delivery stream's objects hold at
// most 128 MiB; a few MB of crafted gzip would otherwise take gigabytes of memory.
inline constexpr size_t kMaxDecodedObjectBytes = size_t{1} << 30;

// The text of a raw object: gunzipped when `key` ends in ".gz" or the bytes start with
// the gzip magic, uncompressed when it ends in ".snappy" (a stream's Snappy objects: snappy-java's
// stream when it starts with that header, else Hadoop's) or starts with snappy-java's header,
// its entries' bytes when it ends in ".zip" or starts with a ZIP local file header;
// kDataLoss naming the key when the data is corrupt or grows past `max_text` bytes.
Result<std::string> DecodeObject(const std::string& key, std::string bytes,
                                 size_t max_text = kMaxDecodedObjectBytes);

}  // namespace tributary::lake
