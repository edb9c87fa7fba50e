// One real-time invocation of a DeepAR model, as SageMaker DeepAR's endpoints
// take it: the request body parsed into series and a ForecastConfig, the
// forecasts, and the answer body. The worker (serve.h) calls it once per
// request; it needs no process or pipe, so tests drive it directly.
//
//   content type            request body                               answer body
//   application/json        {"instances": [{"start", "target", "cat",  {"predictions": [{"mean":
//   [..],
//                             "dynamic_feat"}, ...],                     "quantiles": {"0.1":
//                             [..]},
//                            "configuration": {"num_samples": 100,       "samples": [[..], ..]},
//                            ...]}
//                             "output_types": ["mean", "quantiles"],
//                             "quantiles": ["0.1", "0.9"]}}
//   application/jsonlines   one instance per line; the configuration   one prediction object per
//   line
//                           comes from the worker header's
//                           "inference_config" (absent: defaults)
//
// Only the requested output types appear; quantiles are keyed by the strings
// the request gave ("0.50" stays "0.50"). Defaults are SageMaker's: 100
// samples, output types mean and quantiles, quantiles 0.1 .. 0.9. The answer
// has the request's format: the accept type is only checked (empty, */*, JSON
// or JSON Lines), because the server sends application/json by default even
// with a JSON Lines body, whose answer SageMaker gives as JSON Lines.
//
//   status  when                                          error (examples)
//   400     body is not JSON (with position)              "the body is not valid JSON: column 9:
//   ..."
//           no `instances` array                          "instances: missing; the body must be
//           {\"instances\": [...]}" a field has the wrong type or shape           "instances[2]:
//           field 'cat': has 0 values, the model expects 1" num_samples outside 1..1000
//           "configuration.num_samples: 5000 is outside 1..1000" a quantile outside (0, 1)
//           "configuration.quantiles[1]: 1.5 is not in (0, 1)" an unknown output type
//           "configuration.output_types[0]: 'median' is not one of ..."
//   406     accept type neither JSON nor JSON Lines
//   415     content type neither JSON nor JSON Lines
//   500     the model produced NaN or infinity, or Predict failed otherwise
//
// Targets shorter than context_length are padded as unobserved (the predictor's
// windows start before the series when needed), so a target needs 1 value.
// Thread-compatible; Invoke uses the predictor, which serializes its callers.
#pragma once

#include <cstdint>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "forecast/artifact.h"
#include "forecast/predictor.h"
#include "forecast/series.h"

namespace tributary::forecast {

inline constexpr char kJsonType[] = "application/json";
inline constexpr char kJsonLinesType[] = "application/jsonlines";
inline constexpr int kMaxNumSamples = 1000;

// The shortest target the model can forecast from (see above).
inline constexpr int kMinTargetLength = 1;

enum class BodyFormat { kJson, kJsonLines };

// "application/json; charset=utf-8" -> kJson; JSON Lines also as
// application/x-jsonlines. Error: not one of them.
Result<BodyFormat> ParseContentType(std::string_view content_type);

struct Invocation {
  std::vector<TimeSeries> instances;
  ForecastConfig config;
  std::vector<std::string>
      quantile_keys;  // as the request spelled them; parallel to config.quantiles
};

// Fills `out` from SageMaker's "configuration" object; `where` prefixes errors
// ("configuration" or "inference_config").
Status ParseConfiguration(const nlohmann::json& configuration, const std::string& where,
                          Invocation& out);

// Parses a body of either format and checks every instance against the model
// (cat count, dynamic features covering target + prediction_length; both skipped
// when the model ignores them). `inference_config` is the worker header's, used
// for JSON Lines (nullptr: defaults). Errors are kInvalidArgument.
Result<Invocation> ParseInvocation(BodyFormat format, std::string_view body,
                                   const nlohmann::json* inference_config, const ModelInfo& model);

// The answer body in `format` for the forecasts of inv.instances, in order.
std::string FormatPredictions(BodyFormat format, const Invocation& inv,
                              const std::vector<Forecast>& forecasts);

// Internal error naming the value when a forecast holds NaN or infinity.
Status CheckFinite(const Forecast& f, size_t instance);

struct InvocationReply {
  int status = 200;
  std::string content_type;
  std::string body;
  std::string error;  // set when status >= 400
};

// The whole request: parse, forecast each instance with seeds next_seed,
// next_seed + 1, ... (advanced past the ones used), format. Never throws.
InvocationReply Invoke(Predictor& predictor, std::string_view content_type, std::string_view accept,
                       std::string_view body, const nlohmann::json* inference_config,
                       uint64_t& next_seed);

}  // namespace tributary::forecast
