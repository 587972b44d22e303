// Runs an IR graph node by node in topological order. CPU kernels are the reference; with a
// device backend, the nodes it takes run there and their values stay on the device.
#pragma once

#include <functional>
#include <list>
#include <optional>
#include <map>
#include <set>
#include <unordered_map>
#include <string>
#include <vector>

#include "gnnrt/tensor.h"
#include "ir/graph.h"
#include "runtime/backend.h"
#include "runtime/execution_plan.h"
#include "runtime/structure_cache.h"
#include "runtime/structure_split.h"

namespace gnnrt::runtime {

// Per-node time of one profiled call (--dump-profile), in graph order.
struct NodeTiming {
  std::string node;
  std::string op_type;
  std::string device;  // "cuda" or "cpu"
  double milliseconds = 0;
};

struct RunOptions {
  // Reuse the structure-only part's results across calls on the same graph (content compared).
  StructureCache* cache = nullptr;
  // Or an explicit binding: its results are used without any comparison (the caller vouches that
  // the structure inputs are the bound ones; the input shapes are still checked).
  std::shared_ptr<const StructureEntry> binding;
  // Leave the outputs where they were computed (device tensors on a device backend).
  bool outputs_on_device = false;
  // Wait for the device and check its error record before returning (off: the caller calls
  // DeviceBackend::finish() itself, e.g. outside a timed region).
  bool check_device_errors = true;
  // When set, each top-level node is timed (synchronously: for profiling only).
  std::vector<NodeTiming>* profile = nullptr;
  // Replay the call as a CUDA graph (trtexec's --useCudaGraph) when the structure part is skipped
  // (a binding or a cache hit) or absent: the first call on a set of input shapes and device
  // addresses runs as usual, the second records it, later ones launch the recording. Host inputs
  // are copied into device buffers the recording reads; outputs are copied out of its own. A call
  // that cannot be recorded (it reads a device value on the host) runs as usual, with the reason
  // in RunStats::graph_note.
  bool cuda_graph = false;
};

// The plan of the graph and of each subgraph inside it, made with the executor.
using PlanCache = std::unordered_map<const ir::Graph*, ExecutionPlan>;

struct RunStats {
  bool structure_reused = false;  // the structure part was skipped (cache hit or binding)
  bool graph_replayed = false;    // the call was a CUDA graph launch (RunOptions::cuda_graph)
  std::string graph_note;         // why a call asked to replay was not replayed
};

// Called after each node of the top-level graph ran, with its outputs (host or device tensors).
using NodeObserver = std::function<void(const ir::Node& node, const std::vector<Tensor>& outputs)>;

class Executor {
 public:
  // `device`: nullptr runs everything on the CPU. Fails (InvalidInput) listing every node that
  // has no CPU kernel (every op needs one: it is the fallback and the reference).
  explicit Executor(const ir::Graph& graph, DeviceBackend* device = nullptr);
  ~Executor();
  Executor(const Executor&) = delete;  // plan_ points into plans_
  Executor& operator=(const Executor&) = delete;

  // `inputs` must hold every graph input (validate them first: runtime/input_binding.h).
  // Returns the graph outputs by name, as host tensors.
  TensorMap run(const TensorMap& inputs, const NodeObserver& observer = {}, const RunOptions& options = {},
                RunStats* stats = nullptr);

  // Runs only the structure-only part and returns what a binding holds (sharing the structure
  // inputs, not copying them).
  std::shared_ptr<StructureEntry> run_structure(const TensorMap& inputs);

  const StructureSplit& structure() const { return split_; }

  // Recorded calls (RunOptions::cuda_graph) kept at once, the most recently used first.
  static constexpr size_t kMaxRecordedCalls = 4;

  // A host copy of any value the observer was handed.
  Tensor to_host(const Tensor& tensor);

 private:
  struct RecordedCall;
  // One attempt at run(); nullopt only when `may_defer` let the cache guess a hit that the
  // device's comparison then refuted (the caller runs it again without the guess).
  std::optional<TensorMap> run_once(const TensorMap& inputs, const NodeObserver& observer, const RunOptions& options,
                                    RunStats* stats, bool may_defer);
  // The deferred comparison refuted the cache's guess `guessed`: the cache drops it, and so do the
  // recordings made for it.
  void reject_guess(StructureCache& cache, const StructureEntry* guessed);
  // A call replayed from (or recorded into) a CUDA graph, its device errors not yet checked
  // (`sites`: the nodes behind its error sites); nullopt when it must run as usual.
  std::optional<TensorMap> run_recorded(const TensorMap& inputs, const std::shared_ptr<const StructureEntry>& reused,
                                        const RunOptions& options, RunStats* stats,
                                        std::vector<const ir::Node*>& sites);

  const ir::Graph& graph_;
  DeviceBackend* device_;
  StructureSplit split_;
  PlanCache plans_;                       // read-only once made: calls do not change it
  const ExecutionPlan* plan_ = nullptr;    // the top-level graph's, in plans_
  std::vector<bool> boundary_slots_;       // per top-level slot: one of split_.boundary_values
  std::set<std::string> feature_inputs_;  // graph inputs read outside the structure part
  std::list<std::shared_ptr<RecordedCall>> recorded_;
};

}  // namespace gnnrt::runtime
