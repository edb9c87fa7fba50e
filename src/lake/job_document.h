// Job documents as people write them: JSON, or YAML (a file named *.yaml or *.yml)
// turned into the same JSON value, so that ParseJobSpec (etl_job.h) stays the one
// validator of a job. The server converts (POST /v1/jobs with "job_yaml"); the CLI sends
// a *.yaml/*.yml file's text that way.
//
// YAML -> JSON (the YAML 1.2 core schema for plain scalars; quoted scalars are strings):
//   mapping              object (keys must be scalars; a key given twice is an error)
//   sequence             array
//   ~, null, empty       null
//   true, false          boolean (True/TRUE too; yes/no/on/off stay strings)
//   12, -3, +7           integer (int64; out of range is an error)
//   1.5, -2e3, .5        number
//   .inf, .nan           an error (JSON has no such numbers)
//   "ozone >= 0", 'x'    string; so are plain scalars that are none of the above
//   !!str 12             string; other explicit tags are errors
// Anchors and aliases are followed. One document per file.
//
// Errors name the file, line and column (1-based). The converter also records where each
// JSON path came from ("$.transforms[1].filter" -> line 7, column 13) so that an error of
// the job validator, which names a JSON path, can be shown with its YAML line.
// Pure functions; thread-compatible.
#pragma once

#include <map>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "base/status.h"

namespace tributary::lake {

struct SourcePlace {
  int line = 0;    // 1-based
  int column = 0;  // 1-based
};

struct JobDocument {
  nlohmann::json doc;
  // JSON path of every value ("$", "$.source", "$.transforms[0].apply_mapping[1][3]")
  // -> where it is in the YAML text. Empty for a JSON document.
  std::map<std::string, SourcePlace> places;
};

// Ok when `text` is UTF-8 without NUL bytes, as a job file must be (it travels in a JSON
// string); otherwise kInvalidArgument naming the first line that is not:
// "job.yaml line 2: not UTF-8 text, or it holds a NUL byte".
Status CheckJobText(std::string_view text, std::string_view file_name);

// True for names ending in .yaml or .yml (any case).
bool IsYamlFileName(std::string_view file_name);

// Converts one YAML document (see above). `file_name` only names the source in errors.
Result<JobDocument> YamlToJson(std::string_view text, std::string_view file_name);

// A job file's text by its name: YAML when IsYamlFileName, else JSON.
Result<JobDocument> ParseJobDocument(std::string_view text, std::string_view file_name);

// An error message of the job validator ("$.transforms[1].filter: ...") with the YAML
// place of the longest JSON path it starts with appended ("... (job.yaml line 7, column 13)").
// The message unchanged when it names no recorded path.
std::string LocateJobError(const JobDocument& doc, std::string_view file_name, std::string_view message);

}  // namespace tributary::lake
