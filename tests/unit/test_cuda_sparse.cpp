// CPU-vs-CUDA parity of gnnrt's sparse ops (backends/cuda/sparse_ops.cpp, launch/sparse.cu):
// CsrFromCoo bit for bit; SpMM with every tactic (warp_per_row, row_balanced, cusparse for
// float32) and every dtype (float32, float16, bfloat16), feature widths from 1 to 256 (every
// vector width the kernels pick), with and without each optional input and relu, on graphs with
// no edges, one row, isolated rows, rows aligned with and cut by RowBalanced's chunks, one row
// holding most edges, power-law degrees, negative column ids and an infinite row scale on rows
// without entries. Out-of-range ids (and a malformed row_ptr) must become a device error record,
// not a crash or an out-of-bounds access. The tactic names, the heuristic and the timing entry
// point (spmm_tactics.h) are tested too. Without a GPU every test that runs a kernel skips.
#ifdef GNNRT_WITH_CUDA

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "backends/cuda/cuda_kernels.h"
#include "backends/cuda/device_memory.h"
#include "backends/cuda/spmm_tactics.h"
#include "backends/op_shapes/sparse.h"
#include "core/half.h"
#include "cuda_parity_harness.h"

namespace gnnrt::testing {
namespace {

using cuda::SpmmTactic;

// Device errors are recorded under this site id.
constexpr int32_t kSite = 23;

// CsrFromCoo is a stable sort: exactly the CPU's output.
constexpr ParityTolerance kExact{0.0, 0.0};

// ---------------------------------------------------------------- graphs

// A CSR graph given by its rows' degrees; the columns are drawn by spmm_inputs.
struct Graph {
  std::string name;
  int64_t rows = 0;
  int64_t cols = 0;  // M, the rows of X
  std::vector<int64_t> degrees;
  int64_t edges() const {
    int64_t total = 0;
    for (int64_t d : degrees) total += d;
    return total;
  }
};

Graph uniform_graph(std::string name, int64_t rows, int64_t cols, int64_t max_degree, std::mt19937& rng) {
  Graph g{std::move(name), rows, cols, {}};
  std::uniform_int_distribution<int64_t> degree(0, max_degree);
  for (int64_t r = 0; r < rows; ++r) g.degrees.push_back(degree(rng));
  return g;
}

// The graphs every SpMM parity test runs on.
std::vector<Graph> test_graphs(std::mt19937& rng) {
  std::vector<Graph> graphs;
  graphs.push_back(uniform_graph("random", 300, 250, 12, rng));
  graphs.push_back({"no_edges", 40, 30, std::vector<int64_t>(40, 0)});
  graphs.push_back({"one_row", 1, 50, {700}});
  graphs.push_back({"one_row_one_edge", 1, 1, {1}});
  // Runs of rows without edges at the start, in the middle and at the end.
  Graph isolated = uniform_graph("isolated_rows", 400, 120, 9, rng);
  for (int64_t r = 0; r < 400; ++r)
    if (r < 37 || (r > 150 && r < 260) || r > 350 || r % 7 == 3) isolated.degrees[static_cast<size_t>(r)] = 0;
  graphs.push_back(isolated);
  // One row holds most edges: it spans many of RowBalanced's chunks.
  Graph skewed = uniform_graph("one_row_holds_most_edges", 500, 400, 4, rng);
  skewed.degrees[211] = 15000;
  graphs.push_back(skewed);
  // Power-law in-degrees (a few hubs, many leaves).
  Graph power_law{"power_law", 2000, 1500, {}};
  std::uniform_real_distribution<double> uniform(0.0, 1.0);
  for (int64_t r = 0; r < 2000; ++r)
    power_law.degrees.push_back(std::min<int64_t>(4000, static_cast<int64_t>(std::pow(uniform(rng), -1.3))));
  graphs.push_back(power_law);
  // Rows of exactly 128 and 256 edges: row starts on RowBalanced's smallest chunk boundaries.
  graphs.push_back({"chunk_aligned_rows", 60, 90, std::vector<int64_t>(60, 128)});
  Graph two_chunk_rows{"two_chunk_rows", 30, 90, std::vector<int64_t>(30, 256)};
  two_chunk_rows.degrees[4] = 0;
  graphs.push_back(two_chunk_rows);
  return graphs;
}

Tensor row_ptr_of(const Graph& g) {
  Tensor t(DType::Int32, {g.rows + 1});
  int64_t offset = 0;
  t.data<int32_t>()[0] = 0;
  for (int64_t r = 0; r < g.rows; ++r) {
    offset += g.degrees[static_cast<size_t>(r)];
    t.data<int32_t>()[r + 1] = static_cast<int32_t>(offset);
  }
  return t;
}

// Column ids in [-M, M): about a third negative (they wrap by M).
Tensor random_columns(int64_t edges, int64_t cols, std::mt19937& rng) {
  Tensor t(DType::Int32, {edges});
  std::uniform_int_distribution<int64_t> column(0, std::max<int64_t>(cols, 1) - 1);
  std::bernoulli_distribution negative(0.33);
  for (int64_t e = 0; e < edges; ++e) {
    const int64_t c = column(rng);
    t.data<int32_t>()[e] = static_cast<int32_t>(negative(rng) ? c - cols : c);
  }
  return t;
}

// ---------------------------------------------------------------- SpMM inputs

struct SpmmOptions {
  bool values = false, row_scale = false, col_scale = false, bias = false, relu = false;
  std::string describe() const {
    return cat(values ? "+values" : "", row_scale ? "+row_scale" : "", col_scale ? "+col_scale" : "",
               bias ? "+bias" : "", relu ? "+relu" : "");
  }
};

// Every combination of the four optional inputs, relu on for the odd ones.
std::vector<SpmmOptions> all_options() {
  std::vector<SpmmOptions> options;
  for (int mask = 0; mask < 16; ++mask)
    options.push_back({(mask & 1) != 0, (mask & 2) != 0, (mask & 4) != 0, (mask & 8) != 0, (mask % 3) == 1});
  return options;
}

// X [M, F] of `dtype` (drawn in float32 and rounded), row_ptr, col and the optional inputs in
// SpMM's order (undefined where omitted). row_scale and col_scale are longer than needed (the
// contract says "at least").
std::vector<Tensor> spmm_inputs(DType dtype, const Graph& g, int64_t width, const SpmmOptions& o, std::mt19937& rng) {
  const int64_t edges = g.edges();
  const Tensor x32 = random_floats({g.cols, width}, rng, -2.0f, 2.0f);
  std::vector<Tensor> inputs(7);
  inputs[op_shapes::spmm::kX] = dtype == DType::Float32 ? x32 : cast_tensor(x32, dtype);
  inputs[op_shapes::spmm::kRowPtr] = row_ptr_of(g);
  inputs[op_shapes::spmm::kCol] = random_columns(edges, g.cols, rng);
  if (o.values) inputs[op_shapes::spmm::kValues] = random_floats({edges}, rng, -1.5f, 1.5f);
  if (o.row_scale) inputs[op_shapes::spmm::kRowScale] = random_floats({g.rows + 3}, rng, 0.25f, 2.0f);
  if (o.col_scale) inputs[op_shapes::spmm::kColScale] = random_floats({g.cols + 2}, rng, -1.5f, 1.5f);
  if (o.bias) inputs[op_shapes::spmm::kBias] = random_floats({width}, rng, -1.0f, 1.0f);
  return inputs;
}

ir::Node spmm_node(const char* tactic, bool relu) {
  ir::Node node = make_node("SpMM", 7);
  node.domain = ir::kGnnrtDomain;
  if (tactic) set_string(node, "tactic", tactic);
  if (relu) set_string(node, "activation", "relu");
  return node;
}

// ---------------------------------------------------------------- SpMM tolerance

float float_at(const Tensor& t, int64_t i) {
  switch (t.dtype()) {
    case DType::Float16: return half_to_float(t.data<float16_t>()[i]);
    case DType::BFloat16: return bfloat16_to_float(t.data<bfloat16_t>()[i]);
    default: return t.data<float>()[i];
  }
}

// The spacing of the output format's values around |v| (one unit in the last place).
double output_ulp(DType dtype, double v) {
  const double magnitude = std::fabs(v);
  if (dtype == DType::Float32) return 0.0;  // covered by the fp32 rounding term
  const int mantissa_bits = dtype == DType::Float16 ? 10 : 7;
  const int min_exponent = dtype == DType::Float16 ? -14 : -126;
  const int exponent = magnitude > 0.0 ? std::max(static_cast<int>(std::floor(std::log2(magnitude))), min_exponent)
                                       : min_exponent;
  return std::ldexp(1.0, exponent - mantissa_bits);
}

// Compares SpMM outputs element by element, each with its own bound. The CPU sums a row in CSR
// order and the kernels in another (edge lanes, chunks), so the fp32 sums differ by rounding:
// at most about 1e-5 of the sum of |terms| for the row lengths here (the worst case grows with the
// length, the typical error with its square root). row_scale multiplies that, and the final
// rounding of act(scale * sum + bias) adds an fp32 ulp. 16-bit outputs: both sides round their fp32
// value to the same 16-bit grid (round to nearest even), so after rounding they may differ by one
// more unit in the last place of that format: 2^-10 relative for float16, 2^-7 for bfloat16.
void expect_spmm_close(const std::vector<Tensor>& inputs, const Tensor& actual, const Tensor& expected,
                       const std::string& what) {
  using namespace op_shapes::spmm;
  const Tensor& x = inputs[kX];
  const int64_t rows = expected.dim(0), width = expected.dim(1), cols = x.dim(0);
  ASSERT_EQ(actual.dtype(), expected.dtype()) << what;
  ASSERT_EQ(actual.shape(), expected.shape()) << what;
  const int32_t* row_ptr = inputs[kRowPtr].data<int32_t>();
  const int32_t* col = inputs[kCol].data<int32_t>();
  const float* values = inputs[kValues].defined() ? inputs[kValues].data<float>() : nullptr;
  const float* row_scale = inputs[kRowScale].defined() ? inputs[kRowScale].data<float>() : nullptr;
  const float* col_scale = inputs[kColScale].defined() ? inputs[kColScale].data<float>() : nullptr;
  int64_t failures = 0;
  std::vector<double> magnitude(static_cast<size_t>(width));
  for (int64_t r = 0; r < rows; ++r) {
    std::fill(magnitude.begin(), magnitude.end(), 0.0);
    for (int64_t e = row_ptr[r]; e < row_ptr[r + 1]; ++e) {
      const int64_t c = col[e] < 0 ? col[e] + cols : col[e];
      const double w = std::fabs((values ? values[e] : 1.0) * (col_scale ? col_scale[c] : 1.0));
      for (int64_t f = 0; f < width; ++f) magnitude[static_cast<size_t>(f)] += w * std::fabs(float_at(x, c * width + f));
    }
    const bool has_entries = row_ptr[r] != row_ptr[r + 1];  // an empty row is not scaled
    const double scale = row_scale && has_entries ? std::fabs(row_scale[r]) : 1.0;
    for (int64_t f = 0; f < width; ++f) {
      const double a = float_at(actual, r * width + f), b = float_at(expected, r * width + f);
      const double bound = 1e-5 * scale * magnitude[static_cast<size_t>(f)] + std::ldexp(std::fabs(b), -22) +
                           output_ulp(expected.dtype(), std::max(std::fabs(a), std::fabs(b)));
      if (!(std::fabs(a - b) <= bound) && failures++ < 5)
        ADD_FAILURE() << what << ": Y[" << r << ", " << f << "] = " << a << ", the CPU gives " << b << " (bound "
                      << bound << ")";
    }
  }
  EXPECT_EQ(failures, 0) << what << ": " << failures << " elements outside their bound";
}

// Runs SpMM on both backends (the harness checks the guard bytes and that no device error was
// recorded) and compares with per-element bounds.
void expect_spmm_parity(const ir::Node& node, const std::vector<Tensor>& inputs, const std::string& what) {
  // The harness's own comparison only catches gross errors; expect_spmm_close is the real test.
  const ParityResult result = expect_cuda_parity(node, inputs, ParityTolerance{1e3, 0.0});
  if (!result.ran_on_cuda || result.cuda_outputs.size() != 1 || result.cpu_outputs.size() != 1) return;
  expect_spmm_close(inputs, result.cuda_outputs[0], result.cpu_outputs[0], what);
}

struct TacticCase {
  const char* name;
  SpmmTactic tactic;
};
// The tactics, and the gathering ones with a measured slab width (64 bytes: several edge lanes
// per warp even for narrow rows; 128 bytes: several slabs for wide ones).
constexpr TacticCase kTactics[] = {{"warp_per_row", SpmmTactic::WarpPerRow},
                                   {"row_balanced", SpmmTactic::RowBalanced},
                                   {"cusparse", SpmmTactic::CuSparse},
                                   {"rows_per_warp", SpmmTactic::RowsPerWarp},
                                   {"warp_per_row:slab=64", SpmmTactic::WarpPerRow},
                                   {"row_balanced:slab=128", SpmmTactic::RowBalanced}};
constexpr DType kFeatureDtypes[] = {DType::Float32, DType::Float16, DType::BFloat16};

// Feature widths: 1 lane, a few lanes, every vector width (16, 8, 4 bytes and one element per
// access for each dtype), several slabs (256 float32 features are two warps' worth).
constexpr int64_t kWidths[] = {1, 3, 6, 7, 12, 16, 33, 64, 128, 256};

// ---------------------------------------------------------------- SpMM parity

TEST(CudaSparse, SpmmEveryTacticAndDtypeMatchesCpuOnEveryGraphAndWidth) {
  GNNRT_SKIP_WITHOUT_GPU();
  std::mt19937 rng(11);
  const std::vector<Graph> graphs = test_graphs(rng);
  const std::vector<SpmmOptions> options = all_options();
  size_t option_index = 0;
  for (const Graph& graph : graphs) {
    for (int64_t width : kWidths) {
      for (DType dtype : kFeatureDtypes) {
        const SpmmOptions& o = options[option_index++ % options.size()];
        const std::vector<Tensor> inputs = spmm_inputs(dtype, graph, width, o, rng);
        for (const TacticCase& tactic : kTactics) {
          if (!cuda::spmm_tactic_supports(tactic.tactic, dtype)) continue;
          const std::string what =
              cat(graph.name, " F=", width, " ", dtype_name(dtype), " ", tactic.name, " ", o.describe());
          SCOPED_TRACE(what);
          expect_spmm_parity(spmm_node(tactic.name, o.relu), inputs, what);
        }
      }
    }
  }
}

TEST(CudaSparse, SpmmEveryOptionalInputCombinationMatchesCpu) {
  GNNRT_SKIP_WITHOUT_GPU();
  std::mt19937 rng(12);
  Graph graph = uniform_graph("random", 700, 500, 20, rng);
  graph.degrees[5] = 3000;  // cut by RowBalanced's chunks
  for (const SpmmOptions& o : all_options()) {
    for (bool relu : {false, true}) {
      SpmmOptions with_relu = o;
      with_relu.relu = relu;
      for (DType dtype : kFeatureDtypes) {
        const std::vector<Tensor> inputs = spmm_inputs(dtype, graph, 40, with_relu, rng);
        for (const TacticCase& tactic : kTactics) {
          if (!cuda::spmm_tactic_supports(tactic.tactic, dtype)) continue;
          const std::string what = cat(dtype_name(dtype), " ", tactic.name, " ", with_relu.describe());
          SCOPED_TRACE(what);
          expect_spmm_parity(spmm_node(tactic.name, relu), inputs, what);
        }
      }
    }
  }
}

TEST(CudaSparse, SpmmWithoutATacticAttributeUsesTheHeuristicAndMatchesCpu) {
  GNNRT_SKIP_WITHOUT_GPU();
  std::mt19937 rng(13);
  // Small (WarpPerRow by default) and large enough for RowBalanced by default.
  Graph small = uniform_graph("small", 200, 150, 10, rng);
  Graph large = uniform_graph("large", 20000, 8000, 12, rng);
  large.degrees[100] = 20000;
  for (const Graph* graph : {&small, &large}) {
    for (DType dtype : kFeatureDtypes) {
      const SpmmOptions o{false, true, true, true, true};
      const std::vector<Tensor> inputs = spmm_inputs(dtype, *graph, 32, o, rng);
      const std::string what = cat(graph->name, " ", dtype_name(dtype), " default tactic");
      SCOPED_TRACE(what);
      expect_spmm_parity(spmm_node(nullptr, true), inputs, what);
    }
  }
}

// A row without entries is act(bias) whatever its scale: the scatter-add SpMM replaces leaves it 0
// even where the scale is inf (deg^-1/2 of an isolated node), where scale * 0 would be NaN.
TEST(CudaSparse, SpmmRowsWithoutEntriesIgnoreAnInfiniteRowScale) {
  GNNRT_SKIP_WITHOUT_GPU();
  std::mt19937 rng(22);
  Graph graph = uniform_graph("isolated_rows", 300, 200, 8, rng);
  for (int64_t r = 0; r < 300; r += 5) graph.degrees[static_cast<size_t>(r)] = 0;
  for (int64_t r = 280; r < 300; ++r) graph.degrees[static_cast<size_t>(r)] = 0;
  for (DType dtype : kFeatureDtypes) {
    for (bool relu : {false, true}) {
      std::vector<Tensor> inputs = spmm_inputs(dtype, graph, 24, SpmmOptions{true, true, true, true, relu}, rng);
      float* row_scale = inputs[op_shapes::spmm::kRowScale].data<float>();
      for (int64_t r = 0; r < graph.rows; ++r)
        if (graph.degrees[static_cast<size_t>(r)] == 0) row_scale[r] = std::numeric_limits<float>::infinity();
      for (const TacticCase& tactic : kTactics) {
        if (!cuda::spmm_tactic_supports(tactic.tactic, dtype)) continue;
        const std::string what = cat(dtype_name(dtype), " ", tactic.name, relu ? " relu" : "");
        SCOPED_TRACE(what);
        expect_spmm_parity(spmm_node(tactic.name, relu), inputs, what);
      }
    }
  }
}

// X larger than half of an H100's L2 cache (50 MB): the kernels narrow the slabs of X they gather
// at a time (several slabs, several edge lanes per warp), which small inputs never exercise.
TEST(CudaSparse, SpmmOfAnXLargerThanL2MatchesCpu) {
  GNNRT_SKIP_WITHOUT_GPU();
  std::mt19937 rng(14);
  // 100,000 rows of 256 features: a 512-byte slab of X (51 MB) overflows half of the L2, a
  // 256-byte one (25.6 MB) fits, so the heuristic narrows to it.
  Graph graph = uniform_graph("large_x", 3000, 100000, 60, rng);
  graph.degrees[17] = 12000;
  for (DType dtype : {DType::Float32, DType::BFloat16}) {
    const std::vector<Tensor> inputs = spmm_inputs(dtype, graph, 256, SpmmOptions{true, true, true, true, false}, rng);
    for (const TacticCase& tactic : kTactics) {
      if (!cuda::spmm_tactic_supports(tactic.tactic, dtype)) continue;
      const std::string what = cat(dtype_name(dtype), " ", tactic.name);
      SCOPED_TRACE(what);
      expect_spmm_parity(spmm_node(tactic.name, false), inputs, what);
    }
  }
}

TEST(CudaSparse, SpmmOwnTacticsAreBitIdenticalRunToRun) {
  GNNRT_SKIP_WITHOUT_GPU();
  std::mt19937 rng(15);
  Graph graph = uniform_graph("skewed", 3000, 2000, 30, rng);
  graph.degrees[1000] = 25000;
  for (DType dtype : kFeatureDtypes) {
    const std::vector<Tensor> inputs = spmm_inputs(dtype, graph, 64, SpmmOptions{true, true, true, true, true}, rng);
    for (const char* tactic : {"warp_per_row", "row_balanced", "rows_per_warp"}) {
      SCOPED_TRACE(cat(dtype_name(dtype), " ", tactic));
      const DirectRun first = run_cuda_only(spmm_node(tactic, true), inputs, kSite);
      const DirectRun second = run_cuda_only(spmm_node(tactic, true), inputs, kSite);
      EXPECT_EQ(first.record.code, cuda::kNoDeviceError);
      ASSERT_EQ(first.outputs[0].nbytes(), second.outputs[0].nbytes());
      EXPECT_EQ(std::memcmp(first.outputs[0].raw(), second.outputs[0].raw(), first.outputs[0].nbytes()), 0);
    }
  }
}

// ---------------------------------------------------------------- SpMM device errors

void expect_index_error(const DirectRun& run, int64_t value, int64_t bound) {
  EXPECT_EQ(run.record.code, cuda::kIndexOutOfRange);
  EXPECT_EQ(run.record.site, kSite);
  EXPECT_EQ(run.record.value, value);
  EXPECT_EQ(run.record.bound, bound);
}

TEST(CudaSparse, SpmmOutOfRangeColumnIsADeviceErrorAndOtherRowsAreRight) {
  GNNRT_SKIP_WITHOUT_GPU();
  std::mt19937 rng(16);
  const Graph graph = uniform_graph("random", 80, 60, 8, rng);
  for (DType dtype : kFeatureDtypes) {
    for (int64_t bad : {int64_t{60}, int64_t{-61}, int64_t{1} << 30}) {
      std::vector<Tensor> inputs = spmm_inputs(dtype, graph, 16, SpmmOptions{true, false, true, true, false}, rng);
      // The bad id goes into the first edge of a row; the CPU reference gets a valid one there.
      const int32_t* row_ptr = inputs[op_shapes::spmm::kRowPtr].data<int32_t>();
      int64_t bad_row = 10;
      while (row_ptr[bad_row] == row_ptr[bad_row + 1]) ++bad_row;
      std::vector<Tensor> good_inputs = inputs;
      good_inputs[op_shapes::spmm::kCol] = inputs[op_shapes::spmm::kCol].clone();
      good_inputs[op_shapes::spmm::kCol].data<int32_t>()[row_ptr[bad_row]] = 0;
      inputs[op_shapes::spmm::kCol] = inputs[op_shapes::spmm::kCol].clone();
      inputs[op_shapes::spmm::kCol].data<int32_t>()[row_ptr[bad_row]] = static_cast<int32_t>(bad);
      const ParityResult reference =
          check_parity(spmm_node("warp_per_row", false), good_inputs, ParityTolerance{1e3, 0.0});
      ASSERT_EQ(reference.cpu_outputs.size(), 1u);
      for (const TacticCase& tactic : kTactics) {
        if (!cuda::spmm_tactic_supports(tactic.tactic, dtype)) continue;
        SCOPED_TRACE(cat(dtype_name(dtype), " ", tactic.name, " col ", bad));
        const DirectRun run = run_cuda_only(spmm_node(tactic.name, false), inputs, kSite);
        expect_index_error(run, bad, graph.cols);
        // Rows without the bad edge are computed as usual: compare with the bad row blanked.
        Tensor actual = run.outputs[0].clone();
        Tensor expected = reference.cpu_outputs[0].clone();
        const size_t row_bytes = static_cast<size_t>(expected.dim(1)) * dtype_size(dtype);
        std::memset(static_cast<char*>(actual.raw()) + bad_row * row_bytes, 0, row_bytes);
        std::memset(static_cast<char*>(expected.raw()) + bad_row * row_bytes, 0, row_bytes);
        expect_spmm_close(good_inputs, actual, expected, "rows without the bad edge");
      }
    }
  }
}

TEST(CudaSparse, SpmmMalformedRowPtrIsADeviceErrorNotACrash) {
  GNNRT_SKIP_WITHOUT_GPU();
  std::mt19937 rng(17);
  const Graph graph = uniform_graph("random", 50, 40, 6, rng);
  const int64_t edges = graph.edges();
  for (const TacticCase& tactic : kTactics) {
    for (int variant = 0; variant < 3; ++variant) {
      std::vector<Tensor> inputs = spmm_inputs(DType::Float32, graph, 8, SpmmOptions{}, rng);
      int32_t* row_ptr = inputs[op_shapes::spmm::kRowPtr].data<int32_t>();
      int64_t expected_value = 0;
      if (variant == 0) expected_value = row_ptr[20] = static_cast<int32_t>(edges + 1000);  // past E
      if (variant == 1) expected_value = row_ptr[0] = -5;                                     // negative
      if (variant == 2) {  // decreasing: row 30 would end before it begins
        row_ptr[31] = row_ptr[30] - 1;
        expected_value = -1;  // any value: several rows may report first
      }
      SCOPED_TRACE(cat(tactic.name, " variant ", variant));
      const DirectRun run = run_cuda_only(spmm_node(tactic.name, false), inputs, kSite);
      EXPECT_EQ(run.record.code, cuda::kIndexOutOfRange);
      EXPECT_EQ(run.record.bound, edges + 1);
      if (expected_value != -1) {
        EXPECT_EQ(run.record.value, expected_value);
      }
    }
  }
}

TEST(CudaSparse, SpmmDegenerateShapesStillCheckColumns) {
  GNNRT_SKIP_WITHOUT_GPU();
  // F = 0: nothing to compute, but the column ids are checked, as the CPU does.
  std::mt19937 rng(18);
  Graph graph{"three_rows", 3, 4, {2, 0, 1}};
  std::vector<Tensor> inputs = spmm_inputs(DType::Float32, graph, 0, SpmmOptions{}, rng);
  inputs[op_shapes::spmm::kCol].data<int32_t>()[2] = 9;
  for (const TacticCase& tactic : kTactics) {
    SCOPED_TRACE(tactic.name);
    const DirectRun run = run_cuda_only(spmm_node(tactic.name, false), inputs, kSite);
    expect_index_error(run, 9, 4);
    EXPECT_EQ(run.outputs[0].shape(), (Dims{3, 0}));
  }
  // And valid degenerate shapes match the CPU: no rows, no features, an X without rows and no edges.
  for (const TacticCase& tactic : kTactics) {
    SCOPED_TRACE(tactic.name);
    const Graph no_rows{"no_rows", 0, 5, {}};
    expect_spmm_parity(spmm_node(tactic.name, false), spmm_inputs(DType::Float32, no_rows, 4, SpmmOptions{}, rng),
                       "no rows");
    expect_spmm_parity(spmm_node(tactic.name, true), spmm_inputs(DType::Float32, graph, 0, SpmmOptions{}, rng),
                       "no features");
    const Graph empty_x{"empty_x", 4, 0, {0, 0, 0, 0}};
    expect_spmm_parity(spmm_node(tactic.name, true),
                       spmm_inputs(DType::Float32, empty_x, 5, SpmmOptions{false, true, false, true, true}, rng),
                       "an X without rows");
  }
}

// ---------------------------------------------------------------- SpMM attributes and supports

TEST(CudaSparse, SpmmRejectsUnknownTacticsAndCusparseOfHalfPrecision) {
  GNNRT_SKIP_WITHOUT_GPU();
  std::mt19937 rng(19);
  const Graph graph = uniform_graph("random", 10, 10, 3, rng);
  const std::vector<Tensor> inputs = spmm_inputs(DType::Float32, graph, 4, SpmmOptions{}, rng);
  try {
    run_cuda_only(spmm_node("fastest", false), inputs, kSite);
    ADD_FAILURE() << "an unknown tactic was accepted";
  } catch (const Error& error) {
    EXPECT_EQ(error.code(), ErrorCode::InvalidInput);
    EXPECT_NE(std::string(error.what()).find("warp_per_row, row_balanced, cusparse"), std::string::npos)
        << error.what();
  }
  const std::vector<Tensor> half_inputs = spmm_inputs(DType::Float16, graph, 4, SpmmOptions{}, rng);
  try {
    run_cuda_only(spmm_node("cusparse", false), half_inputs, kSite);
    ADD_FAILURE() << "cusparse took float16";
  } catch (const Error& error) {
    EXPECT_EQ(error.code(), ErrorCode::InvalidInput);
    EXPECT_NE(std::string(error.what()).find("float16"), std::string::npos) << error.what();
  }
}

TEST(CudaSparse, SupportsDeclinesWhatTheKernelsDoNotHandle) {
  GNNRT_SKIP_WITHOUT_GPU();
  const cuda::CudaKernelRegistry& registry = cuda::cuda_kernel_registry();
  const DType f32 = DType::Float32, i32 = DType::Int32, i64 = DType::Int64, none = DType::Undefined;
  EXPECT_TRUE(registry.supports(spmm_node(nullptr, false), {f32, i32, i32}));
  EXPECT_TRUE(registry.supports(spmm_node("row_balanced", true), {DType::BFloat16, i32, i32, f32, none, f32, f32}));
  EXPECT_TRUE(registry.supports(spmm_node(nullptr, false), {DType::Float16, i32, i32, none, f32}));
  EXPECT_FALSE(registry.supports(spmm_node(nullptr, false), {DType::Float64, i32, i32}));
  EXPECT_FALSE(registry.supports(spmm_node(nullptr, false), {f32, i64, i32}));
  EXPECT_FALSE(registry.supports(spmm_node(nullptr, false), {f32, i32, i32, DType::Float16}));
  ir::Node gelu = spmm_node(nullptr, false);
  set_string(gelu, "activation", "gelu");
  EXPECT_FALSE(registry.supports(gelu, {f32, i32, i32}));

  ir::Node csr = make_node("CsrFromCoo", 4, 3);
  csr.domain = ir::kGnnrtDomain;
  EXPECT_TRUE(registry.supports(csr, {i64, i64, i64, f32}));
  EXPECT_TRUE(registry.supports(csr, {i64, i64, i32}));
  EXPECT_FALSE(registry.supports(csr, {i32, i64, i64}));
  EXPECT_FALSE(registry.supports(csr, {i64, i64, i64, DType::Float16}));
  csr.domain = "com.example";
  EXPECT_FALSE(registry.supports(csr, {i64, i64, i64}));
}

// ---------------------------------------------------------------- tactic names, heuristic, timing

TEST(CudaSparse, TacticNamesRoundTrip) {
  for (const TacticCase& tactic : kTactics) {
    const std::optional<cuda::SpmmConfig> config = cuda::parse_spmm_config(tactic.name);
    ASSERT_TRUE(config.has_value()) << tactic.name;
    EXPECT_EQ(config->tactic, tactic.tactic);
    EXPECT_EQ(cuda::spmm_config_name(*config), tactic.name);
  }
  EXPECT_EQ(cuda::parse_spmm_config("row_balanced:slab=256")->slab_bytes, 256);
  EXPECT_EQ(cuda::parse_spmm_config("warp_per_row")->slab_bytes, 0);
  for (const char* bad : {"WarpPerRow", "warp_per_row:", "warp_per_row:slab=", "warp_per_row:slab=8",
                          "warp_per_row:slab=70000", "warp_per_row:slab=12a", "warp_per_row:slabs=128",
                          "cusparse:slab=128", "warp_per_row:slab=-128"})
    EXPECT_FALSE(cuda::parse_spmm_config(bad).has_value()) << bad;
  EXPECT_FALSE(cuda::parse_spmm_tactic("WarpPerRow").has_value());
  EXPECT_EQ(*cuda::parse_spmm_tactic("row_balanced"), SpmmTactic::RowBalanced);
  EXPECT_EQ(cuda::spmm_tactic_names(), "warp_per_row, row_balanced, cusparse, rows_per_warp");
}

TEST(CudaSparse, HeuristicSplitsRowsOnlyWhenTheLongestRowWouldDominate) {
  // Runs without a GPU too (the heuristic then assumes an H100's 132 SMs).
  EXPECT_EQ(cuda::choose_spmm_tactic(2708, 10556, 16), SpmmTactic::WarpPerRow);  // Cora: small
  EXPECT_EQ(cuda::choose_spmm_tactic(169343, 2315598, 128), SpmmTactic::RowBalanced);  // unknown degrees
  EXPECT_EQ(cuda::choose_spmm_tactic(169343, 2315598, 128, 13155), SpmmTactic::RowBalanced);  // arxiv's hub
  EXPECT_EQ(cuda::choose_spmm_tactic(169343, 2315598, 128, 40), SpmmTactic::WarpPerRow);
  EXPECT_EQ(cuda::choose_spmm_tactic(100, 0, 16), SpmmTactic::WarpPerRow);
  EXPECT_EQ(cuda::choose_spmm_tactic(0, 0, 16), SpmmTactic::WarpPerRow);
}

TEST(CudaSparse, TimingRunsEverySupportedTacticAndPicksTheFastest) {
  GNNRT_SKIP_WITHOUT_GPU();
  std::mt19937 rng(20);
  Graph graph = uniform_graph("random", 5000, 4000, 20, rng);
  graph.degrees[7] = 8000;
  for (DType dtype : kFeatureDtypes) {
    SCOPED_TRACE(dtype_name(dtype));
    const std::vector<Tensor> inputs = spmm_inputs(dtype, graph, 64, SpmmOptions{true, true, false, true, true}, rng);
    cudaStream_t stream = nullptr;
    ASSERT_EQ(cudaStreamCreate(&stream), cudaSuccess);
    std::vector<Tensor> device;
    for (const Tensor& t : inputs) device.push_back(t.defined() ? cuda::copy_to_device(t, stream) : Tensor());
    Tensor y = cuda::allocate_device_tensor(dtype, {graph.rows, 64});
    auto pointer = [&](size_t i) { return device[i].defined() ? static_cast<const float*>(device[i].raw()) : nullptr; };
    cuda::SpmmProblem problem;
    problem.dtype = dtype;
    problem.x = device[op_shapes::spmm::kX].raw();
    problem.row_ptr = static_cast<const int32_t*>(device[op_shapes::spmm::kRowPtr].raw());
    problem.col = static_cast<const int32_t*>(device[op_shapes::spmm::kCol].raw());
    problem.values = pointer(op_shapes::spmm::kValues);
    problem.row_scale = pointer(op_shapes::spmm::kRowScale);
    problem.col_scale = pointer(op_shapes::spmm::kColScale);
    problem.bias = pointer(op_shapes::spmm::kBias);
    problem.y = y.raw();
    problem.num_rows = graph.rows;
    problem.num_cols = graph.cols;
    problem.width = 64;
    problem.num_edges = graph.edges();
    problem.relu = true;
    const cuda::SpmmTacticChoice choice = cuda::time_spmm_tactics(problem, stream, {}, {1, 5});
    cudaStreamDestroy(stream);
    // 64 features: 256-byte fp32 rows are timed whole and in 128-byte slabs; 128-byte 16-bit rows
    // only whole; rows_per_warp also in 64- and 32-byte slabs (more rows a warp). cuSPARSE takes
    // fp32 only.
    std::vector<std::string> names;
    for (const cuda::SpmmTacticTime& time : choice.times) names.push_back(cuda::spmm_config_name(time.config));
    std::sort(names.begin(), names.end());
    const std::vector<std::string> expected =
        dtype == DType::Float32
            ? std::vector<std::string>{"cusparse",
                                       "row_balanced:slab=128",
                                       "row_balanced:slab=512",
                                       "rows_per_warp:slab=128",
                                       "rows_per_warp:slab=32",
                                       "rows_per_warp:slab=512",
                                       "rows_per_warp:slab=64",
                                       "warp_per_row:slab=128",
                                       "warp_per_row:slab=512"}
            : std::vector<std::string>{"row_balanced:slab=512", "rows_per_warp:slab=32", "rows_per_warp:slab=512",
                                       "rows_per_warp:slab=64", "warp_per_row:slab=512"};
    EXPECT_EQ(names, expected);
    EXPECT_EQ(choice.best, choice.times.front().config);
    for (size_t i = 0; i < choice.times.size(); ++i) {
      EXPECT_GT(choice.times[i].median_ms, 0.0);
      if (i > 0) {
        EXPECT_LE(choice.times[i - 1].median_ms, choice.times[i].median_ms);
      }
    }
  }
}

// ---------------------------------------------------------------- CsrFromCoo

ir::Node csr_node(bool values, size_t outputs) {
  ir::Node node = make_node("CsrFromCoo", values ? 4 : 3, outputs);
  node.domain = ir::kGnnrtDomain;
  return node;
}

// An edge list: src in [-M, M) (left as given: negative ids are SpMM's to wrap), dst in [-N, N)
// with `skew` of the edges on node 3, and the dense_shape [N, 16] of the scatter's zeros.
std::vector<Tensor> coo_inputs(int64_t nodes, int64_t edges, bool with_values, double skew, std::mt19937& rng) {
  Tensor src(DType::Int64, {edges}), dst(DType::Int64, {edges});
  std::uniform_int_distribution<int64_t> any_node(-std::max<int64_t>(nodes, 1), std::max<int64_t>(nodes, 1) - 1);
  std::bernoulli_distribution on_hub(skew);
  for (int64_t e = 0; e < edges; ++e) {
    src.data<int64_t>()[e] = any_node(rng);
    dst.data<int64_t>()[e] = on_hub(rng) && nodes > 3 ? 3 : any_node(rng);
  }
  std::vector<Tensor> inputs{src, dst, int64_vector({nodes, 16})};
  if (with_values) inputs.push_back(random_floats({edges}, rng, -2.0f, 2.0f));
  return inputs;
}

TEST(CudaSparse, CsrFromCooMatchesCpuExactly) {
  GNNRT_SKIP_WITHOUT_GPU();
  std::mt19937 rng(21);
  struct Case {
    int64_t nodes, edges;
    double skew;
  };
  const Case cases[] = {{0, 0, 0.0},     {1, 0, 0.0},      {5, 0, 0.0},   {1, 1, 0.0},        {1, 300, 0.0},
                        {2708, 10556, 0.0}, {100, 5000, 0.8}, {7, 40000, 0.5}, {70000, 9000, 0.0}, {300000, 200000, 0.3}};
  for (const Case& c : cases) {
    for (bool with_values : {false, true}) {
      SCOPED_TRACE(cat("N=", c.nodes, " E=", c.edges, " skew ", c.skew, with_values ? " with values" : ""));
      const std::vector<Tensor> inputs = coo_inputs(c.nodes, c.edges, with_values, c.skew, rng);
      expect_cuda_parity(csr_node(with_values, with_values ? 3 : 2), inputs, kExact);
    }
  }
  // Values given but no sorted_values output; dense_shape as int32.
  std::vector<Tensor> inputs = coo_inputs(50, 400, true, 0.2, rng);
  expect_cuda_parity(csr_node(true, 2), inputs, kExact);
  inputs[2] = cast_tensor(inputs[2], DType::Int32);
  expect_cuda_parity(csr_node(true, 3), inputs, kExact);
}

TEST(CudaSparse, CsrFromCooKeepsTheEdgeOrderWithinARow) {
  GNNRT_SKIP_WITHOUT_GPU();
  // Row 1 gets src 9, 8, 7 (in list order, dst 1 and its negative alias -2), row 0 src 5.
  const Tensor src = int64_vector({9, 5, 8, 7});
  const Tensor dst = int64_vector({1, 0, -2, 1});
  Tensor values = cast_tensor(int64_vector({1, 2, 3, 4}), DType::Float32);
  const ParityResult result = expect_cuda_parity(csr_node(true, 3), {src, dst, int64_vector({3}), values}, kExact);
  ASSERT_EQ(result.cuda_outputs.size(), 3u);
  EXPECT_EQ(result.cuda_outputs[0].to_int_vector(), (std::vector<int64_t>{0, 1, 4, 4}));
  EXPECT_EQ(result.cuda_outputs[1].to_int_vector(), (std::vector<int64_t>{5, 9, 8, 7}));
  EXPECT_EQ(result.cuda_outputs[2].data<float>()[1], 1.0f);
  EXPECT_EQ(result.cuda_outputs[2].data<float>()[3], 4.0f);
}

TEST(CudaSparse, CsrFromCooOutOfRangeIndicesAreDeviceErrors) {
  GNNRT_SKIP_WITHOUT_GPU();
  const Tensor shape = int64_vector({4});
  {
    const DirectRun run = run_cuda_only(csr_node(false, 2), {int64_vector({0, 1, 2}), int64_vector({3, 4, 0}), shape}, kSite);
    expect_index_error(run, 4, 4);
    // The bad edge is left out; the others are sorted as usual.
    EXPECT_EQ(run.outputs[0].to_int_vector(), (std::vector<int64_t>{0, 1, 1, 1, 2}));
    EXPECT_EQ(run.outputs[1].to_int_vector().size(), 3u);
  }
  {
    const DirectRun run = run_cuda_only(csr_node(false, 2), {int64_vector({0, 1}), int64_vector({-5, 0}), shape}, kSite);
    expect_index_error(run, -5, 4);
  }
  {
    const DirectRun run = run_cuda_only(csr_node(true, 3),
                                        {int64_vector({int64_t{1} << 33, 1}), int64_vector({0, -4}), shape,
                                         cast_tensor(int64_vector({1, 2}), DType::Float32)},
                                        kSite);
    expect_index_error(run, int64_t{1} << 33, int64_t{1} << 31);
  }
  {
    // No rows: every edge is out of range.
    const DirectRun run = run_cuda_only(csr_node(false, 2), {int64_vector({0}), int64_vector({0}), int64_vector({0})}, kSite);
    expect_index_error(run, 0, 0);
    EXPECT_EQ(run.outputs[0].to_int_vector(), (std::vector<int64_t>{0}));
  }
}

}  // namespace
}  // namespace gnnrt::testing

#endif  // GNNRT_WITH_CUDA
