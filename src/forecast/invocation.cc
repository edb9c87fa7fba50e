#include "forecast/invocation.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <nlohmann/json.hpp>

#include "base/json_text.h"

namespace tributary::forecast {
namespace {

using nlohmann::json;

std::string Lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return std::tolower(c); });
  return out;
}

// A quantile given as "0.1" (SageMaker's form, the key kept as spelled) or 0.1.
Status ParseQuantile(const json& v, const std::string& where, Invocation& out) {
  double q = std::nan("");
  std::string key;
  if (v.is_number()) {
    q = v.get<double>();
    key = QuantileKey(q);
  } else if (v.is_string()) {
    key = v.get<std::string>();
    const char* end = key.data() + key.size();
    auto [ptr, ec] = std::from_chars(key.data(), end, q);
    if (ec != std::errc() || ptr != end)
      return InvalidArgument(where + ": '" + key + "' is not a number");
  } else {
    return InvalidArgument(where + ": expected a string such as \"0.9\", got " + v.dump());
  }
  if (!(q > 0 && q < 1)) return InvalidArgument(where + ": " + key + " is not in (0, 1)");
  out.config.quantiles.push_back(q);
  out.quantile_keys.push_back(std::move(key));
  return Status::Ok();
}

void AppendValues(fmt::memory_buffer& out, const std::vector<double>& values) {
  out.push_back('[');
  for (size_t i = 0; i < values.size(); ++i) {
    if (i > 0) out.push_back(',');
    // Samples are floats: their shortest float spelling is exact and half as long.
    fmt::format_to(std::back_inserter(out), "{}", static_cast<float>(values[i]));
  }
  out.push_back(']');
}

void AppendPrediction(fmt::memory_buffer& out, const Invocation& inv, const Forecast& f) {
  const ForecastConfig& c = inv.config;
  const char* sep = "";
  out.push_back('{');
  if (c.output_mean) {
    fmt::format_to(std::back_inserter(out), "\"mean\":");
    AppendValues(out, f.mean);
    sep = ",";
  }
  if (c.output_quantiles) {
    fmt::format_to(std::back_inserter(out), "{}\"quantiles\":{{", sep);
    for (size_t i = 0; i < f.quantiles.size() && i < inv.quantile_keys.size(); ++i) {
      fmt::format_to(std::back_inserter(out), "{}{}:", i > 0 ? "," : "",
                     json(inv.quantile_keys[i]).dump());
      AppendValues(out, f.quantiles[i].second);
    }
    out.push_back('}');
    sep = ",";
  }
  if (c.output_samples) {
    fmt::format_to(std::back_inserter(out), "{}\"samples\":[", sep);
    for (size_t s = 0; s < f.samples.size(); ++s) {
      if (s > 0) out.push_back(',');
      AppendValues(out, f.samples[s]);
    }
    out.push_back(']');
  }
  out.push_back('}');
}

Status TooManyInstances(size_t n) {
  return ResourceExhausted(
      "instances: " + std::to_string(n) + (n > kMaxInstances ? " or more" : "") + ", more than " +
      std::to_string(kMaxInstances) + " per request; split them over several requests");
}

InvocationReply Error(int status, std::string message) {
  InvocationReply r;
  r.status = status;
  r.content_type = kJsonType;
  r.body = json{{"error", message}}.dump();
  r.error = std::move(message);
  return r;
}

}  // namespace

Result<BodyFormat> ParseContentType(std::string_view content_type) {
  std::string t = Lower(content_type.substr(0, content_type.find(';')));
  t.erase(t.find_last_not_of(" \t") + 1);
  t.erase(0, t.find_first_not_of(" \t"));
  if (t == kJsonType) return BodyFormat::kJson;
  if (t == kJsonLinesType || t == "application/x-jsonlines") return BodyFormat::kJsonLines;
  return InvalidArgument("content type '" + std::string(content_type) + "' is not supported; use " +
                         kJsonType + " or " + kJsonLinesType);
}

