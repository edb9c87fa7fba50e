#include "app/s3_uploads.h"

#include <fcntl.h>
#include <openssl/evp.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <fstream>

#include "app/s3_api_util.h"
#include "base/ascii.h"
#include "base/base64.h"
#include "base/clock.h"
#include "base/files.h"
#include "base/hex.h"
#include "base/ids.h"
#include "base/log.h"
#include "objstore/local_files.h"

namespace tributary::app {
namespace {

namespace fs = std::filesystem;

constexpr int kMaxParts = 10000;
constexpr uint64_t kMinPartBytes = 5ull << 20;
constexpr size_t kCopyChunk = 1 << 20;

}  // namespace

std::string Md5Hex(std::string_view data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_Digest(data.data(), data.size(), digest, &length, EVP_md5(), nullptr);
  return HexEncode(std::string_view(reinterpret_cast<const char*>(digest), length));
}

S3UploadStore::S3UploadStore(std::string dir) : S3UploadStore(std::move(dir), Options{}) {}

S3UploadStore::S3UploadStore(std::string dir, Options options)
    : dir_(std::move(dir)), options_(std::move(options)) {
  if (!options_.now) options_.now = WallMillis;
  std::error_code ec;
  fs::remove_all(dir_, ec);
}

Result<std::string> S3UploadStore::Create(Upload upload) {
  (void)AbortStale();
  std::string id = RandomHex(16);
  TRY(MakeDirs(dir_ + "/" + id));
  std::lock_guard lock(mu_);
  uploads_[id] = std::move(upload);
  part_etags_[id];
  Touch(id);
  return id;
}

int S3UploadStore::AbortStale() {
  std::vector<std::string> stale;
  {
    std::lock_guard lock(mu_);
    const int64_t before = options_.now() - options_.stale_after.count();
    for (const auto& [id, touched] : touched_ms_) {
      if (touched < before) stale.push_back(id);
    }
  }
  int aborted = 0;
  for (const std::string& id : stale) aborted += Abort(id).ok() ? 1 : 0;
  if (aborted > 0) {
    Logger("s3")->info(
        "aborted {} multipart upload(s) with no part for {} h (their parts removed)", aborted,
        std::chrono::duration_cast<std::chrono::hours>(options_.stale_after).count());
  }
  return aborted;
}

Result<S3UploadStore::Upload> S3UploadStore::Get(const std::string& id, const std::string& bucket,
                                                 const std::string& key) const {
  std::lock_guard lock(mu_);
  auto it = uploads_.find(id);
  if (it == uploads_.end() || it->second.bucket != bucket || it->second.key != key) {
    return NotFound("no upload '" + id + "' of '" + key + "' in bucket '" + bucket +
                    "' (completed, aborted, or the server restarted since)");
  }
  return it->second;
}

std::string S3UploadStore::PartPath(const std::string& id, int number) const {
  return dir_ + "/" + id + "/" + std::to_string(number);
}

// A part's file written as it comes: <part>.<random>.partial until Commit renames it into
// place. Each writer has a file of its own: a client's retry of a part may run while its
// first try, given up, is still being read, and neither may write into or remove the
// other's file.
class S3UploadStore::PartWriter : public objstore::ObjectWriter {
 public:
  PartWriter(S3UploadStore* store, std::string id, int number, std::string path,
             std::string partial, int fd)
      : store_(store),
        id_(std::move(id)),
        number_(number),
        path_(std::move(path)),
        partial_(std::move(partial)),
        fd_(fd) {}
  ~PartWriter() override { Abort(); }

  Status Write(std::string_view data) override {
    if (fd_ < 0) return FailedPrecondition("part " + std::to_string(number_) + " is already closed");
    while (!data.empty()) {
      ssize_t n = ::write(fd_, data.data(), data.size());
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) {
        Status st = IoError("cannot write part " + std::to_string(number_) + " of upload '" + id_ + "': " + objstore::local::ErrnoText(errno));
        Abort();
        return st;
      }
      data.remove_prefix(static_cast<size_t>(n));
    }
    return Status::Ok();
  }
  void SetEtag(std::string etag) override { etag_ = std::move(etag); }
  Status Commit() override {
    if (fd_ < 0) return FailedPrecondition("part " + std::to_string(number_) + " is already closed");
    const int fd = fd_;
    fd_ = -1;
    if (::close(fd) != 0) {
      const int err = errno;
      ::unlink(partial_.c_str());
      return IoError("cannot close part " + std::to_string(number_) + ": " +
                     objstore::local::ErrnoText(err));
    }
    return store_->KeepPart(id_, number_, partial_, path_, etag_);
  }
  void Abort() override {
    if (fd_ < 0) return;
    ::close(fd_);
    fd_ = -1;
    ::unlink(partial_.c_str());
  }

