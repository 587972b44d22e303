// Reading an ONNX file and parsing its protobuf, with errors that name the file.
#pragma once

#include <string>

#include "onnx.pb.h"

namespace gnnrt::onnx_import {

// The whole file as bytes. Fails (InvalidInput) naming the file when it cannot be opened or read,
// is a directory, or is empty.
std::string read_model_file(const std::string& path);

// Parses a serialised ModelProto. `what` names the source in messages (usually the file path).
// Fails (InvalidInput) on empty, truncated or non-protobuf bytes and on a model without a graph.
::onnx::ModelProto parse_model_bytes(const std::string& bytes, const std::string& what);

}  // namespace gnnrt::onnx_import
