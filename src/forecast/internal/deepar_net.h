// The DeepAR network: categorical embeddings concatenated to each time step's
// real features (features.h), a stacked LSTM, and a linear projection to the
// likelihood's parameters (internal/likelihood.h). Dropout sits between LSTM
// layers (torch's LSTM dropout), where SageMaker uses zoneout.
// Only src/forecast/*.cc may include this. A module is not thread-safe.
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <tuple>
#include <vector>

#include "forecast/hyperparameters.h"
#include "forecast/internal/fast_sampler.h"

namespace tributary::forecast::internal {

struct NetShape {
  int num_real_features = 0;
  std::vector<int64_t> cardinality;
  int embedding_dimension = 10;
  int num_cells = 40;
  int num_layers = 2;
  double dropout_rate = 0.1;
  Likelihood likelihood = Likelihood::kStudentT;
};

using LstmState = std::tuple<torch::Tensor, torch::Tensor>;  // (h, c), each [layers, batch, cells]

class DeepARNetImpl : public torch::nn::Module {
 public:
  explicit DeepARNetImpl(const NetShape& shape);

  // real: [batch, steps, num_real_features]; cats: [batch, num_cat] (int64).
  // Returns the raw likelihood outputs [batch, steps, NumDistOutputs] and the
  // LSTM state after the last step. `state` continues an earlier unroll.
  std::tuple<torch::Tensor, LstmState> Forward(const torch::Tensor& real, const torch::Tensor& cats,
                                               const c10::optional<LstmState>& state = c10::nullopt);

  const NetShape& shape() const { return shape_; }

  // A copy of every parameter in plain float arrays, for FastSampler.
  NetWeights ExportWeights() const;

 private:
  NetShape shape_;
  std::vector<torch::nn::Embedding> embeddings_;
  torch::nn::LSTM lstm_{nullptr};
  torch::nn::Linear projection_{nullptr};
};
TORCH_MODULE(DeepARNet);

// FNV-1a over the bytes of every parameter, in registration order.
uint64_t ParameterChecksum(const torch::nn::Module& module);

}  // namespace tributary::forecast::internal
