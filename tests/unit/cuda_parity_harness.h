// The CPU-vs-CUDA parity harness, in the spirit of ggml's test-backend-ops: run one IR node with
// the CPU reference kernel and with the CUDA kernel on the same inputs, compare every output, and
// check that the CUDA kernel wrote nothing outside its outputs (sentinel guard bytes around every
// device allocation). Without a GPU the tests skip.
#pragma once

#ifdef GNNRT_WITH_CUDA

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "gnnrt/tensor.h"
#include "ir/graph.h"

namespace gnnrt::testing {

bool gpu_available();
#define GNNRT_SKIP_WITHOUT_GPU() \
  if (!::gnnrt::testing::gpu_available()) GTEST_SKIP() << "no CUDA device on this machine"

struct ParityTolerance {
  double atol = 1e-5;  // float32 elementwise: both sides compute the same formula in fp32
  double rtol = 1e-5;
};

struct ParityResult {
  bool ran_on_cuda = false;       // false when the CUDA registry does not support the node
  std::vector<Tensor> cpu_outputs;
  std::vector<Tensor> cuda_outputs;  // copied back to the host
};

// Runs `node` on both backends and adds gtest failures for any mismatch or guard-byte damage.
// The inputs are host tensors (nullptr-free; use an undefined Tensor for an omitted input).
ParityResult check_parity(const ir::Node& node, const std::vector<Tensor>& inputs,
                          ParityTolerance tolerance = {});

// Random inputs (never all zeros).
Tensor random_floats(Dims shape, std::mt19937& rng, float low = -2.0f, float high = 2.0f);
Tensor random_indices(Dims shape, int64_t bound, std::mt19937& rng);  // int64 in [0, bound)
// Power-law-ish targets: a few nodes receive most of the indices.
Tensor skewed_indices(Dims shape, int64_t bound, std::mt19937& rng);
Tensor int64_vector(const std::vector<int64_t>& values);
Tensor float_scalar(float value);

// Builds an ir::Node with `op_type`, inputs named in0..inN-1, outputs out0..outM-1.
ir::Node make_node(const std::string& op_type, size_t inputs, size_t outputs = 1);

}  // namespace gnnrt::testing

#endif  // GNNRT_WITH_CUDA
