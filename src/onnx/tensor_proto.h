// ONNX TensorProto -> gnnrt::Tensor: dims, dtype, raw_data, the typed *_data fields and
// external data.
#pragma once

#include <cstdint>
#include <string>

#include "gnnrt/tensor.h"
#include "onnx.pb.h"

namespace gnnrt::onnx_import {

// Where tensors come from, for messages and for external data.
struct TensorContext {
  std::string what;      // the model (file path), prefixed to every message
  std::string base_dir;  // the model's folder, where external data is looked up; "" = none allowed
};

// Converts a TensorProto. `label` says which tensor it is in messages ("initializer 'w'",
// "attribute 'value' of node 'Constant_3'"). Fails (InvalidInput) on an unsupported element type,
// negative dims, data whose size does not match the shape, and bad external data.
Tensor tensor_from_proto(const ::onnx::TensorProto& proto, const std::string& label, const TensorContext& context);

// The dtype of an ONNX element type; fails naming `label` when gnnrt does not handle it.
DType dtype_from_onnx_checked(int32_t onnx_type, const std::string& label, const TensorContext& context);

// "float", "int64", "string", ... for ONNX TensorProto.DataType numbers (messages only).
std::string onnx_type_name(int32_t onnx_type);

}  // namespace gnnrt::onnx_import
