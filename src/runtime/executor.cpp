#include "runtime/executor.h"

#include <algorithm>
#include <chrono>
#include <set>
#include <unordered_map>

#include "backends/cpu/kernel_registry.h"

namespace gnnrt::runtime {
namespace {

// Values visible while a graph runs; a subgraph's scope falls back to its enclosing one.
struct Scope {
  const Scope* parent = nullptr;
  std::unordered_map<std::string, Tensor> values;

  const Tensor* lookup(const std::string& name) const {
    for (const Scope* s = this; s != nullptr; s = s->parent) {
      auto it = s->values.find(name);
      if (it != s->values.end()) return &it->second;
    }
    return nullptr;
  }
};

void collect_missing_kernels(const ir::Graph& graph, std::vector<std::string>& missing) {
  for (const ir::Node& node : graph.nodes) {
    if (!cpu::kernel_registry().find(node.op_type) || !node.has_runnable_domain()) missing.push_back(node.describe());
    for (const auto& [key, attribute] : node.attributes)
      if (attribute.kind == ir::Attribute::Kind::Graph && attribute.g) collect_missing_kernels(*attribute.g, missing);
  }
}

// Frees each intermediate after its last reader, so peak memory follows the live set: frees[i]
// lists the values node i reads last (graph outputs are never freed). Computed once per graph.
GraphLiveness compute_liveness(const ir::Graph& graph) {
  std::unordered_map<std::string, size_t> last_use;
  std::vector<std::set<std::string>> reads(graph.nodes.size());
  for (size_t i = 0; i < graph.nodes.size(); ++i) {
    ir::collect_reads(graph.nodes[i], reads[i]);
    for (const std::string& name : reads[i]) last_use[name] = i;
  }
  std::set<std::string> keep;
  for (const ir::ValueInfo& out : graph.outputs) keep.insert(out.name);
  GraphLiveness liveness;
  liveness.frees.resize(graph.nodes.size());
  for (const auto& [name, node] : last_use)
    if (!keep.count(name)) liveness.frees[node].push_back(name);
  return liveness;
}

// Which top-level nodes a call runs, and what it keeps of the structure part.
enum class StructureMode {
  RunAll,         // every node (no cache, or a miss: the structure part runs and is captured)
  SkipStructure,  // the structure part's results are preloaded: its nodes are skipped
  OnlyStructure,  // only the structure part (to fill a binding)
};

struct TopLevelPlan {
  const StructureSplit* split = nullptr;
  const std::set<std::string>* boundary = nullptr;  // split->boundary_values as a set
  StructureMode mode = StructureMode::RunAll;
  TensorMap* capture = nullptr;  // boundary values, filled as they are computed
  std::vector<NodeTiming>* profile = nullptr;
};

class GraphRun {
 public:
  GraphRun(DeviceBackend* device, const NodeObserver* observer, LivenessCache& liveness, TopLevelPlan plan = {})
      : device_(device), observer_(observer), liveness_(liveness), plan_(plan) {}

  std::vector<Tensor> run_graph(const ir::Graph& graph, Scope& scope, bool top_level) {
    for (const auto& [name, tensor] : graph.initializers) scope.values.emplace(name, tensor);
    const GraphLiveness& liveness = liveness_of(graph);

    for (size_t i = 0; i < graph.nodes.size(); ++i) {
      const ir::Node& node = graph.nodes[i];
      const bool structural = top_level && plan_.split && plan_.split->is_structure_node[i];
      const bool skip = top_level && ((plan_.mode == StructureMode::SkipStructure && structural) ||
                                      (plan_.mode == StructureMode::OnlyStructure && !structural));
      if (skip) continue;
      std::vector<Tensor> outputs = top_level && plan_.profile ? profiled_run(node, scope) : run_node(node, scope);
      for (size_t k = 0; k < node.outputs.size(); ++k) {
        if (node.outputs[k].empty()) continue;
        if (k >= outputs.size() || !outputs[k].defined())
          fail_internal(node.describe(), " did not compute its output '", node.outputs[k], "'");
        scope.values[node.outputs[k]] = outputs[k];
        if (structural && plan_.capture && plan_.boundary->count(node.outputs[k]))
          (*plan_.capture)[node.outputs[k]] = outputs[k];
      }
      if (top_level && observer_ && *observer_) (*observer_)(node, outputs);
      for (const std::string& name : liveness.frees[i]) scope.values.erase(name);
    }

    std::vector<Tensor> results;
    if (top_level && plan_.mode == StructureMode::OnlyStructure) return results;
    for (const ir::ValueInfo& out : graph.outputs) {
      const Tensor* value = scope.lookup(out.name);
      if (!value) fail_input("graph '", graph.name, "': output '", out.name, "' was never computed");
      results.push_back(*value);
    }
    return results;
  }

