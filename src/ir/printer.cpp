#include "ir/printer.h"

#include <charconv>
#include <optional>

namespace gnnrt::ir {

namespace {

// Tensor attributes with at most this many elements print their values (Constant nodes).
constexpr int64_t kPrintedTensorElements = 8;

// Graphs enclosing a branch, to find the types of outer values a branch returns.
struct Scope {
  const Graph& graph;
  const Scope* parent;

  std::string type_text(const std::string& value) const {
    for (const Scope* s = this; s; s = s->parent)
      if (auto type = s->graph.type_of(value)) return type->to_string();
    return "?";
  }
};

std::string float_text(double value) {
  char buffer[64];
  const auto result = std::to_chars(buffer, buffer + sizeof(buffer), value);
  return std::string(buffer, result.ptr);
}

std::string float_text(float value) {
  char buffer[64];
  const auto result = std::to_chars(buffer, buffer + sizeof(buffer), value);
  return std::string(buffer, result.ptr);
}

std::string quoted(const std::string& text) {
  std::string out = "\"";
  for (char c : text) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

template <typename T, typename Format>
std::string list_text(const std::vector<T>& values, Format format) {
  std::string text = "[";
  for (size_t i = 0; i < values.size(); ++i) text += (i ? ", " : "") + format(values[i]);
  return text + "]";
}

std::string tensor_text(const Tensor& tensor) {
  if (!tensor.defined()) return "tensor(undefined)";
  std::string text = "tensor(" + tensor.describe();
  if (tensor.numel() <= kPrintedTensorElements) {
    text += " {";
    for (int64_t i = 0; i < tensor.numel(); ++i) {
      if (i) text += ", ";
      if (is_floating(tensor.dtype())) text += float_text(tensor.scalar_as_double(i));
      else text += std::to_string(tensor.scalar_as_int(i));
    }
    text += "}";
  }
  return text + ")";
}

std::string attribute_text(const Attribute& attribute) {
  switch (attribute.kind) {
    case Attribute::Kind::Int: return std::to_string(attribute.i);
    case Attribute::Kind::Float: return float_text(attribute.f);
    case Attribute::Kind::String: return quoted(attribute.s);
    case Attribute::Kind::Ints: return list_text(attribute.ints, [](int64_t v) { return std::to_string(v); });
    case Attribute::Kind::Floats: return list_text(attribute.floats, [](float v) { return float_text(v); });
    case Attribute::Kind::Strings: return list_text(attribute.strings, quoted);
    case Attribute::Kind::Tensor: return tensor_text(attribute.t);
    case Attribute::Kind::Graph: return "<graph>";
  }
  return "?";
}

std::string value_ref(const std::string& name) { return name.empty() ? "%_" : "%" + name; }

void print_body(const Graph& graph, const Scope* parent, const std::string& indent, std::string& out) {
  const Scope scope{graph, parent};
  for (const ValueInfo& input : graph.inputs)
    out += indent + "input " + value_ref(input.name) + " : " + input.type.to_string() + "\n";
  for (const auto& [name, tensor] : graph.initializers)
    out += indent + "initializer " + value_ref(name) + " : " + tensor.describe() + "\n";
  for (const Node& node : graph.nodes) {
    std::string line = indent;
    for (size_t i = 0; i < node.outputs.size(); ++i) line += (i ? ", " : "") + value_ref(node.outputs[i]);
    if (!node.outputs.empty()) line += " = ";
    line += node.domain.empty() || node.domain == "ai.onnx" ? node.op_type : node.domain + "." + node.op_type;
    std::string attributes;
    for (const auto& [key, attribute] : node.attributes) {
      if (attribute.kind == Attribute::Kind::Graph) continue;  // printed as an indented block below
      attributes += (attributes.empty() ? "" : ", ") + key + "=" + attribute_text(attribute);
    }
    if (!attributes.empty()) line += "[" + attributes + "]";
    line += "(";
    for (size_t i = 0; i < node.inputs.size(); ++i) line += (i ? ", " : "") + value_ref(node.inputs[i]);
    line += ")  # " + node.name + " :";
    for (size_t i = 0; i < node.outputs.size(); ++i)
      line += (i ? ", " : " ") + (node.outputs[i].empty() ? std::string("-") : scope.type_text(node.outputs[i]));
    out += line + "\n";
    for (const auto& [key, attribute] : node.attributes) {
      if (attribute.kind != Attribute::Kind::Graph) continue;
      out += indent + "  " + key + ":\n";
      if (attribute.g) print_body(*attribute.g, &scope, indent + "    ", out);
      else out += indent + "    <missing graph>\n";
    }
  }
  for (const ValueInfo& output : graph.outputs)
    out += indent + "output " + value_ref(output.name) + " : " + scope.type_text(output.name) + "\n";
}

}  // namespace

std::string print_graph(const Graph& graph) {
  std::string out = "graph " + (graph.name.empty() ? std::string("<unnamed>") : graph.name) + "\n";
  print_body(graph, nullptr, "  ", out);
  return out;
}

}  // namespace gnnrt::ir
