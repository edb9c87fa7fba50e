#include "forecast/compute.h"

#include <dlfcn.h>
#include <torch/torch.h>

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

}  // namespace tributary::forecast
