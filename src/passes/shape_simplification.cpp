#include "passes/shape_simplification.h"

#include <algorithm>
#include <map>

namespace gnnrt::passes {
namespace {

using Scope = std::vector<const ir::Graph*>;  // the graph first, then the graphs enclosing it

// Known sizes or named symbols everywhere: a type two values can be compared by.
bool fully_described(const ir::ValueType& type) {
  if (type.dtype == DType::Undefined || !type.shape) return false;
  for (const ir::Dim& dim : *type.shape)
    if (!dim.is_known() && !dim.is_symbolic()) return false;
  return true;
}

bool all_known(const std::vector<ir::Dim>& dims) {
  return std::all_of(dims.begin(), dims.end(), [](const ir::Dim& dim) { return dim.is_known(); });
}

Tensor int64_constant(const std::vector<int64_t>& values, const Dims& shape) {
  Tensor tensor(DType::Int64, shape);
  std::copy(values.begin(), values.end(), tensor.data<int64_t>());
  return tensor;
}

const Tensor* constant_in_scope(const Scope& scope, const std::string& name) {
  for (const ir::Graph* graph : scope)
    if (auto it = graph->initializers.find(name); it != graph->initializers.end()) return &it->second;
  return nullptr;
}

class Simplifier {
 public:
  size_t folded = 0;   // shape queries turned into constants
  size_t removed = 0;  // no-op nodes removed

  void simplify_graph(ir::Graph& graph, Scope scope) {
    // The dims each Shape output of this graph stands for, for Gather(Shape(x), i).
    std::map<std::string, std::vector<ir::Dim>> shape_dims;
    size_t i = 0;
    while (i < graph.nodes.size()) {
      ir::Node& node = graph.nodes[i];
      if (has_subgraph(node)) {
        for (auto& [key, attribute] : node.attributes) {
          if (attribute.kind != ir::Attribute::Kind::Graph || !attribute.g) continue;
          Scope inner{attribute.g.get()};
          inner.insert(inner.end(), scope.begin(), scope.end());
          simplify_graph(*attribute.g, inner);
        }
        ++i;
        continue;
      }
      if (!node.domain.empty() || node.outputs.size() != 1 || node.outputs[0].empty() ||
          is_graph_output(graph, node.outputs[0])) {
        ++i;
        continue;
      }
      const std::string& output = node.outputs[0];
      if (node.op_type == "Shape") {
        if (auto dims = dims_of_shape(node, scope)) {
          shape_dims[output] = *dims;
          if (all_known(*dims)) {
            std::vector<int64_t> sizes;
            for (const ir::Dim& dim : *dims) sizes.push_back(dim.size);
            replace_by_constant(graph, i, int64_constant(sizes, {static_cast<int64_t>(sizes.size())}));
            continue;
          }
          if (scope.size() == 1 && reanchor_shape(graph, i, *dims)) continue;
        }
      } else if (node.op_type == "Size") {
        if (auto size = static_size(node, scope)) {
          replace_by_constant(graph, i, int64_constant({*size}, {}));
          continue;
        }
      } else if (node.op_type == "Gather" && node.has_input(0) && shape_dims.count(node.inputs[0])) {
        if (auto value = picked_dims(node, shape_dims.at(node.inputs[0]), scope)) {
          replace_by_constant(graph, i, std::move(*value));
          continue;
        }
      } else if (is_no_op(node, scope)) {
        const std::string input = node.inputs[0];
        replace_uses(graph, output, input);
        graph.value_types.erase(output);
        graph.nodes.erase(graph.nodes.begin() + static_cast<std::ptrdiff_t>(i));
        ++removed;
        continue;
      }
      ++i;
    }
  }

