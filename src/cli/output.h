// Human-readable output for client commands: aligned tables and key/value blocks.
// With --json the commands print the API's JSON instead (see PrintJson).
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

namespace tributary::cli {

// Columns separated by two spaces, each as wide as its widest cell; a header row first.
// Cells and values are printed OneLine, so that a value keeps its row.
void PrintTable(const std::vector<std::string>& headers,
                const std::vector<std::vector<std::string>>& rows);

// "key: value" lines for a JSON object's scalar members; nested values as compact JSON.
void PrintObject(const nlohmann::json& object);

void PrintJson(const nlohmann::json& value);

// A JSON value as a table cell: strings bare, null as "-", others compact.
std::string Cell(const nlohmann::json& value);

// `text` with its control characters written out, so that it stays on its line and cannot
// steer the terminal (a record delimiter "\n", a device's name with an escape sequence in
// it): \n, \r and \t as such, the others (C0, DEL, C1) as \u00XX.
std::string OneLine(std::string_view text);

}  // namespace tributary::cli
