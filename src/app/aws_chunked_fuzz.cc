// libFuzzer target for the aws-chunked decoder: an upload's body comes from any client
// that holds a key, a streamed one from any SDK. Decoding must give the data or an error
// saying why (never a crash, a hang or an exception); the data of a body that decodes is
// exactly x-amz-decoded-content-length bytes; and the outcome does not depend on how the
// body is cut into pieces (whole, and in pieces of the size the input names: the same
// status code, message and data). Built by scripts/run-fuzz.
//
// Input: byte 0 the form (mod 3: signed, signed with trailer, unsigned with trailer),
// byte 1 the piece size (1 + mod 64), bytes 2..3 x-amz-decoded-content-length (little
// endian), then the body. Signed forms are checked against AWS's example key, day and
// seed (aws_chunked_test.cc); trailers carry x-amz-checksum-crc32.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "app/aws_chunked.h"
#include "objstore/sigv4.h"

namespace {

using tributary::Status;
using namespace tributary::app;

struct Outcome {
  Status status;
  std::string data;
};

Outcome Decode(AwsChunkedForm form, uint64_t length, std::string_view body, size_t piece) {
  static const std::string key =
      tributary::objstore::sigv4::SigningKey("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "20130524", "us-east-1", "s3");
  std::optional<DeclaredChecksum> trailer;
  if (form != AwsChunkedForm::kSigned) trailer = DeclaredChecksum{"x-amz-checksum-crc32", "", S3ChecksumAlgorithm::kCrc32};
  AwsChunkedDecoder decoder(form, length,
                            {key, "20130524T000000Z", "20130524/us-east-1/s3/aws4_request",
                             "4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9"},
                            trailer);
  Outcome out;
  for (size_t at = 0; at < body.size(); at += piece) {
    out.status = decoder.Feed(body.substr(at, piece), &out.data);
    if (!out.status.ok()) return out;
  }
  out.status = decoder.Finish();
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 4) return 0;
  const auto form = static_cast<AwsChunkedForm>(data[0] % 3);
  const size_t piece = 1 + data[1] % 64;
  const uint64_t length = data[2] | (uint64_t{data[3]} << 8);
  std::string_view body(reinterpret_cast<const char*>(data) + 4, size - 4);

  Outcome whole = Decode(form, length, body, body.size() + 1);
  Outcome cut = Decode(form, length, body, piece);
  if (!whole.status.ok() && whole.status.message().empty()) std::abort();  // every error says what is wrong
  if (whole.status.ok() && whole.data.size() != length) std::abort();
  // The cut may only change where a framing error is seen first, never whether it is one.
  if (whole.status.code() != cut.status.code()) std::abort();
  if (whole.status.ok() && whole.data != cut.data) std::abort();
  return 0;
}
