// PutObject of a body past the HTTP server's limit (16 MiB), as `aws s3api put-object`,
// an SDK's PutObjectCommand or rclone below its multipart cutoff send one, and UploadPart
// of a part that large (s5cmd's are 50 MB): the body is taken piece by piece
// (net::HttpBodySink) into the store's streamed writer (or the upload's part file) on the
// S3 API's workers, its SHA-256 and MD5 computed as it passes. Once the last piece is in,
// the SHA-256 must be the x-amz-content-sha256 the signature covered (the signature
// itself was checked on the header), and the MD5 the Content-MD5 when one was sent; only
// then is the object (or part) committed, with that MD5 as its ETag. Anything else leaves nothing
// behind: the object appears whole or not at all.
#include <openssl/evp.h>

#include <algorithm>

#include "app/lake_reads.h"
#include "app/s3_api.h"
#include "app/s3_api_util.h"
#include "app/sigv4_auth.h"
#include "app/server.h"
#include "base/base64.h"
#include "base/hex.h"

namespace tributary::app {
namespace {

using net::HttpResponse;

struct DigestFree {
  void operator()(EVP_MD_CTX* ctx) const { EVP_MD_CTX_free(ctx); }
};
using Digest = std::unique_ptr<EVP_MD_CTX, DigestFree>;

Digest NewDigest(const EVP_MD* md) {
  Digest d(EVP_MD_CTX_new());
  EVP_DigestInit_ex(d.get(), md, nullptr);
  return d;
}

std::string FinalHex(EVP_MD_CTX* ctx) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_DigestFinal_ex(ctx, digest, &length);
  return HexEncode(std::string_view(reinterpret_cast<const char*>(digest), length));
}

// One upload: written by one worker call at a time (each piece's write is queued only
// after the one before has answered).
struct LargePut {
  std::string declared_sha256;  // x-amz-content-sha256, when it names the body's
  std::string content_md5;      // Content-MD5 as sent, or ""
  uint64_t length = 0;          // announced
  uint64_t written = 0;
  std::unique_ptr<objstore::ObjectWriter> writer;  // opened with the header
  Digest sha256 = NewDigest(EVP_sha256());
  Digest md5 = NewDigest(EVP_md5());
  HttpResponse failure;  // why the reading stopped, when a write failed
  bool failed = false;

  Status Write(const std::string& piece) {
    EVP_DigestUpdate(sha256.get(), piece.data(), piece.size());
    EVP_DigestUpdate(md5.get(), piece.data(), piece.size());
    written += piece.size();
    return writer->Write(piece);
  }

  void Fail(HttpResponse answer) {
    failed = true;
    failure = std::move(answer);
    writer->Abort();
  }

  HttpResponse Finish(bool complete) {
    if (!complete || written != length) {
      writer->Abort();
      if (failed) return std::move(failure);
      return S3Error(400, "IncompleteBody",
                     "the body ended after " + std::to_string(written) + " of the " + std::to_string(length) +
                         " bytes its Content-Length announced; nothing was stored");
    }
    const std::string sha256_hex = FinalHex(sha256.get());
    const std::string md5_hex = FinalHex(md5.get());
    if (!declared_sha256.empty() && sha256_hex != declared_sha256) {
      writer->Abort();
      return S3Error(400, "XAmzContentSHA256Mismatch",
                     "x-amz-content-sha256 " + declared_sha256 + " is not the SHA-256 of the body received (" +
                         sha256_hex + "); nothing was stored");
    }
    if (!content_md5.empty()) {
      auto binary = Base64Decode(content_md5);
      if (!binary.ok() || HexEncode(*binary) != md5_hex) {
        writer->Abort();
        return S3Error(400, "BadDigest", "Content-MD5 '" + content_md5 + "' is not the MD5 of the body; nothing was stored");
      }
    }
    writer->SetEtag(md5_hex);
    if (Status st = writer->Commit(); !st.ok()) {
      return st.code() == ErrorCode::kNotFound ? S3Error(404, "NoSuchUpload", st.message()) : S3Error(st, false);
    }
    HttpResponse r;
    r.headers["ETag"] = QuotedEtag(md5_hex);
    return r;
  }
};

}  // namespace

