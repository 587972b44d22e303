// Host out-of-memory is a clear InvalidInput error naming the node, and the same executor keeps
// working after it. The failure is provoked through set_host_allocation_limit, not by exhausting
// the machine (found by fuzz_engine_load: an engine whose Tile asks for petabytes).
#include <gtest/gtest.h>

#include <limits>

#include "runtime/executor.h"
#include "fill_graph.h"
#include "test_support.h"

namespace gnnrt {
namespace {

using testing::constant_of_shape_graph;
using testing::shape_input;

// Restores the default (no limit) however the test ends.
struct AllocationLimit {
  explicit AllocationLimit(size_t bytes) { set_host_allocation_limit(bytes); }
  ~AllocationLimit() { set_host_allocation_limit(std::numeric_limits<size_t>::max()); }
};

TEST(OutOfHostMemory, IsAClearErrorNamingTheNodeAndTheExecutorStaysUsable) {
  const ir::Graph graph = constant_of_shape_graph(2.5f);
  runtime::Executor executor(graph, nullptr);
  {
    AllocationLimit limit(size_t{1} << 20);
    testing::expect_error(ErrorCode::InvalidInput, [&] { executor.run(shape_input(int64_t{1} << 20)); },
                          {"node 'fill'", "out of host memory", "float32[1048576]", "4194304 bytes"});
  }
  const runtime::TensorMap outputs = executor.run(shape_input(3000));
  const Tensor& out = outputs.at("out");
  ASSERT_EQ(out.numel(), 3000);
  for (int64_t i = 0; i < out.numel(); ++i) ASSERT_EQ(out.data<float>()[i], 2.5f) << i;
}

TEST(OutOfHostMemory, AnImpossibleSizeIsRefusedBeforeAllocating) {
  testing::expect_error(ErrorCode::InvalidInput, [] { Tensor(DType::Float32, {int64_t{1} << 61}); },
                        {"too large to allocate"});
}

}  // namespace
}  // namespace gnnrt
