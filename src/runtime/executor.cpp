#include "runtime/executor.h"

#include <algorithm>
#include <chrono>
#include <set>
#include <unordered_map>

#include "backends/cpu/kernel_registry.h"

namespace gnnrt::runtime {
namespace {

// Values visible while a graph runs, one slot per value its plan numbers; a subgraph's scope
// falls back to its enclosing one for values it does not define.
struct Scope {
  const ExecutionPlan* plan = nullptr;
  const Scope* parent = nullptr;
  std::vector<Tensor> slots;

  Scope(const ExecutionPlan& graph_plan, const Scope* enclosing)
      : plan(&graph_plan), parent(enclosing), slots(graph_plan.slot_names.size()) {}

  const Tensor* lookup(const std::string& name) const {
    for (const Scope* s = this; s != nullptr; s = s->parent) {
      const int32_t slot = s->plan->find_slot(name);
      if (slot >= 0 && s->slots[static_cast<size_t>(slot)].defined()) return &s->slots[static_cast<size_t>(slot)];
    }
    return nullptr;
  }
  const Tensor* lookup(const ValueRef& value) const {
    if (value.slot >= 0 && slots[static_cast<size_t>(value.slot)].defined()) return &slots[static_cast<size_t>(value.slot)];
    return lookup(*value.name);
  }
  // Sets a value by name (structure results preloaded from a cache entry or binding).
  void set(const std::string& name, const Tensor& tensor) {
    const int32_t slot = plan->find_slot(name);
    GNNRT_CHECK(slot >= 0, "value '", name, "' is not defined by graph '", plan->graph->name, "'");
    slots[static_cast<size_t>(slot)] = tensor;
  }
};

void collect_missing_kernels(const ir::Graph& graph, std::vector<std::string>& missing) {
  for (const ir::Node& node : graph.nodes) {
    if (!cpu::kernel_registry().find(node.op_type) || !node.has_runnable_domain()) missing.push_back(node.describe());
    for (const auto& [key, attribute] : node.attributes)
      if (attribute.kind == ir::Attribute::Kind::Graph && attribute.g) collect_missing_kernels(*attribute.g, missing);
  }
}

// Plans `graph` and every subgraph inside it, once, when the executor is made.
void plan_graphs(const ir::Graph& graph, PlanCache& plans) {
  plans.emplace(&graph, plan_graph(graph));
  for (const ir::Node& node : graph.nodes)
    for (const auto& [key, attribute] : node.attributes)
      if (attribute.kind == ir::Attribute::Kind::Graph && attribute.g) plan_graphs(*attribute.g, plans);
}

// Which top-level nodes a call runs, and what it keeps of the structure part.
enum class StructureMode {
  RunAll,         // every node (no cache, or a miss: the structure part runs and is captured)
  SkipStructure,  // the structure part's results are preloaded: its nodes are skipped
  OnlyStructure,  // only the structure part (to fill a binding)
};

struct TopLevelPlan {
  const StructureSplit* split = nullptr;
  const std::vector<bool>* boundary_slots = nullptr;  // per top-level slot: a boundary value of the split
  StructureMode mode = StructureMode::RunAll;
  TensorMap* capture = nullptr;  // boundary values, filled as they are computed
  std::vector<NodeTiming>* profile = nullptr;
};

class GraphRun {
 public:
  GraphRun(DeviceBackend* device, const NodeObserver* observer, const PlanCache& plans, TopLevelPlan plan = {})
      : device_(device), observer_(observer), plans_(plans), plan_(plan) {}

