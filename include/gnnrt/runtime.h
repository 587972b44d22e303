// gnnrt's C++ API, the way TensorRT's is used: build or load an engine once, create one
// execution context per thread (each with its own device stream and memory), bind inputs, run,
// read the outputs.
//
//   auto engine = gnnrt::Engine::load("gcn.engine");
//   auto context = engine->create_context();
//   auto outputs = context->run({{"x", x}, {"edge_index", edge_index}});
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "gnnrt/tensor.h"

namespace gnnrt {

namespace engine {
struct EngineContents;
}
namespace runtime {
struct StructureEntry;
}

struct BuildConfig {
  std::string device = "cpu";  // "cpu" or "cuda"
  // trtexec-style shapes "x:1x1433,edge_index:2x0" and the PyG shortcuts (-1: not given).
  std::string min_shapes, opt_shapes, max_shapes;
  int64_t max_nodes = -1, max_edges = -1, max_graphs = -1;
  // The sizes to optimise for (--opt-nodes, --opt-edges, --opt-graphs): a CUDA build times its
  // SpMM tactics at them; without them (and without opt_shapes) the run-time heuristic chooses.
  int64_t opt_nodes = -1, opt_edges = -1, opt_graphs = -1;
  // "fp32", or "fp16"/"bf16" (trtexec's --fp16/--bf16): node features stored in 16 bits between the
  // layers, fp32 accumulation; inputs and outputs stay fp32. "int8" (CPU or CUDA, docs/INT8.md, as
  // `gnnrt build --int8`): needs calibration_graphs or an existing calibration_cache. Anything else
  // fails (InvalidInput).
  std::string precision = "fp32";
  // precision "int8": graphs to calibrate on and to measure each layer on, each as
  // ExecutionContext::run's inputs (--calib-data); and/or a calibration cache file, read when it
  // exists (no calibration run), else written after calibrating (--calib-cache).
  std::vector<std::map<std::string, Tensor>> calibration_graphs;
  std::string calibration_cache;
  std::string calibrator = "entropy";  // entropy, minmax or percentile (--calibrator)
  double percentile = 99.99;           // --percentile
  double int8_layer_tolerance = 0.05;  // --int8-layer-tolerance: past it a layer stays fp16 (< 0: none)
  double int8_layer_max_flips = 0.5;   // --int8-layer-max-flips, percent of predictions (< 0: not checked)
  std::vector<std::string> layer_precisions;  // "NAME:fp16" / "NAME:fp32" (--layer-precision)
  bool int8_per_row = false;                  // --int8-scales row
};

class ExecutionContext;

class Engine : public std::enable_shared_from_this<Engine> {
 public:
  static std::shared_ptr<Engine> build_from_onnx(const std::string& onnx_path, const BuildConfig& config = {});
  static std::shared_ptr<Engine> load(const std::string& engine_path);
  void save(const std::string& engine_path) const;

  std::string device() const;  // what it was built for
  std::vector<std::string> input_names() const;
  std::vector<std::string> output_names() const;

  // A context runs on the engine's device; contexts of one engine may run concurrently.
  std::unique_ptr<ExecutionContext> create_context() const;

  const engine::EngineContents& contents() const { return *contents_; }
  ~Engine();

 private:
  explicit Engine(std::unique_ptr<engine::EngineContents> contents);
  std::unique_ptr<engine::EngineContents> contents_;
};

// A graph bound to an execution context: the results of the model's structure-only part (self-loops,
// degrees, normalisation, the CSR matrix) computed once for one edge_index/edge_weight/batch and
// kept, so that many feature sets run on it without redoing that work or comparing the graph again.
class GraphBinding {
 public:
  GraphBinding() = default;
  bool valid() const { return entry_ != nullptr; }

 private:
  friend class ExecutionContext;
  std::shared_ptr<const runtime::StructureEntry> entry_;
};

class ExecutionContext {
 public:
  ~ExecutionContext();
  // Inputs may be host tensors or, on a CUDA context, device tensors. Inputs are checked against
  // the model and the profile; errors are gnnrt::Error (InvalidInput for the caller's mistakes).
  // Returns host tensors, one per model output. The context caches the structure-only part's
  // results: a call whose edge_index (and edge_weight, batch) equal the previous call's, byte for
  // byte, and whose inputs have the same shapes, skips it.
  std::map<std::string, Tensor> run(const std::map<std::string, Tensor>& inputs);

  // Binds the graph in `inputs` (all model inputs; only the shapes of the node features are read).
  GraphBinding bind_graph(const std::map<std::string, Tensor>& inputs);
  // Runs on a bound graph. The structure inputs (edge_index, edge_weight, batch) may be left out:
  // the binding's are used; every input must have the shape it had when bound.
  std::map<std::string, Tensor> run(const std::map<std::string, Tensor>& inputs, const GraphBinding& graph);

  // Many small graphs in one call, as PyG batches them: each graph's inputs by name (node features,
  // edge_index with the graph's own node ids, edge_weight if the model takes it; no batch vector,
  // which is built here), as host tensors. They are merged into one disjoint union (on the host),
  // run once, and the results come back per graph, in order: node-level outputs the graph's own
  // rows, graph-level outputs (a pooled model) one row each. Graphs may have no nodes or edges.
  std::vector<std::map<std::string, Tensor>> run_batch(const std::vector<std::map<std::string, Tensor>>& graphs);

  // CUDA contexts: replay calls that skip the structure part (a binding or a cache hit) as CUDA
  // graphs, as trtexec --useCudaGraph does. A call on new input shapes or new device input
  // addresses runs node by node once and is recorded on the next; results are identical either
  // way. Ignored on the CPU.
  void set_cuda_graphs(bool enabled);

  // CUDA contexts: return outputs as device tensors (from the context's memory, released when the
  // last Tensor sharing them goes) instead of host copies, for a caller that keeps working on the
  // device. Off by default. Ignored on the CPU.
  void set_outputs_on_device(bool enabled);

  // CUDA contexts: a cudaStream_t of the caller's (a framework's current stream, as TensorRT's
  // enqueueV3 takes one) that later calls are ordered after: each call's device work starts once the
  // work queued on `stream` before the call is done, so inputs written there are complete. nullptr
  // is CUDA's legacy default stream, as everywhere in CUDA. A call still returns with its own work
  // finished, so its outputs may be used on any stream. Until set_stream is called, calls wait for
  // nothing (the caller has finished writing the inputs). Ignored on the CPU.
  void set_stream(void* cuda_stream);

 private:
  friend class Engine;
  struct State;
  explicit ExecutionContext(std::shared_ptr<const Engine> engine);
  std::unique_ptr<State> state_;
};

}  // namespace gnnrt
