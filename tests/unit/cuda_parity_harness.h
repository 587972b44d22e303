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

#include "backends/cuda/device_errors.h"
#include "gnnrt/tensor.h"
#include "ir/graph.h"
#include "ir_test_graphs.h"

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

// check_parity for a node the CUDA backend must take: a `supports` that declined would otherwise
// pass silently, so that is a failure too.
ParityResult expect_cuda_parity(const ir::Node& node, const std::vector<Tensor>& inputs,
                                ParityTolerance tolerance = {});

// The CUDA kernel of `node` run alone (no CPU reference, no `supports` check) on device copies of
// `inputs` (undefined tensors are omitted inputs), for inputs the CPU rejects up front, device
// errors, aliasing and run-to-run comparisons. Errors are recorded under site id `site`; the
// kernel's exceptions propagate.
struct DirectRun {
  std::vector<Tensor> device_inputs;
  std::vector<Tensor> device_outputs;
  std::vector<Tensor> outputs;  // host copies of device_outputs
  cuda::DeviceErrorRecord record{};
};
DirectRun run_cuda_only(const ir::Node& node, const std::vector<Tensor>& inputs, int32_t site = 0);

// Random inputs. random_tensor: values of any dtype in [low, high], uniform reals for float types
// (float16 drawn as float32 and rounded), whole numbers for integers, about half true for bool.
Tensor random_tensor(DType dtype, Dims shape, std::mt19937& rng, double low = -3.0, double high = 3.0);
// Never all zeros.
Tensor random_floats(Dims shape, std::mt19937& rng, float low = -2.0f, float high = 2.0f);
Tensor random_indices(Dims shape, int64_t bound, std::mt19937& rng);  // int64 in [0, bound)
// Power-law-ish targets: a few nodes receive most of the indices.
Tensor skewed_indices(Dims shape, int64_t bound, std::mt19937& rng);
Tensor int64_vector(const std::vector<int64_t>& values);
Tensor float_scalar(float value);

// Builds an ir::Node with `op_type`, inputs named in0..inN-1, outputs out0..outM-1.
ir::Node make_node(const std::string& op_type, size_t inputs, size_t outputs = 1);

// Sets attribute `key` of `node`.
inline void set_int(ir::Node& node, const std::string& key, int64_t value) {
  node.attributes[key] = ir::test_graphs::int_attr(value);
}
inline void set_ints(ir::Node& node, const std::string& key, std::vector<int64_t> values) {
  node.attributes[key] = ir::test_graphs::ints_attr(std::move(values));
}
inline void set_float(ir::Node& node, const std::string& key, float value) {
  node.attributes[key] = ir::test_graphs::float_attr(value);
}
inline void set_string(ir::Node& node, const std::string& key, const std::string& value) {
  node.attributes[key] = ir::test_graphs::string_attr(value);
}
inline void set_tensor(ir::Node& node, const std::string& key, Tensor value) {
  node.attributes[key] = ir::test_graphs::tensor_attr(std::move(value));
}

}  // namespace gnnrt::testing

#endif  // GNNRT_WITH_CUDA
