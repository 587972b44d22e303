// The ONNX importer: parsing, opsets, normalisation to opset-18 forms, graph conversion,
// external data, the unsupported-op listing, function inlining and the op table.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "backends/cpu/kernel_registry.h"
#include "gnnrt/onnx_support.h"
#include "onnx/importer.h"
#include "onnx/op_table.h"
#include "onnx_model_builder.h"

namespace gnnrt {
namespace {

namespace fs = std::filesystem;
using namespace onnx_test;
using onnx_import::import_onnx_bytes;
using onnx_import::import_onnx_file;

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

// Imports and returns the InvalidInput message; records a failure when the import succeeds.
std::string import_error(const std::string& bytes, const std::string& base_dir = "", const std::string& what = "model.onnx") {
  try {
    import_onnx_bytes(bytes, base_dir, what);
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::InvalidInput) << e.what();
    return e.what();
  }
  ADD_FAILURE() << "expected the import of " << what << " to fail";
  return {};
}

std::string file_import_error(const std::string& path) {
  try {
    import_onnx_file(path);
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::InvalidInput) << e.what();
    return e.what();
  }
  ADD_FAILURE() << "expected the import of " << path << " to fail";
  return {};
}

const ir::Node* find_node(const ir::Graph& graph, const std::string& op_type) {
  for (const ir::Node& node : graph.nodes)
    if (node.op_type == op_type) return &node;
  return nullptr;
}

size_t position_of(const ir::Graph& graph, const std::string& node_name) {
  for (size_t i = 0; i < graph.nodes.size(); ++i)
    if (graph.nodes[i].name == node_name) return i;
  return graph.nodes.size();
}

// ---------------------------------------------------------------- conversion of a valid model

TEST(OnnxImporter, TinyModelRoundTrip) {
  ::onnx::ModelProto proto = tiny_linear_model();
  auto* info = proto.mutable_graph()->add_value_info();
  info->set_name("xw");
  set_type(info, kFloat, {std::string("num_nodes"), std::monostate{}});

  ir::Model model = import_onnx_bytes(serialize(proto), "", "tiny.onnx");
  EXPECT_EQ(model.opset, 17);
  EXPECT_EQ(model.ir_version, 8);
  EXPECT_EQ(model.producer, "gnnrt-tests 1.0");
  EXPECT_EQ(model.source_path, "tiny.onnx");

  const ir::Graph& g = model.graph;
  ASSERT_EQ(g.inputs.size(), 1u);
  EXPECT_EQ(g.inputs[0].name, "x");
  EXPECT_EQ(g.inputs[0].type.dtype, DType::Float32);
  ASSERT_TRUE(g.inputs[0].type.shape.has_value());
  ASSERT_EQ(g.inputs[0].type.shape->size(), 2u);
  EXPECT_EQ((*g.inputs[0].type.shape)[0], ir::Dim::named("num_nodes"));
  EXPECT_EQ((*g.inputs[0].type.shape)[1], ir::Dim::known(4));
  ASSERT_EQ(g.outputs.size(), 1u);
  EXPECT_EQ(g.outputs[0].type.to_string(), "float32[num_nodes, 2]");
  EXPECT_EQ(g.value_types.at("xw").to_string(), "float32[num_nodes, ?]");

  ASSERT_EQ(g.initializers.size(), 2u);
  const Tensor& w = g.initializers.at("W");
  EXPECT_EQ(w.shape(), (Dims{4, 2}));
  for (int i = 0; i < 8; ++i) EXPECT_EQ(w.data<float>()[i], static_cast<float>(i + 1));
  const Tensor& b = g.initializers.at("b");
  EXPECT_EQ(b.data<float>()[0], 0.5f);
  EXPECT_EQ(b.data<float>()[1], -0.5f);

  ASSERT_EQ(g.nodes.size(), 3u);
  EXPECT_EQ(g.nodes[0].name, "lin/MatMul");
  EXPECT_EQ(g.nodes[0].inputs, (std::vector<std::string>{"x", "W"}));
  // Nodes without a name get <OpType>_<index>.
  EXPECT_EQ(g.nodes[1].name, "Add_1");
  EXPECT_EQ(g.nodes[2].name, "Relu_2");
  EXPECT_EQ(g.nodes[2].outputs, (std::vector<std::string>{"y"}));
}

TEST(OnnxImporter, ImportsFromFileInAFolder) {
  ScratchDir dir;
  write_file(dir.path() / "model.onnx", serialize(tiny_linear_model()));
  ir::Model model = import_onnx_file((dir.path() / "model.onnx").string());
  EXPECT_EQ(model.graph.nodes.size(), 3u);
  EXPECT_EQ(model.source_path, (dir.path() / "model.onnx").string());
}

TEST(OnnxImporter, ConvertsEveryAttributeKind) {
  ::onnx::ModelProto proto = make_model();
  auto* g = proto.mutable_graph();
  add_input(g, "x", kFloat, {int64_t{3}});
  auto* node = add_node(g, "LeakyRelu", {"x"}, {"y"}, "act");
  attr_float(node, "alpha", 0.25f);
  attr_int(node, "some_int", -7);
  attr_string(node, "some_string", "add");
  attr_ints(node, "some_ints", {1, -2, 3});
  attr_floats(node, "some_floats", {1.5f, 2.5f});
  auto* strings = add_attr(node, "some_strings", ::onnx::AttributeProto::STRINGS);
  strings->add_strings("a");
  strings->add_strings("bc");
  *add_attr(node, "some_tensor", ::onnx::AttributeProto::TENSOR)->mutable_t() = int64_tensor("", {2}, {9, 8});
  // Old IR: no type field, the populated field says the kind.
  auto* untyped = node->add_attribute();
  untyped->set_name("untyped_int");
  untyped->set_i(42);
  add_output(g, "y", kFloat, {int64_t{3}});

  ir::Model model = import_onnx_bytes(serialize(proto), "", "attrs.onnx");
  const ir::Node& n = model.graph.nodes.at(0);
  EXPECT_FLOAT_EQ(n.attr_float("alpha", 0), 0.25f);
  EXPECT_EQ(n.attr_int("some_int", 0), -7);
  EXPECT_EQ(n.attr_string("some_string", ""), "add");
  EXPECT_EQ(n.attr_ints("some_ints"), (std::vector<int64_t>{1, -2, 3}));
  EXPECT_EQ(n.attr("some_floats").floats, (std::vector<float>{1.5f, 2.5f}));
  EXPECT_EQ(n.attr("some_strings").strings, (std::vector<std::string>{"a", "bc"}));
  const Tensor& t = n.attr("some_tensor").t;
  ASSERT_EQ(t.dtype(), DType::Int64);
  EXPECT_EQ(t.data<int64_t>()[0], 9);
  EXPECT_EQ(t.data<int64_t>()[1], 8);
  EXPECT_EQ(n.attr_int("untyped_int", 0), 42);
}

