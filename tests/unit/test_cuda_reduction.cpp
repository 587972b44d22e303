// CPU-vs-CUDA parity of the reductions and normalisations (backends/cuda/reduction_ops.cpp):
// Reduce* over every kind of axis set (contiguous, split, negative, none, empty with
// noop_with_empty_axes) and size (empty outputs, empty reductions, single elements, long
// reductions that the kernels split into chunks), ArgMax/ArgMin with ties and NaN, Softmax and
// LogSoftmax on the row and strided paths, CumSum, BatchNormalization and LayerNormalization;
// plus run-to-run bit identity and the `supports` contract. Without a GPU every test skips.
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

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();

// `t` with NaN, +-inf and -0 at every 13th element, deterministically.
Tensor with_specials(Tensor t, int64_t every = 13) {
  const double specials[] = {kNaN, kInf, -kInf, -0.0};
  dispatch_float(t.dtype(), "with_specials", [&](auto tag) {
    using T = typename decltype(tag)::type;
    for (int64_t i = 0; i < t.numel(); i += every) t.data<T>()[i] = static_cast<T>(specials[(i / every) % 4]);
  });
  return t;
}

const char* kReduceOps[] = {"ReduceSum", "ReduceMean", "ReduceMax", "ReduceMin", "ReduceProd", "ReduceL2",
                            "ReduceSumSquare"};

// Values for which every reduction stays finite and meaningful: near 1 for products of floats,
// small integers (products wrap identically on both sides anyway).
Tensor reduction_input(DType dtype, const Dims& shape, std::mt19937& rng, const std::string& op) {
  if (op == "ReduceProd")
    return is_floating(dtype) ? random_tensor(dtype, shape, rng, 0.6, 1.5) : random_tensor(dtype, shape, rng, -2, 2);
  return random_tensor(dtype, shape, rng, -100, 100);
}

// ---------------------------------------------------------------- Reduce*

TEST(CudaReduction, ReduceOpsMatchCpuOverEveryAxisSet) {
  GNNRT_SKIP_WITHOUT_GPU();
  std::mt19937 rng(31);
  struct Case {
    Dims shape;
    std::vector<std::vector<int64_t>> axis_sets;  // {} means "no axes input": all axes
  };
  const std::vector<Case> cases = {
      {{6, 5, 4}, {{}, {-1}, {0}, {1}, {0, 2}, {1, 2}, {0, 1, 2}, {2, 0}}},
      {{7, 1, 9}, {{1}, {0, 1}, {-3, -1}}},          // a size-1 dim between
      {{300, 16}, {{0}, {1}, {-2}}},                  // node features: per column / per row
      {{2, 3, 2, 3, 2}, {{0, 2, 4}, {1, 3}}},         // alternating runs of reduced dims
      {{0, 3}, {{0}, {1}, {}}},                      // empty input: identities, or no outputs
      {{3, 0}, {{1}, {0}}},
      {{1}, {{0}, {}}},
      {{}, {{}}},                                     // a scalar
  };
  for (DType dtype : {DType::Float32, DType::Float64, DType::Int32, DType::Int64}) {
    for (const Case& c : cases) {
      for (const auto& axes : c.axis_sets) {
        for (int keepdims : {0, 1}) {
          for (const char* op : kReduceOps) {
            ir::Node node = make_node(op, axes.empty() ? 1 : 2);
            set_int(node, "keepdims", keepdims);
            std::vector<Tensor> inputs{reduction_input(dtype, c.shape, rng, op)};
            if (!axes.empty()) inputs.push_back(int64_vector(axes));
            std::string axes_text;
            for (int64_t a : axes) axes_text += std::to_string(a) + " ";
            SCOPED_TRACE(std::string(op) + " " + std::string(dtype_name(dtype)) + shape_to_string(c.shape) +
                         " axes " + axes_text + "keepdims " + std::to_string(keepdims));
            expect_cuda_parity(node, inputs);
          }
        }
      }
    }
  }
}