Status ParseConfiguration(const json& configuration, const std::string& where, Invocation& out) {
  if (configuration.is_null()) return Status::Ok();
  if (!configuration.is_object()) return InvalidArgument(where + ": expected an object");
  for (const auto& [key, v] : configuration.items()) {
    const std::string field = where + "." + key;
    if (key == "num_samples") {
      if (!v.is_number_integer())
        return InvalidArgument(field + ": expected an integer, got " + v.dump());
      int64_t n = v.get<int64_t>();
      if (n < 1 || n > kMaxNumSamples) {
        return InvalidArgument(field + ": " + std::to_string(n) + " is outside 1.." +
                               std::to_string(kMaxNumSamples));
      }
      out.config.num_samples = static_cast<int>(n);
    } else if (key == "output_types") {
      if (!v.is_array())
        return InvalidArgument(field + ": expected an array such as [\"mean\", \"quantiles\"]");
      std::vector<std::string> types;
      for (size_t i = 0; i < v.size(); ++i) {
        const std::string item = field + "[" + std::to_string(i) + "]";
        if (!v[i].is_string())
          return InvalidArgument(item + ": expected a string, got " + v[i].dump());
        if (Status s = out.config.SetOutputTypes({v[i].get<std::string>()}); !s.ok()) {
          return InvalidArgument(item + ": " + s.message());
        }
        types.push_back(v[i].get<std::string>());
      }
      TRY(out.config.SetOutputTypes(types));
    } else if (key == "quantiles") {
      if (!v.is_array())
        return InvalidArgument(field + ": expected an array such as [\"0.1\", \"0.9\"]");
      if (v.size() > kMaxQuantiles) {
        return InvalidArgument(field + ": " + std::to_string(v.size()) + " quantiles, more than " +
                               std::to_string(kMaxQuantiles) + " per request");
      }
      out.config.quantiles.clear();
      out.quantile_keys.clear();
      for (size_t i = 0; i < v.size(); ++i)
        TRY(ParseQuantile(v[i], field + "[" + std::to_string(i) + "]", out));
    } else {
      return InvalidArgument(field +
                             ": unknown key; expected num_samples, output_types or quantiles");
    }
  }
  return Status::Ok();
}

Result<Invocation> ParseInvocation(BodyFormat format, std::string_view body,
                                   const json* inference_config, const ModelInfo& model) {
  Invocation inv;
  for (double q : inv.config.quantiles) inv.quantile_keys.push_back(QuantileKey(q));
  if (format == BodyFormat::kJson) {
    TRY_ASSIGN(json j, ParseJsonText(body, "the body"));
    if (!j.is_object())
      return InvalidArgument("body: expected a JSON object {\"instances\": [...]}");
    auto instances = j.find("instances");
    if (instances == j.end())
      return InvalidArgument("instances: missing; the body must be {\"instances\": [...]}");
    if (!instances->is_array())
      return InvalidArgument("instances: expected an array of series objects");
    if (auto c = j.find("configuration"); c != j.end())
      TRY(ParseConfiguration(*c, "configuration", inv));
    if (instances->size() > kMaxInstances) return TooManyInstances(instances->size());
    for (size_t i = 0; i < instances->size(); ++i) {
      TRY_ASSIGN(TimeSeries s,
                 ParseSeriesJson((*instances)[i], "instances[" + std::to_string(i) + "]"));
      inv.instances.push_back(std::move(s));
    }
  } else {
    if (inference_config != nullptr)
      TRY(ParseConfiguration(*inference_config, "inference_config", inv));
    size_t line_no = 0;
    for (size_t begin = 0; begin < body.size();) {
      size_t nl = std::min(body.find('\n', begin), body.size());
      std::string_view line = body.substr(begin, nl - begin);
      begin = nl + 1;
      ++line_no;
      if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
      if (line.find_first_not_of(" \t") == std::string_view::npos) continue;
      if (inv.instances.size() == kMaxInstances) return TooManyInstances(kMaxInstances + 1);
      const std::string origin = "line " + std::to_string(line_no);
      TRY_ASSIGN(json j, ParseJsonText(line, origin));
      TRY_ASSIGN(TimeSeries s, ParseSeriesJson(j, origin));
      inv.instances.push_back(std::move(s));
    }
  }
  const Hyperparameters& hp = model.hyperparameters;
  for (TimeSeries& s : inv.instances) {
    if (hp.cardinality_mode == FeatureMode::kIgnore) s.cat.clear();
    if (hp.num_dynamic_feat_mode == FeatureMode::kIgnore) s.dynamic_feat.clear();
  }
  TRY(CheckShapes(inv.instances, model.spec.cardinality.size(), model.spec.num_dynamic_feat,
                  model.spec.prediction_length));
  if (int64_t n = AnswerValues(inv, model.spec.prediction_length); n > kMaxAnswerValues) {
    return ResourceExhausted(fmt::format(
        "the answer would hold {} numbers ({} instances x prediction_length {} x {} per step: "
        "the mean, each quantile and each sample asked for), more than {} per request; ask for "
        "fewer instances or samples, or leave \"samples\" out of output_types",
        n, inv.instances.size(), model.spec.prediction_length,
        n / (static_cast<int64_t>(inv.instances.size()) * model.spec.prediction_length),
        kMaxAnswerValues));
  }
  return inv;
}

