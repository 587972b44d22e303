// CPU-vs-CUDA parity of the element-wise ops (backends/cuda/elementwise_ops.cpp): every op on
// random sizes including empty tensors, single elements, scalar / row / column broadcasts and
// non-contiguous broadcasts up to rank 5, special values (NaN, inf, -0) and every instantiated
// dtype; plus the device error for integer division by zero and the `supports` contract.
// Without a GPU every test skips.
#ifdef GNNRT_WITH_CUDA

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "backends/cpu/broadcast.h"
#include "backends/cuda/cuda_check.h"
#include "backends/cuda/cuda_kernels.h"
#include "backends/cuda/device_memory.h"
#include "core/dispatch.h"
#include "cuda_parity_harness.h"

namespace gnnrt::testing {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();

// Whole-number floats in [low, high], so that comparisons see ties.
Tensor small_whole_numbers(DType dtype, Dims shape, std::mt19937& rng, int low = -2, int high = 2) {
  Tensor ints = random_tensor(DType::Int64, std::move(shape), rng, low, high);
  return cast_tensor(ints, dtype);
}

// `t` with some elements replaced by special values (NaN, +-inf, -0), deterministically.
Tensor with_specials(Tensor t) {
  const double specials[] = {kNaN, kInf, -kInf, -0.0, 0.0};
  dispatch_float(t.dtype(), "with_specials", [&](auto tag) {
    using T = typename decltype(tag)::type;
    for (int64_t i = 0; i < t.numel(); i += 7) t.data<T>()[i] = static_cast<T>(specials[(i / 7) % 5]);
  });
  return t;
}

// Random values in [-20, 20], with special values when the dtype is a float type.
Tensor with_specials_if_float(DType dtype, std::mt19937& rng, const Dims& shape) {
  Tensor t = random_tensor(dtype, shape, rng, -20, 20);
  return is_floating(dtype) ? with_specials(t) : t;
}

Tensor to_float_tensor(const std::vector<float>& values) {
  Tensor t(DType::Float32, {static_cast<int64_t>(values.size())});
  std::memcpy(t.raw(), values.data(), values.size() * sizeof(float));
  return t;
}

// Nonzero integers in [low, high] (divisors).
Tensor nonzero_integers(DType dtype, Dims shape, std::mt19937& rng, int low = -5, int high = 5) {
  Tensor t = random_tensor(DType::Int64, std::move(shape), rng, low, high);
  for (int64_t i = 0; i < t.numel(); ++i)
    if (t.data<int64_t>()[i] == 0) t.data<int64_t>()[i] = (i % 2) ? 3 : -2;
  return cast_tensor(t, dtype);
}

// Input shape pairs covering every indexing path: same shape (flat), scalar (flat), row and column
// vectors (rank 2), non-contiguous broadcasts (rank 3 and 5), empty and single-element tensors.
const std::vector<std::pair<Dims, Dims>>& broadcast_cases() {
  static const std::vector<std::pair<Dims, Dims>> cases = {
      {{37, 19}, {37, 19}},        // same shape
      {{1000}, {}},                // tensor with a scalar
      {{}, {513}},                 // scalar with a tensor
      {{300, 16}, {16}},           // row vector (bias)
      {{300, 16}, {300, 1}},       // column vector (degree normalisation)
      {{1, 16}, {300, 1}},         // outer product
      {{4, 1, 5}, {3, 1}},         // non-contiguous, rank 3
      {{2, 1, 3, 1, 2}, {4, 1, 5, 1}},  // alternating broadcasts, rank 5
      {{0, 16}, {16}},             // zero rows
      {{5, 0}, {1}},               // zero columns
      {{1}, {1}},                  // single element
      {{1, 1, 7}, {7}},            // leading 1s
  };
  return cases;
}

std::string shapes_text(const std::pair<Dims, Dims>& shapes) {
  return shape_to_string(shapes.first) + " with " + shape_to_string(shapes.second);
}

// ---------------------------------------------------------------- binary arithmetic

TEST(CudaElementwise, ArithmeticMatchesCpuForEveryDtypeAndBroadcast) {
  GNNRT_SKIP_WITHOUT_GPU();
  std::mt19937 rng(11);
  for (DType dtype : {DType::Float32, DType::Float64, DType::Int32, DType::Int64}) {
    for (const auto& shapes : broadcast_cases()) {
      for (const char* op : {"Add", "Sub", "Mul", "Max", "Min", "PRelu"}) {
        if (std::string(op) == "PRelu" &&
            cpu::broadcast_shapes({shapes.first, shapes.second}, "") != shapes.first)
          continue;  // the slope must not change X's shape
        SCOPED_TRACE(std::string(op) + " " + std::string(dtype_name(dtype)) + " " + shapes_text(shapes));
        expect_cuda_parity(make_node(op, 2), {random_tensor(dtype, shapes.first, rng, -50, 50),
                                         random_tensor(dtype, shapes.second, rng, -50, 50)});
      }
    }
  }
}

TEST(CudaElementwise, DivAndModMatchCpuIncludingNegativeOperands) {
  GNNRT_SKIP_WITHOUT_GPU();
  std::mt19937 rng(12);
  for (DType dtype : {DType::Float32, DType::Float64, DType::Int32, DType::Int64}) {
    for (const auto& shapes : broadcast_cases()) {
      SCOPED_TRACE(std::string(dtype_name(dtype)) + " " + shapes_text(shapes));
      const Tensor dividend = random_tensor(dtype, shapes.first, rng, -40, 40);
      const Tensor divisor = is_floating(dtype) ? random_tensor(dtype, shapes.second, rng, -5, 5)
                                                : nonzero_integers(dtype, shapes.second, rng);
      expect_cuda_parity(make_node("Div", 2), {dividend, divisor});
      expect_cuda_parity(make_node("Mod", 2), {dividend, divisor});  // fmod defaults to 0
      for (int fmod : {0, 1}) {
        ir::Node node = make_node("Mod", 2);
        set_int(node, "fmod", fmod);
        expect_cuda_parity(node, {dividend, divisor});
      }
    }
  }
}

TEST(CudaElementwise, IntegerEdgeCasesWrapAsOnTheCpu) {
  GNNRT_SKIP_WITHOUT_GPU();
  Tensor a = int64_vector({std::numeric_limits<int64_t>::min(), std::numeric_limits<int64_t>::max(), -7, 7, -7, 0});
  Tensor b = int64_vector({-1, 2, 2, -2, -7, 5});
  for (const char* op : {"Add", "Sub", "Mul", "Div", "Mod"}) {
    SCOPED_TRACE(op);
    expect_cuda_parity(make_node(op, 2), {a, b});
  }
  ir::Node fmod = make_node("Mod", 2);
  set_int(fmod, "fmod", 1);
  expect_cuda_parity(fmod, {a, b});
  // int32: INT_MIN / -1 and wrap-around
  Tensor a32 = cast_tensor(int64_vector({std::numeric_limits<int32_t>::min(), 2147483647, -9, 9}), DType::Int32);
  Tensor b32 = cast_tensor(int64_vector({-1, 2, 4, -4}), DType::Int32);
  for (const char* op : {"Add", "Mul", "Div", "Mod", "Neg", "Abs"}) {
    SCOPED_TRACE(op);
    const bool unary = std::string(op) == "Neg" || std::string(op) == "Abs";
    if (unary) expect_cuda_parity(make_node(op, 1), {a32});
    else expect_cuda_parity(make_node(op, 2), {a32, b32});
  }
}

TEST(CudaElementwise, MaxMinPropagateNaNLikeTheCpu) {
  GNNRT_SKIP_WITHOUT_GPU();
  std::mt19937 rng(13);
  for (DType dtype : {DType::Float32, DType::Float64}) {
    const Tensor a = with_specials(random_tensor(dtype, {64, 9}, rng));
    const Tensor b = with_specials(random_tensor(dtype, {9}, rng));
    for (const char* op : {"Max", "Min", "Add", "Mul", "Div", "PRelu"}) {
      SCOPED_TRACE(std::string(op) + " " + std::string(dtype_name(dtype)));
      expect_cuda_parity(make_node(op, 2), {a, b});
    }
  }
}

TEST(CudaElementwise, PowMatchesCpuForMixedBaseAndExponentDtypes) {
  GNNRT_SKIP_WITHOUT_GPU();
  std::mt19937 rng(14);
  for (DType base_dtype : {DType::Float32, DType::Float64, DType::Int32, DType::Int64}) {
    for (DType exponent_dtype : {DType::Float32, DType::Float64, DType::Int32, DType::Int64}) {
      SCOPED_TRACE(std::string(dtype_name(base_dtype)) + " ^ " + std::string(dtype_name(exponent_dtype)));
      // Positive float bases keep fractional exponents real; integer bases stay small.
      const Tensor base = is_floating(base_dtype) ? random_tensor(base_dtype, {50, 8}, rng, 0.1, 4.0)
                                                  : random_tensor(base_dtype, {50, 8}, rng, -4, 4);
      const Tensor exponent = is_floating(exponent_dtype) ? random_tensor(exponent_dtype, {8}, rng, -2.5, 2.5)
                                                          : random_tensor(exponent_dtype, {8}, rng, -3, 5);
      expect_cuda_parity(make_node("Pow", 2), {base, exponent});
    }
  }
  // GCN's degree normalisation: deg^-0.5 with zero degrees giving inf.
  Tensor degrees = small_whole_numbers(DType::Float32, {100, 1}, rng, 0, 9);
  expect_cuda_parity(make_node("Pow", 2), {degrees, float_scalar(-0.5f)});
}

// ---------------------------------------------------------------- comparisons and logic

TEST(CudaElementwise, ComparisonsMatchCpuWithTies) {
  GNNRT_SKIP_WITHOUT_GPU();
  std::mt19937 rng(15);
  for (DType dtype : {DType::Float32, DType::Float64, DType::Int32, DType::Int64}) {
    for (const auto& shapes : broadcast_cases()) {
      const Tensor a = small_whole_numbers(dtype, shapes.first, rng);
      const Tensor b = small_whole_numbers(dtype, shapes.second, rng);
      for (const char* op : {"Equal", "Less", "LessOrEqual", "Greater", "GreaterOrEqual"}) {
        SCOPED_TRACE(std::string(op) + " " + std::string(dtype_name(dtype)) + " " + shapes_text(shapes));
        const ParityResult result = expect_cuda_parity(make_node(op, 2), {a, b});
        if (!result.cuda_outputs.empty()) EXPECT_EQ(result.cuda_outputs[0].dtype(), DType::Bool);
      }
    }
  }
  // NaN compares false (and unequal to itself).
  const Tensor nans = with_specials(random_tensor(DType::Float32, {40}, rng));
  for (const char* op : {"Equal", "Less", "GreaterOrEqual"}) expect_cuda_parity(make_node(op, 2), {nans, nans});
}

TEST(CudaElementwise, LogicalOpsAndBoolEqualMatchCpu) {
  GNNRT_SKIP_WITHOUT_GPU();
  std::mt19937 rng(16);
  for (const auto& shapes : broadcast_cases()) {
    const Tensor a = random_tensor(DType::Bool, shapes.first, rng);
    const Tensor b = random_tensor(DType::Bool, shapes.second, rng);
    for (const char* op : {"And", "Or", "Xor", "Equal"}) {
      SCOPED_TRACE(std::string(op) + " " + shapes_text(shapes));
      expect_cuda_parity(make_node(op, 2), {a, b});
    }
  }
  expect_cuda_parity(make_node("Not", 1), {random_tensor(DType::Bool, {3, 77}, rng)});
  expect_cuda_parity(make_node("Not", 1), {random_tensor(DType::Bool, {0, 4}, rng)});
}

// ---------------------------------------------------------------- variadic

TEST(CudaElementwise, VariadicOpsFoldOneToFourInputsWithBroadcasting) {
  GNNRT_SKIP_WITHOUT_GPU();
  std::mt19937 rng(17);
  const std::vector<Dims> shapes = {{6, 1, 4}, {5, 1}, {4}, {1, 5, 4}};
  for (DType dtype : {DType::Float32, DType::Float64, DType::Int32, DType::Int64}) {
    for (size_t count = 1; count <= shapes.size(); ++count) {
      std::vector<Tensor> inputs;
      for (size_t k = 0; k < count; ++k) inputs.push_back(with_specials_if_float(dtype, rng, shapes[k]));
      for (const char* op : {"Sum", "Max", "Min", "Mean"}) {
        if (std::string(op) == "Mean" && !is_floating(dtype)) continue;
        SCOPED_TRACE(std::string(op) + " of " + std::to_string(count) + " " + std::string(dtype_name(dtype)));
        expect_cuda_parity(make_node(op, count), inputs);
      }
    }
  }
}

// ---------------------------------------------------------------- unary

TEST(CudaElementwise, UnaryFloatOpsMatchCpuIncludingSpecialValues) {
  GNNRT_SKIP_WITHOUT_GPU();
  std::mt19937 rng(18);
  const char* ops[] = {"Neg", "Abs", "Sign", "Relu", "Exp", "Tanh", "Erf", "Floor", "Ceil", "Round", "Sigmoid",
                       "Softplus", "Softsign", "Reciprocal", "IsNaN", "IsInf", "LeakyRelu", "Elu", "Selu",
                       "HardSigmoid", "Gelu"};
  for (DType dtype : {DType::Float32, DType::Float64}) {
    for (const Dims& shape : {Dims{1000, 3}, Dims{0, 5}, Dims{1}, Dims{}}) {
      // Wide range (exp overflows, sigmoid saturates), exact halves for Round, and special values.
      Tensor x = with_specials(random_tensor(dtype, shape, rng, -100.0, 100.0));
      dispatch_float(dtype, "", [&](auto tag) {
        using T = typename decltype(tag)::type;
        for (int64_t i = 3; i < x.numel(); i += 11) x.data<T>()[i] = static_cast<T>(i % 9) - T(4.5);
      });
      for (const char* op : ops) {
        SCOPED_TRACE(std::string(op) + " " + std::string(dtype_name(dtype)) + shape_to_string(shape));
        expect_cuda_parity(make_node(op, 1), {x}, ParityTolerance{1e-5, 1e-5});
      }
    }
    // Log and Sqrt on positive inputs (negative ones give NaN on both sides, checked too).
    const Tensor positive = random_tensor(dtype, {500}, rng, 1e-3, 1e3);
    const Tensor mixed = with_specials(random_tensor(dtype, {500}, rng, -5, 5));
    for (const char* op : {"Log", "Sqrt"}) {
      SCOPED_TRACE(std::string(op) + " " + std::string(dtype_name(dtype)));
      expect_cuda_parity(make_node(op, 1), {positive});
      expect_cuda_parity(make_node(op, 1), {mixed});
    }
  }
}

TEST(CudaElementwise, UnaryIntegerOpsMatchCpu) {
  GNNRT_SKIP_WITHOUT_GPU();
  std::mt19937 rng(19);
  for (DType dtype : {DType::Int32, DType::Int64}) {
    const Tensor x = random_tensor(dtype, {257}, rng, -1000, 1000);
    for (const char* op : {"Neg", "Abs", "Sign", "Relu"}) {
      SCOPED_TRACE(std::string(op) + " " + std::string(dtype_name(dtype)));
      expect_cuda_parity(make_node(op, 1), {x});
    }
  }
}

TEST(CudaElementwise, ActivationAttributesReachTheKernel) {
  GNNRT_SKIP_WITHOUT_GPU();
  std::mt19937 rng(20);
  const Tensor x = with_specials(random_tensor(DType::Float32, {400}, rng, -6, 6));
  ir::Node leaky = make_node("LeakyRelu", 1);
  set_float(leaky, "alpha", 0.37f);
  ir::Node elu = make_node("Elu", 1);
  set_float(elu, "alpha", 2.5f);
  ir::Node selu = make_node("Selu", 1);
  set_float(selu, "alpha", 1.1f);
  set_float(selu, "gamma", 0.7f);
  ir::Node hard = make_node("HardSigmoid", 1);
  set_float(hard, "alpha", 0.3f);
  set_float(hard, "beta", 0.4f);
  ir::Node gelu = make_node("Gelu", 1);
  set_string(gelu, "approximate", "tanh");
  ir::Node inf_positive = make_node("IsInf", 1);
  set_int(inf_positive, "detect_negative", 0);
  ir::Node inf_negative = make_node("IsInf", 1);
  set_int(inf_negative, "detect_positive", 0);
  for (const ir::Node& node : {leaky, elu, selu, hard, gelu, inf_positive, inf_negative}) {
    SCOPED_TRACE(node.op_type);
    expect_cuda_parity(node, {x});
  }
  // Hand-checked values, independent of the CPU kernel: LeakyRelu(-2) = -0.74, Elu(1) = 1.
  ir::Node leaky_again = leaky;
  const ParityResult result = expect_cuda_parity(leaky_again, {to_float_tensor({-2.0f, 1.0f})});
  if (!result.cuda_outputs.empty()) {
    EXPECT_FLOAT_EQ(result.cuda_outputs[0].data<float>()[0], -0.74f);
    EXPECT_FLOAT_EQ(result.cuda_outputs[0].data<float>()[1], 1.0f);
  }
}

// ---------------------------------------------------------------- Clip

TEST(CudaElementwise, ClipWithEveryCombinationOfBounds) {
  GNNRT_SKIP_WITHOUT_GPU();
  std::mt19937 rng(21);
  for (DType dtype : {DType::Float32, DType::Float64, DType::Int32, DType::Int64}) {
    Tensor x = random_tensor(dtype, {33, 7}, rng, -10, 10);
    if (is_floating(dtype)) x = with_specials(x);
    const Tensor low = cast_tensor(int64_vector({-3}).reshaped({}), dtype);
    const Tensor high = cast_tensor(int64_vector({4}).reshaped({}), dtype);
    const Tensor inverted_low = cast_tensor(int64_vector({5}).reshaped({}), dtype);
    SCOPED_TRACE(dtype_name(dtype));
    expect_cuda_parity(make_node("Clip", 1), {x});
    expect_cuda_parity(make_node("Clip", 2), {x, low});
    expect_cuda_parity(make_node("Clip", 3), {x, Tensor(), high});
    expect_cuda_parity(make_node("Clip", 3), {x, low, high});
    expect_cuda_parity(make_node("Clip", 3), {x, inverted_low, high});  // min > max gives max everywhere
    expect_cuda_parity(make_node("Clip", 3), {random_tensor(dtype, {0, 3}, rng), low, high});
  }
}

// ---------------------------------------------------------------- Cast, CastLike, Where

TEST(CudaElementwise, CastBetweenEveryInstantiatedDtype) {
  GNNRT_SKIP_WITHOUT_GPU();
  std::mt19937 rng(22);
  const DType dtypes[] = {DType::Float32, DType::Float64, DType::Float16, DType::Int32, DType::Int64, DType::Bool};
  // Fractions of both signs (truncation toward zero), zeros (bool), values that round in float16,
  // NaN (0 when cast to an integer) and inf (saturates to the integer type's limit).
  Tensor source = random_tensor(DType::Float64, {300}, rng, -300.0, 300.0);
  for (int64_t i = 0; i < 300; i += 10) source.data<double>()[i] = 0.0;
  source.data<double>()[1] = 2049.0;  // not representable in float16
  source.data<double>()[2] = -0.5;
  source.data<double>()[3] = kNaN;
  source.data<double>()[4] = kInf;
  for (DType from : dtypes) {
    const Tensor x = cast_tensor(source, from);
    for (DType to : dtypes) {
      SCOPED_TRACE(std::string(dtype_name(from)) + " -> " + std::string(dtype_name(to)));
      ir::Node cast = make_node("Cast", 1);
      set_int(cast, "to", dtype_to_onnx(to));
      expect_cuda_parity(cast, {x});
      expect_cuda_parity(make_node("CastLike", 2), {x, Tensor(to, {1})});
    }
  }
  ir::Node empty_cast = make_node("Cast", 1);
  set_int(empty_cast, "to", dtype_to_onnx(DType::Int64));
  expect_cuda_parity(empty_cast, {random_tensor(DType::Float32, {0}, rng)});
}

TEST(CudaElementwise, WhereBroadcastsAllThreeInputsForEveryElementSize) {
  GNNRT_SKIP_WITHOUT_GPU();
  std::mt19937 rng(23);
  const std::vector<std::vector<Dims>> cases = {
      {{20, 6}, {20, 6}, {20, 6}},  // same shapes
      {{20, 6}, {}, {20, 6}},       // GCN's Where(isinf, 0, x)
      {{20, 1}, {6}, {}},           // column condition, row X, scalar Y
      {{3, 1, 4}, {1, 5, 1}, {5, 4}},
      {{0, 6}, {6}, {1}},
      {{}, {}, {}},
  };
  for (DType dtype : {DType::Float32, DType::Float64, DType::Float16, DType::Int32, DType::Int64, DType::Bool}) {
    for (const auto& shapes : cases) {
      SCOPED_TRACE(std::string(dtype_name(dtype)) + " condition " + shape_to_string(shapes[0]));
      expect_cuda_parity(make_node("Where", 3), {random_tensor(DType::Bool, shapes[0], rng),
                                            random_tensor(dtype, shapes[1], rng), random_tensor(dtype, shapes[2], rng)});
    }
  }
}

// GCN's edge normalisation on power-law degrees with isolated nodes: deg^-0.5, inf -> 0, then
// the per-edge weight deg[src] * deg[dst] and the scaled features.
TEST(CudaElementwise, GcnNormalisationChainOnSkewedDegreesMatchesCpu) {
  GNNRT_SKIP_WITHOUT_GPU();
  std::mt19937 rng(27);
  constexpr int64_t kNodes = 500, kEdges = 4000;
  const Tensor targets = skewed_indices({kEdges}, kNodes, rng);  // most nodes get few edges, some none
  Tensor degrees(DType::Float32, {kNodes, 1});
  for (int64_t e = 0; e < kEdges; ++e) degrees.data<float>()[targets.data<int64_t>()[e]] += 1.0f;
  int64_t isolated = 0;
  for (int64_t n = 0; n < kNodes; ++n) isolated += degrees.data<float>()[n] == 0.0f;
  ASSERT_GT(isolated, 0) << "the skewed generator should leave some nodes without edges";

  const ParityResult scaled = expect_cuda_parity(make_node("Pow", 2), {degrees, float_scalar(-0.5f)});
  ASSERT_FALSE(scaled.cuda_outputs.empty());
  const Tensor& inv_sqrt = scaled.cuda_outputs[0];
  const ParityResult infinite = expect_cuda_parity(make_node("IsInf", 1), {inv_sqrt});
  ASSERT_FALSE(infinite.cuda_outputs.empty());
  const ParityResult cleaned =
      expect_cuda_parity(make_node("Where", 3), {infinite.cuda_outputs[0], float_scalar(0.0f), inv_sqrt});
  ASSERT_FALSE(cleaned.cuda_outputs.empty());
  for (int64_t n = 0; n < kNodes; ++n) {  // independent check: 1/sqrt(deg), 0 for isolated nodes
    const float degree = degrees.data<float>()[n];
    const float expected = degree == 0.0f ? 0.0f : 1.0f / std::sqrt(degree);
    EXPECT_NEAR(cleaned.cuda_outputs[0].data<float>()[n], expected, 1e-6f) << "node " << n;
  }
  expect_cuda_parity(make_node("Mul", 2), {cleaned.cuda_outputs[0], random_tensor(DType::Float32, {kNodes, 64}, rng)});
}

// ---------------------------------------------------------------- sizes

TEST(CudaElementwise, LargeTensorsUseGridStrideLoopsCorrectly) {
  GNNRT_SKIP_WITHOUT_GPU();
  std::mt19937 rng(24);
  // More elements than one launch's threads (65536 blocks x 256), on the flat and the strided path.
  const Tensor big = random_tensor(DType::Float32, {4200, 4096}, rng);
  expect_cuda_parity(make_node("Add", 2), {big, random_tensor(DType::Float32, {4096}, rng)});
  expect_cuda_parity(make_node("Mul", 2), {big, float_scalar(0.5f)});
  expect_cuda_parity(make_node("Relu", 1), {big});
}

TEST(CudaElementwise, RandomShapesMatchCpu) {
  GNNRT_SKIP_WITHOUT_GPU();
  std::mt19937 rng(25);
  std::uniform_int_distribution<int> rank_dist(0, 4), dim_dist(0, 6), coin(0, 2);
  for (int trial = 0; trial < 60; ++trial) {
    // Random output shape; each input keeps, drops (1) or omits (leading) dims at random.
    const int rank = rank_dist(rng);
    Dims out;
    for (int d = 0; d < rank; ++d) out.push_back(dim_dist(rng) == 0 ? 1 : dim_dist(rng) + 1);
    if (trial % 10 == 0 && rank > 0) out[0] = 0;
    auto derive = [&]() {
      Dims shape = out;
      for (int64_t& d : shape)
        if (coin(rng) == 0) d = 1;
      const size_t drop = std::uniform_int_distribution<size_t>(0, shape.size())(rng);
      shape.erase(shape.begin(), shape.begin() + static_cast<std::ptrdiff_t>(drop));
      return shape;
    };
    const Dims a = derive(), b = derive(), c = derive();
    SCOPED_TRACE(shape_to_string(a) + " " + shape_to_string(b) + " " + shape_to_string(c));
    expect_cuda_parity(make_node("Sub", 2), {random_tensor(DType::Float32, a, rng), random_tensor(DType::Float32, b, rng)});
    expect_cuda_parity(make_node("Where", 3), {random_tensor(DType::Bool, a, rng), random_tensor(DType::Int64, b, rng),
                                          random_tensor(DType::Int64, c, rng)});
  }
}

// ---------------------------------------------------------------- device errors

// Device errors are recorded under this site id.
constexpr int32_t kSite = 42;

TEST(CudaElementwise, IntegerDivisionByZeroIsADeviceErrorNotACrash) {
  GNNRT_SKIP_WITHOUT_GPU();
  for (const char* op : {"Div", "Mod"}) {
    for (DType dtype : {DType::Int32, DType::Int64}) {
      SCOPED_TRACE(std::string(op) + " " + std::string(dtype_name(dtype)));
      const Tensor dividend = cast_tensor(int64_vector({10, 20, 30, 40, 50, 60}).reshaped({2, 3}), dtype);
      const Tensor divisor = cast_tensor(int64_vector({5, 0, 7}), dtype);  // zero at flat index 1
      const DirectRun run = run_cuda_only(make_node(op, 2), {dividend, divisor}, kSite);
      EXPECT_EQ(run.record.code, cuda::kDivisionByZero);
      EXPECT_EQ(run.record.site, kSite);
      EXPECT_EQ(run.record.value, 1);  // the divisor's flat index
      EXPECT_EQ(run.record.bound, 3);  // the divisor's element count
      ASSERT_EQ(run.outputs.size(), 1u);
      const Tensor out = cast_tensor(run.outputs[0], DType::Int64);
      const std::vector<int64_t> expected = std::string(op) == "Div" ? std::vector<int64_t>{2, 0, 4, 8, 0, 8}
                                                                     : std::vector<int64_t>{0, 0, 2, 0, 0, 4};
      for (int64_t i = 0; i < 6; ++i) EXPECT_EQ(out.data<int64_t>()[i], expected[static_cast<size_t>(i)]) << i;
    }
  }
  // Float division by zero is IEEE (inf/NaN), not an error.
  const DirectRun run = run_cuda_only(make_node("Div", 2), {to_float_tensor({1.0f, 0.0f}), to_float_tensor({0.0f, 0.0f})});
  EXPECT_EQ(run.record.code, cuda::kNoDeviceError);
  EXPECT_TRUE(std::isinf(run.outputs[0].data<float>()[0]));
  EXPECT_TRUE(std::isnan(run.outputs[0].data<float>()[1]));
}

TEST(CudaElementwise, ResultsAreBitIdenticalRunToRun) {
  GNNRT_SKIP_WITHOUT_GPU();
  std::mt19937 rng(26);
  const Tensor a = random_tensor(DType::Float32, {513, 64}, rng);
  const Tensor b = random_tensor(DType::Float32, {64}, rng);
  const DirectRun first = run_cuda_only(make_node("Mul", 2), {a, b});
  const DirectRun second = run_cuda_only(make_node("Mul", 2), {a, b});
  ASSERT_EQ(first.outputs[0].nbytes(), second.outputs[0].nbytes());
  EXPECT_EQ(std::memcmp(first.outputs[0].raw(), second.outputs[0].raw(), first.outputs[0].nbytes()), 0);
}

// ---------------------------------------------------------------- supports

TEST(CudaElementwise, SupportsDeclinesWhatTheKernelsDoNotHandle) {
  GNNRT_SKIP_WITHOUT_GPU();
  const cuda::CudaKernelRegistry& registry = cuda::cuda_kernel_registry();
  EXPECT_TRUE(registry.supports(make_node("Add", 2), {DType::Float32, DType::Float32}));
  EXPECT_FALSE(registry.supports(make_node("Add", 2), {DType::Int8, DType::Int8}));
  EXPECT_FALSE(registry.supports(make_node("Add", 2), {DType::Float32, DType::Int64}));  // the CPU reports it
  EXPECT_FALSE(registry.supports(make_node("And", 2), {DType::Int64, DType::Int64}));
  EXPECT_TRUE(registry.supports(make_node("Equal", 2), {DType::Bool, DType::Bool}));
  EXPECT_FALSE(registry.supports(make_node("Less", 2), {DType::Bool, DType::Bool}));
  EXPECT_FALSE(registry.supports(make_node("Exp", 1), {DType::Int64}));
  EXPECT_FALSE(registry.supports(make_node("Mean", 2), {DType::Int32, DType::Int32}));
  EXPECT_TRUE(registry.supports(make_node("Pow", 2), {DType::Float32, DType::Int64}));
  ir::Node mod = make_node("Mod", 2);
  set_int(mod, "fmod", 2);
  EXPECT_FALSE(registry.supports(mod, {DType::Int64, DType::Int64}));
  ir::Node gelu = make_node("Gelu", 1);
  set_string(gelu, "approximate", "sigmoid");
  EXPECT_FALSE(registry.supports(gelu, {DType::Float32}));
  ir::Node cast = make_node("Cast", 1);
  set_int(cast, "to", dtype_to_onnx(DType::UInt8));
  EXPECT_FALSE(registry.supports(cast, {DType::Float32}));
  EXPECT_FALSE(registry.supports(make_node("Cast", 1), {DType::Float32}));  // no 'to'
  EXPECT_TRUE(registry.supports(make_node("Where", 3), {DType::Bool, DType::Float16, DType::Float16}));
  EXPECT_FALSE(registry.supports(make_node("Where", 3), {DType::Int64, DType::Float32, DType::Float32}));
  EXPECT_FALSE(registry.supports(make_node("Clip", 3), {DType::Float32, DType::Float64, DType::Undefined}));
}

}  // namespace
}  // namespace gnnrt::testing

#endif  // GNNRT_WITH_CUDA
