#include "forecast/internal/likelihood.h"

#include <gtest/gtest.h>

#include <cmath>

namespace tributary::forecast::internal {
namespace {

// Builds a distribution straight from its parameters (bypassing the softplus).
DistParams Params(Likelihood kind, double a, double b, double c = 0) {
  DistParams d;
  d.kind = kind;
  d.a = torch::full({1}, a, torch::kDouble);
  d.b = torch::full({1}, b, torch::kDouble);
  d.c = torch::full({1}, c, torch::kDouble);
  d.scale = torch::ones({1}, torch::kDouble);
  return d;
}

double LP(const DistParams& d, double x) {
  return LogProb(d, torch::full({1}, x, torch::kDouble)).item<double>();
}

DistParams Expand(DistParams d, int64_t n) {
  d.a = d.a.expand({n}).contiguous();
  d.b = d.b.expand({n}).contiguous();
  d.c = d.c.expand({n}).contiguous();
  return d;
}

void CheckMoments(const DistParams& d, double mean, double var, double tol) {
  torch::Generator gen = at::detail::createCPUGenerator(1234);
  auto s = Sample(Expand(d, 200000), gen);
  EXPECT_NEAR(s.mean().item<double>(), mean, tol * std::max(1.0, std::fabs(mean)));
  EXPECT_NEAR(s.var().item<double>(), var, 3 * tol * std::max(1.0, var));
}

TEST(LikelihoodTest, GaussianMatchesClosedForm) {
  auto d = Params(Likelihood::kGaussian, 2.0, 3.0);
  for (double x : {-4.0, 2.0, 7.5}) {
    double z = (x - 2) / 3;
    EXPECT_NEAR(LP(d, x), -0.5 * z * z - std::log(3.0) - 0.5 * std::log(2 * M_PI), 1e-12);
  }
  CheckMoments(d, 2.0, 9.0, 0.01);
}

TEST(LikelihoodTest, StudentTMatchesClosedForm) {
  double mu = 1, sigma = 2, nu = 5;
  auto d = Params(Likelihood::kStudentT, mu, sigma, nu);
  for (double x : {-3.0, 1.0, 4.0}) {
    double z = (x - mu) / sigma;
    double expect = std::lgamma((nu + 1) / 2) - std::lgamma(nu / 2) - 0.5 * std::log(M_PI * nu) -
                    std::log(sigma) - (nu + 1) / 2 * std::log(1 + z * z / nu);
    EXPECT_NEAR(LP(d, x), expect, 1e-12);
  }
  CheckMoments(d, mu, sigma * sigma * nu / (nu - 2), 0.02);
}

TEST(LikelihoodTest, NegativeBinomialMatchesClosedForm) {
  double mu = 4, alpha = 0.5, r = 1 / alpha;
  auto d = Params(Likelihood::kNegativeBinomial, mu, alpha);
  double total = 0;
  for (int k = 0; k < 200; ++k) {
    double p = mu / (mu + r);
    double expect = std::lgamma(k + r) - std::lgamma(k + 1.0) - std::lgamma(r) + r * std::log(1 - p) +
                    k * std::log(p);
    EXPECT_NEAR(LP(d, k), expect, 1e-10) << k;
    total += std::exp(expect);
  }
  EXPECT_NEAR(total, 1.0, 1e-9);  // a proper mass function
  CheckMoments(d, mu, mu + alpha * mu * mu, 0.02);
}

TEST(LikelihoodTest, BetaMatchesClosedForm) {
  double a = 2, b = 5;
  auto d = Params(Likelihood::kBeta, a, b);
  for (double x : {0.1, 0.5, 0.9}) {
    double expect = std::lgamma(a + b) - std::lgamma(a) - std::lgamma(b) + (a - 1) * std::log(x) +
                    (b - 1) * std::log(1 - x);
    EXPECT_NEAR(LP(d, x), expect, 1e-12);
  }
  CheckMoments(d, a / (a + b), a * b / ((a + b) * (a + b) * (a + b + 1)), 0.01);
  EXPECT_NEAR(Mean(d).item<double>(), a / (a + b), 1e-12);
}

TEST(LikelihoodTest, DeterministicL1IsScaledAbsoluteError) {
  auto d = Params(Likelihood::kDeterministicL1, 3.0, 0);
  d.scale = torch::full({1}, 2.0, torch::kDouble);
  EXPECT_NEAR(LP(d, 7.0), -2.0, 1e-12);
  torch::Generator gen = at::detail::createCPUGenerator(1);
  EXPECT_EQ(Sample(d, gen).item<double>(), 3.0);
}

TEST(LikelihoodTest, MakeDistAppliesScaleAsDocumented) {
  auto raw = torch::tensor({{0.5, 0.0, 1.0}}, torch::kDouble);  // [1, 3]
  auto scale = torch::full({1}, 10.0, torch::kDouble);
  auto d = MakeDist(Likelihood::kStudentT, raw, scale);
  double sp0 = std::log1p(std::exp(0.0)), sp1 = std::log1p(std::exp(1.0));
  EXPECT_NEAR(d.a.item<double>(), 5.0, 1e-12);
  EXPECT_NEAR(d.b.item<double>(), (sp0 + 1e-6) * 10, 1e-9);
  EXPECT_NEAR(d.c.item<double>(), 2 + sp1, 1e-12);
  auto nb = MakeDist(Likelihood::kNegativeBinomial, raw.narrow(1, 0, 2), torch::full({1}, 4.0, torch::kDouble));
  EXPECT_NEAR(nb.b.item<double>(), (sp0 + 1e-6) / 2, 1e-9);
  EXPECT_EQ(NumDistOutputs(Likelihood::kGaussian), 2);
  EXPECT_EQ(NumDistOutputs(Likelihood::kDeterministicL1), 1);
}

TEST(LikelihoodTest, SamplingIsReproducibleForASeed) {
  auto d = Expand(Params(Likelihood::kStudentT, 0, 1, 3), 100);
  torch::Generator g1 = at::detail::createCPUGenerator(7), g2 = at::detail::createCPUGenerator(7);
  EXPECT_TRUE(torch::equal(Sample(d, g1), Sample(d, g2)));
}

TEST(LikelihoodTest, SupportChecksNameTheValue) {
  EXPECT_TRUE(CheckSupport(Likelihood::kGaussian, {-1, 5}, "f:1").ok());
  Status s = CheckSupport(Likelihood::kNegativeBinomial, {1, -2}, "f:3");
  EXPECT_NE(s.message().find("f:3: field 'target[1]'"), std::string::npos) << s.message();
  EXPECT_FALSE(CheckSupport(Likelihood::kBeta, {0.5, 1.5}, "f:1").ok());
  EXPECT_TRUE(CheckSupport(Likelihood::kBeta, {0.0, std::nanf(""), 1.0}, "f:1").ok());
}

}  // namespace
}  // namespace tributary::forecast::internal
