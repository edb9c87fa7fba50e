#include "forecast/compute.h"

#include <dlfcn.h>
#include <torch/torch.h>

#include <chrono>

namespace tributary::forecast {

void SetComputeThreads(int n) {
  if (n < 1) n = 1;
  torch::set_num_threads(n);
  using SetThreads = void (*)(int);
  if (auto fn = reinterpret_cast<SetThreads>(dlsym(RTLD_DEFAULT, "openblas_set_num_threads"))) fn(n);
}

std::string OpenBlasConfig() {
  using GetConfig = const char* (*)();
  auto fn = reinterpret_cast<GetConfig>(dlsym(RTLD_DEFAULT, "openblas_get_config"));
  if (fn == nullptr) return "";
  const char* s = fn();
  return s ? s : "";
}

double MeasureSgemmFlops(int n, int repetitions) {
  torch::NoGradGuard no_grad;
  auto a = torch::rand({n, n}, torch::kFloat32);
  auto b = torch::rand({n, n}, torch::kFloat32);
  auto c = torch::mm(a, b);  // warm-up: first-touch of c, BLAS thread start
  auto t0 = std::chrono::steady_clock::now();
  for (int i = 0; i < repetitions; ++i) torch::mm_out(c, a, b);
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return 2.0 * n * n * static_cast<double>(n) * repetitions / seconds;
}

}  // namespace tributary::forecast
