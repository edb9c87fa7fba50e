#include "objstore/list_folding.h"

namespace tributary::objstore {

ListResult FoldByDelimiter(std::vector<ObjectInfo> objects, const std::string& prefix,
                           const std::string& delimiter) {
  ListResult out;
  if (delimiter.empty()) {
    out.objects = std::move(objects);
    return out;
  }
  for (auto& object : objects) {
    size_t at = object.key.find(delimiter, prefix.size());
    if (at == std::string::npos) {
      out.objects.push_back(std::move(object));
      continue;
    }
    // Keys sharing a common prefix are adjacent in byte order, so comparing with the
    // last one is enough to deduplicate.
    std::string common = object.key.substr(0, at + delimiter.size());
    if (out.common_prefixes.empty() || out.common_prefixes.back() != common)
      out.common_prefixes.push_back(std::move(common));
  }
  return out;
}

}  // namespace tributary::objstore
