// PutObject of a body past the HTTP server's limit (16 MiB), as `aws s3api put-object`,
// an SDK's PutObjectCommand or rclone below its multipart cutoff send one, and UploadPart
// of a part that large (s5cmd's are 50 MB): the body is taken piece by piece
// (net::HttpBodySink) into the store's streamed writer (or the upload's part file) on the
// S3 API's workers, its SHA-256 and MD5 computed as it passes. Once the last piece is in,
// the SHA-256 must be the x-amz-content-sha256 the signature covered (the signature
// itself was checked on the header), and the MD5 the Content-MD5 when one was sent; only
// then is the object (or part) committed, with that MD5 as its ETag. Anything else leaves nothing
// behind: the object appears whole or not at all.
//
// A body in aws-chunked encoding, of any size, comes the same way: what the SDKs send when
// they stream a body rather than hash it first (the JavaScript SDK for a stream, with a
// CRC32 in the trailer; the Java SDK's signed chunks). It is decoded as it comes
// (aws_chunked.h), every chunk's signature or the trailer's checksum checked before the
// object is committed; x-amz-decoded-content-length is the object's length.
//
// An x-amz-checksum-* header (the SDKs' additional checksums) is checked against the body
// too, and answered back as S3 does.
#include <openssl/evp.h>

#include <algorithm>

#include "app/api.h"
#include "app/aws_api.h"
#include "app/aws_chunked.h"
#include "app/lake_reads.h"
#include "app/s3_api.h"
#include "app/s3_api_util.h"
#include "app/s3_checksums.h"
#include "app/s3_conditions.h"
#include "app/server.h"
#include "app/sigv4_auth.h"
#include "base/ascii.h"
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

// An aws-chunked body's refusal (AwsChunkedDecoder's statuses) as S3 answers it.
HttpResponse ChunkedBodyError(const Status& st) {
  const std::string message = st.message() + "; nothing was stored";
  switch (st.code()) {
    case ErrorCode::kUnauthenticated: return S3Error(403, "SignatureDoesNotMatch", message);
    case ErrorCode::kDataLoss: return S3Error(400, "BadDigest", st.message());  // says nothing was stored
    case ErrorCode::kFailedPrecondition: return S3Error(400, "IncompleteBody", message);
    default: return S3Error(400, "InvalidRequest", "the aws-chunked body: " + message);
  }
}

// One upload: written by one worker call at a time (each piece's write is queued only
// after the one before has answered).
struct LargePut {
  std::string declared_sha256;  // x-amz-content-sha256, when it names the body's
  std::string content_md5;      // Content-MD5 as sent, or ""
  uint64_t length = 0;          // announced (decoded, for aws-chunked)
  uint64_t written = 0;
  std::unique_ptr<objstore::ObjectWriter> writer;  // opened with the header
  std::optional<AwsChunkedDecoder> decoder;        // an aws-chunked body
  std::optional<DeclaredChecksum> checksum;        // an x-amz-checksum-* header
  std::optional<BodyChecksum> checksum_sum;
  std::optional<DeclaredChecksum> trailer;         // the one an aws-chunked trailer carries
  objstore::WriteCondition condition;              // a PutObject's If-None-Match / If-Match
  Digest sha256 = NewDigest(EVP_sha256());
  Digest md5 = NewDigest(EVP_md5());
  std::string decoded;  // a piece's data, reused
  HttpResponse failure;  // why the reading stopped, when a write failed
  bool failed = false;

  Status Write(const std::string& piece) {
    std::string_view data = piece;
    if (decoder) {
      decoded.clear();
      if (Status st = decoder->Feed(piece, &decoded); !st.ok()) {
        Fail(ChunkedBodyError(st));
        return st;
      }
      data = decoded;
      if (data.empty()) return Status::Ok();
    }
    if (!declared_sha256.empty()) EVP_DigestUpdate(sha256.get(), data.data(), data.size());
    EVP_DigestUpdate(md5.get(), data.data(), data.size());
    if (checksum_sum) checksum_sum->Update(data);
    written += data.size();
    Status st = writer->Write(data);
    if (!st.ok()) Fail(S3Error(st, false));
    return st;
  }

  void Fail(HttpResponse answer) {
    failed = true;
    failure = std::move(answer);
    writer->Abort();
  }

