// CPU-vs-CUDA parity of the data-movement ops (backends/cuda/movement_ops.cpp): the zero-copy
// views (Reshape, Flatten, Squeeze, Unsqueeze, Identity, Dropout) share the input's device
// storage; Concat, Split, Slice (any steps), Transpose, Expand, Tile, Pad (constant, edge,
// reflect), ConstantOfShape and Range match the CPU exactly, on random shapes that include empty
// dims, single elements, negative axes and several dtypes. Without a GPU every test skips.
#ifdef GNNRT_WITH_CUDA

#include <gtest/gtest.h>

#include <algorithm>
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

constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
constexpr int64_t kMin = std::numeric_limits<int64_t>::min();

// Copies are exact: any difference is a bug, not rounding.
constexpr ParityTolerance kExact{0.0, 0.0};

// Random multiples of 1/8 in [low, high] cast to `dtype` (bool: whether the value is > 0).
Tensor eighths_tensor(DType dtype, Dims shape, std::mt19937& rng, double low = -50.0, double high = 50.0) {
  Tensor values(DType::Float64, std::move(shape));
  std::uniform_real_distribution<double> dist(low, high);
  for (int64_t i = 0; i < values.numel(); ++i) values.data<double>()[i] = std::round(dist(rng) * 8.0) / 8.0;
  if (dtype == DType::Bool) {
    for (int64_t i = 0; i < values.numel(); ++i) values.data<double>()[i] = values.data<double>()[i] > 0 ? 1.0 : 0.0;
  }
  return cast_tensor(values, dtype);
}

Tensor int_vector(const std::vector<int64_t>& values, DType dtype = DType::Int64) {
  return cast_tensor(int64_vector(values), dtype);
}

Tensor scalar_of(DType dtype, double value) {
  Tensor t(DType::Float64, {});
  t.data<double>()[0] = value;
  return cast_tensor(t, dtype);
}

ParityResult expect_parity(const ir::Node& node, const std::vector<Tensor>& inputs,
                           ParityTolerance tolerance = kExact) {
  return expect_cuda_parity(node, inputs, tolerance);
}

// ---------------------------------------------------------------- views

TEST(CudaMovement, ViewOpsMatchCpuAndShareTheInputsDeviceStorage) {
  GNNRT_SKIP_WITHOUT_GPU();
  std::mt19937 rng(1);
  const Tensor x = eighths_tensor(DType::Float32, {2, 3, 1, 4}, rng);
  struct Case {
    std::string op;
    std::vector<Tensor> extra;
    int64_t axis_attribute;  // Flatten's axis; ignored elsewhere
    Dims expected;
  };
  const std::vector<Case> cases = {
      {"Reshape", {int_vector({-1, 4})}, 0, {6, 4}},
      {"Reshape", {int_vector({0, 0, -1}, DType::Int32)}, 0, {2, 3, 4}},  // 0 copies the input dim
      {"Flatten", {}, -2, {6, 4}},
      {"Flatten", {}, 0, {1, 24}},
      {"Squeeze", {int_vector({-2})}, 0, {2, 3, 4}},
      {"Squeeze", {}, 0, {2, 3, 4}},
      {"Unsqueeze", {int_vector({0, -1})}, 0, {1, 2, 3, 1, 4, 1}},
      {"Identity", {}, 0, {2, 3, 1, 4}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.op + " -> " + shape_to_string(c.expected));
    ir::Node node = make_node(c.op, 1 + c.extra.size());
    if (c.op == "Flatten") set_int(node, "axis", c.axis_attribute);
    std::vector<Tensor> inputs{x};
    inputs.insert(inputs.end(), c.extra.begin(), c.extra.end());
    expect_parity(node, inputs);
    const DirectRun run = run_cuda_only(node, inputs);
    ASSERT_EQ(run.device_outputs.size(), 1u);
    EXPECT_EQ(run.device_outputs[0].shape(), c.expected);
    EXPECT_EQ(run.device_outputs[0].raw(), run.device_inputs[0].raw()) << "not a view";
    EXPECT_FALSE(run.device_outputs[0].on_host());
    ASSERT_EQ(run.outputs[0].numel(), x.numel());
    EXPECT_EQ(std::memcmp(run.outputs[0].raw(), x.raw(), x.nbytes()), 0);
  }
  // An empty tensor reshapes too.
  expect_parity(make_node("Reshape", 2), {eighths_tensor(DType::Int64, {0, 5}, rng), int_vector({5, 0, -1})});
}

