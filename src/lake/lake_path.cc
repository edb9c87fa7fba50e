#include <string>

#include "lake/catalog.h"
#include "objstore/object_store.h"

namespace tributary::lake {

Result<LakePath> LakePath::Parse(std::string_view text) {
  std::string_view original = text;
  auto bad = [&](const std::string& why) {
    return InvalidArgument("lake path '" + std::string(original) + "': " + why +
                           " (write bucket/prefix/ or s3://bucket/prefix/)");
  };
  if (text.empty()) return bad("is empty");
  size_t scheme = text.find("://");
  if (scheme != std::string_view::npos) {
    std::string_view name = text.substr(0, scheme);
    if (name != "s3" && name != "s3a" && name != "s3n") {
      return bad("scheme '" + std::string(name) + "' is not s3://");
    }
    text.remove_prefix(scheme + 3);
  }
  if (!text.empty() && text.front() == '/') return bad("starts with '/'");
  size_t slash = text.find('/');
  LakePath path;
  path.bucket = std::string(text.substr(0, slash));
  Status st = objstore::ValidateBucketName(path.bucket);
  if (!st.ok()) return bad(st.message());
  if (slash == std::string_view::npos) return path;
  std::string_view rest = text.substr(slash + 1);
  size_t start = 0;
  while (start < rest.size()) {
    size_t end = rest.find('/', start);
    if (end == std::string_view::npos) end = rest.size();
    std::string_view segment = rest.substr(start, end - start);
    if (segment.empty()) return bad("has an empty segment ('//')");
    if (segment == "." || segment == "..")
      return bad("has a '" + std::string(segment) + "' segment");
    path.prefix.append(segment);
    path.prefix.push_back('/');
    start = end + 1;
  }
  return path;
}

std::string LakePath::ToString() const { return bucket + "/" + prefix; }

std::string LakePath::ToUri() const { return "s3://" + bucket + "/" + prefix; }

LakePath LakePath::Child(std::string_view relative) const {
  LakePath child = *this;
  while (!relative.empty() && relative.front() == '/') relative.remove_prefix(1);
  if (relative.empty()) return child;
  child.prefix.append(relative);
  if (child.prefix.back() != '/') child.prefix.push_back('/');
  return child;
}

}  // namespace tributary::lake
