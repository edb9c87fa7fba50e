#include "objstore/s3_writer.h"

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
  while (st.ok() && !upload_id_.empty() && buffer_.size() - sent >= config.part_size) {
    st = UploadPart(std::string_view(buffer_).substr(sent, config.part_size));
    sent += config.part_size;
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
    Call call{"PutObject", "PUT", bucket_, key_, {}, headers_, buffer_};
    call.headers.insert(call.headers.end(), condition_headers_.begin(), condition_headers_.end());
    st = client_->SendOk(call).status();
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

Status S3Writer::StartMultipart() {
  Call call{"CreateMultipartUpload", "POST", bucket_, key_, {{"uploads", ""}}, headers_, {}};
  TRY_ASSIGN(HttpResponse response, client_->SendOk(call));
  auto id = ParseUploadId(response.body);
  if (!id.ok()) return id.status().WithContext(call.op + " " + client_->Where(bucket_, key_));
  upload_id_ = *id;
  return Status::Ok();
}

Status S3Writer::UploadPart(std::string_view part) {
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
  TRY_ASSIGN(HttpResponse response, client_->SendOk(call));
  // S3 may answer 200 and still fail the completion, with an <Error> body.
  if (auto err = ParseErrorBody(response.body)) {
    HttpResponse failed = response;
    failed.status = err->code == "InternalError" || err->code == "SlowDown" ? 503 : 400;
    return client_->ErrorFor(call, failed);
  }
  upload_id_.clear();  // completed: nothing to abort
  return Status::Ok();
}

}  // namespace tributary::objstore::s3
