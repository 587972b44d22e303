#include "engine/ir_serialization.h"

#include <algorithm>
#include <cstring>

#include "engine/engine_header.h"
#include "gnnrt/error.h"

namespace gnnrt::engine {

namespace fbs = ::flatbuffers;
using StringList = fbs::Vector<fbs::Offset<fbs::String>>;

// ---------------------------------------------------------------- writing

uint64_t WeightsLayout::place(const Tensor& tensor) {
  GNNRT_CHECK(tensor.defined() && tensor.on_host(), "placing ", tensor.describe(), " in the weights section");
  const uint64_t offset = (size_ + kWeightAlignment - 1) / kWeightAlignment * kWeightAlignment;
  placed_.push_back({tensor, offset});
  size_ = offset + tensor.nbytes();
  return offset;
}

fbs::Offset<StringList> write_strings(fbs::FlatBufferBuilder& builder, const std::vector<std::string>& strings) {
  std::vector<fbs::Offset<fbs::String>> offsets;
  offsets.reserve(strings.size());
  for (const std::string& text : strings) offsets.push_back(builder.CreateString(text));
  return builder.CreateVector(offsets);
}

namespace {

fb::AttributeKind to_schema(ir::Attribute::Kind kind) {
  switch (kind) {
    case ir::Attribute::Kind::Int: return fb::AttributeKind::Int;
    case ir::Attribute::Kind::Float: return fb::AttributeKind::Float;
    case ir::Attribute::Kind::String: return fb::AttributeKind::String;
    case ir::Attribute::Kind::Ints: return fb::AttributeKind::Ints;
    case ir::Attribute::Kind::Floats: return fb::AttributeKind::Floats;
    case ir::Attribute::Kind::Strings: return fb::AttributeKind::Strings;
    case ir::Attribute::Kind::Tensor: return fb::AttributeKind::Tensor;
    case ir::Attribute::Kind::Graph: return fb::AttributeKind::Graph;
  }
  fail_internal("attribute kind ", static_cast<int>(kind), " has no engine encoding");
}

// Builds the tables bottom-up, as FlatBuffers requires: children before their parent.
class ModelWriter {
 public:
  ModelWriter(fbs::FlatBufferBuilder& builder, WeightsLayout& weights) : b_(builder), weights_(weights) {}

  fbs::Offset<fb::Model> model(const ir::Model& m) {
    const auto graph_table = graph(m.graph);
    const auto producer = b_.CreateString(m.producer);
    const auto source_path = b_.CreateString(m.source_path);
    return fb::CreateModel(b_, graph_table, m.opset, m.ir_version, producer, source_path);
  }

 private:
  fbs::Offset<fb::ValueType> value_type(const ir::ValueType& type) {
    std::vector<fbs::Offset<fb::Dim>> dims;
    if (type.shape) {
      for (const ir::Dim& dim : *type.shape) {
        const auto symbol = b_.CreateString(dim.symbol);
        dims.push_back(fb::CreateDim(b_, dim.size, symbol));
      }
    }
    const auto shape = b_.CreateVector(dims);
    return fb::CreateValueType(b_, static_cast<uint8_t>(type.dtype), type.shape.has_value(), shape);
  }

  fbs::Offset<fb::ValueInfo> value_info(const ir::ValueInfo& info) {
    const auto name = b_.CreateString(info.name);
    const auto type = value_type(info.type);
    return fb::CreateValueInfo(b_, name, type);
  }

  fbs::Offset<fb::TensorRef> tensor(const Tensor& t) {
    const uint64_t offset = weights_.place(t);
    const auto shape = b_.CreateVector(t.shape());
    return fb::CreateTensorRef(b_, static_cast<uint8_t>(t.dtype()), shape, offset, t.nbytes());
  }

  fbs::Offset<fb::Attribute> attribute(const std::string& key, const ir::Attribute& a) {
    using Kind = ir::Attribute::Kind;
    const auto name = b_.CreateString(key);
    fbs::Offset<fbs::String> s;
    fbs::Offset<fbs::Vector<int64_t>> ints;
    fbs::Offset<fbs::Vector<float>> floats;
    fbs::Offset<StringList> strings;
    fbs::Offset<fb::TensorRef> t;
    fbs::Offset<fb::Graph> g;
    switch (a.kind) {
      case Kind::Int:
      case Kind::Float: break;
      case Kind::String: s = b_.CreateString(a.s); break;
      case Kind::Ints: ints = b_.CreateVector(a.ints); break;
      case Kind::Floats: floats = b_.CreateVector(a.floats); break;
      case Kind::Strings: strings = write_strings(b_, a.strings); break;
      case Kind::Tensor: t = tensor(a.t); break;
      case Kind::Graph:
        GNNRT_CHECK(a.g != nullptr, "graph attribute '", key, "' without a graph");
        g = graph(*a.g);
        break;
    }
    return fb::CreateAttribute(b_, name, to_schema(a.kind), a.kind == Kind::Int ? a.i : 0,
                               a.kind == Kind::Float ? a.f : 0.0f, s, ints, floats, strings, t, g);
  }

