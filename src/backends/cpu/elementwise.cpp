// CPU kernels for element-wise ONNX ops (opset-18 semantics): broadcasting binary and variadic
// arithmetic, comparisons, logic, activations and other unary maps, Clip, Cast, Where.
//
// Integer arithmetic wraps modulo 2^bits (as the hardware and torch do) instead of relying on
// signed overflow, which would be undefined behaviour on adversarial data. Floating-point ops
// follow IEEE: NaN propagates through Max/Min/Relu/Clip as in numpy and torch.
#include <cmath>
#include <limits>
#include <type_traits>

#include "backends/cpu/broadcast.h"
#include "backends/cpu/kernel_registry.h"
#include "backends/cpu/scalar_math.h"
#include "backends/op_shapes/elementwise.h"
#include "core/dispatch.h"

namespace gnnrt::cpu {

namespace {

using Outputs = std::vector<Tensor>;

// ---------------------------------------------------------------- element helpers

template <typename T>
T wrapping_add(T a, T b) {
  if constexpr (std::is_integral_v<T>) return static_cast<T>(static_cast<uint64_t>(a) + static_cast<uint64_t>(b));
  else return a + b;
}
template <typename T>
T wrapping_sub(T a, T b) {
  if constexpr (std::is_integral_v<T>) return static_cast<T>(static_cast<uint64_t>(a) - static_cast<uint64_t>(b));
  else return a - b;
}
template <typename T>
T wrapping_mul(T a, T b) {
  if constexpr (std::is_integral_v<T>) return static_cast<T>(static_cast<uint64_t>(a) * static_cast<uint64_t>(b));
  else return a * b;
}
template <typename T>
T wrapping_neg(T a) {
  if constexpr (std::is_integral_v<T>) return static_cast<T>(uint64_t{0} - static_cast<uint64_t>(a));
  else return -a;
}

// x < 0, without a tautological comparison for unsigned types.
template <typename T>
bool is_negative(T x) {
  if constexpr (std::is_unsigned_v<T>) return false;
  else return x < T{0};
}

// Integer division truncating toward zero (C semantics); the caller has ruled out b == 0.
template <typename T>
T integer_divide(T a, T b) {
  if constexpr (std::is_signed_v<T>) {
    if (b == -1) return wrapping_neg(a);  // INT_MIN / -1 overflows in C++
  }
  return static_cast<T>(a / b);
}

// Integer remainder; `sign_of_dividend` is ONNX Mod's fmod=1 (C's %), otherwise the result takes
// the divisor's sign (Python's %). The caller has ruled out b == 0.
template <typename T>
T integer_mod(T a, T b, bool sign_of_dividend) {
  if constexpr (std::is_signed_v<T>) {
    if (b == -1) return 0;  // INT_MIN % -1 overflows in C++
  }
  T r = static_cast<T>(a % b);
  if constexpr (std::is_signed_v<T>) {
    if (!sign_of_dividend && r != 0 && ((r < 0) != (b < 0))) r = static_cast<T>(r + b);
  }
  return r;
}

template <typename T>
T float_mod(T a, T b, bool sign_of_dividend) {
  T r = std::fmod(a, b);
  if (!sign_of_dividend && r != 0 && ((r < 0) != (b < 0))) r += b;
  return r;
}

// base^exponent for an integer base and exponent, wrapping; a negative exponent gives the
// truncated value of 1/base^|exponent| (0 unless base is 1 or -1).
template <typename T>
T integer_power(T base, int64_t exponent) {
  if (exponent < 0) {
    if (base == 1) return 1;
    if constexpr (std::is_signed_v<T>) {
      if (base == -1) return (exponent % 2 == 0) ? T{1} : T{-1};
    }
    return 0;
  }
  T result = 1;
  uint64_t remaining = static_cast<uint64_t>(exponent);
  while (remaining) {
    if (remaining & 1u) result = wrapping_mul(result, base);
    base = wrapping_mul(base, base);
    remaining >>= 1;
  }
  return result;
}

template <typename T, typename E>
T power(T base, E exponent) {
  if constexpr (std::is_floating_point_v<T>) return std::pow(base, static_cast<T>(exponent));
  else if constexpr (std::is_integral_v<E>) return integer_power(base, static_cast<int64_t>(exponent));
  else return saturating_cast<T>(std::pow(static_cast<double>(base), static_cast<double>(exponent)));
}

// ---------------------------------------------------------------- input helpers

using op_shapes::require_dtype;
using op_shapes::require_same_dtype;

// Integer Div/Mod by zero is the data's fault; every divisor element is used when the output
// is not empty (broadcasting only repeats elements), so scanning the divisor is exact.
void check_no_zero_divisor(const ir::Node& node, const Tensor& dividend, const Tensor& divisor) {
  if (!is_integer(divisor.dtype())) return;
  if (element_count(broadcast_shapes({dividend.shape(), divisor.shape()}, node.describe())) == 0) return;
  dispatch_arithmetic(divisor.dtype(), node.describe(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T* values = divisor.data<T>();
    for (int64_t i = 0; i < divisor.numel(); ++i)
      if (values[i] == 0)
        fail_input(node.describe(), ": integer division by zero (divisor input 1, ", divisor.describe(),
                   ", is 0 at flat index ", i, ")");
  });
}

// ---------------------------------------------------------------- loop helpers

template <typename In, typename Out, typename Fn>
void map_elements(const In* in, Out* out, int64_t count, Fn fn) {
#pragma omp parallel for if (count >= kParallelElementThreshold) schedule(static)
  for (int64_t i = 0; i < count; ++i) out[i] = fn(in[i]);
}

// out = fn(a, b) with numpy broadcasting. The inner loops are specialised on which inputs
// advance within a segment, so same-shape, row-vector and scalar cases vectorise.
template <typename Out, typename A, typename B, typename Fn>
Tensor broadcast_binary(const ir::Node& node, const Tensor& a, const Tensor& b, Fn fn) {
  const BroadcastPlan plan({a.shape(), b.shape()}, node.describe());
  Tensor output(dtype_of<Out>(), plan.output_shape());
  const A* a_data = a.data<A>();
  const B* b_data = b.data<B>();
  Out* out_data = output.data<Out>();
  const bool a_steps = plan.inner_stride(0) != 0;
  const bool b_steps = plan.inner_stride(1) != 0;
  plan.parallel_for_each_segment([&](int64_t out_offset, const int64_t* in_offsets, int64_t count) {
    const A* x = a_data + in_offsets[0];
    const B* y = b_data + in_offsets[1];
    Out* z = out_data + out_offset;
    if (a_steps && b_steps) {
      for (int64_t j = 0; j < count; ++j) z[j] = fn(x[j], y[j]);
    } else if (a_steps) {
      const B y0 = *y;
      for (int64_t j = 0; j < count; ++j) z[j] = fn(x[j], y0);
    } else if (b_steps) {
      const A x0 = *x;
      for (int64_t j = 0; j < count; ++j) z[j] = fn(x0, y[j]);
    } else {
      const Out value = fn(*x, *y);
      for (int64_t j = 0; j < count; ++j) z[j] = value;
    }
  });
  return output;
}

// A binary op over two inputs of one arithmetic dtype with a same-typed result.
template <typename Fn>
Tensor arithmetic_binary(const ir::Node& node, const Tensor& a, const Tensor& b, size_t b_index, Fn fn) {
  require_same_dtype(node, a, b, b_index);
  return dispatch_arithmetic(a.dtype(), node.describe(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    return broadcast_binary<T, T, T>(node, a, b, [&](T x, T y) { return static_cast<T>(fn(x, y)); });
  });
}

template <typename Fn>
Outputs arithmetic_kernel(const ir::Node& node, const KernelInputs& inputs, Fn fn) {
  return {arithmetic_binary(node, require_input(node, inputs, 0), require_input(node, inputs, 1), 1, fn)};
}

// Sum/Max/Min/Mean over 1..N inputs, folded left to right (a fixed order, so deterministic).
template <typename Fn>
Tensor fold_variadic(const ir::Node& node, const KernelInputs& inputs, Fn fn) {
  if (inputs.empty()) fail_input(node.describe(), ": needs at least one input, got none");
  const Tensor& first = require_input(node, inputs, 0);
  if (inputs.size() == 1) {
    dispatch_arithmetic(first.dtype(), node.describe(), [](auto) {});
    return first.clone();
  }
  Tensor accumulated = arithmetic_binary(node, first, require_input(node, inputs, 1), 1, fn);
  for (size_t k = 2; k < inputs.size(); ++k) {
    const Tensor& next = require_input(node, inputs, k);
    require_same_dtype(node, first, next, k);
    accumulated = arithmetic_binary(node, accumulated, next, k, fn);
  }
  return accumulated;
}

// Comparison ops: same-dtype inputs, bool output. Equal also takes bool inputs.
template <typename Fn>
Outputs comparison_kernel(const ir::Node& node, const KernelInputs& inputs, bool accepts_bool, Fn fn) {
  const Tensor& a = require_input(node, inputs, 0);
  const Tensor& b = require_input(node, inputs, 1);
  require_same_dtype(node, a, b, 1);
  if (accepts_bool && a.dtype() == DType::Bool) return {broadcast_binary<bool, bool, bool>(node, a, b, fn)};
  return {dispatch_arithmetic(a.dtype(), node.describe(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    return broadcast_binary<bool, T, T>(node, a, b, fn);
  })};
}

template <typename Fn>
Outputs logical_kernel(const ir::Node& node, const KernelInputs& inputs, Fn fn) {
  const Tensor& a = require_input(node, inputs, 0);
  const Tensor& b = require_input(node, inputs, 1);
  require_dtype(node, a, 0, DType::Bool);
  require_dtype(node, b, 1, DType::Bool);
  return {broadcast_binary<bool, bool, bool>(node, a, b, fn)};
}

// Unary map over float32/float64 with a same-typed result.
template <typename Fn>
Outputs float_unary(const ir::Node& node, const KernelInputs& inputs, Fn fn) {
  const Tensor& x = require_input(node, inputs, 0);
  return {dispatch_float(x.dtype(), node.describe(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    Tensor output(x.dtype(), x.shape());
    map_elements(x.data<T>(), output.data<T>(), x.numel(), [&](T v) { return static_cast<T>(fn(v)); });
    return output;
  })};
}

// Unary map over float and integer types with a same-typed result.
template <typename Fn>
Outputs arithmetic_unary(const ir::Node& node, const KernelInputs& inputs, Fn fn) {
  const Tensor& x = require_input(node, inputs, 0);
  return {dispatch_arithmetic(x.dtype(), node.describe(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    Tensor output(x.dtype(), x.shape());
    map_elements(x.data<T>(), output.data<T>(), x.numel(), [&](T v) { return static_cast<T>(fn(v)); });
    return output;
  })};
}

// Unary predicate over float types with a bool result (IsNaN, IsInf).
template <typename Fn>
Outputs float_predicate(const ir::Node& node, const KernelInputs& inputs, Fn fn) {
  const Tensor& x = require_input(node, inputs, 0);
  return {dispatch_float(x.dtype(), node.describe(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    Tensor output(DType::Bool, x.shape());
    map_elements(x.data<T>(), output.data<bool>(), x.numel(), [&](T v) { return static_cast<bool>(fn(v)); });
    return output;
  })};
}

// ---------------------------------------------------------------- binary and variadic kernels

Outputs add_kernel(const ir::Node& node, const KernelInputs& inputs, KernelContext&) {
  return arithmetic_kernel(node, inputs, [](auto x, auto y) { return wrapping_add(x, y); });
}

Outputs sub_kernel(const ir::Node& node, const KernelInputs& inputs, KernelContext&) {
  return arithmetic_kernel(node, inputs, [](auto x, auto y) { return wrapping_sub(x, y); });
}

Outputs mul_kernel(const ir::Node& node, const KernelInputs& inputs, KernelContext&) {
  return arithmetic_kernel(node, inputs, [](auto x, auto y) { return wrapping_mul(x, y); });
}

Outputs div_kernel(const ir::Node& node, const KernelInputs& inputs, KernelContext&) {
  check_no_zero_divisor(node, require_input(node, inputs, 0), require_input(node, inputs, 1));
  return arithmetic_kernel(node, inputs, [](auto x, auto y) {
    if constexpr (std::is_integral_v<decltype(x)>) return integer_divide(x, y);
    else return x / y;
  });
}

Outputs mod_kernel(const ir::Node& node, const KernelInputs& inputs, KernelContext&) {
  const bool sign_of_dividend = op_shapes::mod_takes_dividend_sign(node);
  check_no_zero_divisor(node, require_input(node, inputs, 0), require_input(node, inputs, 1));
  return arithmetic_kernel(node, inputs, [sign_of_dividend](auto x, auto y) {
    if constexpr (std::is_integral_v<decltype(x)>) return integer_mod(x, y, sign_of_dividend);
    else return float_mod(x, y, sign_of_dividend);
  });
}

// Pow's base and exponent may have different dtypes (ONNX T and T1); the result has the base's.
Outputs pow_kernel(const ir::Node& node, const KernelInputs& inputs, KernelContext&) {
  const Tensor& base = require_input(node, inputs, 0);
  const Tensor& exponent = require_input(node, inputs, 1);
  return {dispatch_arithmetic(base.dtype(), node.describe(), [&](auto base_tag) {
    using T = typename decltype(base_tag)::type;
    return dispatch_arithmetic(exponent.dtype(), node.describe(), [&](auto exponent_tag) {
      using E = typename decltype(exponent_tag)::type;
      return broadcast_binary<T, T, E>(node, base, exponent, [](T x, E y) { return power(x, y); });
    });
  })};
}

Outputs max_kernel(const ir::Node& node, const KernelInputs& inputs, KernelContext&) {
  return {fold_variadic(node, inputs, [](auto x, auto y) { return nan_max(x, y); })};
}

Outputs min_kernel(const ir::Node& node, const KernelInputs& inputs, KernelContext&) {
  return {fold_variadic(node, inputs, [](auto x, auto y) { return nan_min(x, y); })};
}

Outputs sum_kernel(const ir::Node& node, const KernelInputs& inputs, KernelContext&) {
  return {fold_variadic(node, inputs, [](auto x, auto y) { return wrapping_add(x, y); })};
}

Outputs mean_kernel(const ir::Node& node, const KernelInputs& inputs, KernelContext&) {
  if (inputs.empty()) fail_input(node.describe(), ": needs at least one input, got none");
  dispatch_float(require_input(node, inputs, 0).dtype(), node.describe(), [](auto) {});
  Tensor sum = fold_variadic(node, inputs, [](auto x, auto y) { return x + y; });
  dispatch_float(sum.dtype(), node.describe(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T count = static_cast<T>(inputs.size());
    T* values = sum.data<T>();
    map_elements(values, values, sum.numel(), [count](T v) { return v / count; });
  });
  return {sum};
}

Outputs equal_kernel(const ir::Node& node, const KernelInputs& inputs, KernelContext&) {
  return comparison_kernel(node, inputs, true, [](auto x, auto y) { return x == y; });
}
Outputs less_kernel(const ir::Node& node, const KernelInputs& inputs, KernelContext&) {
  return comparison_kernel(node, inputs, false, [](auto x, auto y) { return x < y; });
}
Outputs less_or_equal_kernel(const ir::Node& node, const KernelInputs& inputs, KernelContext&) {
  return comparison_kernel(node, inputs, false, [](auto x, auto y) { return x <= y; });
}
Outputs greater_kernel(const ir::Node& node, const KernelInputs& inputs, KernelContext&) {
  return comparison_kernel(node, inputs, false, [](auto x, auto y) { return x > y; });
}
Outputs greater_or_equal_kernel(const ir::Node& node, const KernelInputs& inputs, KernelContext&) {
  return comparison_kernel(node, inputs, false, [](auto x, auto y) { return x >= y; });
}

Outputs and_kernel(const ir::Node& node, const KernelInputs& inputs, KernelContext&) {
  return logical_kernel(node, inputs, [](bool x, bool y) { return x && y; });
}
Outputs or_kernel(const ir::Node& node, const KernelInputs& inputs, KernelContext&) {
  return logical_kernel(node, inputs, [](bool x, bool y) { return x || y; });
}
Outputs xor_kernel(const ir::Node& node, const KernelInputs& inputs, KernelContext&) {
  return logical_kernel(node, inputs, [](bool x, bool y) { return x != y; });
}

// PRelu: the slope broadcasts to X (unidirectionally: the output keeps X's shape).
Outputs prelu_kernel(const ir::Node& node, const KernelInputs& inputs, KernelContext&) {
  const Tensor& x = require_input(node, inputs, 0);
  const Tensor& slope = require_input(node, inputs, 1);
  op_shapes::check_prelu_slope(node, x, slope);
  return arithmetic_kernel(node, inputs, [](auto v, auto s) { return is_negative(v) ? wrapping_mul(s, v) : v; });
}

// ---------------------------------------------------------------- unary kernels

Outputs neg_kernel(const ir::Node& node, const KernelInputs& inputs, KernelContext&) {
  return arithmetic_unary(node, inputs, [](auto x) { return wrapping_neg(x); });
}

Outputs abs_kernel(const ir::Node& node, const KernelInputs& inputs, KernelContext&) {
  return arithmetic_unary(node, inputs, [](auto x) {
    using T = decltype(x);
    if constexpr (std::is_floating_point_v<T>) return std::fabs(x);
    else if constexpr (std::is_signed_v<T>) return is_negative(x) ? wrapping_neg(x) : x;
    else return x;
  });
}

Outputs sign_kernel(const ir::Node& node, const KernelInputs& inputs, KernelContext&) {
  return arithmetic_unary(node, inputs, [](auto x) {
    using T = decltype(x);
    if (x > 0) return T{1};
    if (is_negative(x)) return static_cast<T>(-1);
    return x;  // 0, -0 or NaN
  });
}

Outputs relu_kernel(const ir::Node& node, const KernelInputs& inputs, KernelContext&) {
  return arithmetic_unary(node, inputs, [](auto x) { return is_negative(x) ? decltype(x){0} : x; });  // NaN passes
}

Outputs leaky_relu_kernel(const ir::Node& node, const KernelInputs& inputs, KernelContext&) {
  const double alpha = node.attr_float("alpha", 0.01f);
  return float_unary(node, inputs, [alpha](auto x) { return x < 0 ? static_cast<decltype(x)>(alpha) * x : x; });
}

Outputs elu_kernel(const ir::Node& node, const KernelInputs& inputs, KernelContext&) {
  const double alpha = node.attr_float("alpha", 1.0f);
  return float_unary(node, inputs, [alpha](auto x) {
    return x < 0 ? static_cast<decltype(x)>(alpha) * std::expm1(x) : x;
  });
}

Outputs selu_kernel(const ir::Node& node, const KernelInputs& inputs, KernelContext&) {
  const double alpha = node.attr_float("alpha", 1.67326319217681884765625f);
  const double gamma = node.attr_float("gamma", 1.05070102214813232421875f);
  return float_unary(node, inputs, [alpha, gamma](auto x) {
    using T = decltype(x);
    const T g = static_cast<T>(gamma);
    return x > 0 ? g * x : g * (static_cast<T>(alpha) * std::exp(x) - static_cast<T>(alpha));
  });
}

Outputs exp_kernel(const ir::Node& node, const KernelInputs& inputs, KernelContext&) {
  return float_unary(node, inputs, [](auto x) { return std::exp(x); });
}
Outputs log_kernel(const ir::Node& node, const KernelInputs& inputs, KernelContext&) {
  return float_unary(node, inputs, [](auto x) { return std::log(x); });
}
Outputs sqrt_kernel(const ir::Node& node, const KernelInputs& inputs, KernelContext&) {
  return float_unary(node, inputs, [](auto x) { return std::sqrt(x); });
}
Outputs reciprocal_kernel(const ir::Node& node, const KernelInputs& inputs, KernelContext&) {
  return float_unary(node, inputs, [](auto x) { return decltype(x){1} / x; });
}
Outputs tanh_kernel(const ir::Node& node, const KernelInputs& inputs, KernelContext&) {
  return float_unary(node, inputs, [](auto x) { return std::tanh(x); });
}
Outputs erf_kernel(const ir::Node& node, const KernelInputs& inputs, KernelContext&) {
  return float_unary(node, inputs, [](auto x) { return std::erf(x); });
}
Outputs floor_kernel(const ir::Node& node, const KernelInputs& inputs, KernelContext&) {
  return float_unary(node, inputs, [](auto x) { return std::floor(x); });
}
Outputs ceil_kernel(const ir::Node& node, const KernelInputs& inputs, KernelContext&) {
  return float_unary(node, inputs, [](auto x) { return std::ceil(x); });
}

// Round half to even, independent of the thread's floating-point rounding mode.
Outputs round_kernel(const ir::Node& node, const KernelInputs& inputs, KernelContext&) {
  return float_unary(node, inputs, [](auto x) {
    using T = decltype(x);
    const T rounded = std::round(x);  // half away from zero
    if (std::fabs(x - std::trunc(x)) == T{0.5}) return T{2} * std::round(x / T{2});
    return rounded;
  });
}

// Sigmoid written so that exp never overflows: for x < 0 use e^x / (1 + e^x).
Outputs sigmoid_kernel(const ir::Node& node, const KernelInputs& inputs, KernelContext&) {
  return float_unary(node, inputs, [](auto x) {
    using T = decltype(x);
    if (x >= 0) return T{1} / (T{1} + std::exp(-x));
    const T e = std::exp(x);
    return e / (T{1} + e);
  });
}

// log(1 + e^x) without overflow for large x.
Outputs softplus_kernel(const ir::Node& node, const KernelInputs& inputs, KernelContext&) {
  return float_unary(node, inputs, [](auto x) {
    return x > 0 ? x + std::log1p(std::exp(-x)) : std::log1p(std::exp(x));
  });
}

Outputs softsign_kernel(const ir::Node& node, const KernelInputs& inputs, KernelContext&) {
  return float_unary(node, inputs, [](auto x) { return x / (decltype(x){1} + std::fabs(x)); });
}

Outputs hard_sigmoid_kernel(const ir::Node& node, const KernelInputs& inputs, KernelContext&) {
  const double alpha = node.attr_float("alpha", 0.2f);
  const double beta = node.attr_float("beta", 0.5f);
  return float_unary(node, inputs, [alpha, beta](auto x) {
    using T = decltype(x);
    const T v = static_cast<T>(alpha) * x + static_cast<T>(beta);
    return v < 0 ? T{0} : (v > 1 ? T{1} : v);  // NaN passes
  });
}

Outputs gelu_kernel(const ir::Node& node, const KernelInputs& inputs, KernelContext&) {
  if (op_shapes::gelu_approximation(node) == op_shapes::GeluApproximation::Erf) {
    return float_unary(node, inputs, [](auto x) {
      using T = decltype(x);
      return T{0.5} * x * (T{1} + std::erf(x * static_cast<T>(0.70710678118654752440)));
    });
  }
  return float_unary(node, inputs, [](auto x) {
    using T = decltype(x);
    const T inner = static_cast<T>(0.79788456080286535588) * (x + static_cast<T>(0.044715) * x * x * x);
    return T{0.5} * x * (T{1} + std::tanh(inner));
  });
}

Outputs not_kernel(const ir::Node& node, const KernelInputs& inputs, KernelContext&) {
  const Tensor& x = require_input(node, inputs, 0);
  require_dtype(node, x, 0, DType::Bool);
  Tensor output(DType::Bool, x.shape());
  map_elements(x.data<bool>(), output.data<bool>(), x.numel(), [](bool v) { return !v; });
  return {output};
}

Outputs is_nan_kernel(const ir::Node& node, const KernelInputs& inputs, KernelContext&) {
  return float_predicate(node, inputs, [](auto x) { return std::isnan(x); });
}

Outputs is_inf_kernel(const ir::Node& node, const KernelInputs& inputs, KernelContext&) {
  const bool negative = node.attr_int("detect_negative", 1) != 0;
  const bool positive = node.attr_int("detect_positive", 1) != 0;
  return float_predicate(node, inputs, [negative, positive](auto x) {
    return std::isinf(x) && (x > 0 ? positive : negative);
  });
}

// Clip: optional scalar min/max inputs (of X's dtype); a missing bound does not clip.
Outputs clip_kernel(const ir::Node& node, const KernelInputs& inputs, KernelContext&) {
  const Tensor& x = require_input(node, inputs, 0);
  const Tensor* min_input = optional_input(inputs, 1);
  const Tensor* max_input = optional_input(inputs, 2);
  op_shapes::check_clip_bounds(node, x, inputs);
  return {dispatch_arithmetic(x.dtype(), node.describe(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    T low = std::numeric_limits<T>::lowest();
    T high = std::numeric_limits<T>::max();
    if constexpr (std::is_floating_point_v<T>) {
      low = -std::numeric_limits<T>::infinity();
      high = std::numeric_limits<T>::infinity();
    }
    if (min_input) low = min_input->data<T>()[0];
    if (max_input) high = max_input->data<T>()[0];
    Tensor output(x.dtype(), x.shape());
    // Applied in this order, min > max gives max everywhere (as numpy and onnxruntime) and NaN passes.
    map_elements(x.data<T>(), output.data<T>(), x.numel(), [low, high](T v) {
      if (v < low) v = low;
      if (v > high) v = high;
      return v;
    });
    return output;
  })};
}

Outputs cast_kernel(const ir::Node& node, const KernelInputs& inputs, KernelContext&) {
  const Tensor& x = require_input(node, inputs, 0);
  const DType to = op_shapes::cast_target(node);
  return {to == x.dtype() ? x.clone() : cast_tensor(x, to)};
}

Outputs cast_like_kernel(const ir::Node& node, const KernelInputs& inputs, KernelContext&) {
  const Tensor& x = require_input(node, inputs, 0);
  const DType to = require_input(node, inputs, 1).dtype();
  return {to == x.dtype() ? x.clone() : cast_tensor(x, to)};
}

// Where(condition, X, Y) with broadcasting over all three.
Outputs where_kernel(const ir::Node& node, const KernelInputs& inputs, KernelContext&) {
  const Tensor& condition = require_input(node, inputs, 0);
  const Tensor& x = require_input(node, inputs, 1);
  const Tensor& y = require_input(node, inputs, 2);
  op_shapes::check_where_inputs(node, condition, x, y);
  const BroadcastPlan plan({condition.shape(), x.shape(), y.shape()}, node.describe());
  Tensor output(x.dtype(), plan.output_shape());
  dispatch_all(x.dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    const bool* c_data = condition.data<bool>();
    const T* x_data = x.data<T>();
    const T* y_data = y.data<T>();
    T* out_data = output.data<T>();
    const int64_t c_step = plan.inner_stride(0), x_step = plan.inner_stride(1), y_step = plan.inner_stride(2);
    plan.parallel_for_each_segment([&](int64_t out_offset, const int64_t* in_offsets, int64_t count) {
      const bool* c = c_data + in_offsets[0];
      const T* a = x_data + in_offsets[1];
      const T* b = y_data + in_offsets[2];
      T* z = out_data + out_offset;
      for (int64_t j = 0; j < count; ++j) z[j] = c[j * c_step] ? a[j * x_step] : b[j * y_step];
    });
  });
  return {output};
}

}  // namespace

