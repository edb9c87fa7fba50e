// The release this build is: shown by `tributary --version` and reported by each server
// to the deployment's list (app/server_directory.h). Keep it equal to the VERSION of
// project() in the top-level CMakeLists.txt.
#pragma once

namespace tributary {

inline constexpr char kVersion[] = "0.1.0";

}  // namespace tributary