  // The node of each device error site, in the order nodes ran.
  const std::vector<const ir::Node*>& sites() const { return sites_; }

 private:
  const GraphLiveness& liveness_of(const ir::Graph& graph) {
    auto it = liveness_.find(&graph);
    if (it == liveness_.end()) it = liveness_.emplace(&graph, compute_liveness(graph)).first;
    return it->second;
  }

  std::vector<Tensor> profiled_run(const ir::Node& node, Scope& scope) {
    std::vector<Tensor> outputs;
    NodeTiming timing{node.name, node.op_type, "cpu", 0.0};
    const auto work = [&] { outputs = run_node(node, scope); };
    if (device_) {
      // Which backend ran it: a device node leaves its outputs on the device.
      timing.milliseconds = device_->time_call_ms(work);
      const bool on_device = !outputs.empty() && outputs[0].defined() && !outputs[0].on_host();
      timing.device = on_device ? device_->name() : "cpu";
    } else {
      const auto start = std::chrono::steady_clock::now();
      work();
      timing.milliseconds = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
    }
    plan_.profile->push_back(timing);
    return outputs;
  }

  std::vector<Tensor> run_node(const ir::Node& node, Scope& scope) {
    std::vector<const Tensor*> inputs;
    for (const std::string& name : node.inputs) {
      if (name.empty()) {
        inputs.push_back(nullptr);
        continue;
      }
      const Tensor* value = scope.lookup(name);
      if (!value) fail_input(node.describe(), ": input '", name, "' has no value (the graph is malformed)");
      inputs.push_back(value);
    }
    const int32_t site = static_cast<int32_t>(sites_.size());
    sites_.push_back(&node);
    try {
      if (device_ && device_->takes(node, inputs)) return device_->run(node, inputs, site);
      return run_on_cpu(node, inputs, scope);
    } catch (const Error& error) {
      const std::string message = error.what();
      // Errors from inside a subgraph already carry their node; keep the innermost.
      if (message.rfind("node '", 0) == 0) throw;
      throw Error(error.code(), node.describe() + ": " + message);
    } catch (const std::bad_alloc&) {
      fail_input(node.describe(), ": out of host memory computing its outputs");
    }
  }

  std::vector<Tensor> run_on_cpu(const ir::Node& node, const std::vector<const Tensor*>& inputs, Scope& scope) {
    // The CPU kernels read data: bring device inputs to the host (Shape and Size need only metadata).
    std::vector<Tensor> host_copies;
    host_copies.reserve(inputs.size());
    cpu::KernelInputs host_inputs;
    const bool metadata_only = node.op_type == "Shape" || node.op_type == "Size";
    for (const Tensor* input : inputs) {
      if (input && !input->on_host() && !metadata_only) {
        host_copies.push_back(device_->to_host(*input));
        host_inputs.push_back(&host_copies.back());
      } else {
        host_inputs.push_back(input);
      }
    }
    cpu::KernelContext context;
    context.run_subgraph = [this, &scope](const ir::Graph& subgraph) {
      Scope inner{&scope, {}};
      return run_graph(subgraph, inner, false);
    };
    const cpu::KernelFn* kernel = cpu::kernel_registry().find(node.op_type);
    GNNRT_CHECK(kernel != nullptr, "no CPU kernel for ", node.describe());
    return (*kernel)(node, host_inputs, context);
  }