TEST(OnnxImporter, InitializersListedAsGraphInputsAreNotInputs) {
  ::onnx::ModelProto proto = tiny_linear_model();
  add_input(proto.mutable_graph(), "W", kFloat, {int64_t{4}, int64_t{2}});
  add_input(proto.mutable_graph(), "b", kFloat, {int64_t{2}});
  ir::Model model = import_onnx_bytes(serialize(proto), "", "m.onnx");
  ASSERT_EQ(model.graph.inputs.size(), 1u);
  EXPECT_EQ(model.graph.inputs[0].name, "x");
  EXPECT_EQ(model.graph.initializers.count("W"), 1u);
}

TEST(OnnxImporter, DecodesTypedTensorFields) {
  ::onnx::ModelProto proto = make_model();
  auto* g = proto.mutable_graph();
  add_input(g, "x", kFloat, {int64_t{2}});
  ::onnx::TensorProto flags;
  flags.set_name("flags");
  flags.set_data_type(kBool);
  flags.add_dims(3);
  for (int v : {1, 0, 5}) flags.add_int32_data(v);
  *g->add_initializer() = flags;
  ::onnx::TensorProto small;
  small.set_name("small");
  small.set_data_type(kInt8);
  small.add_dims(2);
  small.add_int32_data(-3);
  small.add_int32_data(100);
  *g->add_initializer() = small;
  ::onnx::TensorProto half;
  half.set_name("half");
  half.set_data_type(kFloat16);
  half.add_dims(1);
  half.add_int32_data(0x3C00);  // 1.0 in binary16
  *g->add_initializer() = half;
  ::onnx::TensorProto raw_bool;  // raw bytes other than 0/1 still mean true
  raw_bool.set_name("raw_bool");
  raw_bool.set_data_type(kBool);
  raw_bool.add_dims(2);
  raw_bool.set_raw_data(std::string("\x00\x07", 2));
  *g->add_initializer() = raw_bool;
  ::onnx::TensorProto dbl;
  dbl.set_name("dbl");
  dbl.set_data_type(kDouble);
  dbl.add_double_data(2.5);  // a scalar: no dims, one value
  *g->add_initializer() = dbl;
  add_node(g, "Identity", {"x"}, {"y"});
  add_output(g, "y", kFloat, {int64_t{2}});

  ir::Model model = import_onnx_bytes(serialize(proto), "", "typed.onnx");
  const auto& inits = model.graph.initializers;
  const bool* f = inits.at("flags").data<bool>();
  EXPECT_TRUE(f[0]);
  EXPECT_FALSE(f[1]);
  EXPECT_TRUE(f[2]);
  EXPECT_EQ(inits.at("small").data<int8_t>()[0], -3);
  EXPECT_EQ(inits.at("small").data<int8_t>()[1], 100);
  EXPECT_EQ(inits.at("half").data<float16_t>()[0].bits, 0x3C00);
  const auto* rb = static_cast<const unsigned char*>(inits.at("raw_bool").raw());
  EXPECT_EQ(rb[0], 0);
  EXPECT_EQ(rb[1], 1);
  EXPECT_EQ(inits.at("dbl").rank(), 0);
  EXPECT_EQ(inits.at("dbl").data<double>()[0], 2.5);
}

TEST(OnnxImporter, RejectsTensorDataOfTheWrongSize) {
  ::onnx::ModelProto proto = tiny_linear_model();
  proto.mutable_graph()->mutable_initializer(0)->mutable_raw_data()->resize(30);  // W needs 32 bytes
  std::string message = import_error(serialize(proto));
  EXPECT_TRUE(contains(message, "initializer 'W'")) << message;
  EXPECT_TRUE(contains(message, "30 bytes")) << message;
  EXPECT_TRUE(contains(message, "expected 32")) << message;

  proto = tiny_linear_model();
  proto.mutable_graph()->mutable_initializer(1)->add_float_data(1.0f);  // b: 3 values for shape [2]
  message = import_error(serialize(proto));
  EXPECT_TRUE(contains(message, "initializer 'b'")) << message;
  EXPECT_TRUE(contains(message, "3 values in float_data, expected 2")) << message;

  // A huge claimed shape with little data fails on the size check, before any allocation.
  proto = tiny_linear_model();
  proto.mutable_graph()->mutable_initializer(0)->set_dims(0, int64_t{1} << 40);
  message = import_error(serialize(proto));
  EXPECT_TRUE(contains(message, "initializer 'W' (float32[1099511627776, 2]) has 32 bytes of raw_data")) << message;
  proto = tiny_linear_model();
  proto.mutable_graph()->mutable_initializer(0)->set_dims(0, int64_t{1} << 62);
  message = import_error(serialize(proto));
  EXPECT_TRUE(contains(message, "too large")) << message;
}

TEST(OnnxImporter, RejectsUnsupportedElementTypesAndNegativeDims) {
  ::onnx::ModelProto proto = tiny_linear_model();
  ::onnx::TensorProto names;
  names.set_name("names");
  names.set_data_type(kString);
  names.add_dims(1);
  names.add_string_data("a");
  *proto.mutable_graph()->add_initializer() = names;
  std::string message = import_error(serialize(proto));
  EXPECT_TRUE(contains(message, "initializer 'names'")) << message;
  EXPECT_TRUE(contains(message, "string")) << message;

  proto = tiny_linear_model();
  proto.mutable_graph()->mutable_initializer(0)->set_dims(0, -4);
  message = import_error(serialize(proto));
  EXPECT_TRUE(contains(message, "initializer 'W'")) << message;
  EXPECT_TRUE(contains(message, "negative")) << message;
}

// ---------------------------------------------------------------- parse errors

TEST(OnnxImporter, TruncatedBytesAreInputErrorsAtEveryLength) {
  const std::string bytes = serialize(tiny_linear_model());
  for (size_t length : {size_t{1}, size_t{2}, size_t{5}, size_t{10}, bytes.size() / 3, bytes.size() / 2,
                        bytes.size() - 20, bytes.size() - 1}) {
    SCOPED_TRACE(length);
    const std::string message = import_error(bytes.substr(0, length), "", "cut.onnx");
    EXPECT_TRUE(contains(message, "cut.onnx")) << message;
  }
}

