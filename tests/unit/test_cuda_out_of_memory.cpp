// Device out-of-memory is a clear InvalidInput error, and the same context keeps working after it.
#include <gtest/gtest.h>

#include "runtime/backend.h"
#include "runtime/executor.h"
#include "fill_graph.h"
#include "test_support.h"

namespace gnnrt {
namespace {

using testing::constant_of_shape_graph;
using testing::shape_input;

// Not in the "Cuda*" suites that gpu-test.sh runs under compute-sanitizer: memcheck counts the
// failing cudaMalloc calls this test provokes as API errors.
TEST(OutOfMemoryOnCuda, IsAClearErrorAndTheContextStaysUsable) {
  if (!runtime::cuda_usable()) GTEST_SKIP() << "no usable CUDA device (or a build without CUDA)";
  const ir::Graph graph = constant_of_shape_graph(1.5f);
  auto device = runtime::create_device_backend("cuda");
  runtime::Executor executor(graph, device.get());
  try {
    executor.run(shape_input(int64_t{1} << 40));  // 4 TiB of float32: more than any GPU holds
    FAIL() << "expected an out-of-memory error";
  } catch (const Error& error) {
    EXPECT_EQ(error.code(), ErrorCode::InvalidInput) << error.what();
    EXPECT_NE(std::string(error.what()).find("out of GPU memory"), std::string::npos) << error.what();
    EXPECT_NE(std::string(error.what()).find("node 'fill'"), std::string::npos) << error.what();
  }
  // The same context, right after: a real allocation works and computes the right values.
  const runtime::TensorMap outputs = executor.run(shape_input(3000));
  const Tensor& out = outputs.at("out");
  ASSERT_EQ(out.numel(), 3000);
  for (int64_t i = 0; i < out.numel(); ++i) ASSERT_EQ(out.data<float>()[i], 1.5f) << i;
}

}  // namespace
}  // namespace gnnrt
