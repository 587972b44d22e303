// The up-front check that lists every node gnnrt cannot import, all at once, before any
// conversion work: op types and domains outside the op table, ops newer than the model's opset,
// and attribute values the kernels do not implement.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "gnnrt/onnx_support.h"
#include "onnx.pb.h"

namespace gnnrt::onnx_import {

// Opset version by domain, as the model declares it; the default domain is stored under "".
using OpsetMap = std::map<std::string, int64_t>;

using UnsupportedNode = ::gnnrt::UnsupportedNode;

// Walks `graph` and all its subgraphs; every unsupported node, in graph order.
std::vector<UnsupportedNode> find_unsupported(const ::onnx::GraphProto& graph, const OpsetMap& opsets);

// The same walk; throws one InvalidInput error listing every unsupported node (name, op type,
// domain, opset and, for attribute problems, the reason), then a hint.
void check_supported(const ::onnx::GraphProto& graph, const OpsetMap& opsets, const std::string& what);

}  // namespace gnnrt::onnx_import
