// Fuzz target: the input validator (src/runtime/input_binding.cpp, graph_input_checks.cpp,
// profile_check.cpp) in front of real fixture models, and the property it exists for: inputs it
// accepts run through the CPU executor without a crash or an internal error.
//
// Input framing (tests/fuzz/make_seed_corpus.py writes it from the fixtures' inputs):
//   byte 0     which model (kModels, modulo their number)
//   byte 1     flags: bit 0 = allow_cast (gnnrt run --allow-cast)
//   then tensors, until the bytes run out, each:
//     u8 input (the model's inputs in order, modulo their number + 1; the extra one is an
//        unknown name), u8 dtype (gnnrt::DType, modulo 11), u8 rank (modulo 4),
//     rank x u16 dims, u16 L, L bytes repeated to fill the tensor (zeros when L = 0).
#include <algorithm>
#include <cstring>
#include <memory>
#include <vector>

#include "builder/engine_builder.h"
#include "fuzz_support.h"
#include "onnx/importer.h"
#include "runtime/inference.h"

namespace {

using namespace gnnrt;

// Keep in step with MODELS in make_seed_corpus.py. Small fixtures that cover the validator's
// cases: edge weights, a batch vector with a frozen graph count, a bounded profile, GAT, inputs
// found by shape instead of by name.
struct ModelSpec {
  const char* onnx;  // under tests/fixtures
  int64_t max_nodes, max_edges, max_graphs;
};
constexpr ModelSpec kModels[] = {
    {"gcn_edge_weight/torchscript/model.onnx", -1, -1, -1},
    {"gcn_graph_mean_pool/torchscript/model.onnx", -1, -1, -1},
    {"gcn_graph_add_pool/dynamo/model.onnx", 64, 256, 8},
    {"gat/dynamo/model.onnx", -1, -1, -1},
    {"sage/torchscript/model.onnx", 64, 256, -1},
    {"gcn_default_names/dynamo/model.onnx", -1, -1, -1},
};
constexpr size_t kModelCount = sizeof(kModels) / sizeof(kModels[0]);
// One tensor's bytes at most: keeps each run fast and inside libFuzzer's memory limit.
constexpr uint64_t kMaxTensorBytes = uint64_t{1} << 22;

struct LoadedModel {
  engine::EngineContents engine;
  std::unique_ptr<runtime::Executor> executor;
};

std::vector<LoadedModel>& models() {
  static std::vector<LoadedModel> loaded = [] {
    std::vector<LoadedModel> result;
    result.reserve(kModelCount);  // an executor refers to its engine's graph: no reallocation
    for (const ModelSpec& spec : kModels) {
      builder::BuildOptions options;
      options.profile.max_nodes = spec.max_nodes;
      options.profile.max_edges = spec.max_edges;
      options.profile.max_graphs = spec.max_graphs;
      LoadedModel& model = result.emplace_back();
      model.engine = builder::build_engine(
          onnx_import::import_onnx_file(std::string(GNNRT_FIXTURES_DIR) + "/" + spec.onnx), options);
      model.executor = std::make_unique<runtime::Executor>(model.engine.model.graph, nullptr);
    }
    return result;
  }();
  return loaded;
}

class Reader {
 public:
  Reader(const uint8_t* data, size_t size) : data_(data), size_(size) {}
  bool has(size_t n) const { return size_ - pos_ >= n; }
  uint8_t u8() { return data_[pos_++]; }
  uint16_t u16() {
    const uint16_t value = fuzz::read_u16(data_ + pos_);
    pos_ += 2;
    return value;
  }
  const uint8_t* take(size_t n) {
    const uint8_t* at = data_ + pos_;
    pos_ += n;
    return at;
  }
  size_t left() const { return size_ - pos_; }

 private:
  const uint8_t* data_;
  size_t size_;
  size_t pos_ = 0;
};

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  gnnrt::fuzz::limit_host_allocations();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  Reader in(data, size);
  LoadedModel& model = models()[in.u8() % kModelCount];
  runtime::BindOptions options;
  options.allow_cast = in.u8() & 1;

  const ir::Graph& graph = model.engine.model.graph;
  runtime::TensorMap inputs;
  while (in.has(3)) {
    const size_t which = in.u8() % (graph.inputs.size() + 1);
    const std::string name = which < graph.inputs.size() ? graph.inputs[which].name : "not_an_input";
    const auto dtype = static_cast<DType>(in.u8() % (static_cast<int>(DType::Bool) + 1));
    const size_t rank = in.u8() % 4;
    if (!in.has(2 * rank + 2)) break;
    Dims shape;
    uint64_t elements = 1;
    for (size_t d = 0; d < rank; ++d) {
      shape.push_back(in.u16());
      elements *= static_cast<uint64_t>(shape.back());
    }
    const size_t fill_size = std::min<size_t>(in.u16(), in.left());
    const uint8_t* fill = in.take(fill_size);
    if (dtype == DType::Undefined || elements * dtype_size(dtype) > kMaxTensorBytes) continue;
    Tensor tensor(dtype, shape);
    auto* bytes = static_cast<uint8_t*>(tensor.raw());
    if (fill_size > 0)
      for (size_t i = 0; i < tensor.nbytes(); ++i) bytes[i] = fill[i % fill_size];
    // A bool holds 0 or 1 (the .npy reader makes it so); anything else is undefined in C++.
    if (dtype == DType::Bool)
      for (size_t i = 0; i < tensor.nbytes(); ++i) bytes[i] &= 1;
    inputs[name] = tensor;
  }
  fuzz::expect_only_user_errors([&] { runtime::run_engine(model.engine, *model.executor, inputs, options); });
  return 0;
}
