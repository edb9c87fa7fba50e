// The output distributions of DeepAR (SageMaker's `likelihood`), on torch
// tensors. Only src/forecast/*.cc may include this (it pulls in torch).
//
//   likelihood         network outputs -> parameters (data units, s = series scale)
//   gaussian           mu = o0 * s, sigma = (softplus(o1) + 1e-6) * s
//   student-T          mu = o0 * s, sigma = (softplus(o1) + 1e-6) * s, nu = 2 + softplus(o2)
//   negative-binomial  mu = (softplus(o0) + 1e-6) * s, alpha = (softplus(o1) + 1e-6) / sqrt(s)
//                      (the DeepAR paper's scaling), Var = mu + alpha * mu^2
//   beta               a = softplus(o0) + 1e-6, b = softplus(o1) + 1e-6 (not scaled; targets in [0, 1])
//   deterministic-L1   value = o0 * s; "log-prob" = -|x - value| / s, samples are the value itself
//
// Functions are pure; sampling draws from the generator it is given.
#pragma once

#include <torch/torch.h>

#include "forecast/hyperparameters.h"

namespace tributary::forecast::internal {

struct DistParams {
  Likelihood kind = Likelihood::kStudentT;
  torch::Tensor a, b, c;  // see the table above: (mu, sigma, nu), (mu, alpha), (a, b), (value)
  torch::Tensor scale;    // the series scale, broadcast like the parameters
};

// How many network outputs the likelihood needs per time step.
int NumDistOutputs(Likelihood kind);

// `raw` is [..., NumDistOutputs(kind)]; `scale` broadcasts against raw[..., 0].
DistParams MakeDist(Likelihood kind, const torch::Tensor& raw, const torch::Tensor& scale);

// Elementwise log density (or mass) of `x` under the distribution.
torch::Tensor LogProb(const DistParams& d, const torch::Tensor& x);

// One draw per element, shaped like the parameters.
torch::Tensor Sample(const DistParams& d, torch::Generator& gen);

torch::Tensor Mean(const DistParams& d);

// Checks that observed target values fit the likelihood's support
// (negative-binomial: >= 0; beta: within [0, 1]); names `origin` on failure.
Status CheckSupport(Likelihood kind, const std::vector<float>& target, const std::string& origin);

}  // namespace tributary::forecast::internal
