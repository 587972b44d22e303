// Shared by the tests of batching many small graphs (the C++ API and `gnnrt run`): random small
// graphs, and the tolerance between a graph's results batched and alone.
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "gnnrt/tensor.h"

namespace gnnrt::testing {

// A random graph of `nodes` nodes (a ring plus random chords) with non-zero features of `width`:
// inputs "x" (float32 [nodes, width]) and "edge_index" (int64 [2, E]).
std::map<std::string, Tensor> random_graph(int64_t nodes, int64_t width, uint32_t seed);

// Within a few ulps of the values summed, not byte for byte: the dense layers run OpenBLAS SGEMM on
// all rows at once, and OpenBLAS picks its kernel (a small-matrix one, its blocking, its split
// over threads) by the matrix size, so a row's dot products may be summed in another order batched
// than alone; with the AVX-512 kernels the difference reached 6e-6 on values near 1. The sparse
// parts (aggregation, pooling) are exact.
void expect_close(const Tensor& actual, const Tensor& expected, const std::string& what);

}  // namespace gnnrt::testing