std::shared_ptr<net::HttpBodySink> S3Api::TakeLargeBody(const net::HttpRequest& header,
                                                         std::optional<HttpResponse>* refusal) {
  // Path-style: /<bucket>/<key>.
  std::string_view path = header.path;
  path.remove_prefix(std::min<size_t>(1, path.size()));
  const size_t slash = path.find('/');
  const std::string bucket(path.substr(0, slash));
  const std::string key = slash == std::string_view::npos ? "" : std::string(path.substr(slash + 1));
  const bool part = header.query.count("uploadId") || header.query.count("partNumber");
  if (header.method != "PUT" || key.empty() || !header.Header("x-amz-copy-source").empty()) {
    *refusal = S3Error(400, "EntityTooLarge",
                       "the request body is larger than 16 MiB: only a PutObject's or an UploadPart's may be; "
                       "this request takes no such body");
    return nullptr;
  }
  auto put = std::make_shared<LargePut>();
  // Opened now (a temporary file, or nothing yet on an S3 lake), so that a key the lake
  // cannot hold, or an upload that is not there, is refused before the client sends the
  // body.
  if (part) {
    const std::string id = QueryParam(header, "uploadId");
    if (auto upload = uploads_.Get(id, bucket, key); !upload.ok()) {
      *refusal = S3Error(404, "NoSuchUpload", upload.status().message());
      return nullptr;
    }
    const std::string number = QueryParam(header, "partNumber");
    if (number.empty() || number.size() > 5 || number.find_first_not_of("0123456789") != std::string::npos) {
      *refusal = S3Error(400, "InvalidArgument", "partNumber '" + number + "' is not 1..10000");
      return nullptr;
    }
    auto writer = uploads_.NewPartWriter(id, std::stoi(number));
    if (!writer.ok()) {
      *refusal = writer.status().code() == ErrorCode::kNotFound ? S3Error(404, "NoSuchUpload", writer.status().message())
                                                                : S3Error(writer.status(), false);
      return nullptr;
    }
    put->writer = std::move(*writer);
  } else {
    auto options = PutOptionsOf(header);
    if (!options.ok()) {
      *refusal = S3Error(400, "InvalidRequest", options.status().message());
      return nullptr;
    }
    auto store = BucketToRead(server_, bucket);
    if (!store.ok()) {
      *refusal = S3Error(store.status(), false);
      return nullptr;
    }
    if (Status st = objstore::ValidateKey(key); !st.ok()) {
      *refusal = S3Error(400, "InvalidArgument", st.message());
      return nullptr;
    }
    auto writer = (*store)->NewWriter(key, *options);
    if (!writer.ok()) {
      *refusal = S3Error(writer.status(), false);
      return nullptr;
    }
    put->writer = std::move(*writer);
  }
  const std::string& sent_sha256 = header.Header("x-amz-content-sha256");
  if (IsSha256Hex(sent_sha256)) put->declared_sha256 = sent_sha256;  // else a presigned URL's, unsigned
  put->content_md5 = header.Header("content-md5");
  put->length = std::stoull(header.Header("content-length"));

  auto sink = std::make_shared<net::HttpBodySink>();
  sink->write = [this, put](std::string piece, std::function<void(Status)> done) {
    const uint64_t bytes = piece.size();
    std::function<void()> call = [put, piece = std::move(piece), done]() {
      Status st = put->Write(piece);
      if (!st.ok()) put->Fail(S3Error(st, false));
      done(st);
    };
    if (Status refused = workers_.Push(call, bytes); !refused.ok()) {
      put->Fail(S3Error(503, "SlowDown", refused.message()));
      done(refused);
    }
  };
  sink->finish = [this, put](bool complete, std::function<void(HttpResponse)> respond) {
    std::function<void()> call = [put, complete, respond]() { respond(put->Finish(complete)); };
    if (Status refused = workers_.Push(call, 0); !refused.ok()) {
      put->Fail(S3Error(503, "SlowDown", refused.message()));
      respond(put->Finish(false));
    }
  };
  return sink;
}

}  // namespace tributary::app
