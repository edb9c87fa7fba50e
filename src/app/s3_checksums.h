// S3's additional checksums (x-amz-checksum-crc32, -crc32c, -crc64nvme, -sha1, -sha256):
// what the AWS SDKs compute over an upload's body and send, in a header or in an
// aws-chunked body's trailer, each the big-endian digest in base64. A body is checked
// against the one sent before it is stored.
//
//   BodyChecksum sum(S3ChecksumAlgorithm::kCrc32);
//   sum.Update(piece); ...
//   if (sum.Base64() != sent) ...
// Not thread-safe (one per body).
#pragma once

#include <openssl/evp.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "base/status.h"
#include "net/http_types.h"

namespace tributary::app {

enum class S3ChecksumAlgorithm { kCrc32, kCrc32c, kCrc64Nvme, kSha1, kSha256 };

// "x-amz-checksum-crc32" (any case) -> kCrc32; nullopt for any other name.
std::optional<S3ChecksumAlgorithm> ChecksumAlgorithmOfHeader(std::string_view header_name);
// "CRC32", "CRC64NVME", "SHA256" (as x-amz-sdk-checksum-algorithm and error messages name them).
std::string_view ChecksumAlgorithmName(S3ChecksumAlgorithm algorithm);

// The reflected CRCs, updated a piece at a time (`crc` 0 to start).
uint32_t Crc32c(uint32_t crc, std::string_view data);
uint64_t Crc64Nvme(uint64_t crc, std::string_view data);

class BodyChecksum {
 public:
  explicit BodyChecksum(S3ChecksumAlgorithm algorithm);
  ~BodyChecksum();
  BodyChecksum(BodyChecksum&&) noexcept;
  BodyChecksum& operator=(BodyChecksum&&) noexcept;

  void Update(std::string_view data);
  // The digest (big-endian bytes), and in base64 as the header carries it. Call one of
  // them once, after the last Update.
  std::string Digest();
  std::string Base64();
  S3ChecksumAlgorithm algorithm() const { return algorithm_; }

 private:
  struct DigestFree {
    void operator()(EVP_MD_CTX* ctx) const { EVP_MD_CTX_free(ctx); }
  };
  S3ChecksumAlgorithm algorithm_;
  uint64_t crc_ = 0;
  std::unique_ptr<EVP_MD_CTX, DigestFree> digest_;  // SHA-1, SHA-256
};

// A checksum sent for a body: the header's name (lower case) and value.
struct DeclaredChecksum {
  std::string header;  // "x-amz-checksum-crc32"
  std::string value;   // base64
  S3ChecksumAlgorithm algorithm = S3ChecksumAlgorithm::kCrc32;
};

// The x-amz-checksum-* header a request carries, if any; InvalidArgument for an
// algorithm S3 does not define (x-amz-checksum-md5) or more than one.
Result<std::optional<DeclaredChecksum>> DeclaredChecksumOf(const net::HttpRequest& request);

// "" when `computed` (base64) is the declared value, else the message a BadDigest carries.
std::string ChecksumMismatch(const DeclaredChecksum& declared, const std::string& computed);

}  // namespace tributary::app
