#include "objstore/object_store.h"

#include <cctype>

#include "base/utf8.h"
#include "objstore/local_object_store.h"
#include "objstore/s3_object_store.h"

namespace tributary::objstore {
namespace {

std::string Quoted(std::string_view s) {
  // Keys can hold anything printable; control bytes and bytes that are not UTF-8 (a rule's
  // key rendered from a device's data) are shown as \xNN, so that the message stays one
  // line of valid UTF-8.
  return "'" + PrintableUtf8(s) + "'";
}

}  // namespace

Status ValidateKey(std::string_view key) {
  if (key.empty()) return InvalidArgument("object key is empty");
  if (key.size() > 1024)
    return InvalidArgument("object key " + Quoted(Utf8Prefix(key, 64)) + "... is " +
                           std::to_string(key.size()) + " bytes; at most 1024 are allowed");
  if (key.front() == '/') return InvalidArgument("object key " + Quoted(key) + " starts with '/'");
  for (size_t i = 0; i < key.size();) {
    if (key[i] == '\0') return InvalidArgument("object key " + Quoted(key) + " contains NUL");
    size_t n = Utf8SequenceLength(key, i);
    if (n == 0)
      return InvalidArgument("object key " + Quoted(key) + " is not valid UTF-8 at byte " +
                             std::to_string(i));
    i += n;
  }
  size_t start = 0;
  while (start <= key.size()) {
    size_t end = key.find('/', start);
    if (end == std::string_view::npos) end = key.size();
    std::string_view segment = key.substr(start, end - start);
    if (segment == "." || segment == "..")
      return InvalidArgument("object key " + Quoted(key) + " has a '" + std::string(segment) +
                             "' segment; keys may not walk the hierarchy");
    start = end + 1;
  }
  return Status::Ok();
}

Status ObjectStore::CheckKey(const std::string& key) const { return ValidateKey(key); }

Status ValidateBucketName(std::string_view bucket) {
  auto bad = [&](const std::string& why) {
    return InvalidArgument("bucket name " + Quoted(bucket) + " " + why +
                           " (S3 bucket names are 3..63 characters of a-z, 0-9, '.' and '-')");
  };
  if (bucket.size() < 3 || bucket.size() > 63) return bad("has the wrong length");
  for (char c : bucket) {
    if (!(std::islower(static_cast<unsigned char>(c)) ||
          std::isdigit(static_cast<unsigned char>(c)) || c == '.' || c == '-'))
      return bad("contains '" + std::string(1, c) + "'");
  }
  auto alnum = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0; };
  if (!alnum(bucket.front()) || !alnum(bucket.back()))
    return bad("must start and end with a letter or digit");
  if (bucket.find("..") != std::string_view::npos) return bad("contains '..'");
  // "192.168.5.4" is not a valid bucket name: it would be mistaken for an address.
  bool ip_like = true;
  int dots = 0;
  for (char c : bucket) {
    if (c == '.')
      ++dots;
    else if (!std::isdigit(static_cast<unsigned char>(c)))
      ip_like = false;
  }
  if (ip_like && dots == 3) return bad("looks like an IP address");
  return Status::Ok();
}

Status ObjectStore::Put(const std::string& key, std::string_view data, const PutOptions& options) {
  TRY_ASSIGN(auto writer, NewWriter(key, options));
  TRY(writer->Write(data));
  return writer->Commit();
}

Status ObjectStore::DeleteIf(const std::string& key, const std::string&) {
  return Unimplemented("a conditional delete of '" + key + "': " + Describe() +
                       " cannot check one");
}

Result<std::unique_ptr<ObjectStoreProvider>> OpenObjectStores(const ObjectStoreConfig& config) {
  if (config.backend == "local") {
    TRY_ASSIGN(auto provider, LocalObjectStoreProvider::Open(config.local_root));
    return std::unique_ptr<ObjectStoreProvider>(std::move(provider));
  }
  if (config.backend == "s3") {
    TRY_ASSIGN(auto provider, S3ObjectStoreProvider::Open(config));
    return std::unique_ptr<ObjectStoreProvider>(std::move(provider));
  }
  return InvalidArgument("lake.backend is '" + config.backend + "'; expected 'local' or 's3'");
}

bool MayFollow(const std::string& start_after, const std::string& entry, bool common_prefix) {
  if (!common_prefix) return entry > start_after;
  return entry != start_after && (entry > start_after || start_after.starts_with(entry));
}

}  // namespace tributary::objstore
