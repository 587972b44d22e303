// The engine file format: round trips (in memory, through a file, over real models) and the
// loader's answer to damaged or crafted files, which must always be an InvalidInput error.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <limits>
#include <random>

#include "engine/checksum.h"
#include "engine/engine_header.h"
#include "engine/engine_reader.h"
#include "engine/engine_writer.h"
#include "engine_generated.h"
#include "onnx/importer.h"
#include "test_support.h"

namespace gnnrt::engine {
namespace {

namespace fbs = ::flatbuffers;
using gnnrt::testing::TempDir;

// ---------------------------------------------------------------- building sample engines

// A tensor whose bytes are a reproducible random pattern (for floats this includes NaNs with
// payloads, infinities and denormals: exactly what a bit-exact round trip must keep).
Tensor pattern_tensor(DType dtype, Dims shape, uint32_t seed) {
  Tensor tensor(dtype, std::move(shape));
  std::mt19937 random(seed);
  auto* bytes = static_cast<uint8_t*>(tensor.raw());
  for (size_t i = 0; i < tensor.nbytes(); ++i)
    bytes[i] = dtype == DType::Bool ? static_cast<uint8_t>(random() & 1) : static_cast<uint8_t>(random());
  return tensor;
}

ir::ValueType value_type(DType dtype, std::vector<ir::Dim> dims) { return ir::ValueType{dtype, std::move(dims)}; }

ir::Attribute int_attribute(int64_t value) {
  ir::Attribute a;
  a.kind = ir::Attribute::Kind::Int;
  a.i = value;
  return a;
}

ir::Attribute graph_attribute(ir::Graph graph) {
  ir::Attribute a;
  a.kind = ir::Attribute::Kind::Graph;
  a.g = std::make_shared<ir::Graph>(std::move(graph));
  return a;
}

ir::Node make_node(std::string name, std::string op_type, std::vector<std::string> inputs,
                   std::vector<std::string> outputs) {
  ir::Node node;
  node.name = std::move(name);
  node.op_type = std::move(op_type);
  node.inputs = std::move(inputs);
  node.outputs = std::move(outputs);
  return node;
}

float float_from_bits(uint32_t bits) {
  float value;
  std::memcpy(&value, &bits, sizeof(value));
  return value;
}

// Every attribute kind, a two-level subgraph that reads outer values, initializers of every
// dtype including empty and rank-0 ones, symbolic/unknown dims, and every engine-level field.
EngineContents sample_engine() {
  EngineContents engine;
  ir::Model& model = engine.model;
  model.opset = 17;
  model.ir_version = 8;
  model.producer = "pytorch 2.11.0";
  model.source_path = "/models/gcn/model.onnx";

  ir::Graph& main = model.graph;
  main.name = "main_graph";
  main.inputs.push_back({"x", value_type(DType::Float32, {ir::Dim::named("num_nodes"), ir::Dim::known(4)})});
  main.inputs.push_back({"edge_index", value_type(DType::Int64, {ir::Dim::known(2), ir::Dim::named("num_edges")})});
  main.inputs.push_back({"flag", value_type(DType::Bool, {})});                  // rank 0
  main.inputs.push_back({"batch", value_type(DType::Int64, {ir::Dim{}})});       // unknown dim
  main.inputs.push_back({"anything", ir::ValueType{DType::Undefined, std::nullopt}});  // unknown rank

  uint32_t seed = 1;
  main.initializers["W"] = pattern_tensor(DType::Float32, {4, 3}, seed++);
  main.initializers["b_half"] = pattern_tensor(DType::Float16, {3}, seed++);
  main.initializers["b_bf16"] = pattern_tensor(DType::BFloat16, {2, 2}, seed++);
  main.initializers["d"] = pattern_tensor(DType::Float64, {5}, seed++);
  main.initializers["i8"] = pattern_tensor(DType::Int8, {7}, seed++);
  main.initializers["u8"] = pattern_tensor(DType::UInt8, {3, 1}, seed++);
  main.initializers["i16"] = pattern_tensor(DType::Int16, {2}, seed++);
  main.initializers["i32"] = pattern_tensor(DType::Int32, {3}, seed++);
  main.initializers["i64"] = pattern_tensor(DType::Int64, {2, 1, 1}, seed++);
  main.initializers["mask"] = pattern_tensor(DType::Bool, {4}, seed++);
  main.initializers["empty"] = Tensor(DType::Float32, {0, 4});
  main.initializers["empty_i64"] = Tensor(DType::Int64, {0});
  main.initializers["scalar"] = pattern_tensor(DType::Float32, {}, seed++);
  main.initializers["big"] = pattern_tensor(DType::Float32, {33, 7}, seed++);  // spans several 64-byte blocks

  ir::Node matmul = make_node("MatMul_0", "MatMul", {"x", "W"}, {"h"});
  ir::Node custom = make_node("Custom_1", "FusedThing", {"h", "", "mask"}, {"h2", ""});
  custom.domain = "gnnrt";
  custom.attributes["i"] = int_attribute(std::numeric_limits<int64_t>::min());
  ir::Attribute f;
  f.kind = ir::Attribute::Kind::Float;
  f.f = -0.0f;  // a default-valued float a lazy writer would drop, and its sign with it
  custom.attributes["f"] = f;
  ir::Attribute s;
  s.kind = ir::Attribute::Kind::String;
  s.s = std::string("add\0mean", 8);  // embedded NUL
  custom.attributes["s"] = s;
  ir::Attribute ints;
  ints.kind = ir::Attribute::Kind::Ints;
  ints.ints = {-1, 0, 1, std::numeric_limits<int64_t>::max()};
  custom.attributes["ints"] = ints;
  ir::Attribute floats;
  floats.kind = ir::Attribute::Kind::Floats;
  floats.floats = {1.5f, -0.0f, std::numeric_limits<float>::infinity(), float_from_bits(0x7fc01234u),
                   std::numeric_limits<float>::denorm_min()};
  custom.attributes["floats"] = floats;
  ir::Attribute strings;
  strings.kind = ir::Attribute::Kind::Strings;
  strings.strings = {"", "héllo", "num_nodes"};
  custom.attributes["strings"] = strings;
  ir::Attribute tensor_attribute;
  tensor_attribute.kind = ir::Attribute::Kind::Tensor;
  tensor_attribute.t = pattern_tensor(DType::Int64, {3}, seed++);
  custom.attributes["t"] = tensor_attribute;
  ir::Attribute empty_ints;
  empty_ints.kind = ir::Attribute::Kind::Ints;
  custom.attributes["no_ints"] = empty_ints;

  ir::Node constant = make_node("Constant_2", "Constant", {}, {"c"});
  ir::Attribute constant_value;
  constant_value.kind = ir::Attribute::Kind::Tensor;
  constant_value.t = pattern_tensor(DType::Float32, {}, seed++);
  constant.attributes["value"] = constant_value;

  // then: reads outer h and c, has its own weight and a nested If reading the outer flag.
  ir::Graph inner;
  inner.name = "inner";
  inner.nodes.push_back(make_node("Neg_0", "Neg", {"h2"}, {"inner_out"}));
  inner.outputs.push_back({"inner_out", value_type(DType::Float32, {ir::Dim::named("num_nodes"), ir::Dim::known(3)})});
  ir::Graph then_branch;
  then_branch.name = "then";
  then_branch.initializers["then_bias"] = pattern_tensor(DType::Float32, {3}, seed++);
  then_branch.nodes.push_back(make_node("Add_0", "Add", {"h2", "then_bias"}, {"t0"}));
  ir::Node nested_if = make_node("If_nested", "If", {"flag"}, {"t1"});
  nested_if.attributes["then_branch"] = graph_attribute(inner);
  nested_if.attributes["else_branch"] = graph_attribute(inner);
  then_branch.nodes.push_back(nested_if);
  then_branch.nodes.push_back(make_node("Mul_0", "Mul", {"t0", "c"}, {"then_out"}));
  then_branch.outputs.push_back({"then_out", value_type(DType::Float32, {ir::Dim::named("num_nodes"), ir::Dim::known(3)})});
  then_branch.value_types["t0"] = value_type(DType::Float32, {ir::Dim::named("num_nodes"), ir::Dim::known(3)});
  ir::Graph else_branch;
  else_branch.name = "else";
  else_branch.outputs.push_back({"h2", value_type(DType::Float32, {})});  // an outer value passed through

  ir::Node if_node = make_node("If_3", "If", {"flag"}, {"y"});
  if_node.attributes["then_branch"] = graph_attribute(then_branch);
  if_node.attributes["else_branch"] = graph_attribute(else_branch);

  main.nodes = {matmul, custom, constant, if_node};
  main.outputs.push_back({"y", value_type(DType::Float32, {ir::Dim::named("num_nodes"), ir::Dim::known(3)})});
  main.value_types["h"] = value_type(DType::Float32, {ir::Dim::named("num_nodes"), ir::Dim::known(3)});
  main.value_types["h2"] = ir::ValueType{DType::Float32, std::nullopt};

  engine.profile.inputs.push_back({"x", {1, 4}, {2708, 4}, {100000, 4}});
  engine.profile.inputs.push_back({"edge_index", {2, 0}, {2, 10556}, {2, 1000000}});
  engine.profile.max_graphs = 64;
  engine.profile.opt_graphs = 48;
  engine.target = {"cuda", 90, "NVIDIA H100 80GB HBM3"};
  engine.kernel_choices = {{"MatMul_0", "cublas_gemm"}, {"Custom_1", "spmm_row_balanced"}};
  engine.applied_passes = {"fold_constants", "lift_message_passing", "fuse_bias_relu"};
  engine.builder_version = "gnnrt 0.1.0";
  return engine;
}

// ---------------------------------------------------------------- comparing

bool same_bits(const void* a, const void* b, size_t size) { return size == 0 || std::memcmp(a, b, size) == 0; }

void expect_same_tensor(const Tensor& a, const Tensor& b, const std::string& where) {
  ASSERT_EQ(a.defined(), b.defined()) << where;
  EXPECT_EQ(a.dtype(), b.dtype()) << where;
  EXPECT_EQ(a.shape(), b.shape()) << where;
  ASSERT_EQ(a.nbytes(), b.nbytes()) << where;
  EXPECT_TRUE(same_bits(a.raw(), b.raw(), a.nbytes())) << where << ": weight bytes differ";
}

void expect_same_type(const ir::ValueType& a, const ir::ValueType& b, const std::string& where) {
  EXPECT_EQ(a.dtype, b.dtype) << where;
  ASSERT_EQ(a.shape.has_value(), b.shape.has_value()) << where;
  if (a.shape) {
    EXPECT_EQ(*a.shape, *b.shape) << where << ": " << a.to_string() << " vs " << b.to_string();
  }
}

void expect_same_value_infos(const std::vector<ir::ValueInfo>& a, const std::vector<ir::ValueInfo>& b,
                             const std::string& where) {
  ASSERT_EQ(a.size(), b.size()) << where;
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].name, b[i].name) << where;
    expect_same_type(a[i].type, b[i].type, where + " " + a[i].name);
  }
}