 private:
  S3UploadStore* store_;
  std::string id_;
  int number_;
  std::string path_;
  std::string partial_;
  int fd_;
  std::string etag_;
};

Result<std::unique_ptr<objstore::ObjectWriter>> S3UploadStore::NewPartWriter(const std::string& id, int number) {
  if (number < 1 || number > kMaxParts) {
    return InvalidArgument("partNumber " + std::to_string(number) + " is not in 1..10000");
  }
  {
    std::lock_guard lock(mu_);
    if (!uploads_.count(id)) return NotFound("no upload '" + id + "'");
    Touch(id);
  }
  const std::string path = PartPath(id, number);
  std::string partial = path + "." + RandomHex(8) + ".partial";
  int fd = ::open(partial.c_str(), O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0644);
  if (fd < 0) return IoError("cannot start part " + std::to_string(number) + " of upload '" + id + "': " + objstore::local::ErrnoText(errno));
  return std::unique_ptr<objstore::ObjectWriter>(
      std::make_unique<PartWriter>(this, id, number, path, std::move(partial), fd));
}

Status S3UploadStore::KeepPart(const std::string& id, int number, const std::string& partial,
                               const std::string& path, const std::string& etag) {
  std::lock_guard lock(mu_);
  auto it = part_etags_.find(id);
  int err = it == part_etags_.end()                        ? ENOENT
            : ::rename(partial.c_str(), path.c_str()) == 0 ? 0
                                                           : errno;
  if (err != 0) {
    ::unlink(partial.c_str());
    if (err == ENOENT) return NotFound("no upload '" + id + "' (aborted meanwhile)");
    return IoError("cannot keep part " + std::to_string(number) + ": " +
                   objstore::local::ErrnoText(err));
  }
  it->second[number] = etag;
  Touch(id);
  return Status::Ok();
}

Status S3UploadStore::NotePart(const std::string& id, int number, const std::string& etag) {
  std::lock_guard lock(mu_);
  auto it = part_etags_.find(id);
  if (it == part_etags_.end()) return NotFound("no upload '" + id + "' (aborted meanwhile)");
  it->second[number] = etag;
  Touch(id);
  return Status::Ok();
}

Result<std::string> S3UploadStore::PutPart(const std::string& id, int number, std::string_view bytes) {
  if (number < 1 || number > kMaxParts) {
    return InvalidArgument("partNumber " + std::to_string(number) + " is not in 1..10000");
  }
  {
    std::lock_guard lock(mu_);
    if (!uploads_.count(id)) return NotFound("no upload '" + id + "'");
    Touch(id);
  }
  TRY(WriteFileAtomic(PartPath(id, number), std::string(bytes)));
  std::string etag = Md5Hex(bytes);
  TRY(NotePart(id, number, etag));
  return etag;
}