TEST(OnnxImporter, GarbageBytesAreNotAModel) {
  std::string garbage;
  for (int i = 0; i < 512; ++i) garbage.push_back(static_cast<char>((i * 7919 + 13) & 0xFF));
  std::string message = import_error(garbage, "", "garbage.onnx");
  EXPECT_TRUE(contains(message, "garbage.onnx is not a valid ONNX model")) << message;

  message = import_error("\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff", "", "ff.onnx");
  EXPECT_TRUE(contains(message, "ff.onnx is not a valid ONNX model: the protobuf could not be parsed")) << message;
}

TEST(OnnxImporter, EmptyAndMissingFiles) {
  ScratchDir dir;
  const std::string empty = (dir.path() / "empty.onnx").string();
  write_file(empty, "");
  std::string message = file_import_error(empty);
  EXPECT_TRUE(contains(message, "'" + empty + "' is empty")) << message;

  const std::string missing = (dir.path() / "nope.onnx").string();
  message = file_import_error(missing);
  EXPECT_EQ(message, "cannot open ONNX file '" + missing + "': No such file or directory");

  message = file_import_error(dir.path().string());
  EXPECT_TRUE(contains(message, "is a directory")) << message;

  message = import_error("", "", "bytes.onnx");
  EXPECT_TRUE(contains(message, "bytes.onnx is empty")) << message;
}

TEST(OnnxImporter, ModelWithoutGraphIsRejected) {
  ::onnx::ModelProto proto = make_model();
  proto.clear_graph();
  const std::string message = import_error(serialize(proto), "", "nograph.onnx");
  EXPECT_TRUE(contains(message, "nograph.onnx is not a valid ONNX model: it has no graph")) << message;
}

// ---------------------------------------------------------------- graph structure checks

TEST(OnnxImporter, UndefinedNodeInputNamesNodeAndValue) {
  ::onnx::ModelProto proto = tiny_linear_model();
  proto.mutable_graph()->mutable_node(1)->set_input(1, "bias_typo");
  const std::string message = import_error(serialize(proto));
  EXPECT_TRUE(contains(message, "node 'Add_1' (Add) uses input 1 'bias_typo'")) << message;
}

TEST(OnnxImporter, UndefinedGraphOutputIsRejected) {
  ::onnx::ModelProto proto = tiny_linear_model();
  add_output(proto.mutable_graph(), "ghost", kFloat, {});
  const std::string message = import_error(serialize(proto));
  EXPECT_TRUE(contains(message, "graph output 'ghost'")) << message;
}

TEST(OnnxImporter, NodesOutOfOrderAreSortedTopologically) {
  ::onnx::ModelProto proto = make_model();
  auto* g = proto.mutable_graph();
  add_input(g, "x", kFloat, {int64_t{2}});
  add_node(g, "Relu", {"b"}, {"c"}, "third");
  add_node(g, "Neg", {"a"}, {"b"}, "second");
  add_node(g, "Abs", {"x"}, {"a"}, "first");
  add_node(g, "Exp", {"x"}, {"d"}, "independent");
  add_output(g, "c", kFloat, {int64_t{2}});
  add_output(g, "d", kFloat, {int64_t{2}});
  ir::Model model = import_onnx_bytes(serialize(proto), "", "m.onnx");
  std::vector<std::string> order;
  for (const auto& node : model.graph.nodes) order.push_back(node.name);
  EXPECT_EQ(order, (std::vector<std::string>{"first", "second", "third", "independent"}));
}

TEST(OnnxImporter, CycleIsRejected) {
  ::onnx::ModelProto proto = make_model();
  auto* g = proto.mutable_graph();
  add_input(g, "x", kFloat, {int64_t{2}});
  add_node(g, "Add", {"x", "b"}, {"a"}, "loop_a");
  add_node(g, "Neg", {"a"}, {"b"}, "loop_b");
  add_output(g, "b", kFloat, {int64_t{2}});
  const std::string message = import_error(serialize(proto));
  EXPECT_TRUE(contains(message, "cycle")) << message;
  EXPECT_TRUE(contains(message, "'loop_a'")) << message;
  EXPECT_TRUE(contains(message, "'loop_b'")) << message;
}

TEST(OnnxImporter, ValueProducedTwiceIsRejected) {
  ::onnx::ModelProto proto = tiny_linear_model();
  add_node(proto.mutable_graph(), "Neg", {"x"}, {"h"}, "dup");
  const std::string message = import_error(serialize(proto));
  EXPECT_TRUE(contains(message, "value 'h' is produced twice")) << message;
}

TEST(OnnxImporter, DuplicateNodeNamesAreMadeUnique) {
  ::onnx::ModelProto proto = tiny_linear_model();
  for (int i = 0; i < 3; ++i) proto.mutable_graph()->mutable_node(i)->set_name("same");
  ir::Model model = import_onnx_bytes(serialize(proto), "", "m.onnx");
  EXPECT_EQ(model.graph.nodes[0].name, "same");
  EXPECT_EQ(model.graph.nodes[1].name, "same_1");
  EXPECT_EQ(model.graph.nodes[2].name, "same_2");
}

// ---------------------------------------------------------------- opsets

TEST(OnnxImporter, OpsetTooOldAsksForReexport) {
  const std::string message = import_error(serialize(tiny_linear_model(11)), "", "old.onnx");
  EXPECT_TRUE(contains(message, "old.onnx: the model uses ONNX opset 11")) << message;
  EXPECT_TRUE(contains(message, "opset_version=17")) << message;
}

TEST(OnnxImporter, OpsetTooNewIsRejected) {
  const std::string message = import_error(serialize(tiny_linear_model(22)));
  EXPECT_TRUE(contains(message, "opset 22, newer")) << message;
}

TEST(OnnxImporter, AcceptsAiOnnxDomainAliasAndEveryOpsetInRange) {
  for (int64_t opset = onnx_import::kMinOpset; opset <= onnx_import::kMaxOpset; ++opset) {
    ::onnx::ModelProto proto = tiny_linear_model(opset);
    proto.mutable_opset_import(0)->set_domain("ai.onnx");
    proto.mutable_graph()->mutable_node(2)->set_domain("ai.onnx");
    ir::Model model = import_onnx_bytes(serialize(proto), "", "m.onnx");
    EXPECT_EQ(model.opset, opset);
    EXPECT_EQ(model.graph.nodes[2].domain, "");
  }
}

TEST(OnnxImporter, MissingDefaultOpsetIsRejected) {
  ::onnx::ModelProto proto = tiny_linear_model();
  proto.clear_opset_import();
  const std::string message = import_error(serialize(proto));
  EXPECT_TRUE(contains(message, "declares no opset for the default ONNX domain")) << message;
}

// ---------------------------------------------------------------- unsupported ops

