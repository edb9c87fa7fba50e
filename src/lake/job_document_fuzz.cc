// libFuzzer target for job files (job_document.h): YAML -> JSON conversion, JSON job
// parsing and the mapping of validator errors back to YAML places. Job files come from
// users (POST /v1/jobs, `tributary job create --file`), so any bytes must give a value or
// an error, never a crash, a hang or an exception. Built by scripts/run-fuzz.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "lake/job_document.h"

namespace {

// Whether `s` is well-formed UTF-8 (no overlongs, surrogates or values past U+10FFFF).
bool ValidUtf8(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    size_t n = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 0;
    if (n == 0 || i + n > s.size()) return false;
    uint32_t cp = n == 1 ? c : c & (0x7F >> n);
    for (size_t k = 1; k < n; ++k) {
      unsigned char d = static_cast<unsigned char>(s[i + k]);
      if ((d & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (d & 0x3F);
    }
    if ((n == 2 && cp < 0x80) || (n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) ||
        cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
      return false;
    }
    i += n;
  }
  return true;
}

void Check(const tributary::Result<tributary::lake::JobDocument>& doc, bool utf8_input,
           std::string_view file) {
  using tributary::lake::LocateJobError;
  if (!doc.ok()) {
    if (doc.status().message().empty()) std::abort();  // every error says what is wrong
    return;
  }
  // What the server stores and answers: from well-formed text, a value that serializes.
  if (utf8_input) (void)doc->doc.dump();
  for (const auto& [path, place] : doc->places) {
    if (place.line < 1 || place.column < 1) std::abort();
    (void)LocateJobError(*doc, file, path + ": fuzzed");
  }
  (void)LocateJobError(*doc, file, "$.source.table[0]: fuzzed");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  bool utf8 = ValidUtf8(text);
  Check(tributary::lake::ParseJobDocument(text, "job.yaml"), utf8, "job.yaml");
  Check(tributary::lake::ParseJobDocument(text, "job.json"), utf8, "job.json");
  return 0;
}