void expect_same_graph(const ir::Graph& a, const ir::Graph& b, const std::string& where);

void expect_same_attribute(const ir::Attribute& a, const ir::Attribute& b, const std::string& where) {
  using Kind = ir::Attribute::Kind;
  ASSERT_EQ(a.kind, b.kind) << where;
  switch (a.kind) {
    case Kind::Int: EXPECT_EQ(a.i, b.i) << where; break;
    case Kind::Float: EXPECT_TRUE(same_bits(&a.f, &b.f, sizeof(float))) << where << ": " << a.f << " vs " << b.f; break;
    case Kind::String: EXPECT_EQ(a.s, b.s) << where; break;
    case Kind::Ints: EXPECT_EQ(a.ints, b.ints) << where; break;
    case Kind::Floats:
      ASSERT_EQ(a.floats.size(), b.floats.size()) << where;
      EXPECT_TRUE(same_bits(a.floats.data(), b.floats.data(), a.floats.size() * sizeof(float))) << where;
      break;
    case Kind::Strings: EXPECT_EQ(a.strings, b.strings) << where; break;
    case Kind::Tensor: expect_same_tensor(a.t, b.t, where); break;
    case Kind::Graph:
      ASSERT_TRUE(a.g && b.g) << where;
      expect_same_graph(*a.g, *b.g, where);
      break;
  }
}

