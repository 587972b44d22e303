// The epilogue of gnnrt.Linear as its own pass over Y, for the GEMMs cuBLASLt has no fused
// algorithm for: Y[r, c] = act(Y[r, c] + bias[c]) in fp32, rounded once to Y's dtype.
#pragma once

#include <cuda_runtime.h>

#include <cstdint>

#include "gnnrt/dtype.h"

namespace gnnrt::cuda {

// y: [rows, cols] of `dtype` (float32, float16 or bfloat16); bias: [cols] of the same dtype or nullptr.
void launch_bias_activation(DType dtype, void* y, const void* bias, int64_t rows, int64_t cols, bool relu,
                            cudaStream_t stream);

}  // namespace gnnrt::cuda
