// CPU-vs-CUDA parity of the indexing ops (backends/cuda/index_ops.cpp): Gather (the PyG row
// gather x[src] and every other axis), GatherElements, GatherND (with batch_dims),
// ScatterElements and ScatterND with every reduction (bit-identical to the CPU: updates are
// applied per target in index order, no atomics), NonZero; on graphs with 0 edges, 1 node,
// isolated nodes and power-law degrees. Out-of-range indices must become a device error record,
// not a crash or an out-of-bounds access. Without a GPU every test skips.
#ifdef GNNRT_WITH_CUDA

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "backends/cuda/cuda_check.h"
#include "backends/cuda/cuda_kernels.h"
#include "backends/cuda/device_memory.h"
#include "core/dispatch.h"
#include "cuda_parity_harness.h"

namespace gnnrt::testing {
namespace {

// Gathers copy and scatters apply the CPU's operations in the CPU's order: exact.
constexpr ParityTolerance kExact{0.0, 0.0};

// Random values of any dtype in [low, high], drawn as float64 and cast: integers and bools are
// rounded to whole numbers.
Tensor rounded_tensor(DType dtype, Dims shape, std::mt19937& rng, double low = -3.0, double high = 3.0) {
  Tensor values(DType::Float64, std::move(shape));
  std::uniform_real_distribution<double> dist(low, high);
  const bool whole = dtype != DType::Float32 && dtype != DType::Float64;
  for (int64_t i = 0; i < values.numel(); ++i) {
    const double v = dist(rng);
    values.data<double>()[i] = dtype == DType::Bool ? (v > 0 ? 1.0 : 0.0) : whole ? std::round(v) : v;
  }
  return cast_tensor(values, dtype);
}

Tensor int_tensor(const std::vector<int64_t>& values, Dims shape, DType dtype = DType::Int64) {
  return cast_tensor(int64_vector(values).reshaped(std::move(shape)), dtype);
}

// Indices in [-bound, bound): negative ones count from the end.
Tensor signed_indices(Dims shape, int64_t bound, std::mt19937& rng) {
  Tensor t = random_indices(std::move(shape), bound, rng);
  std::bernoulli_distribution flip(0.3);
  for (int64_t i = 0; i < t.numel(); ++i)
    if (flip(rng)) t.data<int64_t>()[i] -= bound;
  return t;
}

// An [E] index broadcast to [E, F] (how the exporters feed ScatterElements the message targets).
Tensor expanded_rows(const Tensor& rows, int64_t features) {
  Tensor t(DType::Int64, {rows.numel(), features});
  for (int64_t e = 0; e < rows.numel(); ++e)
    for (int64_t f = 0; f < features; ++f) t.data<int64_t>()[e * features + f] = rows.data<int64_t>()[e];
  return t;
}

ir::Node scatter_node(const std::string& op, const std::string& reduction, int64_t axis = 0) {
  ir::Node node = make_node(op, 3);
  set_string(node, "reduction", reduction);
  if (op == "ScatterElements") set_int(node, "axis", axis);
  return node;
}

ParityResult expect_parity(const ir::Node& node, const std::vector<Tensor>& inputs,
                           ParityTolerance tolerance = kExact) {
  return expect_cuda_parity(node, inputs, tolerance);
}

// ---------------------------------------------------------------- direct runs (device errors)

// Device errors are recorded under this site id.
constexpr int32_t kSite = 17;

void expect_index_error(const DirectRun& run, int64_t value, int64_t bound) {
  EXPECT_EQ(run.record.code, cuda::kIndexOutOfRange);
  EXPECT_EQ(run.record.site, kSite);
  EXPECT_EQ(run.record.value, value);
  EXPECT_EQ(run.record.bound, bound);
}

std::vector<double> values_of(const Tensor& t) {
  std::vector<double> values;
  for (int64_t i = 0; i < t.numel(); ++i) values.push_back(t.scalar_as_double(i));
  return values;
}

// ---------------------------------------------------------------- Gather

TEST(CudaIndex, GatherOfNodeRowsByEdgeIndexMatchesCpu) {
  GNNRT_SKIP_WITHOUT_GPU();
  std::mt19937 rng(1);
  // x[src]: every feature width the row copy vectorises differently (16, 8, 4 bytes per access).
  for (int64_t features : {64, 16, 6, 3, 1, 0}) {
    for (int64_t nodes : {1, 37, 2708}) {
      for (int64_t edges : {0, 1, 5000}) {
        SCOPED_TRACE(cat("N=", nodes, " F=", features, " E=", edges));
        const Tensor x = rounded_tensor(DType::Float32, {nodes, features}, rng);
        expect_parity(make_node("Gather", 2), {x, skewed_indices({edges}, nodes, rng)});
      }
    }
  }
  // Negative indices, int32 indices, a [2, E] index, and a scalar index (a row of x).
  const Tensor x = rounded_tensor(DType::Float32, {50, 8}, rng);
  expect_parity(make_node("Gather", 2), {x, signed_indices({300}, 50, rng)});
  expect_parity(make_node("Gather", 2), {x, cast_tensor(signed_indices({300}, 50, rng), DType::Int32)});
  expect_parity(make_node("Gather", 2), {x, random_indices({2, 40}, 50, rng)});
  expect_parity(make_node("Gather", 2), {x, int_tensor({-1}, {})});
}

TEST(CudaIndex, GatherOnEveryAxisAndDtypeMatchesCpu) {
  GNNRT_SKIP_WITHOUT_GPU();
  std::mt19937 rng(2);
  const DType dtypes[] = {DType::Float32, DType::Int64, DType::Bool, DType::Float16, DType::Int32, DType::Float64};
  for (int64_t axis : {0, 1, 2, -1, -2}) {
    for (DType dtype : dtypes) {
      SCOPED_TRACE(cat("axis ", axis, " ", dtype_name(dtype)));
      const Tensor data = rounded_tensor(dtype, {4, 5, 3}, rng);
      const int64_t extent = data.dim(axis < 0 ? axis + 3 : axis);
      ir::Node node = make_node("Gather", 2);
      set_int(node, "axis", axis);
      expect_parity(node, {data, signed_indices({2, 3}, extent, rng)});
      expect_parity(node, {data, signed_indices({}, extent, rng)});
      expect_parity(node, {data, random_indices({0}, extent, rng)});
    }
  }
  // The edge_index row select of GCN: Gather(edge_index, 0, axis=0) -> [E].
  expect_parity(make_node("Gather", 2), {random_indices({2, 999}, 100, rng), int_tensor({0}, {})});
}

TEST(CudaIndex, GatherElementsMatchesCpuOnEveryAxis) {
  GNNRT_SKIP_WITHOUT_GPU();
  std::mt19937 rng(3);
  const Tensor data = rounded_tensor(DType::Float32, {4, 6, 5}, rng);
  for (int64_t axis : {0, 1, 2, -1}) {
    SCOPED_TRACE(cat("axis ", axis));
    const int64_t extent = data.dim(axis < 0 ? axis + 3 : axis);
    ir::Node node = make_node("GatherElements", 2);
    set_int(node, "axis", axis);
    Dims shape = {3, 4, 2};  // smaller than data on the other dims
    shape[static_cast<size_t>(axis < 0 ? axis + 3 : axis)] = 7;  // larger along the axis is fine
    expect_parity(node, {data, signed_indices(shape, extent, rng)});
    expect_parity(node, {rounded_tensor(DType::Int64, {4, 6, 5}, rng), cast_tensor(signed_indices(shape, extent, rng), DType::Int32)});
    shape[0] = 0;
    expect_parity(node, {data, random_indices(shape, extent, rng)});
  }
}

TEST(CudaIndex, GatherNDMatchesCpuWithAndWithoutBatchDims) {
  GNNRT_SKIP_WITHOUT_GPU();
  std::mt19937 rng(4);
  const Tensor data = rounded_tensor(DType::Float32, {3, 4, 5}, rng);
  // k = 1, 2, 3 coordinates; negative coordinates.
  for (int64_t k : {1, 2, 3}) {
    SCOPED_TRACE(cat("k=", k));
    Tensor indices(DType::Int64, {6, k});
    for (int64_t t = 0; t < 6; ++t)
      for (int64_t c = 0; c < k; ++c) {
        const int64_t extent = data.dim(c);
        indices.data<int64_t>()[t * k + c] = std::uniform_int_distribution<int64_t>(-extent, extent - 1)(rng);
      }
    expect_parity(make_node("GatherND", 2), {data, indices});
  }
  // batch_dims = 1: indices [3, 2, 1] pick rows of each batch's [4, 5] matrix.
  ir::Node batched = make_node("GatherND", 2);
  set_int(batched, "batch_dims", 1);
  expect_parity(batched, {data, random_indices({3, 2, 1}, 4, rng)});
  expect_parity(batched, {data, cast_tensor(random_indices({3, 2, 2}, 4, rng), DType::Int32)});
  // The dynamo exporter's NonZero -> GatherND pattern: [E, 1] positions into a [E] mask-selected vector.
  expect_parity(make_node("GatherND", 2), {rounded_tensor(DType::Int64, {200}, rng, 0, 100), random_indices({77, 1}, 200, rng)});
  expect_parity(make_node("GatherND", 2), {data, random_indices({0, 2}, 3, rng)});
}

// ---------------------------------------------------------------- ScatterElements

TEST(CudaIndex, ScatterElementsAddOfMessagesMatchesCpuBitForBit) {
  GNNRT_SKIP_WITHOUT_GPU();
  std::mt19937 rng(5);
  // GCN message passing: [E, F] messages scatter-added into zeros [N, F] by the target node.
  for (int64_t nodes : {1, 10, 500}) {
    for (int64_t edges : {0, 1, 4000}) {
      SCOPED_TRACE(cat("N=", nodes, " E=", edges));
      const int64_t features = 16;
      // Targets only hit the first half of the nodes (isolated nodes keep the data value), and
      // power-law degrees put most edges on a few nodes.
      const Tensor targets = skewed_indices({edges}, std::max<int64_t>(1, nodes / 2), rng);
      const Tensor zeros = rounded_tensor(DType::Float32, {nodes, features}, rng, 0.0, 0.0);
      const Tensor messages = rounded_tensor(DType::Float32, {edges, features}, rng);
      expect_parity(scatter_node("ScatterElements", "add"), {zeros, expanded_rows(targets, features), messages});
      // Degrees: a scatter-add of ones into [N].
      expect_parity(scatter_node("ScatterElements", "add"),
                    {rounded_tensor(DType::Float32, {nodes}, rng, 0.0, 0.0), targets,
                     rounded_tensor(DType::Float32, {edges}, rng, 1.0, 1.0)});
    }
  }
}

TEST(CudaIndex, ScatterElementsEveryReductionAndDtypeMatchesCpu) {
  GNNRT_SKIP_WITHOUT_GPU();
  std::mt19937 rng(6);
  const DType dtypes[] = {DType::Float32, DType::Float64, DType::Int32, DType::Int64, DType::Bool};
  for (const char* reduction : {"none", "add", "mul", "max", "min"}) {
    for (DType dtype : dtypes) {
      if (dtype == DType::Bool && (std::string(reduction) == "add" || std::string(reduction) == "mul")) continue;
      for (int64_t axis : {0, 1, -1}) {
        SCOPED_TRACE(cat(reduction, " ", dtype_name(dtype), " axis ", axis));
        const Tensor data = rounded_tensor(dtype, {6, 5}, rng);
        const int64_t extent = data.dim(axis < 0 ? axis + 2 : axis);
        // Many duplicates per target: the order of application matters for none, mul and floats.
        Dims shape = axis == 0 ? Dims{40, 4} : Dims{5, 30};
        const Tensor indices = signed_indices(shape, extent, rng);
        const Tensor updates = rounded_tensor(dtype, shape, rng);
        expect_parity(scatter_node("ScatterElements", reduction, axis), {data, indices, updates});
        expect_parity(scatter_node("ScatterElements", reduction, axis),
                      {data, cast_tensor(indices, DType::Int32), updates});
      }
    }
  }
}

TEST(CudaIndex, ScatterElementsNoneKeepsTheLastUpdateInIndexOrder) {
  GNNRT_SKIP_WITHOUT_GPU();
  const Tensor data = cast_tensor(int64_vector({0, 0, 0, 0}), DType::Float32);
  const Tensor indices = int64_vector({2, 0, 2, 2, -4});  // -4 is 0
  const Tensor updates = cast_tensor(int64_vector({1, 2, 3, 4, 5}), DType::Float32);
  const ParityResult result = expect_parity(scatter_node("ScatterElements", "none"), {data, indices, updates});
  ASSERT_EQ(result.cuda_outputs.size(), 1u);
  EXPECT_EQ(values_of(result.cuda_outputs[0]), (std::vector<double>{5, 0, 4, 0}));
  const ParityResult added = expect_parity(scatter_node("ScatterElements", "add"), {data, indices, updates});
  EXPECT_EQ(values_of(added.cuda_outputs[0]), (std::vector<double>{7, 0, 8, 0}));
  // NaN: an update NaN is ignored by max, a data NaN stays (the CPU's comparison semantics).
  Tensor with_nan = cast_tensor(int64_vector({1, 1}), DType::Float32);
  with_nan.data<float>()[1] = std::numeric_limits<float>::quiet_NaN();
  Tensor nan_updates = cast_tensor(int64_vector({0, 7, 3}), DType::Float32);
  nan_updates.data<float>()[0] = std::numeric_limits<float>::quiet_NaN();
  const ParityResult maxed =
      expect_parity(scatter_node("ScatterElements", "max"), {with_nan, int64_vector({0, 0, 1}), nan_updates});
  EXPECT_EQ(maxed.cuda_outputs[0].data<float>()[0], 7.0f);
  EXPECT_TRUE(std::isnan(maxed.cuda_outputs[0].data<float>()[1]));
}

TEST(CudaIndex, ScatterResultsAreBitIdenticalRunToRun) {
  GNNRT_SKIP_WITHOUT_GPU();
  std::mt19937 rng(7);
  const int64_t nodes = 3000, edges = 60000, features = 8;
  const Tensor targets = skewed_indices({edges}, nodes, rng);
  const Tensor data = rounded_tensor(DType::Float32, {nodes, features}, rng);
  const Tensor messages = rounded_tensor(DType::Float32, {edges, features}, rng, -1e3, 1e3);
  const std::vector<Tensor> inputs{data, expanded_rows(targets, features), messages};
  const DirectRun first = run_cuda_only(scatter_node("ScatterElements", "add"), inputs, kSite);
  const DirectRun second = run_cuda_only(scatter_node("ScatterElements", "add"), inputs, kSite);
  ASSERT_EQ(first.outputs[0].nbytes(), second.outputs[0].nbytes());
  EXPECT_EQ(std::memcmp(first.outputs[0].raw(), second.outputs[0].raw(), first.outputs[0].nbytes()), 0);
  expect_parity(scatter_node("ScatterElements", "add"), inputs);  // and equal to the CPU's bits
}

// ---------------------------------------------------------------- ScatterND

TEST(CudaIndex, ScatterNDEveryReductionMatchesCpuWithRepeatedTuples) {
  GNNRT_SKIP_WITHOUT_GPU();
  std::mt19937 rng(8);
  for (const char* reduction : {"none", "add", "mul", "max", "min"}) {
    for (DType dtype : {DType::Float32, DType::Int64}) {
      SCOPED_TRACE(cat(reduction, " ", dtype_name(dtype)));
      const Tensor data = rounded_tensor(dtype, {5, 4, 3}, rng);
      // k = 1: whole [4, 3] slices; repeated rows among 12 tuples.
      expect_parity(scatter_node("ScatterND", reduction),
                    {data, signed_indices({12, 1}, 5, rng), rounded_tensor(dtype, {12, 4, 3}, rng)});
      // k = 2: rows of 3, indices [2, 7, 2].
      Tensor pairs(DType::Int64, {2, 7, 2});
      for (int64_t t = 0; t < 14; ++t) {
        pairs.data<int64_t>()[2 * t] = std::uniform_int_distribution<int64_t>(-5, 4)(rng);
        pairs.data<int64_t>()[2 * t + 1] = std::uniform_int_distribution<int64_t>(0, 3)(rng);
      }
      expect_parity(scatter_node("ScatterND", reduction), {data, pairs, rounded_tensor(dtype, {2, 7, 3}, rng)});
      // k = 3: single elements.
      Tensor triples(DType::Int32, {9, 3});
      for (int64_t t = 0; t < 9; ++t)
        for (int64_t c = 0; c < 3; ++c)
          triples.data<int32_t>()[t * 3 + c] =
              static_cast<int32_t>(std::uniform_int_distribution<int64_t>(0, data.dim(c) - 1)(rng));
      expect_parity(scatter_node("ScatterND", reduction), {data, triples, rounded_tensor(dtype, {9}, rng)});
    }
  }
  expect_parity(scatter_node("ScatterND", "add"), {rounded_tensor(DType::Float32, {4, 2}, rng),
                                                   random_indices({0, 1}, 4, rng), rounded_tensor(DType::Float32, {0, 2}, rng)});
}

// ---------------------------------------------------------------- NonZero

TEST(CudaIndex, NonZeroMatchesCpuForEveryDtypeRankAndCount) {
  GNNRT_SKIP_WITHOUT_GPU();
  std::mt19937 rng(9);
  // GCN's remove_self_loops mask: Not(Equal(src, dst)) over E edges.
  expect_parity(make_node("NonZero", 1), {rounded_tensor(DType::Bool, {10556}, rng)});
  expect_parity(make_node("NonZero", 1), {rounded_tensor(DType::Int64, {3, 4, 5}, rng)});
  expect_parity(make_node("NonZero", 1), {rounded_tensor(DType::Int32, {7, 9}, rng)});
  expect_parity(make_node("NonZero", 1), {rounded_tensor(DType::Float64, {33}, rng)});
  expect_parity(make_node("NonZero", 1), {rounded_tensor(DType::Float32, {4, 0}, rng)});        // empty
  expect_parity(make_node("NonZero", 1), {rounded_tensor(DType::Float32, {6}, rng, 0.0, 0.0)});  // none
  expect_parity(make_node("NonZero", 1), {rounded_tensor(DType::Bool, {}, rng, 1.0, 1.0)});      // a scalar
  // -0 is zero, NaN and inf are not.
  Tensor specials = cast_tensor(int64_vector({0, 0, 0, 1, 0, 0}), DType::Float32);
  specials.data<float>()[1] = -0.0f;
  specials.data<float>()[2] = std::numeric_limits<float>::quiet_NaN();
  specials.data<float>()[5] = -std::numeric_limits<float>::infinity();
  const ParityResult result = expect_parity(make_node("NonZero", 1), {specials});
  ASSERT_EQ(result.cuda_outputs.size(), 1u);
  EXPECT_EQ(values_of(result.cuda_outputs[0]), (std::vector<double>{2, 3, 5}));
  expect_parity(make_node("NonZero", 1), {cast_tensor(rounded_tensor(DType::Int64, {40}, rng), DType::Float16)});
}

// ---------------------------------------------------------------- out-of-range indices

TEST(CudaIndex, OutOfRangeGatherIndicesAreDeviceErrorsNotCrashes) {
  GNNRT_SKIP_WITHOUT_GPU();
  const Tensor x = cast_tensor(int64_vector({1, 2, 3, 4, 5, 6, 7, 8}).reshaped({4, 2}), DType::Float32);
  {
    const DirectRun run = run_cuda_only(make_node("Gather", 2), {x, int64_vector({3, 4, 0})}, kSite);
    expect_index_error(run, 4, 4);
    // Valid rows are copied; the bad one is zero, never read from outside x.
    EXPECT_EQ(values_of(run.outputs[0]), (std::vector<double>{7, 8, 0, 0, 1, 2}));
  }
  {
    const DirectRun run = run_cuda_only(make_node("Gather", 2), {x, cast_tensor(int64_vector({-5}), DType::Int32)}, kSite);
    expect_index_error(run, -5, 4);
  }
  {
    const DirectRun run = run_cuda_only(make_node("Gather", 2), {x, int64_vector({-4, 3})}, kSite);
    EXPECT_EQ(run.record.code, cuda::kNoDeviceError);  // -4 is row 0
    EXPECT_EQ(values_of(run.outputs[0]), (std::vector<double>{1, 2, 7, 8}));
  }
  {
    ir::Node node = make_node("GatherElements", 2);
    set_int(node, "axis", 1);
    const DirectRun run = run_cuda_only(node, {x, int64_vector({0, 2, 1, 1}).reshaped({2, 2})}, kSite);
    expect_index_error(run, 2, 2);
  }
  {
    const DirectRun run = run_cuda_only(make_node("GatherND", 2), {x, int64_vector({1, 0, 9, 1}).reshaped({2, 2})}, kSite);
    expect_index_error(run, 9, 4);
    EXPECT_EQ(values_of(run.outputs[0]), (std::vector<double>{3, 0}));
  }
}

TEST(CudaIndex, OutOfRangeScatterIndicesAreDeviceErrorsAndSkipped) {
  GNNRT_SKIP_WITHOUT_GPU();
  const Tensor zeros = cast_tensor(int64_vector({0, 0, 0, 0}), DType::Float32);
  const Tensor updates = cast_tensor(int64_vector({1, 2, 3}), DType::Float32);
  {
    const DirectRun run =
        run_cuda_only(scatter_node("ScatterElements", "add"), {zeros, int64_vector({1, 9, 1}), updates}, kSite);
    expect_index_error(run, 9, 4);
    EXPECT_EQ(values_of(run.outputs[0]), (std::vector<double>{0, 4, 0, 0}));  // the bad update is dropped
  }
  {
    const DirectRun run =
        run_cuda_only(scatter_node("ScatterElements", "none"), {zeros, int64_vector({-5, 2, 3}), updates}, kSite);
    expect_index_error(run, -5, 4);
    EXPECT_EQ(values_of(run.outputs[0]), (std::vector<double>{0, 0, 2, 3}));
  }
  {
    const Tensor matrix = cast_tensor(int64_vector({0, 0, 0, 0, 0, 0}).reshaped({3, 2}), DType::Float32);
    const Tensor rows = int64_vector({2, 3}).reshaped({2, 1});
    const Tensor row_updates = cast_tensor(int64_vector({1, 2, 3, 4}).reshaped({2, 2}), DType::Float32);
    const DirectRun run = run_cuda_only(scatter_node("ScatterND", "add"), {matrix, rows, row_updates}, kSite);
    expect_index_error(run, 3, 3);
    EXPECT_EQ(values_of(run.outputs[0]), (std::vector<double>{0, 0, 0, 0, 1, 2}));
  }
}

// ---------------------------------------------------------------- supports

TEST(CudaIndex, SupportsDeclinesWhatTheKernelsDoNotHandle) {
  GNNRT_SKIP_WITHOUT_GPU();
  const cuda::CudaKernelRegistry& registry = cuda::cuda_kernel_registry();
  EXPECT_TRUE(registry.supports(make_node("Gather", 2), {DType::Float16, DType::Int32}));
  EXPECT_FALSE(registry.supports(make_node("Gather", 2), {DType::Float32, DType::Float32}));
  EXPECT_TRUE(registry.supports(scatter_node("ScatterElements", "max"), {DType::Bool, DType::Int64, DType::Bool}));
  EXPECT_FALSE(registry.supports(scatter_node("ScatterElements", "add"), {DType::Bool, DType::Int64, DType::Bool}));
  EXPECT_FALSE(registry.supports(scatter_node("ScatterElements", "add"), {DType::Float16, DType::Int64, DType::Float16}));
  EXPECT_FALSE(registry.supports(scatter_node("ScatterElements", "mean"), {DType::Float32, DType::Int64, DType::Float32}));
  EXPECT_FALSE(registry.supports(scatter_node("ScatterND", "add"), {DType::Float32, DType::Int64, DType::Float64}));
  EXPECT_TRUE(registry.supports(scatter_node("ScatterND", "min"), {DType::Int32, DType::Int32, DType::Int32}));
  EXPECT_TRUE(registry.supports(make_node("NonZero", 1), {DType::BFloat16}));
}

}  // namespace
}  // namespace gnnrt::testing

#endif  // GNNRT_WITH_CUDA