TEST(CudaReduction, AxesAttributeAndNoopWithEmptyAxes) {
  GNNRT_SKIP_WITHOUT_GPU();
  std::mt19937 rng(32);
  const Tensor x = random_tensor(DType::Float32, {8, 6}, rng);
  for (const char* op : kReduceOps) {
    SCOPED_TRACE(op);
    ir::Node attribute_form = make_node(op, 1);  // opset < 18: axes as an attribute
    set_ints(attribute_form, "axes", {-1});
    expect_cuda_parity(attribute_form, {x});
    ir::Node noop = make_node(op, 2);  // empty axes with noop_with_empty_axes: nothing folded
    set_int(noop, "noop_with_empty_axes", 1);
    expect_cuda_parity(noop, {x, Tensor(DType::Int64, {0})});
    ir::Node all = make_node(op, 2);  // empty axes without it: everything folded
    expect_cuda_parity(all, {x, Tensor(DType::Int64, {0})});
  }
}

TEST(CudaReduction, NaNAndInfinitiesPropagateLikeTheCpu) {
  GNNRT_SKIP_WITHOUT_GPU();
  std::mt19937 rng(33);
  for (DType dtype : {DType::Float32, DType::Float64}) {
    const Tensor x = with_specials(random_tensor(dtype, {40, 50}, rng), 97);  // some rows and columns clean
    for (const char* op : kReduceOps) {
      for (int64_t axis : {0, 1}) {
        SCOPED_TRACE(std::string(op) + " axis " + std::to_string(axis));
        expect_cuda_parity(make_node(op, 2), {x, int64_vector({axis})});
      }
    }
  }
}

TEST(CudaReduction, LongReductionsSplitIntoChunksMatchCpu) {
  GNNRT_SKIP_WITHOUT_GPU();
  std::mt19937 rng(34);
  struct Case {
    Dims shape;
    std::vector<int64_t> axes;
  };
  const std::vector<Case> cases = {
      {{3, 300000}, {1}},      // few outputs, innermost reduction: warps, chunked
      {{300000, 3}, {0}},      // few outputs, outer reduction: threads, chunked
      {{2, 500000}, {}},       // edge_index max/min (num_nodes), one output
      {{64, 64, 64}, {0, 2}},  // two reduced runs
      {{5000, 40}, {1}},       // many short rows
  };
  for (const Case& c : cases) {
    for (DType dtype : {DType::Float32, DType::Int64}) {
      for (const char* op : {"ReduceSum", "ReduceMean", "ReduceMax", "ReduceMin", "ReduceSumSquare", "ReduceL2"}) {
        SCOPED_TRACE(std::string(op) + " " + std::string(dtype_name(dtype)) + shape_to_string(c.shape));
        ir::Node node = make_node(op, c.axes.empty() ? 1 : 2);
        std::vector<Tensor> inputs{is_floating(dtype) ? random_tensor(dtype, c.shape, rng, -3, 3)
                                                          : random_tensor(dtype, c.shape, rng, 0, 100000)};
        if (!c.axes.empty()) inputs.push_back(int64_vector(c.axes));
        expect_cuda_parity(node, inputs);
      }
    }
  }
  // Integer sums wrap modulo 2^64 identically whatever the split.
  Tensor huge = random_tensor(DType::Int64, {1, 200000}, rng, 0, 1);
  for (int64_t i = 0; i < huge.numel(); ++i) huge.data<int64_t>()[i] = std::numeric_limits<int64_t>::max() - i;
  expect_cuda_parity(make_node("ReduceSum", 1), {huge});
  expect_cuda_parity(make_node("ReduceProd", 1), {huge});
}

// ---------------------------------------------------------------- ArgMax / ArgMin