  DeviceBackend* device_;
  const NodeObserver* observer_;
  LivenessCache& liveness_;
  TopLevelPlan plan_;
  std::vector<const ir::Node*> sites_;
};

}  // namespace

Executor::Executor(const ir::Graph& graph, DeviceBackend* device) : graph_(graph), device_(device) {
  std::vector<std::string> missing;
  collect_missing_kernels(graph_, missing);
  if (!missing.empty()) {
    std::string list;
    for (const std::string& m : missing) list += "\n  " + m;
    fail_input(missing.size(), " node(s) have no CPU kernel:", list);
  }
  split_ = split_structure(graph_);
  boundary_.insert(split_.boundary_values.begin(), split_.boundary_values.end());
  std::set<std::string> graph_inputs;
  for (const ir::ValueInfo& input : graph_.inputs) graph_inputs.insert(input.name);
  for (size_t i = 0; i < graph_.nodes.size(); ++i) {
    if (split_.is_structure_node[i]) continue;
    std::set<std::string> reads;
    ir::collect_reads(graph_.nodes[i], reads);
    for (const std::string& name : reads)
      if (graph_inputs.count(name)) feature_inputs_.insert(name);
  }
  if (device_) device_->prepare(graph_);
}

Executor::~Executor() = default;

namespace {

TensorMap graph_scope_inputs(const ir::Graph& graph, const TensorMap& inputs) {
  TensorMap values;
  for (const ir::ValueInfo& input : graph.inputs) {
    auto it = inputs.find(input.name);
    if (it == inputs.end()) fail_input("missing input '", input.name, "'");
    values.emplace(input.name, it->second);
  }
  return values;
}

// Drains the stream and clears the error record after a failure: the first error is the one to report.
void drain_after_failure(DeviceBackend* device) {
  if (!device) return;
  try {
    device->finish();
  } catch (...) {
  }
}

// Waits for the device and turns its error record into an error naming the node.
void check_device_errors(DeviceBackend* device, const std::vector<const ir::Node*>& sites) {
  if (!device) return;
  const DeviceBackend::DeviceError error = device->finish();
  if (error.site < 0) return;
  const ir::Node* node = static_cast<size_t>(error.site) < sites.size() ? sites[error.site] : nullptr;
  fail_input(node ? node->describe() : cat("node #", error.site), ": ", error.message);
}

// What makes a recorded call reusable: the structure entry it read, and for every input its dtype,
// shape and, for device inputs, its address (host inputs are copied into the recording's own
// buffers, so their address does not matter).
std::string recording_key(const ir::Graph& graph, const TensorMap& inputs, const StructureEntry* structure) {
  std::string key = cat(static_cast<const void*>(structure));
  for (const ir::ValueInfo& input : graph.inputs) {
    const Tensor& tensor = inputs.at(input.name);
    key += cat("|", input.name, ":", dtype_name(tensor.dtype()), shape_to_string(tensor.shape()));
    if (!tensor.on_host()) key += cat("@", tensor.raw());
  }
  return key;
}

}  // namespace

TensorMap Executor::run(const TensorMap& inputs, const NodeObserver& observer, const RunOptions& options,
                        RunStats* stats) {
  Scope scope;
  for (auto& [name, tensor] : graph_scope_inputs(graph_, inputs)) scope.values.emplace(name, tensor);

  TopLevelPlan plan;
  plan.split = &split_;
  plan.boundary = &boundary_;
  plan.profile = options.profile;
  TensorMap captured;
  std::shared_ptr<const StructureEntry> reused = options.binding;
  if (reused) {
    if (!shapes_match(*reused, inputs))
      fail_input("the inputs' shapes differ from those of the graph binding; bind the new graph first");
  } else if (options.cache && split_.structure_node_count > 0) {
    reused = options.cache->find(split_, inputs, device_);
  }
  if (reused) {
    plan.mode = StructureMode::SkipStructure;
    for (const auto& [name, tensor] : reused->values) scope.values[name] = tensor;
  } else if (options.cache && split_.structure_node_count > 0) {
    plan.capture = &captured;
  }
  if (stats) stats->structure_reused = reused != nullptr;
  if (options.cuda_graph) {
    if (!device_ || !device_->supports_capture()) {
      if (stats) stats->graph_note = "CUDA graphs need the CUDA backend";
    } else if (options.profile || observer) {
      if (stats) stats->graph_note = "a profiled or observed call runs node by node";
    } else if (!reused && split_.structure_node_count > 0) {
      if (stats) stats->graph_note = "the structure part ran in this call (bind the graph, or repeat it for the cache)";
    } else if (auto recorded = run_recorded(inputs, reused, options, stats)) {
      return std::move(*recorded);
    }
  }

  GraphRun run(device_, observer ? &observer : nullptr, liveness_, plan);
  std::vector<Tensor> results;
  try {
    results = run.run_graph(graph_, scope, true);
  } catch (...) {
    drain_after_failure(device_);
    throw;
  }
  TensorMap outputs;
  for (size_t i = 0; i < graph_.outputs.size(); ++i)
    outputs[graph_.outputs[i].name] = options.outputs_on_device ? results[i] : to_host(results[i]);
  // A call that fills the cache is always checked: only results of a call without error are kept.
  if (options.check_device_errors || plan.capture) check_device_errors(device_, run.sites());
  // Only a call that finished without error may fill the cache.
  if (plan.capture) options.cache->store(split_, inputs, std::move(captured), device_);
  return outputs;
}

struct Executor::RecordedCall {
  std::string key;
  int64_t calls = 0;                             // calls seen with this key
  std::shared_ptr<const StructureEntry> structure;  // kept alive: the recording reads its tensors
  std::unique_ptr<CapturedCall> launch;          // null until recorded, or when it cannot be
  std::string not_recordable;                    // why, when it cannot be
  std::map<std::string, Tensor> staged_inputs;   // device buffers for host inputs
  std::vector<Tensor> outputs;                   // written by every launch
  std::vector<const ir::Node*> sites;            // device error sites of the recording
};

std::optional<TensorMap> Executor::run_recorded(const TensorMap& inputs,
                                                const std::shared_ptr<const StructureEntry>& reused,
                                                const RunOptions& options, RunStats* stats) {
  const std::string key = recording_key(graph_, inputs, reused.get());
  auto found = std::find_if(recorded_.begin(), recorded_.end(), [&](const auto& r) { return r->key == key; });
  std::shared_ptr<RecordedCall> call;
  if (found != recorded_.end()) {
    call = *found;
    recorded_.erase(found);
  } else {
    call = std::make_shared<RecordedCall>();
    call->key = key;
    call->structure = reused;
  }
  recorded_.push_front(call);  // most recently used first
  while (recorded_.size() > kMaxRecordedCalls) recorded_.pop_back();

  // The first call runs as usual: it uploads the weights and fills the memory pool and the
  // libraries' plans, none of which a recording may do.
  if (++call->calls == 1) return std::nullopt;
  if (!call->not_recordable.empty()) {
    if (stats) stats->graph_note = call->not_recordable;
    return std::nullopt;
  }
  if (!call->launch) {
    Scope scope;
    for (const ir::ValueInfo& input : graph_.inputs) {
      const Tensor& tensor = inputs.at(input.name);
      if (tensor.on_host() && feature_inputs_.count(input.name)) {
        Tensor staged = device_->to_device(tensor);
        call->staged_inputs.emplace(input.name, staged);
        scope.values.emplace(input.name, staged);
      } else {
        scope.values.emplace(input.name, tensor);
      }
    }
    if (reused)
      for (const auto& [name, tensor] : reused->values) scope.values[name] = tensor;
    TopLevelPlan plan;
    plan.split = &split_;
    plan.boundary = &boundary_;
    plan.mode = StructureMode::SkipStructure;
    GraphRun run(device_, nullptr, liveness_, plan);
    device_->begin_capture();
    std::string why_not;
    try {
      call->outputs = run.run_graph(graph_, scope, true);
    } catch (const std::exception& error) {
      why_not = error.what();
    }
    scope.values.clear();
    std::unique_ptr<CapturedCall> launch = device_->end_capture(why_not);
    if (!launch || !why_not.empty()) {
      call->not_recordable = why_not.empty() ? "the call could not be recorded" : why_not;
      call->outputs.clear();
      call->staged_inputs.clear();
      if (stats) stats->graph_note = call->not_recordable;
      return std::nullopt;
    }
    call->launch = std::move(launch);
    call->sites = run.sites();
  }
  for (auto& [name, staged] : call->staged_inputs) device_->copy_into(inputs.at(name), staged);
  try {
    call->launch->launch();
  } catch (...) {
    drain_after_failure(device_);
    throw;
  }
  // Fresh outputs: the next launch overwrites the recording's own.
  TensorMap outputs;
  for (size_t i = 0; i < graph_.outputs.size(); ++i) {
    const Tensor& result = call->outputs[i];
    outputs[graph_.outputs[i].name] = result.on_host()             ? result
                                      : options.outputs_on_device ? device_->copy_on_device(result)
                                                                  : device_->to_host(result);
  }
  if (options.check_device_errors) check_device_errors(device_, call->sites);
  if (stats) stats->graph_replayed = true;
  return outputs;
}

std::shared_ptr<StructureEntry> Executor::run_structure(const TensorMap& inputs) {
  Scope scope;
  for (auto& [name, tensor] : graph_scope_inputs(graph_, inputs)) scope.values.emplace(name, tensor);
  TopLevelPlan plan;
  plan.split = &split_;
  plan.boundary = &boundary_;
  plan.mode = StructureMode::OnlyStructure;
  TensorMap captured;
  plan.capture = &captured;
  GraphRun run(device_, nullptr, liveness_, plan);
  try {
    run.run_graph(graph_, scope, true);
  } catch (...) {
    drain_after_failure(device_);
    throw;
  }
  check_device_errors(device_, run.sites());
  return make_structure_entry(split_, inputs, std::move(captured), device_, /*private_copies=*/false);
}

Tensor Executor::to_host(const Tensor& tensor) {
  if (tensor.on_host() || !device_) return tensor;
  return device_->to_host(tensor);
}

}  // namespace gnnrt::runtime
