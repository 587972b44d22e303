#include "runtime/executor.h"

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

class GraphRun {
 public:
  GraphRun(DeviceBackend* device, const NodeObserver* observer) : device_(device), observer_(observer) {}

  std::vector<Tensor> run_graph(const ir::Graph& graph, Scope& scope, bool top_level) {
    for (const auto& [name, tensor] : graph.initializers) scope.values.emplace(name, tensor);

    // Free each intermediate after its last reader, so peak memory follows the live set.
    std::unordered_map<std::string, size_t> last_use;
    std::vector<std::set<std::string>> reads(graph.nodes.size());
    for (size_t i = 0; i < graph.nodes.size(); ++i) {
      ir::collect_reads(graph.nodes[i], reads[i]);
      for (const std::string& name : reads[i]) last_use[name] = i;
    }
    std::set<std::string> keep;
    for (const ir::ValueInfo& out : graph.outputs) keep.insert(out.name);

    for (size_t i = 0; i < graph.nodes.size(); ++i) {
      const ir::Node& node = graph.nodes[i];
      std::vector<Tensor> outputs = run_node(node, scope);
      for (size_t k = 0; k < node.outputs.size(); ++k) {
        if (node.outputs[k].empty()) continue;
        if (k >= outputs.size() || !outputs[k].defined())
          fail_internal(node.describe(), " did not compute its output '", node.outputs[k], "'");
        scope.values[node.outputs[k]] = outputs[k];
      }
      if (top_level && observer_ && *observer_) (*observer_)(node, outputs);
      for (const std::string& name : reads[i]) {
        auto it = last_use.find(name);
        if (it != last_use.end() && it->second == i && !keep.count(name)) scope.values.erase(name);
      }
    }

    std::vector<Tensor> results;
    for (const ir::ValueInfo& out : graph.outputs) {
      const Tensor* value = scope.lookup(out.name);
      if (!value) fail_input("graph '", graph.name, "': output '", out.name, "' was never computed");
      results.push_back(*value);
    }
    return results;
  }

  const ir::Node* node_at_site(int32_t site) const {
    return site >= 0 && static_cast<size_t>(site) < sites_.size() ? sites_[static_cast<size_t>(site)] : nullptr;
  }

 private:
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
  if (device_) device_->prepare(graph_);
}

TensorMap Executor::run(const TensorMap& inputs, const NodeObserver& observer) {
  Scope scope;
  for (const ir::ValueInfo& input : graph_.inputs) {
    auto it = inputs.find(input.name);
    if (it == inputs.end()) fail_input("missing input '", input.name, "'");
    scope.values.emplace(input.name, it->second);
  }
  GraphRun run(device_, observer ? &observer : nullptr);
  std::vector<Tensor> results;
  try {
    results = run.run_graph(graph_, scope, true);
  } catch (...) {
    // Drain the stream and clear the error record for the next call; the first error is the one to report.
    if (device_) {
      try {
        device_->finish();
      } catch (...) {
      }
    }
    throw;
  }
  TensorMap outputs;
  for (size_t i = 0; i < graph_.outputs.size(); ++i) outputs[graph_.outputs[i].name] = to_host(results[i]);
  if (device_) {
    const DeviceBackend::DeviceError error = device_->finish();
    if (error.site >= 0) {
      const ir::Node* node = run.node_at_site(error.site);
      fail_input(node ? node->describe() : cat("node #", error.site), ": ", error.message);
    }
  }
  return outputs;
}

Tensor Executor::to_host(const Tensor& tensor) {
  if (tensor.on_host() || !device_) return tensor;
  return device_->to_host(tensor);
}

}  // namespace gnnrt::runtime
