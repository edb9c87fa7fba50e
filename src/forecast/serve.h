// The DeepAR worker of model serving: `tributary-forecast serve --model DIR`
// speaks the worker protocol of src/serving/README.md over stdin/stdout. Every
// message is one JSON header line followed by exactly `length` body bytes:
//
//   worker -> server, once   {"ready":true,"info":{"prediction_length":24,"context_length":72,
//                              "min_target_length":1,"time_freq":"H","likelihood":"student-T",
//                              "num_dynamic_feat":0,"cardinality":[3]}}
//                            or {"ready":false,"error":"..."} and exit 1
//   server -> worker         {"id":7,"content_type":"application/json","accept":"application/json",
//                              "length":N[,"inference_config":{...}]} + body
//   worker -> server         {"id":7,"status":200,"content_type":"application/json","length":N} +
//   body
//                            (status >= 400 adds "error"; the body is then {"error":"..."})
//
// Requests are answered one at a time, in order, each flushed; invocation.h
// maps bodies to forecasts. A header that is not JSON (the server broke the
// protocol) is answered with id null and status 400 and the loop goes on with
// the next line; end of input between messages ends the loop cleanly, inside
// a body it is an error. Logs go to `log` only: `out` carries the protocol.
//
// Sampling seeds: forecast n of the worker's life (instances counted across
// requests, from 0) uses seed base + n, so repeated identical requests draw
// different sample paths, as SageMaker's endpoints do, while a worker started
// with the same base and fed the same requests answers bit for bit the same.
#pragma once

#include <cstdint>
#include <iosfwd>
#include <string>

#include "forecast/artifact.h"
#include "forecast/predictor.h"

namespace tributary::forecast {

// The line announcing the loaded model, {"ready":true,"info":{...}} (no newline).
std::string ReadyLine(const ModelInfo& info);

// Answers requests from `in` on `out` until end of input (the ready line is
// the caller's). Returns 0 at a clean
// end, 1 when the input ended inside a message or `out` failed.
int ServeLoop(Predictor& predictor, uint64_t seed_base, std::istream& in, std::ostream& out,
              std::ostream& log);

}  // namespace tributary::forecast