TEST(CudaReduction, ArgMaxArgMinMatchCpuWithTiesAndNaN) {
  GNNRT_SKIP_WITHOUT_GPU();
  std::mt19937 rng(35);
  struct Case {
    Dims shape;
    int64_t axis;
  };
  const std::vector<Case> cases = {{{50, 37}, 0}, {{50, 37}, 1}, {{50, 37}, -1}, {{4, 3000}, 1}, {{6, 5, 4}, 1},
                                   {{0, 5}, 1},   {{1}, 0},      {{7}, -1}};
  for (DType dtype : {DType::Float32, DType::Float64, DType::Int32, DType::Int64}) {
    for (const Case& c : cases) {
      // Few distinct values, so the first / last index rule decides many lines.
      Tensor x = cast_tensor(random_tensor(DType::Int64, c.shape, rng, -3, 3), dtype);
      if (is_floating(dtype) && x.numel() > 40) x = with_specials(x, 41);
      for (const char* op : {"ArgMax", "ArgMin"}) {
        for (int select_last : {0, 1}) {
          for (int keepdims : {0, 1}) {
            ir::Node node = make_node(op, 1);
            set_int(node, "axis", c.axis);
            set_int(node, "select_last_index", select_last);
            set_int(node, "keepdims", keepdims);
            SCOPED_TRACE(std::string(op) + " " + std::string(dtype_name(dtype)) + shape_to_string(c.shape) +
                         " axis " + std::to_string(c.axis) + " last " + std::to_string(select_last));
            const ParityResult result = expect_cuda_parity(node, {x});
            if (!result.cuda_outputs.empty()) EXPECT_EQ(result.cuda_outputs[0].dtype(), DType::Int64);
          }
        }
      }
    }
  }
  // Hand-checked: the first maximum, the last with select_last_index, NaN wins.
  Tensor row(DType::Float32, {1, 6});
  const float values[] = {1, 5, 2, 5, NAN, 5};
  std::memcpy(row.raw(), values, sizeof(values));
  ir::Node first = make_node("ArgMax", 1);
  set_int(first, "axis", 1);
  const ParityResult nan_result = expect_cuda_parity(first, {row});
  if (!nan_result.cuda_outputs.empty()) EXPECT_EQ(nan_result.cuda_outputs[0].data<int64_t>()[0], 4);
  Tensor clean = cast_tensor(int64_vector({1, 5, 2, 5, 0, 5}).reshaped({1, 6}), DType::Float32);
  const ParityResult first_result = expect_cuda_parity(first, {clean});
  if (!first_result.cuda_outputs.empty()) EXPECT_EQ(first_result.cuda_outputs[0].data<int64_t>()[0], 1);
  set_int(first, "select_last_index", 1);
  const ParityResult last_result = expect_cuda_parity(first, {clean});
  if (!last_result.cuda_outputs.empty()) EXPECT_EQ(last_result.cuda_outputs[0].data<int64_t>()[0], 5);
}

// ---------------------------------------------------------------- Softmax / LogSoftmax

TEST(CudaReduction, SoftmaxAndLogSoftmaxMatchCpuOnEveryPath) {
  GNNRT_SKIP_WITHOUT_GPU();
  std::mt19937 rng(36);
  struct Case {
    Dims shape;
    int64_t axis;
  };
  const std::vector<Case> cases = {
      {{100, 10}, -1},      // classifier output: a warp per row
      {{7, 3000}, 1},       // long rows: a block per row
      {{10, 20, 30}, 1},    // strided
      {{10, 20, 30}, -3},   // strided, negative axis
      {{0, 7}, 1},          // no rows
      {{5, 1}, 1},          // single-element rows
      {{13}, 0},            // one row
  };
  for (DType dtype : {DType::Float32, DType::Float64}) {
    for (const Case& c : cases) {
      Tensor x = random_tensor(dtype, c.shape, rng, -50, 50);
      for (const char* op : {"Softmax", "LogSoftmax"}) {
        ir::Node node = make_node(op, 1);
        set_int(node, "axis", c.axis);
        SCOPED_TRACE(std::string(op) + " " + std::string(dtype_name(dtype)) + shape_to_string(c.shape) + " axis " +
                     std::to_string(c.axis));
        expect_cuda_parity(node, {x});
      }
    }
  }
  // -inf entries (masked attention) and a NaN row.
  Tensor masked = random_tensor(DType::Float32, {6, 40}, rng);
  for (int64_t i = 0; i < 40; i += 3) masked.data<float>()[i] = -INFINITY;
  masked.data<float>()[5 * 40 + 7] = NAN;
  for (const char* op : {"Softmax", "LogSoftmax"}) expect_cuda_parity(make_node(op, 1), {masked});
}

// ---------------------------------------------------------------- CumSum

