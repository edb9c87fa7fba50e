// One real-time invocation of a DeepAR model, as SageMaker DeepAR's endpoints
// take it: the request body parsed into series and a ForecastConfig, the
// forecasts, and the answer body. The worker (serve.h) calls it once per
// request; it needs no process or pipe, so tests drive it directly.
//
//   content type           request body                          answer body
//   application/json       {"instances": [{"start", "target",    {"predictions": [{"mean": [..],
//                            "cat", "dynamic_feat"}, ...],          "quantiles": {"0.1": [..]},
//                           "configuration": {"num_samples": 100,  "samples": [[..], ..]}, ...]}
//                             "output_types": ["mean", "quantiles"],
//                             "quantiles": ["0.1", "0.9"]}}
//   application/jsonlines  one instance per line; the             one prediction object per line
//                          configuration from the worker header's
//                          "inference_config" (absent: defaults)
//
// Only the requested output types appear; quantiles are keyed by the strings
// the request gave ("0.50" stays "0.50"). Defaults are SageMaker's: 100
// samples, output types mean and quantiles, quantiles 0.1 .. 0.9. The answer
// has the request's format: the accept type is only checked (empty, */*, JSON
// or JSON Lines), because the server sends application/json by default even
// with a JSON Lines body, whose answer SageMaker gives as JSON Lines.
//
//   status  when                          error (examples)
//   400     body is not JSON              "the body is not valid JSON: column 9: ..."
//           no `instances` array          "instances: missing; the body must be {...}"
//           a field's type or shape       "instances[2]: field 'cat': has 0 values, the ..."
//           a value past 1e30             "instances[0]: field 'target[5]': 3e+38 is out of ..."
//           a cat not in 0..2^53          "line 3: field 'cat': expected an integer in 0.., got -1"
//           num_samples outside 1..1000   "configuration.num_samples: 5000 is outside 1..1000"
//           a quantile outside (0, 1)     "configuration.quantiles[1]: 1.5 is not in (0, 1)"
//           more than 100 quantiles       "configuration.quantiles: 101 quantiles, more than ..."
//           an unknown output type        "configuration.output_types[0]: 'median' is not ..."
//           a cat past the cardinality    "instances[1]: field 'cat[0]': 7 is not in 0..1 (...)"
//   406     accept type neither JSON nor JSON Lines
//   413     more than 1000 instances      "instances: 1001 or more, more than 1000 per ..."
//           an answer too large           "the answer would hold 1212000 numbers (...), ..."
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

// What one request may ask for, so that its work and its answer stay bounded whatever
// its body: the endpoint takes bodies of at most 6 MB (serving/endpoint_manager.h), but
// 6 MB of short series asking for every sample made a 445 MB answer. Instances per
// request: as many as batch transform's largest MaxRecordsPerBatch.
inline constexpr int kMaxInstances = 1000;
inline constexpr int kMaxQuantiles = 100;
// Numbers in the answer: instances x prediction_length x (1 for the mean + one per
// quantile + num_samples when samples are asked for); about 11 MB of JSON.
inline constexpr int64_t kMaxAnswerValues = 1'000'000;

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
// for JSON Lines (nullptr: defaults). Errors are kInvalidArgument, or
// kResourceExhausted (413) past kMaxInstances or kMaxAnswerValues.
Result<Invocation> ParseInvocation(BodyFormat format, std::string_view body,
                                   const nlohmann::json* inference_config, const ModelInfo& model);

// The answer body in `format` for the forecasts of inv.instances, in order.
std::string FormatPredictions(BodyFormat format, const Invocation& inv,
                              const std::vector<Forecast>& forecasts);

// The numbers the answer to `inv` holds (see kMaxAnswerValues).
int64_t AnswerValues(const Invocation& inv, int prediction_length);

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
