// Runs an IR graph node by node in topological order. CPU kernels are the reference; with a
// device backend, the nodes it takes run there and their values stay on the device.
#pragma once

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "gnnrt/tensor.h"
#include "ir/graph.h"
#include "runtime/backend.h"

namespace gnnrt::runtime {

using TensorMap = std::map<std::string, Tensor>;

// Called after each node of the top-level graph ran, with its outputs (host or device tensors).
using NodeObserver = std::function<void(const ir::Node& node, const std::vector<Tensor>& outputs)>;

class Executor {
 public:
  // `device`: nullptr runs everything on the CPU. Fails (InvalidInput) listing every node that
  // has no CPU kernel (every op needs one: it is the fallback and the reference).
  explicit Executor(const ir::Graph& graph, DeviceBackend* device = nullptr);

  // `inputs` must hold every graph input (validate them first: runtime/input_binding.h).
  // Returns the graph outputs by name, as host tensors.
  TensorMap run(const TensorMap& inputs, const NodeObserver& observer = {});

  // A host copy of any value the observer was handed.
  Tensor to_host(const Tensor& tensor);

 private:
  const ir::Graph& graph_;
  DeviceBackend* device_;
};

}  // namespace gnnrt::runtime