  // `scope` holds the graph's inputs (and, for SkipStructure, the preloaded structure values).
  std::vector<Tensor> run_graph(Scope& scope, bool top_level) {
    const ExecutionPlan& graph_plan = *scope.plan;
    const ir::Graph& graph = *graph_plan.graph;
    // An input given under an initializer's name overrides it (ONNX: the initializer is its default).
    for (const auto& [slot, tensor] : graph_plan.initializers)
      if (!scope.slots[static_cast<size_t>(slot)].defined()) scope.slots[static_cast<size_t>(slot)] = *tensor;

    for (size_t i = 0; i < graph_plan.nodes.size(); ++i) {
      const PlannedNode& planned = graph_plan.nodes[i];
      const ir::Node& node = *planned.node;
      const bool structural = top_level && plan_.split && plan_.split->is_structure_node[i];
      const bool skip = top_level && ((plan_.mode == StructureMode::SkipStructure && structural) ||
                                      (plan_.mode == StructureMode::OnlyStructure && !structural));
      if (skip) continue;
      std::vector<Tensor> outputs =
          top_level && plan_.profile ? profiled_run(planned, scope) : run_node(planned, scope);
      for (size_t k = 0; k < planned.outputs.size(); ++k) {
        const int32_t slot = planned.outputs[k];
        if (slot < 0) continue;
        if (k >= outputs.size() || !outputs[k].defined())
          fail_internal(node.describe(), " did not compute its output '", node.outputs[k], "'");
        scope.slots[static_cast<size_t>(slot)] = outputs[k];
        if (structural && plan_.capture && (*plan_.boundary_slots)[static_cast<size_t>(slot)])
          (*plan_.capture)[node.outputs[k]] = outputs[k];
      }
      if (top_level && observer_ && *observer_) (*observer_)(node, outputs);
      for (const int32_t slot : planned.frees) scope.slots[static_cast<size_t>(slot)] = Tensor();
    }

    std::vector<Tensor> results;
    if (top_level && plan_.mode == StructureMode::OnlyStructure) return results;
    results.reserve(graph_plan.outputs.size());
    for (const ValueRef& out : graph_plan.outputs) {
      const Tensor* value = scope.lookup(out);
      if (!value) fail_input("graph '", graph.name, "': output '", *out.name, "' was never computed");
      results.push_back(*value);
    }
    return results;
  }

  // The node of each device error site, in the order nodes ran.
  const std::vector<const ir::Node*>& sites() const { return sites_; }

