// Shared by the tests of batching many small graphs (the C++ API and `gnnrt run`): random small
// graphs, and the comparison of a graph's results batched and alone.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "backends/cpu/blas_core.h"
#include "gnnrt/tensor.h"

namespace gnnrt::testing {

// A random graph of `nodes` nodes (a ring plus random chords) with non-zero features of `width`:
// inputs "x" (float32 [nodes, width]) and "edge_index" (int64 [2, E]), and with `edge_weights`
// "edge_weight" (float32 [E], in [0.5, 1.5]).
std::map<std::string, Tensor> random_graph(int64_t nodes, int64_t width, uint32_t seed, bool edge_weights = false);

// `count` random graphs of 1 to `max_nodes` nodes each, sizes drawn at random (so that graphs of
// every size sit at every kind of offset in the batch).
std::vector<std::map<std::string, Tensor>> random_sized_graphs(size_t count, int64_t max_nodes, int64_t width,
                                                               uint32_t seed, bool edge_weights = false);

// A graph's results batched equal its results alone byte for byte: the sparse parts are exact and
// the CPU's GEMM rows are batch-invariant (backends/cpu/blas_gemm.h). On a mismatch, names the
// first element that differs and both values.
void expect_batched_equals_alone(const Tensor& batched, const Tensor& alone, const std::string& what);

}  // namespace gnnrt::testing

// The CPU's bit-identity holds with the OpenBLAS kernels it was checked on (not Haswell's, on
// AVX2-only CPUs): elsewhere the CPU batching tests skip, saying why.
#define GNNRT_SKIP_UNLESS_CPU_GEMM_ROWS_INVARIANT()                                                      \
  if (!::gnnrt::cpu::blas_rows_are_invariant())                                                         \
  GTEST_SKIP() << "OpenBLAS kernels " << ::gnnrt::cpu::blas_core_name()                                \
               << " round a GEMM row by its position (backends/cpu/blas_gemm.h): batched != alone here"