// An If node 'choose' on a constant condition whose then-branch holds an unsupported Det
// ('deep_det'): unsupported nodes hide in subgraphs too.
void add_if_with_unsupported_branch(::onnx::GraphProto* g) {
  ::onnx::TensorProto cond;
  cond.set_name("cond");
  cond.set_data_type(kBool);
  cond.set_raw_data(std::string("\x01", 1));
  *g->add_initializer() = cond;
  auto* branch_node = add_node(g, "If", {"cond"}, {"branch_out"}, "choose");
  auto* then_graph = attr_graph(branch_node, "then_branch");
  add_node(then_graph, "Det", {"x"}, {"t"}, "deep_det");
  add_output(then_graph, "t", kFloat, {});
  auto* else_graph = attr_graph(branch_node, "else_branch");
  add_node(else_graph, "Identity", {"x"}, {"e2"});
  add_output(else_graph, "e2", kFloat, {});
}

TEST(OnnxImporter, ListsEveryUnsupportedNodeAtOnce) {
  ::onnx::ModelProto proto = tiny_linear_model();
  auto* g = proto.mutable_graph();
  add_node(g, "Einsum", {"x", "x"}, {"e"}, "foo");
  add_node(g, "FancyOp", {"x"}, {"f"}, "", "com.example");
  add_if_with_unsupported_branch(g);  // one more, hidden in an If branch
  // Gelu exists only from opset 20.
  add_node(g, "Gelu", {"x"}, {"gelu"}, "too_new");

  const std::string message = import_error(serialize(proto), "", "model.onnx");
  EXPECT_TRUE(contains(message, "model.onnx: 4 unsupported nodes:\n")) << message;
  EXPECT_TRUE(contains(message, "  node 'foo' (Einsum, domain '', opset 17)\n")) << message;
  EXPECT_TRUE(contains(message, "  node 'FancyOp_4' (FancyOp, domain 'com.example', opset none)\n")) << message;
  EXPECT_TRUE(contains(message, "node 'deep_det' (Det, domain '', opset 17) in subgraph 'then_branch' of node 'choose'"))
      << message;
  EXPECT_TRUE(contains(message, "node 'too_new' (Gelu, domain '', opset 17): needs opset >= 20")) << message;
  EXPECT_TRUE(contains(message, "docs/OPERATORS.md")) << message;
}

TEST(OnnxImporter, FindUnsupportedNodesNamesTheTopLevelNodes) {
  ::onnx::ModelProto proto = tiny_linear_model();
  auto* g = proto.mutable_graph();
  add_node(g, "Sin", {"x"}, {"s"}, "sine");
  add_if_with_unsupported_branch(g);
  ScratchDir dir;
  write_file(dir.path() / "model.onnx", serialize(proto));

  const std::vector<UnsupportedNode> found = find_unsupported_nodes((dir.path() / "model.onnx").string());
  ASSERT_EQ(found.size(), 2u);
  EXPECT_EQ(found[0].name, "sine");
  EXPECT_EQ(found[0].op_type, "Sin");
  EXPECT_EQ(found[0].problem, "node 'sine' (Sin, domain '', opset 17)");
  EXPECT_EQ(found[1].name, "choose");  // the If that holds the unsupported Det
  EXPECT_EQ(found[1].op_type, "If");
  EXPECT_TRUE(contains(found[1].problem, "node 'deep_det' (Det, domain '', opset 17) in subgraph 'then_branch'"))
      << found[1].problem;

  write_file(dir.path() / "supported.onnx", serialize(tiny_linear_model()));
  EXPECT_TRUE(find_unsupported_nodes((dir.path() / "supported.onnx").string()).empty());
}

TEST(OnnxImporter, AllowUnsupportedKeepsTheNodesForInspection) {
  ::onnx::ModelProto proto = tiny_linear_model();
  auto* g = proto.mutable_graph();
  auto* einsum = add_node(g, "Einsum", {"x", "x"}, {"e"}, "foo");
  attr_string(einsum, "equation", "ij,ij->i");
  add_attr(einsum, "weird", ::onnx::AttributeProto::SPARSE_TENSOR)->mutable_sparse_tensor();
  attr_string(add_node(g, "Constant", {}, {"text"}, "text_constant"), "value_string", "hi");
  add_output(g, "e", kFloat, {});
  add_output(g, "text", kString, {});
  onnx_import::ImportOptions options;
  options.allow_unsupported = true;
  ir::Model model = import_onnx_bytes(serialize(proto), "", "m.onnx", options);
  const ir::Node* kept = find_node(model.graph, "Einsum");
  ASSERT_NE(kept, nullptr);
  EXPECT_EQ(kept->attr_string("equation", ""), "ij,ij->i");
  EXPECT_FALSE(kept->has_attribute("weird"));
  EXPECT_NE(find_node(model.graph, "Constant"), nullptr);
}

TEST(OnnxImporter, UnsupportedAttributeValuesAreListed) {
  ::onnx::ModelProto proto = make_model(18);
  auto* g = proto.mutable_graph();
  add_input(g, "x", kFloat, {int64_t{4}});
  add_input(g, "float_index", kFloat, {int64_t{2}});
  add_input(g, "int_index", kInt64, {int64_t{4}});
  attr_string(add_node(g, "ScatterElements", {"x", "int_index", "x"}, {"s1"}, "scatter_bad"), "reduction", "mean");
  attr_string(add_node(g, "ScatterElements", {"x", "int_index", "x"}, {"s2"}, "scatter_ok"), "reduction", "max");
  attr_int(add_node(g, "Gather", {"x", "float_index"}, {"g1"}, "gather_bad"), "axis", 0);
  add_node(g, "Gather", {"x", "int_index"}, {"g2"}, "gather_ok");
  attr_int(add_node(g, "Cast", {"x"}, {"c1"}, "cast_to_string"), "to", kString);
  attr_string(add_node(g, "Constant", {}, {"k"}, "text_constant"), "value_string", "hello");
  for (const char* out : {"s1", "s2", "g1", "g2", "c1", "k"}) add_output(g, out, kFloat, {});

  const std::string message = import_error(serialize(proto));
  EXPECT_TRUE(contains(message, "4 unsupported nodes")) << message;
  EXPECT_TRUE(contains(message, "node 'scatter_bad' (ScatterElements, domain '', opset 18): reduction 'mean' is not "
                                "supported (expected none, add, mul, max or min)"))
      << message;
  EXPECT_TRUE(contains(message, "node 'gather_bad' (Gather, domain '', opset 18): indices 'float_index' have element "
                                "type float, expected int32 or int64"))
      << message;
  EXPECT_TRUE(contains(message, "node 'cast_to_string'")) << message;
  EXPECT_TRUE(contains(message, "node 'text_constant' (Constant, domain '', opset 18): string constants")) << message;
  EXPECT_FALSE(contains(message, "scatter_ok")) << message;
  EXPECT_FALSE(contains(message, "gather_ok")) << message;
}