void register_elementwise_kernels(KernelRegistry& registry) {
  registry.add("Add", add_kernel);
  registry.add("Sub", sub_kernel);
  registry.add("Mul", mul_kernel);
  registry.add("Div", div_kernel);
  registry.add("Pow", pow_kernel);
  registry.add("Mod", mod_kernel);
  registry.add("Max", max_kernel);
  registry.add("Min", min_kernel);
  registry.add("Sum", sum_kernel);
  registry.add("Mean", mean_kernel);
  registry.add("Equal", equal_kernel);
  registry.add("Less", less_kernel);
  registry.add("LessOrEqual", less_or_equal_kernel);
  registry.add("Greater", greater_kernel);
  registry.add("GreaterOrEqual", greater_or_equal_kernel);
  registry.add("And", and_kernel);
  registry.add("Or", or_kernel);
  registry.add("Xor", xor_kernel);
  registry.add("PRelu", prelu_kernel);

  registry.add("Neg", neg_kernel);
  registry.add("Abs", abs_kernel);
  registry.add("Sign", sign_kernel);
  registry.add("Exp", exp_kernel);
  registry.add("Log", log_kernel);
  registry.add("Sqrt", sqrt_kernel);
  registry.add("Reciprocal", reciprocal_kernel);
  registry.add("Relu", relu_kernel);
  registry.add("LeakyRelu", leaky_relu_kernel);
  registry.add("Elu", elu_kernel);
  registry.add("Selu", selu_kernel);
  registry.add("Sigmoid", sigmoid_kernel);
  registry.add("Tanh", tanh_kernel);
  registry.add("Softplus", softplus_kernel);
  registry.add("Softsign", softsign_kernel);
  registry.add("HardSigmoid", hard_sigmoid_kernel);
  registry.add("Erf", erf_kernel);
  registry.add("Gelu", gelu_kernel);
  registry.add("Floor", floor_kernel);
  registry.add("Ceil", ceil_kernel);
  registry.add("Round", round_kernel);
  registry.add("Not", not_kernel);
  registry.add("IsNaN", is_nan_kernel);
  registry.add("IsInf", is_inf_kernel);
  registry.add("Clip", clip_kernel);
  registry.add("Cast", cast_kernel);
  registry.add("CastLike", cast_like_kernel);
  registry.add("Where", where_kernel);
}

}  // namespace gnnrt::cpu
