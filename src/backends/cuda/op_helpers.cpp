#include "backends/cuda/op_helpers.h"

#include <cuda_runtime.h>

#include "backends/cuda/cuda_check.h"

namespace gnnrt::cuda {

DType dtype_at(const std::vector<DType>& dtypes, size_t index) {
  return index < dtypes.size() ? dtypes[index] : DType::Undefined;
}

bool is_index_dtype(DType dtype) { return dtype == DType::Int64 || dtype == DType::Int32; }

bool optional_index_input_ok(const std::vector<DType>& dtypes, size_t index) {
  const DType dtype = dtype_at(dtypes, index);
  return dtype == DType::Undefined || is_index_dtype(dtype);
}

void require_device(const ir::Node& node, const Tensor& tensor, size_t index) {
  GNNRT_CHECK(!tensor.on_host(), node.describe(), ": input ", index, " reached the CUDA kernel in host memory");
}

Tensor host_copy(const Tensor& tensor, CudaKernelContext& context) {
  return tensor.on_host() ? tensor : context.to_host(tensor);
}

op_shapes::HostReader host_reader(CudaKernelContext& context) {
  return [&context](const Tensor& tensor) { return host_copy(tensor, context); };
}

DeviceErrorSink error_sink(const CudaKernelContext& context) { return DeviceErrorSink{context.errors, context.site}; }

Tensor scratch_tensor(size_t bytes, CudaKernelContext& context) {
  if (bytes == 0) return Tensor();
  return context.allocate(DType::UInt8, {static_cast<int64_t>(bytes)});
}

void* scratch_pointer(Tensor& scratch) { return scratch.defined() ? scratch.raw() : nullptr; }

Tensor device_copy(const Tensor& tensor, CudaKernelContext& context) {
  Tensor output = context.allocate(tensor.dtype(), tensor.shape());
  if (tensor.nbytes())
    GNNRT_CUDA_CHECK(cudaMemcpyAsync(output.raw(), tensor.raw(), tensor.nbytes(), cudaMemcpyDeviceToDevice,
                                     context.stream));
  return output;
}

}  // namespace gnnrt::cuda
