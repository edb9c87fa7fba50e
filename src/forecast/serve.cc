#include "forecast/serve.h"

#include <fmt/format.h>

#include <istream>
#include <nlohmann/json.hpp>
#include <ostream>

#include "forecast/invocation.h"

namespace tributary::forecast {
namespace {

using nlohmann::json;

// Larger bodies are skipped unread and answered 413: a real-time request holds
// a few series, and the whole body is held in memory.
constexpr int64_t kMaxBodyBytes = 64 << 20;

bool WriteMessage(std::ostream& out, const json& id, const InvocationReply& r) {
  json header = {{"id", id},
                 {"status", r.status},
                 {"content_type", r.content_type},
                 {"length", r.body.size()}};
  if (r.status >= 400) header["error"] = r.error;
  out << header.dump() << '\n' << r.body;
  out.flush();
  return out.good();
}

}  // namespace

std::string ReadyLine(const ModelInfo& info) {
  const FeatureSpec& spec = info.spec;
  json i = {{"prediction_length", spec.prediction_length},
            {"context_length", spec.context_length},
            {"min_target_length", kMinTargetLength},
            {"time_freq", spec.freq.ToString()},
            {"likelihood", LikelihoodName(info.hyperparameters.likelihood)},
            {"num_dynamic_feat", spec.num_dynamic_feat},
            {"cardinality", spec.cardinality}};
  return json{{"ready", true}, {"info", i}}.dump();
}

int ServeLoop(Predictor& predictor, uint64_t seed_base, std::istream& in, std::ostream& out,
              std::ostream& log) {
  uint64_t next_seed = seed_base;
  std::string line, body;
  while (std::getline(in, line)) {
    if (in.eof()) {  // no newline: the input ended inside a header
      if (line.empty()) break;
      log << "serve: input ended inside a header: " << line.substr(0, 200) << "\n";
      return 1;
    }
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) continue;
    json header = json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (header.is_discarded() || !header.is_object()) {
      log << "serve: header is not a JSON object, skipped: " << line.substr(0, 200) << "\n";
      InvocationReply r{400, kJsonType, json{{"error", "header is not a JSON object"}}.dump(),
                        "header is not a JSON object"};
      if (!WriteMessage(out, nullptr, r)) return 1;
      continue;
    }
    json id = header.contains("id") ? header["id"] : json(nullptr);
    const json& length_field = header.contains("length") ? header["length"] : json(0);
    if (!length_field.is_number_integer() || length_field.get<int64_t>() < 0) {
      log << "serve: request " << id.dump() << ": 'length' is not a non-negative integer\n";
      InvocationReply r{400, kJsonType,
                        json{{"error", "header: 'length' must be a non-negative integer"}}.dump(),
                        "header: 'length' must be a non-negative integer"};
      if (!WriteMessage(out, id, r)) return 1;
      continue;
    }
    const int64_t length = length_field.get<int64_t>();
    if (length > kMaxBodyBytes) {
      in.ignore(length);
      if (in.gcount() != length) {
        log << "serve: input ended inside the body of request " << id.dump() << "\n";
        return 1;
      }
      std::string error =
          fmt::format("body of {} bytes exceeds the limit of {}", length, kMaxBodyBytes);
      if (!WriteMessage(out, id,
                        InvocationReply{413, kJsonType, json{{"error", error}}.dump(), error}))
        return 1;
      continue;
    }
    body.resize(static_cast<size_t>(length));
    in.read(body.data(), length);
    if (in.gcount() != length) {
      log << "serve: input ended inside the body of request " << id.dump() << " (" << in.gcount()
          << " of " << length << " bytes)\n";
      return 1;
    }
    auto field = [&](const char* name) {
      auto it = header.find(name);
      return it != header.end() && it->is_string() ? it->get<std::string>() : std::string();
    };
    std::string content_type = field("content_type");
    if (content_type.empty()) content_type = kJsonType;
    auto config = header.find("inference_config");
    InvocationReply r = Invoke(predictor, content_type, field("accept"), body,
                               config == header.end() ? nullptr : &*config, next_seed);
    if (r.status >= 400)
      log << "serve: request " << id.dump() << ": " << r.status << " " << r.error << "\n";
    if (!WriteMessage(out, id, r)) {
      log << "serve: cannot write the answer to request " << id.dump() << "; stopping\n";
      return 1;
    }
  }
  return in.bad() ? 1 : 0;
}

}  // namespace tributary::forecast