 private:
  // Shape(v) of an intermediate v whose dims are known sizes or symbols that an earlier value (a
  // graph input first) also has: the same sizes read from those values instead. Then v's shape no
  // longer keeps v's producer alive or ties shape arithmetic to the feature path: Shape of the
  // [E, F] messages becomes Shape(edge_index)[1:2] (the mean aggregation's count), Shape of a hidden
  // layer [num_nodes, 16] becomes Concat(Shape(x)[0:1], [16]). The anchors are defined before v's
  // producer, so repeated rewrites move strictly earlier and stop.
  bool reanchor_shape(ir::Graph& graph, size_t& i, const std::vector<ir::Dim>& dims) {
    const std::string v = graph.nodes[i].inputs[0];
    std::map<std::string, size_t> producer;
    for (size_t n = 0; n < graph.nodes.size(); ++n)
      for (const std::string& out : graph.nodes[n].outputs) producer[out] = n;
    auto v_producer = producer.find(v);
    if (v_producer == producer.end()) return false;  // a graph input or an initializer
    struct Anchor {
      std::string value;
      int64_t dim = 0;
    };
    auto find_anchor = [&](const ir::Dim& wanted) -> std::optional<Anchor> {
      auto search = [&](const std::string& value) -> std::optional<Anchor> {
        const auto type = graph.type_of(value);
        if (!type || !type->shape) return std::nullopt;
        for (size_t d = 0; d < type->shape->size(); ++d)
          if ((*type->shape)[d].is_symbolic() && (*type->shape)[d].symbol == wanted.symbol)
            return Anchor{value, static_cast<int64_t>(d)};
        return std::nullopt;
      };
      for (const ir::ValueInfo& input : graph.inputs)
        if (auto anchor = search(input.name)) return anchor;
      for (size_t n = 0; n < v_producer->second; ++n)
        for (const std::string& out : graph.nodes[n].outputs)
          if (!out.empty())
            if (auto anchor = search(out)) return anchor;
      return std::nullopt;
    };
    std::vector<std::optional<Anchor>> anchors;
    for (const ir::Dim& dim : dims) {
      if (dim.is_known()) {
        anchors.push_back(std::nullopt);
        continue;
      }
      if (!dim.is_symbolic()) return false;
      anchors.push_back(find_anchor(dim));
      if (!anchors.back()) return false;
    }
    std::set<std::string> taken;
    collect_defined_names(graph, taken);
    for (const ir::Node& node : graph.nodes) taken.insert(node.name);
    auto fresh = [&taken](const std::string& base) {
      std::string name = base;
      for (int k = 2; taken.count(name); ++k) name = cat(base, "_", k);
      taken.insert(name);
      return name;
    };
    auto shape_of_dim = [](const std::string& name, const std::string& output, const Anchor& anchor) {
      ir::Node shape;
      shape.name = name;
      shape.op_type = "Shape";
      shape.inputs = {anchor.value};
      shape.outputs = {output};
      for (const auto& [key, bound] : {std::pair<const char*, int64_t>{"start", anchor.dim}, {"end", anchor.dim + 1}}) {
        ir::Attribute attribute;
        attribute.kind = ir::Attribute::Kind::Int;
        attribute.i = bound;
        shape.attributes[key] = attribute;
      }
      return shape;
    };
    ir::Node& node = graph.nodes[i];
    const std::string output = node.outputs[0], base = node.name;
    if (dims.size() == 1) {
      node = shape_of_dim(base, output, *anchors[0]);
      graph.value_types.erase(output);
      ++folded;
      ++i;
      return true;
    }
    ir::Node concat;
    concat.name = fresh(base + "/concat");
    concat.op_type = "Concat";
    ir::Attribute axis;
    axis.kind = ir::Attribute::Kind::Int;
    axis.i = 0;
    concat.attributes["axis"] = axis;
    concat.outputs = {output};
    std::vector<ir::Node> parts;
    for (size_t d = 0; d < dims.size(); ++d) {
      const std::string part = fresh(cat(output, "/dim", d));
      if (anchors[d]) parts.push_back(shape_of_dim(fresh(cat(base, "/dim", d)), part, *anchors[d]));
      else graph.initializers[part] = int64_constant({dims[d].size}, {1});
      concat.inputs.push_back(part);
    }
    graph.value_types.erase(output);
    graph.nodes[i] = std::move(concat);
    graph.nodes.insert(graph.nodes.begin() + static_cast<std::ptrdiff_t>(i), parts.begin(), parts.end());
    i += parts.size() + 1;
    ++folded;
    return true;
  }

  void replace_by_constant(ir::Graph& graph, size_t index, Tensor value) {
    const std::string output = graph.nodes[index].outputs[0];
    graph.initializers[output] = std::move(value);
    graph.value_types.erase(output);
    graph.nodes.erase(graph.nodes.begin() + static_cast<std::ptrdiff_t>(index));
    ++folded;
  }

