#include "onnx/model_loader.h"

#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>

#include "gnnrt/error.h"

namespace gnnrt::onnx_import {

std::string read_model_file(const std::string& path) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec))
    fail_input("cannot open ONNX file '", path, "': it is a directory (pass the model.onnx file inside it)");
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> file(std::fopen(path.c_str(), "rb"), &std::fclose);
  if (!file) fail_input("cannot open ONNX file '", path, "': ", std::strerror(errno));

  std::string bytes;
  char buffer[1 << 16];
  while (true) {
    const size_t got = std::fread(buffer, 1, sizeof buffer, file.get());
    bytes.append(buffer, got);
    if (got < sizeof buffer) break;
  }
  if (std::ferror(file.get())) fail_input("cannot read ONNX file '", path, "': ", std::strerror(errno));
  if (bytes.empty()) fail_input("ONNX file '", path, "' is empty (0 bytes); expected an ONNX model");
  return bytes;
}

::onnx::ModelProto parse_model_bytes(const std::string& bytes, const std::string& what) {
  if (bytes.empty()) fail_input(what, " is empty (0 bytes); expected an ONNX model");
  // A protobuf message cannot exceed 2 GiB; bigger models keep their weights in external data.
  if (bytes.size() > static_cast<size_t>(INT_MAX))
    fail_input(what, " is ", bytes.size(),
               " bytes, more than the 2 GiB a protobuf can hold; export with external data "
               "(torch.onnx.export(..., dynamo=True) writes model.onnx.data)");
  ::onnx::ModelProto model;
  if (!model.ParseFromString(bytes))
    fail_input(what, " is not a valid ONNX model: the protobuf could not be parsed (truncated or not an ONNX file?)");
  // Bytes that happen to be valid protobuf wire format but no model (or a model cut at a field
  // boundary) parse without a graph.
  if (!model.has_graph())
    fail_input(what, " is not a valid ONNX model: it has no graph (truncated or not an ONNX file?)");
  return model;
}

}  // namespace gnnrt::onnx_import
