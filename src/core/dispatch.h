// Turns a runtime DType into a compile-time element type for kernels:
//   dispatch_all(t.dtype(), [&](auto tag) { using T = typename decltype(tag)::type; ... });
#pragma once

#include <cmath>
#include <limits>
#include <type_traits>

#include "core/half.h"
#include "gnnrt/dtype.h"
#include "gnnrt/error.h"

namespace gnnrt {

template <typename T>
struct TypeTag {
  using type = T;
};

// Every dtype gnnrt stores.
template <typename Fn>
decltype(auto) dispatch_all(DType dtype, Fn&& fn) {
  switch (dtype) {
    case DType::Float32: return fn(TypeTag<float>{});
    case DType::Float64: return fn(TypeTag<double>{});
    case DType::Float16: return fn(TypeTag<float16_t>{});
    case DType::BFloat16: return fn(TypeTag<bfloat16_t>{});
    case DType::Int8: return fn(TypeTag<int8_t>{});
    case DType::UInt8: return fn(TypeTag<uint8_t>{});
    case DType::Int16: return fn(TypeTag<int16_t>{});
    case DType::Int32: return fn(TypeTag<int32_t>{});
    case DType::Int64: return fn(TypeTag<int64_t>{});
    case DType::Bool: return fn(TypeTag<bool>{});
    case DType::Undefined: break;
  }
  fail_internal("dispatch on an undefined dtype");
}

// Types with native C++ arithmetic: float, double and the integer types (not bool, not 16-bit floats).
template <typename Fn>
decltype(auto) dispatch_arithmetic(DType dtype, std::string_view what, Fn&& fn) {
  switch (dtype) {
    case DType::Float32: return fn(TypeTag<float>{});
    case DType::Float64: return fn(TypeTag<double>{});
    case DType::Int8: return fn(TypeTag<int8_t>{});
    case DType::UInt8: return fn(TypeTag<uint8_t>{});
    case DType::Int16: return fn(TypeTag<int16_t>{});
    case DType::Int32: return fn(TypeTag<int32_t>{});
    case DType::Int64: return fn(TypeTag<int64_t>{});
    default: break;
  }
  fail_input(what, ": dtype ", dtype_name(dtype), " is not supported here (expected float32, float64 or an integer type)");
}

template <typename Fn>
decltype(auto) dispatch_float(DType dtype, std::string_view what, Fn&& fn) {
  switch (dtype) {
    case DType::Float32: return fn(TypeTag<float>{});
    case DType::Float64: return fn(TypeTag<double>{});
    default: break;
  }
  fail_input(what, ": dtype ", dtype_name(dtype), " is not supported here (expected float32 or float64)");
}

template <typename T>
inline double to_double(T value) {
  if constexpr (std::is_same_v<T, float16_t>) return half_to_float(value);
  else if constexpr (std::is_same_v<T, bfloat16_t>) return bfloat16_to_float(value);
  else return static_cast<double>(value);
}

// One element converted as ONNX Cast does: to bool is "!= 0"; float to int truncates.
template <typename To, typename From>
inline To convert_element(From value) {
  if constexpr (std::is_same_v<To, From>) {
    return value;
  } else if constexpr (std::is_same_v<To, float16_t>) {
    return float_to_half(static_cast<float>(to_double(value)));
  } else if constexpr (std::is_same_v<To, bfloat16_t>) {
    return float_to_bfloat16(static_cast<float>(to_double(value)));
  } else if constexpr (std::is_same_v<To, bool>) {
    return to_double(value) != 0.0;
  } else if constexpr (std::is_integral_v<To> && (std::is_same_v<From, float16_t> || std::is_same_v<From, bfloat16_t> || std::is_floating_point_v<From>)) {
    // Out-of-range values saturate (a plain cast would be undefined behaviour); NaN gives 0.
    const double d = to_double(value);
    if (std::isnan(d)) return To{0};
    if (d <= static_cast<double>(std::numeric_limits<To>::lowest())) return std::numeric_limits<To>::lowest();
    if (d >= static_cast<double>(std::numeric_limits<To>::max())) return std::numeric_limits<To>::max();
    return static_cast<To>(d);
  } else if constexpr (std::is_same_v<From, float16_t> || std::is_same_v<From, bfloat16_t>) {
    return static_cast<To>(to_double(value));
  } else {
    return static_cast<To>(value);
  }
}

}  // namespace gnnrt
