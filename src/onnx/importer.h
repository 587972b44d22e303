// The ONNX importer's entry points: an ONNX file (or its bytes) in, a gnnrt IR model out.
//
// Steps: parse the protobuf, check the declared opsets, inline model-local functions, list every
// unsupported node at once, convert graphs (weights, external data, attributes, subgraphs),
// normalise ops to their opset-18 forms, and sort/check the node order.
#pragma once

#include <string>
#include <vector>

#include "gnnrt/onnx_support.h"
#include "ir/graph.h"

namespace gnnrt::onnx_import {

using UnsupportedNode = ::gnnrt::UnsupportedNode;

struct ImportOptions {
  bool verbose = false;  // print a summary of the import to stderr
  // Keep unsupported nodes in the IR instead of failing on them (for `gnnrt inspect`, which lists
  // them); attributes of such nodes that gnnrt cannot represent are dropped. Never use the result
  // to run a model.
  bool allow_unsupported = false;
};

// Reads and converts a model; throws gnnrt::Error(InvalidInput) naming the file/node for any problem.
ir::Model import_onnx_file(const std::string& path, const ImportOptions& options = {});

// The nodes import_onnx_file would refuse as unsupported (after inlining model-local functions),
// without converting anything (gnnrt/onnx_support.h). Fails as the importer does on unreadable
// files and opsets out of range.
std::vector<UnsupportedNode> find_unsupported_in_file(const std::string& path);

// Same, from bytes already in memory; `base_dir` is where external data is looked up ("" = none
// allowed); `what` names the model in messages.
ir::Model import_onnx_bytes(const std::string& bytes, const std::string& base_dir, const std::string& what,
                            const ImportOptions& options = {});

}  // namespace gnnrt::onnx_import
