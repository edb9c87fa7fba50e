// The inference path of Predictor without LibTorch ops: the DeepAR network's
// weights, copied once out of the torch module (DeepARNetImpl::ExportWeights),
// in plain row-major float arrays, and ancestral sampling over them. One
// prediction step for all sample paths is one matrix product per LSTM layer
// (cblas_sgemm when the process runs on OpenBLAS, else a loop) plus loops for
// the gates, the projection and the draws, where the torch path ran ~50 small
// ops per step, each costing more in dispatch than in arithmetic.
//
// It computes what DeepARNetImpl::Forward and internal/likelihood.h compute, in
// the same order of operations where it matters: the LSTM state and the
// likelihood parameters equal the torch module's to float rounding
// (fast_sampler_test.cc). Draws come from std:: distributions over a
// std::mt19937_64 seeded by the request, so paths follow the same
// distributions as the torch path's but are not the same numbers.
//
// Torch-free. A FastSampler holds scratch buffers: not thread-safe, one caller
// at a time (Predictor holds it under its mutex). Only src/forecast/*.cc may
// include this.
#pragma once

#include <cstdint>
#include <random>
#include <vector>

#include "forecast/features.h"
#include "forecast/hyperparameters.h"
#include "forecast/series.h"

namespace tributary::forecast::internal {

// DeepARNet's parameters, shaped as torch stores them.
struct NetWeights {
  struct Layer {
    int input = 0;            // input width: real features + embeddings, or num_cells
    std::vector<float> w_ih;  // [4 * num_cells, input], gates in torch's order i, f, g, o
    std::vector<float> w_hh;  // [4 * num_cells, num_cells]
    std::vector<float> b_ih;  // [4 * num_cells]
    std::vector<float> b_hh;  // [4 * num_cells]
  };
  int num_real_features = 0;
  int num_cells = 0;
  Likelihood likelihood = Likelihood::kStudentT;
  int num_outputs = 0;  // NumDistOutputs(likelihood)
  int embedding_dimension = 0;
  std::vector<std::vector<float>>
      embeddings;  // per cat feature: [cardinality, embedding_dimension]
  std::vector<int64_t> cardinality;
  std::vector<Layer> layers;
  std::vector<float> projection_w;  // [num_outputs, num_cells]
  std::vector<float> projection_b;  // [num_outputs]
};

// Likelihood parameters per row, as internal/likelihood.h's MakeDist gives
// them (its table): a, b, c are (mu, sigma, nu), (mu, sigma), (mu, alpha),
// (a, b) or (value); unused ones are 0.
struct RowParams {
  float a = 0, b = 0, c = 0;
};
RowParams MakeRowParams(Likelihood kind, const float* raw, float scale);

// One draw from the distribution with parameters p (same algorithms as
// likelihood.cc's Sample: Student-T as normal / sqrt(chi^2 / nu), negative
// binomial as Poisson(Gamma), beta as a ratio of gammas).
float SampleRow(Likelihood kind, const RowParams& p, std::mt19937_64& rng);

class FastSampler {
 public:
  // `spec` is the model's; weights must fit it (num_real_features).
  FastSampler(NetWeights weights, const FeatureSpec& spec);

  // Runs the LSTM from a zero state over `steps` rows of `features`
  // ([steps, num_real_features], as BuildWindow lays them out) for one series
  // with category values `cats` (one per embedding), leaving the state of
  // batch 1 in row 0. Replaces any earlier state.
  void Encode(const float* features, int steps, const std::vector<int64_t>& cats);

  // Copies row 0's state to rows 0 .. rows-1.
  void Broadcast(int rows);

  // One step for every row: `lags` is [rows, NumLags()] (scaled lag inputs),
  // `covariates` the rest of the input row (features.h's FillCovariates), the
  // same for all rows. Writes the raw network outputs, [rows, num_outputs].
  void Step(const float* lags, const float* covariates, float* raw);

  // Hidden state of `layer` for `row` after the last Step or Encode.
  std::vector<float> Hidden(int layer, int row) const;

  // Ancestral sampling of num_samples paths of prediction_length steps after
  // the end of `series` (cats and dynamic features as Predictor checked them),
  // with `window` = BuildWindow(spec, series, len - context_length). Returns
  // the paths, [num_samples, prediction_length] row-major.
  std::vector<float> SamplePaths(const TimeSeries& series, const WindowData& window,
                                 int num_samples, uint64_t seed);

  int rows() const { return rows_; }
  int num_outputs() const { return w_.num_outputs; }
  // "cblas_sgemm" or "loop": what the matrix products run on.
  const char* gemm_name() const;

 private:
  void Resize(int rows);
  // One LSTM layer for all rows: gates = bias + xh · wt, then the cell update.
  void Layer(int l, const float* bias);

  NetWeights w_;
  FeatureSpec spec_;
  int H_ = 0;     // num_cells
  int nl_ = 0;    // lag inputs
  int ncov_ = 0;  // covariates: num_real_features - nl_
  int rows_ = 0;
  int capacity_ = 0;
  // Per layer: wt = [K, 4H] with K = in + H (layer 0's `in` is the lags only;
  // covariates and embeddings, equal on every row, are folded into its bias).
  std::vector<int> k_;
  std::vector<std::vector<float>> wt_;
  std::vector<std::vector<float>> bias_;  // b_ih + b_hh; layer 0 also + embeddings' part
  std::vector<float> w_cov_;              // [4H, ncov_], layer 0's covariate columns
  std::vector<float> series_bias0_;       // [4H], bias_[0] + the embeddings' part (Encode)
  std::vector<float> step_bias_;          // [4H], layer 0's bias for the current step
  // Scratch, per layer: xh = [rows, K] (the layer's input, then its own h), c = [rows, H].
  std::vector<std::vector<float>> xh_, c_;
  std::vector<float> gates_;  // [rows, 4H]
};

}  // namespace tributary::forecast::internal
