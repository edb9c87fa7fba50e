#include "devices/shadow_document.h"

#include "base/json_text.h"

namespace tributary::devices {
namespace {

using nlohmann::json;

// Levels of nesting in `v`: an object or an array is one more than its deepest member.
int Depth(const json& v) {
  if (!v.is_object() && !v.is_array()) return 0;
  int deepest = 0;
  for (const auto& member : v) deepest = std::max(deepest, Depth(member));
  return 1 + deepest;
}

// The metadata of the values `delta` holds, from `meta` (the metadata of desired): the
// same shape as the delta.
json MetadataOf(const json& delta, const json& meta) {
  json out = json::object();
  for (const auto& [key, value] : delta.items()) {
    auto m = meta.find(key);
    if (m == meta.end()) continue;
    out[key] = value.is_object() && m->is_object() ? MetadataOf(value, *m) : *m;
  }
  return out;
}

// Merges `update` into `target` (both objects) and records each value set in `meta`
// (the metadata object at the same place) and in `changed` (the metadata of what this
// update set): null removes, objects recurse, anything else replaces. An object the
// update's nulls leave empty goes too (`{"x":{"y":null}}` on `{"x":{"y":1}}` leaves no
// `x`); an empty object the update gives (`{"x":{}}`) is set as given.
void Merge(json& target, json& meta, json& changed, const json& update, int64_t now_s) {
  for (const auto& [key, value] : update.items()) {
    if (value.is_null()) {
      target.erase(key);
      meta.erase(key);
      continue;
    }
    if (value.is_object()) {
      if (!target.contains(key) || !target[key].is_object()) {
        target[key] = json::object();
        meta[key] = json::object();
      }
      if (!meta.contains(key) || !meta[key].is_object()) meta[key] = json::object();
      json sub = json::object();
      Merge(target[key], meta[key], sub, value, now_s);
      changed[key] = std::move(sub);
      if (target[key].empty() && !value.empty()) {
        target.erase(key);
        meta.erase(key);
      }
      continue;
    }
    target[key] = value;
    meta[key] = {{"timestamp", now_s}};
    changed[key] = {{"timestamp", now_s}};
  }
}

void AddClientToken(json& answer, const json& request) {
  if (auto it = request.find("clientToken"); it != request.end()) answer["clientToken"] = *it;
}

// The state as stored, with "desired" and "reported" in that order when present.
json Sections(const json& state) {
  json out = json::object();
  for (const char* section : {"desired", "reported"}) {
    if (state.contains(section)) out[section] = state[section];
  }
  return out;
}

std::optional<ShadowError> Check(const json& request, const ShadowDocument& stored) {
  auto state = request.find("state");
  if (state == request.end()) return ShadowError{400, "Missing required node: state"};
  if (!state->is_object()) return ShadowError{400, "State node must be an object"};
  for (const auto& [key, value] : state->items()) {
    if (key != "desired" && key != "reported") {
      return ShadowError{400, "State contains an invalid node: '" + key + "'"};
    }
    if (!value.is_object() && !value.is_null()) {
      return ShadowError{400, "State node '" + key + "' must be an object or null"};
    }
    if (Depth(value) > kMaxShadowDepth) {
      return ShadowError{400, "JSON contains too many levels of nesting; maximum is " +
                                  std::to_string(kMaxShadowDepth) + " (in '" + key + "')"};
    }
  }
  for (const auto& [key, value] : request.items()) {
    if (key != "state" && key != "version" && key != "clientToken") {
      return ShadowError{400, "Unexpected field: '" + key + "' (an update holds state, version and clientToken)"};
    }
  }
  if (auto version = request.find("version"); version != request.end()) {
    if (!version->is_number_integer()) return ShadowError{400, "Invalid version: it must be an integer"};
    if (version->get<int64_t>() != stored.version) {
      return ShadowError{409, "Version conflict: the shadow is at version " + std::to_string(stored.version) +
                                  ", the update names " + std::to_string(version->get<int64_t>())};
    }
  }
  return std::nullopt;
}

}  // namespace

std::optional<ShadowError> ParseShadowRequest(std::string_view payload, json* out) {
  if (payload.size() > kMaxShadowRequestBytes) {
    return ShadowError{413, "The payload exceeds the maximum size allowed (" + std::to_string(kMaxShadowRequestBytes) +
                                " bytes)"};
  }
  if (payload.find_first_not_of(" \t\r\n") == std::string_view::npos) {
    *out = json::object();
    return std::nullopt;
  }
  if (!CheckJsonDepth(payload, "the payload").ok()) {
    return ShadowError{400, "JSON contains too many levels of nesting; maximum is " +
                                std::to_string(kMaxShadowDepth)};
  }
  json parsed = json::parse(payload, nullptr, false);
  if (parsed.is_discarded()) return ShadowError{400, "Payload contains invalid json"};
  if (!parsed.is_object()) return ShadowError{400, "Payload must be a JSON object"};
  if (auto token = parsed.find("clientToken"); token != parsed.end()) {
    if (!token->is_string()) return ShadowError{400, "clientToken must be a string"};
    if (token->get<std::string>().size() > kMaxClientTokenBytes) {
      return ShadowError{400, "clientToken is longer than " + std::to_string(kMaxClientTokenBytes) + " bytes"};
    }
  }
  *out = std::move(parsed);
  return std::nullopt;
}

json ShadowDelta(const json& desired, const json& reported) {
  if (!desired.is_object()) return json();
  json delta = json::object();
  for (const auto& [key, want] : desired.items()) {
    auto have = reported.is_object() ? reported.find(key) : reported.end();
    if (reported.is_object() && have != reported.end()) {
      if (want.is_object() && have->is_object()) {
        json sub = ShadowDelta(want, *have);
        if (!sub.is_null()) delta[key] = std::move(sub);
        continue;
      }
      if (want == *have) continue;
    }
    delta[key] = want;
  }
  return delta.empty() ? json() : delta;
}

std::variant<ShadowUpdate, ShadowError> ApplyShadowUpdate(const ShadowDocument& stored, const json& request,
                                                          int64_t now_s) {
  if (auto refused = Check(request, stored)) return *refused;
  ShadowUpdate u;
  u.current = stored;
  if (!stored.exists) {  // made (again): nothing of a deleted one's state stays
    u.current.state = json::object();
    u.current.metadata = json::object();
  }
  u.current.exists = true;
  json changed_meta = json::object();
  const json& state = request["state"];
  for (const char* section : {"desired", "reported"}) {
    auto it = state.find(section);
    if (it == state.end()) continue;
    if (it->is_null()) {  // the whole section goes
      u.current.state.erase(section);
      u.current.metadata.erase(section);
      continue;
    }
    json& target = u.current.state[section];
    if (!target.is_object()) target = json::object();
    json& meta = u.current.metadata[section];
    if (!meta.is_object()) meta = json::object();
    json changed = json::object();
    Merge(target, meta, changed, *it, now_s);
    changed_meta[section] = std::move(changed);
  }
  if (u.current.state.dump().size() > kMaxShadowStateBytes) {
    return ShadowError{413, "The shadow's state would exceed the maximum size of " +
                                std::to_string(kMaxShadowStateBytes) + " bytes"};
  }
  u.current.version = stored.version + 1;

  u.accepted = {{"state", state}, {"metadata", changed_meta}, {"version", u.current.version}, {"timestamp", now_s}};
  AddClientToken(u.accepted, request);

  json current = {{"state", Sections(u.current.state)}, {"metadata", Sections(u.current.metadata)},
                  {"version", u.current.version}};
  u.documents = {{"current", current}, {"timestamp", now_s}};
  if (stored.exists) {
    u.documents["previous"] = {{"state", Sections(stored.state)},
                               {"metadata", Sections(stored.metadata)},
                               {"version", stored.version}};
  }
  AddClientToken(u.documents, request);

  // A delta goes out when this update asked for desired values reported does not hold.
  if (auto desired = state.find("desired"); desired != state.end() && desired->is_object()) {
    json delta = ShadowDelta(u.current.state.value("desired", json::object()),
                             u.current.state.value("reported", json::object()));
    if (!delta.is_null()) {
      json delta_meta = MetadataOf(delta, u.current.metadata.value("desired", json::object()));
      json message = {{"version", u.current.version}, {"timestamp", now_s}, {"state", delta}, {"metadata", delta_meta}};
      AddClientToken(message, request);
      u.delta = std::move(message);
    }
  }
  return u;
}

json ShadowGetAnswer(const ShadowDocument& stored, const json& request, int64_t now_s) {
  json state = Sections(stored.state);
  json delta = ShadowDelta(stored.state.value("desired", json::object()), stored.state.value("reported", json::object()));
  if (!delta.is_null()) state["delta"] = delta;
  json answer = {{"state", state}, {"metadata", Sections(stored.metadata)}, {"version", stored.version},
                 {"timestamp", now_s}};
  AddClientToken(answer, request);
  return answer;
}

json ShadowDeleteAnswer(const ShadowDocument& stored, const json& request, int64_t now_s) {
  json answer = {{"version", stored.version}, {"timestamp", now_s}};
  AddClientToken(answer, request);
  return answer;
}

json ShadowRejection(const ShadowError& error, const json& request, int64_t now_s) {
  json answer = {{"code", error.code}, {"message", error.message}, {"timestamp", now_s}};
  if (request.is_object()) AddClientToken(answer, request);
  return answer;
}

std::optional<ShadowTopic> ParseShadowTopic(std::string_view topic) {
  constexpr std::string_view kPrefix = "$aws/things/";
  if (topic.substr(0, kPrefix.size()) != kPrefix) return std::nullopt;
  topic.remove_prefix(kPrefix.size());
  size_t slash = topic.find('/');
  if (slash == std::string_view::npos || slash == 0) return std::nullopt;
  ShadowTopic t;
  t.thing = std::string(topic.substr(0, slash));
  topic.remove_prefix(slash + 1);
  constexpr std::string_view kShadow = "shadow/";
  if (topic.substr(0, kShadow.size()) != kShadow) return std::nullopt;
  topic.remove_prefix(kShadow.size());
  constexpr std::string_view kName = "name/";
  if (topic.substr(0, kName.size()) == kName) {
    topic.remove_prefix(kName.size());
    slash = topic.find('/');
    if (slash == std::string_view::npos || slash == 0) return std::nullopt;
    t.shadow = std::string(topic.substr(0, slash));
    topic.remove_prefix(slash + 1);
  }
  if (topic != "get" && topic != "update" && topic != "delete") return std::nullopt;
  t.operation = std::string(topic);
  return t;
}

std::string ShadowTopicPrefix(const std::string& thing, const std::string& shadow) {
  std::string prefix = "$aws/things/" + thing + "/shadow/";
  if (!shadow.empty()) prefix += "name/" + shadow + "/";
  return prefix;
}

}  // namespace tributary::devices
