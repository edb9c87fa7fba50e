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

// Single-precision matrix-multiply throughput, the practical peak the LSTM's
// matrix products can reach: `repetitions` products of two n x n float matrices
// through torch::mm (OpenBLAS sgemm) at the current thread count, after one
// warm-up product. Returns FLOP/s, counting 2 n^3 per product. For benchmarks.
double MeasureSgemmFlops(int n, int repetitions);

}  // namespace tributary::forecast
