// The console's files (web/), compiled into the binary so that `tributary server` needs
// nothing beside it. Generated at build time by cmake/EmbedFiles.cmake.
#pragma once

#include <string_view>
#include <vector>

namespace tributary::app {

struct EmbeddedFile {
  std::string_view path;  // relative to web/: "index.html", "js/app.js"
  std::string_view body;
};

const std::vector<EmbeddedFile>& ConsoleAssets();

}  // namespace tributary::app
