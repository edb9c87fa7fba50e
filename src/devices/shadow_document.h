// Device shadows, as AWS IoT's Device Shadow service keeps them: per thing, a classic
// (unnamed) shadow and any number of named ones, each a JSON document
//   {"state": {"desired": {...}, "reported": {...}}, "metadata": {...}, "version": n}
// that devices and applications read and change over MQTT ($aws/things/<thing>/shadow/
// [name/<shadow>/]get|update|delete, answered on .../accepted and .../rejected, with
// .../update/delta and .../update/documents) and over HTTP (/things/<thing>/shadow).
//
// This file is the documents' rules, pure functions with no I/O:
//  - an update's "state" holds "desired" and/or "reported" (an object, or null to remove
//    the section); its members merge into the stored ones, objects recursively, and a
//    member set to null is removed; arrays and other values replace;
//  - every value an update sets gets {"timestamp": <epoch s>} at the same place in
//    "metadata" (an array one for the whole array);
//  - "version" in an update, when present, must be the stored version (else 409 "Version
//    conflict"); each accepted update adds one; a new shadow starts at 1, one made again
//    after a delete at the deleted one's version plus one;
//  - "delta" is what "desired" holds that "reported" does not hold the same (objects
//    compared member by member); it is computed, never stored;
//  - limits: the state at most 8 KiB (JSON text), objects nested at most 6 deep under
//    "desired" or "reported", a clientToken at most 64 bytes.
// Each refusal is a ShadowError with AWS's code (400, 404, 409, 413) and message.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include <nlohmann/json.hpp>

namespace tributary::devices {

inline constexpr size_t kMaxShadowStateBytes = 8 * 1024;
inline constexpr int kMaxShadowDepth = 6;
inline constexpr size_t kMaxClientTokenBytes = 64;
inline constexpr size_t kMaxShadowRequestBytes = 128 * 1024;

// A stored shadow.
struct ShadowDocument {
  nlohmann::json state = nlohmann::json::object();     // {"desired"?, "reported"?}
  nlohmann::json metadata = nlohmann::json::object();  // the same shape, leaves {"timestamp"}
  // The last version, kept after a delete as AWS IoT keeps it: a shadow made again
  // continues from it.
  int64_t version = 0;
  bool exists = false;  // false: never made, or deleted
};

struct ShadowError {
  int code = 400;  // 400, 404, 409, 413
  std::string message;
};

// What an update did: the new document, and the answers to publish.
struct ShadowUpdate {
  ShadowDocument current;
  nlohmann::json accepted;   // update/accepted (and the HTTP answer)
  nlohmann::json documents;  // update/documents: previous and current
  std::optional<nlohmann::json> delta;  // update/delta, when the update set desired values
                                        // that reported does not hold
};

// A request's payload as a JSON object (an empty payload is {}), its clientToken checked.
std::optional<ShadowError> ParseShadowRequest(std::string_view payload, nlohmann::json* out);

// Applies update `request` (ParseShadowRequest's) to `stored` (which may not exist) at `now_s`.
std::variant<ShadowUpdate, ShadowError> ApplyShadowUpdate(const ShadowDocument& stored, const nlohmann::json& request,
                                                          int64_t now_s);

// get/accepted for `stored` (which must exist): state with its delta, metadata, version.
nlohmann::json ShadowGetAnswer(const ShadowDocument& stored, const nlohmann::json& request, int64_t now_s);

// delete/accepted.
nlohmann::json ShadowDeleteAnswer(const ShadowDocument& stored, const nlohmann::json& request, int64_t now_s);

// .../rejected: {"code", "message", "timestamp", "clientToken"?}.
nlohmann::json ShadowRejection(const ShadowError& error, const nlohmann::json& request, int64_t now_s);

// The members of `desired` that `reported` does not hold the same, or null if none.
nlohmann::json ShadowDelta(const nlohmann::json& desired, const nlohmann::json& reported);

// A shadow's place in a topic: "$aws/things/<thing>/shadow/[name/<shadow>/]<operation>".
struct ShadowTopic {
  std::string thing;
  std::string shadow;     // "" for the classic shadow
  std::string operation;  // "get", "update" or "delete"
};
// The request a topic names, or nullopt for any other topic (the answers' topics included).
std::optional<ShadowTopic> ParseShadowTopic(std::string_view topic);
// "$aws/things/<thing>/shadow/[name/<shadow>/]" + suffix ("update/accepted").
std::string ShadowTopicPrefix(const std::string& thing, const std::string& shadow);

}  // namespace tributary::devices
