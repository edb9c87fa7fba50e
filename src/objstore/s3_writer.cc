#include "objstore/s3_writer.h"

#include <openssl/evp.h>

#include <algorithm>

#include "base/hex.h"
#include "base/log.h"
#include "objstore/s3_responses.h"

namespace tributary::objstore::s3 {

Result<std::vector<std::pair<std::string, std::string>>> HeadersFor(const PutOptions& options) {
  std::vector<std::pair<std::string, std::string>> headers;
  if (!options.content_type.empty()) headers.emplace_back("content-type", options.content_type);
  if (!options.content_encoding.empty())
    headers.emplace_back("content-encoding", options.content_encoding);
  for (const auto& [name, value] : options.metadata) {
    std::string lower;
    for (char c : name) {
      bool token = std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.';
      if (!token)
        return InvalidArgument("metadata name '" + name +
                               "' may hold only letters, digits, '-', '_' and '.'");
      lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    for (char c : value)
      if (c == '\r' || c == '\n')
        return InvalidArgument("metadata '" + name + "' has a line break in its value");
    headers.emplace_back("x-amz-meta-" + lower, value);
  }
  return headers;
}

std::vector<std::pair<std::string, std::string>> ConditionHeaders(const WriteCondition& condition) {
  std::vector<std::pair<std::string, std::string>> headers;
  if (condition.if_absent) headers.emplace_back("if-none-match", "*");
  if (condition.if_match == "*") {
    headers.emplace_back("if-match", "*");
  } else if (!condition.if_match.empty()) {
    headers.emplace_back("if-match", "\"" + condition.if_match + "\"");
  }
  return headers;
}

namespace {

std::string Md5(std::string_view data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  EVP_Digest(data.data(), data.size(), digest, &size, EVP_md5(), nullptr);
  return std::string(reinterpret_cast<const char*>(digest), size);
}

// "\"0123...ef\"" -> the 16 bytes; "" if it is not 32 hex digits.
std::string Md5FromEtag(std::string_view etag) {
  std::string hex = Unquote(etag);
  if (hex.size() != 32 || hex.find_first_not_of("0123456789abcdefABCDEF") != std::string::npos)
    return "";
  std::string bytes;
  for (size_t i = 0; i < hex.size(); i += 2)
    bytes.push_back(static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16)));
  return bytes;
}

}  // namespace

std::string PutEtag(std::string_view body) { return HexEncode(Md5(body)); }

std::string MultipartEtag(const std::vector<std::string>& part_etags) {
  std::string digests;
  for (const auto& etag : part_etags) {
    std::string md5 = Md5FromEtag(etag);
    if (md5.empty()) return "";
    digests += md5;
  }
  return HexEncode(Md5(digests)) + "-" + std::to_string(part_etags.size());
}

uint64_t PartSizeFor(uint64_t base, size_t part_number, int parts_per_step) {
  constexpr uint64_t kMaxPart = 5ull << 30;
  uint64_t size = base;
  size_t step = parts_per_step > 0 ? static_cast<size_t>(parts_per_step) : 1;
  for (size_t doublings = (part_number - 1) / step; doublings > 0 && size < kMaxPart; --doublings)
    size *= 2;
  return std::min(size, kMaxPart);
}

S3Writer::S3Writer(std::shared_ptr<S3Client> client, std::string bucket, std::string key,
                   std::vector<std::pair<std::string, std::string>> headers,
                   WriteCondition condition)
    : client_(std::move(client)),
      bucket_(std::move(bucket)),
      key_(std::move(key)),
      headers_(std::move(headers)),
      condition_headers_(ConditionHeaders(condition)) {}

S3Writer::~S3Writer() { Abort(); }

Status S3Writer::Write(std::string_view data) {
  if (closed_)
    return FailedPrecondition("writer for " + client_->Where(bucket_, key_) + " is closed");
  buffer_.append(data);
  const auto& config = client_->config();
  Status st;
  if (upload_id_.empty() && buffer_.size() > config.multipart_threshold) st = StartMultipart();
  size_t sent = 0;
  while (st.ok() && !upload_id_.empty() && buffer_.size() - sent >= NextPartSize()) {
    uint64_t size = NextPartSize();
    st = UploadPart(std::string_view(buffer_).substr(sent, size));
    sent += size;
  }
  buffer_.erase(0, sent);
  if (!st.ok()) Abort();
  return st;
}

Status S3Writer::Commit() {
  if (closed_)
    return FailedPrecondition("writer for " + client_->Where(bucket_, key_) + " is closed");
  Status st;
  if (upload_id_.empty()) {
    st = PutWhole();
  } else {
    if (!buffer_.empty() || etags_.empty()) st = UploadPart(buffer_);
    if (st.ok()) st = Complete();
  }
  if (!st.ok()) {
    Abort();
    return st;
  }
  closed_ = true;
  buffer_.clear();
  buffer_.shrink_to_fit();
  return Status::Ok();
}

