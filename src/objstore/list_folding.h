// Folding a sorted key listing into ListObjectsV2's shape: a key that contains the
// delimiter after the prefix is replaced by one common prefix (the key up to and
// including that first delimiter). Used by backends that list by walking.
//
//   keys a/1, a/b/2, a/b/3, a/c   prefix "a/"  delimiter "/"
//   -> objects a/1, a/c           common prefixes a/b/
#pragma once

#include <string>
#include <vector>

#include "objstore/object_store.h"

namespace tributary::objstore {

// `objects` must be sorted by key and all start with `prefix`. An empty delimiter
// returns them unchanged.
ListResult FoldByDelimiter(std::vector<ObjectInfo> objects, const std::string& prefix,
                           const std::string& delimiter);

}  // namespace tributary::objstore