int64_t AnswerValues(const Invocation& inv, int prediction_length) {
  const ForecastConfig& c = inv.config;
  int64_t per_step = (c.output_mean ? 1 : 0) +
                     (c.output_quantiles ? static_cast<int64_t>(c.quantiles.size()) : 0) +
                     (c.output_samples ? c.num_samples : 0);
  return static_cast<int64_t>(inv.instances.size()) * prediction_length * per_step;
}

std::string FormatPredictions(BodyFormat format, const Invocation& inv,
                              const std::vector<Forecast>& forecasts) {
  fmt::memory_buffer out;
  if (format == BodyFormat::kJson) fmt::format_to(std::back_inserter(out), "{{\"predictions\":[");
  for (size_t i = 0; i < forecasts.size(); ++i) {
    if (format == BodyFormat::kJson && i > 0) out.push_back(',');
    AppendPrediction(out, inv, forecasts[i]);
    if (format == BodyFormat::kJsonLines) out.push_back('\n');
  }
  if (format == BodyFormat::kJson) fmt::format_to(std::back_inserter(out), "]}}");
  return fmt::to_string(out);
}

Status CheckFinite(const Forecast& f, size_t instance) {
  auto check = [&](const std::vector<double>& v, const std::string& what) -> Status {
    for (size_t k = 0; k < v.size(); ++k) {
      if (!std::isfinite(v[k])) {
        return Internal("model produced a non-finite forecast: instance " +
                        std::to_string(instance) + ", " + what + "[" + std::to_string(k) +
                        "] = " + fmt::format("{}", v[k]));
      }
    }
    return Status::Ok();
  };
  // Every mean and quantile derives from the samples, so they suffice.
  for (size_t s = 0; s < f.samples.size(); ++s)
    TRY(check(f.samples[s], "samples[" + std::to_string(s) + "]"));
  TRY(check(f.mean, "mean"));
  return Status::Ok();
}

InvocationReply Invoke(Predictor& predictor, std::string_view content_type, std::string_view accept,
                       std::string_view body, const json* inference_config, uint64_t& next_seed) {
  try {
    auto in_format = ParseContentType(content_type);
    if (!in_format.ok()) return Error(415, in_format.status().message());
    const BodyFormat out_format = *in_format;  // see the header on why accept does not pick it
    if (!accept.empty() && accept != "*/*" && !ParseContentType(accept).ok()) {
      return Error(406, "accept type '" + std::string(accept) + "' is not supported; use " +
                            kJsonType + " or " + kJsonLinesType);
    }
    auto inv = ParseInvocation(*in_format, body, inference_config, predictor.info());
    if (!inv.ok()) {
      bool too_large = inv.status().code() == ErrorCode::kResourceExhausted;
      return Error(too_large ? 413 : 400, inv.status().message());
    }
    std::vector<Forecast> forecasts;
    forecasts.reserve(inv->instances.size());
    for (size_t i = 0; i < inv->instances.size(); ++i) {
      inv->config.seed = next_seed++;
      auto f = predictor.Predict(inv->instances[i], inv->config);
      if (!f.ok()) {
        bool bad_input = f.status().code() == ErrorCode::kInvalidArgument;
        return Error(bad_input ? 400 : 500, f.status().message());
      }
      if (Status s = CheckFinite(*f, i); !s.ok()) return Error(500, s.message());
      // num_samples x prediction_length doubles per instance: kept only to be answered.
      if (!inv->config.output_samples) std::vector<std::vector<double>>().swap(f->samples);
      forecasts.push_back(std::move(*f));
    }
    InvocationReply r;
    r.content_type = out_format == BodyFormat::kJson ? kJsonType : kJsonLinesType;
    r.body = FormatPredictions(out_format, *inv, forecasts);
    return r;
  } catch (const std::exception& e) {
    return Error(500, std::string("forecast failed: ") + e.what());
  }
}

}  // namespace tributary::forecast