void S3Writer::Abort() {
  if (closed_) return;
  closed_ = true;
  buffer_.clear();
  if (upload_id_.empty()) return;
  Call call{"AbortMultipartUpload", "DELETE", bucket_, key_, {{"uploadId", upload_id_}}, {}, {}};
  Status st = client_->SendOk(call).status();
  if (!st.ok() && st.code() != ErrorCode::kNotFound)
    Logger("objstore")
        ->warn(
            "msg=\"cannot abort multipart upload; its parts stay billed until a "
            "lifecycle rule removes them\" upload_id={} error=\"{}\"",
            upload_id_, st.message());
  upload_id_.clear();
}

Status S3Writer::PutWhole() {
  Call call{"PutObject", "PUT", bucket_, key_, {}, headers_, buffer_};
  call.headers.insert(call.headers.end(), condition_headers_.begin(), condition_headers_.end());
  Attempts attempts;
  auto response = client_->SendOk(call, &attempts);
  const std::string expected = PutEtag(buffer_);
  if (response.ok()) {
    std::string etag = Unquote(response->Header("etag"));
    stored_etag_ = etag.empty() ? expected : etag;
    return Status::Ok();
  }
  // Unconditional, a repeated PutObject is harmless; conditional, its 412 may be about
  // the object an earlier attempt of it made.
  if (!condition_headers_.empty() && attempts.maybe_applied &&
      WrittenByEarlierAttempt(call.op, expected)) {
    stored_etag_ = expected;
    return Status::Ok();
  }
  return response.status();
}

bool S3Writer::WrittenByEarlierAttempt(const std::string& op, const std::string& expected) {
  if (expected.empty()) return false;  // the parts' ETags are not MD5s: cannot tell
  Call head{"HeadObject", "HEAD", bucket_, key_, {}, {}, {}};
  auto response = client_->SendOk(head);
  if (!response.ok() || Unquote(response->Header("etag")) != expected) return false;
  Logger("objstore")
      ->info(
          "op={} where=\"{}\" msg=\"the request failed after an attempt that may have been "
          "applied, and the object is the one sent: taken as written\" etag={}",
          op, client_->Where(bucket_, key_), expected);
  return true;
}

Status S3Writer::StartMultipart() {
  Call call{"CreateMultipartUpload", "POST", bucket_, key_, {{"uploads", ""}}, headers_, {}};
  call.retry_if_maybe_applied = false;  // another upload would orphan the first
  TRY_ASSIGN(HttpResponse response, client_->SendOk(call));
  auto id = ParseUploadId(response.body);
  if (!id.ok()) return id.status().WithContext(call.op + " " + client_->Where(bucket_, key_));
  upload_id_ = *id;
  return Status::Ok();
}

uint64_t S3Writer::NextPartSize() const {
  return PartSizeFor(client_->config().part_size, etags_.size() + 1,
                     client_->options().parts_per_size_step);
}

Status S3Writer::UploadPart(std::string_view part) {
  // Refused here rather than by the store, which would answer part 10,001 only after
  // every byte before it was uploaded... and still refuse the object.
  const int max_parts = client_->options().max_parts;
  if (etags_.size() >= static_cast<size_t>(max_parts)) {
    uint64_t sent = 0;
    for (size_t n = 1; n <= etags_.size(); ++n)
      sent += PartSizeFor(client_->config().part_size, n, client_->options().parts_per_size_step);
    return InvalidArgument("UploadPart " + std::to_string(etags_.size() + 1) + " of " +
                           client_->Where(bucket_, key_) + ": an S3 multipart upload has at most " +
                           std::to_string(max_parts) + " parts, and " + std::to_string(sent) +
                           " bytes are sent in them; the object is too large for the store");
  }
  std::string number = std::to_string(etags_.size() + 1);
  Call call{"UploadPart", "PUT", bucket_, key_, {{"partNumber", number}, {"uploadId", upload_id_}},
            {},           part};
  TRY_ASSIGN(HttpResponse response, client_->SendOk(call));
  std::string etag = response.Header("etag");
  if (etag.empty())
    return ProtocolError("UploadPart " + number + " of " + client_->Where(bucket_, key_) +
                         " returned no ETag");
  etags_.push_back(etag);
  return Status::Ok();
}

Status S3Writer::Complete() {
  std::string xml = CompleteMultipartUploadXml(etags_);
  Call call{"CompleteMultipartUpload",
            "POST",
            bucket_,
            key_,
            {{"uploadId", upload_id_}},
            {{"content-type", "application/xml"}},
            xml};
  call.headers.insert(call.headers.end(), condition_headers_.begin(), condition_headers_.end());
  // S3 may answer 200 and still fail the completion, with an <Error> body: Send retries
  // it (InternalError, SlowDown) and gives it back as the failure it is.
  call.error_in_2xx = true;
  Attempts attempts;
  auto response = client_->SendOk(call, &attempts);
  Status st = response.status();
  const std::string expected = MultipartEtag(etags_);
  if (st.ok()) {
    std::string etag = ParseCompletedEtag(response->body);
    stored_etag_ = etag.empty() ? expected : etag;
  } else if (attempts.maybe_applied && WrittenByEarlierAttempt(call.op, expected)) {
    // A retry after an attempt that may have completed the upload finds it gone
    // (NoSuchUpload) or the key taken (412), and the object is ours.
    st = Status::Ok();
    stored_etag_ = expected;
  }
  if (st.ok()) upload_id_.clear();  // completed: nothing to abort
  return st;
}

}  // namespace tributary::objstore::s3