TEST(CudaMovement, DropoutIsAViewAndItsMaskIsAllTrue) {
  GNNRT_SKIP_WITHOUT_GPU();
  std::mt19937 rng(2);
  const Tensor x = eighths_tensor(DType::Float32, {7, 3}, rng);
  ir::Node node = make_node("Dropout", 1, 2);
  const ParityResult parity = expect_parity(node, {x});
  ASSERT_EQ(parity.cuda_outputs.size(), 2u);
  const Tensor& mask = parity.cuda_outputs[1];
  ASSERT_EQ(mask.dtype(), DType::Bool);
  for (int64_t i = 0; i < mask.numel(); ++i) EXPECT_TRUE(mask.data<bool>()[i]) << i;
  const DirectRun run = run_cuda_only(make_node("Dropout", 1), {x});
  ASSERT_EQ(run.device_outputs.size(), 1u);
  EXPECT_EQ(run.device_outputs[0].raw(), run.device_inputs[0].raw());
  // training_mode = false as an explicit input is fine; true is the user's error on both backends.
  expect_parity(make_node("Dropout", 3), {x, scalar_of(DType::Float32, 0.5), scalar_of(DType::Bool, 0)});
  EXPECT_THROW(run_cuda_only(make_node("Dropout", 3), {x, scalar_of(DType::Float32, 0.5), scalar_of(DType::Bool, 1)}),
               Error);
}

// ---------------------------------------------------------------- Concat and Split

TEST(CudaMovement, ConcatMatchesCpuOnRandomShapesAndAxes) {
  GNNRT_SKIP_WITHOUT_GPU();
  std::mt19937 rng(3);
  std::uniform_int_distribution<int> rank_dist(1, 4), dim_dist(0, 5), parts_dist(1, 4);
  const DType dtypes[] = {DType::Float32, DType::Int64, DType::Bool, DType::Float16, DType::Int32};
  for (int trial = 0; trial < 40; ++trial) {
    const int rank = rank_dist(rng);
    Dims shape;
    for (int d = 0; d < rank; ++d) shape.push_back(dim_dist(rng) + (trial % 3 == 0 ? 0 : 1));
    const int64_t axis = std::uniform_int_distribution<int64_t>(-rank, rank - 1)(rng);
    const size_t a = static_cast<size_t>(axis < 0 ? axis + rank : axis);
    const DType dtype = dtypes[trial % 5];
    const int parts = parts_dist(rng);
    std::vector<Tensor> inputs;
    for (int p = 0; p < parts; ++p) {
      Dims part = shape;
      part[a] = dim_dist(rng);  // 0 sometimes: an empty part
      inputs.push_back(eighths_tensor(dtype, part, rng));
    }
    SCOPED_TRACE(cat("trial ", trial, " ", inputs[0].describe(), " axis ", axis));
    ir::Node node = make_node("Concat", inputs.size());
    set_int(node, "axis", axis);
    expect_parity(node, inputs);
  }
}

TEST(CudaMovement, ConcatOfEdgeIndexWithSelfLoopsAndLegacyEmptyInputs) {
  GNNRT_SKIP_WITHOUT_GPU();
  std::mt19937 rng(4);
  // GCN's add_self_loops: [2, E] edge_index with a [2, N] loop index along axis 1.
  ir::Node node = make_node("Concat", 2);
  set_int(node, "axis", -1);
  expect_parity(node, {random_indices({2, 1000}, 50, rng), random_indices({2, 50}, 50, rng)});
  expect_parity(node, {random_indices({2, 0}, 50, rng), random_indices({2, 1}, 1, rng)});  // 0 edges, 1 node
  // torch.cat's legacy empty [0] beside tensors of another rank adds nothing.
  ir::Node legacy = make_node("Concat", 3);
  set_int(legacy, "axis", 0);
  expect_parity(legacy, {eighths_tensor(DType::Float32, {0}, rng), eighths_tensor(DType::Float32, {3, 2}, rng),
                         eighths_tensor(DType::Float32, {1, 2}, rng)});
}

TEST(CudaMovement, SplitMatchesCpuWithSizesEvenAndNumOutputs) {
  GNNRT_SKIP_WITHOUT_GPU();
  std::mt19937 rng(5);
  const Tensor x = eighths_tensor(DType::Float32, {4, 7, 3}, rng);
  ir::Node sized = make_node("Split", 2, 3);
  set_int(sized, "axis", -2);
  expect_parity(sized, {x, int_vector({2, 0, 5})});
  ir::Node even = make_node("Split", 1, 2);
  expect_parity(even, {x});  // axis 0 into 2 x 2
  ir::Node chunks = make_node("Split", 1, 3);
  set_int(chunks, "axis", 1);
  set_int(chunks, "num_outputs", 3);  // 3, 3, 1
  expect_parity(chunks, {eighths_tensor(DType::Int64, {2, 7}, rng)});
  ir::Node empty = make_node("Split", 1, 2);
  set_int(empty, "axis", 1);
  expect_parity(empty, {eighths_tensor(DType::Bool, {0, 4}, rng)});
}

