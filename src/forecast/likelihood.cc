#include "forecast/internal/likelihood.h"

#include <cmath>

namespace tributary::forecast::internal {
namespace {

constexpr double kMinPositive = 1e-6;
constexpr double kBetaEdge = 1e-5;

torch::Tensor Positive(const torch::Tensor& x) { return torch::nn::functional::softplus(x) + kMinPositive; }

}  // namespace

int NumDistOutputs(Likelihood kind) {
  switch (kind) {
    case Likelihood::kStudentT: return 3;
    case Likelihood::kGaussian: return 2;
    case Likelihood::kNegativeBinomial: return 2;
    case Likelihood::kBeta: return 2;
    case Likelihood::kDeterministicL1: return 1;
  }
  return 0;
}

DistParams MakeDist(Likelihood kind, const torch::Tensor& raw, const torch::Tensor& scale) {
  DistParams d;
  d.kind = kind;
  d.scale = scale;
  auto o = [&](int i) { return raw.select(-1, i); };
  switch (kind) {
    case Likelihood::kGaussian:
      d.a = o(0) * scale;
      d.b = Positive(o(1)) * scale;
      break;
    case Likelihood::kStudentT:
      d.a = o(0) * scale;
      d.b = Positive(o(1)) * scale;
      d.c = 2.0 + torch::nn::functional::softplus(o(2));
      break;
    case Likelihood::kNegativeBinomial:
      d.a = Positive(o(0)) * scale;
      d.b = Positive(o(1)) / torch::sqrt(scale);
      break;
    case Likelihood::kBeta:
      d.a = Positive(o(0));
      d.b = Positive(o(1));
      break;
    case Likelihood::kDeterministicL1:
      d.a = o(0) * scale;
      break;
  }
  return d;
}

torch::Tensor LogProb(const DistParams& d, const torch::Tensor& x) {
  switch (d.kind) {
    case Likelihood::kGaussian: {
      auto z = (x - d.a) / d.b;
      return -0.5 * z * z - torch::log(d.b) - 0.5 * std::log(2 * M_PI);
    }
    case Likelihood::kStudentT: {
      const auto& nu = d.c;
      auto z = (x - d.a) / d.b;
      return torch::lgamma((nu + 1) / 2) - torch::lgamma(nu / 2) - 0.5 * torch::log(M_PI * nu) -
             torch::log(d.b) - (nu + 1) / 2 * torch::log1p(z * z / nu);
    }
    case Likelihood::kNegativeBinomial: {
      // r = 1 / alpha, p(success) = mu / (mu + r).
      auto r = 1.0 / d.b;
      return torch::lgamma(x + r) - torch::lgamma(x + 1) - torch::lgamma(r) +
             r * torch::log(r / (r + d.a)) + x * torch::log(d.a / (r + d.a));
    }
    case Likelihood::kBeta: {
      auto xc = x.clamp(kBetaEdge, 1 - kBetaEdge);
      return torch::lgamma(d.a + d.b) - torch::lgamma(d.a) - torch::lgamma(d.b) +
             (d.a - 1) * torch::log(xc) + (d.b - 1) * torch::log1p(-xc);
    }
    case Likelihood::kDeterministicL1:
      return -torch::abs(x - d.a) / d.scale;
  }
  return {};
}

torch::Tensor Sample(const DistParams& d, torch::Generator& gen) {
  torch::NoGradGuard no_grad;
  switch (d.kind) {
    case Likelihood::kGaussian:
      return d.a + d.b * at::normal(0.0, 1.0, d.a.sizes(), gen, d.a.options());
    case Likelihood::kStudentT: {
      // mu + sigma * N / sqrt(V / nu) with V ~ chi^2(nu) = 2 * Gamma(nu / 2).
      auto n = at::normal(0.0, 1.0, d.a.sizes(), gen, d.a.options());
      auto v = 2.0 * at::_standard_gamma(d.c / 2, gen);
      return d.a + d.b * n / torch::sqrt(v / d.c);
    }
    case Likelihood::kNegativeBinomial: {
      // Poisson(Gamma(shape r, scale mu / r)).
      auto r = 1.0 / d.b;
      auto lambda = at::_standard_gamma(r, gen) * (d.a / r);
      return at::poisson(lambda, gen);
    }
    case Likelihood::kBeta: {
      auto g1 = at::_standard_gamma(d.a, gen);
      auto g2 = at::_standard_gamma(d.b, gen);
      return g1 / (g1 + g2);
    }
    case Likelihood::kDeterministicL1:
      return d.a.clone();
  }
  return {};
}

torch::Tensor Mean(const DistParams& d) {
  switch (d.kind) {
    case Likelihood::kBeta: return d.a / (d.a + d.b);
    default: return d.a;
  }
}

Status CheckSupport(Likelihood kind, const std::vector<float>& target, const std::string& origin) {
  for (size_t t = 0; t < target.size(); ++t) {
    float x = target[t];
    if (std::isnan(x)) continue;
    if (std::isinf(x)) {
      return InvalidArgument(origin + ": field 'target[" + std::to_string(t) + "]': value is infinite");
    }
    if (kind == Likelihood::kNegativeBinomial && x < 0) {
      return InvalidArgument(origin + ": field 'target[" + std::to_string(t) + "]': " + std::to_string(x) +
                             " is negative; likelihood negative-binomial needs counts >= 0");
    }
    if (kind == Likelihood::kBeta && (x < 0 || x > 1)) {
      return InvalidArgument(origin + ": field 'target[" + std::to_string(t) + "]': " + std::to_string(x) +
                             " is outside [0, 1]; likelihood beta needs values in [0, 1]");
    }
  }
  return Status::Ok();
}

}  // namespace tributary::forecast::internal
