// Inlining of model-local functions (ModelProto.functions), which torch's dynamo exporter can
// emit (e.g. domain "pkg.onnxscript.torch_lib"). After inlining, every node is an ordinary op.
#pragma once

#include <cstddef>
#include <string>

#include "onnx.pb.h"
#include "onnx/unique_names.h"

namespace gnnrt::onnx_import {

// Replaces every call of a model-local function, in the main graph, its subgraphs and (recursively)
// in function bodies, by the function's body: internal values get unique names, formal inputs and
// outputs are bound to the call's values, and attribute references (ref_attr_name) take the call's
// attribute values (or the function's defaults). `names` must already hold every value name of
// the model. Returns the number of calls inlined. Fails (InvalidInput) on recursive functions and
// calls with more inputs/outputs than the function declares.
size_t inline_local_functions(::onnx::ModelProto& model, UniqueNames& names, const std::string& what);

}  // namespace gnnrt::onnx_import
