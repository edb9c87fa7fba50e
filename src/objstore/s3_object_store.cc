#include "objstore/s3_object_store.h"

#include "base/log.h"
#include "objstore/s3_responses.h"
#include "objstore/s3_writer.h"

namespace tributary::objstore {

using s3::Call;

S3ObjectStore::S3ObjectStore(std::string bucket, std::shared_ptr<s3::S3Client> client)
    : bucket_(std::move(bucket)), client_(std::move(client)) {}

Result<std::unique_ptr<ObjectWriter>> S3ObjectStore::NewWriter(const std::string& key,
                                                               const PutOptions& options) {
  TRY(ValidateKey(key));
  TRY_ASSIGN(auto headers, s3::HeadersFor(options));
  return std::unique_ptr<ObjectWriter>(
      std::make_unique<s3::S3Writer>(client_, bucket_, key, std::move(headers), options.condition));
}

Result<std::string> S3ObjectStore::Get(const std::string& key, std::optional<ByteRange> range) {
  TRY(ValidateKey(key));
  // A zero-length range cannot be expressed as an HTTP Range: answer it from Head.
  if (range && range->length && *range->length == 0) {
    TRY_ASSIGN(ObjectInfo info, Head(key));
    if (range->offset > info.size)
      return InvalidArgument("range starts at byte " + std::to_string(range->offset) + " but " +
                             client_->Where(bucket_, key) + " has " + std::to_string(info.size) +
                             " bytes");
    return std::string();
  }
  Call call{"GetObject", "GET", bucket_, key, {}, {}, {}};
  if (range) {
    std::string spec = "bytes=" + std::to_string(range->offset) + "-";
    if (range->length) spec += std::to_string(range->offset + *range->length - 1);
    call.headers.emplace_back("range", spec);
    if (!range->if_match.empty())
      call.headers.emplace_back("if-match", "\"" + range->if_match + "\"");
  }
  s3::Attempts attempts;
  TRY_ASSIGN(HttpResponse response, client_->Send(call, &attempts));
  if (response.status == 416 && range) {
    // S3 refuses "bytes=<size>-"; the local backend returns "" there, and so do we.
    TRY_ASSIGN(ObjectInfo info, Head(key));
    if (range->offset == info.size) return std::string();
    return InvalidArgument("range starts at byte " + std::to_string(range->offset) + " but " +
                           client_->Where(bucket_, key) + " has " + std::to_string(info.size) +
                           " bytes");
  }
  if (response.status < 200 || response.status > 299)
    return client_->ErrorFor(call, response, attempts.count);
  if (range && response.status == 200) {
    // The server ignored the Range header and sent the whole object: cut it here.
    if (range->offset > response.body.size())
      return InvalidArgument("range starts beyond the end of " + client_->Where(bucket_, key));
    return response.body.substr(range->offset, range->length.value_or(std::string::npos));
  }
  return std::move(response.body);
}

Result<ObjectInfo> S3ObjectStore::Head(const std::string& key) {
  TRY(ValidateKey(key));
  Call call{"HeadObject", "HEAD", bucket_, key, {}, {}, {}};
  TRY_ASSIGN(HttpResponse response, client_->SendOk(call));
  ObjectInfo info;
  info.key = key;
  std::string length = response.Header("content-length");
  if (length.empty() || length.find_first_not_of("0123456789") != std::string::npos)
    return ProtocolError("HeadObject " + client_->Where(bucket_, key) +
                         " returned a bad Content-Length '" + length + "'");
  info.size = std::stoull(length);
  std::string modified = response.Header("last-modified");
  if (!modified.empty()) {
    auto ms = s3::ParseHttpDateMillis(modified);
    if (ms.ok()) info.modified_ms = *ms;
  }
  info.etag = s3::Unquote(response.Header("etag"));
  info.content_type = response.Header("content-type");
  if (info.content_type == PutOptions{}.content_type) info.content_type.clear();
  info.content_encoding = response.Header("content-encoding");
  for (const auto& [name, value] : response.headers) {
    if (name.rfind("x-amz-meta-", 0) == 0) info.metadata[name.substr(11)] = value;
  }
  return info;
}

Result<ListResult> S3ObjectStore::List(const std::string& prefix, const std::string& delimiter,
                                       const ListOptions& options) {
  ListResult out;
  // Entries in the order S3 gives them (keys and common prefixes, each in order), kept
  // when past start_after and while the page has room: one past it means more follow.
  size_t entries = 0;
  auto room = [&] {
    if (options.max_keys == 0 || entries < options.max_keys) return true;
    out.truncated = true;
    return false;
  };
  std::string token;
  for (int page = 0;; ++page) {
    Call call{"ListObjectsV2", "GET", bucket_, "", {{"list-type", "2"}}, {}, {}};
    if (!prefix.empty()) call.query.emplace_back("prefix", prefix);
    if (!delimiter.empty()) call.query.emplace_back("delimiter", delimiter);
    if (client_->options().list_page_size != 1000)
      call.query.emplace_back("max-keys", std::to_string(client_->options().list_page_size));
    // S3 skips the keys up to start-after and gives the common prefixes of later keys ("a/"
    // after "a/b"), as ListOptions says; a store that gives start_after itself as one has it
    // dropped below.
    if (!options.start_after.empty()) call.query.emplace_back("start-after", options.start_after);
    if (!token.empty()) call.query.emplace_back("continuation-token", token);
    TRY_ASSIGN(HttpResponse response, client_->SendOk(call));
    auto parsed = s3::ParseListObjectsV2(response.body);
    if (!parsed.ok())
      return parsed.status().WithContext("ListObjectsV2 " + client_->Where(bucket_, prefix) +
                                         " page " + std::to_string(page + 1));
    // A page holds keys and common prefixes each in order: merged, they are the listing's.
    auto& objects = parsed->objects;
    auto& commons = parsed->common_prefixes;
    size_t o = 0, c = 0;
    while (o < objects.size() || c < commons.size()) {
      bool common = o == objects.size() || (c < commons.size() && commons[c] < objects[o].key);
      const std::string& name = common ? commons[c] : objects[o].key;
      bool repeated = common && !out.common_prefixes.empty() && out.common_prefixes.back() == name;
      if (repeated || !MayFollow(options.start_after, name, common)) {
        common ? ++c : ++o;
        continue;
      }
      if (!room()) return out;
      ++entries;
      if (common) {
        out.common_prefixes.push_back(std::move(commons[c++]));
      } else {
        out.objects.push_back(std::move(objects[o++]));
      }
    }
    if (!parsed->truncated) return out;
    if (parsed->next_continuation_token == token)
      return ProtocolError("ListObjectsV2 " + client_->Where(bucket_, prefix) +
                           " returned the same continuation token twice");
    token = parsed->next_continuation_token;
  }
}

Status S3ObjectStore::Delete(const std::string& key) {
  TRY(ValidateKey(key));
  Call call{"DeleteObject", "DELETE", bucket_, key, {}, {}, {}};
  s3::Attempts attempts;
  TRY_ASSIGN(HttpResponse response, client_->Send(call, &attempts));
  if (response.status >= 200 && response.status <= 299) return Status::Ok();
  if (response.status == 404) {
    // S3 itself answers 204 for a missing key; some compatible servers say NoSuchKey.
    auto err = s3::ParseErrorBody(response.body);
    if (!err || err->code == "NoSuchKey") return Status::Ok();
  }
  return client_->ErrorFor(call, response, attempts.count);
}

Status S3ObjectStore::DeleteIf(const std::string& key, const std::string& if_match) {
  TRY(ValidateKey(key));
  WriteCondition condition;
  condition.if_match = if_match.empty() ? "*" : if_match;
  Call call{"DeleteObject", "DELETE", bucket_, key, {}, s3::ConditionHeaders(condition), {}};
  s3::Attempts attempts;
  TRY_ASSIGN(HttpResponse response, client_->Send(call, &attempts));
  if (response.status >= 200 && response.status <= 299) return Status::Ok();
  // A 404 after an attempt that may have been carried out is that attempt's doing: the
  // object it was to delete is gone, as asked.
  if (response.status == 404 && attempts.maybe_applied) {
    auto err = s3::ParseErrorBody(response.body);
    if (!err || err->code == "NoSuchKey") return Status::Ok();
  }
  // A store without conditional deletes that says so (one that ignores If-Match deletes).
  if (response.status == 501) {
    return Unimplemented(client_->ErrorFor(call, response, attempts.count).message() +
                         " (the store cannot delete on a condition: If-Match on DeleteObject)");
  }
  return client_->ErrorFor(call, response, attempts.count);  // 412: kFailedPrecondition
}

std::string S3ObjectStore::Describe() const { return client_->Where(bucket_, ""); }

Result<std::unique_ptr<S3ObjectStoreProvider>> S3ObjectStoreProvider::Open(
    const ObjectStoreConfig& config, s3::S3Options options) {
  TRY_ASSIGN(auto client, s3::S3Client::Create(config, std::move(options)));
  return std::unique_ptr<S3ObjectStoreProvider>(new S3ObjectStoreProvider(std::move(client)));
}

Result<std::shared_ptr<ObjectStore>> S3ObjectStoreProvider::Bucket(const std::string& name) {
  TRY(ValidateBucketName(name));
  std::lock_guard lock(mu_);
  auto& slot = buckets_[name];
  if (!slot) {
    slot = std::make_shared<S3ObjectStore>(name, client_);
    // Said once, as the bucket is first used (S3Client::Create says it for an IP address).
    if (!client_->config().path_style && !s3::IsIpAddress(client_->endpoint().host) &&
        client_->PathStyleFor(name)) {
      Logger("objstore")
          ->warn(
              "bucket={} endpoint={} msg=\"s3_virtual_host is set, but the bucket's name has dots, "
              "which the https endpoint's certificate does not cover as a host name: it is "
              "addressed path-style (host/bucket), as the AWS SDKs do\"",
              name, client_->config().endpoint);
    }
  }
  return slot;
}

}  // namespace tributary::objstore
