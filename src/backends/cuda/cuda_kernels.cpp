#include "backends/cuda/cuda_kernels.h"

namespace gnnrt::cuda {

void CudaKernelRegistry::add(const std::string& op_type, CudaKernel kernel) {
  GNNRT_CHECK(kernels_.count(op_type) == 0, "CUDA kernel for ", op_type, " registered twice");
  GNNRT_CHECK(kernel.run != nullptr, "CUDA kernel for ", op_type, " has no run function");
  kernels_[op_type] = kernel;
}

const CudaKernel* CudaKernelRegistry::find(std::string_view op_type) const {
  auto it = kernels_.find(op_type);
  return it == kernels_.end() ? nullptr : &it->second;
}

bool CudaKernelRegistry::supports(const ir::Node& node, const std::vector<DType>& input_dtypes) const {
  const CudaKernel* kernel = find(node.op_type);
  if (!kernel || !node.has_runnable_domain()) return false;
  return kernel->supports == nullptr || kernel->supports(node, input_dtypes);
}

std::vector<std::string> CudaKernelRegistry::op_types() const {
  std::vector<std::string> names;
  for (const auto& entry : kernels_) names.push_back(entry.first);
  return names;
}

const CudaKernelRegistry& cuda_kernel_registry() {
  static const CudaKernelRegistry registry = [] {
    CudaKernelRegistry r;
    register_cuda_elementwise_kernels(r);
    register_cuda_reduction_kernels(r);
    register_cuda_movement_kernels(r);
    register_cuda_index_kernels(r);
    register_cuda_linear_algebra_kernels(r);
    register_cuda_fused_linear_kernels(r);
    register_cuda_sparse_kernels(r);
    register_cuda_quantize_kernels(r);
    return r;
  }();
  return registry;
}

}  // namespace gnnrt::cuda