// ---------------------------------------------------------------- Slice, Transpose, Expand, Tile

TEST(CudaMovement, SliceMatchesCpuForAnyStepsAndBounds) {
  GNNRT_SKIP_WITHOUT_GPU();
  std::mt19937 rng(6);
  std::uniform_int_distribution<int> rank_dist(1, 4), dim_dist(0, 7);
  std::uniform_int_distribution<int64_t> bound_dist(-9, 9), step_dist(-3, 3);
  for (int trial = 0; trial < 80; ++trial) {
    const int rank = rank_dist(rng);
    Dims shape;
    for (int d = 0; d < rank; ++d) shape.push_back(dim_dist(rng) + (trial % 4 == 0 ? 0 : 1));
    const Tensor x = eighths_tensor(trial % 2 ? DType::Float32 : DType::Int64, shape, rng);
    std::vector<int64_t> starts, ends, axes, steps;
    std::vector<int64_t> candidates;
    for (int d = 0; d < rank; ++d) candidates.push_back(d);
    std::shuffle(candidates.begin(), candidates.end(), rng);
    const int sliced = std::uniform_int_distribution<int>(1, rank)(rng);
    for (int i = 0; i < sliced; ++i) {
      int64_t step = step_dist(rng);
      if (step == 0) step = 1;
      int64_t start = bound_dist(rng), end = bound_dist(rng);
      if (trial % 5 == 0) end = step > 0 ? kMax : kMin;  // torch's "to the end"
      starts.push_back(start);
      ends.push_back(end);
      steps.push_back(step);
      axes.push_back(candidates[static_cast<size_t>(i)] - (trial % 3 == 0 ? rank : 0));  // negative axes too
    }
    SCOPED_TRACE(cat("trial ", trial, " ", x.describe(), " starts ", shape_to_string(starts), " ends ",
                     shape_to_string(ends), " axes ", shape_to_string(axes), " steps ", shape_to_string(steps)));
    expect_parity(make_node("Slice", 5), {x, int_vector(starts), int_vector(ends), int_vector(axes), int_vector(steps)});
  }
  // Without axes and steps; int32 parameters; a full slice.
  const Tensor x = eighths_tensor(DType::Float32, {5, 6}, rng);
  expect_parity(make_node("Slice", 3), {x, int_vector({1, 2}, DType::Int32), int_vector({4, -1}, DType::Int32)});
  expect_parity(make_node("Slice", 3), {x, int_vector({0}), int_vector({kMax})});
}

TEST(CudaMovement, TransposeMatchesCpuForRandomPermutations) {
  GNNRT_SKIP_WITHOUT_GPU();
  std::mt19937 rng(7);
  std::uniform_int_distribution<int> rank_dist(0, 5), dim_dist(1, 5);
  const DType dtypes[] = {DType::Float32, DType::Int64, DType::Bool, DType::Float16, DType::Float64};
  for (int trial = 0; trial < 40; ++trial) {
    const int rank = rank_dist(rng);
    Dims shape;
    for (int d = 0; d < rank; ++d) shape.push_back(trial % 7 == 0 && d == 0 ? 0 : dim_dist(rng));
    std::vector<int64_t> perm;
    for (int d = 0; d < rank; ++d) perm.push_back(d);
    std::shuffle(perm.begin(), perm.end(), rng);
    ir::Node node = make_node("Transpose", 1);
    if (trial % 4 != 0) set_ints(node, "perm", perm);  // else the default: reversed dims
    const Tensor x = eighths_tensor(dtypes[trial % 5], shape, rng);
    SCOPED_TRACE(cat("trial ", trial, " ", x.describe(), " perm ", shape_to_string(perm)));
    expect_parity(node, {x});
  }
  // GAT's heads swap on a larger tensor: [N, H, F] -> [H, N, F].
  ir::Node heads = make_node("Transpose", 1);
  set_ints(heads, "perm", {1, 0, 2});
  expect_parity(heads, {eighths_tensor(DType::Float32, {333, 8, 17}, rng)});
}

