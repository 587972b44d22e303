// Tensors whose bytes live in a file beside the model (TensorProto.data_location == EXTERNAL),
// as torch's dynamo exporter writes them (model.onnx.data).
#pragma once

#include <string>

#include "gnnrt/tensor.h"
#include "onnx.pb.h"
#include "onnx/tensor_proto.h"

namespace gnnrt::onnx_import {

// Reads the tensor of `dtype` and `dims` from its external file. The location must be relative
// and stay inside the model's folder (symlinks resolved); the file must hold offset + the
// tensor's byte size (checked before allocating). Every failure names the tensor and the file.
Tensor read_external_data(const ::onnx::TensorProto& proto, DType dtype, const Dims& dims, const std::string& label,
                          const TensorContext& context);

}  // namespace gnnrt::onnx_import