  fbs::Offset<fb::Node> node(const ir::Node& n) {
    std::vector<fbs::Offset<fb::Attribute>> attributes;
    for (const auto& [key, value] : n.attributes) attributes.push_back(attribute(key, value));
    const auto name = b_.CreateString(n.name);
    const auto op_type = b_.CreateString(n.op_type);
    const auto domain = b_.CreateString(n.domain);
    const auto inputs = write_strings(b_, n.inputs);
    const auto outputs = write_strings(b_, n.outputs);
    const auto attribute_list = b_.CreateVector(attributes);
    return fb::CreateNode(b_, name, op_type, domain, inputs, outputs, attribute_list);
  }

  fbs::Offset<fb::Graph> graph(const ir::Graph& g) {
    std::vector<fbs::Offset<fb::ValueInfo>> inputs, outputs;
    for (const ir::ValueInfo& info : g.inputs) inputs.push_back(value_info(info));
    for (const ir::ValueInfo& info : g.outputs) outputs.push_back(value_info(info));
    std::vector<fbs::Offset<fb::Initializer>> initializers;
    for (const auto& [key, weight] : g.initializers) {
      const auto name = b_.CreateString(key);
      const auto ref = tensor(weight);
      initializers.push_back(fb::CreateInitializer(b_, name, ref));
    }
    std::vector<fbs::Offset<fb::Node>> nodes;
    for (const ir::Node& n : g.nodes) nodes.push_back(node(n));
    std::vector<fbs::Offset<fb::NamedValueType>> value_types;
    for (const auto& [key, type] : g.value_types) {
      const auto name = b_.CreateString(key);
      const auto type_table = value_type(type);
      value_types.push_back(fb::CreateNamedValueType(b_, name, type_table));
    }
    const auto name = b_.CreateString(g.name);
    const auto input_list = b_.CreateVector(inputs);
    const auto output_list = b_.CreateVector(outputs);
    const auto initializer_list = b_.CreateVector(initializers);
    const auto node_list = b_.CreateVector(nodes);
    const auto value_type_list = b_.CreateVector(value_types);
    return fb::CreateGraph(b_, name, input_list, output_list, initializer_list, node_list, value_type_list);
  }

