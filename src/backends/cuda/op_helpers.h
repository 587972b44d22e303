// Host-side helpers shared by the CUDA kernels' host code (elementwise_ops.cpp, reduction_ops.cpp,
// movement_ops.cpp, index_ops.cpp, linear_algebra_ops.cpp): input access, the `supports`
// contract, device checks, host copies of small argument tensors, scratch and copies on the
// device. The shape rules themselves are shared with the CPU backend (backends/op_shapes/).
#pragma once

#include <cstddef>
#include <vector>

#include "backends/cuda/cuda_kernels.h"
#include "backends/op_shapes/common.h"

namespace gnnrt::cuda {

using Outputs = std::vector<Tensor>;
using cpu::normalize_axis;
using cpu::optional_input;
using cpu::require_input;

// ---------------------------------------------------------------- supports

// The dtype of input `index`, Undefined when the node has fewer inputs.
DType dtype_at(const std::vector<DType>& dtypes, size_t index);

// int64 or int32, as the shape-like inputs must be.
bool is_index_dtype(DType dtype);
// An optional shape-like input: absent, or int32/int64 as the CPU kernel requires.
bool optional_index_input_ok(const std::vector<DType>& dtypes, size_t index);

// Attribute readers throw on a wrong attribute kind; `supports` then declines the node and the
// CPU kernel reports the error.
template <typename Fn>
bool attributes_ok(Fn&& check) {
  try {
    return check();
  } catch (const Error&) {
    return false;
  }
}

// ---------------------------------------------------------------- inputs

// Fails (internal error) when input `index` is not in device memory.
void require_device(const ir::Node& node, const Tensor& tensor, size_t index);

// Small argument tensors (shapes, axes, pads, scalars) are read on the host: a device tensor is
// copied back first, which synchronises the stream (the runtime normally keeps these small tensors
// on the host, where this costs nothing).
Tensor host_copy(const Tensor& tensor, CudaKernelContext& context);
// host_copy as the reader the shared shape rules (op_shapes) take.
op_shapes::HostReader host_reader(CudaKernelContext& context);

// ---------------------------------------------------------------- device memory

// Where the kernels that check user data record the first error, for this context's node.
DeviceErrorSink error_sink(const CudaKernelContext& context);

// Scratch memory of `bytes` for a launch (an empty tensor when none is needed), and its pointer
// (nullptr for the empty one).
Tensor scratch_tensor(size_t bytes, CudaKernelContext& context);
void* scratch_pointer(Tensor& scratch);

// A new device tensor holding a copy of device tensor `tensor`, ordered on the context's stream.
Tensor device_copy(const Tensor& tensor, CudaKernelContext& context);

}  // namespace gnnrt::cuda
