#include "forecast/compute.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <chrono>

namespace tributary::forecast {
namespace {

// Debian's LibTorch calls whatever libblas.so.3 is selected; the reference BLAS
// is ~15x slower than OpenBLAS. Best of several runs keeps this robust on a busy
// machine: the reference BLAS never reaches the bar, OpenBLAS clears it by far.
TEST(ComputeTest, OpenBlasIsTheSelectedBlasAndFast) {
  EXPECT_NE(OpenBlasConfig().find("OpenBLAS"), std::string::npos)
      << "libblas.so.3 is not OpenBLAS; install libopenblas0 (scripts/install-deps) "
         "or select it with update-alternatives --config libblas.so.3-x86_64-linux-gnu";
  SetComputeThreads(1);
  EXPECT_EQ(torch::get_num_threads(), 1);
  torch::manual_seed(0);
  auto a = torch::randn({512, 512});
  auto b = torch::randn({512, 512});
  auto c = torch::mm(a, b);  // warm-up
  double best = 1e9;
  for (int i = 0; i < 8; ++i) {
    auto t0 = std::chrono::steady_clock::now();
    c = torch::mm(a, b);
    best = std::min(best, std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  }
  double gflops = 2.0 * 512 * 512 * 512 / best / 1e9;
  RecordProperty("gflops", std::to_string(gflops));
  EXPECT_GT(gflops, 5.0) << "512x512 sgemm ran at " << gflops << " GFLOP/s on 1 thread";
  EXPECT_NEAR(c[3][7].item<float>(), (a[3] * b.select(1, 7)).sum().item<float>(), 1e-3);
}

}  // namespace
}  // namespace tributary::forecast