TEST(CudaMovement, ExpandMatchesCpuIncludingAddedDimsAndViews) {
  GNNRT_SKIP_WITHOUT_GPU();
  std::mt19937 rng(8);
  struct Case {
    Dims input;
    std::vector<int64_t> shape;
  };
  const std::vector<Case> cases = {
      {{5, 1}, {5, 16}},        // a per-node scalar to the feature width
      {{1, 16}, {300, 16}},     // a bias row
      {{3}, {2, 4, 3}},         // added leading dims
      {{2, 1, 3}, {1, 4, 1}},   // bidirectional: [2, 4, 3]
      {{4, 1}, {1}},            // nothing to do: a view
      {{1}, {0}},               // zero elements
      {{}, {3, 2}},             // a scalar
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(shape_to_string(c.input) + " to " + shape_to_string(c.shape));
    expect_parity(make_node("Expand", 2), {eighths_tensor(DType::Float32, c.input, rng), int_vector(c.shape)});
    expect_parity(make_node("Expand", 2), {eighths_tensor(DType::Int64, c.input, rng), int_vector(c.shape)});
  }
}

TEST(CudaMovement, TileMatchesCpuIncludingZeroRepeats) {
  GNNRT_SKIP_WITHOUT_GPU();
  std::mt19937 rng(9);
  std::uniform_int_distribution<int> rank_dist(0, 4), dim_dist(1, 4), repeat_dist(0, 3);
  for (int trial = 0; trial < 30; ++trial) {
    const int rank = rank_dist(rng);
    Dims shape;
    std::vector<int64_t> repeats;
    for (int d = 0; d < rank; ++d) {
      shape.push_back(dim_dist(rng));
      repeats.push_back(trial % 6 == 0 ? repeat_dist(rng) : repeat_dist(rng) + 1);
    }
    const Tensor x = eighths_tensor(trial % 2 ? DType::Int64 : DType::Float32, shape, rng);
    SCOPED_TRACE(cat("trial ", trial, " ", x.describe(), " repeats ", shape_to_string(repeats)));
    expect_parity(make_node("Tile", 2), {x, int_vector(repeats)});
  }
  // GCN's self-loop index: Range(0, N) unsqueezed to [1, N] and tiled to [2, N].
  expect_parity(make_node("Tile", 2), {random_indices({1, 2708}, 2708, rng), int_vector({2, 1})});
}

// ---------------------------------------------------------------- Pad

TEST(CudaMovement, PadMatchesCpuInEveryModeWithCroppingAndAxes) {
  GNNRT_SKIP_WITHOUT_GPU();
  std::mt19937 rng(10);
  const Tensor x = eighths_tensor(DType::Float32, {3, 4, 5}, rng);
  for (const char* mode : {"constant", "edge", "reflect"}) {
    SCOPED_TRACE(mode);
    ir::Node node = make_node("Pad", 2);
    set_string(node, "mode", mode);
    expect_parity(node, {x, int_vector({1, 0, 2, 2, 3, 1})});
    expect_parity(node, {x, int_vector({0, -1, 1, -1, 2, -2})});  // negative pads crop
    ir::Node with_axes = make_node("Pad", 4);
    with_axes.inputs[2] = "";  // constant_value omitted
    set_string(with_axes, "mode", mode);
    expect_parity(with_axes, {x, int_vector({3, 1}), Tensor(), int_vector({-1})});  // only the last axis
  }
  ir::Node valued = make_node("Pad", 3);
  expect_parity(valued, {x, int_vector({1, 1, 1, 1, 1, 1}), scalar_of(DType::Float32, -7.5f)});
  expect_parity(valued, {eighths_tensor(DType::Int64, {2, 3}, rng), int_vector({0, 2, 1, 0}), scalar_of(DType::Int64, 9)});
  expect_parity(valued, {eighths_tensor(DType::Bool, {2, 3}, rng), int_vector({1, 1, 1, 1}), scalar_of(DType::Bool, 1)});
  expect_parity(make_node("Pad", 2), {eighths_tensor(DType::Float32, {0, 3}, rng), int_vector({1, 0, 1, 0})});
  expect_parity(make_node("Pad", 2), {eighths_tensor(DType::Float32, {2, 3}, rng), int_vector({-1, 0, -1, 0})});
}

// ---------------------------------------------------------------- ConstantOfShape, Range

