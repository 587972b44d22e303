#include "runtime/input_binding.h"

#include "runtime/graph_input_checks.h"

namespace gnnrt::runtime {
namespace {

std::string input_list(const ir::Graph& graph) {
  std::string list;
  for (const ir::ValueInfo& input : graph.inputs) {
    if (!list.empty()) list += ", ";
    list += input.name + " " + input.type.to_string();
  }
  return list.empty() ? "(none)" : list;
}

bool cast_is_customary(DType from, DType to) {
  if (to == DType::Int64) return from == DType::Int32 || from == DType::Int16 || from == DType::UInt8 || from == DType::Int8;
  if (to == DType::Float32) return from == DType::Float64 || from == DType::Float16 || from == DType::UInt8 || from == DType::Bool;
  return false;
}

std::string numpy_name(DType dtype) {
  return dtype == DType::Bool ? "bool_" : std::string(dtype_name(dtype));
}

}  // namespace

Tensor in_declared_dtype(const ir::ValueInfo& declared, const Tensor& tensor, const BindOptions& options,
                         std::vector<std::string>& notes, const std::string& where) {
  const DType expected = declared.type.dtype;
  if (expected == DType::Undefined || tensor.dtype() == expected) return tensor;
  const std::string prefix = where.empty() ? "" : where + ": ";
  if (options.allow_cast && cast_is_customary(tensor.dtype(), expected)) {
    notes.push_back(cat(prefix, "input '", declared.name, "': converted ", dtype_name(tensor.dtype()), " to ",
                        dtype_name(expected)));
    return cast_tensor(tensor, expected);
  }
  fail_input(prefix, "input '", declared.name, "': expected dtype ", dtype_name(expected), ", got ",
             dtype_name(tensor.dtype()), "; convert it (numpy: ", declared.name, ".astype(np.", numpy_name(expected),
             "))", cast_is_customary(tensor.dtype(), expected) ? " or pass --allow-cast to convert it here" : "");
}

BoundInputs bind_inputs(const ir::Graph& graph, const TensorMap& user_inputs, const BindOptions& options) {
  BoundInputs bound;
  for (const auto& [name, tensor] : user_inputs)
    if (!graph.find_input(name))
      fail_input("unknown input '", name, "': the model has no input of that name; its inputs are: ", input_list(graph));

  std::map<std::string, std::string> symbol_source;  // symbol -> "input 'x' dimension 0"
  for (const ir::ValueInfo& declared : graph.inputs) {
    auto it = user_inputs.find(declared.name);
    if (it == user_inputs.end())
      fail_input("missing input '", declared.name, "' (", declared.type.to_string(),
                 "); the model's inputs are: ", input_list(graph));
    Tensor tensor = in_declared_dtype(declared, it->second, options, bound.notes);
    if (declared.type.shape) {
      const std::vector<ir::Dim>& dims = *declared.type.shape;
      if (static_cast<int64_t>(dims.size()) != tensor.rank())
        fail_input("input '", declared.name, "': expected rank ", dims.size(), " (", declared.type.to_string(),
                   "), got rank ", tensor.rank(), " with shape ", shape_to_string(tensor.shape()));
      for (size_t axis = 0; axis < dims.size(); ++axis) {
        const int64_t actual = tensor.dim(static_cast<int64_t>(axis));
        const ir::Dim& dim = dims[axis];
        if (dim.is_known() && dim.size != actual)
          fail_input("input '", declared.name, "': dimension ", axis, " must be ", dim.size, " (",
                     declared.type.to_string(), "), got ", actual, " in shape ", shape_to_string(tensor.shape()),
                     axis == 1 && declared.name == "x" ? "; the model was built for that feature width" : "");
        if (dim.is_symbolic()) {
          auto [entry, inserted] = bound.symbols.emplace(dim.symbol, actual);
          const std::string here = cat("input '", declared.name, "' dimension ", axis);
          if (inserted) {
            symbol_source[dim.symbol] = here;
          } else if (entry->second != actual) {
            fail_input(here, " is '", dim.symbol, "' = ", actual, ", but ", symbol_source[dim.symbol], " gave ",
                       dim.symbol, " = ", entry->second, "; the two must agree");
          }
        }
      }
    }
    bound.tensors[declared.name] = tensor;
  }
  check_graph_inputs(graph, bound.tensors);
  return bound;
}

}  // namespace gnnrt::runtime
