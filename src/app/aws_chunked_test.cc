// The aws-chunked decoder against AWS's published examples (S3 API reference, "Transferring
// payload in multiple chunks" and its trailer variant: 66,560 bytes of 'a' in chunks of
// 65,536, 1,024 and 0, signed for 20130524 us-east-1 s3 with the documentation's key), fed
// whole and in every cut; then each way a body can be wrong. And S3's checksums against
// their catalogued check values.
#include "app/aws_chunked.h"

#include <gtest/gtest.h>

#include <sstream>
#include <vector>

#include "app/s3_checksums.h"
#include "base/deflate.h"
#include "base/files.h"
#include "objstore/sigv4.h"

namespace tributary::app {
namespace {

constexpr char kSecret[] = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
constexpr uint64_t kLength = 66560;

AwsChunkSigning DocSigning(std::string seed) {
  return {objstore::sigv4::SigningKey(kSecret, "20130524", "us-east-1", "s3"), "20130524T000000Z",
          "20130524/us-east-1/s3/aws4_request", std::move(seed)};
}

std::string SignedChunk(size_t size, const std::string& signature) {
  std::ostringstream hex;
  hex << std::hex << size;
  return hex.str() + ";chunk-signature=" + signature + "\r\n" + std::string(size, 'a') + (size ? "\r\n" : "");
}

// The documentation's signed body.
std::string DocSignedBody() {
  return SignedChunk(65536, "ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648") +
         SignedChunk(1024, "0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497") +
         SignedChunk(0, "b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9") + "\r\n";
}
constexpr char kDocSeed[] = "4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9";

// The trailer example's body: the same data, a CRC32C trailer and its signature.
std::string DocTrailerBody(const std::string& trailer_signature = "d81f82fc3505edab99d459891051a732e8730629a2e4a59689829ca17fe2e435",
                           const std::string& checksum = "sOO8/Q==") {
  return SignedChunk(65536, "b474d8862b1487a5145d686f57f013e54db672cee1c953b3010fb58501ef5aa2") +
         SignedChunk(1024, "1c1344b170168f8e65b41376b44b20fe354e373826ccbbe2c1d40a8cae51e5c7") +
         SignedChunk(0, "2ca2aba2005185cf7159c6277faf83795951dd77a3a99e6e65d5c9f85863f992") +
         "x-amz-checksum-crc32c:" + checksum + "\r\nx-amz-trailer-signature:" + trailer_signature + "\r\n\r\n";
}
constexpr char kDocTrailerSeed[] = "106e2a8a18243abcf37539882f36619c00e2dfc72633413f02d3b74544bfeb8e";

DeclaredChecksum Trailer(std::string header, S3ChecksumAlgorithm algorithm) {
  return {std::move(header), "", algorithm};
}

struct Decoded {
  Status status;
  std::string data;
};

// Feeds `body` in pieces of `piece` bytes (0: whole), then finishes.
Decoded Decode(AwsChunkedDecoder decoder, const std::string& body, size_t piece = 0) {
  Decoded d;
  if (piece == 0) piece = body.size() + 1;
  for (size_t at = 0; at < body.size(); at += piece) {
    d.status = decoder.Feed(std::string_view(body).substr(at, piece), &d.data);
    if (!d.status.ok()) return d;
  }
  d.status = decoder.Finish();
  return d;
}

TEST(AwsChunkedTest, TheDocumentationsSignedBodyInEveryCut) {
  for (size_t piece : {0, 1, 2, 7, 64, 65, 4096, 65537}) {
    Decoded d = Decode(AwsChunkedDecoder(AwsChunkedForm::kSigned, kLength, DocSigning(kDocSeed), std::nullopt),
                       DocSignedBody(), piece);
    ASSERT_TRUE(d.status.ok()) << "pieces of " << piece << ": " << d.status.message();
    EXPECT_EQ(d.data, std::string(kLength, 'a')) << piece;
  }
}

TEST(AwsChunkedTest, TheDocumentationsTrailerBody) {
  for (size_t piece : {0, 1, 13, 65536}) {
    Decoded d = Decode(AwsChunkedDecoder(AwsChunkedForm::kSignedTrailer, kLength, DocSigning(kDocTrailerSeed),
                                         Trailer("x-amz-checksum-crc32c", S3ChecksumAlgorithm::kCrc32c)),
                       DocTrailerBody(), piece);
    ASSERT_TRUE(d.status.ok()) << "pieces of " << piece << ": " << d.status.message();
    EXPECT_EQ(d.data, std::string(kLength, 'a'));
  }
}

TEST(AwsChunkedTest, AnotherSeedOrAChangedByteIsRefusedNamingTheChunk) {
  Decoded seed = Decode(AwsChunkedDecoder(AwsChunkedForm::kSigned, kLength, DocSigning(kDocTrailerSeed), std::nullopt),
                        DocSignedBody());
  EXPECT_EQ(seed.status.code(), ErrorCode::kUnauthenticated);
  EXPECT_NE(seed.status.message().find("chunk 1's signature"), std::string::npos) << seed.status.message();

  std::string body = DocSignedBody();
  body[body.find("\r\n", 100) + 500] = 'b';  // a byte of the second chunk's data
  Decoded flipped = Decode(AwsChunkedDecoder(AwsChunkedForm::kSigned, kLength, DocSigning(kDocSeed), std::nullopt), body);
  EXPECT_EQ(flipped.status.code(), ErrorCode::kUnauthenticated);
  EXPECT_NE(flipped.status.message().find("chunk 2's signature (1024 bytes)"), std::string::npos)
      << flipped.status.message();

  // The chunks of one body, in another order of signatures: the chain is broken.
  std::string swapped = SignedChunk(65536, "0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497");
  Decoded order = Decode(AwsChunkedDecoder(AwsChunkedForm::kSigned, kLength, DocSigning(kDocSeed), std::nullopt), swapped);
  EXPECT_EQ(order.status.code(), ErrorCode::kUnauthenticated);
}

TEST(AwsChunkedTest, TheTrailersSignatureAndChecksumAreChecked) {
  auto decoder = [] {
    return AwsChunkedDecoder(AwsChunkedForm::kSignedTrailer, kLength, DocSigning(kDocTrailerSeed),
                             Trailer("x-amz-checksum-crc32c", S3ChecksumAlgorithm::kCrc32c));
  };
  Decoded wrong_signature = Decode(decoder(), DocTrailerBody(std::string(64, '0')));
  EXPECT_EQ(wrong_signature.status.code(), ErrorCode::kUnauthenticated);
  EXPECT_NE(wrong_signature.status.message().find("x-amz-trailer-signature"), std::string::npos);
  // Another checksum under the documented signature: the signature no longer matches.
  Decoded wrong_checksum = Decode(decoder(), DocTrailerBody("d81f82fc3505edab99d459891051a732e8730629a2e4a59689829ca17fe2e435", "AAAAAA=="));
  EXPECT_EQ(wrong_checksum.status.code(), ErrorCode::kUnauthenticated);
  // Without the signature line.
  std::string unsigned_trailer = DocTrailerBody();
  unsigned_trailer.erase(unsigned_trailer.find("x-amz-trailer-signature"));
  unsigned_trailer += "\r\n";
  Decoded missing = Decode(decoder(), unsigned_trailer);
  EXPECT_EQ(missing.status.code(), ErrorCode::kProtocolError);
  EXPECT_NE(missing.status.message().find("no x-amz-trailer-signature"), std::string::npos) << missing.status.message();
}

// The unsigned form, as the AWS SDK for JavaScript sends a streamed body.
std::string UnsignedBody(const std::vector<std::string>& chunks, const std::string& trailer) {
  std::string body;
  for (const std::string& c : chunks) {
    std::ostringstream hex;
    hex << std::hex << c.size();
    body += hex.str() + "\r\n" + c + "\r\n";
  }
  return body + "0\r\n" + trailer + "\r\n\r\n";
}

AwsChunkedDecoder UnsignedDecoder(uint64_t length, S3ChecksumAlgorithm algorithm = S3ChecksumAlgorithm::kCrc32,
                                  std::string header = "x-amz-checksum-crc32") {
  return AwsChunkedDecoder(AwsChunkedForm::kUnsignedTrailer, length, {}, Trailer(std::move(header), algorithm));
}

TEST(AwsChunkedTest, AnUnsignedBodyIsCheckedAgainstItsTrailersChecksum) {
  // CRC32 of "123456789" is cbf43926: "y/Q5Jg==".
  Decoded ok = Decode(UnsignedDecoder(9), UnsignedBody({"1234", "56789"}, "x-amz-checksum-crc32:y/Q5Jg=="), 3);
  ASSERT_TRUE(ok.status.ok()) << ok.status.message();
  EXPECT_EQ(ok.data, "123456789");
  // Trailer names in any case.
  EXPECT_TRUE(Decode(UnsignedDecoder(9), UnsignedBody({"123456789"}, "X-Amz-Checksum-CRC32: y/Q5Jg==")).status.ok());

  Decoded wrong = Decode(UnsignedDecoder(9), UnsignedBody({"1234", "56780"}, "x-amz-checksum-crc32:y/Q5Jg=="));
  EXPECT_EQ(wrong.status.code(), ErrorCode::kDataLoss);
  EXPECT_NE(wrong.status.message().find("x-amz-checksum-crc32 'y/Q5Jg==' is not the CRC32 of the body received"),
            std::string::npos) << wrong.status.message();

  Decoded other = Decode(UnsignedDecoder(9), UnsignedBody({"123456789"}, "x-amz-checksum-sha256:y/Q5Jg=="));
  EXPECT_EQ(other.status.code(), ErrorCode::kProtocolError);
  EXPECT_NE(other.status.message().find("not the x-amz-checksum-crc32 that x-amz-trailer announced"), std::string::npos);

  std::string no_trailer = "9\r\n123456789\r\n0\r\n\r\n";
  Decoded none = Decode(UnsignedDecoder(9), no_trailer);
  EXPECT_EQ(none.status.code(), ErrorCode::kProtocolError);
  EXPECT_NE(none.status.message().find("does not carry x-amz-checksum-crc32"), std::string::npos);
}

TEST(AwsChunkedTest, LengthsAndFramingThatAreWrongAreNamed) {
  const std::string trailer = "x-amz-checksum-crc32:y/Q5Jg==";
  // Fewer bytes than announced, then more.
  Decoded short_body = Decode(UnsignedDecoder(10), UnsignedBody({"123456789"}, trailer));
  EXPECT_EQ(short_body.status.code(), ErrorCode::kFailedPrecondition);
  EXPECT_NE(short_body.status.message().find("hold 9 bytes, not the 10"), std::string::npos) << short_body.status.message();
  Decoded long_body = Decode(UnsignedDecoder(8), UnsignedBody({"123456789"}, trailer));
  EXPECT_EQ(long_body.status.code(), ErrorCode::kFailedPrecondition);
  EXPECT_NE(long_body.status.message().find("chunk 1 (offset 0): 9 bytes"), std::string::npos) << long_body.status.message();
  // Cut before the end.
  std::string whole = UnsignedBody({"1234", "56789"}, trailer);
  Decoded cut = Decode(UnsignedDecoder(9), whole.substr(0, whole.size() - 5));
  EXPECT_EQ(cut.status.code(), ErrorCode::kFailedPrecondition);
  EXPECT_NE(cut.status.message().find("ended before its final chunk"), std::string::npos);
  // Not hexadecimal; a size that is not the data's; a bare LF; bytes after the end.
  Decoded hex = Decode(UnsignedDecoder(9), "x9\r\n123456789\r\n0\r\n" + trailer + "\r\n\r\n");
  EXPECT_EQ(hex.status.code(), ErrorCode::kProtocolError);
  EXPECT_NE(hex.status.message().find("'x9' is not a chunk size in hexadecimal"), std::string::npos);
  Decoded size = Decode(UnsignedDecoder(9), "4\r\n123456789\r\n0\r\n" + trailer + "\r\n\r\n");
  EXPECT_EQ(size.status.code(), ErrorCode::kProtocolError);
  EXPECT_NE(size.status.message().find("chunk 1 (4 bytes) is not followed by CRLF (at offset 7"), std::string::npos)
      << size.status.message();
  Decoded lf = Decode(UnsignedDecoder(9), "9\n123456789\r\n");
  EXPECT_EQ(lf.status.code(), ErrorCode::kProtocolError);
  Decoded after = Decode(UnsignedDecoder(9), UnsignedBody({"123456789"}, trailer) + "x");
  EXPECT_EQ(after.status.code(), ErrorCode::kProtocolError);
  EXPECT_NE(after.status.message().find("goes on after its final chunk"), std::string::npos);
  // A signature on an unsigned body's chunk; none on a signed body's.
  Decoded extension = Decode(UnsignedDecoder(9), "9;chunk-signature=ab\r\n123456789\r\n");
  EXPECT_EQ(extension.status.code(), ErrorCode::kProtocolError);
  Decoded bare = Decode(AwsChunkedDecoder(AwsChunkedForm::kSigned, 9, DocSigning(kDocSeed), std::nullopt),
                        "9\r\n123456789\r\n");
  EXPECT_EQ(bare.status.code(), ErrorCode::kProtocolError);
  EXPECT_NE(bare.status.message().find("chunk-signature=<64 hex digits>"), std::string::npos);
  // A line without end.
  Decoded endless = Decode(UnsignedDecoder(9), std::string(5000, '1'));
  EXPECT_EQ(endless.status.code(), ErrorCode::kProtocolError);
  EXPECT_NE(endless.status.message().find("longer than 4096 bytes"), std::string::npos);
}

// The fuzz target's seed corpus (tests/fuzz/aws_chunked, aws_chunked_fuzz.cc's input
// layout) holds bodies that decode: the fuzzer starts from valid bodies of each form.
TEST(AwsChunkedTest, TheFuzzSeedsDecode) {
  const std::string dir = std::string(TRIBUTARY_SOURCE_DIR) + "/tests/fuzz/aws_chunked/";
  for (const char* name : {"signed", "signed_trailer", "unsigned_trailer", "unsigned_empty"}) {
    auto input = ReadFile(dir + name);
    ASSERT_TRUE(input.ok()) << input.status().ToString();
    ASSERT_GE(input->size(), 4u);
    const auto form = static_cast<AwsChunkedForm>(static_cast<uint8_t>((*input)[0]) % 3);
    const uint64_t length = static_cast<uint8_t>((*input)[2]) | (uint64_t{static_cast<uint8_t>((*input)[3])} << 8);
    std::optional<DeclaredChecksum> trailer;
    if (form != AwsChunkedForm::kSigned) trailer = Trailer("x-amz-checksum-crc32", S3ChecksumAlgorithm::kCrc32);
    Decoded d = Decode(AwsChunkedDecoder(form, length, DocSigning(kDocSeed), trailer), input->substr(4), 3);
    EXPECT_TRUE(d.status.ok()) << name << ": " << d.status.message();
    EXPECT_EQ(d.data.size(), length) << name;
  }
}

TEST(S3ChecksumsTest, CheckValuesOfEachAlgorithm) {
  // The catalogued check values: each CRC of "123456789".
  EXPECT_EQ(Crc32c(0, "123456789"), 0xE3069283u);
  EXPECT_EQ(Crc64Nvme(0, "123456789"), 0xAE8B14860A799888ull);
  EXPECT_EQ(Crc32c(Crc32c(0, "1234"), "56789"), 0xE3069283u);  // piece by piece
  EXPECT_EQ(Crc32("123456789"), 0xCBF43926u);
  EXPECT_EQ(Crc32("56789", Crc32("1234")), 0xCBF43926u);
  struct Case {
    S3ChecksumAlgorithm algorithm;
    std::string base64;
  };
  for (const Case& c : {Case{S3ChecksumAlgorithm::kCrc32, "y/Q5Jg=="}, Case{S3ChecksumAlgorithm::kCrc32c, "4waSgw=="},
                        Case{S3ChecksumAlgorithm::kCrc64Nvme, "rosUhgp5mIg="},
                        // SHA-1 and SHA-256 of "123456789".
                        Case{S3ChecksumAlgorithm::kSha1, "98O8HYCOBHMq32eZZczDTKeuNEE="},
                        Case{S3ChecksumAlgorithm::kSha256, "FeKw08M4keuw8e9gnsQZQgwg4yDOlMZfvIwzEkSOsiU="}}) {
    BodyChecksum sum(c.algorithm);
    sum.Update("12345");
    sum.Update("6789");
    EXPECT_EQ(sum.Base64(), c.base64) << ChecksumAlgorithmName(c.algorithm);
  }
  EXPECT_EQ(ChecksumAlgorithmOfHeader("X-Amz-Checksum-CRC64NVME"), S3ChecksumAlgorithm::kCrc64Nvme);
  EXPECT_FALSE(ChecksumAlgorithmOfHeader("x-amz-checksum-md5").has_value());
}

TEST(S3ChecksumsTest, TheDeclaredChecksumOfARequest) {
  net::HttpRequest r;
  EXPECT_FALSE(DeclaredChecksumOf(r)->has_value());
  r.headers["x-amz-checksum-crc32c"] = "4waSgw==";
  r.headers["x-amz-checksum-type"] = "FULL_OBJECT";
  auto declared = DeclaredChecksumOf(r);
  ASSERT_TRUE(declared.ok() && declared->has_value());
  EXPECT_EQ((*declared)->algorithm, S3ChecksumAlgorithm::kCrc32c);
  EXPECT_EQ(ChecksumMismatch(**declared, "4waSgw=="), "");
  EXPECT_NE(ChecksumMismatch(**declared, "AAAAAA==").find("is not the CRC32C of the body received ('AAAAAA==')"),
            std::string::npos);
  r.headers["x-amz-checksum-sha256"] = "x";
  EXPECT_NE(DeclaredChecksumOf(r).status().message().find("two checksums were sent"), std::string::npos);
  r.headers.erase("x-amz-checksum-sha256");
  r.headers["x-amz-checksum-md5"] = "x";
  EXPECT_NE(DeclaredChecksumOf(r).status().message().find("x-amz-checksum-md5 names no checksum"), std::string::npos);
}

}  // namespace
}  // namespace tributary::app