  // The dims Shape(x) returns, from x's inferred type (start/end clamped as the spec says);
  // nullopt when x's rank is unknown.
  static std::optional<std::vector<ir::Dim>> dims_of_shape(const ir::Node& node, const Scope& scope) {
    if (!node.has_input(0)) return std::nullopt;
    const auto type = type_in_scope(scope, node.inputs[0]);
    if (!type || !type->shape) return std::nullopt;
    const int64_t rank = static_cast<int64_t>(type->shape->size());
    auto clamp_bound = [rank](int64_t v) { return std::clamp<int64_t>(v < 0 ? v + rank : v, 0, rank); };
    const int64_t start = clamp_bound(node.attr_int("start", 0));
    const int64_t end = clamp_bound(node.attr_int("end", rank));
    std::vector<ir::Dim> dims;
    for (int64_t d = start; d < end; ++d) dims.push_back((*type->shape)[static_cast<size_t>(d)]);
    return dims;
  }

  static std::optional<int64_t> static_size(const ir::Node& node, const Scope& scope) {
    if (!node.has_input(0)) return std::nullopt;
    const auto type = type_in_scope(scope, node.inputs[0]);
    return type ? static_element_count(*type) : std::nullopt;
  }

  // Gather(Shape(x), indices) with constant indices that pick only known dims: those sizes, in
  // the indices' shape.
  static std::optional<Tensor> picked_dims(const ir::Node& node, const std::vector<ir::Dim>& dims, const Scope& scope) {
    if (!node.has_input(1)) return std::nullopt;
    const Tensor* indices = constant_in_scope(scope, node.inputs[1]);
    if (!indices || !indices->on_host() || !is_integer(indices->dtype())) return std::nullopt;
    const int64_t axis = node.attr_int("axis", 0);
    if (axis != 0 && axis != -1) return std::nullopt;  // a shape is 1-D: anything else is the kernel's error to report
    const int64_t length = static_cast<int64_t>(dims.size());
    std::vector<int64_t> sizes;
    for (int64_t k = 0; k < indices->numel(); ++k) {
      int64_t index = indices->scalar_as_int(k);
      if (index < -length || index >= length) return std::nullopt;  // out of range: left to fail at run time
      if (index < 0) index += length;
      const ir::Dim& dim = dims[static_cast<size_t>(index)];
      if (!dim.is_known()) return std::nullopt;
      sizes.push_back(dim.size);
    }
    return int64_constant(sizes, indices->shape());
  }

  // A node whose output equals its first input for every input the model accepts.
  static bool is_no_op(const ir::Node& node, const Scope& scope) {
    const std::string& op = node.op_type;
    if (!node.has_input(0)) return false;
    if (op == "Identity") return true;
    if (op == "Concat" || op == "Max" || op == "Min" || op == "Sum" || op == "Mean") return node.input_count() == 1;
    const auto input = type_in_scope(scope, node.inputs[0]);
    if (!input || input->dtype == DType::Undefined) return false;
    if (op == "Cast") {
      if (!node.has_attribute("to")) return false;
      return dtype_from_onnx(static_cast<int32_t>(node.attr_int("to", 0))) == input->dtype;
    }
    const bool shape_op = op == "Reshape" || op == "Squeeze" || op == "Unsqueeze" || op == "Flatten" ||
                          op == "Expand" || op == "Slice";
    if (!shape_op) return false;
    // Squeeze without axes drops every dim of size 1: a symbolic dim might be 1 at run time.
    if (op == "Squeeze" && !node.has_input(1) && !node.has_attribute("axes") && !static_element_count(*input))
      return false;
    // Slice with a step other than 1 may keep the shape and still reverse or permute the data.
    if (op == "Slice" && node.has_input(4)) {
      const Tensor* steps = constant_in_scope(scope, node.inputs[4]);
      if (!steps || !steps->on_host() || !is_integer(steps->dtype())) return false;
      for (int64_t k = 0; k < steps->numel(); ++k)
        if (steps->scalar_as_int(k) != 1) return false;
    }
    const auto output = type_in_scope(scope, node.outputs[0]);
    if (!output || !fully_described(*input) || !fully_described(*output)) return false;
    return input->dtype == output->dtype && *input->shape == *output->shape;
  }
};

}  // namespace

PassResult ShapeSimplification::run(ir::Graph& graph, PassContext& context) {
  Simplifier simplifier;
  simplifier.simplify_graph(graph, {&graph});
  PassResult result;
  result.changes = simplifier.folded + simplifier.removed;
  result.summary = cat("folded ", simplifier.folded, simplifier.folded == 1 ? " shape query" : " shape queries",
                       " to constants, removed ", simplifier.removed, simplifier.removed == 1 ? " no-op node" : " no-op nodes");
  return result;
}

}  // namespace gnnrt::passes
