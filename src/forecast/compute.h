// Thread counts and BLAS selection for the forecasting stage. LibTorch's
// intra-op pool and OpenBLAS's own threads compete with each other and with the
// broker, so training and inference set both deliberately (default 1 thread).
// SetComputeThreads changes process-wide settings: call it from the thread that
// owns training/inference, not concurrently with running torch work.
#pragma once

#include <string>

namespace tributary::forecast {

// torch::set_num_threads(n) and, when OpenBLAS is the selected libblas,
// openblas_set_num_threads(n).
void SetComputeThreads(int n);

// OpenBLAS's build description ("OpenBLAS 0.3.21 DYNAMIC_ARCH ...") when the
// process runs on OpenBLAS; empty when another BLAS (e.g. the slow reference
// libblas) was selected through update-alternatives.
std::string OpenBlasConfig();

}  // namespace tributary::forecast
