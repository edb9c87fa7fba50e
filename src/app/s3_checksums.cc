#include "app/s3_checksums.h"

#include <array>

#include "base/ascii.h"
#include "base/base64.h"
#include "base/deflate.h"

namespace tributary::app {
namespace {

constexpr std::string_view kHeaderPrefix = "x-amz-checksum-";

template <typename T>
constexpr std::array<T, 256> ReflectedTable(T polynomial) {
  std::array<T, 256> table{};
  for (unsigned i = 0; i < 256; ++i) {
    T crc = i;
    for (int bit = 0; bit < 8; ++bit) crc = (crc & 1) ? (crc >> 1) ^ polynomial : crc >> 1;
    table[i] = crc;
  }
  return table;
}

// CRC-32C (Castagnoli) and CRC-64/NVME, both reflected, initial value and final xor all ones.
constexpr auto kCrc32cTable = ReflectedTable<uint32_t>(0x82F63B78u);
constexpr auto kCrc64NvmeTable = ReflectedTable<uint64_t>(0x9A6C9329AC4BC9B5ull);

template <typename T>
T ReflectedCrc(const std::array<T, 256>& table, T crc, std::string_view data) {
  crc = ~crc;
  for (unsigned char c : data) crc = table[(crc ^ c) & 0xff] ^ (crc >> 8);
  return ~crc;
}

template <typename T>
std::string BigEndian(T value) {
  std::string out(sizeof(T), '\0');
  for (size_t i = 0; i < sizeof(T); ++i) out[i] = static_cast<char>(value >> (8 * (sizeof(T) - 1 - i)));
  return out;
}

}  // namespace

std::optional<S3ChecksumAlgorithm> ChecksumAlgorithmOfHeader(std::string_view name) {
  if (name.size() <= kHeaderPrefix.size() || !EqualsIgnoreCase(name.substr(0, kHeaderPrefix.size()), kHeaderPrefix)) {
    return std::nullopt;
  }
  const std::string algorithm = AsciiLowered(name.substr(kHeaderPrefix.size()));
  if (algorithm == "crc32") return S3ChecksumAlgorithm::kCrc32;
  if (algorithm == "crc32c") return S3ChecksumAlgorithm::kCrc32c;
  if (algorithm == "crc64nvme") return S3ChecksumAlgorithm::kCrc64Nvme;
  if (algorithm == "sha1") return S3ChecksumAlgorithm::kSha1;
  if (algorithm == "sha256") return S3ChecksumAlgorithm::kSha256;
  return std::nullopt;
}

std::string_view ChecksumAlgorithmName(S3ChecksumAlgorithm algorithm) {
  switch (algorithm) {
    case S3ChecksumAlgorithm::kCrc32: return "CRC32";
    case S3ChecksumAlgorithm::kCrc32c: return "CRC32C";
    case S3ChecksumAlgorithm::kCrc64Nvme: return "CRC64NVME";
    case S3ChecksumAlgorithm::kSha1: return "SHA1";
    case S3ChecksumAlgorithm::kSha256: return "SHA256";
  }
  return "";
}

uint32_t Crc32c(uint32_t crc, std::string_view data) {
  return ReflectedCrc(kCrc32cTable, crc, data);
}
uint64_t Crc64Nvme(uint64_t crc, std::string_view data) { return ReflectedCrc(kCrc64NvmeTable, crc, data); }

BodyChecksum::BodyChecksum(S3ChecksumAlgorithm algorithm) : algorithm_(algorithm) {
  if (algorithm == S3ChecksumAlgorithm::kSha1 || algorithm == S3ChecksumAlgorithm::kSha256) {
    digest_.reset(EVP_MD_CTX_new());
    EVP_DigestInit_ex(digest_.get(), algorithm == S3ChecksumAlgorithm::kSha1 ? EVP_sha1() : EVP_sha256(), nullptr);
  }
}

BodyChecksum::~BodyChecksum() = default;
BodyChecksum::BodyChecksum(BodyChecksum&&) noexcept = default;
BodyChecksum& BodyChecksum::operator=(BodyChecksum&&) noexcept = default;

void BodyChecksum::Update(std::string_view data) {
  switch (algorithm_) {
    case S3ChecksumAlgorithm::kCrc32:
      crc_ = Crc32(data, static_cast<uint32_t>(crc_));
      break;
    case S3ChecksumAlgorithm::kCrc32c:
      crc_ = Crc32c(static_cast<uint32_t>(crc_), data);
      break;
    case S3ChecksumAlgorithm::kCrc64Nvme:
      crc_ = Crc64Nvme(crc_, data);
      break;
    case S3ChecksumAlgorithm::kSha1:
    case S3ChecksumAlgorithm::kSha256:
      EVP_DigestUpdate(digest_.get(), data.data(), data.size());
      break;
  }
}

std::string BodyChecksum::Base64() { return Base64Encode(Digest()); }

std::string BodyChecksum::Digest() {
  switch (algorithm_) {
    case S3ChecksumAlgorithm::kCrc32:
    case S3ChecksumAlgorithm::kCrc32c:
      return BigEndian(static_cast<uint32_t>(crc_));
    case S3ChecksumAlgorithm::kCrc64Nvme:
      return BigEndian(crc_);
    case S3ChecksumAlgorithm::kSha1:
    case S3ChecksumAlgorithm::kSha256:
      break;
  }
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_DigestFinal_ex(digest_.get(), digest, &length);
  return std::string(reinterpret_cast<const char*>(digest), length);
}

Result<std::optional<DeclaredChecksum>> DeclaredChecksumOf(const net::HttpRequest& request) {
  std::optional<DeclaredChecksum> found;
  for (const auto& [name, value] : request.headers) {
    if (name.rfind(kHeaderPrefix, 0) != 0) continue;  // names are lower case
    const std::string& lower = name;
    if (lower == "x-amz-checksum-type" || lower == "x-amz-checksum-algorithm") continue;  // not a digest
    auto algorithm = ChecksumAlgorithmOfHeader(lower);
    if (!algorithm) {
      return InvalidArgument(lower + " names no checksum S3 computes (crc32, crc32c, crc64nvme, sha1, sha256)");
    }
    if (found) return InvalidArgument("two checksums were sent (" + found->header + " and " + lower + "); send one");
    found = DeclaredChecksum{lower, value, *algorithm};
  }
  return found;
}

std::string ChecksumMismatch(const DeclaredChecksum& declared, const std::string& computed) {
  if (declared.value == computed) return "";
  return declared.header + " '" + declared.value + "' is not the " + std::string(ChecksumAlgorithmName(declared.algorithm)) +
         " of the body received ('" + computed + "'); nothing was stored";
}

}  // namespace tributary::app
