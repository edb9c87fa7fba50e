// Decoding an upload's body in AWS's aws-chunked content encoding, what AWS SDKs send for
// a PutObject or UploadPart whose body they stream rather than hash first. The form is
// the request's x-amz-content-sha256:
//   STREAMING-AWS4-HMAC-SHA256-PAYLOAD          <hex size>;chunk-signature=<sig>\r\n<data>\r\n
//                                               ... 0;chunk-signature=<sig>\r\n\r\n
//   STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER  the same, the final chunk followed by
//                                               <checksum header>:<base64>\r\n
//                                               x-amz-trailer-signature:<sig>\r\n\r\n
//   STREAMING-UNSIGNED-PAYLOAD-TRAILER          <hex size>\r\n<data>\r\n ... 0\r\n
//                                               <checksum header>:<base64>\r\n\r\n
// Each chunk's signature chains from the one before it (the first from the request's own
// signature, the seed): HMAC(signing key, "AWS4-HMAC-SHA256-PAYLOAD\n" date "\n" scope "\n"
// previous "\n" SHA-256("") "\n" SHA-256(data)); the trailer's likewise over
// "AWS4-HMAC-SHA256-TRAILER" and the SHA-256 of "<name>:<value>\n". A chunk's signature is
// checked when its data has all come, the trailer's checksum against every byte decoded.
//
// Fed the body a piece at a time, in any cut, the decoder appends the data to `out`; the
// caller writes it where it stays unseen until Finish() has said the whole body was good.
// Errors (Status codes): ProtocolError, the body is not aws-chunked as its form says (the
// offset named); Unauthenticated, a chunk's or the trailer's signature does not match;
// DataLoss, the trailer's checksum is not the data's; FailedPrecondition, the data is
// not x-amz-decoded-content-length bytes long. After an error the decoder takes nothing
// more. Not thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "app/s3_checksums.h"
#include "base/status.h"

namespace tributary::app {

enum class AwsChunkedForm { kSigned, kSignedTrailer, kUnsignedTrailer };

// The form an x-amz-content-sha256 value names; nullopt for any other value.
std::optional<AwsChunkedForm> AwsChunkedFormOf(std::string_view content_sha256);

// What a signed form's chunk signatures are computed from: the request's own signature.
struct AwsChunkSigning {
  std::string signing_key;     // SigV4's derived key, 32 raw bytes
  std::string amz_date;        // "20130524T000000Z"
  std::string scope;           // "20130524/us-east-1/s3/aws4_request"
  std::string seed_signature;  // the Authorization header's signature, hex
};

class AwsChunkedDecoder {
 public:
  // `signing` for the signed forms; `trailer` names the checksum header the trailer is to
  // carry (x-amz-trailer), required with the trailer forms, absent without them.
  AwsChunkedDecoder(AwsChunkedForm form, uint64_t decoded_length, AwsChunkSigning signing,
                    std::optional<DeclaredChecksum> trailer);

  // Appends the data in `in` to `out`.
  Status Feed(std::string_view in, std::string* out);
  // After the last piece: whether the body ended where its encoding does.
  Status Finish();

  uint64_t decoded() const { return decoded_; }
  // The trailer's checksum as sent (base64), once the trailer is read.
  const std::string& trailer_checksum() const { return trailer_value_; }

 private:
  enum class State { kSizeLine, kData, kDataEnd, kTrailerLine, kDone, kFailed };

  Status Fail(Status status);
  Status OnSizeLine(std::string_view line);
  Status OnChunkEnd();
  Status OnTrailerLine(std::string_view line);
  Status OnTrailerEnd();
  std::string ChainSignature(std::string_view kind, std::string_view hashed) const;

  AwsChunkedForm form_;
  uint64_t decoded_length_;
  AwsChunkSigning signing_;
  std::optional<DeclaredChecksum> trailer_;
  std::optional<BodyChecksum> trailer_sum_;

  State state_ = State::kSizeLine;
  uint64_t offset_ = 0;           // of the encoded body, for messages
  std::string line_;              // a size or trailer line as it comes
  uint64_t chunk_left_ = 0;       // data bytes of the chunk still to come
  uint64_t chunk_size_ = 0;
  int chunk_number_ = 0;          // 1-based, of the chunk being read
  std::string chunk_signature_;   // as sent on the chunk's size line
  std::string previous_signature_;
  std::optional<BodyChecksum> chunk_sha256_;
  uint64_t decoded_ = 0;
  std::string trailer_value_;
  std::string trailer_signature_;
  bool trailer_seen_ = false;
};

}  // namespace tributary::app