TEST(CudaReduction, CumSumMatchesCpuForEveryMode) {
  GNNRT_SKIP_WITHOUT_GPU();
  std::mt19937 rng(37);
  struct Case {
    Dims shape;
    int64_t axis;
  };
  const std::vector<Case> cases = {{{5, 6, 7}, 0}, {{5, 6, 7}, 1}, {{5, 6, 7}, -1}, {{1, 100000}, 1},
                                   {{1000, 37}, 0}, {{0, 4}, 1},   {{1}, 0}};
  for (DType dtype : {DType::Float32, DType::Float64, DType::Int32, DType::Int64}) {
    for (const Case& c : cases) {
      const Tensor x = random_tensor(dtype, c.shape, rng, -3, 3);
      for (int exclusive : {0, 1}) {
        for (int reverse : {0, 1}) {
          ir::Node node = make_node("CumSum", 2);
          set_int(node, "exclusive", exclusive);
          set_int(node, "reverse", reverse);
          SCOPED_TRACE(std::string(dtype_name(dtype)) + shape_to_string(c.shape) + " axis " +
                       std::to_string(c.axis) + " exclusive " + std::to_string(exclusive) + " reverse " +
                       std::to_string(reverse));
          const Tensor axis = reverse ? cast_tensor(int64_vector({c.axis}).reshaped({}), DType::Int32)
                                      : int64_vector({c.axis}).reshaped({});
          expect_cuda_parity(node, {x, axis});
        }
      }
    }
  }
}

// ---------------------------------------------------------------- normalisations

TEST(CudaReduction, BatchNormalizationMatchesCpu) {
  GNNRT_SKIP_WITHOUT_GPU();
  std::mt19937 rng(38);
  for (DType dtype : {DType::Float32, DType::Float64}) {
    for (const Dims& shape : {Dims{300, 16}, Dims{4, 3, 5, 6}, Dims{0, 8}, Dims{1, 1}}) {
      const int64_t channels = shape[1];
      ir::Node node = make_node("BatchNormalization", 5);
      set_float(node, "epsilon", 1e-3f);
      SCOPED_TRACE(std::string(dtype_name(dtype)) + shape_to_string(shape));
      expect_cuda_parity(node, {random_tensor(dtype, shape, rng, -5, 5), random_tensor(dtype, {channels}, rng, 0.5, 2),
                           random_tensor(dtype, {channels}, rng, -1, 1), random_tensor(dtype, {channels}, rng, -1, 1),
                           random_tensor(dtype, {channels}, rng, 0.1, 3)});
    }
  }
}

TEST(CudaReduction, LayerNormalizationMatchesCpuWithOptionalInputsAndOutputs) {
  GNNRT_SKIP_WITHOUT_GPU();
  std::mt19937 rng(39);
  struct Case {
    Dims shape;
    int64_t axis;
    Dims scale_shape;  // broadcast to X.shape[axis:]
    bool bias;
  };
  const std::vector<Case> cases = {
      {{300, 16}, -1, {16}, true},
      {{4, 6, 8}, 1, {6, 8}, true},
      {{4, 6, 8}, -2, {8}, false},  // scale broadcast along the first normalised dim
      {{9, 3000}, 1, {3000}, true},  // long rows: a block per row
      {{5, 16}, 1, {1}, true},       // a single scale value
      {{0, 16}, 1, {16}, true},      // no rows
      {{4, 0}, 1, {0}, false},       // empty rows: mean 0, inv_std 1/sqrt(epsilon)
  };
  for (DType dtype : {DType::Float32, DType::Float64}) {
    for (const Case& c : cases) {
      for (size_t outputs : {1, 3}) {
        for (int64_t stash : {1, 11}) {  // float32, float64
          ir::Node node = make_node("LayerNormalization", c.bias ? 3 : 2, outputs);
          set_int(node, "axis", c.axis);
          set_float(node, "epsilon", 1e-4f);
          set_int(node, "stash_type", stash);
          std::vector<Tensor> inputs{random_tensor(dtype, c.shape, rng, -4, 4),
                                     random_tensor(dtype, c.scale_shape, rng, 0.5, 2)};
          if (c.bias) inputs.push_back(random_tensor(dtype, c.scale_shape, rng, -1, 1));
          SCOPED_TRACE(std::string(dtype_name(dtype)) + shape_to_string(c.shape) + " axis " +
                       std::to_string(c.axis) + " outputs " + std::to_string(outputs) + " stash " +
                       std::to_string(stash));
          expect_cuda_parity(node, inputs);
        }
      }
    }
  }
}

// ---------------------------------------------------------------- determinism, errors, supports

bool same_bytes(const Tensor& a, const Tensor& b) {
  return a.nbytes() == b.nbytes() && std::memcmp(a.raw(), b.raw(), a.nbytes()) == 0;
}