void expect_same_graph(const ir::Graph& a, const ir::Graph& b, const std::string& where) {
  const std::string at = where + "/" + a.name;
  EXPECT_EQ(a.name, b.name) << at;
  expect_same_value_infos(a.inputs, b.inputs, at + " inputs");
  expect_same_value_infos(a.outputs, b.outputs, at + " outputs");
  ASSERT_EQ(a.initializers.size(), b.initializers.size()) << at;
  for (const auto& [name, tensor] : a.initializers) {
    ASSERT_TRUE(b.initializers.count(name)) << at << " lost initializer " << name;
    expect_same_tensor(tensor, b.initializers.at(name), at + " initializer " + name);
  }
  ASSERT_EQ(a.nodes.size(), b.nodes.size()) << at;
  for (size_t i = 0; i < a.nodes.size(); ++i) {
    const ir::Node& x = a.nodes[i];
    const ir::Node& y = b.nodes[i];
    const std::string node_at = at + " " + x.describe();
    EXPECT_EQ(x.name, y.name) << node_at;
    EXPECT_EQ(x.op_type, y.op_type) << node_at;
    EXPECT_EQ(x.domain, y.domain) << node_at;
    EXPECT_EQ(x.inputs, y.inputs) << node_at;
    EXPECT_EQ(x.outputs, y.outputs) << node_at;
    ASSERT_EQ(x.attributes.size(), y.attributes.size()) << node_at;
    for (const auto& [key, attribute] : x.attributes) {
      ASSERT_TRUE(y.attributes.count(key)) << node_at << " lost attribute " << key;
      expect_same_attribute(attribute, y.attributes.at(key), node_at + " attribute " + key);
    }
  }
  ASSERT_EQ(a.value_types.size(), b.value_types.size()) << at;
  for (const auto& [name, type] : a.value_types) {
    ASSERT_TRUE(b.value_types.count(name)) << at << " lost value type " << name;
    expect_same_type(type, b.value_types.at(name), at + " value " + name);
  }
}

void expect_same_engine(const EngineContents& a, const EngineContents& b) {
  EXPECT_EQ(a.model.opset, b.model.opset);
  EXPECT_EQ(a.model.ir_version, b.model.ir_version);
  EXPECT_EQ(a.model.producer, b.model.producer);
  EXPECT_EQ(a.model.source_path, b.model.source_path);
  expect_same_graph(a.model.graph, b.model.graph, "");
  ASSERT_EQ(a.profile.inputs.size(), b.profile.inputs.size());
  for (size_t i = 0; i < a.profile.inputs.size(); ++i) {
    EXPECT_EQ(a.profile.inputs[i].name, b.profile.inputs[i].name);
    EXPECT_EQ(a.profile.inputs[i].min, b.profile.inputs[i].min);
    EXPECT_EQ(a.profile.inputs[i].opt, b.profile.inputs[i].opt);
    EXPECT_EQ(a.profile.inputs[i].max, b.profile.inputs[i].max);
  }
  EXPECT_EQ(a.profile.max_graphs, b.profile.max_graphs);
  EXPECT_EQ(a.profile.opt_graphs, b.profile.opt_graphs);
  EXPECT_EQ(a.target.device, b.target.device);
  EXPECT_EQ(a.target.compute_capability, b.target.compute_capability);
  EXPECT_EQ(a.target.device_name, b.target.device_name);
  EXPECT_EQ(a.kernel_choices, b.kernel_choices);
  EXPECT_EQ(a.applied_passes, b.applied_passes);
  EXPECT_EQ(a.builder_version, b.builder_version);
}

// ---------------------------------------------------------------- raw bytes helpers

// CRC-32 bit by bit: an implementation independent of the zlib one the engine code uses.
uint32_t naive_crc32(const uint8_t* data, size_t size) {
  uint32_t crc = 0xffffffffu;
  for (size_t i = 0; i < size; ++i) {
    crc ^= data[i];
    for (int bit = 0; bit < 8; ++bit) crc = (crc >> 1) ^ (0xedb88320u & (0u - (crc & 1u)));
  }
  return ~crc;
}

template <typename T>
T read_le(const std::string& bytes, size_t at) {
  T value{};
  for (size_t i = 0; i < sizeof(T); ++i)
    value |= static_cast<T>(static_cast<T>(static_cast<uint8_t>(bytes[at + i])) << (8 * i));
  return value;
}

template <typename T>
void write_le(std::string& bytes, size_t at, T value) {
  for (size_t i = 0; i < sizeof(T); ++i) bytes[at + i] = static_cast<char>(static_cast<uint64_t>(value) >> (8 * i));
}

// Recomputes both checksums after a test edited the bytes, so that the checks behind them run.
void reseal(std::string& bytes) {
  const auto* data = reinterpret_cast<const uint8_t*>(bytes.data());
  write_le<uint32_t>(bytes, 56, naive_crc32(data + 64, bytes.size() - 64));
  write_le<uint32_t>(bytes, 60, naive_crc32(data, 60));
}

// The error a load raises, or a failure when it loads or throws anything else.
::testing::AssertionResult rejected_as_invalid_input(const std::string& bytes, std::string* message = nullptr) {
  try {
    deserialize_engine(bytes.data(), bytes.size(), "test.engine");
  } catch (const Error& error) {
    if (message) *message = error.what();
    if (error.code() != ErrorCode::InvalidInput)
      return ::testing::AssertionFailure() << "error code " << error.exit_code() << ": " << error.what();
    if (std::string(error.what()).find("test.engine") == std::string::npos)
      return ::testing::AssertionFailure() << "message does not name the file: " << error.what();
    return ::testing::AssertionSuccess();
  } catch (const std::exception& error) {
    return ::testing::AssertionFailure() << "not a gnnrt::Error: " << error.what();
  }
  return ::testing::AssertionFailure() << "loaded without an error";
}

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