  HttpResponse Finish(bool complete) {
    if (failed) {
      writer->Abort();
      return std::move(failure);
    }
    if (complete && decoder) {
      if (Status st = decoder->Finish(); !st.ok()) {
        writer->Abort();
        return ChunkedBodyError(st);
      }
    }
    if (!complete || written != length) {
      writer->Abort();
      return S3Error(400, "IncompleteBody",
                     "the body ended after " + std::to_string(written) + " of the " + std::to_string(length) +
                         " bytes its " + (decoder ? "x-amz-decoded-content-length" : "Content-Length") +
                         " announced; nothing was stored");
    }
    const std::string md5_hex = FinalHex(md5.get());
    if (!declared_sha256.empty()) {
      const std::string sha256_hex = FinalHex(sha256.get());
      if (sha256_hex != declared_sha256) {
        writer->Abort();
        return S3Error(400, "XAmzContentSHA256Mismatch",
                       "x-amz-content-sha256 " + declared_sha256 + " is not the SHA-256 of the body received (" +
                           sha256_hex + "); nothing was stored");
      }
    }
    if (!content_md5.empty()) {
      auto binary = Base64Decode(content_md5);
      if (!binary.ok() || HexEncode(*binary) != md5_hex) {
        writer->Abort();
        return S3Error(400, "BadDigest", "Content-MD5 '" + content_md5 + "' is not the MD5 of the body; nothing was stored");
      }
    }
    HttpResponse r;
    if (checksum) {
      const std::string computed = checksum_sum->Base64();
      if (std::string mismatch = ChecksumMismatch(*checksum, computed); !mismatch.empty()) {
        writer->Abort();
        return S3Error(400, "BadDigest", mismatch);
      }
      r.headers[checksum->header] = computed;
      writer->SetChecksum(checksum->header + ":" + computed);
    }
    if (trailer) {  // checked by the decoder
      r.headers[trailer->header] = decoder->trailer_checksum();
      writer->SetChecksum(trailer->header + ":" + decoder->trailer_checksum());
    }
    writer->SetEtag(md5_hex);
    if (Status st = writer->Commit(); !st.ok()) {
      if (auto failed = ConditionFailure(st, condition)) return std::move(*failed);
      return st.code() == ErrorCode::kNotFound ? S3Error(404, "NoSuchUpload", st.message()) : S3Error(st, false);
    }
    // The ETag reads give back: the MD5 where the lake keeps a given one, an S3 lake's own
    // (past its multipart threshold, the ETag of the parts it uploaded) otherwise.
    const std::string stored = writer->StoredEtag();
    r.headers["ETag"] = QuotedEtag(stored.empty() ? md5_hex : stored);
    return r;
  }
};

// How an aws-chunked body is to be decoded, from its header; or S3's refusal.
Result<AwsChunkedDecoder> ChunkedDecoderOf(const net::HttpRequest& header, const SigV4Check& signature,
                                           std::optional<DeclaredChecksum>* trailer, uint64_t* decoded_length) {
  const std::string& sha256 = header.Header("x-amz-content-sha256");
  auto form = AwsChunkedFormOf(sha256);
  if (!form) {
    return InvalidArgument("Content-Encoding aws-chunked needs x-amz-content-sha256 to name its form "
                           "(STREAMING-AWS4-HMAC-SHA256-PAYLOAD, STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER or "
                           "STREAMING-UNSIGNED-PAYLOAD-TRAILER), not '" + sha256 + "'");
  }
  const std::string& length = header.Header("x-amz-decoded-content-length");
  if (length.empty() || length.size() > 15 || length.find_first_not_of("0123456789") != std::string::npos) {
    return InvalidArgument(length.empty() ? "x-amz-decoded-content-length is required with x-amz-content-sha256 " + sha256 +
                                                ": the object's length"
                                          : "x-amz-decoded-content-length '" + length + "' is not a length in bytes");
  }
  *decoded_length = std::stoull(length);
  const std::string& trailer_name = header.Header("x-amz-trailer");
  if (*form == AwsChunkedForm::kSigned) {
    if (!trailer_name.empty()) {
      return InvalidArgument("x-amz-trailer '" + trailer_name + "' with x-amz-content-sha256 " + sha256 +
                             ", which has no trailer (...-PAYLOAD-TRAILER has)");
    }
  } else {
    auto algorithm = ChecksumAlgorithmOfHeader(trailer_name);
    if (!algorithm) {
      return InvalidArgument(trailer_name.empty()
                                 ? "x-amz-trailer is required with x-amz-content-sha256 " + sha256 +
                                       ": the checksum the trailer carries (x-amz-checksum-crc32, -crc32c, "
                                       "-crc64nvme, -sha1 or -sha256)"
                                 : "x-amz-trailer '" + trailer_name +
                                       "' names no checksum (x-amz-checksum-crc32, -crc32c, -crc64nvme, -sha1, -sha256)");
    }
    *trailer = DeclaredChecksum{AsciiLowered(trailer_name), "", *algorithm};
  }
  AwsChunkSigning signing;
  if (*form != AwsChunkedForm::kUnsignedTrailer) {
    if (signature.signature.empty() || signature.presigned) {
      return InvalidArgument("x-amz-content-sha256 " + sha256 +
                             " signs each chunk from the request's Authorization signature: sign the request "
                             "with Signature Version 4");
    }
    signing = {signature.signing_key, signature.amz_date, signature.scope, signature.signature};
  }
  return AwsChunkedDecoder(*form, *decoded_length, std::move(signing), *trailer);
}

}  // namespace

