#include "graph_batch_test_support.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

namespace gnnrt::testing {

std::map<std::string, Tensor> random_graph(int64_t nodes, int64_t width, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> value(-1.0f, 1.0f);
  Tensor x(DType::Float32, {nodes, width});
  for (int64_t i = 0; i < x.numel(); ++i) x.data<float>()[i] = value(rng) + 0.05f;
  std::vector<int64_t> src, dst;
  for (int64_t i = 0; i < nodes && nodes > 1; ++i) {
    src.push_back(i), dst.push_back((i + 1) % nodes);
    src.push_back((i + 1) % nodes), dst.push_back(i);
    const int64_t other = static_cast<int64_t>(rng() % static_cast<uint32_t>(nodes));
    src.push_back(i), dst.push_back(other);
  }
  const int64_t edges = static_cast<int64_t>(src.size());
  Tensor edge_index(DType::Int64, {2, edges});
  for (int64_t e = 0; e < edges; ++e) {
    edge_index.data<int64_t>()[e] = src[static_cast<size_t>(e)];
    edge_index.data<int64_t>()[edges + e] = dst[static_cast<size_t>(e)];
  }
  return {{"x", x}, {"edge_index", edge_index}};
}

void expect_close(const Tensor& actual, const Tensor& expected, const std::string& what) {
  ASSERT_EQ(actual.shape(), expected.shape()) << what;
  for (int64_t i = 0; i < actual.numel(); ++i) {
    const float a = actual.data<float>()[i], e = expected.data<float>()[i];
    EXPECT_NEAR(a, e, 1.5e-5f * std::max(1.0f, std::abs(e))) << what << ", element " << i;
  }
}

}  // namespace gnnrt::testing
