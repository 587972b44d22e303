// gnnrt.Linear for narrow layers (K and N of at most a few hundred, K x N weights that fit in
// shared memory), as molecule-sized GCNs have: one kernel that keeps W and a tile of X in shared
// memory and writes act(X W + bias) directly. For such layers cuBLASLt's kernels are mostly launch
// and set-up: a 30 x 32 x 64 product took longer than the SpMM beside it.
//
// Each output is one fp32 sum over k in order 0..K-1 (fused multiply-adds), so a row's result does
// not depend on the other rows in the call: a batch of graphs gives each graph's rows the bits it
// gets alone. X, Y and the bias are float32, float16 or bfloat16; W is X's dtype, or int8 with a
// float32 scale per output column (INT8 engines: dequantised as the CPU does, scale * q).
#pragma once

#include <cuda_runtime.h>

#include <cstdint>

#include "gnnrt/dtype.h"

namespace gnnrt::cuda {

struct SmallLinearProblem {
  DType dtype = DType::Float32;  // of X, Y and the bias
  const void* x = nullptr;       // [rows, inner]
  const void* w = nullptr;       // [inner, width], dtype or int8
  bool int8_weight = false;
  const float* weight_scale = nullptr;  // [width], with an int8 W
  const void* bias = nullptr;           // [width] or nullptr
  void* y = nullptr;                    // [rows, width]
  int64_t rows = 0, inner = 0, width = 0;
  bool relu = false;
};

// Whether the kernel takes layers of this inner size and width (any row count).
bool small_linear_fits(int64_t inner, int64_t width);

void launch_small_linear(const SmallLinearProblem& problem, cudaStream_t stream);

}  // namespace gnnrt::cuda
