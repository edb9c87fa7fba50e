// libFuzzer target for crawler exclusions (glue_glob.h): the patterns come from any Glue
// client over HTTP and are matched against every key a crawl or a table read lists.
// Input: the pattern, a newline, the key. Parsing must give a glob or an error that names
// a position inside the pattern (never a crash or a hang); a glob must answer alike when
// asked twice, and a pattern without special characters must match exactly itself. Built
// by scripts/run-fuzz.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "lake/glue_glob.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using tributary::lake::GlueGlob;
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const size_t newline = input.find('\n');
  const std::string_view pattern = input.substr(0, newline);
  const std::string_view key = newline == std::string_view::npos ? "" : input.substr(newline + 1);
  auto glob = GlueGlob::Parse(pattern);
  if (!glob.ok()) {
    const std::string& m = glob.status().message();
    if (m.rfind("glob '", 0) != 0) std::abort();
    const size_t at = m.rfind(" at position ");
    if (at == std::string::npos) std::abort();
    if (std::strtoull(m.c_str() + at + 13, nullptr, 10) >= pattern.size()) std::abort();
    return 0;
  }
  const bool match = glob->Matches(key);
  if (glob->Matches(key) != match) std::abort();
  if (pattern.find_first_of("*?[{\\") == std::string_view::npos && match != (key == pattern)) {
    std::abort();
  }
  return 0;
}