// torch's TorchScript exporter writes reduction="max" at opset 17 (GAT), which onnxruntime runs.
TEST(OnnxImporter, ScatterMaxIsAcceptedAtOpset17) {
  ::onnx::ModelProto proto = make_model(17);
  auto* g = proto.mutable_graph();
  add_input(g, "x", kFloat, {int64_t{4}});
  add_input(g, "i", kInt64, {int64_t{4}});
  attr_string(add_node(g, "ScatterElements", {"x", "i", "x"}, {"s"}, "scatter_max"), "reduction", "max");
  add_output(g, "s", kFloat, {});
  ir::Model model = import_onnx_bytes(serialize(proto), "", "m.onnx");
  EXPECT_EQ(model.graph.nodes.at(0).attr_string("reduction", ""), "max");
}

// ---------------------------------------------------------------- normalisation to opset-18 forms

TEST(OnnxImporter, ConstantNodesBecomeInitializers) {
  ::onnx::ModelProto proto = make_model();
  auto* g = proto.mutable_graph();
  add_input(g, "x", kFloat, {int64_t{2}, int64_t{3}});
  attr_ints(add_node(g, "Constant", {}, {"shape"}, "c_ints"), "value_ints", {3, 2});
  attr_float(add_node(g, "Constant", {}, {"scale"}), "value_float", 0.5f);
  attr_int(add_node(g, "Constant", {}, {"one"}), "value_int", 1);
  attr_floats(add_node(g, "Constant", {}, {"pair"}), "value_floats", {1.0f, -2.0f});
  *add_attr(add_node(g, "Constant", {}, {"offset"}), "value", ::onnx::AttributeProto::TENSOR)->mutable_t() =
      float_tensor_raw("", {1}, {3.0f});
  add_node(g, "Reshape", {"x", "shape"}, {"r"});
  add_node(g, "Mul", {"r", "scale"}, {"m"});
  add_node(g, "Add", {"m", "offset"}, {"y"});
  add_node(g, "Unsqueeze", {"pair", "one"}, {"z"});
  add_output(g, "y", kFloat, {});
  add_output(g, "z", kFloat, {});

  ir::Model model = import_onnx_bytes(serialize(proto), "", "m.onnx");
  const ir::Graph& graph = model.graph;
  EXPECT_EQ(find_node(graph, "Constant"), nullptr);
  ASSERT_EQ(graph.nodes.size(), 4u);
  const auto& inits = graph.initializers;
  ASSERT_EQ(inits.at("shape").dtype(), DType::Int64);
  EXPECT_EQ(inits.at("shape").to_int_vector(), (std::vector<int64_t>{3, 2}));
  EXPECT_EQ(inits.at("scale").rank(), 0);
  EXPECT_EQ(inits.at("scale").data<float>()[0], 0.5f);
  EXPECT_EQ(inits.at("one").rank(), 0);
  EXPECT_EQ(inits.at("one").data<int64_t>()[0], 1);
  EXPECT_EQ(inits.at("pair").data<float>()[1], -2.0f);
  EXPECT_EQ(inits.at("offset").data<float>()[0], 3.0f);
}

TEST(OnnxImporter, ConstantFeedingAGraphOutputBecomesIdentity) {
  ::onnx::ModelProto proto = make_model();
  auto* g = proto.mutable_graph();
  add_input(g, "x", kFloat, {int64_t{2}});
  add_node(g, "Relu", {"x"}, {"y"});
  attr_int(add_node(g, "Constant", {}, {"count"}, "count_const"), "value_int", 5);
  add_output(g, "y", kFloat, {});
  add_output(g, "count", kInt64, {});
  ir::Model model = import_onnx_bytes(serialize(proto), "", "m.onnx");
  const ir::Node* identity = find_node(model.graph, "Identity");
  ASSERT_NE(identity, nullptr);
  EXPECT_EQ(identity->name, "count_const");
  EXPECT_EQ(identity->outputs, (std::vector<std::string>{"count"}));
  ASSERT_EQ(identity->inputs.size(), 1u);
  EXPECT_NE(identity->inputs[0], "count");
  EXPECT_EQ(model.graph.initializers.at(identity->inputs[0]).data<int64_t>()[0], 5);
}

TEST(OnnxImporter, ReduceAxesAttributeBecomesInput) {
  ::onnx::ModelProto proto = make_model(17);
  auto* g = proto.mutable_graph();
  add_input(g, "x", kFloat, {int64_t{2}, int64_t{3}});
  auto* reduce = add_node(g, "ReduceMax", {"x"}, {"y"}, "max_over_features");
  attr_ints(reduce, "axes", {1});
  attr_int(reduce, "keepdims", 0);
  attr_ints(add_node(g, "ReduceMean", {"x"}, {"all"}, "mean_all"), "axes", {});
  add_output(g, "y", kFloat, {int64_t{2}});
  add_output(g, "all", kFloat, {});

  ir::Model model = import_onnx_bytes(serialize(proto), "", "m.onnx");
  const ir::Node& node = model.graph.nodes.at(position_of(model.graph, "max_over_features"));
  EXPECT_FALSE(node.has_attribute("axes"));
  EXPECT_EQ(node.attr_int("keepdims", 1), 0);
  ASSERT_EQ(node.inputs.size(), 2u);
  EXPECT_EQ(node.inputs[0], "x");
  const Tensor& axes = model.graph.initializers.at(node.inputs[1]);
  EXPECT_EQ(axes.dtype(), DType::Int64);
  EXPECT_EQ(axes.to_int_vector(), (std::vector<int64_t>{1}));
  // An empty axes list means all axes, as an omitted axes input does.
  const ir::Node& mean = model.graph.nodes.at(position_of(model.graph, "mean_all"));
  EXPECT_FALSE(mean.has_attribute("axes"));
  EXPECT_EQ(mean.input_count(), 1u);
}

TEST(OnnxImporter, ReduceAxesAsBothAttributeAndInputIsRejected) {
  ::onnx::ModelProto proto = make_model(18);
  auto* g = proto.mutable_graph();
  add_input(g, "x", kFloat, {int64_t{2}, int64_t{3}});
  *g->add_initializer() = int64_tensor("ax", {1}, {0});
  attr_ints(add_node(g, "ReduceMin", {"x", "ax"}, {"y"}, "both"), "axes", {1});
  add_output(g, "y", kFloat, {});
  const std::string message = import_error(serialize(proto));
  EXPECT_TRUE(contains(message, "node 'both' (ReduceMin) has axes both as an attribute and as input 'ax'")) << message;
}

