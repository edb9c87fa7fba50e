// Small whole-file helpers for configuration, tokens and keys. Not for the data path
// (streams and the lake go through io/ and objstore/). Thread-compatible.
#pragma once

#include <string>

#include "base/status.h"

namespace tributary {

// The whole file. Errors name the path and say why: NotFound "cannot open 'x': No such
// file or directory" (any reason open(2) gives), InvalidArgument for a directory, IoError
// for a read that fails.
Result<std::string> ReadFile(const std::string& path);

// Writes atomically and durably: a temporary file beside `path`, fsync, rename, fsync of
// the directory (so that the rename survives a crash). `mode` is the permission of the
// new file (0600 for secrets).
Status WriteFileAtomic(const std::string& path, const std::string& contents, int mode = 0644);

// fsync(2) of a directory, so that renames and creations in it survive a crash: 0, or the
// errno of what failed (ENOENT: `dir` is gone).
int FsyncDir(const std::string& dir);

// mkdir -p with the given mode for directories it creates.
Status MakeDirs(const std::string& path, int mode = 0755);

// Where a companion program of this binary is: $<env_var> when set, else beside the
// running executable (the build puts them together), else just `name` for a PATH search.
std::string FindCompanionTool(const std::string& name, const char* env_var);

}  // namespace tributary