std::string read_file_bytes(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// ---------------------------------------------------------------- round trips

TEST(EngineFormat, RoundTripInMemoryKeepsEveryFieldAndWeightBit) {
  const EngineContents original = sample_engine();
  const std::string bytes = serialize_engine(original);
  const EngineContents loaded = deserialize_engine(bytes.data(), bytes.size(), "memory");
  expect_same_engine(original, loaded);
  // Spot checks by hand, so that a comparison helper that compares nothing cannot pass.
  const ir::Node& custom = loaded.model.graph.nodes.at(1);
  EXPECT_TRUE(std::signbit(custom.attr("f").f));
  EXPECT_EQ(custom.attr("s").s.size(), 8u);
  EXPECT_EQ(custom.attr_ints("ints").back(), std::numeric_limits<int64_t>::max());
  uint32_t nan_bits;
  std::memcpy(&nan_bits, &custom.attr("floats").floats[3], 4);
  EXPECT_EQ(nan_bits, 0x7fc01234u);
  EXPECT_EQ(loaded.model.graph.initializers.at("scalar").rank(), 0);
  EXPECT_EQ(loaded.model.graph.initializers.at("empty").shape(), (Dims{0, 4}));
  const Tensor& w = loaded.model.graph.initializers.at("W");
  EXPECT_EQ(w.data<float>()[5], original.model.graph.initializers.at("W").data<float>()[5]);
  const ir::Graph& then_branch = *loaded.model.graph.nodes.at(3).attr("then_branch").g;
  EXPECT_EQ(then_branch.nodes.at(1).attr("then_branch").g->nodes.at(0).op_type, "Neg");
  EXPECT_FALSE(loaded.model.graph.inputs.at(4).type.shape.has_value());
  EXPECT_TRUE(loaded.model.graph.inputs.at(2).type.shape->empty());
}

TEST(EngineFormat, SerializingIsDeterministicAndReserializingGivesTheSameBytes) {
  const std::string bytes = serialize_engine(sample_engine());
  EXPECT_EQ(serialize_engine(sample_engine()), bytes);
  const EngineContents loaded = deserialize_engine(bytes.data(), bytes.size(), "memory");
  EXPECT_EQ(serialize_engine(loaded), bytes);
}

TEST(EngineFormat, EmptyGraphRoundTrips) {
  EngineContents engine;
  engine.model.graph.name = "nothing";
  const std::string bytes = serialize_engine(engine);
  const EngineContents loaded = deserialize_engine(bytes.data(), bytes.size(), "memory");
  expect_same_engine(engine, loaded);
  EXPECT_EQ(read_le<uint64_t>(bytes, 48), 0u);  // no weights
}

TEST(EngineFormat, LoadsFromAnUnalignedBuffer) {
  const std::string bytes = serialize_engine(sample_engine());
  std::vector<char> shifted(bytes.size() + 1);
  std::memcpy(shifted.data() + 1, bytes.data(), bytes.size());
  expect_same_engine(sample_engine(), deserialize_engine(shifted.data() + 1, bytes.size(), "shifted"));
}

TEST(EngineFormat, FileRoundTripMapsWeightsAlignedAndCopyOnWrite) {
  TempDir dir;
  const std::string path = (dir / "model.engine").string();
  const EngineContents original = sample_engine();
  write_engine_file(path, original);
  EXPECT_EQ(read_file_bytes(path), serialize_engine(original));

  Tensor kept;
  {
    EngineContents loaded = read_engine_file(path);
    expect_same_engine(original, loaded);
    for (const auto& [name, tensor] : loaded.model.graph.initializers)
      if (tensor.nbytes() > 0) {
        EXPECT_EQ(reinterpret_cast<uintptr_t>(tensor.raw()) % 64, 0u) << name;
      }
    kept = loaded.model.graph.initializers.at("big");
    kept.data<float>()[0] = 12345.0f;  // private mapping: the process's copy changes, the file does not
  }
  // The view keeps the mapping alive after the contents are gone.
  EXPECT_EQ(kept.data<float>()[0], 12345.0f);
  EXPECT_EQ(kept.data<float>()[1], original.model.graph.initializers.at("big").data<float>()[1]);
  EXPECT_EQ(read_file_bytes(path), serialize_engine(original));
}

TEST(EngineFormat, HeaderAndWeightsLayoutMatchTheDocumentation) {
  const EngineContents engine = sample_engine();
  const std::string bytes = serialize_engine(engine);
  const auto* data = reinterpret_cast<const uint8_t*>(bytes.data());
  ASSERT_GE(bytes.size(), 64u);
  EXPECT_EQ(bytes.substr(0, 8), "GNNRTENG");
  EXPECT_EQ(read_le<uint32_t>(bytes, 8), 2u);    // format version
  EXPECT_EQ(read_le<uint32_t>(bytes, 12), 64u);  // header size
  EXPECT_EQ(read_le<uint64_t>(bytes, 16), bytes.size());
  const uint64_t metadata_offset = read_le<uint64_t>(bytes, 24);
  const uint64_t metadata_size = read_le<uint64_t>(bytes, 32);
  const uint64_t weights_offset = read_le<uint64_t>(bytes, 40);
  const uint64_t weights_size = read_le<uint64_t>(bytes, 48);
  EXPECT_EQ(metadata_offset, 64u);
  EXPECT_EQ(weights_offset % 64, 0u);
  EXPECT_GE(weights_offset, metadata_offset + metadata_size);
  EXPECT_LT(weights_offset, metadata_offset + metadata_size + 64);
  EXPECT_EQ(weights_offset + weights_size, bytes.size());
  EXPECT_EQ(read_le<uint32_t>(bytes, 56), naive_crc32(data + 64, bytes.size() - 64));
  EXPECT_EQ(read_le<uint32_t>(bytes, 60), naive_crc32(data, 60));
  EXPECT_EQ(bytes.substr(metadata_offset + 4, 4), "GNRT");  // FlatBuffers file identifier

  // Find each initializer through the schema's own accessors and check its bytes in the file.
  const fb::Engine* root = fb::GetEngine(data + metadata_offset);
  const fb::Graph* graph = root->model()->graph();
  ASSERT_EQ(graph->initializers()->size(), engine.model.graph.initializers.size());
  for (const fb::Initializer* initializer : *graph->initializers()) {
    const Tensor& expected = engine.model.graph.initializers.at(initializer->name()->str());
    const fb::TensorRef* ref = initializer->tensor();
    EXPECT_EQ(ref->offset() % 64, 0u) << initializer->name()->str();
    EXPECT_EQ(ref->byte_size(), expected.nbytes());
    EXPECT_EQ(ref->dtype(), static_cast<uint8_t>(expected.dtype()));
    ASSERT_LE(weights_offset + ref->offset() + ref->byte_size(), bytes.size());
    EXPECT_TRUE(same_bits(data + weights_offset + ref->offset(), expected.raw(), expected.nbytes()))
        << initializer->name()->str();
  }
}

// ---------------------------------------------------------------- damaged files

TEST(EngineFormat, TruncationAtEveryOffsetIsRejected) {
  const std::string bytes = serialize_engine(sample_engine());
  for (size_t length = 0; length < bytes.size(); ++length) {
    std::string message;
    ASSERT_TRUE(rejected_as_invalid_input(bytes.substr(0, length), &message)) << "truncated to " << length;
    if (length >= 64) {
      ASSERT_TRUE(contains(message, "truncated")) << message;
    }
  }
}

TEST(EngineFormat, EveryBitFlipIsRejected) {
  const std::string bytes = serialize_engine(sample_engine());
  size_t flips = 0;
  for (size_t position = 0; position < bytes.size(); ++position) {
    for (int bit = 0; bit < 8; ++bit) {
      std::string damaged = bytes;
      damaged[position] = static_cast<char>(damaged[position] ^ (1 << bit));
      ASSERT_TRUE(rejected_as_invalid_input(damaged)) << "bit " << bit << " of byte " << position;
      ++flips;
    }
  }
  EXPECT_EQ(flips, bytes.size() * 8);
}

TEST(EngineFormat, RandomMultiByteDamageIsRejected) {
  const std::string bytes = serialize_engine(sample_engine());
  std::mt19937 random(7);
  for (int trial = 0; trial < 2000; ++trial) {
    std::string damaged = bytes;
    const int count = 1 + static_cast<int>(random() % 16);
    bool changed = false;
    for (int i = 0; i < count; ++i) {
      const size_t position = random() % damaged.size();
      const char value = static_cast<char>(random());
      changed |= damaged[position] != value;
      damaged[position] = value;
    }
    if (!changed) continue;
    ASSERT_TRUE(rejected_as_invalid_input(damaged)) << "trial " << trial;
  }
}

// With both checksums recomputed the damage reaches the FlatBuffers verifier and the semantic
// checks: a load may then succeed (the damage hit a name, say) but must never crash, and any
// failure must be InvalidInput.
TEST(EngineFormat, DamageBehindValidChecksumsNeverCrashes) {
  const std::string bytes = serialize_engine(sample_engine());
  const uint64_t metadata_size = read_le<uint64_t>(bytes, 32);
  std::mt19937 random(11);
  int rejected = 0, loaded = 0;
  for (int trial = 0; trial < 6000; ++trial) {
    std::string damaged = bytes;
    const int count = 1 + static_cast<int>(random() % 4);
    for (int i = 0; i < count; ++i) {
      // Mostly the metadata, where the structure is; sometimes anywhere after the magic.
      const size_t position = trial % 4 == 0 ? 8 + random() % (damaged.size() - 8) : 64 + random() % metadata_size;
      if (random() % 2) damaged[position] = static_cast<char>(damaged[position] ^ (1 << (random() % 8)));
      else damaged[position] = static_cast<char>(random());
    }
    reseal(damaged);
    try {
      const EngineContents engine = deserialize_engine(damaged.data(), damaged.size(), "fuzzed.engine");
      ++loaded;
      // What loads must be consistent enough to be written again.
      ASSERT_NO_THROW(serialize_engine(engine)) << "trial " << trial;
    } catch (const Error& error) {
      ASSERT_EQ(error.code(), ErrorCode::InvalidInput) << "trial " << trial << ": " << error.what();
      ++rejected;
    }
  }
  EXPECT_GT(rejected, 1000);  // the checks behind the checksums do run
}

TEST(EngineFormat, WrongMagicSaysNotAnEngine) {
  std::string bytes = serialize_engine(sample_engine());
  bytes[3] = 'X';
  std::string message;
  ASSERT_TRUE(rejected_as_invalid_input(bytes, &message));
  EXPECT_TRUE(contains(message, "not a gnnrt engine file")) << message;
  ASSERT_TRUE(rejected_as_invalid_input(std::string("\x08\x07\x12\x07pytorch", 11), &message));  // an ONNX file
  EXPECT_TRUE(contains(message, "not a gnnrt engine file")) << message;
  ASSERT_TRUE(rejected_as_invalid_input("", &message));
  EXPECT_TRUE(contains(message, "not a gnnrt engine file")) << message;
}

// Version 2 added INT8 engines only: a version-1 file (all engines before them) still loads.
TEST(EngineFormat, VersionOneEnginesStillLoad) {
  std::string bytes = serialize_engine(sample_engine());
  EXPECT_EQ(read_le<uint32_t>(bytes, 8), 2u);
  write_le<uint32_t>(bytes, 8, 1);
  reseal(bytes);
  expect_same_engine(sample_engine(), deserialize_engine(bytes.data(), bytes.size(), "v1.engine"));
}

TEST(EngineFormat, OtherFormatVersionSaysRebuild) {
  std::string bytes = serialize_engine(sample_engine());
  write_le<uint32_t>(bytes, 8, 7);
  reseal(bytes);
  std::string message;
  ASSERT_TRUE(rejected_as_invalid_input(bytes, &message));
  EXPECT_TRUE(contains(message, "engine format version 7, this gnnrt reads versions 1 to 2: rebuild the engine with "
                                "`gnnrt build`"))
      << message;
  std::string version_zero = bytes;
  write_le<uint32_t>(version_zero, 8, 0);
  reseal(version_zero);
  ASSERT_TRUE(rejected_as_invalid_input(version_zero, &message));
  EXPECT_TRUE(contains(message, "engine format version 0, this gnnrt reads versions 1 to 2")) << message;
  // A future version may change everything after the version field, even shrink the header.
  ASSERT_TRUE(rejected_as_invalid_input(bytes.substr(0, 12), &message));
  EXPECT_TRUE(contains(message, "engine format version 7")) << message;
}

TEST(EngineFormat, HeaderFieldsPointingOutsideTheFileAreRejected) {
  const std::string good = serialize_engine(sample_engine());
  const uint64_t size = good.size();
  struct Case {
    const char* what;
    size_t field;
    uint64_t value;
    const char* expected;
  };
  const Case cases[] = {
      {"weights far past the end", 48, uint64_t{1} << 40, "weights section"},
      {"weights offset past the end", 40, size + 64, "weights section"},
      {"weights offset wraps around", 40, ~uint64_t{0} - 63, "weights section"},
      {"metadata past the end", 32, size, "metadata section"},
      {"metadata inside the header", 24, 0, "metadata section"},
      {"metadata misaligned", 24, 65, "metadata section"},
      {"empty metadata", 32, 0, "metadata section"},
      {"weights misaligned", 40, read_le<uint64_t>(good, 40) - 8, "not a multiple of 64"},
      {"weights overlap metadata", 40, 64, "overlaps"},
      {"file size larger", 16, size + 1, "truncated"},
      {"file size smaller", 16, size - 1, "unexpected bytes"},
      {"header size", 12, 128, "header size"},
  };
  for (const Case& c : cases) {
    std::string bytes = good;
    if (c.field == 12) write_le<uint32_t>(bytes, c.field, static_cast<uint32_t>(c.value));
    else write_le<uint64_t>(bytes, c.field, c.value);
    reseal(bytes);
    std::string message;
    ASSERT_TRUE(rejected_as_invalid_input(bytes, &message)) << c.what;
    EXPECT_TRUE(contains(message, c.expected)) << c.what << ": " << message;
  }
  std::string appended = good + "x";
  std::string message;
  ASSERT_TRUE(rejected_as_invalid_input(appended, &message));
  EXPECT_TRUE(contains(message, "unexpected bytes")) << message;
}

TEST(EngineFormat, ChecksumMismatchSaysCorrupt) {
  std::string bytes = serialize_engine(sample_engine());
  bytes[bytes.size() - 1] = static_cast<char>(bytes[bytes.size() - 1] ^ 0x10);
  std::string message;
  ASSERT_TRUE(rejected_as_invalid_input(bytes, &message));
  EXPECT_TRUE(contains(message, "checksum mismatch: the file is corrupt")) << message;
  bytes = serialize_engine(sample_engine());
  bytes[20] ^= 1;  // inside the header
  ASSERT_TRUE(rejected_as_invalid_input(bytes, &message));
  EXPECT_TRUE(contains(message, "header checksum mismatch")) << message;
}

// ---------------------------------------------------------------- crafted metadata

// A one-node engine built table by table (Identity(w) -> y), so a test can put in values that
// serialize_engine never writes. Defaults give a valid engine.
struct Crafted {
  uint8_t weight_dtype = static_cast<uint8_t>(DType::Float32);
  std::vector<int64_t> weight_shape{2};
  uint64_t weight_offset = 0;
  uint64_t weight_bytes = 8;
  bool second_weight = false;  // a second tensor at second_offset with 8 bytes
  uint64_t second_offset = 64;
  uint64_t weights_section = 128;
  std::string node_input = "w";
  std::string second_node_output = "";  // a second node (Identity(w) -> this) when not empty
  uint8_t attribute_kind = 0;
  bool graph_attribute_without_graph = false;
  uint8_t output_dtype = static_cast<uint8_t>(DType::Float32);
  int64_t output_dim = 2;
  std::string device = "cpu";
  std::vector<int64_t> profile_max{4};
  std::string profile_input = "x";
  bool duplicate_kernel_choice = false;
};

std::string craft_engine(const Crafted& c) {
  fbs::FlatBufferBuilder b;
  auto tensor = [&](uint64_t offset, uint64_t size) {
    const auto shape = b.CreateVector(c.weight_shape);
    return fb::CreateTensorRef(b, c.weight_dtype, shape, offset, size);
  };
  auto value_type = [&](uint8_t dtype, int64_t dim) {
    std::vector<fbs::Offset<fb::Dim>> dims{fb::CreateDim(b, dim, b.CreateString(""))};
    return fb::CreateValueType(b, dtype, true, b.CreateVector(dims));
  };
  std::vector<fbs::Offset<fb::Initializer>> initializers{
      fb::CreateInitializer(b, b.CreateString("w"), tensor(c.weight_offset, c.weight_bytes))};
  if (c.second_weight)
    initializers.push_back(fb::CreateInitializer(b, b.CreateString("w2"), tensor(c.second_offset, 8)));
  std::vector<fbs::Offset<fb::Attribute>> attributes{fb::CreateAttribute(
      b, b.CreateString("a"), static_cast<fb::AttributeKind>(c.attribute_kind), 3, 0.0f, 0, 0, 0, 0, 0,
      c.graph_attribute_without_graph ? 0 : fbs::Offset<fb::Graph>())};
  std::vector<fbs::Offset<fb::Node>> nodes{fb::CreateNode(
      b, b.CreateString("n0"), b.CreateString("Identity"), b.CreateString(""),
      b.CreateVectorOfStrings(std::vector<std::string>{c.node_input}),
      b.CreateVectorOfStrings(std::vector<std::string>{"y"}), b.CreateVector(attributes))};
  if (!c.second_node_output.empty())
    nodes.push_back(fb::CreateNode(b, b.CreateString("n1"), b.CreateString("Identity"), b.CreateString(""),
                                   b.CreateVectorOfStrings(std::vector<std::string>{"w"}),
                                   b.CreateVectorOfStrings(std::vector<std::string>{c.second_node_output})));
  std::vector<fbs::Offset<fb::ValueInfo>> inputs{fb::CreateValueInfo(b, b.CreateString("x"), value_type(1, 4))};
  std::vector<fbs::Offset<fb::ValueInfo>> outputs{
      fb::CreateValueInfo(b, b.CreateString("y"), value_type(c.output_dtype, c.output_dim))};
  const auto graph = fb::CreateGraph(b, b.CreateString("g"), b.CreateVector(inputs), b.CreateVector(outputs),
                                     b.CreateVector(initializers), b.CreateVector(nodes));
  const auto model = fb::CreateModel(b, graph, 17, 8);
  std::vector<fbs::Offset<fb::InputRange>> ranges{
      fb::CreateInputRange(b, b.CreateString(c.profile_input), b.CreateVector(std::vector<int64_t>{1}),
                           b.CreateVector(std::vector<int64_t>{2}), b.CreateVector(c.profile_max))};
  const auto profile = fb::CreateOptimizationProfile(b, b.CreateVector(ranges), -1);
  const auto target = fb::CreateEngineTarget(b, b.CreateString(c.device), 0, b.CreateString(""));
  std::vector<fbs::Offset<fb::KernelChoice>> choices{
      fb::CreateKernelChoice(b, b.CreateString("n0"), b.CreateString("copy"))};
  if (c.duplicate_kernel_choice) choices.push_back(fb::CreateKernelChoice(b, b.CreateString("n0"), b.CreateString("other")));
  const auto root = fb::CreateEngine(b, b.CreateString("test"), model, profile, target, b.CreateVector(choices));
  fb::FinishEngineBuffer(b, root);

  EngineHeader header;
  header.format_version = kEngineFormatVersion;
  header.metadata_offset = 64;
  header.metadata_size = b.GetSize();
  header.weights_offset = (64 + b.GetSize() + 63) / 64 * 64;
  header.weights_size = c.weights_section;
  header.file_size = header.weights_offset + header.weights_size;
  std::string bytes(header.file_size, '\0');
  std::memcpy(bytes.data() + 64, b.GetBufferPointer(), b.GetSize());
  for (uint64_t i = 0; i < header.weights_size; ++i) bytes[header.weights_offset + i] = static_cast<char>(i * 37 + 1);
  header.payload_checksum = naive_crc32(reinterpret_cast<const uint8_t*>(bytes.data()) + 64, bytes.size() - 64);
  const auto encoded = encode_engine_header(header);
  std::memcpy(bytes.data(), encoded.data(), encoded.size());
  return bytes;
}

TEST(EngineFormat, CraftedBaselineLoads) {
  const std::string bytes = craft_engine({});
  const EngineContents engine = deserialize_engine(bytes.data(), bytes.size(), "crafted");
  const Tensor& w = engine.model.graph.initializers.at("w");
  ASSERT_EQ(w.shape(), (Dims{2}));
  const auto* raw = static_cast<const uint8_t*>(w.raw());
  for (int i = 0; i < 8; ++i) EXPECT_EQ(raw[i], static_cast<uint8_t>(i * 37 + 1));
  EXPECT_EQ(engine.model.graph.nodes.at(0).attr_int("a", 0), 3);
}

TEST(EngineFormat, CraftedSemanticDefectsAreRejectedWithTheirReason) {
  struct Case {
    const char* what;
    std::function<void(Crafted&)> edit;
    const char* expected;
  };
  const std::vector<Case> cases = {
      {"dtype enum out of range", [](Crafted& c) { c.weight_dtype = 42; }, "dtype enum value 42"},
      {"undefined tensor dtype", [](Crafted& c) { c.weight_dtype = 0; }, "dtype enum value 0"},
      {"value dtype out of range", [](Crafted& c) { c.output_dtype = 11; }, "dtype enum value 11"},
      {"byte size too small", [](Crafted& c) { c.weight_bytes = 4; }, "needs 8 bytes"},
      {"byte size too large", [](Crafted& c) { c.weight_bytes = 16; }, "needs 8 bytes"},
      {"negative tensor dim", [](Crafted& c) { c.weight_shape = {-2}; }, "negative dimension"},
      {"element count overflow", [](Crafted& c) { c.weight_shape = {int64_t{1} << 40, int64_t{1} << 40}; },
       "more elements than int64"},
      {"byte count overflow", [](Crafted& c) { c.weight_shape = {int64_t{1} << 62}; }, "too large"},
      {"tensor outside the section", [](Crafted& c) { c.weight_offset = 128; }, "outside the 128-byte weights section"},
      {"tensor offset huge", [](Crafted& c) { c.weight_offset = ~uint64_t{0} - 63; }, "outside"},
      {"tensor misaligned", [](Crafted& c) { c.weight_offset = 8; }, "not a multiple of 64"},
      {"tensors overlap",
       [](Crafted& c) {
         c.second_weight = true;
         c.second_offset = 0;
       },
       "overlap"},
      {"undefined node input", [](Crafted& c) { c.node_input = "ghost"; }, "reads value 'ghost'"},
      {"value defined twice", [](Crafted& c) { c.second_node_output = "y"; }, "defined twice"},
      {"attribute kind out of range", [](Crafted& c) { c.attribute_kind = 99; }, "attribute kind 99"},
      {"graph attribute without graph",
       [](Crafted& c) {
         c.attribute_kind = static_cast<uint8_t>(fb::AttributeKind::Graph);
         c.graph_attribute_without_graph = true;
       },
       "subgraph is missing"},
      {"tensor attribute without tensor",
       [](Crafted& c) { c.attribute_kind = static_cast<uint8_t>(fb::AttributeKind::Tensor); }, "tensor is missing"},
      {"dim below -1", [](Crafted& c) { c.output_dim = -5; }, "-5"},
      {"unknown device", [](Crafted& c) { c.device = "tpu"; }, "device 'tpu'"},
      {"profile max below opt", [](Crafted& c) { c.profile_max = {1}; }, "min <= opt <= max"},
      {"profile rank mismatch", [](Crafted& c) { c.profile_max = {4, 4}; }, "differ in rank"},
      {"profile of a non-input", [](Crafted& c) { c.profile_input = "w"; }, "no such input"},
      {"kernel choice twice", [](Crafted& c) { c.duplicate_kernel_choice = true; }, "listed twice"},
  };
  for (const Case& c : cases) {
    Crafted crafted;
    c.edit(crafted);
    std::string message;
    ASSERT_TRUE(rejected_as_invalid_input(craft_engine(crafted), &message)) << c.what;
    EXPECT_TRUE(contains(message, c.expected)) << c.what << ": " << message;
  }
}

TEST(EngineFormat, MetadataThatFailsTheVerifierIsRejected) {
  std::string bytes = craft_engine({});
  // Point the root offset past the end of the metadata: only the verifier can tell.
  write_le<uint32_t>(bytes, 64, 0x7ffffff0u);
  reseal(bytes);
  std::string message;
  ASSERT_TRUE(rejected_as_invalid_input(bytes, &message));
  EXPECT_TRUE(contains(message, "FlatBuffers verification")) << message;
}

// ---------------------------------------------------------------- files

TEST(EngineFormat, FailedWriteLeavesTheOldFileAndNoTemporary) {
  TempDir dir;
  const std::string path = (dir / "model.engine").string();
  write_engine_file(path, sample_engine());
  const std::string before = read_file_bytes(path);

  EngineContents bad = sample_engine();
  bad.model.graph.nodes.at(0).inputs.at(0) = "undefined_value";
  try {
    write_engine_file(path, bad);
    FAIL() << "wrote an engine whose node reads an undefined value";
  } catch (const Error& error) {
    EXPECT_EQ(error.code(), ErrorCode::Internal);
    EXPECT_TRUE(contains(error.what(), "undefined_value")) << error.what();
  }
  EXPECT_EQ(read_file_bytes(path), before);
  size_t entries = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir.path())) {
    ++entries;
    EXPECT_EQ(entry.path().filename(), "model.engine");
  }
  EXPECT_EQ(entries, 1u);

  // A new path: nothing at all appears.
  const std::string fresh = (dir / "fresh.engine").string();
  EngineContents device_weight = sample_engine();
  device_weight.model.graph.initializers["W"] = Tensor();  // undefined tensor
  EXPECT_THROW(write_engine_file(fresh, device_weight), Error);
  EXPECT_FALSE(std::filesystem::exists(fresh));
}

