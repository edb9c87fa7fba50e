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
#include "mqtt/utf8.h"

namespace {

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
  bool utf8 = tributary::mqtt::IsValidMqttUtf8(text);  // job files are UTF-8 without NUL
  Check(tributary::lake::ParseJobDocument(text, "job.yaml"), utf8, "job.yaml");
  Check(tributary::lake::ParseJobDocument(text, "job.json"), utf8, "job.json");
  return 0;
}