TEST(CudaMovement, ConstantOfShapeFillsWithTheValueAttribute) {
  GNNRT_SKIP_WITHOUT_GPU();
  expect_parity(make_node("ConstantOfShape", 1), {int_vector({4, 3})});  // float32 zeros
  ir::Node node = make_node("ConstantOfShape", 1);
  set_tensor(node, "value", cast_tensor(int64_vector({7}), DType::Float32));
  const ParityResult filled = expect_parity(node, {int_vector({2708, 16})});
  ASSERT_EQ(filled.cuda_outputs.size(), 1u);
  EXPECT_EQ(filled.cuda_outputs[0].data<float>()[2708 * 16 - 1], 7.0f);
  set_tensor(node, "value", int64_vector({-3}));
  expect_parity(node, {int_vector({5}, DType::Int32)});
  set_tensor(node, "value", cast_tensor(int64_vector({1}), DType::Bool));
  expect_parity(node, {int_vector({2, 2})});
  expect_parity(node, {int_vector({3, 0})});  // empty
  expect_parity(node, {int_vector({})});      // a scalar
}

TEST(CudaMovement, RangeMatchesCpuForEveryDtypeAndDirection) {
  GNNRT_SKIP_WITHOUT_GPU();
  struct Case {
    DType dtype;
    double start, limit, delta;
  };
  const std::vector<Case> cases = {
      {DType::Int64, 0, 2708, 1},   {DType::Int64, 10, -7, -3}, {DType::Int64, 5, 5, 1},
      {DType::Int32, -4, 100, 7},   {DType::Float32, 0.5, 3.25, 0.3}, {DType::Float32, 1.0, -1.0, -0.125},
      {DType::Float64, 0.1, 100.0, 0.7}, {DType::Int64, 3, 0, 1},  // empty
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(cat(dtype_name(c.dtype), " ", c.start, " ", c.limit, " ", c.delta));
    expect_parity(make_node("Range", 3), {scalar_of(c.dtype, c.start), scalar_of(c.dtype, c.limit),
                                          scalar_of(c.dtype, c.delta)});
  }
  // Extreme int64 bounds: start + i * delta must not overflow on the way.
  expect_parity(make_node("Range", 3), {scalar_of(DType::Int64, 0), scalar_of(DType::Int64, 0), scalar_of(DType::Int64, 1)});
  Tensor start(DType::Int64, {}), limit(DType::Int64, {}), delta(DType::Int64, {});
  start.data<int64_t>()[0] = kMin + 1;
  limit.data<int64_t>()[0] = kMax;
  delta.data<int64_t>()[0] = int64_t{1} << 62;
  const ParityResult wide = expect_parity(make_node("Range", 3), {start, limit, delta});
  ASSERT_EQ(wide.cuda_outputs.size(), 1u);
  ASSERT_EQ(wide.cuda_outputs[0].numel(), 4);
  EXPECT_EQ(wide.cuda_outputs[0].data<int64_t>()[3], (int64_t{1} << 62) + 1);  // kMin + 1 + 3 * 2^62
}

// ---------------------------------------------------------------- supports

TEST(CudaMovement, SupportsDeclinesWhatTheKernelsDoNotHandle) {
  GNNRT_SKIP_WITHOUT_GPU();
  const cuda::CudaKernelRegistry& registry = cuda::cuda_kernel_registry();
  EXPECT_TRUE(registry.supports(make_node("Reshape", 2), {DType::Float16, DType::Int64}));
  EXPECT_FALSE(registry.supports(make_node("Reshape", 2), {DType::Float32, DType::Float32}));
  EXPECT_TRUE(registry.supports(make_node("Concat", 2), {DType::Bool, DType::Bool}));
  EXPECT_FALSE(registry.supports(make_node("Concat", 2), {DType::Float32, DType::Int64}));  // the CPU reports it
  EXPECT_TRUE(registry.supports(make_node("Range", 3), {DType::Int32, DType::Int32, DType::Int32}));
  EXPECT_FALSE(registry.supports(make_node("Range", 3), {DType::Int16, DType::Int16, DType::Int16}));
  EXPECT_FALSE(registry.supports(make_node("Range", 3), {DType::Int64, DType::Int32, DType::Int64}));
  ir::Node pad = make_node("Pad", 2);
  set_string(pad, "mode", "wrap");
  EXPECT_FALSE(registry.supports(pad, {DType::Float32, DType::Int64}));
  set_string(pad, "mode", "reflect");
  EXPECT_TRUE(registry.supports(pad, {DType::Float32, DType::Int64}));
  EXPECT_FALSE(registry.supports(make_node("Pad", 3), {DType::Float32, DType::Int64, DType::Float64}));
  EXPECT_FALSE(registry.supports(make_node("Shape", 1), {DType::Float32}));  // the runtime's, on the host
  EXPECT_FALSE(registry.supports(make_node("Size", 1), {DType::Float32}));
}

}  // namespace
}  // namespace gnnrt::testing

#endif  // GNNRT_WITH_CUDA
