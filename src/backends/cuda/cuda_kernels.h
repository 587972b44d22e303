// The CUDA backend's op table, mirroring the CPU backend's (backends/cpu/kernel_registry.h): one
// host function per IR op that checks shapes, allocates outputs on the device and calls plain
// launch functions (launch/*.cuh: pointers, sizes and a stream, never IR types).
#pragma once

#include <cublasLt.h>
#include <cublas_v2.h>
#include <cuda_runtime.h>

#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "backends/cpu/kernel_registry.h"
#include "backends/cuda/device_errors.h"
#include "gnnrt/tensor.h"
#include "ir/graph.h"

namespace gnnrt::cuda {

using cpu::KernelInputs;  // device tensors (Tensor::device() == Device::Cuda); nullptr for omitted inputs

struct CudaKernelContext {
  cudaStream_t stream = nullptr;
  cublasHandle_t cublas = nullptr;
  cublasLtHandle_t cublaslt = nullptr;  // for GEMMs with a fused epilogue (gnnrt.Linear)
  // Allocates an uninitialised device tensor on this context's memory; it is released when the
  // last Tensor sharing it goes away (after the stream's work on it is ordered, see allocator).
  std::function<Tensor(DType, Dims)> allocate;
  // Where kernels that read user-supplied indices record the first out-of-range index instead of
  // reading out of bounds (see device_errors.h); the runtime checks it after the call.
  DeviceErrorRecord* errors = nullptr;
  // The site id the current node reports errors under (its index in the graph).
  int32_t site = 0;
  // Copies a device tensor to a new host tensor, synchronising the stream: only for the few
  // data-dependent sizes (NonZero's count) that must come back to the host.
  std::function<Tensor(const Tensor&)> to_host;
};

using CudaKernelFn = std::vector<Tensor> (*)(const ir::Node& node, const KernelInputs& inputs,
                                             CudaKernelContext& context);
// Whether the kernel handles this node with these input dtypes (Undefined for omitted inputs).
using CudaSupportsFn = bool (*)(const ir::Node& node, const std::vector<DType>& input_dtypes);

struct CudaKernel {
  CudaKernelFn run = nullptr;
  CudaSupportsFn supports = nullptr;
};

class CudaKernelRegistry {
 public:
  void add(const std::string& op_type, CudaKernel kernel);
  const CudaKernel* find(std::string_view op_type) const;
  bool supports(const ir::Node& node, const std::vector<DType>& input_dtypes) const;
  std::vector<std::string> op_types() const;

 private:
  std::map<std::string, CudaKernel, std::less<>> kernels_;
};

const CudaKernelRegistry& cuda_kernel_registry();

// One registration function per op family, one host .cpp file each, launch code in .cu files.
void register_cuda_elementwise_kernels(CudaKernelRegistry& registry);   // elementwise_ops.cpp
void register_cuda_reduction_kernels(CudaKernelRegistry& registry);     // reduction_ops.cpp
void register_cuda_movement_kernels(CudaKernelRegistry& registry);      // movement_ops.cpp (Concat, Slice, Transpose, ...)
void register_cuda_index_kernels(CudaKernelRegistry& registry);         // index_ops.cpp (Gather*, Scatter*, NonZero)
void register_cuda_linear_algebra_kernels(CudaKernelRegistry& registry); // linear_algebra_ops.cpp (cuBLAS)
void register_cuda_fused_linear_kernels(CudaKernelRegistry& registry);  // fused_linear_ops.cpp (gnnrt Linear, cuBLASLt)
void register_cuda_sparse_kernels(CudaKernelRegistry& registry);         // sparse_ops.cpp (CsrFromCoo, SpMM)
void register_cuda_quantize_kernels(CudaKernelRegistry& registry);       // quantize_ops.cpp (QuantizeInt8)

}  // namespace gnnrt::cuda