TEST(EngineFormat, WriteIntoAMissingFolderIsInvalidInput) {
  TempDir dir;
  const std::string path = (dir / "no" / "such" / "model.engine").string();
  try {
    write_engine_file(path, sample_engine());
    FAIL() << "wrote into a missing folder";
  } catch (const Error& error) {
    EXPECT_EQ(error.code(), ErrorCode::InvalidInput);
  }
  EXPECT_FALSE(std::filesystem::exists(path));
}

TEST(EngineFormat, ReadingMissingFoldersAndEmptyFilesIsInvalidInput) {
  TempDir dir;
  auto expect_invalid = [](const std::string& path, const std::string& expected) {
    try {
      read_engine_file(path);
      ADD_FAILURE() << "read " << path;
    } catch (const Error& error) {
      EXPECT_EQ(error.code(), ErrorCode::InvalidInput) << error.what();
      EXPECT_TRUE(contains(error.what(), path)) << error.what();
      EXPECT_TRUE(contains(error.what(), expected)) << error.what();
    }
  };
  expect_invalid((dir / "missing.engine").string(), "No such file");
  expect_invalid(dir.path().string(), "folder");
  std::ofstream((dir / "empty.engine").string()).close();
  expect_invalid((dir / "empty.engine").string(), "not a gnnrt engine file");
  const std::string bytes = serialize_engine(sample_engine());
  std::ofstream((dir / "cut.engine").string(), std::ios::binary).write(bytes.data(), 1000);
  expect_invalid((dir / "cut.engine").string(), "truncated");
}