  fbs::FlatBufferBuilder& b_;
  WeightsLayout& weights_;
};

}  // namespace

fbs::Offset<fb::Model> write_model(fbs::FlatBufferBuilder& builder, const ir::Model& model, WeightsLayout& weights) {
  return ModelWriter(builder, weights).model(model);
}

// ---------------------------------------------------------------- reading

MetadataReader::MetadataReader(const WeightsSection& weights, uint64_t metadata_size, std::string what)
    // Every byte charged is a distinct byte of a well-formed metadata section, so its size (plus
    // slack) bounds a legitimate file; only tables that share data exceed it.
    : weights_(weights), budget_(metadata_size + 4096), what_(std::move(what)) {}

void MetadataReader::charge(uint64_t bytes) {
  if (bytes > budget_)
    invalid("metadata", "its tables refer to the same data more often than a file of its size can");
  budget_ -= bytes;
}

void MetadataReader::visit_table() { charge(4); }

std::string MetadataReader::string(const fbs::String* text) {
  if (!text) return {};
  charge(uint64_t{4} + text->size());
  return std::string(text->c_str(), text->size());
}

std::vector<std::string> MetadataReader::strings(const StringList* list) {
  std::vector<std::string> result;
  if (!list) return result;
  charge(4);
  result.reserve(list->size());
  for (const fbs::String* text : *list) result.push_back(string(text));
  return result;
}

std::vector<int64_t> MetadataReader::longs(const fbs::Vector<int64_t>* list) {
  if (!list) return {};
  charge(uint64_t{4} + uint64_t{8} * list->size());
  std::vector<int64_t> result(list->size());
  // memcpy: the verifier checked the bytes lie inside the buffer; little-endian like the file.
  if (!result.empty()) std::memcpy(result.data(), list->data(), result.size() * sizeof(int64_t));
  return result;
}

DType MetadataReader::dtype(uint8_t value, bool allow_undefined, const std::string& where) const {
  if (value > static_cast<uint8_t>(DType::Bool) || (value == 0 && !allow_undefined))
    invalid(where, "dtype enum value ", static_cast<int>(value), " is not ",
            allow_undefined ? "a gnnrt dtype" : "a tensor dtype (1 to 10)");
  return static_cast<DType>(value);
}

ir::ValueType MetadataReader::value_type(const fb::ValueType* type, const std::string& where) {
  if (!type) invalid(where, "the value type is missing");
  visit_table();
  ir::ValueType result;
  result.dtype = dtype(type->dtype(), true, where);
  const auto* dims = type->shape();
  if (!type->has_shape()) {
    if (dims && dims->size() != 0) invalid(where, "a shape of unknown rank lists ", dims->size(), " dimensions");
    return result;
  }
  result.shape.emplace();
  if (!dims) return result;
  charge(4);
  result.shape->reserve(dims->size());
  for (const fb::Dim* dim : *dims) {
    visit_table();
    if (dim->size() < -1)
      invalid(where, "dimension ", result.shape->size(), " has size ", dim->size(), " (expected >= 0, or -1 when not known)");
    result.shape->push_back(ir::Dim{dim->size(), string(dim->symbol())});
  }
  return result;
}

Tensor MetadataReader::tensor(const fb::TensorRef* ref, const std::string& where) {
  if (!ref) invalid(where, "the tensor is missing");
  visit_table();
  const DType element_type = dtype(ref->dtype(), false, where);
  Dims shape = longs(ref->shape());
  uint64_t numel = 1;
  for (int64_t d : shape) {
    if (d < 0) invalid(where, "tensor shape ", shape_to_string(shape), " has a negative dimension");
    if (__builtin_mul_overflow(numel, static_cast<uint64_t>(d), &numel) ||
        numel > static_cast<uint64_t>(INT64_MAX))
      invalid(where, "tensor shape ", shape_to_string(shape), " has more elements than int64 can count");
  }
  uint64_t bytes = 0;
  if (__builtin_mul_overflow(numel, static_cast<uint64_t>(dtype_size(element_type)), &bytes))
    invalid(where, "tensor ", dtype_name(element_type), shape_to_string(shape), " is too large");
  const std::string described = cat(dtype_name(element_type), shape_to_string(shape));
  if (bytes != ref->byte_size())
    invalid(where, "tensor ", described, " needs ", bytes, " bytes, the file records ", ref->byte_size());
  const uint64_t offset = ref->offset();
  if (offset % kWeightAlignment != 0)
    invalid(where, "tensor ", described, " starts at weights offset ", offset, ", not a multiple of ", kWeightAlignment);
  if (offset > weights_.size || bytes > weights_.size - offset)
    invalid(where, "tensor ", described, " at weights bytes [", offset, ", ", offset, " + ", bytes,
            ") lies outside the ", weights_.size, "-byte weights section");
  if (bytes == 0) return Tensor(element_type, std::move(shape));
  tensor_ranges_.push_back({offset, bytes, where});
  const uint8_t* source = weights_.data + offset;
  if (weights_.owner)  // the mapping is private and writable, so a view may be written to (copy-on-write)
    return Tensor::view(element_type, std::move(shape), weights_.owner, const_cast<uint8_t*>(source));
  Tensor copy(element_type, std::move(shape));
  std::memcpy(copy.raw(), source, bytes);
  return copy;
}

ir::Attribute MetadataReader::attribute(const fb::Attribute& a, const std::string& where) {
  using Kind = ir::Attribute::Kind;
  visit_table();
  ir::Attribute result;
  switch (a.kind()) {
    case fb::AttributeKind::Int: result.kind = Kind::Int; result.i = a.i(); break;
    case fb::AttributeKind::Float: result.kind = Kind::Float; result.f = a.f(); break;
    case fb::AttributeKind::String: result.kind = Kind::String; result.s = string(a.s()); break;
    case fb::AttributeKind::Ints: result.kind = Kind::Ints; result.ints = longs(a.ints()); break;
    case fb::AttributeKind::Floats: {
      result.kind = Kind::Floats;
      if (const auto* values = a.floats()) {
        charge(uint64_t{4} + uint64_t{4} * values->size());
        result.floats.resize(values->size());
        // memcpy keeps every bit, NaN payloads included.
        if (!result.floats.empty()) std::memcpy(result.floats.data(), values->data(), result.floats.size() * sizeof(float));
      }
      break;
    }
    case fb::AttributeKind::Strings: result.kind = Kind::Strings; result.strings = strings(a.strings()); break;
    case fb::AttributeKind::Tensor: result.kind = Kind::Tensor; result.t = tensor(a.t(), where); break;
    case fb::AttributeKind::Graph:
      result.kind = Kind::Graph;
      if (!a.g()) invalid(where, "the subgraph is missing");
      result.g = std::make_shared<ir::Graph>(graph(a.g(), where));
      break;
    default: invalid(where, "attribute kind ", static_cast<int>(a.kind()), " is not one gnnrt knows (0 to 7)");
  }
  return result;
}

ir::Node MetadataReader::node(const fb::Node& n, const std::string& where) {
  visit_table();
  ir::Node result;
  result.name = string(n.name());
  result.op_type = string(n.op_type());
  result.domain = string(n.domain());
  result.inputs = strings(n.inputs());
  result.outputs = strings(n.outputs());
  const std::string at = where + " " + result.describe();
  if (const auto* attributes = n.attributes()) {
    charge(4);
    for (const fb::Attribute* a : *attributes) {
      const std::string key = string(a->name());
      const std::string attribute_at = at + " attribute '" + key + "'";
      if (result.attributes.count(key)) invalid(attribute_at, "the attribute is listed twice");
      result.attributes.emplace(key, attribute(*a, attribute_at));
    }
  }
  return result;
}

ir::Graph MetadataReader::graph(const fb::Graph* g, const std::string& where) {
  if (!g) invalid(where, "the graph is missing");
  visit_table();
  ir::Graph result;
  result.name = string(g->name());
  const std::string at = (where.empty() ? "" : where + " ") + "graph '" + result.name + "'";
  // The graph's inputs or outputs (`role`): a name and a type each.
  const auto value_infos = [&](const auto* list, const char* role) {
    std::vector<ir::ValueInfo> infos;
    if (!list) return infos;
    charge(4);
    for (const fb::ValueInfo* info : *list) {
      visit_table();
      std::string name = string(info->name());
      ir::ValueType type = value_type(info->type(), at + " " + role + " '" + name + "'");
      infos.push_back({std::move(name), std::move(type)});
    }
    return infos;
  };
  result.inputs = value_infos(g->inputs(), "input");
  result.outputs = value_infos(g->outputs(), "output");
  if (const auto* initializers = g->initializers()) {
    charge(4);
    for (const fb::Initializer* initializer : *initializers) {
      visit_table();
      const std::string name = string(initializer->name());
      const std::string initializer_at = at + " initializer '" + name + "'";
      if (result.initializers.count(name)) invalid(initializer_at, "the initializer is listed twice");
      result.initializers.emplace(name, tensor(initializer->tensor(), initializer_at));
    }
  }
  if (const auto* nodes = g->nodes()) {
    charge(4);
    result.nodes.reserve(nodes->size());
    for (const fb::Node* n : *nodes) result.nodes.push_back(node(*n, at));
  }
  if (const auto* value_types = g->value_types()) {
    charge(4);
    for (const fb::NamedValueType* entry : *value_types) {
      visit_table();
      const std::string name = string(entry->name());
      const std::string value_at = at + " value '" + name + "'";
      if (result.value_types.count(name)) invalid(value_at, "the value's type is listed twice");
      result.value_types.emplace(name, value_type(entry->type(), value_at));
    }
  }
  return result;
}

ir::Model MetadataReader::model(const fb::Model& m) {
  visit_table();
  ir::Model result;
  result.graph = graph(m.graph(), "");
  result.opset = m.opset();
  result.ir_version = m.ir_version();
  result.producer = string(m.producer());
  result.source_path = string(m.source_path());
  return result;
}

void MetadataReader::check_tensors_disjoint() {
  std::sort(tensor_ranges_.begin(), tensor_ranges_.end(),
            [](const Range& a, const Range& b) { return a.offset < b.offset; });
  for (size_t i = 1; i < tensor_ranges_.size(); ++i) {
    const Range& previous = tensor_ranges_[i - 1];
    const Range& current = tensor_ranges_[i];
    if (previous.offset + previous.size > current.offset)
      invalid(current.where, "its bytes [", current.offset, ", +", current.size, ") overlap those of ",
              previous.where, " [", previous.offset, ", +", previous.size, ") in the weights section");
  }
}

}  // namespace gnnrt::engine