Result<S3UploadStore::Assembled> S3UploadStore::Assemble(
    const std::string& id, const std::vector<PartRef>& parts, objstore::ObjectStore* bucket,
    const objstore::WriteCondition& condition) {
  Upload upload;
  std::map<int, std::string> stored;
  {
    std::lock_guard lock(mu_);
    auto it = uploads_.find(id);
    if (it == uploads_.end()) return NotFound("no upload '" + id + "'");
    upload = it->second;
    stored = part_etags_[id];
  }
  if (parts.empty()) return InvalidArgument("the upload names no part");
  // The list first (order, ETags), then the parts' sizes.
  std::string md5s;
  for (size_t i = 0; i < parts.size(); ++i) {
    const PartRef& p = parts[i];
    if (i > 0 && p.number <= parts[i - 1].number) {
      return InvalidArgument("parts must be listed in ascending order of PartNumber (" +
                             std::to_string(p.number) + " after " + std::to_string(parts[i - 1].number) + ")");
    }
    auto s = stored.find(p.number);
    if (s == stored.end() || s->second != UnquotedEtag(p.etag)) {
      return InvalidArgument("part " + std::to_string(p.number) + " was not uploaded with ETag " + p.etag);
    }
    md5s += s->second;
  }
  for (size_t i = 0; i < parts.size(); ++i) {
    const PartRef& p = parts[i];
    std::error_code ec;
    uint64_t size = fs::file_size(PartPath(id, p.number), ec);
    if (ec) return IoError("part " + std::to_string(p.number) + ": " + ec.message());
    if (i + 1 < parts.size() && size < kMinPartBytes) {
      return FailedPrecondition("part " + std::to_string(p.number) + " has " + std::to_string(size) +
                                " bytes; every part but the last needs at least 5 MiB");
    }
  }
  // The ETag S3 gives a multipart object: the MD5 of the parts' binary MD5s, and the count;
  // the object keeps it (PutOptions::etag), so that reads give back what this answers.
  std::string binary;
  for (size_t i = 0; i + 1 < md5s.size(); i += 2) binary += static_cast<char>(std::stoi(md5s.substr(i, 2), nullptr, 16));
  upload.options.etag = Md5Hex(binary) + "-" + std::to_string(parts.size());
  upload.options.condition = condition;
  Completed done;
  done.etag = upload.options.etag;
  TRY_ASSIGN(auto writer, bucket->NewWriter(upload.key, upload.options));
  // The checksums, as the parts go by: the whole object's, or each part's digest in turn.
  std::optional<BodyChecksum> whole;
  std::string part_digests;
  const auto algorithm = upload.checksum_algorithm;
  if (algorithm && upload.full_object_checksum) whole.emplace(*algorithm);
  std::string chunk(kCopyChunk, '\0');
  for (const PartRef& p : parts) {
    std::ifstream in(PartPath(id, p.number), std::ios::binary);
    if (!in) return IoError("part " + std::to_string(p.number) + " cannot be read");
    std::optional<BodyChecksum> part;
    if (algorithm) part.emplace(*algorithm);
    while (in) {
      in.read(chunk.data(), static_cast<std::streamsize>(chunk.size()));
      if (in.gcount() <= 0) continue;
      const std::string_view piece(chunk.data(), static_cast<size_t>(in.gcount()));
      TRY(writer->Write(piece));
      if (part) part->Update(piece);
      if (whole) whole->Update(piece);
    }
    if (!part) continue;
    const std::string digest = part->Digest();
    if (!p.checksum.empty() && p.checksum != Base64Encode(digest)) {
      // The writer goes without a Commit: no object.
      return InvalidArgument("part " + std::to_string(p.number) + "'s " + std::string(ChecksumAlgorithmName(*algorithm)) +
                             " is " + Base64Encode(digest) + ", not " + p.checksum + " as listed");
    }
    part_digests += digest;
  }
  if (algorithm) {
    done.checksum_header = "x-amz-checksum-" + AsciiLowered(ChecksumAlgorithmName(*algorithm));
    if (whole) {
      done.checksum = whole->Base64();
    } else {
      BodyChecksum composite(*algorithm);
      composite.Update(part_digests);
      done.checksum = composite.Base64() + "-" + std::to_string(parts.size());
    }
    writer->SetChecksum(done.checksum_header + ":" + done.checksum);
  }
  return Assembled{std::move(writer), std::move(done), bucket, upload.key};
}

Result<S3UploadStore::Completed> S3UploadStore::Assembled::Commit() {
  TRY(writer->Commit());
  std::string stored = writer->StoredEtag();
  if (stored.empty()) {  // a writer that cannot tell: read it back
    TRY_ASSIGN(objstore::ObjectInfo info, bucket->Head(key));
    stored = info.etag;
  }
  done.etag = std::move(stored);
  return done;
}

Status S3UploadStore::Abort(const std::string& id) {
  {
    std::lock_guard lock(mu_);
    if (!uploads_.erase(id)) return NotFound("no upload '" + id + "'");
    part_etags_.erase(id);
    touched_ms_.erase(id);
  }
  std::error_code ec;
  fs::remove_all(dir_ + "/" + id, ec);
  return Status::Ok();
}

}  // namespace tributary::app
