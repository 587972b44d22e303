#include "ir/graph.h"

namespace gnnrt::ir {

std::string Dim::to_string() const {
  if (is_known()) return std::to_string(size);
  if (!symbol.empty()) return symbol;
  return "?";
}

std::string ValueType::to_string() const {
  std::string text(dtype_name(dtype));
  if (!shape) return text + "[?rank]";
  text += "[";
  for (size_t i = 0; i < shape->size(); ++i) {
    if (i) text += ", ";
    text += (*shape)[i].to_string();
  }
  return text + "]";
}

static const char* kind_name(Attribute::Kind kind) {
  switch (kind) {
    case Attribute::Kind::Int: return "int";
    case Attribute::Kind::Float: return "float";
    case Attribute::Kind::String: return "string";
    case Attribute::Kind::Ints: return "ints";
    case Attribute::Kind::Floats: return "floats";
    case Attribute::Kind::Strings: return "strings";
    case Attribute::Kind::Tensor: return "tensor";
    case Attribute::Kind::Graph: return "graph";
  }
  return "?";
}

const Attribute& Node::attr(const std::string& key) const {
  auto it = attributes.find(key);
  if (it == attributes.end()) fail_input(describe(), ": required attribute '", key, "' is missing");
  return it->second;
}

static const Attribute* typed_attr(const Node& node, const std::string& key, Attribute::Kind kind) {
  auto it = node.attributes.find(key);
  if (it == node.attributes.end()) return nullptr;
  if (it->second.kind != kind)
    fail_input(node.describe(), ": attribute '", key, "' should be of kind ", kind_name(kind), ", got ",
               kind_name(it->second.kind));
  return &it->second;
}

int64_t Node::attr_int(const std::string& key, int64_t fallback) const {
  const Attribute* a = typed_attr(*this, key, Attribute::Kind::Int);
  return a ? a->i : fallback;
}

float Node::attr_float(const std::string& key, float fallback) const {
  const Attribute* a = typed_attr(*this, key, Attribute::Kind::Float);
  return a ? a->f : fallback;
}

std::string Node::attr_string(const std::string& key, const std::string& fallback) const {
  const Attribute* a = typed_attr(*this, key, Attribute::Kind::String);
  return a ? a->s : fallback;
}

std::vector<int64_t> Node::attr_ints(const std::string& key) const {
  const Attribute* a = typed_attr(*this, key, Attribute::Kind::Ints);
  return a ? a->ints : std::vector<int64_t>{};
}

std::string Node::describe() const {
  return "node '" + name + "' (" + (domain.empty() ? "" : domain + ".") + op_type + ")";
}

size_t Node::input_count() const {
  size_t count = inputs.size();
  while (count > 0 && inputs[count - 1].empty()) --count;
  return count;
}

const ValueInfo* Graph::find_input(const std::string& value) const {
  for (const ValueInfo& info : inputs)
    if (info.name == value) return &info;
  return nullptr;
}

std::optional<ValueType> Graph::type_of(const std::string& value) const {
  if (const ValueInfo* in = find_input(value)) return in->type;
  if (auto it = initializers.find(value); it != initializers.end()) {
    ValueType type{it->second.dtype(), std::vector<Dim>{}};
    for (int64_t d : it->second.shape()) type.shape->push_back(Dim::known(d));
    return type;
  }
  for (const ValueInfo& out : outputs)
    if (out.name == value && out.type.dtype != DType::Undefined) return out.type;
  if (auto it = value_types.find(value); it != value_types.end()) return it->second;
  return std::nullopt;
}

void collect_reads(const Node& node, std::set<std::string>& reads) {
  for (const std::string& input : node.inputs)
    if (!input.empty()) reads.insert(input);
  for (const auto& [key, attribute] : node.attributes) {
    if (attribute.kind != Attribute::Kind::Graph || !attribute.g) continue;
    for (const Node& inner : attribute.g->nodes) collect_reads(inner, reads);
    for (const ValueInfo& output : attribute.g->outputs) reads.insert(output.name);
  }
}

}  // namespace gnnrt::ir