 private:
  std::vector<Tensor> profiled_run(const PlannedNode& planned, Scope& scope) {
    const ir::Node& node = *planned.node;
    std::vector<Tensor> outputs;
    NodeTiming timing{node.name, node.op_type, "cpu", 0.0};
    const auto work = [&] { outputs = run_node(planned, scope); };
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

  std::vector<Tensor> run_node(const PlannedNode& planned, Scope& scope) {
    const ir::Node& node = *planned.node;
    cpu::KernelInputs inputs;
    inputs.reserve(planned.inputs.size());
    for (const ValueRef& ref : planned.inputs) {
      if (ref.omitted()) {
        inputs.push_back(nullptr);
        continue;
      }
      const Tensor* value = scope.lookup(ref);
      if (!value) fail_input(node.describe(), ": input '", *ref.name, "' has no value (the graph is malformed)");
      inputs.push_back(value);
    }
    const int32_t site = static_cast<int32_t>(sites_.size());
    sites_.push_back(&node);
    try {
      if (device_ && device_->takes(node, inputs)) return device_->run(node, inputs, site);
      return run_on_cpu(planned, inputs, scope);
    } catch (const Error& error) {
      const std::string message = error.what();
      // Errors from inside a subgraph already carry their node; keep the innermost.
      if (message.rfind("node '", 0) == 0) throw;
      throw Error(error.code(), node.describe() + ": " + message);
    } catch (const std::bad_alloc&) {
      fail_input(node.describe(), ": out of host memory computing its outputs");
    }
  }

  std::vector<Tensor> run_on_cpu(const PlannedNode& planned, const cpu::KernelInputs& inputs, Scope& scope) {
    cpu::KernelContext context;
    context.run_subgraph = [this, &scope](const ir::Graph& subgraph) {
      Scope inner(plans_.at(&subgraph), &scope);
      return run_graph(inner, false);
    };
    // The CPU kernels read data: bring device inputs to the host (Shape and Size need only metadata).
    const auto on_device = [](const Tensor* input) { return input && !input->on_host(); };
    if (planned.metadata_only || std::none_of(inputs.begin(), inputs.end(), on_device))
      return (*planned.kernel)(*planned.node, inputs, context);
    std::vector<Tensor> host_copies;
    host_copies.reserve(inputs.size());
    cpu::KernelInputs host_inputs;
    for (const Tensor* input : inputs) {
      if (on_device(input)) {
        host_copies.push_back(device_->to_host(*input));
        host_inputs.push_back(&host_copies.back());
      } else {
        host_inputs.push_back(input);
      }
    }
    return (*planned.kernel)(*planned.node, host_inputs, context);
  }

  DeviceBackend* device_;
  const NodeObserver* observer_;
  const PlanCache& plans_;
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
  plan_graphs(graph_, plans_);
  plan_ = &plans_.at(&graph_);
  split_ = split_structure(graph_);
  boundary_slots_.assign(plan_->slot_names.size(), false);
  for (const std::string& name : split_.boundary_values) {
    const int32_t slot = plan_->find_slot(name);
    if (slot >= 0) boundary_slots_[static_cast<size_t>(slot)] = true;
  }
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

// Puts every graph input into the top-level scope.
void bind_graph_inputs(const TensorMap& inputs, Scope& scope) {
  const ir::Graph& graph = *scope.plan->graph;
  for (size_t i = 0; i < graph.inputs.size(); ++i) {
    auto it = inputs.find(graph.inputs[i].name);
    if (it == inputs.end()) fail_input("missing input '", graph.inputs[i].name, "'");
    scope.slots[static_cast<size_t>(scope.plan->input_slots[i])] = it->second;
  }
}

// Drains the stream and clears the error record after a failure: the first error is the one to
// report. Returns whether a deferred structure comparison found a difference (then the failure
// may come from running on a stale structure, and the call is to be run again as a miss).
bool drain_after_failure(DeviceBackend* device) {
  if (!device) return false;
  try {
    return device->finish().compared_unequal;
  } catch (...) {
    return false;
  }
}

// Turns the device's error record into an error naming the node.
void report_device_error(const DeviceBackend::DeviceError& error, const std::vector<const ir::Node*>& sites) {
  if (error.site < 0) return;
  const ir::Node* node = static_cast<size_t>(error.site) < sites.size() ? sites[error.site] : nullptr;
  fail_input(node ? node->describe() : cat("node #", error.site), ": ", error.message);
}

// Waits for the device and reports its error record.
void check_device_errors(DeviceBackend* device, const std::vector<const ir::Node*>& sites) {
  if (device) report_device_error(device->finish(), sites);
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
  // A call that waits for the device at its end anyway may defer the cache's device comparison
  // to that wait; an observed or profiled call sees every value, so it never runs on a guess.
  const bool may_defer = device_ && options.check_device_errors && !observer && !options.profile;
  if (auto outputs = run_once(inputs, observer, options, stats, may_defer)) return std::move(*outputs);
  std::optional<TensorMap> outputs = run_once(inputs, observer, options, stats, false);  // the guess was a miss
  GNNRT_CHECK(outputs.has_value(), "a call without a deferred structure comparison was rejected");
  return std::move(*outputs);
}

std::optional<TensorMap> Executor::run_once(const TensorMap& inputs, const NodeObserver& observer,
                                            const RunOptions& options, RunStats* stats, bool may_defer) {
  if (stats) *stats = RunStats{};
  Scope scope(*plan_, nullptr);
  bind_graph_inputs(inputs, scope);

  TopLevelPlan plan;
  plan.split = &split_;
  plan.boundary_slots = &boundary_slots_;
  plan.profile = options.profile;
  TensorMap captured;
  std::shared_ptr<const StructureEntry> reused = options.binding;
  bool deferred = false;  // reused on the guess that the graph is the cached one; finish() says
  if (reused) {
    if (!shapes_match(*reused, inputs))
      fail_input("the inputs' shapes differ from those of the graph binding; bind the new graph first");
  } else if (options.cache && split_.structure_node_count > 0) {
    StructureLookup lookup;
    try {
      lookup = options.cache->lookup(split_, inputs, device_, may_defer);
    } catch (...) {
      drain_after_failure(device_);  // a comparison it queued leaves no flag behind
      throw;
    }
    reused = std::move(lookup.entry);
    deferred = lookup.deferred;
  }
  if (reused) {
    plan.mode = StructureMode::SkipStructure;
    for (const auto& [name, tensor] : reused->values) scope.set(name, tensor);
  } else if (options.cache && split_.structure_node_count > 0) {
    plan.capture = &captured;
  }
  if (stats) stats->structure_reused = reused != nullptr;

  TensorMap outputs;
  std::vector<const ir::Node*> sites;  // the nodes behind device error sites, in the order they ran
  bool replayed = false;
  try {
    if (options.cuda_graph) {
      if (!device_ || !device_->supports_capture()) {
        if (stats) stats->graph_note = "CUDA graphs need the CUDA backend";
      } else if (options.profile || observer) {
        if (stats) stats->graph_note = "a profiled or observed call runs node by node";
      } else if (!reused && split_.structure_node_count > 0) {
        if (stats) stats->graph_note = "the structure part ran in this call (bind the graph, or repeat it for the cache)";
      } else if (auto recorded = run_recorded(inputs, reused, options, stats, sites)) {
        outputs = std::move(*recorded);
        replayed = true;
      }
    }
    if (!replayed) {
      GraphRun run(device_, observer ? &observer : nullptr, plans_, plan);
      std::vector<Tensor> results = run.run_graph(scope, true);
      sites = run.sites();
      for (size_t i = 0; i < graph_.outputs.size(); ++i)
        outputs[graph_.outputs[i].name] = options.outputs_on_device ? results[i] : to_host(results[i]);
    }
  } catch (...) {
    if (drain_after_failure(device_) && deferred) {
      reject_guess(*options.cache, reused.get());
      return std::nullopt;
    }
    throw;
  }
  // A call that fills the cache is always checked: only results of a call without error are kept.
  if (device_ && (options.check_device_errors || plan.capture || deferred)) {
    const DeviceBackend::DeviceError error = device_->finish();
    if (deferred && error.compared_unequal) {
      reject_guess(*options.cache, reused.get());
      return std::nullopt;
    }
    report_device_error(error, sites);
  }
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

void Executor::reject_guess(StructureCache& cache, const StructureEntry* guessed) {
  cache.reject_deferred();
  // Recordings made or counted for the refuted entry can never be replayed again (their key names
  // it); dropping them frees its device memory and their slots.
  recorded_.remove_if([&](const std::shared_ptr<RecordedCall>& call) { return call->structure.get() == guessed; });
}

std::optional<TensorMap> Executor::run_recorded(const TensorMap& inputs,
                                                const std::shared_ptr<const StructureEntry>& reused,
                                                const RunOptions& options, RunStats* stats,
                                                std::vector<const ir::Node*>& sites) {
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
    Scope scope(*plan_, nullptr);
    for (const ir::ValueInfo& input : graph_.inputs) {
      const Tensor& tensor = inputs.at(input.name);
      if (tensor.on_host() && feature_inputs_.count(input.name)) {
        Tensor staged = device_->to_device(tensor);
        call->staged_inputs.emplace(input.name, staged);
        scope.set(input.name, staged);
      } else {
        scope.set(input.name, tensor);
      }
    }
    if (reused)
      for (const auto& [name, tensor] : reused->values) scope.set(name, tensor);
    TopLevelPlan plan;
    plan.split = &split_;
    plan.boundary_slots = &boundary_slots_;
    plan.mode = StructureMode::SkipStructure;
    GraphRun run(device_, nullptr, plans_, plan);
    device_->begin_capture();
    std::string why_not;
    try {
      call->outputs = run.run_graph(scope, true);
    } catch (const std::exception& error) {
      why_not = error.what();
    }
    scope.slots.clear();
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
  call->launch->launch();
  // Fresh outputs: the next launch overwrites the recording's own.
  TensorMap outputs;
  for (size_t i = 0; i < graph_.outputs.size(); ++i) {
    const Tensor& result = call->outputs[i];
    outputs[graph_.outputs[i].name] = result.on_host()             ? result
                                      : options.outputs_on_device ? device_->copy_on_device(result)
                                                                  : device_->to_host(result);
  }
  sites = call->sites;
  if (stats) stats->graph_replayed = true;
  return outputs;
}

std::shared_ptr<StructureEntry> Executor::run_structure(const TensorMap& inputs) {
  Scope scope(*plan_, nullptr);
  bind_graph_inputs(inputs, scope);
  TopLevelPlan plan;
  plan.split = &split_;
  plan.boundary_slots = &boundary_slots_;
  plan.mode = StructureMode::OnlyStructure;
  TensorMap captured;
  plan.capture = &captured;
  GraphRun run(device_, nullptr, plans_, plan);
  try {
    run.run_graph(scope, true);
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
