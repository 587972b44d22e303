// Small helpers that build ONNX ModelProtos in C++ for the importer tests.
#pragma once

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <string>
#include <variant>
#include <vector>

#include "onnx.pb.h"

namespace gnnrt::onnx_test {

// ONNX TensorProto.DataType numbers used by the tests.
constexpr int32_t kFloat = 1, kUInt8 = 2, kInt8 = 3, kInt32 = 6, kInt64 = 7, kString = 8, kBool = 9, kFloat16 = 10,
                  kDouble = 11;

using DimSpec = std::variant<int64_t, std::string, std::monostate>;  // dim_value, dim_param, neither

inline ::onnx::ModelProto make_model(int64_t opset = 17) {
  ::onnx::ModelProto model;
  model.set_ir_version(8);
  model.set_producer_name("gnnrt-tests");
  model.set_producer_version("1.0");
  auto* entry = model.add_opset_import();
  entry->set_domain("");
  entry->set_version(opset);
  model.mutable_graph()->set_name("main");
  return model;
}

inline void set_type(::onnx::ValueInfoProto* info, int32_t elem_type, const std::vector<DimSpec>& dims) {
  auto* tensor_type = info->mutable_type()->mutable_tensor_type();
  tensor_type->set_elem_type(elem_type);
  auto* shape = tensor_type->mutable_shape();
  for (const DimSpec& dim : dims) {
    auto* d = shape->add_dim();
    if (auto* value = std::get_if<int64_t>(&dim)) d->set_dim_value(*value);
    else if (auto* param = std::get_if<std::string>(&dim)) d->set_dim_param(*param);
  }
}

inline ::onnx::ValueInfoProto* add_input(::onnx::GraphProto* graph, const std::string& name, int32_t elem_type,
                                         const std::vector<DimSpec>& dims) {
  auto* info = graph->add_input();
  info->set_name(name);
  set_type(info, elem_type, dims);
  return info;
}

inline ::onnx::ValueInfoProto* add_output(::onnx::GraphProto* graph, const std::string& name, int32_t elem_type,
                                          const std::vector<DimSpec>& dims) {
  auto* info = graph->add_output();
  info->set_name(name);
  set_type(info, elem_type, dims);
  return info;
}

inline ::onnx::NodeProto* add_node(::onnx::GraphProto* graph, const std::string& op_type,
                                   std::initializer_list<std::string> inputs, std::initializer_list<std::string> outputs,
                                   const std::string& name = "", const std::string& domain = "") {
  auto* node = graph->add_node();
  node->set_op_type(op_type);
  if (!name.empty()) node->set_name(name);
  if (!domain.empty()) node->set_domain(domain);
  for (const auto& in : inputs) node->add_input(in);
  for (const auto& out : outputs) node->add_output(out);
  return node;
}

inline ::onnx::AttributeProto* add_attr(::onnx::NodeProto* node, const std::string& name,
                                        ::onnx::AttributeProto::AttributeType type) {
  auto* attr = node->add_attribute();
  attr->set_name(name);
  attr->set_type(type);
  return attr;
}
inline void attr_int(::onnx::NodeProto* node, const std::string& name, int64_t value) {
  add_attr(node, name, ::onnx::AttributeProto::INT)->set_i(value);
}
inline void attr_float(::onnx::NodeProto* node, const std::string& name, float value) {
  add_attr(node, name, ::onnx::AttributeProto::FLOAT)->set_f(value);
}
inline void attr_string(::onnx::NodeProto* node, const std::string& name, const std::string& value) {
  add_attr(node, name, ::onnx::AttributeProto::STRING)->set_s(value);
}
inline void attr_ints(::onnx::NodeProto* node, const std::string& name, std::initializer_list<int64_t> values) {
  auto* attr = add_attr(node, name, ::onnx::AttributeProto::INTS);
  for (int64_t v : values) attr->add_ints(v);
}
inline void attr_floats(::onnx::NodeProto* node, const std::string& name, std::initializer_list<float> values) {
  auto* attr = add_attr(node, name, ::onnx::AttributeProto::FLOATS);
  for (float v : values) attr->add_floats(v);
}
inline ::onnx::GraphProto* attr_graph(::onnx::NodeProto* node, const std::string& name) {
  return add_attr(node, name, ::onnx::AttributeProto::GRAPH)->mutable_g();
}

// A float tensor stored in raw_data (little-endian, as exporters write it).
inline ::onnx::TensorProto float_tensor_raw(const std::string& name, std::initializer_list<int64_t> dims,
                                            const std::vector<float>& values) {
  ::onnx::TensorProto t;
  t.set_name(name);
  t.set_data_type(kFloat);
  for (int64_t d : dims) t.add_dims(d);
  t.set_raw_data(std::string(reinterpret_cast<const char*>(values.data()), values.size() * sizeof(float)));
  return t;
}

// A float tensor stored in the typed float_data field.
inline ::onnx::TensorProto float_tensor_typed(const std::string& name, std::initializer_list<int64_t> dims,
                                              const std::vector<float>& values) {
  ::onnx::TensorProto t;
  t.set_name(name);
  t.set_data_type(kFloat);
  for (int64_t d : dims) t.add_dims(d);
  for (float v : values) t.add_float_data(v);
  return t;
}

inline ::onnx::TensorProto int64_tensor(const std::string& name, std::initializer_list<int64_t> dims,
                                        const std::vector<int64_t>& values) {
  ::onnx::TensorProto t;
  t.set_name(name);
  t.set_data_type(kInt64);
  for (int64_t d : dims) t.add_dims(d);
  for (int64_t v : values) t.add_int64_data(v);
  return t;
}

// Marks `tensor` as external data at `location` (+ offset/length when >= 0).
inline void make_external(::onnx::TensorProto* tensor, const std::string& location, int64_t offset = -1,
                          int64_t length = -1) {
  tensor->clear_raw_data();
  tensor->clear_float_data();
  tensor->clear_int64_data();
  tensor->set_data_location(::onnx::TensorProto_DataLocation_EXTERNAL);
  auto add = [&](const std::string& key, const std::string& value) {
    auto* entry = tensor->add_external_data();
    entry->set_key(key);
    entry->set_value(value);
  };
  add("location", location);
  if (offset >= 0) add("offset", std::to_string(offset));
  if (length >= 0) add("length", std::to_string(length));
}

inline std::string serialize(const ::onnx::ModelProto& model) {
  std::string bytes;
  if (!model.SerializeToString(&bytes)) std::abort();
  return bytes;
}

inline void write_file(const std::filesystem::path& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

// A fresh folder under the system temp dir, removed at scope exit.
class ScratchDir {
 public:
  ScratchDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "gnnrt_onnx_test_XXXXXX").string();
    if (!mkdtemp(pattern.data())) std::abort();
    path_ = pattern;
  }
  ~ScratchDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

// x[num_nodes, 4] @ W[4, 2] + b -> Relu -> y[num_nodes, 2]; W in raw_data, b in float_data.
inline ::onnx::ModelProto tiny_linear_model(int64_t opset = 17) {
  ::onnx::ModelProto model = make_model(opset);
  auto* g = model.mutable_graph();
  add_input(g, "x", kFloat, {std::string("num_nodes"), int64_t{4}});
  *g->add_initializer() = float_tensor_raw("W", {4, 2}, {1, 2, 3, 4, 5, 6, 7, 8});
  *g->add_initializer() = float_tensor_typed("b", {2}, {0.5f, -0.5f});
  add_node(g, "MatMul", {"x", "W"}, {"xw"}, "lin/MatMul");
  add_node(g, "Add", {"xw", "b"}, {"h"});
  add_node(g, "Relu", {"h"}, {"y"});
  add_output(g, "y", kFloat, {std::string("num_nodes"), int64_t{2}});
  return model;
}

}  // namespace gnnrt::onnx_test