// ---------------------------------------------------------------- subgraphs

TEST(OnnxImporter, IfBranchesAreConvertedAndOrderedAfterCapturedValues) {
  ::onnx::ModelProto proto = make_model();
  auto* g = proto.mutable_graph();
  add_input(g, "x", kFloat, {int64_t{3}});
  add_input(g, "flag", kBool, {});
  auto* if_node = add_node(g, "If", {"flag"}, {"z"}, "branch");
  auto* then_graph = attr_graph(if_node, "then_branch");
  then_graph->set_name("then");
  attr_float(add_node(then_graph, "Constant", {}, {"two"}), "value_float", 2.0f);
  add_node(then_graph, "Mul", {"doubled_x", "two"}, {"then_out"}, "then_mul");
  add_output(then_graph, "then_out", kFloat, {});
  auto* else_graph = attr_graph(if_node, "else_branch");
  add_node(else_graph, "Identity", {"doubled_x"}, {"else_out"});
  add_output(else_graph, "else_out", kFloat, {});
  // Producer of the value both branches capture comes after the If in the file.
  add_node(g, "Add", {"x", "x"}, {"doubled_x"}, "producer");
  add_output(g, "z", kFloat, {});

  ir::Model model = import_onnx_bytes(serialize(proto), "", "if.onnx");
  const ir::Graph& graph = model.graph;
  ASSERT_EQ(graph.nodes.size(), 2u);
  EXPECT_LT(position_of(graph, "producer"), position_of(graph, "branch"));
  const ir::Node& branch = graph.nodes[position_of(graph, "branch")];
  const ir::Attribute& then_attr = branch.attr("then_branch");
  ASSERT_EQ(then_attr.kind, ir::Attribute::Kind::Graph);
  ASSERT_TRUE(then_attr.g);
  const ir::Graph& then_ir = *then_attr.g;
  EXPECT_EQ(then_ir.name, "then");
  ASSERT_EQ(then_ir.nodes.size(), 1u);  // the Constant became an initializer of the branch
  EXPECT_EQ(then_ir.nodes[0].name, "then_mul");
  EXPECT_EQ(then_ir.initializers.at("two").data<float>()[0], 2.0f);
  ASSERT_EQ(then_ir.outputs.size(), 1u);
  EXPECT_EQ(then_ir.outputs[0].name, "then_out");
  const ir::Graph& else_ir = *branch.attr("else_branch").g;
  ASSERT_EQ(else_ir.nodes.size(), 1u);
  EXPECT_EQ(else_ir.nodes[0].op_type, "Identity");
  EXPECT_EQ(else_ir.nodes[0].name, "Identity_0");
}

TEST(OnnxImporter, UndefinedValueInsideSubgraphIsRejected) {
  ::onnx::ModelProto proto = make_model();
  auto* g = proto.mutable_graph();
  add_input(g, "flag", kBool, {});
  auto* if_node = add_node(g, "If", {"flag"}, {"z"}, "branch");
  auto* then_graph = attr_graph(if_node, "then_branch");
  add_node(then_graph, "Identity", {"nowhere"}, {"t"}, "lost");
  add_output(then_graph, "t", kFloat, {});
  auto* else_graph = attr_graph(if_node, "else_branch");
  add_node(else_graph, "Identity", {"flag"}, {"e"});
  add_output(else_graph, "e", kFloat, {});
  add_output(g, "z", kFloat, {});
  const std::string message = import_error(serialize(proto));
  EXPECT_TRUE(contains(message, "node 'lost' (Identity) uses input 0 'nowhere'")) << message;
}

// ---------------------------------------------------------------- external data

class OnnxExternalData : public ::testing::Test {
 protected:
  // tiny_linear_model with W stored at `location` (offset 16) in the model's folder.
  std::string model_bytes(const std::string& location, int64_t offset = 16, int64_t length = 32) {
    ::onnx::ModelProto proto = tiny_linear_model();
    make_external(proto.mutable_graph()->mutable_initializer(0), location, offset, length);
    return serialize(proto);
  }
  std::string weight_file_bytes() {
    std::string bytes(16, '\x55');  // padding before the tensor
    const float w[8] = {1, 2, 3, 4, 5, 6, 7, 8};
    bytes.append(reinterpret_cast<const char*>(w), sizeof w);
    return bytes;
  }
  std::string import_file_error(const std::string& model) {
    write_file(dir.path() / "model.onnx", model);
    return file_import_error((dir.path() / "model.onnx").string());
  }
  ScratchDir dir;
};

TEST_F(OnnxExternalData, LoadsTensorAtOffset) {
  write_file(dir.path() / "model.onnx.data", weight_file_bytes());
  write_file(dir.path() / "model.onnx", model_bytes("model.onnx.data"));
  ir::Model model = import_onnx_file((dir.path() / "model.onnx").string());
  const Tensor& w = model.graph.initializers.at("W");
  EXPECT_EQ(w.shape(), (Dims{4, 2}));
  for (int i = 0; i < 8; ++i) EXPECT_EQ(w.data<float>()[i], static_cast<float>(i + 1));
}

TEST_F(OnnxExternalData, LoadsFromSubfolderWithoutLength) {
  fs::create_directories(dir.path() / "weights");
  write_file(dir.path() / "weights" / "w.bin", weight_file_bytes());
  ir::Model model = import_onnx_bytes(model_bytes("weights/w.bin", 16, -1), dir.path().string(), "mem.onnx");
  EXPECT_EQ(model.graph.initializers.at("W").data<float>()[7], 8.0f);
}

TEST_F(OnnxExternalData, MissingFileNamesTensorAndFile) {
  const std::string message = import_file_error(model_bytes("model.onnx.data"));
  EXPECT_TRUE(contains(message, "initializer 'W'")) << message;
  EXPECT_TRUE(contains(message, "model.onnx.data")) << message;
  EXPECT_TRUE(contains(message, "does not exist")) << message;
}

TEST_F(OnnxExternalData, ShortFileSaysExpectedAndActualBytes) {
  write_file(dir.path() / "model.onnx.data", weight_file_bytes().substr(0, 40));
  const std::string message = import_file_error(model_bytes("model.onnx.data"));
  EXPECT_TRUE(contains(message, "initializer 'W'")) << message;
  EXPECT_TRUE(contains(message, "offset 16 + 32 bytes")) << message;
  EXPECT_TRUE(contains(message, "only 40 bytes")) << message;
}

TEST_F(OnnxExternalData, LengthThatDisagreesWithShapeIsRejected) {
  write_file(dir.path() / "model.onnx.data", weight_file_bytes());
  const std::string message = import_file_error(model_bytes("model.onnx.data", 16, 24));
  EXPECT_TRUE(contains(message, "length 24")) << message;
  EXPECT_TRUE(contains(message, "expected 32")) << message;
}