// ---------------------------------------------------------------- real models

// Every exported fixture model, imported, round-trips through an engine file unchanged.
// GNNRT_ENGINE_TEST_FIXTURES overrides the fixture folder (handy before fixtures are committed).
TEST(EngineFormat, RealModelsRoundTrip) {
  std::filesystem::path root = gnnrt::testing::fixtures_dir();
  if (const char* override_dir = std::getenv("GNNRT_ENGINE_TEST_FIXTURES")) root = override_dir;
  std::vector<std::filesystem::path> models;
  if (std::filesystem::is_directory(root))
    for (const auto& fixture : std::filesystem::directory_iterator(root))
      for (const char* exporter : {"torchscript", "dynamo"})
        if (std::filesystem::exists(fixture.path() / exporter / "model.onnx"))
          models.push_back(fixture.path() / exporter / "model.onnx");
  if (models.empty()) GTEST_SKIP() << "no fixtures under " << root;
  std::sort(models.begin(), models.end());
  TempDir dir;
  size_t round_tripped = 0;
  for (const auto& model_path : models) {
    SCOPED_TRACE(model_path.string());
    EngineContents engine;
    try {
      engine.model = onnx_import::import_onnx_file(model_path.string());
    } catch (const Error&) {  // the importer's business, tested elsewhere
      std::cout << "[ skipped  ] " << model_path.string() << ": the importer rejects it\n";
      continue;
    }
    engine.builder_version = "test";
    ASSERT_FALSE(engine.model.graph.nodes.empty());
    const std::string path = (dir / "model.engine").string();
    write_engine_file(path, engine);
    const EngineContents loaded = read_engine_file(path);
    expect_same_engine(engine, loaded);
    EXPECT_EQ(serialize_engine(loaded), read_file_bytes(path));
    ++round_tripped;
  }
  if (round_tripped == 0) GTEST_SKIP() << "the importer accepts none of the fixtures under " << root;
  std::cout << "[ checked  ] " << round_tripped << " of " << models.size() << " fixture models\n";
}

}  // namespace
}  // namespace gnnrt::engine