TEST(CudaReduction, ResultsAreBitIdenticalRunToRun) {
  GNNRT_SKIP_WITHOUT_GPU();
  std::mt19937 rng(40);
  const Tensor wide = random_tensor(DType::Float32, {3, 300000}, rng);
  const Tensor tall = random_tensor(DType::Float32, {300000, 3}, rng);
  const std::vector<std::pair<ir::Node, std::vector<Tensor>>> runs = {
      {make_node("ReduceSum", 2), {wide, int64_vector({1})}},
      {make_node("ReduceMean", 2), {tall, int64_vector({0})}},
      {make_node("Softmax", 1), {random_tensor(DType::Float32, {7, 3000}, rng)}},
      {make_node("CumSum", 2), {random_tensor(DType::Float32, {1, 100000}, rng), int64_vector({1}).reshaped({})}},
      {make_node("LayerNormalization", 2), {random_tensor(DType::Float32, {9, 3000}, rng),
                                            random_tensor(DType::Float32, {3000}, rng)}},
  };
  for (const auto& [node, inputs] : runs) {
    SCOPED_TRACE(node.op_type);
    const std::vector<Tensor> first = run_cuda_only(node, inputs).outputs;
    const std::vector<Tensor> second = run_cuda_only(node, inputs).outputs;
    ASSERT_EQ(first.size(), second.size());
    for (size_t i = 0; i < first.size(); ++i) EXPECT_TRUE(same_bytes(first[i], second[i])) << "output " << i;
  }
}

TEST(CudaReduction, UserErrorsAreReportedLikeTheCpu) {
  GNNRT_SKIP_WITHOUT_GPU();
  std::mt19937 rng(41);
  ir::Node argmax = make_node("ArgMax", 1);
  set_int(argmax, "axis", 1);
  EXPECT_THROW(run_cuda_only(argmax, {random_tensor(DType::Float32, {3, 0}, rng)}), Error);  // empty axis
  EXPECT_THROW(run_cuda_only(make_node("ReduceSum", 2), {random_tensor(DType::Float32, {3, 4}, rng),
                                                         int64_vector({1, -1})}),
               Error);  // axis twice
  EXPECT_THROW(run_cuda_only(make_node("ReduceSum", 2), {random_tensor(DType::Float32, {3, 4}, rng),
                                                         int64_vector({2})}),
               Error);  // axis out of range
  EXPECT_THROW(run_cuda_only(make_node("BatchNormalization", 5),
                             {random_tensor(DType::Float32, {4, 3}, rng), random_tensor(DType::Float32, {2}, rng),
                              random_tensor(DType::Float32, {3}, rng), random_tensor(DType::Float32, {3}, rng),
                              random_tensor(DType::Float32, {3}, rng)}),
               Error);  // scale of the wrong length
}

TEST(CudaReduction, SupportsDeclinesWhatTheKernelsDoNotHandle) {
  GNNRT_SKIP_WITHOUT_GPU();
  const cuda::CudaKernelRegistry& registry = cuda::cuda_kernel_registry();
  EXPECT_TRUE(registry.supports(make_node("ReduceSum", 2), {DType::Float32, DType::Int64}));
  EXPECT_FALSE(registry.supports(make_node("ReduceSum", 1), {DType::Int8}));
  EXPECT_FALSE(registry.supports(make_node("ReduceMax", 2), {DType::Float32, DType::Float32}));  // float axes
  EXPECT_FALSE(registry.supports(make_node("Softmax", 1), {DType::Int64}));
  EXPECT_TRUE(registry.supports(make_node("ArgMax", 1), {DType::Int32}));
  EXPECT_FALSE(registry.supports(make_node("CumSum", 2), {DType::Float32, DType::Float32}));
  ir::Node training = make_node("BatchNormalization", 5);
  set_int(training, "training_mode", 1);
  EXPECT_FALSE(registry.supports(training, std::vector<DType>(5, DType::Float32)));
  EXPECT_TRUE(registry.supports(make_node("BatchNormalization", 5), std::vector<DType>(5, DType::Float32)));
  ir::Node half_stash = make_node("LayerNormalization", 2);
  set_int(half_stash, "stash_type", 10);
  EXPECT_FALSE(registry.supports(half_stash, {DType::Float32, DType::Float32}));
  EXPECT_FALSE(registry.supports(make_node("LayerNormalization", 2), {DType::Float32, DType::Float64}));
}

}  // namespace
}  // namespace gnnrt::testing

#endif  // GNNRT_WITH_CUDA