TEST_F(OnnxExternalData, ParentEscapeIsRefused) {
  fs::create_directories(dir.path() / "model");
  write_file(dir.path() / "secret.bin", weight_file_bytes());
  write_file(dir.path() / "model" / "model.onnx", model_bytes("../secret.bin"));
  const std::string message = file_import_error((dir.path() / "model" / "model.onnx").string());
  EXPECT_TRUE(contains(message, "initializer 'W'")) << message;
  EXPECT_TRUE(contains(message, "'../secret.bin'")) << message;
  EXPECT_TRUE(contains(message, "outside the model's folder")) << message;
}

TEST_F(OnnxExternalData, AbsolutePathIsRefused) {
  write_file(dir.path() / "abs.bin", weight_file_bytes());
  const std::string absolute = (dir.path() / "abs.bin").string();
  const std::string message = import_file_error(model_bytes(absolute));
  EXPECT_TRUE(contains(message, "initializer 'W'")) << message;
  EXPECT_TRUE(contains(message, "absolute path '" + absolute + "'")) << message;
  EXPECT_TRUE(contains(message, "refused")) << message;
}

TEST_F(OnnxExternalData, SymlinkOutOfTheFolderIsRefused) {
  fs::create_directories(dir.path() / "model");
  write_file(dir.path() / "outside.bin", weight_file_bytes());
  fs::create_symlink(dir.path() / "outside.bin", dir.path() / "model" / "link.bin");
  write_file(dir.path() / "model" / "model.onnx", model_bytes("link.bin"));
  const std::string message = file_import_error((dir.path() / "model" / "model.onnx").string());
  EXPECT_TRUE(contains(message, "'link.bin'")) << message;
  EXPECT_TRUE(contains(message, "outside the model's folder")) << message;
}

TEST_F(OnnxExternalData, BytesWithoutFolderCannotUseExternalData) {
  const std::string message = import_error(model_bytes("model.onnx.data"), "", "mem.onnx");
  EXPECT_TRUE(contains(message, "mem.onnx: initializer 'W'")) << message;
  EXPECT_TRUE(contains(message, "not loaded from a folder")) << message;
}

// ---------------------------------------------------------------- model-local functions

// pkg.test.ScaledAdd(a, b; alpha) = a + b * alpha, with alpha taken by a Constant's ref_attr_name.
::onnx::FunctionProto scaled_add_function() {
  ::onnx::FunctionProto fn;
  fn.set_name("ScaledAdd");
  fn.set_domain("pkg.test");
  fn.add_input("a");
  fn.add_input("b");
  fn.add_output("c");
  fn.add_attribute("alpha");
  auto* opset = fn.add_opset_import();
  opset->set_domain("");
  opset->set_version(18);
  ::onnx::NodeProto* constant = fn.add_node();
  constant->set_op_type("Constant");
  constant->add_output("alpha_value");
  auto* ref = constant->add_attribute();
  ref->set_name("value_float");
  ref->set_type(::onnx::AttributeProto::FLOAT);
  ref->set_ref_attr_name("alpha");
  ::onnx::NodeProto* mul = fn.add_node();
  mul->set_op_type("Mul");
  mul->set_name("scale");
  mul->add_input("b");
  mul->add_input("alpha_value");
  mul->add_output("scaled");
  ::onnx::NodeProto* add = fn.add_node();
  add->set_op_type("Add");
  add->add_input("a");
  add->add_input("scaled");
  add->add_output("c");
  return fn;
}

TEST(OnnxImporter, InlinesModelLocalFunctions) {
  ::onnx::ModelProto proto = make_model(18);
  auto* opset = proto.add_opset_import();
  opset->set_domain("pkg.test");
  opset->set_version(1);
  *proto.add_functions() = scaled_add_function();
  auto* g = proto.mutable_graph();
  add_input(g, "x", kFloat, {int64_t{2}});
  add_input(g, "y", kFloat, {int64_t{2}});
  attr_float(add_node(g, "ScaledAdd", {"x", "y"}, {"first"}, "call1", "pkg.test"), "alpha", 2.0f);
  attr_float(add_node(g, "ScaledAdd", {"first", "y"}, {"second"}, "call2", "pkg.test"), "alpha", 3.0f);
  add_output(g, "second", kFloat, {int64_t{2}});

  ir::Model model = import_onnx_bytes(serialize(proto), "", "fn.onnx");
  const ir::Graph& graph = model.graph;
  ASSERT_EQ(graph.nodes.size(), 4u);  // two Mul + two Add; the Constants became initializers
  for (const ir::Node& node : graph.nodes) {
    EXPECT_EQ(node.domain, "");
    EXPECT_NE(node.op_type, "ScaledAdd");
  }
  const ir::Node& mul1 = graph.nodes[0];
  const ir::Node& add1 = graph.nodes[1];
  const ir::Node& mul2 = graph.nodes[2];
  const ir::Node& add2 = graph.nodes[3];
  EXPECT_EQ(mul1.name, "call1/scale");
  EXPECT_EQ(mul2.name, "call2/scale");
  EXPECT_EQ(mul1.inputs[0], "y");  // formal input b bound to the call's input
  EXPECT_EQ(add1.inputs[0], "x");
  EXPECT_EQ(add1.outputs[0], "first");  // formal output bound to the call's output
  EXPECT_EQ(add2.inputs[0], "first");
  EXPECT_EQ(add2.outputs[0], "second");
  // Internal values are renamed per call, and each call's alpha reached its Constant.
  EXPECT_NE(mul1.outputs[0], mul2.outputs[0]);
  EXPECT_NE(mul1.inputs[1], mul2.inputs[1]);
  EXPECT_EQ(graph.initializers.at(mul1.inputs[1]).data<float>()[0], 2.0f);
  EXPECT_EQ(graph.initializers.at(mul2.inputs[1]).data<float>()[0], 3.0f);
  EXPECT_EQ(add1.inputs[1], mul1.outputs[0]);
}

