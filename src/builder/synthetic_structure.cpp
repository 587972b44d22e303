#include "builder/synthetic_structure.h"

#include <cstdint>

#include "gnnrt/error.h"

namespace gnnrt::builder {
namespace {

// xorshift64: the same structure on every machine and every build.
class Xorshift {
 public:
  uint64_t next() {
    state_ ^= state_ << 13;
    state_ ^= state_ >> 7;
    state_ ^= state_ << 17;
    return state_;
  }
  double uniform() { return static_cast<double>(next() >> 11) / 9007199254740992.0; }  // [0, 1)

 private:
  uint64_t state_ = 0x9E3779B97F4A7C15ull;
};

void check_sizes(int64_t rows, int64_t cols, int64_t edges) {
  GNNRT_CHECK(rows > 0 && cols > 0 && edges >= 0 && edges <= INT32_MAX && rows < INT32_MAX && cols <= INT32_MAX,
              "synthetic CSR of ", rows, " x ", cols, " with ", edges, " entries");
}

}  // namespace

SyntheticCsr power_law_csr(int64_t rows, int64_t cols, int64_t edges) {
  check_sizes(rows, cols, edges);
  SyntheticCsr csr;
  csr.row_ptr.assign(static_cast<size_t>(rows) + 1, 0);
  csr.col.resize(static_cast<size_t>(edges));
  Xorshift random;
  // Row of each entry: rank N u^2 puts density ~ r^(-1/2) on rank r, the in-degrees of a Chung-Lu
  // graph with Pareto(2) weights (the named workloads'), scattered over rows by a stride.
  std::vector<int32_t> row_of(static_cast<size_t>(edges));
  const uint64_t stride = 2654435761ull % static_cast<uint64_t>(rows) | 1;
  for (int64_t e = 0; e < edges; ++e) {
    const double u = random.uniform();
    const auto rank = static_cast<uint64_t>(u * u * static_cast<double>(rows));
    row_of[static_cast<size_t>(e)] = static_cast<int32_t>((rank * stride) % static_cast<uint64_t>(rows));
    ++csr.row_ptr[static_cast<size_t>(row_of[static_cast<size_t>(e)]) + 1];
  }
  for (int64_t r = 0; r < rows; ++r) csr.row_ptr[static_cast<size_t>(r) + 1] += csr.row_ptr[static_cast<size_t>(r)];
  std::vector<int32_t> fill(csr.row_ptr.begin(), csr.row_ptr.end() - 1);
  const uint64_t col_stride = 40503ull % static_cast<uint64_t>(cols) | 1;
  for (int64_t e = 0; e < edges; ++e) {
    const double u = random.uniform();
    const auto rank = static_cast<uint64_t>(u * u * static_cast<double>(cols));
    csr.col[static_cast<size_t>(fill[static_cast<size_t>(row_of[static_cast<size_t>(e)])]++)] =
        static_cast<int32_t>((rank * col_stride) % static_cast<uint64_t>(cols));
  }
  return csr;
}

SyntheticCsr small_graphs_csr(int64_t rows, int64_t cols, int64_t edges, int64_t graphs) {
  check_sizes(rows, cols, edges);
  GNNRT_CHECK(graphs > 0 && graphs <= rows && graphs <= cols, "synthetic CSR of ", graphs, " graphs over ", rows,
              " x ", cols);
  SyntheticCsr csr;
  csr.row_ptr.resize(static_cast<size_t>(rows) + 1);
  csr.col.resize(static_cast<size_t>(edges));
  Xorshift random;
  for (int64_t r = 0; r <= rows; ++r) csr.row_ptr[static_cast<size_t>(r)] = static_cast<int32_t>(r * edges / rows);
  for (int64_t r = 0; r < rows; ++r) {
    const int64_t graph = r * graphs / rows;
    const int64_t first = graph * cols / graphs, size = (graph + 1) * cols / graphs - first;
    for (int64_t e = csr.row_ptr[static_cast<size_t>(r)]; e < csr.row_ptr[static_cast<size_t>(r) + 1]; ++e)
      csr.col[static_cast<size_t>(e)] =
          static_cast<int32_t>(first + static_cast<int64_t>(random.uniform() * static_cast<double>(size)));
  }
  return csr;
}

}  // namespace gnnrt::builder
