#include "forecast/internal/deepar_net.h"

#include "base/fnv1a.h"
#include "forecast/internal/likelihood.h"

namespace tributary::forecast::internal {

DeepARNetImpl::DeepARNetImpl(const NetShape& shape) : shape_(shape) {
  int64_t input = shape.num_real_features;
  for (size_t i = 0; i < shape.cardinality.size(); ++i) {
    embeddings_.push_back(register_module(
        "embedding" + std::to_string(i),
        torch::nn::Embedding(shape.cardinality[i], shape.embedding_dimension)));
    input += shape.embedding_dimension;
  }
  lstm_ = register_module(
      "lstm", torch::nn::LSTM(torch::nn::LSTMOptions(input, shape.num_cells)
                                  .num_layers(shape.num_layers)
                                  .batch_first(true)
                                  .dropout(shape.num_layers > 1 ? shape.dropout_rate : 0.0)));
  projection_ = register_module("projection",
                                torch::nn::Linear(shape.num_cells, NumDistOutputs(shape.likelihood)));
}

std::tuple<torch::Tensor, LstmState> DeepARNetImpl::Forward(const torch::Tensor& real, const torch::Tensor& cats,
                                                            const c10::optional<LstmState>& state) {
  torch::Tensor input = real;
  if (!embeddings_.empty()) {
    std::vector<torch::Tensor> parts = {real};
    const int64_t steps = real.size(1);
    for (size_t i = 0; i < embeddings_.size(); ++i) {
      auto e = embeddings_[i]->forward(cats.select(1, static_cast<int64_t>(i)));  // [batch, dim]
      parts.push_back(e.unsqueeze(1).expand({-1, steps, -1}));
    }
    input = torch::cat(parts, 2);
  }
  auto [out, new_state] = lstm_->forward(input, state);
  return {projection_->forward(out), new_state};
}

NetWeights DeepARNetImpl::ExportWeights() const {
  torch::NoGradGuard no_grad;
  auto params = named_parameters(/*recurse=*/true);
  auto copy = [&](const std::string& name) {
    auto t = params[name].detach().to(torch::kFloat).contiguous();
    const float* p = t.data_ptr<float>();
    return std::vector<float>(p, p + t.numel());
  };
  NetWeights w;
  w.num_real_features = shape_.num_real_features;
  w.num_cells = shape_.num_cells;
  w.likelihood = shape_.likelihood;
  w.num_outputs = NumDistOutputs(shape_.likelihood);
  w.embedding_dimension = shape_.embedding_dimension;
  w.cardinality = shape_.cardinality;
  for (size_t i = 0; i < embeddings_.size(); ++i) {
    w.embeddings.push_back(copy("embedding" + std::to_string(i) + ".weight"));
  }
  const int input0 =
      shape_.num_real_features + static_cast<int>(embeddings_.size()) * shape_.embedding_dimension;
  for (int l = 0; l < shape_.num_layers; ++l) {
    const std::string k = std::to_string(l);
    NetWeights::Layer layer;
    layer.input = l == 0 ? input0 : shape_.num_cells;
    layer.w_ih = copy("lstm.weight_ih_l" + k);
    layer.w_hh = copy("lstm.weight_hh_l" + k);
    layer.b_ih = copy("lstm.bias_ih_l" + k);
    layer.b_hh = copy("lstm.bias_hh_l" + k);
    w.layers.push_back(std::move(layer));
  }
  w.projection_w = copy("projection.weight");
  w.projection_b = copy("projection.bias");
  return w;
}

uint64_t ParameterChecksum(const torch::nn::Module& module) {
  uint64_t h = 1469598103934665603ull;  // the start value checksums have always had
  for (const auto& p : module.parameters()) {
    auto c = p.detach().contiguous();
    h = Fnv1a64({static_cast<const char*>(c.data_ptr()),
                 static_cast<size_t>(c.numel()) * c.element_size()},
                h);
  }
  return h;
}

}  // namespace tributary::forecast::internal
