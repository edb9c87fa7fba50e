#include "training/progress.h"

#include <charconv>
#include <cmath>
#include <string>

namespace tributary::training {

namespace {

std::optional<double> Number(std::string_view text) {
  double v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size() || !std::isfinite(v)) return std::nullopt;
  return v;
}

std::optional<int> Integer(std::string_view text) {
  int v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return v;
}

// "1:02:03" -> 3723; also "62" (plain seconds).
std::optional<double> Duration(std::string_view text) {
  double total = 0;
  size_t start = 0;
  while (true) {
    size_t colon = text.find(':', start);
    std::optional<double> part = Number(text.substr(start, colon == std::string_view::npos ? text.npos : colon - start));
    if (!part || *part < 0) return std::nullopt;
    total = total * 60 + *part;
    if (colon == std::string_view::npos) return total;
    start = colon + 1;
  }
}

}  // namespace

std::optional<EpochProgress> ParseProgressLine(std::string_view line) {
  while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.remove_suffix(1);
  constexpr std::string_view kHead = "epoch ";
  if (line.substr(0, kHead.size()) != kHead) return std::nullopt;
  line.remove_prefix(kHead.size());
  size_t space = line.find(' ');
  std::string_view counts = line.substr(0, space);
  size_t slash = counts.find('/');
  if (slash == std::string_view::npos) return std::nullopt;
  EpochProgress p;
  std::optional<int> epoch = Integer(counts.substr(0, slash)), epochs = Integer(counts.substr(slash + 1));
  if (!epoch || !epochs || *epoch < 0 || *epochs < 0) return std::nullopt;
  p.epoch = *epoch;
  p.epochs = *epochs;
  while (space != std::string_view::npos) {
    line.remove_prefix(space + 1);
    space = line.find(' ');
    std::string_view item = line.substr(0, space);
    size_t eq = item.find('=');
    if (eq == std::string_view::npos) continue;
    std::string_view key = item.substr(0, eq), value = item.substr(eq + 1);
    if (key == "loss") {
      p.loss = Number(value);
    } else if (key == "val_loss") {
      p.validation_loss = Number(value);  // "-": none
    } else if (key == "lr") {
      p.learning_rate = Number(value);
    } else if (key == "samples/s") {
      p.samples_per_second = Number(value);
    } else if (key == "elapsed") {
      p.elapsed_seconds = Duration(value);
    } else if (key == "eta") {
      p.eta_seconds = Duration(value);
    }
  }
  return p;
}

nlohmann::json ToJson(const EpochProgress& p) {
  nlohmann::json j{{"Epoch", p.epoch}, {"Epochs", p.epochs}};
  auto put = [&](const char* key, const std::optional<double>& v) {
    if (v) j[key] = *v;
  };
  put("Loss", p.loss);
  put("ValidationLoss", p.validation_loss);
  put("LearningRate", p.learning_rate);
  put("SamplesPerSecond", p.samples_per_second);
  put("ElapsedSeconds", p.elapsed_seconds);
  put("EtaSeconds", p.eta_seconds);
  return j;
}

}  // namespace tributary::training