std::shared_ptr<net::HttpBodySink> S3Api::TakeLargeBody(const net::HttpRequest& request,
                                                        const SigV4Check& signature,
                                                        std::optional<HttpResponse>* refusal) {
  net::HttpRequest header = request;  // the header alone: no body yet
  HoistPresignedHeaders(header);
  // Path-style: /<bucket>/<key>.
  std::string_view path = header.path;
  path.remove_prefix(std::min<size_t>(1, path.size()));
  const size_t slash = path.find('/');
  const std::string bucket(path.substr(0, slash));
  const std::string key = slash == std::string_view::npos ? "" : std::string(path.substr(slash + 1));
  const bool part = header.query.count("uploadId") || header.query.count("partNumber");
  const bool chunked = IsAwsChunkedUpload(header);
  if (header.method != "PUT" || key.empty() || !header.Header("x-amz-copy-source").empty()) {
    *refusal = chunked ? S3Error(400, "InvalidRequest",
                                 "an aws-chunked body is taken by PutObject and UploadPart only; send this "
                                 "request's body whole")
                       : S3Error(400, "EntityTooLarge",
                                 "the request body is larger than 16 MiB: only a PutObject's or an UploadPart's may be; "
                                 "this request takes no such body");
    return nullptr;
  }
  auto put = std::make_shared<LargePut>();
  if (chunked) {
    auto decoder = ChunkedDecoderOf(header, signature, &put->trailer, &put->length);
    if (!decoder.ok()) {
      *refusal = S3Error(400, "InvalidRequest", decoder.status().message());
      return nullptr;
    }
    put->decoder.emplace(std::move(*decoder));
  } else {
    put->length = std::stoull(header.Header("content-length"));
  }
  // As S3: one PutObject or part holds at most 5 GiB (larger objects are uploaded in
  // parts), so that a presigned URL's holder cannot fill the disk with one request.
  constexpr uint64_t kMaxSinglePut = 5ull << 30;
  if (put->length > kMaxSinglePut) {
    *refusal =
        S3Error(400, "EntityTooLarge",
                "a body of " + std::to_string(put->length) +
                    " bytes: one PutObject or part holds at most " + std::to_string(kMaxSinglePut) +
                    " bytes (5 GiB); upload a larger object in parts");
    return nullptr;
  }
  auto declared = DeclaredChecksumOf(header);
  if (!declared.ok()) {
    *refusal = S3Error(400, "InvalidRequest", declared.status().message());
    return nullptr;
  }
  if (*declared) {
    put->checksum = std::move(**declared);
    put->checksum_sum.emplace(put->checksum->algorithm);
  }
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
    if (auto refused = RefuseWriteConditions(header, &options->condition)) {
      *refusal = std::move(*refused);
      return nullptr;
    }
    put->condition = options->condition;
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
  if (IsSha256Hex(sent_sha256)) put->declared_sha256 = sent_sha256;  // else a presigned URL's, unsigned, or aws-chunked
  put->content_md5 = header.Header("content-md5");

  auto sink = std::make_shared<net::HttpBodySink>();
  sink->write = [this, put](std::string piece, std::function<void(Status)> done) {
    const uint64_t bytes = piece.size();
    std::function<void()> call = [put, piece = std::move(piece), done]() { done(put->Write(piece)); };
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
