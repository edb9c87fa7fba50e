#include "objstore/prefix_copy.h"

#include <filesystem>
#include <vector>

#include "base/files.h"

namespace tributary::objstore {

namespace fs = std::filesystem;

Result<size_t> DownloadPrefix(ObjectStore& bucket, const std::string& prefix, const std::string& dir,
                              const CopyCheck& check) {
  TRY_ASSIGN(ListResult listing, bucket.List(prefix));
  TRY(MakeDirs(dir));
  size_t written = 0;
  for (const ObjectInfo& object : listing.objects) {
    std::string relative = object.key.substr(prefix.size());
    while (!relative.empty() && relative.front() == '/') relative.erase(0, 1);
    if (relative.empty() || relative.back() == '/') continue;  // a folder marker
    // The keys come from the store, which may be a server nobody here controls: one with
    // a '..' segment would name a file outside `dir`.
    if (Status st = ValidateKey(relative); !st.ok()) {
      return InvalidArgument("downloading " + object.key + " into " + dir + ": " + st.message());
    }
    if (check) TRY(check());
    fs::path target = fs::path(dir) / relative;
    TRY(MakeDirs(target.parent_path().string()));
    TRY_ASSIGN(std::string data, bucket.Get(object.key));
    TRY(WriteFileAtomic(target.string(), data).WithContext("downloading " + object.key));
    ++written;
  }
  return written;
}

Result<size_t> UploadDirectory(const std::string& dir, ObjectStore& bucket, const std::string& prefix,
                               const CopyCheck& check) {
  std::error_code ec;
  std::vector<fs::path> files;
  for (fs::recursive_directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    if (it->is_regular_file(ec)) files.push_back(it->path());
  }
  if (ec) return IoError("listing " + dir + ": " + ec.message());
  size_t written = 0;
  for (const fs::path& file : files) {
    if (check) TRY(check());
    std::string relative = file.lexically_relative(dir).generic_string();
    TRY_ASSIGN(std::string data, ReadFile(file.string()));
    PutOptions put;
    if (file.extension() == ".json") put.content_type = "application/json";
    TRY(bucket.Put(prefix + relative, data, put).WithContext("uploading " + file.string()));
    ++written;
  }
  return written;
}

}  // namespace tributary::objstore
