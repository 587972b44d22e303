// Device out-of-memory is a clear InvalidInput error, and the same context keeps working after it.
#include <gtest/gtest.h>

#include "runtime/backend.h"
#include "runtime/executor.h"
#include "test_support.h"

namespace gnnrt {
namespace {

// out = ConstantOfShape(shape) with a float32 value: the size comes from the `shape` input.
ir::Graph constant_of_shape_graph() {
  ir::Graph graph;
  graph.name = "oom";
  graph.inputs.push_back({"shape", {DType::Int64, std::vector<ir::Dim>{ir::Dim::known(1)}}});
  graph.outputs.push_back({"out", {DType::Float32, std::nullopt}});
  ir::Node node;
  node.name = "fill";
  node.op_type = "ConstantOfShape";
  node.inputs = {"shape"};
  node.outputs = {"out"};
  ir::Attribute value;
  value.kind = ir::Attribute::Kind::Tensor;
  value.t = Tensor(DType::Float32, {1});
  value.t.data<float>()[0] = 1.5f;
  node.attributes["value"] = value;
  graph.nodes.push_back(node);
  return graph;
}

runtime::TensorMap shape_input(int64_t elements) {
  Tensor shape(DType::Int64, {1});
  shape.data<int64_t>()[0] = elements;
  return {{"shape", shape}};
}

// Not in the "Cuda*" suites that gpu-test.sh runs under compute-sanitizer: memcheck counts the
// failing cudaMalloc calls this test provokes as API errors.
TEST(OutOfMemoryOnCuda, IsAClearErrorAndTheContextStaysUsable) {
  if (!runtime::cuda_usable()) GTEST_SKIP() << "no usable CUDA device (or a build without CUDA)";
  const ir::Graph graph = constant_of_shape_graph();
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