TEST(OnnxImporter, InlinesNestedFunctionsInsideIfBranches) {
  ::onnx::ModelProto proto = make_model(18);
  *proto.add_functions() = scaled_add_function();
  // pkg.test.Twice(a) = ScaledAdd(a, a; alpha=1), i.e. a function calling a function.
  ::onnx::FunctionProto twice;
  twice.set_name("Twice");
  twice.set_domain("pkg.test");
  twice.add_input("a");
  twice.add_output("out");
  ::onnx::NodeProto* inner = twice.add_node();
  inner->set_op_type("ScaledAdd");
  inner->set_domain("pkg.test");
  inner->add_input("a");
  inner->add_input("a");
  inner->add_output("out");
  attr_float(inner, "alpha", 1.0f);
  *proto.add_functions() = twice;

  auto* g = proto.mutable_graph();
  add_input(g, "x", kFloat, {int64_t{2}});
  add_input(g, "flag", kBool, {});
  auto* if_node = add_node(g, "If", {"flag"}, {"z"}, "branch");
  auto* then_graph = attr_graph(if_node, "then_branch");
  add_node(then_graph, "Twice", {"x"}, {"t"}, "call_twice", "pkg.test");
  add_output(then_graph, "t", kFloat, {});
  auto* else_graph = attr_graph(if_node, "else_branch");
  add_node(else_graph, "Identity", {"x"}, {"e"});
  add_output(else_graph, "e", kFloat, {});
  add_output(g, "z", kFloat, {});

  ir::Model model = import_onnx_bytes(serialize(proto), "", "nested.onnx");
  const ir::Graph& then_ir = *model.graph.nodes.at(0).attr("then_branch").g;
  ASSERT_EQ(then_ir.nodes.size(), 2u);
  EXPECT_EQ(then_ir.nodes[0].op_type, "Mul");
  EXPECT_EQ(then_ir.nodes[1].op_type, "Add");
  EXPECT_EQ(then_ir.nodes[1].outputs[0], "t");
  EXPECT_EQ(then_ir.initializers.at(then_ir.nodes[0].inputs[1]).data<float>()[0], 1.0f);
}

TEST(OnnxImporter, RecursiveFunctionIsRejected) {
  ::onnx::ModelProto proto = make_model(18);
  ::onnx::FunctionProto loop;
  loop.set_name("Forever");
  loop.set_domain("pkg.test");
  loop.add_input("a");
  loop.add_output("b");
  ::onnx::NodeProto* self_call = loop.add_node();
  self_call->set_op_type("Forever");
  self_call->set_domain("pkg.test");
  self_call->add_input("a");
  self_call->add_output("b");
  *proto.add_functions() = loop;
  auto* g = proto.mutable_graph();
  add_input(g, "x", kFloat, {int64_t{2}});
  add_node(g, "Forever", {"x"}, {"y"}, "start", "pkg.test");
  add_output(g, "y", kFloat, {});
  const std::string message = import_error(serialize(proto));
  EXPECT_TRUE(contains(message, "'pkg.test.Forever'")) << message;
  EXPECT_TRUE(contains(message, "recursive")) << message;
}

TEST(OnnxImporter, UnknownDomainWithoutFunctionIsUnsupported) {
  ::onnx::ModelProto proto = make_model(18);
  *proto.add_functions() = scaled_add_function();
  auto* g = proto.mutable_graph();
  add_input(g, "x", kFloat, {int64_t{2}});
  add_node(g, "NotAFunction", {"x"}, {"y"}, "stranger", "pkg.test");
  add_output(g, "y", kFloat, {});
  const std::string message = import_error(serialize(proto));
  EXPECT_TRUE(contains(message, "1 unsupported node:\n  node 'stranger' (NotAFunction, domain 'pkg.test'")) << message;
}

// ---------------------------------------------------------------- the op table

TEST(OnnxOpTable, SortedAndQueryable) {
  const auto& ops = onnx_import::supported_ops();
  EXPECT_EQ(ops.size(), 88u);
  for (size_t i = 1; i < ops.size(); ++i) EXPECT_LT(ops[i - 1].op_type, ops[i].op_type);
  for (const auto& op : ops) EXPECT_FALSE(op.notes.empty()) << op.op_type;
  EXPECT_TRUE(onnx_import::is_supported("", "ScatterElements", 17));
  EXPECT_TRUE(onnx_import::is_supported("ai.onnx", "Gather", 13));
  EXPECT_FALSE(onnx_import::is_supported("", "Einsum", 17));
  EXPECT_FALSE(onnx_import::is_supported("com.microsoft", "Gather", 17));
  EXPECT_FALSE(onnx_import::is_supported("", "Gelu", 18));
  EXPECT_TRUE(onnx_import::is_supported("", "Gelu", 20));
  EXPECT_FALSE(onnx_import::is_supported("", "LayerNormalization", 16));
}

TEST(OnnxOpTable, MarkdownMatchesCommittedDoc) {
  std::ifstream file(std::string(GNNRT_SOURCE_DIR) + "/docs/OPERATORS.md", std::ios::binary);
  ASSERT_TRUE(file) << "docs/OPERATORS.md is missing; generate it with `gnnrt ops --markdown > docs/OPERATORS.md`";
  std::stringstream committed;
  committed << file.rdbuf();
  EXPECT_EQ(committed.str(), onnx_import::operators_markdown())
      << "docs/OPERATORS.md is stale; regenerate it with `gnnrt ops --markdown > docs/OPERATORS.md`";
}

TEST(OnnxOpTable, EveryOpHasACpuKernel) {
  std::vector<std::string> missing;
  for (const auto& op : onnx_import::supported_ops()) {
    if (op.op_type == "Constant") continue;  // folded into initializers at import
    if (!cpu::kernel_registry().find(op.op_type)) missing.push_back(op.op_type);
  }
  std::string list;
  for (const auto& name : missing) list += " " + name;
  EXPECT_TRUE(missing.empty()) << missing.size() << " ops in the import table have no CPU kernel:" << list;
}

// ---------------------------------------------------------------- real PyG exports

TEST(OnnxFixtures, EveryExportedFixtureImports) {
  const fs::path root = GNNRT_FIXTURES_DIR;
  std::vector<fs::path> models;
  std::error_code ec;
  if (fs::is_directory(root, ec))
    for (const auto& case_dir : fs::directory_iterator(root))
      for (const char* exporter : {"torchscript", "dynamo"}) {
        const fs::path path = case_dir.path() / exporter / "model.onnx";
        if (fs::is_regular_file(path, ec)) models.push_back(path);
      }
  if (models.empty()) GTEST_SKIP() << "no fixtures under " << root << " (run python/export_pyg.py)";
  std::sort(models.begin(), models.end());
  for (const fs::path& path : models) {
    SCOPED_TRACE(path.string());
    try {
      ir::Model model = import_onnx_file(path.string());
      EXPECT_FALSE(model.graph.nodes.empty());
      EXPECT_FALSE(model.graph.inputs.empty());
      EXPECT_FALSE(model.graph.outputs.empty());
      EXPECT_EQ(find_node(model.graph, "Constant"), nullptr);
    } catch (const Error& e) {
      ADD_FAILURE() << e.what();
    }
  }
}

}  // namespace
}  // namespace gnnrt
