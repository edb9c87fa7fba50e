#include "app/s3_api.h"

#include "app/s3_api_util.h"

namespace tributary::app {

S3Api::S3Api(Server* server, std::string uploads_dir)
    : server_(server),
      uploads_(std::move(uploads_dir)),
      workers_({.threads = 4,
                .max_items = 1024,
                .max_bytes = 256ull << 20,  // request bodies waiting: 16 uploads of the HTTP limit
                .name = "S3 API's queue",
                .unit = "calls",
                .thread_name = "s3-api"},
               [](std::function<void()>& call) { call(); }) {}

S3Api::~S3Api() { Stop(); }

void S3Api::Stop() { workers_.Stop(); }

void S3Api::Serve(net::HttpRequest& request, net::HttpRespond respond) {
  const uint64_t bytes = request.body.size();
  std::function<void()> call = [this, request = std::move(request), respond]() mutable {
    net::HttpResponse answer;
    try {
      answer = ServeS3(this, request);
    } catch (const std::exception& e) {  // a bug's exception must not end the server's workers
      answer = S3Error(500, "InternalError", std::string("unexpected error: ") + e.what());
    }
    respond(std::move(answer));
  };
  if (Status refused = workers_.Push(call, bytes); !refused.ok()) {
    respond(S3Error(503, "SlowDown", refused.message()));
  }
}

std::shared_ptr<net::HttpBodySource> S3Api::PiecesOf(std::shared_ptr<objstore::ObjectStore> store,
                                                     std::string key, uint64_t offset,
                                                     uint64_t length, std::string etag) {
  auto source = std::make_shared<net::HttpBodySource>();
  source->length = length;
  auto next = std::make_shared<uint64_t>(offset);  // where the next piece starts
  const uint64_t end = offset + length;
  source->next = [this, store = std::move(store), key = std::move(key), next, end,
                  etag = std::move(etag)](std::function<void(Result<std::string>)> done) {
    std::function<void()> read = [store, key, next, end, etag, done]() {
      const uint64_t n = std::min(kPieceBytes, end - *next);
      auto piece = store->Get(key, objstore::ByteRange{*next, n, etag});
      if (piece.status().code() == ErrorCode::kFailedPrecondition) {
        piece = Unavailable("object '" + key +
                            "' was replaced while it was read: " + piece.status().message());
      } else if (piece.ok() && piece->size() != n) {
        piece = Unavailable("object '" + key + "' changed while it was read: " + std::to_string(piece->size()) +
                            " bytes where " + std::to_string(n) + " were expected at offset " +
                            std::to_string(*next));
      }
      if (piece.ok()) *next += n;
      done(std::move(piece));
    };
    if (Status refused = workers_.Push(read, 0); !refused.ok()) done(refused);
  };
  return source;
}

}  // namespace tributary::app
