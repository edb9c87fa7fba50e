// S3Api: the S3 API's calls (api_s3.cc reads, api_s3_writes.cc writes) on worker threads
// of their own. A call reads or writes the lake, a local disk or an S3 store behind the
// server, and may take long (a 16 MiB PutObject, a multipart upload's completion copying
// gigabytes): on the HTTP threads it would hold up every other request they serve, the
// console's and the SDKs' alike. An object larger than one piece goes out piece by piece
// (net::HttpBodySource), each piece read on the workers, so that a download of any size
// holds one piece in memory and no other call waits behind it.
//
// A PutObject past the HTTP limit, or in aws-chunked encoding, comes in the same way,
// piece by piece (TakeLargeBody).
//
// When every worker is busy and the queue is full, a call is refused with S3's SlowDown
// (503), which the SDKs retry.
//
// Thread-safety: Serve may be called from any thread at once.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "app/s3_uploads.h"
#include "app/sigv4_auth.h"
#include "base/bounded_work_queue.h"
#include "net/router.h"
#include "objstore/object_store.h"

namespace tributary::app {

class Server;

class S3Api {
 public:
  // Bytes read per piece of a large GetObject (and per ranged read of a copy).
  static constexpr uint64_t kPieceBytes = 4ull << 20;

  // Multipart uploads in progress are kept under `uploads_dir`.
  S3Api(Server* server, std::string uploads_dir);
  ~S3Api();

  // Answers `request` (signed for service s3, already authenticated) from a worker.
  void Serve(net::HttpRequest& request, net::HttpRespond respond);
  // A PutObject or UploadPart whose header (signed for s3, already authenticated with the
  // body to follow: `signature`, empty for a bearer token) announces a body past the HTTP
  // limit, or in aws-chunked encoding: a sink that writes it (decoded) to the lake piece
  // by piece on the workers and answers once it is checked and committed
  // (s3_large_puts.cc); or null with `*refusal` S3's answer (EntityTooLarge for any other
  // request, NoSuchBucket, ...).
  std::shared_ptr<net::HttpBodySink> TakeLargeBody(const net::HttpRequest& header, const SigV4Check& signature,
                                                   std::optional<net::HttpResponse>* refusal);
  // Lets the calls queued finish, then ends the workers; later calls get 503.
  void Stop();

  // A body of `length` bytes of `key` in `store` from `offset`, read on the workers a
  // piece at a time as the connection asks for it, each from the object of ETag `etag`:
  // if the object is replaced meanwhile the body ends short (an error), never mixing two.
  std::shared_ptr<net::HttpBodySource> PiecesOf(std::shared_ptr<objstore::ObjectStore> store,
                                                std::string key, uint64_t offset, uint64_t length,
                                                std::string etag);

  Server* server() const { return server_; }
  S3UploadStore* uploads() { return &uploads_; }

 private:
  Server* server_;
  S3UploadStore uploads_;
  BoundedWorkQueue<std::function<void()>> workers_;
};

}  // namespace tributary::app
