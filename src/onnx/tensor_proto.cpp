#include "onnx/tensor_proto.h"

#include <cstring>
#include <limits>
#include <utility>
#include <type_traits>

#include "onnx/external_data.h"

namespace gnnrt::onnx_import {

std::string onnx_type_name(int32_t onnx_type) {
  switch (onnx_type) {
    case 0: return "undefined";
    case 1: return "float";
    case 2: return "uint8";
    case 3: return "int8";
    case 4: return "uint16";
    case 5: return "int16";
    case 6: return "int32";
    case 7: return "int64";
    case 8: return "string";
    case 9: return "bool";
    case 10: return "float16";
    case 11: return "double";
    case 12: return "uint32";
    case 13: return "uint64";
    case 14: return "complex64";
    case 15: return "complex128";
    case 16: return "bfloat16";
    default: return cat("type ", onnx_type);
  }
}

DType dtype_from_onnx_checked(int32_t onnx_type, const std::string& label, const TensorContext& context) {
  const DType dtype = dtype_from_onnx(onnx_type);
  if (dtype == DType::Undefined)
    fail_input(context.what, ": ", label, " has element type ", onnx_type_name(onnx_type), " (", onnx_type,
               "), which gnnrt does not support (supported: float, double, float16, bfloat16, int8, uint8, "
               "int16, int32, int64, bool)");
  return dtype;
}

namespace {

// Shape from dims, refusing negative sizes and byte counts that overflow.
Dims checked_dims(const ::onnx::TensorProto& proto, DType dtype, const std::string& label, const TensorContext& context) {
  Dims dims(proto.dims().begin(), proto.dims().end());
  const int64_t max_bytes = std::numeric_limits<int64_t>::max();
  int64_t count = 1;
  for (int64_t d : dims) {
    if (d < 0) fail_input(context.what, ": ", label, " has a negative dimension in its shape ", shape_to_string(dims));
    if (d != 0 && count > max_bytes / static_cast<int64_t>(dtype_size(dtype)) / d)
      fail_input(context.what, ": ", label, " has shape ", shape_to_string(dims), ", too large to address");
    count *= d;
  }
  return dims;
}

// Number of values in the typed field that holds elements of `dtype`, and that field's name.
std::pair<int64_t, const char*> typed_field_size(const ::onnx::TensorProto& proto, DType dtype) {
  switch (dtype) {
    case DType::Float32: return {proto.float_data_size(), "float_data"};
    case DType::Float64: return {proto.double_data_size(), "double_data"};
    case DType::Int64: return {proto.int64_data_size(), "int64_data"};
    default: return {proto.int32_data_size(), "int32_data"};  // int32, int16, int8, uint8, bool, float16, bfloat16
  }
}

// Copies a typed repeated field (whose size was checked) into the tensor, converting each element to T.
template <typename T, typename Field>
void copy_typed_field(const Field& field, Tensor& tensor) {
  T* out = static_cast<T*>(tensor.raw());
  for (int i = 0; i < field.size(); ++i) {
    if constexpr (std::is_same_v<T, bool>) out[i] = field.Get(i) != 0;
    else out[i] = static_cast<T>(field.Get(i));
  }
}

// 16-bit floats travel in int32_data as their bit patterns.
template <typename Half>
void copy_half_bits(const ::google::protobuf::RepeatedField<int32_t>& field, Tensor& tensor) {
  Half* out = static_cast<Half*>(tensor.raw());
  for (int i = 0; i < field.size(); ++i) out[i].bits = static_cast<uint16_t>(field.Get(i));
}

void copy_typed_data(const ::onnx::TensorProto& proto, Tensor& tensor) {
  switch (tensor.dtype()) {
    case DType::Float32: return copy_typed_field<float>(proto.float_data(), tensor);
    case DType::Float64: return copy_typed_field<double>(proto.double_data(), tensor);
    case DType::Int64: return copy_typed_field<int64_t>(proto.int64_data(), tensor);
    case DType::Int32: return copy_typed_field<int32_t>(proto.int32_data(), tensor);
    case DType::Int16: return copy_typed_field<int16_t>(proto.int32_data(), tensor);
    case DType::Int8: return copy_typed_field<int8_t>(proto.int32_data(), tensor);
    case DType::UInt8: return copy_typed_field<uint8_t>(proto.int32_data(), tensor);
    case DType::Bool: return copy_typed_field<bool>(proto.int32_data(), tensor);
    case DType::Float16: return copy_half_bits<float16_t>(proto.int32_data(), tensor);
    case DType::BFloat16: return copy_half_bits<bfloat16_t>(proto.int32_data(), tensor);
    case DType::Undefined: break;
  }
  fail_internal("copy_typed_data: undefined dtype");
}

void normalize_bool_bytes(Tensor& tensor) {
  // Any non-zero byte means true; storing anything but 0/1 in a bool would be undefined behaviour.
  if (tensor.dtype() != DType::Bool) return;
  auto* bytes = static_cast<unsigned char*>(tensor.raw());
  for (int64_t i = 0; i < tensor.numel(); ++i) bytes[i] = bytes[i] != 0 ? 1 : 0;
}

}  // namespace

Tensor tensor_from_proto(const ::onnx::TensorProto& proto, const std::string& label, const TensorContext& context) {
  if (!proto.has_data_type())
    fail_input(context.what, ": ", label, " has no data_type");
  const DType dtype = dtype_from_onnx_checked(proto.data_type(), label, context);
  if (proto.has_segment())
    fail_input(context.what, ": ", label, " is stored in segments, which gnnrt does not support; re-save the model "
               "with onnx.save (whole tensors)");
  const Dims dims = checked_dims(proto, dtype, label, context);
  const int64_t numel = element_count(dims);
  const uint64_t nbytes = static_cast<uint64_t>(numel) * dtype_size(dtype);
  const std::string described = cat(dtype_name(dtype), shape_to_string(dims));

  // Every size is checked against the data actually present before allocating, so a file that
  // claims a huge shape cannot make gnnrt allocate (and zero) memory it will never fill.
  if (proto.data_location() == ::onnx::TensorProto_DataLocation_EXTERNAL) {
    Tensor tensor = read_external_data(proto, dtype, dims, label, context);
    normalize_bool_bytes(tensor);
    return tensor;
  }
  if (proto.has_raw_data()) {
    const std::string& raw = proto.raw_data();
    if (raw.size() != nbytes)
      fail_input(context.what, ": ", label, " (", described, ") has ", raw.size(), " bytes of raw_data, expected ", nbytes);
    Tensor tensor(dtype, dims);
    // ONNX raw_data is little-endian, as is every host gnnrt runs on (x86-64, aarch64).
    if (!raw.empty()) std::memcpy(tensor.raw(), raw.data(), raw.size());
    normalize_bool_bytes(tensor);
    return tensor;
  }
  if (numel == 0) return Tensor(dtype, dims);
  const auto [count, field_name] = typed_field_size(proto, dtype);
  if (count != numel)
    fail_input(context.what, ": ", label, " (", described, ") has ", count, " values in ", field_name, ", expected ",
               numel, count == 0 ? " (the tensor has no data)" : "");
  Tensor tensor(dtype, dims);
  copy_typed_data(proto, tensor);
  return tensor;
}

}  // namespace gnnrt::onnx_import
