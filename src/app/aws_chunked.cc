#include "app/aws_chunked.h"

#include <openssl/crypto.h>

#include "base/ascii.h"
#include "base/hex.h"
#include "objstore/sigv4.h"

namespace tributary::app {
namespace {

constexpr size_t kMaxLine = 4096;  // a size or trailer line; a signed size line is ~90 bytes
constexpr std::string_view kSignatureExtension = "chunk-signature=";
constexpr std::string_view kTrailerSignature = "x-amz-trailer-signature";

bool IsLowerHex(std::string_view s) {
  return !s.empty() && s.find_first_not_of("0123456789abcdef") == std::string_view::npos;
}

bool SameSignature(const std::string& a, const std::string& b) {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

std::string_view Trimmed(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

}  // namespace

std::optional<AwsChunkedForm> AwsChunkedFormOf(std::string_view content_sha256) {
  if (content_sha256 == "STREAMING-AWS4-HMAC-SHA256-PAYLOAD") return AwsChunkedForm::kSigned;
  if (content_sha256 == "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER") return AwsChunkedForm::kSignedTrailer;
  if (content_sha256 == "STREAMING-UNSIGNED-PAYLOAD-TRAILER") return AwsChunkedForm::kUnsignedTrailer;
  return std::nullopt;
}

AwsChunkedDecoder::AwsChunkedDecoder(AwsChunkedForm form, uint64_t decoded_length, AwsChunkSigning signing,
                                     std::optional<DeclaredChecksum> trailer)
    : form_(form),
      decoded_length_(decoded_length),
      signing_(std::move(signing)),
      trailer_(std::move(trailer)),
      previous_signature_(signing_.seed_signature) {
  if (trailer_) trailer_sum_.emplace(trailer_->algorithm);
}

Status AwsChunkedDecoder::Fail(Status status) {
  state_ = State::kFailed;
  return status;
}

Status AwsChunkedDecoder::Feed(std::string_view in, std::string* out) {
  if (state_ == State::kFailed) return ProtocolError("the aws-chunked body was already refused");
  while (!in.empty()) {
    switch (state_) {
      case State::kData: {
        const size_t n = static_cast<size_t>(std::min<uint64_t>(chunk_left_, in.size()));
        std::string_view data = in.substr(0, n);
        out->append(data);
        if (chunk_sha256_) chunk_sha256_->Update(data);
        if (trailer_sum_) trailer_sum_->Update(data);
        chunk_left_ -= n;
        decoded_ += n;
        offset_ += n;
        in.remove_prefix(n);
        if (chunk_left_ == 0) state_ = State::kDataEnd;
        break;
      }
      case State::kDataEnd: {
        const size_t n = std::min<size_t>(2 - line_.size(), in.size());
        line_.append(in.substr(0, n));
        offset_ += n;
        in.remove_prefix(n);
        if (line_.size() < 2) break;
        if (line_ != "\r\n") {
          return Fail(ProtocolError("chunk " + std::to_string(chunk_number_) + " (" + std::to_string(chunk_size_) +
                                    " bytes) is not followed by CRLF (at offset " + std::to_string(offset_ - 2) +
                                    " of the body): its size line does not say its length"));
        }
        line_.clear();
        if (Status st = OnChunkEnd(); !st.ok()) return Fail(st);
        state_ = State::kSizeLine;
        break;
      }
      case State::kSizeLine:
      case State::kTrailerLine: {
        const size_t end = in.find('\n');
        const size_t n = end == std::string_view::npos ? in.size() : end + 1;
        if (line_.size() + n > kMaxLine) {
          return Fail(ProtocolError(std::string(state_ == State::kSizeLine ? "a chunk's size line" : "a trailer line") +
                                    " at offset " + std::to_string(offset_ - line_.size()) + " is longer than " +
                                    std::to_string(kMaxLine) + " bytes"));
        }
        line_.append(in.substr(0, n));
        offset_ += n;
        in.remove_prefix(n);
        if (end == std::string_view::npos) break;
        if (line_.size() < 2 || line_[line_.size() - 2] != '\r') {
          return Fail(ProtocolError("a line of the aws-chunked body ends without CRLF (at offset " +
                                    std::to_string(offset_ - 1) + ")"));
        }
        std::string line = std::move(line_);
        line_.clear();
        line.resize(line.size() - 2);
        Status st = state_ == State::kSizeLine ? OnSizeLine(line) : OnTrailerLine(line);
        if (!st.ok()) return Fail(st);
        break;
      }
      case State::kDone:
        return Fail(ProtocolError("the body goes on after its final chunk and trailer (offset " +
                                  std::to_string(offset_) + ")"));
      case State::kFailed:
        return ProtocolError("the aws-chunked body was already refused");
    }
  }
  return Status::Ok();
}

Status AwsChunkedDecoder::OnSizeLine(std::string_view line) {
  ++chunk_number_;
  const std::string where = "chunk " + std::to_string(chunk_number_) + " (offset " +
                            std::to_string(offset_ - line.size() - 2) + ")";
  const size_t semicolon = line.find(';');
  std::string_view hex = line.substr(0, semicolon);
  std::string_view extension = semicolon == std::string_view::npos ? std::string_view() : line.substr(semicolon + 1);
  if (hex.empty() || hex.size() > 15 || hex.find_first_not_of("0123456789abcdefABCDEF") != std::string_view::npos) {
    return ProtocolError(where + ": '" + std::string(hex.substr(0, 40)) + "' is not a chunk size in hexadecimal");
  }
  chunk_size_ = std::stoull(std::string(hex), nullptr, 16);
  if (form_ == AwsChunkedForm::kUnsignedTrailer) {
    if (semicolon != std::string_view::npos) {
      return ProtocolError(where + ": an unsigned body's chunk carries ';" + std::string(extension.substr(0, 80)) +
                           "' (x-amz-content-sha256 STREAMING-UNSIGNED-PAYLOAD-TRAILER has no chunk signatures)");
    }
  } else {
    if (extension.substr(0, kSignatureExtension.size()) != kSignatureExtension ||
        !IsLowerHex(extension.substr(kSignatureExtension.size())) ||
        extension.size() != kSignatureExtension.size() + 64) {
      return ProtocolError(where + ": a signed body's size line is '<hex size>;chunk-signature=<64 hex digits>', not '" +
                           std::string(line.substr(0, 120)) + "'");
    }
    chunk_signature_ = std::string(extension.substr(kSignatureExtension.size()));
    chunk_sha256_.emplace(S3ChecksumAlgorithm::kSha256);
  }
  if (chunk_size_ > decoded_length_ - decoded_) {
    return FailedPrecondition(where + ": " + std::to_string(chunk_size_) + " bytes after the " +
                              std::to_string(decoded_) + " before it run past x-amz-decoded-content-length (" +
                              std::to_string(decoded_length_) + ")");
  }
  chunk_left_ = chunk_size_;
  if (chunk_size_ > 0) {
    state_ = State::kData;
    return Status::Ok();
  }
  // The final chunk: no data, no CRLF of its own; the trailer (or the empty line) follows.
  if (Status st = OnChunkEnd(); !st.ok()) return st;
  state_ = State::kTrailerLine;
  return Status::Ok();
}

Status AwsChunkedDecoder::OnChunkEnd() {
  if (form_ == AwsChunkedForm::kUnsignedTrailer) return Status::Ok();
  const std::string data_hash = HexEncode(chunk_sha256_->Digest());
  chunk_sha256_.reset();
  std::string expected = ChainSignature("AWS4-HMAC-SHA256-PAYLOAD",
                                        std::string(objstore::sigv4::kEmptyPayloadHash) + "\n" + data_hash);
  if (!SameSignature(expected, chunk_signature_)) {
    return Unauthenticated("chunk " + std::to_string(chunk_number_) + "'s signature (" + std::to_string(chunk_size_) +
                           " bytes) does not match: its data, or the chain of chunks before it, is not what was signed");
  }
  previous_signature_ = std::move(expected);
  return Status::Ok();
}

Status AwsChunkedDecoder::OnTrailerLine(std::string_view line) {
  if (line.empty()) return OnTrailerEnd();
  const size_t colon = line.find(':');
  if (colon == std::string_view::npos) {
    return ProtocolError("trailer line '" + std::string(line.substr(0, 80)) + "' is not '<name>:<value>'");
  }
  const std::string name = AsciiLowered(Trimmed(line.substr(0, colon)));
  const std::string_view value = Trimmed(line.substr(colon + 1));
  if (name == kTrailerSignature) {
    if (form_ != AwsChunkedForm::kSignedTrailer) {
      return ProtocolError("the trailer carries x-amz-trailer-signature, which only x-amz-content-sha256 "
                           "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER has");
    }
    trailer_signature_ = std::string(value);
    return Status::Ok();
  }
  if (!trailer_) {
    return ProtocolError("the body has a trailer ('" + name + "') but the request announced none (x-amz-trailer)");
  }
  if (name != trailer_->header) {
    return ProtocolError("the trailer carries '" + name + "', not the " + trailer_->header +
                         " that x-amz-trailer announced");
  }
  if (trailer_seen_) return ProtocolError("the trailer carries " + name + " twice");
  trailer_seen_ = true;
  trailer_value_ = std::string(value);
  return Status::Ok();
}

Status AwsChunkedDecoder::OnTrailerEnd() {
  if (trailer_ && !trailer_seen_) {
    return ProtocolError("the body's trailer does not carry " + trailer_->header + ", which x-amz-trailer announced");
  }
  if (form_ == AwsChunkedForm::kSignedTrailer) {
    if (trailer_signature_.empty()) {
      return ProtocolError("the body's trailer has no x-amz-trailer-signature (x-amz-content-sha256 "
                           "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER)");
    }
    std::string canonical = trailer_ ? trailer_->header + ":" + trailer_value_ + "\n" : std::string();
    std::string expected =
        ChainSignature("AWS4-HMAC-SHA256-TRAILER", objstore::sigv4::Sha256Hex(canonical));
    if (!SameSignature(expected, trailer_signature_)) {
      return Unauthenticated("the trailer's signature (x-amz-trailer-signature) does not match: the trailer is not "
                             "what was signed");
    }
  }
  if (trailer_) {
    DeclaredChecksum sent = *trailer_;
    sent.value = trailer_value_;
    if (std::string mismatch = ChecksumMismatch(sent, trailer_sum_->Base64()); !mismatch.empty()) {
      return DataLoss(mismatch);
    }
  }
  if (decoded_ != decoded_length_) {
    return FailedPrecondition("the body's chunks hold " + std::to_string(decoded_) + " bytes, not the " +
                              std::to_string(decoded_length_) + " x-amz-decoded-content-length announced");
  }
  state_ = State::kDone;
  return Status::Ok();
}

Status AwsChunkedDecoder::Finish() {
  if (state_ == State::kDone) return Status::Ok();
  if (state_ == State::kFailed) return ProtocolError("the aws-chunked body was refused");
  return FailedPrecondition("the body ended before its final chunk and trailer: " + std::to_string(decoded_) +
                            " of the " + std::to_string(decoded_length_) +
                            " bytes x-amz-decoded-content-length announced");
}

std::string AwsChunkedDecoder::ChainSignature(std::string_view kind, std::string_view hashed) const {
  std::string to_sign;
  to_sign.reserve(300);
  to_sign.append(kind).append("\n").append(signing_.amz_date).append("\n").append(signing_.scope).append("\n");
  to_sign.append(previous_signature_).append("\n").append(hashed);
  return HexEncode(objstore::sigv4::HmacSha256(signing_.signing_key, to_sign));
}

}  // namespace tributary::app
