// gnnrt.QuantizeInt8 on the GPU (semantics: backends/op_shapes/quantize.h; CPU reference:
// backends/cpu/quantize_ops.cpp), per tensor or per row; the codes match the CPU's bit for bit.
#include "backends/cuda/cuda_kernels.h"
#include "backends/cuda/launch/quantize.cuh"
#include "backends/cuda/op_helpers.h"
#include "backends/op_shapes/quantize.h"

namespace gnnrt::cuda {
namespace {

Outputs quantize_int8_kernel(const ir::Node& node, const KernelInputs& inputs, CudaKernelContext& context) {
  const op_shapes::QuantizeInt8Layout layout = op_shapes::quantize_int8_layout(node, inputs);
  const Tensor& x = *inputs[0];
  require_device(node, x, 0);
  Tensor y = context.allocate(DType::Int8, x.shape());
  const auto* in = static_cast<const float*>(x.raw());
  auto* out = static_cast<int8_t*>(y.raw());
  if (!layout.per_row) {
    launch_quantize_int8(in, x.numel(), layout.scale, out, context.stream);
    return {y};
  }
  Tensor row_scale = context.allocate(DType::Float32, {x.dim(0)});
  launch_quantize_int8_rows(in, x.dim(0), x.dim(1), out, static_cast<float*>(row_scale.raw()), context.stream);
  return {y, row_scale};
}

bool quantize_int8_supports(const ir::Node& node, const std::vector<DType>& dtypes) {
  return dtype_at(dtypes, 0) == DType::Float32 && attributes_ok([&] {
           node.attr_int("per_row", 0);
           return true;
         });
}

}  // namespace

void register_cuda_quantize_kernels(CudaKernelRegistry& registry) {
  registry.add("QuantizeInt8", {quantize_int8_kernel, quantize_int8_supports});
}

}  // namespace gnnrt::cuda
