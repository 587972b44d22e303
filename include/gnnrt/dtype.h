// Element types of gnnrt tensors and their properties.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace gnnrt {

enum class DType : uint8_t {
  Undefined = 0,
  Float32,
  Float16,
  BFloat16,
  Float64,
  Int8,
  UInt8,
  Int16,
  Int32,
  Int64,
  Bool,
};

// 16-bit float storage types: gnnrt never does arithmetic in them on the CPU,
// it converts to float (see core/half.h).
struct float16_t {
  uint16_t bits;
};
struct bfloat16_t {
  uint16_t bits;
};

size_t dtype_size(DType dtype);
std::string_view dtype_name(DType dtype);  // "float32", "int64", ...
bool is_floating(DType dtype);
bool is_integer(DType dtype);  // signed or unsigned integers, not bool

// ONNX TensorProto.DataType <-> DType. Returns Undefined for types gnnrt does not handle.
DType dtype_from_onnx(int32_t onnx_type);
int32_t dtype_to_onnx(DType dtype);

// The DType of a C++ element type, for typed access to tensor data.
template <typename T>
constexpr DType dtype_of();
template <> constexpr DType dtype_of<float>() { return DType::Float32; }
template <> constexpr DType dtype_of<double>() { return DType::Float64; }
template <> constexpr DType dtype_of<float16_t>() { return DType::Float16; }
template <> constexpr DType dtype_of<bfloat16_t>() { return DType::BFloat16; }
template <> constexpr DType dtype_of<int8_t>() { return DType::Int8; }
template <> constexpr DType dtype_of<uint8_t>() { return DType::UInt8; }
template <> constexpr DType dtype_of<int16_t>() { return DType::Int16; }
template <> constexpr DType dtype_of<int32_t>() { return DType::Int32; }
template <> constexpr DType dtype_of<int64_t>() { return DType::Int64; }
template <> constexpr DType dtype_of<bool>() { return DType::Bool; }

}  // namespace gnnrt
