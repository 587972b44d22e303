#include "backends/cpu/kernel_registry.h"

#include <algorithm>

namespace gnnrt::cpu {

void KernelRegistry::add(const std::string& op_type, KernelFn kernel) {
  GNNRT_CHECK(kernels_.count(op_type) == 0, "CPU kernel for ", op_type, " registered twice");
  kernels_[op_type] = kernel;
}

const KernelFn* KernelRegistry::find(std::string_view op_type) const {
  auto it = kernels_.find(op_type);
  return it == kernels_.end() ? nullptr : &it->second;
}

std::vector<std::string> KernelRegistry::op_types() const {
  std::vector<std::string> names;
  for (const auto& entry : kernels_) names.push_back(entry.first);
  return names;
}

const KernelRegistry& kernel_registry() {
  static const KernelRegistry registry = [] {
    KernelRegistry r;
    register_elementwise_kernels(r);
    register_reduction_kernels(r);
    register_shape_kernels(r);
    register_index_kernels(r);
    register_linear_algebra_kernels(r);
    register_control_flow_kernels(r);
    register_sparse_kernels(r);
    register_fused_linear_kernels(r);
    register_quantize_kernels(r);
    return r;
  }();
  return registry;
}

const Tensor& require_input(const ir::Node& node, const KernelInputs& inputs, size_t index) {
  if (index >= inputs.size() || inputs[index] == nullptr)
    fail_input(node.describe(), ": input ", index, " is required but missing");
  return *inputs[index];
}

const Tensor* optional_input(const KernelInputs& inputs, size_t index) {
  return index < inputs.size() ? inputs[index] : nullptr;
}

int64_t normalize_axis(const ir::Node& node, int64_t axis, int64_t rank) {
  const int64_t normalized = axis < 0 ? axis + rank : axis;
  if (normalized < 0 || normalized >= std::max<int64_t>(rank, 1))
    fail_input(node.describe(), ": axis ", axis, " is out of range for rank ", rank);
  return normalized;
}

}  // namespace gnnrt::cpu
