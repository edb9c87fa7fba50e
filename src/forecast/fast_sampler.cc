#include "forecast/internal/fast_sampler.h"

#include <dlfcn.h>

#include <algorithm>
#include <bit>
#include <cassert>
#include <cmath>
#include <limits>

namespace tributary::forecast::internal {
namespace {

// The hot loops are compiled twice, for AVX2 + FMA (x86-64-v3) and for the
// baseline, and the loader picks one per machine; the binary stays portable.
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && \
    !defined(__SANITIZE_ADDRESS__)
#define TRIBUTARY_VECTOR_CLONES __attribute__((target_clones("arch=x86-64-v3", "default")))
#else
#define TRIBUTARY_VECTOR_CLONES
#endif

// cblas_sgemm, looked up at run time like compute.cc's OpenBLAS calls: the
// library reaches the process through LibTorch, not through our link line.
// Enum values are the CBLAS standard's.
constexpr int kCblasRowMajor = 101;
constexpr int kCblasNoTrans = 111;
using SgemmFn = void (*)(int, int, int, int, int, int, float, const float*, int, const float*, int,
                         float, float*, int);

SgemmFn FindSgemm() {
  // Only OpenBLAS's: the reference libblas that update-alternatives may select
  // is slower than the loop below.
  if (dlsym(RTLD_DEFAULT, "openblas_get_config") == nullptr) return nullptr;
  return reinterpret_cast<SgemmFn>(dlsym(RTLD_DEFAULT, "cblas_sgemm"));
}

SgemmFn Sgemm() {
  static const SgemmFn fn = FindSgemm();
  return fn;
}

// c[m, n] += a[m, k] · b[k, n], row-major, when no sgemm is available: rows of
// c accumulate scaled rows of b, a loop the compiler vectorizes along n.
TRIBUTARY_VECTOR_CLONES
void GemmLoop(int m, int n, int k, const float* a, const float* b, float* c) {
  for (int r = 0; r < m; ++r) {
    float* __restrict cr = c + static_cast<size_t>(r) * n;
    const float* ar = a + static_cast<size_t>(r) * k;
    for (int i = 0; i < k; ++i) {
      const float x = ar[i];
      const float* __restrict bi = b + static_cast<size_t>(i) * n;
      for (int j = 0; j < n; ++j) cr[j] += x * bi[j];
    }
  }
}

// exp(x) for float, vectorizable: x = n ln2 + r with |r| <= ln2 / 2, a degree-6
// polynomial for exp(r) (Cephes' expf coefficients, ~1 ulp), times 2^n built in
// the exponent bits. Inputs are clamped to where the result is a normal float.
inline float FastExp(float x) {
  x = std::min(88.3762626647949f, std::max(-87.3365447504f, x));
  // Round to nearest without a branch: adding 1.5 * 2^23 leaves no fraction bits.
  const float n = (x * 1.44269504088896341f + 12582912.0f) - 12582912.0f;
  float r = x - n * 0.693359375f;
  r = r - n * -2.12194440e-4f;
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  p = p * r * r + r + 1.0f;
  // n is in [-126, 127] after the clamp; 2^127 overflows nothing since p < sqrt(2).
  const int32_t bits = (static_cast<int32_t>(n) + 127) << 23;
  return p * std::bit_cast<float>(bits);
}

inline float Sigmoid(float x) { return 1.0f / (1.0f + FastExp(-x)); }
inline float Tanh(float x) { return 2.0f / (1.0f + FastExp(-2.0f * x)) - 1.0f; }

// The LSTM cell for `rows` rows (torch's equations, gates i, f, g, o):
//   c = sigmoid(f) * c + sigmoid(i) * tanh(g),   h = sigmoid(o) * tanh(c)
// h goes to h_out (row stride h_stride) and, when h_out2 is set, also there.
TRIBUTARY_VECTOR_CLONES
void CellUpdate(int rows, int H, const float* gates, float* c, float* h_out, int h_stride,
                float* h_out2, int h2_stride) {
  for (int r = 0; r < rows; ++r) {
    const float* __restrict g = gates + static_cast<size_t>(r) * 4 * H;
    float* __restrict cr = c + static_cast<size_t>(r) * H;
    float* __restrict h = h_out + static_cast<size_t>(r) * h_stride;
    for (int j = 0; j < H; ++j) {
      const float in = Sigmoid(g[j]);
      const float forget = Sigmoid(g[H + j]);
      const float cand = Tanh(g[2 * H + j]);
      const float out = Sigmoid(g[3 * H + j]);
      const float cn = forget * cr[j] + in * cand;
      cr[j] = cn;
      h[j] = out * Tanh(cn);
    }
    if (h_out2 != nullptr) std::copy(h, h + H, h_out2 + static_cast<size_t>(r) * h2_stride);
  }
}

// torch's softplus (beta 1, threshold 20).
inline float Softplus(float x) { return x > 20.0f ? x : std::log1p(std::exp(x)); }
constexpr float kMinPositive = 1e-6f;
inline float Positive(float x) { return Softplus(x) + kMinPositive; }

// torch's _standard_gamma keeps draws above the smallest normal float.
double Gamma(double shape, std::mt19937_64& rng) {
  std::gamma_distribution<double> g(shape, 1.0);
  return std::max<double>(g(rng), std::numeric_limits<float>::min());
}

}  // namespace

RowParams MakeRowParams(Likelihood kind, const float* raw, float scale) {
  RowParams p;
  switch (kind) {
    case Likelihood::kGaussian:
      p.a = raw[0] * scale;
      p.b = Positive(raw[1]) * scale;
      break;
    case Likelihood::kStudentT:
      p.a = raw[0] * scale;
      p.b = Positive(raw[1]) * scale;
      p.c = 2.0f + Softplus(raw[2]);
      break;
    case Likelihood::kNegativeBinomial:
      p.a = Positive(raw[0]) * scale;
      p.b = Positive(raw[1]) / std::sqrt(scale);
      break;
    case Likelihood::kBeta:
      p.a = Positive(raw[0]);
      p.b = Positive(raw[1]);
      break;
    case Likelihood::kDeterministicL1:
      p.a = raw[0] * scale;
      break;
  }
  return p;
}

float SampleRow(Likelihood kind, const RowParams& p, std::mt19937_64& rng) {
  switch (kind) {
    case Likelihood::kGaussian: {
      std::normal_distribution<double> n(0.0, 1.0);
      return static_cast<float>(p.a + p.b * n(rng));
    }
    case Likelihood::kStudentT: {
      // mu + sigma * N / sqrt(V / nu) with V ~ chi^2(nu) = 2 * Gamma(nu / 2).
      std::normal_distribution<double> n(0.0, 1.0);
      const double z = n(rng);
      const double v = 2.0 * Gamma(p.c / 2.0, rng);
      return static_cast<float>(p.a + p.b * z / std::sqrt(v / p.c));
    }
    case Likelihood::kNegativeBinomial: {
      // Poisson(Gamma(shape r, scale mu / r)), r = 1 / alpha.
      const double r = 1.0 / p.b;
      const double lambda = Gamma(r, rng) * (p.a / r);
      // Past 2^52 a Poisson draw is lambda to double precision (sd sqrt(lambda)
      // is below one ulp's worth of relative spread that float keeps).
      if (!(lambda < 0x1p52)) return static_cast<float>(lambda);
      std::poisson_distribution<int64_t> poisson(lambda);
      return static_cast<float>(poisson(rng));
    }
    case Likelihood::kBeta: {
      const double g1 = Gamma(p.a, rng);
      const double g2 = Gamma(p.b, rng);
      return static_cast<float>(g1 / (g1 + g2));
    }
    case Likelihood::kDeterministicL1:
      return p.a;
  }
  return 0;
}

FastSampler::FastSampler(NetWeights weights, const FeatureSpec& spec)
    : w_(std::move(weights)), spec_(spec) {
  H_ = w_.num_cells;
  nl_ = spec_.NumLags();
  ncov_ = w_.num_real_features - nl_;
  assert(w_.num_real_features == spec_.NumRealFeatures() &&
         "weights of another model's feature spec");
  const int G = 4 * H_;
  const int L = static_cast<int>(w_.layers.size());
  k_.resize(L);
  wt_.resize(L);
  bias_.resize(L);
  xh_.resize(L);
  c_.resize(L);
  for (int l = 0; l < L; ++l) {
    const NetWeights::Layer& layer = w_.layers[l];
    const int in = l == 0 ? nl_ : H_;
    const int K = in + H_;
    k_[l] = K;
    // wt[k, g]: the input columns the layer multiplies (lags only for layer 0),
    // then the recurrent ones, transposed so rows of xh · wt run along gates.
    wt_[l].assign(static_cast<size_t>(K) * G, 0.0f);
    for (int g = 0; g < G; ++g) {
      for (int i = 0; i < in; ++i)
        wt_[l][static_cast<size_t>(i) * G + g] =
            layer.w_ih[static_cast<size_t>(g) * layer.input + i];
      for (int i = 0; i < H_; ++i)
        wt_[l][static_cast<size_t>(in + i) * G + g] = layer.w_hh[static_cast<size_t>(g) * H_ + i];
    }
    bias_[l].resize(G);
    for (int g = 0; g < G; ++g) bias_[l][g] = layer.b_ih[g] + layer.b_hh[g];
  }
  const NetWeights::Layer& first = w_.layers[0];
  w_cov_.resize(static_cast<size_t>(G) * ncov_);
  for (int g = 0; g < G; ++g) {
    for (int i = 0; i < ncov_; ++i)
      w_cov_[static_cast<size_t>(g) * ncov_ + i] =
          first.w_ih[static_cast<size_t>(g) * first.input + nl_ + i];
  }
  step_bias_.resize(G);
}

const char* FastSampler::gemm_name() const { return Sgemm() != nullptr ? "cblas_sgemm" : "loop"; }

void FastSampler::Resize(int rows) {
  rows_ = rows;
  if (rows <= capacity_) return;
  capacity_ = rows;
  for (size_t l = 0; l < xh_.size(); ++l) {
    xh_[l].resize(static_cast<size_t>(rows) * k_[l]);
    c_[l].resize(static_cast<size_t>(rows) * H_);
  }
  gates_.resize(static_cast<size_t>(rows) * 4 * H_);
}

void FastSampler::Encode(const float* features, int steps, const std::vector<int64_t>& cats) {
  Resize(1);
  for (size_t l = 0; l < xh_.size(); ++l) {
    std::fill(xh_[l].begin(), xh_[l].begin() + k_[l], 0.0f);
    std::fill(c_[l].begin(), c_[l].begin() + H_, 0.0f);
  }
  // The embeddings are the same at every step: their share of layer 0's gates
  // joins its bias for this series.
  const NetWeights::Layer& first = w_.layers[0];
  std::vector<float> series_bias(bias_[0]);
  const int G = 4 * H_;
  for (size_t e = 0; e < w_.embeddings.size() && e < cats.size(); ++e) {
    const float* emb =
        w_.embeddings[e].data() + static_cast<size_t>(cats[e]) * w_.embedding_dimension;
    const int col = w_.num_real_features + static_cast<int>(e) * w_.embedding_dimension;
    for (int g = 0; g < G; ++g) {
      const float* wrow = first.w_ih.data() + static_cast<size_t>(g) * first.input + col;
      float sum = 0;
      for (int i = 0; i < w_.embedding_dimension; ++i) sum += wrow[i] * emb[i];
      series_bias[g] += sum;
    }
  }
  series_bias0_ = std::move(series_bias);
  std::vector<float> raw(w_.num_outputs);
  for (int t = 0; t < steps; ++t) {
    const float* row = features + static_cast<size_t>(t) * w_.num_real_features;
    Step(row, row + nl_, raw.data());
  }
}

void FastSampler::Broadcast(int rows) {
  Resize(rows);
  for (size_t l = 0; l < xh_.size(); ++l) {
    for (int r = 1; r < rows; ++r) {
      std::copy(xh_[l].begin(), xh_[l].begin() + k_[l],
                xh_[l].begin() + static_cast<size_t>(r) * k_[l]);
      std::copy(c_[l].begin(), c_[l].begin() + H_, c_[l].begin() + static_cast<size_t>(r) * H_);
    }
  }
}

void FastSampler::Layer(int l, const float* bias) {
  const int G = 4 * H_, K = k_[l];
  for (int r = 0; r < rows_; ++r)
    std::copy(bias, bias + G, gates_.begin() + static_cast<size_t>(r) * G);
  if (SgemmFn sgemm = Sgemm()) {
    sgemm(kCblasRowMajor, kCblasNoTrans, kCblasNoTrans, rows_, G, K, 1.0f, xh_[l].data(), K,
          wt_[l].data(), G, 1.0f, gates_.data(), G);
  } else {
    GemmLoop(rows_, G, K, xh_[l].data(), wt_[l].data(), gates_.data());
  }
  // h lands in this layer's recurrent columns and in the next layer's input.
  const int in = K - H_;
  const bool last = l + 1 == static_cast<int>(xh_.size());
  CellUpdate(rows_, H_, gates_.data(), c_[l].data(), xh_[l].data() + in, K,
             last ? nullptr : xh_[l + 1].data(), last ? 0 : k_[l + 1]);
}

void FastSampler::Step(const float* lags, const float* covariates, float* raw) {
  const int G = 4 * H_, K0 = k_[0];
  for (int r = 0; r < rows_; ++r) {
    std::copy(lags + static_cast<size_t>(r) * nl_, lags + static_cast<size_t>(r + 1) * nl_,
              xh_[0].begin() + static_cast<size_t>(r) * K0);
  }
  for (int g = 0; g < G; ++g) {
    const float* wrow = w_cov_.data() + static_cast<size_t>(g) * ncov_;
    float sum = 0;
    for (int i = 0; i < ncov_; ++i) sum += wrow[i] * covariates[i];
    step_bias_[g] = series_bias0_[g] + sum;
  }
  Layer(0, step_bias_.data());
  for (int l = 1; l < static_cast<int>(xh_.size()); ++l) Layer(l, bias_[l].data());
  // Projection of the top layer's h (its recurrent columns) to the outputs.
  const int top = static_cast<int>(xh_.size()) - 1, Kt = k_[top], in = Kt - H_, D = w_.num_outputs;
  for (int r = 0; r < rows_; ++r) {
    const float* h = xh_[top].data() + static_cast<size_t>(r) * Kt + in;
    for (int d = 0; d < D; ++d) {
      const float* wrow = w_.projection_w.data() + static_cast<size_t>(d) * H_;
      float sum = 0;
      for (int j = 0; j < H_; ++j) sum += wrow[j] * h[j];
      raw[static_cast<size_t>(r) * D + d] = sum + w_.projection_b[d];
    }
  }
}

std::vector<float> FastSampler::Hidden(int layer, int row) const {
  const int K = k_[layer], in = K - H_;
  const float* h = xh_[layer].data() + static_cast<size_t>(row) * K + in;
  return std::vector<float>(h, h + H_);
}

std::vector<float> FastSampler::SamplePaths(const TimeSeries& series, const WindowData& window,
                                            int num_samples, uint64_t seed) {
  const int C = spec_.context_length, P = spec_.prediction_length, S = num_samples;
  const int D = w_.num_outputs;
  const auto len = static_cast<int64_t>(series.target.size());
  const int max_lag = spec_.lags.empty() ? 0 : spec_.lags.back();
  std::vector<int64_t> cats(series.cat.begin(), series.cat.end());
  Encode(window.features.data(), C, cats);
  Broadcast(S);

  // history[s][max_lag + k] is step len + k of path s; the first max_lag are observed.
  const int hist_len = max_lag + P;
  std::vector<float> history = InitialPathHistory(series, max_lag, P, S);
  std::mt19937_64 rng(seed);
  std::vector<float> cov(ncov_), lags(static_cast<size_t>(S) * nl_),
      raw(static_cast<size_t>(S) * D);
  std::vector<float> out(static_cast<size_t>(S) * P);
  for (int k = 0; k < P; ++k) {
    FillCovariates(spec_, series, len + k, window.scale, cov.data());
    for (int s = 0; s < S; ++s) {
      const float* hist = history.data() + static_cast<size_t>(s) * hist_len;
      float* row = lags.data() + static_cast<size_t>(s) * nl_;
      for (int l = 0; l < nl_; ++l) row[l] = hist[max_lag + k - spec_.lags[l]] / window.scale;
    }
    Step(lags.data(), cov.data(), raw.data());
    for (int s = 0; s < S; ++s) {
      RowParams p =
          MakeRowParams(w_.likelihood, raw.data() + static_cast<size_t>(s) * D, window.scale);
      float z = SampleRow(w_.likelihood, p, rng);
      out[static_cast<size_t>(s) * P + k] = z;
      history[static_cast<size_t>(s) * hist_len + max_lag + k] = z;
    }
  }
  return out;
}

}  // namespace tributary::forecast::internal
