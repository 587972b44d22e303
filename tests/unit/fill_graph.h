// A one-node graph whose output size is an input's value: out = ConstantOfShape(shape) filled with
// `value`. The out-of-memory tests (host and device) ask it for more than can be allocated, then
// for a normal size, to check the error and that the executor keeps working.
#pragma once

#include <cstdint>

#include "ir/graph.h"
#include "runtime/structure_cache.h"

namespace gnnrt::testing {

inline ir::Graph constant_of_shape_graph(float value) {
  ir::Graph graph;
  graph.name = "fill";
  graph.inputs.push_back({"shape", {DType::Int64, std::vector<ir::Dim>{ir::Dim::known(1)}}});
  graph.outputs.push_back({"out", {DType::Float32, std::nullopt}});
  ir::Node node;
  node.name = "fill";
  node.op_type = "ConstantOfShape";
  node.inputs = {"shape"};
  node.outputs = {"out"};
  ir::Attribute fill;
  fill.kind = ir::Attribute::Kind::Tensor;
  fill.t = Tensor(DType::Float32, {1});
  fill.t.data<float>()[0] = value;
  node.attributes["value"] = fill;
  graph.nodes.push_back(node);
  return graph;
}

inline runtime::TensorMap shape_input(int64_t elements) {
  Tensor shape(DType::Int64, {1});
  shape.data<int64_t>()[0] = elements;
  return {{"shape", shape}};
}

}  // namespace gnnrt::testing
