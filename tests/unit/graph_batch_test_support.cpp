#include "graph_batch_test_support.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <cstring>
#include <random>
#include <vector>

namespace gnnrt::testing {

std::map<std::string, Tensor> random_graph(int64_t nodes, int64_t width, uint32_t seed, bool edge_weights) {
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
  std::map<std::string, Tensor> graph{{"x", x}, {"edge_index", edge_index}};
  if (edge_weights) {
    Tensor weight(DType::Float32, {edges});
    for (int64_t e = 0; e < edges; ++e) weight.data<float>()[e] = 1.0f + 0.5f * value(rng);
    graph["edge_weight"] = weight;
  }
  return graph;
}

std::vector<std::map<std::string, Tensor>> random_sized_graphs(size_t count, int64_t max_nodes, int64_t width,
                                                               uint32_t seed, bool edge_weights) {
  std::mt19937 rng(seed);
  std::vector<std::map<std::string, Tensor>> graphs;
  for (size_t g = 0; g < count; ++g) {
    const int64_t nodes = 1 + static_cast<int64_t>(rng() % static_cast<uint32_t>(max_nodes));
    graphs.push_back(random_graph(nodes, width, seed * 1000 + static_cast<uint32_t>(g), edge_weights));
  }
  return graphs;
}

void expect_batched_equals_alone(const Tensor& batched, const Tensor& alone, const std::string& what) {
  ASSERT_EQ(batched.dtype(), alone.dtype()) << what;
  ASSERT_EQ(batched.shape(), alone.shape()) << what;
  if (std::memcmp(batched.raw(), alone.raw(), alone.nbytes()) == 0) return;
  ASSERT_EQ(alone.dtype(), DType::Float32) << what << ": the bytes differ";
  for (int64_t i = 0; i < alone.numel(); ++i)
    if (std::memcmp(&batched.data<float>()[i], &alone.data<float>()[i], sizeof(float)) != 0) {
      char values[96];
      std::snprintf(values, sizeof(values), "%.9g batched, %.9g alone", batched.data<float>()[i],
                    alone.data<float>()[i]);
      ADD_FAILURE() << what << ": element " << i << " of " << alone.describe() << " is " << values
                    << ", not bit-identical";
      return;
    }
}

}  // namespace gnnrt::testing
